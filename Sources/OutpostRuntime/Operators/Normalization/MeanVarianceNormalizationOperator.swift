/// MeanVarianceNormalization: (x - mean) / (sqrt(mean(x²) - mean²) + 1e-9) over
/// `axes` (default [0, 2, 3]), as the ONNX reference computes it.
final class MeanVarianceNormalizationOperator: Operator {
    private let axesAttr: [Int]
    private var keptOffsets: [Int] = []
    private var reducedOffsets: [Int] = []

    init(parsing node: Node, opset: Int) throws(OutpostError) {
        axesAttr = try node.ints("axes") ?? [0, 2, 3]
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try requireFloat(inputs, 0)
        let rank = x.shape.count
        var reduced = [Bool](repeating: false, count: rank)
        for a in axesAttr { reduced[try normalizedAxis(a, rank: rank)] = true }
        let strides = Tensor.strides(of: x.shape)
        var ks = [Int](), kt = [Int](), rs = [Int](), rt = [Int]()
        for i in 0..<rank {
            if reduced[i] { rs.append(x.shape[i]); rt.append(strides[i]) } else { ks.append(x.shape[i]); kt.append(strides[i]) }
        }
        keptOffsets = ReduceOperator.offsets(ks, kt)
        reducedOffsets = ReduceOperator.offsets(rs, rt)
        return [TensorType(.float32, x.shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        let src = x.floats, dst = outputs[0].floats
        let r = reducedOffsets.count
        keptOffsets.withUnsafeBufferPointer { kept in
            reducedOffsets.withUnsafeBufferPointer { red in
                for o in 0..<kept.count {
                    let s = src + kept[o], d = dst + kept[o]
                    var sum = 0.0, sq = 0.0
                    for i in 0..<r { let v = Double(s[red[i]]); sum += v; sq += v * v }
                    let mean = sum / Double(max(r, 1))
                    let variance = max(sq / Double(max(r, 1)) - mean * mean, 0)
                    let denom = Float(variance.squareRoot() + 1e-9)
                    let m = Float(mean)
                    for i in 0..<r { d[red[i]] = (s[red[i]] - m) / denom }
                }
            }
        }
    }
}
