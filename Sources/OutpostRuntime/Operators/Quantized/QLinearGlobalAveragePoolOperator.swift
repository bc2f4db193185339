import CKernels

/// com.microsoft QLinearGlobalAveragePool: the mean over every spatial position of each
/// channel, requantized: Y = saturate(round((sum(X) - x_zero_point * S) * x_scale / y_scale / S)
/// + y_zero_point). `channels_last` = 1 reads [N, spatial..., C] and writes [N, 1..., C];
/// else [N, C, spatial...] -> [N, C, 1...].
/// Inputs: X, x_scale, x_zero_point, y_scale, y_zero_point.
final class QLinearGlobalAveragePoolOperator: Operator {
    let channelsLast: Bool
    private var batch = 0, channels = 0, spatial = 0
    private var type = DType.uint8

    init(_ node: Node, opset: Int) throws(OutpostError) {
        channelsLast = try node.int("channels_last", default: 0) != 0
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try AveragePoolRequantization.checkOperands(self, inputs)
        let rank = x.shape.count
        if rank < 3 { throw node.shapeError("X must have rank >= 3, got \(shape: x.shape)") }
        type = x.dtype
        batch = x.shape[0]
        var out = x.shape
        if channelsLast {
            channels = x.shape[rank - 1]
            spatial = Tensor.elementCount(Array(x.shape[1..<(rank - 1)]))
            for i in 1..<(rank - 1) { out[i] = 1 }
        } else {
            channels = x.shape[1]
            spatial = Tensor.elementCount(Array(x.shape[2...]))
            for i in 2..<rank { out[i] = 1 }
        }
        if spatial == 0 && batch * channels > 0 { throw node.shapeError("X has no spatial positions") }
        planned = AveragePoolRequantization.planned(self, inputs, count: spatial)
        return [TensorType(x.dtype, out)]
    }

    /// Multiplier and zero points from constant operands, computed once at planning.
    private var planned: AveragePoolRequantization?

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let (q, x, y) = AveragePoolRequantization.operands(planned, count: spatial, inputs, outputs, ctx) else { return }
        ok_qglobal_avgpool(x, y, QuantType.code(type), batch, channels, spatial, channelsLast ? 1 : 0, q.xz, q.multiplier,
                           q.yz)
    }
}

/// The requantization of the QLinear average pools (global and windowed): multiplier
/// x_scale / y_scale / count (the elements averaged) and the two zero points.
struct AveragePoolRequantization {
    let multiplier: Float
    let xz: Int32
    let yz: Int32

    init(_ xs: Tensor, _ xz: Tensor?, _ ys: Tensor, _ yz: Tensor?, count: Int) {
        multiplier = quantScale(xs) / quantScale(ys) / Float(count)
        self.xz = quantZeroPoint(xz)
        self.yz = quantZeroPoint(yz)
    }

    /// Checks X (quantized), the scalar scales and the zero points of X's type; returns X.
    static func checkOperands(_ op: Operator, _ inputs: [ValueType?]) throws(OutpostError) -> ValueType {
        let x = try op.required(inputs, 0)
        try op.requireQuantized(x, "input X")
        let xs = try op.required(inputs, 1), ys = try op.required(inputs, 3)
        try op.requireScale(xs, "x_scale"); try op.requireScalar(xs, "x_scale")
        try op.requireScale(ys, "y_scale"); try op.requireScalar(ys, "y_scale")
        let xz = op.optionalInput(inputs, 2), yz = op.optionalInput(inputs, 4)
        try op.requireSameType(xz, x, "x_zero_point"); try op.requireScalar(xz, "x_zero_point")
        try op.requireSameType(yz, x, "y_zero_point"); try op.requireScalar(yz, "y_zero_point")
        return x
    }

    /// From constant operands (inputs 1-4: x_scale, x_zero_point, y_scale, y_zero_point)
    /// at planning; nil when one is computed.
    static func planned(_ op: Operator, _ inputs: [ValueType?], count: Int) -> AveragePoolRequantization? {
        guard op.constantOrOmitted(inputs, [1, 2, 3, 4]), let xs = inputs[1]?.constant, let ys = inputs[3]?.constant
        else { return nil }
        return AveragePoolRequantization(xs, op.optionalInput(inputs, 2)?.constant, ys,
                                         op.optionalInput(inputs, 4)?.constant, count: count)
    }

    /// A run's requantization and X / Y bytes: planned and through the step's pointers, or
    /// from the Tensors; nil when there is nothing to compute.
    static func operands(_ planned: AveragePoolRequantization?, count: Int, _ inputs: [Tensor?], _ outputs: [Tensor],
                         _ ctx: ExecutionContext)
        -> (AveragePoolRequantization, UnsafeMutableRawPointer, UnsafeMutableRawPointer)? {
        if let p = planned, let step = ctx.step, let xp = step.input(0) { return (p, xp, step.output(0)) }
        guard let xt = inputs[0], let xs = inputs[1], let ys = inputs[3], outputs[0].count > 0 else { return nil }
        let yz = inputs.count > 4 ? inputs[4] : nil
        return (AveragePoolRequantization(xs, inputs[2], ys, yz, count: count), xt.raw, outputs[0].raw)
    }
}
