import CKernels

/// InstanceNormalization: per (batch, channel), normalise over the spatial
/// dimensions, then y = x̂ * scale[c] + B[c].
final class InstanceNormalizationOperator: Operator {
    private let epsilon: Float
    private var batches = 0, channels = 0, spatial = 0

    init(parsing node: Node, opset: Int) throws(OutpostError) {
        epsilon = try node.float("epsilon", default: 1e-5)
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try requireFloat(inputs, 0)
        guard x.shape.count >= 2 else { throw node.shapeError("X must have rank >= 2, got \(shape: x.shape)") }
        batches = x.shape[0]
        channels = x.shape[1]
        spatial = Tensor.elementCount(Array(x.shape[2...]))
        for i in 1...2 {
            let p = try requireFloat(inputs, i)
            if p.count != channels { throw node.shapeError("input \(i) has shape \(shape: p.shape), expected [\(channels)]") }
        }
        return [TensorType(.float32, x.shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0], let scale = inputs[1], let bias = inputs[2] else { return }
        let src = x.floats, dst = outputs[0].floats, ps = scale.floats, pb = bias.floats
        let n = spatial
        for b in 0..<batches {
            for c in 0..<channels {
                let s = src + (b * channels + c) * n, d = dst + (b * channels + c) * n
                let m = ok_sum_f32(s, n) / Float(max(n, 1))
                let variance = ok_sumsq_f32(s, n, m) / Float(max(n, 1))
                let a = ps[c] / (variance + epsilon).squareRoot()
                ok_affine_f32(s, d, n, a, pb[c] - m * a)
            }
        }
    }
}
