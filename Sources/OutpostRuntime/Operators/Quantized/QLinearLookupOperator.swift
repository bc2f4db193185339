import CKernels

/// com.microsoft QLinearSigmoid and QLinearLeakyRelu: Y = quantize(f(dequantize(X))),
/// applied through a 256-entry table (every possible input byte). The table is built
/// at planning when the scales and zero points are constant, else at the start of
/// each run (256 evaluations). Inputs: X, X_scale, X_zero_point?, Y_scale, Y_zero_point?
final class QLinearLookupOperator: Operator {
    enum Kind { case sigmoid, leakyRelu }
    let kind: Kind
    let alpha: Float
    private var table = Buffer(zeroedBytes: 256)
    private var tableIsConstant = false
    private var type = DType.uint8

    init(node: Node, opset: Int, kind: Kind) throws(OutpostError) {
        self.kind = kind
        alpha = try node.float("alpha", default: 0.01)
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

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        if !tableIsConstant, let xs = inputs[1], let ys = inputs[3] {
            build(xs, optionalTensor(inputs, 2), ys, optionalTensor(inputs, 4))
        }
        ok_qlut_apply_pool(UnsafeMutableRawPointer(ctx.pool), table.base.assumingMemoryBound(to: UInt8.self), x.pointer(UInt8.self),
                      outputs[0].pointer(UInt8.self), x.count)
    }
}
