// libFuzzer target: TensorProto (.pb test data) decoding.
import OutpostONNX
import OutpostRuntime

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let buffer = Buffer(copying: UnsafeRawPointer(data), count: size)
    do {
        let (name, t) = try TensorProtoFile.decode(buffer)
        // Re-encode and decode again: must round-trip.
        let bytes = TensorProtoFile.encode(t, name: name)
        let (name2, t2) = try TensorProtoFile.decode(bytes: bytes)
        if name2 != name || t2.shape != t.shape || t2.dtype != t.dtype { fatalError("TensorProto round trip differs") }
    } catch {
        _ = error.description
    }
    return 0
}
