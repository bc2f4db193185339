/// Shape (with opset-15 start/end) and Size: their outputs depend only on the
/// input's shape, so they are constants at planning (`constantOutputs`).
final class ShapeOperator: Operator {
    enum Kind { case shape, size }
    let kind: Kind

    init(node: Node, opset: Int, kind: Kind) {
        self.kind = kind
        super.init(node: node, opset: opset)
    }

    private func values(_ x: ValueType) throws(OutpostError) -> [Int] {
        if kind == .size { return [x.count] }
        let rank = x.shape.count
        var start = try node.int("start", default: 0)
        var end = try node.int("end", default: rank)
        if start < 0 { start += rank }
        if end < 0 { end += rank }
        start = min(max(start, 0), rank)
        end = min(max(end, 0), rank)
        return end > start ? Array(x.shape[start..<end]) : []
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        return [TensorType(.int64, kind == .size ? [] : [try values(x).count])]
    }

    override func constantOutputs(_ inputs: [ValueType?]) throws(OutpostError) -> [Tensor]? {
        let x = try required(inputs, 0)
        let v = try values(x)
        var out = [Int64]()
        for d in v { out.append(Int64(d)) }
        return [Tensor(shape: kind == .size ? [] : [v.count], int64s: out)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        let y = outputs[0].pointer(Int64.self)
        switch kind {
        case .size: y[0] = Int64(x.count)
        case .shape:
            let v = try values(ValueType(dtype: x.dtype, shape: x.shape))
            for (i, d) in v.enumerated() { y[i] = Int64(d) }
        }
    }
}
