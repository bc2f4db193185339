import CKernels

/// com.microsoft QLinearSoftmax: Y = quantize(Softmax(dequantize(X))). Attribute
/// `opset` (required) says which Softmax it stands for: from 13, softmax along
/// `axis` (default -1); before, the input is coerced to 2-D at `axis` (default 1)
/// and normalised over the flattened trailing block, as onnxruntime does.
/// exp values come from a 256-entry table of exp(-d * X_scale) (d = distance to
/// the maximum), built at planning when X_scale is constant.
/// Inputs: X, X_scale, x_zero_point?, y_scale, y_zero_point.
final class QLinearSoftmaxOperator: Operator {
    let softmaxOpset: Int
    let axis: Int
    private var outer = 0, n = 0, inner = 0
    private var type = DType.uint8
    private var table = Buffer(zeroedBytes: 256 * 4)
    private var tableIsConstant = false

    init(_ node: Node, opset: Int) throws(OutpostError) {
        guard let o = try node.int("opset") else { throw node.invalid("attribute 'opset' is required") }
        softmaxOpset = o
        axis = try node.int("axis", default: o >= 13 ? -1 : 1)
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        try requireQuantized(x, "input X")
        let xs = try required(inputs, 1), ys = try required(inputs, 3)
        try requireScale(xs, "X_scale"); try requireScalar(xs, "X_scale")
        try requireScale(ys, "y_scale"); try requireScalar(ys, "y_scale")
        let xz = optionalInput(inputs, 2), yz = optionalInput(inputs, 4)
        try requireSameType(xz, x, "x_zero_point"); try requireScalar(xz, "x_zero_point")
        try requireSameType(yz, x, "y_zero_point"); try requireScalar(yz, "y_zero_point")
        type = x.dtype
        let rank = x.shape.count
        if rank == 0 {
            outer = 1; n = 1; inner = 1
        } else {
            let a = try normalizedAxis(axis, rank: rank)
            outer = Tensor.elementCount(Array(x.shape[..<a]))
            if softmaxOpset >= 13 {
                n = x.shape[a]
                inner = Tensor.elementCount(Array(x.shape[(a + 1)...]))
            } else {
                n = Tensor.elementCount(Array(x.shape[a...]))
                inner = 1
            }
        }
        tableIsConstant = false
        if let c = xs.constant {
            ok_qsoftmax_table(quantScale(c), table.base.assumingMemoryBound(to: Float.self))
            tableIsConstant = true
        }
        return [TensorType(x.dtype, x.shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0], let xs = inputs[1], let ys = inputs[3] else { return }
        let t = table.base.assumingMemoryBound(to: Float.self)
        if !tableIsConstant { ok_qsoftmax_table(quantScale(xs), t) }
        if x.count == 0 { return }
        ok_qsoftmax(x.raw, outputs[0].raw, QuantType.code(type), outer, n, inner, t,
                    quantScale(ys), quantZeroPoint(optionalTensor(inputs, 4)))
    }
}
