/// DepthToSpace (DCR and CRD modes) and SpaceToDepth: a reshape to 6-D, a fixed
/// transpose and a reshape back, done as one strided gather.
final class DepthToSpaceOperator: Operator {
    let toSpace: Bool
    private var gather: AxisGather?

    init(node: Node, opset: Int, toSpace: Bool) {
        self.toSpace = toSpace
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        guard x.shape.count == 4 else { throw node.shapeError("input must be 4-D NCHW, got \(shape: x.shape)") }
        let b = try node.int("blocksize", default: 0)
        guard b > 0 else { throw node.invalid("blocksize must be positive") }
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        let shape6: [Int], perm: [Int], outShape: [Int]
        if toSpace {
            guard c % (b * b) == 0 else { throw node.shapeError("channels \(c) not divisible by blocksize² \(b * b)") }
            let mode = try node.string("mode", default: "DCR")
            if mode == "DCR" {
                shape6 = [n, b, b, c / (b * b), h, w]
                perm = [0, 3, 4, 1, 5, 2]
            } else if mode == "CRD" {
                shape6 = [n, c / (b * b), b, b, h, w]
                perm = [0, 1, 4, 2, 5, 3]
            } else {
                throw node.unsupported("mode", "'\(mode)' is not DCR or CRD")
            }
            outShape = [n, c / (b * b), h * b, w * b]
        } else {
            guard h % b == 0, w % b == 0 else { throw node.shapeError("H and W must be divisible by blocksize \(b)") }
            shape6 = [n, c, h / b, b, w / b, b]
            perm = [0, 3, 5, 1, 2, 4]
            outShape = [n, c * b * b, h / b, w / b]
        }
        let strides6 = Tensor.strides(of: shape6)
        var out6 = [Int](), st = [Int](), start = [Int](), step = [Int]()
        for p in perm {
            out6.append(shape6[p])
            st.append(strides6[p])
            start.append(0)
            step.append(1)
        }
        gather = AxisGather(outShape: out6, start: start, step: step, strides: st, elementSize: x.dtype.size)
        return [TensorType(x.dtype, outShape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0], let g = gather else { return }
        g.run(outputs[0].raw, x.raw, fill: x.raw)
    }
}
