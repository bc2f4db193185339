import CKernels

/// LayerNormalization (opset 17): normalises over dimensions axis..<rank;
/// Scale and the optional B broadcast to those dimensions. Optional outputs
/// Mean and InvStdDev have shape X.shape[..<axis] + [1, ...]. Statistics are
/// accumulated in double. RMSNormalization (opset 23) is the same walk without
/// the mean: y = x / sqrt(mean(x²) + eps) * scale.
final class LayerNormalizationOperator: Operator {
    private let rms: Bool
    private let axisAttr: Int
    private let epsilon: Float
    private var rows = 0, size = 0
    private var scaleOffsets: [Int] = []
    private var biasOffsets: [Int] = []
    private var scaleContiguous = true, biasContiguous = true

    init(parsing node: Node, opset: Int, rms: Bool = false) throws(OutpostError) {
        self.rms = rms
        axisAttr = try node.int("axis", default: -1)
        epsilon = try node.float("epsilon", default: 1e-5)
        super.init(node: node, opset: opset)
    }

    private func offsets(_ shape: [Int], _ normShape: [Int], _ what: String) throws(OutpostError) -> [Int] {
        var s = shape
        while s.count > normShape.count, s.first == 1 { s.removeFirst() }
        guard s.count <= normShape.count, let b = Broadcast.shape(s, normShape), b == normShape else {
            throw node.shapeError("\(what) \(shape: shape) does not broadcast to the normalised shape \(shape: normShape)")
        }
        return ReduceOperator.offsets(normShape, Broadcast.strides(of: s, broadcastTo: normShape))
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try requireFloat(inputs, 0)
        let scale = try requireFloat(inputs, 1)
        let rank = x.shape.count
        let axis = try normalizedAxis(axisAttr, rank: rank)
        let normShape = Array(x.shape[axis...])
        rows = Tensor.elementCount(Array(x.shape[..<axis]))
        size = Tensor.elementCount(normShape)
        scaleOffsets = try offsets(scale.shape, normShape, "Scale")
        scaleContiguous = scale.count == size
        biasOffsets = []
        biasContiguous = true
        if inputs.count > 2, inputs[2] != nil {
            let b = try requireFloat(inputs, 2)
            biasOffsets = try offsets(b.shape, normShape, "B")
            biasContiguous = b.count == size
        }
        var statShape = Array(x.shape[..<axis])
        for _ in axis..<rank { statShape.append(1) }
        var out = [TensorType(.float32, x.shape)]
        if rms { return out }
        if node.outputs.count > 1 { out.append(TensorType(.float32, statShape)) }
        if node.outputs.count > 2 { out.append(TensorType(.float32, statShape)) }
        return out
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0], let scale = inputs[1] else { return }
        let bias: Tensor? = inputs.count > 2 ? inputs[2] : nil
        let src = x.floats, dst = outputs[0].floats, ps = scale.floats
        let pb = bias?.floats
        let meanOut: UnsafeMutablePointer<Float>? = outputs.count > 1 ? outputs[1].floats : nil
        let invOut: UnsafeMutablePointer<Float>? = outputs.count > 2 ? outputs[2].floats : nil
        let n = size
        scaleOffsets.withUnsafeBufferPointer { so in
            biasOffsets.withUnsafeBufferPointer { bo in
                for r in 0..<rows {
                    let s = src + r * n, d = dst + r * n
                    if scaleContiguous && (pb == nil || biasContiguous) {
                        // Row kernels: two passes (mean, then squared deviations) in C.
                        let m = rms ? 0 : ok_sum_f32(s, n) / Float(max(n, 1))
                        let variance = ok_sumsq_f32(s, n, m) / Float(max(n, 1))
                        let inv = 1 / (variance + epsilon).squareRoot()
                        ok_norm_row_f32(s, d, n, m, inv, ps, pb)
                        meanOut?[r] = m
                        invOut?[r] = inv
                        continue
                    }
                    var sum = 0.0
                    for i in 0..<n { sum += Double(s[i]) }
                    let mean = rms ? 0 : sum / Double(max(n, 1))
                    var sq = 0.0
                    for i in 0..<n { let v = Double(s[i]) - mean; sq += v * v }
                    let variance = sq / Double(max(n, 1))
                    let inv = Float(1 / (variance + Double(epsilon)).squareRoot())
                    let m = Float(mean)
                    if scaleContiguous {
                        for i in 0..<n { d[i] = (s[i] - m) * inv * ps[i] }
                    } else {
                        for i in 0..<n { d[i] = (s[i] - m) * inv * ps[so[i]] }
                    }
                    if let pb {
                        if biasContiguous { for i in 0..<n { d[i] += pb[i] } }
                        else { for i in 0..<n { d[i] += pb[bo[i]] } }
                    }
                    meanOut?[r] = m
                    invOut?[r] = inv
                }
            }
        }
    }
}
