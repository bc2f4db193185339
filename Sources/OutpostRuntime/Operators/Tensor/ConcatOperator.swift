import CKernels

/// Concat along `axis`: per outer index, each input contributes one contiguous block.
final class ConcatOperator: Operator {
    private var outer = 1
    /// Bytes each input contributes per outer index, in input order (nil inputs: 0).
    private var blockBytes = [Int]()

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let first = try required(inputs, 0)
        let rank = first.shape.count
        let axis = try normalizedAxis(try node.int("axis", default: opset < 4 ? 1 : 0), rank: rank)
        var shape = first.shape
        shape[axis] = 0
        blockBytes = []
        var inner = 1
        for d in first.shape.dropFirst(axis + 1) { inner *= d }
        for v in inputs {
            guard let v else { blockBytes.append(0); continue }
            guard v.dtype == first.dtype else {
                throw node.shapeError("inputs mix \(first.dtype.name) and \(v.dtype.name)")
            }
            guard v.shape.count == rank else {
                throw node.shapeError("input shapes \(shape: first.shape) and \(shape: v.shape) have different ranks")
            }
            for k in 0..<rank where k != axis && v.shape[k] != first.shape[k] {
                throw node.shapeError("input shapes \(shape: first.shape) and \(shape: v.shape) differ outside axis \(axis)")
            }
            shape[axis] += v.shape[axis]
            blockBytes.append(v.shape[axis] * inner * v.dtype.size)
        }
        outer = 1
        for d in first.shape.prefix(axis) { outer *= d }
        return [TensorType(first.dtype, shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        // One strided copy per input (see SplitOperator.run).
        var outputBlock = 0
        for n in blockBytes { outputBlock += n }
        var offset = 0
        for i in 0..<inputs.count {
            let n = blockBytes[i]
            guard n > 0, let x = inputs[i] else { continue }
            ok_copy_blocks(outputs[0].raw + offset, outputBlock, x.raw, n, n, Int64(outer))
            offset += n
        }
    }
}
