/// GatherElements: out[i] = data[i with coordinate `axis` replaced by indices[i]].
final class GatherElementsOperator: Operator {
    private var axisDim = 0
    /// Element strides of indices/output, and of data, per axis.
    private var outStrides = [Int]()
    private var dataStrides = [Int]()
    private var axis = 0
    private var elementSize = 1

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        let idx = try required(inputs, 1)
        try requireDType(idx, [.int64, .int32], "indices")
        let rank = x.shape.count
        guard idx.shape.count == rank, rank > 0 else {
            throw node.shapeError("indices \(shape: idx.shape) must have the rank of data \(shape: x.shape)")
        }
        axis = try normalizedAxis(try node.int("axis", default: 0), rank: rank)
        for k in 0..<rank where k != axis && idx.shape[k] > x.shape[k] {
            throw node.shapeError("indices \(shape: idx.shape) exceed data \(shape: x.shape) on axis \(k)")
        }
        axisDim = x.shape[axis]
        outStrides = Tensor.strides(of: idx.shape)
        dataStrides = Tensor.strides(of: x.shape)
        elementSize = x.dtype.size
        return [TensorType(x.dtype, idx.shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0], let idx = inputs[1] else { return }
        let y = outputs[0]
        let es = elementSize
        for e in 0..<y.count {
            var i = idx.integer(at: e)
            if i < -axisDim || i >= axisDim {
                throw .execution(node: node.displayName, op: node.opType,
                                 reason: String(outlined: "index \(i) at position \(e) is out of range for an axis of size \(axisDim)"))
            }
            if i < 0 { i += axisDim }
            var rest = e, src = 0
            for k in 0..<outStrides.count {
                let c = rest / outStrides[k]
                rest -= c * outStrides[k]
                src += (k == axis ? i : c) * dataStrides[k]
            }
            (y.raw + e * es).copyMemory(from: x.raw + src * es, byteCount: es)
        }
    }
}
