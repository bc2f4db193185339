/// OneHot(indices, depth, values=[off, on]) with `axis` (default -1). Negative
/// indices count from depth; indices outside [-depth, depth) give an all-off row.
final class OneHotOperator: Operator {
    private var depth = 0
    private var outer = 1
    private var inner = 1

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let idx = try required(inputs, 0)
        let depthT = try requiredConstant(inputs, 1, "depth")
        let values = try required(inputs, 2)
        guard values.count == 2 else { throw node.shapeError("values must hold [off, on]") }
        depth = Int(depthT.float(at: 0))
        guard depth > 0 else { throw node.shapeError("depth \(depth) must be positive") }
        let rank = idx.shape.count + 1
        let axis = try normalizedAxis(try node.int("axis", default: -1), rank: rank)
        var shape = idx.shape
        shape.insert(depth, at: axis)
        outer = 1
        for d in idx.shape.prefix(axis) { outer *= d }
        inner = 1
        for d in idx.shape.dropFirst(axis) { inner *= d }
        return [TensorType(values.dtype, shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let idx = inputs[0], let values = inputs[2] else { return }
        let y = outputs[0]
        let es = y.dtype.size
        fillRepeating(y, values.raw)
        let on = values.raw + es
        for o in 0..<outer {
            for j in 0..<inner {
                var i = Int(idx.float(at: o * inner + j))
                if idx.dtype != .float32 && idx.dtype != .float16 { i = idx.integer(at: o * inner + j) }
                if i < 0 { i += depth }
                guard i >= 0, i < depth else { continue }
                (y.raw + ((o * depth + i) * inner + j) * es).copyMemory(from: on, byteCount: es)
            }
        }
    }
}
