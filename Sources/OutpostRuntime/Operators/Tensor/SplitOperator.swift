import CKernels

/// Split along `axis` into parts given by `split` (attribute before opset 13,
/// input after), or into `num_outputs` (opset 18) / as many outputs as the node
/// has, equal parts (the last one smaller when it does not divide).
final class SplitOperator: Operator {
    private var outer = 1
    private var inputBlock = 0
    private var partBytes = [Int]()

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        let axis = try normalizedAxis(try node.int("axis", default: 0), rank: x.shape.count)
        let dim = x.shape[axis]
        var sizes: [Int]
        if let s = try intsFromAttributeOrInput("split", inputs, 1) {
            sizes = s
            var total = 0
            for v in s {
                guard v >= 0 else { throw node.shapeError("negative split size \(v)") }
                total += v
            }
            guard total == dim else {
                throw node.shapeError("split sizes add up to \(total) but axis \(axis) has \(dim)")
            }
        } else {
            let parts = try node.int("num_outputs", default: node.outputs.count)
            guard parts > 0 else { throw node.invalid("no outputs to split into") }
            let chunk = (dim + parts - 1) / parts
            sizes = []
            var left = dim
            for _ in 0..<parts {
                let n = min(chunk, left)
                sizes.append(n)
                left -= n
            }
        }
        guard sizes.count == node.outputs.count else {
            throw node.shapeError("\(sizes.count) parts for \(node.outputs.count) outputs")
        }
        var inner = 1
        for d in x.shape.dropFirst(axis + 1) { inner *= d }
        outer = 1
        for d in x.shape.prefix(axis) { outer *= d }
        inputBlock = dim * inner * x.dtype.size
        partBytes = []
        var out = [TensorType]()
        for n in sizes {
            var s = x.shape
            s[axis] = n
            out.append(TensorType(x.dtype, s))
            partBytes.append(n * inner * x.dtype.size)
        }
        return out
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        // One strided copy per output (outer blocks of partBytes[i], inputBlock apart):
        // a per-block loop here cost ~25 ns a block on yolo's head splits (1,200
        // blocks of 4-8 bytes per part).
        var offset = 0
        for i in 0..<outputs.count {
            let n = partBytes[i]
            ok_copy_blocks(outputs[i].raw, n, x.raw + offset, inputBlock, n, Int64(outer))
            offset += n
        }
    }
}
