import COutpostSystem
import OutpostONNX
import OutpostRuntime

/// Gathers a model's inputs from the command line: `--input-dir DIR` (ONNX
/// test-data layout, `input_<i>.pb` in graph-input order) and/or
/// `--input NAME=FILE` (`.npy` or `.pb`), or random tensors of the right shapes.
package enum InputFiles {
    package static func load(inputs: [ValueInfo], inputDir: String?, named: [String]) throws(OutpostError) -> [Tensor] {
        var feeds = [Tensor?](repeating: nil, count: inputs.count)
        if let dir = inputDir {
            guard FileSystem.isDirectory(dir) else { throw .io(path: dir, reason: "not a directory") }
            for i in 0..<inputs.count {
                let path = FileSystem.join(dir, String(outlined: "input_\(i).pb"))
                if !FileSystem.exists(path) {
                    if named.isEmpty {
                        throw .inputMismatch(String(outlined: "\(path) is missing: the model has \(inputs.count) input(s) and the directory must hold input_0.pb … input_\(inputs.count - 1).pb"))
                    }
                    continue
                }
                feeds[i] = try TensorProtoFile.read(path: path).tensor
            }
        }
        for spec in named {
            guard let eq = spec.firstIndex(of: "=") else {
                throw .usage(String(outlined: "--input expects NAME=FILE (a .npy or .pb file), got '\(spec)'"))
            }
            let name = String(spec[spec.startIndex..<eq])
            let path = String(spec[spec.index(after: eq)...])
            guard let index = inputs.firstIndex(where: { $0.name == name }) else {
                var names = ""
                for (k, i) in inputs.enumerated() { names += (k > 0 ? ", " : "") + i.name }
                throw .inputMismatch(String(outlined: "the model has no input named '\(name)' (inputs: \(names))"))
            }
            feeds[index] = try readTensorFile(path)
        }
        var out = [Tensor]()
        for (i, f) in feeds.enumerated() {
            guard let f else { throw .inputMismatch(String(outlined: "no value given for input '\(inputs[i].name)' (use --input-dir or --input \(inputs[i].name)=FILE.npy)")) }
            out.append(f)
        }
        return out
    }

    package static func readTensorFile(_ path: String) throws(OutpostError) -> Tensor {
        if path.hasSuffix(".npy") { return try NpyFile.read(path: path) }
        return try TensorProtoFile.read(path: path).tensor
    }

    /// Random inputs matching the declared types; symbolic or unknown dimensions become 1.
    package static func random(for inputs: [ValueInfo], seed: UInt64 = 42) throws(OutpostError) -> [Tensor] {
        var state = seed
        var out = [Tensor]()
        for input in inputs {
            guard let dtype = input.dtype else {
                throw .unsupportedDataType(tensor: input.name, dtype: DType.onnxName(input.onnxType))
            }
            guard let dims = input.shape else {
                throw .inputMismatch(String(outlined: "input '\(input.name)' declares no shape; give inputs with --input-dir or --input"))
            }
            var shape = [Int]()
            for d in dims {
                if case let .fixed(n) = d { shape.append(n) } else { shape.append(1) }
            }
            let t = Tensor(zeros: dtype, shape: shape)
            for i in 0..<t.count {
                let r = op_random_next(&state)
                let unit = Double(r >> 11) / Double(UInt64(1) << 53)  // [0, 1); not Int: 1 << 53 is 0 on 32-bit
                switch dtype {
                case .float32: t.floats[i] = Float(unit * 2 - 1)
                case .float16: t.pointer(UInt16.self)[i] = Float16Bits.fromFloat(Float(unit * 2 - 1))
                case .uint8: t.pointer(UInt8.self)[i] = UInt8(truncatingIfNeeded: r)
                case .int8: t.pointer(Int8.self)[i] = Int8(truncatingIfNeeded: r)
                case .bool: t.pointer(UInt8.self)[i] = UInt8(r & 1)
                case .int32: t.pointer(Int32.self)[i] = 0
                case .int64: t.pointer(Int64.self)[i] = 0
                }
            }
            out.append(t)
        }
        return out
    }
}
