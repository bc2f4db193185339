/// GatherND with batch_dims: each index tuple (last axis of indices) picks a slice
/// of data; negative indices count from the end, out-of-range ones fail the run
/// with an error naming the node.
final class GatherNDOperator: Operator {
    private var batches = 1
    private var tuplesPerBatch = 0
    private var tupleLength = 0
    private var sliceBytes = 0
    private var batchBytes = 0
    /// Data dims and element strides addressed by an index tuple (after batch_dims).
    private var dims = [Int]()
    private var strides = [Int]()
    private var elementSize = 1

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        let idx = try required(inputs, 1)
        try requireDType(idx, [.int64, .int32], "indices")
        let b = try node.int("batch_dims", default: 0)
        let r = x.shape.count, q = idx.shape.count
        guard q >= 1, r >= 1, b >= 0, b < min(q, r) else { throw node.shapeError("batch_dims \(b) does not fit data rank \(r) and indices rank \(q)") }
        let k = idx.shape[q - 1]
        guard k >= 1, k <= r - b else { throw node.shapeError("index tuples of length \(k) do not fit data \(shape: x.shape) with batch_dims \(b)") }
        for i in 0..<b where x.shape[i] != idx.shape[i] {
            throw node.shapeError("batch dims of data \(shape: x.shape) and indices \(shape: idx.shape) differ")
        }
        batches = 1
        for d in x.shape.prefix(b) { batches *= d }
        tuplesPerBatch = 1
        for d in idx.shape[b..<(q - 1)] { tuplesPerBatch *= d }
        tupleLength = k
        var slice = 1
        for d in x.shape[(b + k)...] { slice *= d }
        elementSize = x.dtype.size
        sliceBytes = slice * elementSize
        var perBatch = 1
        for d in x.shape[b...] { perBatch *= d }
        batchBytes = perBatch * elementSize
        dims = Array(x.shape[b..<(b + k)])
        let all = Tensor.strides(of: x.shape)
        strides = Array(all[b..<(b + k)])
        return [TensorType(x.dtype, Array(idx.shape.prefix(q - 1)) + Array(x.shape[(b + k)...]))]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0], let idx = inputs[1] else { return }
        var dst = outputs[0].raw
        var t = 0
        for batch in 0..<batches {
            let base = x.raw + batch * batchBytes
            for _ in 0..<tuplesPerBatch {
                var offset = 0
                for j in 0..<tupleLength {
                    var i = idx.integer(at: t * tupleLength + j)
                    if i < -dims[j] || i >= dims[j] {
                        throw .execution(node: node.displayName, op: node.opType,
                                         reason: String(outlined: "index \(i) in tuple \(t) is out of range for a dimension of size \(dims[j])"))
                    }
                    if i < 0 { i += dims[j] }
                    offset += i * strides[j]
                }
                dst.copyMemory(from: base + offset * elementSize, byteCount: sliceBytes)
                dst += sliceBytes
                t += 1
            }
        }
    }
}
