/// Gather along `axis` with int32/int64 indices (negative = from the end). An
/// index out of range fails the run with an error naming the node.
final class GatherOperator: Operator {
    private var outer = 1
    private var axisDim = 0
    private var blockBytes = 0
    private var indexCount = 0

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        let idx = try required(inputs, 1)
        try requireDType(idx, [.int64, .int32], "indices")
        let rank = x.shape.count
        guard rank > 0 else { throw node.shapeError("cannot gather from a scalar") }
        let axis = try normalizedAxis(try node.int("axis", default: 0), rank: rank)
        outer = 1
        for d in x.shape.prefix(axis) { outer *= d }
        var inner = 1
        for d in x.shape.dropFirst(axis + 1) { inner *= d }
        axisDim = x.shape[axis]
        blockBytes = inner * x.dtype.size
        indexCount = idx.count
        var shape = Array(x.shape.prefix(axis))
        shape += idx.shape
        shape += x.shape.dropFirst(axis + 1)
        return [TensorType(x.dtype, shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0], let idx = inputs[1] else { return }
        // Validate every index first so a bad one never leaves a half-written output.
        for j in 0..<indexCount {
            let i = idx.integer(at: j)
            if i < -axisDim || i >= axisDim {
                throw .execution(node: node.displayName, op: node.opType,
                                 reason: String(outlined: "index \(i) at position \(j) is out of range for an axis of size \(axisDim)"))
            }
        }
        var dst = outputs[0].raw
        let n = blockBytes
        for o in 0..<outer {
            let base = x.raw + o * axisDim * n
            for j in 0..<indexCount {
                var i = idx.integer(at: j)
                if i < 0 { i += axisDim }
                dst.copyMemory(from: base + i * n, byteCount: n)
                dst += n
            }
        }
    }
}
