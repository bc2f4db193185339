/// Cast (to = attribute) and CastLike (to = input 1's type) between float32,
/// float16, int8, uint8, int32, int64 and bool, following numpy's astype as the
/// ONNX reference does: float → integer truncates toward zero (NaN → 0, out of
/// range saturates), integer → integer wraps, anything → bool is "!= 0",
/// float32 → float16 rounds to nearest even. `saturate` only concerns float8.
final class CastOperator: Operator {
    private let like: Bool
    private var target: DType = .float32

    init(node: Node, opset: Int, like: Bool) throws(OutpostError) {
        self.like = like
        super.init(node: node, opset: opset)
        if !like {
            guard let to = try node.int("to") else { throw node.invalid("attribute 'to' is required") }
            guard let d = DType(rawValue: to) else {
                throw .unsupportedDataType(tensor: String(outlined: "\(node.outputs.first ?? "output") (output of Cast node '\(node.displayName)')"),
                                           dtype: DType.onnxName(to))
            }
            target = d
        }
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        if like { target = try required(inputs, 1).dtype }
        return [TensorType(target, x.shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        let y = outputs[0]
        let n = x.count
        if x.dtype == y.dtype {
            y.raw.copyMemory(from: x.raw, byteCount: x.byteCount)
            return
        }
        switch y.dtype {
        case .float32:
            let dst = y.floats
            // Typed loops for the integer sources (the dynamic-quantization chain casts
            // every ConvInteger / MatMulInteger int32 result): the compiler vectorizes
            // them, the per-element dtype switch of float(at:) it does not. Same
            // conversion (Float(integer), one rounding to nearest even).
            switch x.dtype {
            case .int32:
                let src = x.pointer(Int32.self)
                for i in 0..<n { dst[i] = Float(src[i]) }
            case .uint8:
                let src = x.pointer(UInt8.self)
                for i in 0..<n { dst[i] = Float(src[i]) }
            case .int8:
                let src = x.pointer(Int8.self)
                for i in 0..<n { dst[i] = Float(src[i]) }
            default:
                for i in 0..<n { dst[i] = x.float(at: i) }
            }
        case .float16:
            let dst = y.pointer(UInt16.self)
            if x.dtype == .float32 || x.dtype == .float16 {
                for i in 0..<n { dst[i] = Float16Bits.fromFloat(x.float(at: i)) }
            } else {
                // Integers convert exactly to double first, then round once to float16 via float.
                for i in 0..<n { dst[i] = Float16Bits.fromFloat(x.float(at: i)) }
            }
        case .bool:
            let dst = y.pointer(UInt8.self)
            if x.dtype == .float32 || x.dtype == .float16 {
                for i in 0..<n { dst[i] = x.float(at: i) != 0 ? 1 : 0 }
            } else {
                for i in 0..<n { dst[i] = x.integer(at: i) != 0 ? 1 : 0 }
            }
        case .int64: store(x, y, Int64.self)
        case .int32: store(x, y, Int32.self)
        case .int8: store(x, y, Int8.self)
        case .uint8: store(x, y, UInt8.self)
        }
    }

    private func store<T: FixedWidthInteger>(_ x: Tensor, _ y: Tensor, _: T.Type) {
        let dst = y.pointer(T.self)
        let n = x.count
        if x.dtype == .float32 || x.dtype == .float16 {
            for i in 0..<n {
                let v = x.float(at: i)
                let w: Int64 = v.isNaN ? 0 : (v >= 9.2233715e18 ? Int64.max : (v <= -9.2233715e18 ? Int64.min : Int64(v)))
                dst[i] = T(truncatingIfNeeded: w)
            }
        } else {
            for i in 0..<n { dst[i] = T(truncatingIfNeeded: x.integer(at: i)) }
        }
    }
}
