/// ArgMax / ArgMin along one axis → int64 indices (first occurrence, or last
/// with select_last_index), keepdims.
final class ArgReduceOperator: Operator {
    let isMax: Bool
    private let axis: Int
    private let keepDims: Bool
    private let selectLast: Bool
    private var outer = 0, n = 0, inner = 0

    init(node: Node, opset: Int, isMax: Bool) throws(OutpostError) {
        self.isMax = isMax
        axis = try node.int("axis", default: 0)
        keepDims = try node.int("keepdims", default: 1) != 0
        selectLast = try node.int("select_last_index", default: 0) != 0
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        if ![DType.float32, .int32, .int64, .int8, .uint8].contains(x.dtype) { throw unsupportedType(x.dtype, input: 0) }
        let rank = x.shape.count
        let a = try normalizedAxis(axis, rank: rank)
        outer = Tensor.elementCount(Array(x.shape[..<a]))
        n = rank == 0 ? 1 : x.shape[a]
        inner = rank == 0 ? 1 : Tensor.elementCount(Array(x.shape[(a + 1)...]))
        var out = x.shape
        if rank > 0 {
            if keepDims { out[a] = 1 } else { out.remove(at: a) }
        }
        return [TensorType(.int64, out)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        let y = outputs[0].pointer(Int64.self)
        switch x.dtype {
        case .float32: arg(x.pointer(Float.self), y)
        case .int32: arg(x.pointer(Int32.self), y)
        case .int64: arg(x.pointer(Int64.self), y)
        case .int8: arg(x.pointer(Int8.self), y)
        case .uint8: arg(x.pointer(UInt8.self), y)
        default: throw unsupportedType(x.dtype, input: 0)
        }
    }

    private func arg<T: Comparable>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<Int64>) {
        let maxMode = isMax, last = selectLast
        for o in 0..<outer {
            for j in 0..<inner {
                let base = x + o * n * inner + j
                var best = 0
                if n > 0 {
                    var bv = base[0]
                    for k in 1..<max(n, 1) {
                        let v = base[k * inner]
                        let better = maxMode ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv)
                        if better { best = k; bv = v }
                    }
                }
                y[o * inner + j] = Int64(best)
            }
        }
    }
}
