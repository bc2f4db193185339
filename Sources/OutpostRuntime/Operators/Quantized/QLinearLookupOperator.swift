import CKernels

/// com.microsoft QLinearSigmoid and QLinearLeakyRelu: Y = quantize(f(dequantize(X))),
/// applied through a 256-entry table (every possible input byte). The table is built
/// at planning when the scales and zero points are constant, else at the start of
/// each run (256 evaluations). Inputs: X, X_scale, X_zero_point?, Y_scale, Y_zero_point?
///
/// With the attribute `outpost.mul_by_input` (QLinearSiLUFusion: a QLinearSigmoid whose
/// only reader was QLinearMul(x, sigmoid(x))) six more inputs follow, the Mul's A_scale,
/// A_zero_point, B_scale, B_zero_point, C_scale, C_zero_point (constants), and the table
/// is T[b] = qmul(b, sig[b]) (x as the Mul's A when the attribute is 0, as B when 1),
/// computed with ok_qmul, the kernel QLinearMul runs: the output bytes are the pair's.
final class QLinearLookupOperator: Operator {
    enum Kind { case sigmoid, leakyRelu }
    let kind: Kind
    let alpha: Float
    /// nil, or the operand of the fused QLinearMul that x is (0: A, 1: B).
    private let mulByInput: Int?
    private var table = Buffer(zeroedBytes: 256)
    private var tableIsConstant = false
    private var type = DType.uint8

    init(node: Node, opset: Int, kind: Kind) throws(OutpostError) {
        self.kind = kind
        alpha = try node.float("alpha", default: 0.01)
        mulByInput = kind == .sigmoid ? try node.int(QLinearSiLUFusion.attribute) : nil
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        try requireQuantized(x, "input X")
        let xs = try required(inputs, 1), ys = try required(inputs, 3)
        try requireScale(xs, "X_scale"); try requireScalar(xs, "X_scale")
        try requireScale(ys, "Y_scale"); try requireScalar(ys, "Y_scale")
        let xz = optionalInput(inputs, 2), yz = optionalInput(inputs, 4)
        try requireSameType(xz, x, "X_zero_point"); try requireScalar(xz, "X_zero_point")
        try requireSameType(yz, x, "Y_zero_point"); try requireScalar(yz, "Y_zero_point")
        type = x.dtype
        tableIsConstant = false
        if mulByInput != nil {
            // The fused Mul's parameters: constant scalars (the pass checked they are initializers).
            var mul = [Tensor?]()
            for (i, what) in [(5, "A_scale"), (6, "A_zero_point"), (7, "B_scale"), (8, "B_zero_point"), (9, "C_scale"),
                              (10, "C_zero_point")] {
                let v = optionalInput(inputs, i)
                if i % 2 == 1 {
                    let s = try required(inputs, i)
                    try requireScale(s, what); try requireScalar(s, what)
                    guard let c = s.constant else { throw node.unsupported(what, "must be a constant") }
                    mul.append(c)
                } else {
                    try requireSameType(v, x, what); try requireScalar(v, what)
                    if v != nil && v?.constant == nil { throw node.unsupported(what, "must be a constant") }
                    mul.append(v?.constant)
                }
            }
            guard let xsc = xs.constant, let ysc = ys.constant, xz == nil || xz?.constant != nil,
                  yz == nil || yz?.constant != nil, let a = mul[0], let b = mul[2], let c = mul[4] else {
                throw node.unsupported("X_scale", "the fused SiLU needs constant scales and zero points")
            }
            build(xsc, xz?.constant, ysc, yz?.constant)
            composeMul(a, mul[1], b, mul[3], c, mul[5])
            tableIsConstant = true
            return [TensorType(x.dtype, x.shape)]
        }
        if let xsc = xs.constant, let ysc = ys.constant, xz == nil || xz?.constant != nil, yz == nil || yz?.constant != nil {
            build(xsc, xz?.constant, ysc, yz?.constant)
            tableIsConstant = true
        }
        return [TensorType(x.dtype, x.shape)]
    }

    private func build(_ xs: Tensor, _ xz: Tensor?, _ ys: Tensor, _ yz: Tensor?) {
        ok_qlut_build(Int32(kind == .sigmoid ? OK_QLUT_SIGMOID : OK_QLUT_LEAKY_RELU), alpha, QuantType.code(type),
                      quantScale(xs), quantZeroPoint(xz), quantScale(ys), quantZeroPoint(yz),
                      table.base.assumingMemoryBound(to: UInt8.self))
    }

    /// table[b] = QLinearMul(b, table[b]) (or with the operands swapped), through ok_qmul
    /// with the parameters QLinearBinaryOperator computes (same expressions).
    private func composeMul(_ sa: Tensor, _ za: Tensor?, _ sb: Tensor, _ zb: Tensor?, _ sc: Tensor, _ zc: Tensor?) {
        let fa = quantScale(sa), fb = quantScale(sb), fc = quantScale(sc)
        var p = ok_qbinary_params()
        p.a_scale = fa * fb / fc
        p.b_scale = 0
        p.a_zero_point = quantZeroPoint(za)
        p.b_zero_point = quantZeroPoint(zb)
        p.c_zero_point = quantZeroPoint(zc)
        p.qmin = QuantType.qmin(type)
        p.qmax = QuantType.qmax(type)
        let t = table.base.assumingMemoryBound(to: UInt8.self)
        var bytes = [UInt8](repeating: 0, count: 256), sig = [UInt8](repeating: 0, count: 256)
        for i in 0..<256 {
            bytes[i] = UInt8(i)
            sig[i] = t[i]
        }
        let xIsA = mulByInput == 0
        ok_qmul(xIsA ? bytes : sig, 1, xIsA ? sig : bytes, 1, t, QuantType.code(type), 256, &p)
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        if !tableIsConstant, let xs = inputs[1], let ys = inputs[3] {
            build(xs, optionalTensor(inputs, 2), ys, optionalTensor(inputs, 4))
        }
        ok_qlut_apply_pool(UnsafeMutableRawPointer(ctx.pool), table.base.assumingMemoryBound(to: UInt8.self), x.pointer(UInt8.self),
                      outputs[0].pointer(UInt8.self), x.count)
    }
}
