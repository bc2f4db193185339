/// Trilu: keeps the upper (or lower) triangle of the last two dims, offset by k
/// (optional input, read at run time); other elements become zero (all-zero bytes
/// for every dtype).
final class TriluOperator: Operator {
    private var rows = 0, cols = 0, batch = 0, elementSize = 1
    private var upper = true

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        guard x.shape.count >= 2 else { throw node.shapeError("input must have rank >= 2, got \(shape: x.shape)") }
        rows = x.shape[x.shape.count - 2]
        cols = x.shape[x.shape.count - 1]
        batch = rows * cols > 0 ? x.count / (rows * cols) : 0
        elementSize = x.dtype.size
        upper = try node.int("upper", default: 1) != 0
        return [TensorType(x.dtype, x.shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        let y = outputs[0]
        var k = 0
        if inputs.count > 1, let kt = inputs[1] { k = kt.integer(at: 0) }
        copyBytes(y, x)
        let es = elementSize
        for b in 0..<batch {
            let plane = y.raw + b * rows * cols * es
            for i in 0..<rows {
                // Upper keeps j >= i + k; lower keeps j <= i + k.
                let lo: Int, hi: Int  // zeroed column range [lo, hi)
                if upper {
                    lo = 0
                    hi = min(max(i + k, 0), cols)
                } else {
                    lo = min(max(i + k + 1, 0), cols)
                    hi = cols
                }
                if hi > lo {
                    (plane + (i * cols + lo) * es).initializeMemory(as: UInt8.self, repeating: 0, count: (hi - lo) * es)
                }
            }
        }
    }
}
