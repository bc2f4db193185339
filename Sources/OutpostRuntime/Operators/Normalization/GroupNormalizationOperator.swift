/// GroupNormalization: channels split into `num_groups` groups; each (batch,
/// group) is normalised over its channels and spatial positions, then scaled per
/// channel (opset 21: scale/bias have C entries) or per group (opset 18: scale/bias
/// have num_groups entries).
final class GroupNormalizationOperator: Operator {
    private let epsilon: Float
    private let groups: Int
    private var batches = 0, channels = 0, spatial = 0, perGroupScale = false

    init(parsing node: Node, opset: Int) throws(OutpostError) {
        epsilon = try node.float("epsilon", default: 1e-5)
        guard let g = try node.int("num_groups"), g > 0 else { throw node.invalid("attribute 'num_groups' (> 0) is required") }
        groups = g
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try requireFloat(inputs, 0)
        guard x.shape.count >= 2 else { throw node.shapeError("X must have rank >= 2, got \(shape: x.shape)") }
        batches = x.shape[0]
        channels = x.shape[1]
        spatial = Tensor.elementCount(Array(x.shape[2...]))
        if channels % groups != 0 { throw node.shapeError("\(channels) channels do not split into \(groups) groups") }
        let scale = try requireFloat(inputs, 1), bias = try requireFloat(inputs, 2)
        perGroupScale = scale.count == groups && groups != channels
        let expected = perGroupScale ? groups : channels
        if scale.count != expected || bias.count != expected {
            throw node.shapeError("scale \(shape: scale.shape) and bias \(shape: bias.shape) must have \(channels) (or \(groups)) entries")
        }
        return [TensorType(.float32, x.shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0], let scale = inputs[1], let bias = inputs[2] else { return }
        let src = x.floats, dst = outputs[0].floats, ps = scale.floats, pb = bias.floats
        let cpg = channels / groups, size = cpg * spatial
        for b in 0..<batches {
            for g in 0..<groups {
                let off = (b * channels + g * cpg) * spatial
                let s = src + off, d = dst + off
                var sum = 0.0
                for i in 0..<size { sum += Double(s[i]) }
                let mean = sum / Double(max(size, 1))
                var sq = 0.0
                for i in 0..<size { let v = Double(s[i]) - mean; sq += v * v }
                let inv = Float(1 / (sq / Double(max(size, 1)) + Double(epsilon)).squareRoot())
                let m = Float(mean)
                for c in 0..<cpg {
                    let ch = perGroupScale ? g : g * cpg + c
                    let a = ps[ch], bc = pb[ch]
                    for i in (c * spatial)..<((c + 1) * spatial) { d[i] = (s[i] - m) * inv * a + bc }
                }
            }
        }
    }
}
