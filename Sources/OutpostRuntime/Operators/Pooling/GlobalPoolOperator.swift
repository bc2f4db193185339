import CKernels

/// GlobalAveragePool and GlobalMaxPool (float32): one value per N×C plane.
final class GlobalPoolOperator: Operator {
    let isMax: Bool
    private var planes = 0
    private var planeSize = 0

    init(node: Node, opset: Int, isMax: Bool) {
        self.isMax = isMax
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        try requireDType(x, [.float32], "input")
        guard x.shape.count >= 3 else {
            throw node.shapeError("expected an N×C×… input with spatial dims, got \(shape: x.shape)")
        }
        planes = x.shape[0] * x.shape[1]
        planeSize = planes > 0 ? x.count / planes : 0
        var shape = Array(x.shape.prefix(2))
        for _ in 2..<x.shape.count { shape.append(1) }
        return [TensorType(x.dtype, shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        if isMax {
            ok_global_max_pool_f32(x.floats, outputs[0].floats, Int64(planes), Int64(planeSize), ctx.pool)
        } else {
            ok_global_avg_pool_f32(x.floats, outputs[0].floats, Int64(planes), Int64(planeSize), ctx.pool)
        }
    }
}
