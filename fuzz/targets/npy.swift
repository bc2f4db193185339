// libFuzzer target: .npy decoding.
import OutpostONNX
import OutpostRuntime

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let buffer = Buffer(copying: UnsafeRawPointer(data), count: size)
    do {
        let t = try NpyFile.decode(buffer)
        let bytes = NpyFile.encode(t)
        let t2 = try NpyFile.decode(bytes: bytes)
        if t2.shape != t.shape || t2.dtype != t.dtype { fatalError("npy round trip differs") }
    } catch {
        _ = error.description
    }
    return 0
}
