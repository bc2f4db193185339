import CKernels

/// Softmax, LogSoftmax and Hardmax. From opset 13 they work along `axis`
/// (default -1); before, the input is coerced to 2-D [prod(dims < axis),
/// prod(dims >= axis)] (default axis 1) and normalised over the second dimension.
final class SoftmaxOperator: Operator {
    enum Kind { case softmax, logSoftmax, hardmax }
    let kind: Kind
    let axis: Int
    private var outer = 0, n = 0, inner = 0

    init(node: Node, opset: Int, kind: Kind) throws(OutpostError) {
        self.kind = kind
        axis = try node.int("axis", default: opset >= 13 ? -1 : 1)
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        if x.dtype != .float32 { throw unsupportedType(x.dtype, input: 0) }
        let rank = x.shape.count
        if rank == 0 {
            outer = 1; n = 1; inner = 1
            return [TensorType(x.dtype, x.shape)]
        }
        let a = try normalizedAxis(axis, rank: rank)
        outer = Tensor.elementCount(Array(x.shape[..<a]))
        if opset >= 13 {
            n = x.shape[a]
            inner = Tensor.elementCount(Array(x.shape[(a + 1)...]))
        } else {
            n = Tensor.elementCount(Array(x.shape[a...]))
            inner = 1
        }
        return [TensorType(x.dtype, x.shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = ctx.input(0, inputs) else { return }
        let src = x.assumingMemoryBound(to: Float.self), dst = ctx.output(0, outputs).assumingMemoryBound(to: Float.self)
        switch kind {
        case .softmax: ok_softmax_f32(src, dst, outer, n, inner, 0)
        case .logSoftmax: ok_softmax_f32(src, dst, outer, n, inner, 1)
        case .hardmax:
            for o in 0..<outer {
                for j in 0..<inner {
                    let base = o * n * inner + j
                    var best = 0
                    var bestValue = -Float.infinity
                    for k in 0..<n {
                        let v = src[base + k * inner]
                        if v > bestValue || k == 0 { if k == 0 || v > bestValue { best = k; bestValue = v } }
                        dst[base + k * inner] = 0
                    }
                    if n > 0 { dst[base + best * inner] = 1 }
                }
            }
        }
    }
}
