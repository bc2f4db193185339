import CKernels

/// Unary math and activations applied element by element. float32 runs the C
/// kernels (ok_unary_f32); Abs, Neg, Sign and Relu also take signed integers.
final class UnaryOperator: Operator {
    let function: ok_unary_op
    var alpha: Float = 0
    var beta: Float = 0

    init(node: Node, opset: Int, function: ok_unary_op) throws(OutpostError) {
        self.function = function
        super.init(node: node, opset: opset)
        switch function {
        case OK_UNARY_LEAKY_RELU: alpha = try node.float("alpha", default: 0.01)
        case OK_UNARY_HARD_SIGMOID:
            alpha = try node.float("alpha", default: 0.2)
            beta = try node.float("beta", default: 0.5)
        case OK_UNARY_ELU, OK_UNARY_THRESHOLDED_RELU, OK_UNARY_CELU, OK_UNARY_SWISH:
            alpha = try node.float("alpha", default: 1.0)
        case OK_UNARY_SHRINK:
            alpha = try node.float("lambd", default: 0.5)
            beta = try node.float("bias", default: 0)
        case OK_UNARY_SELU:
            alpha = try node.float("alpha", default: 1.67326319217681884765625)
            beta = try node.float("gamma", default: 1.05070102214813232421875)
        default: break
        }
    }

    /// Functions defined for signed integers too (ONNX type constraints).
    private var allowsIntegers: Bool {
        function == OK_UNARY_ABS || function == OK_UNARY_NEG || function == OK_UNARY_SIGN || function == OK_UNARY_RELU
            || function == OK_UNARY_BITWISE_NOT || function == OK_UNARY_SHRINK
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        switch x.dtype {
        case .float32: if function == OK_UNARY_BITWISE_NOT { throw unsupportedType(x.dtype, input: 0) }
        case .int32, .int64, .int8: if !allowsIntegers { throw unsupportedType(x.dtype, input: 0) }
        case .uint8:
            if !(function == OK_UNARY_ABS || function == OK_UNARY_SIGN || function == OK_UNARY_RELU
                 || function == OK_UNARY_BITWISE_NOT || function == OK_UNARY_SHRINK) {
                throw unsupportedType(x.dtype, input: 0)
            }
        default: throw unsupportedType(x.dtype, input: 0)
        }
        return [TensorType(x.dtype, x.shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        let n = x.count
        switch x.dtype {
        case .float32:
            ok_unary_f32_pool(UnsafeMutableRawPointer(ctx.pool), Int32(function.rawValue), x.floats, outputs[0].floats, n, alpha, beta)
        case .int32: integerLoop(x.pointer(Int32.self), outputs[0].pointer(Int32.self), n)
        case .int64: integerLoop(x.pointer(Int64.self), outputs[0].pointer(Int64.self), n)
        case .int8: integerLoop(x.pointer(Int8.self), outputs[0].pointer(Int8.self), n)
        case .uint8: unsignedLoop(x.pointer(UInt8.self), outputs[0].pointer(UInt8.self), n)
        default: throw unsupportedType(x.dtype, input: 0)
        }
    }

    private func integerLoop<T: FixedWidthInteger & SignedInteger>(_ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<T>, _ n: Int) {
        switch function {
        case OK_UNARY_BITWISE_NOT: for i in 0..<n { dst[i] = ~src[i] }
        case OK_UNARY_SHRINK: shrinkLoop(src, dst, n)
        case OK_UNARY_ABS: for i in 0..<n { dst[i] = src[i] < 0 ? 0 &- src[i] : src[i] }
        case OK_UNARY_NEG: for i in 0..<n { dst[i] = 0 &- src[i] }
        case OK_UNARY_SIGN: for i in 0..<n { dst[i] = src[i] > 0 ? 1 : (src[i] < 0 ? -1 : 0) }
        default: for i in 0..<n { dst[i] = src[i] > 0 ? src[i] : 0 }
        }
    }

    /// Shrink on integers: thresholds converted like the reference (compare in float).
    private func shrinkLoop<T: FixedWidthInteger>(_ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<T>, _ n: Int) {
        let lambd = alpha, bias = beta
        for i in 0..<n {
            let v = Float(src[i])
            let r: Float = v < -lambd ? v + bias : (v > lambd ? v - bias : 0)
            dst[i] = T(truncatingIfNeeded: Int64(r))
        }
    }

    private func unsignedLoop(_ src: UnsafeMutablePointer<UInt8>, _ dst: UnsafeMutablePointer<UInt8>, _ n: Int) {
        switch function {
        case OK_UNARY_BITWISE_NOT: for i in 0..<n { dst[i] = ~src[i] }
        case OK_UNARY_SHRINK: shrinkLoop(src, dst, n)
        case OK_UNARY_SIGN: for i in 0..<n { dst[i] = src[i] > 0 ? 1 : 0 }
        default: for i in 0..<n { dst[i] = src[i] }
        }
    }
}

/// Element-wise predicates and boolean negation: Not, IsNaN, IsInf → bool.
final class PredicateOperator: Operator {
    enum Kind { case not, isNaN, isInf }
    let kind: Kind
    var detectNegative = true
    var detectPositive = true

    init(node: Node, opset: Int, kind: Kind) throws(OutpostError) {
        self.kind = kind
        super.init(node: node, opset: opset)
        if kind == .isInf {
            detectNegative = try node.int("detect_negative", default: 1) != 0
            detectPositive = try node.int("detect_positive", default: 1) != 0
        }
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        let expected: DType = kind == .not ? .bool : .float32
        if x.dtype != expected { throw unsupportedType(x.dtype, input: 0) }
        return [TensorType(.bool, x.shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        let n = x.count
        let dst = outputs[0].pointer(UInt8.self)
        switch kind {
        case .not:
            let src = x.pointer(UInt8.self)
            for i in 0..<n { dst[i] = src[i] == 0 ? 1 : 0 }
        case .isNaN:
            let src = x.floats
            for i in 0..<n { dst[i] = src[i].isNaN ? 1 : 0 }
        case .isInf:
            let src = x.floats
            let neg = detectNegative, pos = detectPositive
            for i in 0..<n {
                let v = src[i]
                dst[i] = v.isInfinite && ((v > 0 && pos) || (v < 0 && neg)) ? 1 : 0
            }
        }
    }
}
