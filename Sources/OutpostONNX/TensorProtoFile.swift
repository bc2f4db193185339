import COutpostSystem
import OutpostRuntime

/// A single serialized TensorProto per file: the layout of ONNX's backend test data
/// (`test_data_set_0/input_0.pb`). Written with `raw_data` (little-endian).
public enum TensorProtoFile {
    /// Reads a .pb tensor file (memory-mapped; raw data is used in place when aligned).
    public static func read(path: String) throws(OutpostError) -> (name: String, tensor: Tensor) {
        let buffer = try Buffer(mappingFile: path)
        return try decode(buffer, baseDirectory: directoryOf(path))
    }

    /// Decodes a TensorProto held in `buffer`. The tensor may be a view into `buffer`.
    public static func decode(_ buffer: Buffer, baseDirectory: String? = nil) throws(OutpostError) -> (name: String, tensor: Tensor) {
        let reader = ProtobufReader(base: UnsafeRawPointer(buffer.base), count: buffer.byteCount, context: "TensorProto")
        let fields = try TensorProtoFields.decode(reader)
        let materializer = TensorMaterializer(source: buffer, baseDirectory: baseDirectory)
        return (fields.name, try materializer.tensor(fields))
    }

    /// Decodes a TensorProto from bytes (copied into an aligned buffer first).
    public static func decode(bytes: [UInt8]) throws(OutpostError) -> (name: String, tensor: Tensor) {
        let buffer = bytes.withUnsafeBytes { p in
            Buffer(copying: p.baseAddress ?? UnsafeRawPointer(bitPattern: 64)!, count: p.count)
        }
        return try decode(buffer)
    }

    /// Serializes `tensor` as a TensorProto (dims, data_type, name, raw_data).
    public static func encode(_ tensor: Tensor, name: String) -> [UInt8] {
        var w = ProtobufWriter()
        for d in tensor.shape { w.writeInt64Field(1, Int64(d)) }
        w.writeInt64Field(2, Int64(tensor.dtype.rawValue))
        if !name.isEmpty { w.writeStringField(8, name) }
        w.writeBytesField(9, UnsafeRawBufferPointer(start: tensor.raw, count: tensor.byteCount))
        return w.bytes
    }

    /// Writes `tensor` to `path` atomically.
    public static func write(_ tensor: Tensor, name: String, path: String) throws(OutpostError) {
        try writeFile(encode(tensor, name: name), path: path)
    }
}

/// Writes bytes atomically through COutpostSystem.
func writeFile(_ bytes: [UInt8], path: String) throws(OutpostError) {
    let err = bytes.withUnsafeBufferPointer { p in
        path.withCString { op_write_file_atomic($0, p.baseAddress, p.count) }
    }
    if err != 0 { throw .io(path: path, reason: String(cString: op_strerror(err))) }
}
