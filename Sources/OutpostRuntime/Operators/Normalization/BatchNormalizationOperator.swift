import CKernels

/// BatchNormalization in inference mode: y = (x - mean) / sqrt(var + eps) * scale + B
/// per channel (dimension 1), folded at run time into y = x * a[c] + b[c] with a
/// and b in scratch memory. Training mode (training_mode = 1, or spatial = 0 in
/// opsets 7-8) is reported as unsupported.
final class BatchNormalizationOperator: Operator {
    private let epsilon: Float
    private var batches = 0, channels = 0, spatial = 0

    init(parsing node: Node, opset: Int) throws(OutpostError) {
        epsilon = try node.float("epsilon", default: 1e-5)
        if try node.int("training_mode", default: 0) != 0 {
            throw node.unsupported("training_mode", "only inference (training_mode = 0) is supported")
        }
        if opset < 9, try node.int("spatial", default: 1) == 0 {
            throw node.unsupported("spatial", "spatial = 0 (per-activation statistics) is not supported")
        }
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try requireFloat(inputs, 0)
        guard x.shape.count >= 1 else { throw node.shapeError("X must have rank >= 1") }
        batches = x.shape[0]
        channels = x.shape.count > 1 ? x.shape[1] : 1
        spatial = x.shape.count > 2 ? Tensor.elementCount(Array(x.shape[2...])) : 1
        if x.shape.count == 1 { batches = 1; channels = x.shape[0] }
        for i in 1...4 {
            let p = try requireFloat(inputs, i)
            if p.count != channels {
                throw node.shapeError("input \(i) has shape \(shape: p.shape), expected [\(channels)]")
            }
        }
        return [TensorType(.float32, x.shape)]
    }

    override var scratchBytes: Int { 2 * channels * 4 }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0], let scale = inputs[1], let bias = inputs[2], let mean = inputs[3], let variance = inputs[4] else { return }
        let a = ctx.scratch.assumingMemoryBound(to: Float.self)
        let b = a + channels
        let ps = scale.floats, pb = bias.floats, pm = mean.floats, pv = variance.floats
        for c in 0..<channels {
            let inv = 1 / (pv[c] + epsilon).squareRoot()
            a[c] = ps[c] * inv
            b[c] = pb[c] - pm[c] * ps[c] * inv
        }
        let src = x.floats, dst = outputs[0].floats
        let hw = spatial
        if x.shape.count == 1 {
            for c in 0..<channels { dst[c] = src[c] * a[c] + b[c] }
            return
        }
        for nb in 0..<batches {
            for c in 0..<channels {
                let off = (nb * channels + c) * hw
                ok_affine_f32(src + off, dst + off, hw, a[c], b[c])
            }
        }
    }
}
