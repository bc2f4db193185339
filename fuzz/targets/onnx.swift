// libFuzzer target: the ONNX model loader, from bytes in memory.
import OutpostONNX
import OutpostRuntime

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let buffer = Buffer(copying: UnsafeRawPointer(data), count: size)
    do {
        let model = try ONNXLoader.load(buffer: buffer, baseDirectory: nil)
        // Touch what was decoded so views into the buffer are read.
        var sum: UInt64 = 0
        for (_, t) in model.graph.initializers where t.byteCount > 0 {
            sum &+= UInt64(t.raw.load(fromByteOffset: t.byteCount - 1, as: UInt8.self))
        }
        if sum == 0xdead_beef_dead { print(sum) }
    } catch {
        _ = error.description
    }
    return 0
}
