/// Expand: numpy broadcast of the input to a (constant) shape. Tile: the input
/// repeated `repeats` times per axis. Both are per-axis index maps for AxisGather.
final class ExpandOperator: Operator {
    enum Kind { case expand, tile }
    let kind: Kind
    private var gather: AxisGather?

    init(node: Node, opset: Int, kind: Kind) {
        self.kind = kind
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        let operand = try requiredConstant(inputs, 1, kind == .expand ? "shape" : "repeats").integerValues()
        var outShape: [Int]
        var srcShape = x.shape
        switch kind {
        case .expand:
            guard let s = Broadcast.shape(x.shape, operand) else {
                throw node.shapeError("cannot broadcast \(shape: x.shape) to \(shape: operand)")
            }
            outShape = s
            srcShape = [Int](repeating: 1, count: s.count - x.shape.count) + x.shape
        case .tile:
            guard operand.count == x.shape.count else {
                throw node.shapeError("repeats has \(operand.count) entries for rank \(x.shape.count)")
            }
            outShape = []
            for (k, r) in operand.enumerated() {
                guard r >= 0 else { throw node.shapeError("negative repeat \(r)") }
                outShape.append(x.shape[k] * r)
            }
        }
        var indices = [[Int]]()
        for k in 0..<outShape.count {
            var t = [Int]()
            t.reserveCapacity(outShape[k])
            let d = srcShape[k]
            for i in 0..<outShape[k] { t.append(d == 1 ? 0 : i % d) }
            indices.append(t)
        }
        gather = AxisGather(outShape: outShape, indices: indices, strides: Tensor.strides(of: srcShape),
                            elementSize: x.dtype.size)
        return [TensorType(x.dtype, outShape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0], let g = gather else { return }
        g.run(outputs[0].raw, x.raw, fill: x.raw)
    }
}
