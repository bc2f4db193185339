import CKernels

/// Local response normalisation across channels:
/// y = x / (bias + alpha / size * Σ x²over the channel window)^beta.
final class LRNOperator: Operator {
    private let alpha: Float, beta: Float, bias: Float
    private let size: Int
    private var batches = 0, channels = 0, spatial = 0

    init(parsing node: Node, opset: Int) throws(OutpostError) {
        alpha = try node.float("alpha", default: 1e-4)
        beta = try node.float("beta", default: 0.75)
        bias = try node.float("bias", default: 1.0)
        guard let s = try node.int("size"), s > 0 else { throw node.invalid("attribute 'size' (> 0) is required") }
        size = s
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try requireFloat(inputs, 0)
        guard x.shape.count >= 2 else { throw node.shapeError("X must have rank >= 2, got \(shape: x.shape)") }
        batches = x.shape[0]
        channels = x.shape[1]
        spatial = Tensor.elementCount(Array(x.shape[2...]))
        return [TensorType(.float32, x.shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        let src = x.floats, dst = outputs[0].floats
        let before = (size - 1) / 2, after = size - 1 - before
        let hw = spatial
        for b in 0..<batches {
            for c in 0..<channels {
                let lo = max(0, c - before), hi = min(channels - 1, c + after)
                for i in 0..<hw {
                    var sq: Float = 0
                    for k in lo...hi { let v = src[(b * channels + k) * hw + i]; sq += v * v }
                    let idx = (b * channels + c) * hw + i
                    let denom = Float(ok_pow_f64(Double(bias + alpha / Float(size) * sq), Double(beta)))
                    dst[idx] = src[idx] / denom
                }
            }
        }
    }
}
