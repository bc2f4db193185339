/// LpNormalization: x / ||x||_p along `axis` (p = 1 or 2).
final class LpNormalizationOperator: Operator {
    private let axisAttr: Int
    private let p: Int
    private var outer = 0, n = 0, inner = 0

    init(parsing node: Node, opset: Int) throws(OutpostError) {
        axisAttr = try node.int("axis", default: -1)
        p = try node.int("p", default: 2)
        if p != 1 && p != 2 { throw node.unsupported("p", "p = \(p); only 1 and 2 are defined") }
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try requireFloat(inputs, 0)
        let a = try normalizedAxis(axisAttr, rank: x.shape.count)
        outer = Tensor.elementCount(Array(x.shape[..<a]))
        n = x.shape.isEmpty ? 1 : x.shape[a]
        inner = x.shape.isEmpty ? 1 : Tensor.elementCount(Array(x.shape[(a + 1)...]))
        return [TensorType(.float32, x.shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        let src = x.floats, dst = outputs[0].floats
        for o in 0..<outer {
            for j in 0..<inner {
                let base = o * n * inner + j
                var acc: Float = 0
                for k in 0..<n {
                    let v = src[base + k * inner]
                    acc += p == 1 ? (v < 0 ? -v : v) : v * v
                }
                var norm = p == 1 ? acc : acc.squareRoot()
                if norm == 0 { norm = 1 }  // all-zero slices stay zero (as the ONNX reference does)
                for k in 0..<n { dst[base + k * inner] = src[base + k * inner] / norm }
            }
        }
    }
}
