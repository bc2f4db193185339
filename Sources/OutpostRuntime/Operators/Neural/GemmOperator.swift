import CKernels

/// ONNX Gemm: Y = act(alpha * A' . B' + beta * C) with A' = transA ? A^T : A,
/// B' = transB ? B^T : B, C broadcast to [M, N]. A constant B (weights) is packed
/// once at planning. C of shape [N] / [1, N] (or [M, 1]) with beta 1 becomes the
/// epilogue bias; other C are written into Y first and accumulated onto.
final class GemmOperator: Operator {
    let alpha: Float
    let beta: Float
    let transA: Bool
    let transB: Bool
    let activation: FusedActivation
    private var M = 0, N = 0, K = 0
    private var packedB: Buffer?
    /// packedB's bytes (read every run without touching the Buffer reference).
    private var packedBase: UnsafeMutableRawPointer?
    private var workspaceBytes = 0
    private enum CMode { case none, biasPerColumn, biasPerRow, prefill }
    private var cMode = CMode.none
    /// C's strides over Y's rows and columns (0 where it broadcasts).
    private var cRowStride = 0, cColStride = 0

    init(node: Node, opset: Int, activation: FusedActivation) throws(OutpostError) {
        alpha = try node.float("alpha", default: 1)
        beta = try node.float("beta", default: 1)
        transA = try node.int("transA", default: 0) != 0
        transB = try node.int("transB", default: 0) != 0
        self.activation = activation
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let a = try required(inputs, 0), b = try required(inputs, 1)
        try requireDType(a, [.float32], "input A")
        try requireDType(b, [.float32], "input B")
        if a.shape.count != 2 || b.shape.count != 2 {
            throw node.shapeError("A \(shape: a.shape) and B \(shape: b.shape) must be matrices")
        }
        M = transA ? a.shape[1] : a.shape[0]
        K = transA ? a.shape[0] : a.shape[1]
        let kb = transB ? b.shape[1] : b.shape[0]
        N = transB ? b.shape[0] : b.shape[1]
        if kb != K {
            throw node.shapeError("inner dimensions differ: A' is [\(M), \(K)], B' is [\(kb), \(N)]")
        }
        cMode = .none
        if let c = inputs.count > 2 ? inputs[2] : nil, beta != 0 {
            try requireDType(c, [.float32], "input C")
            if c.shape.count > 2 { throw node.shapeError("C \(shape: c.shape) has rank > 2") }
            let cm = c.shape.count == 2 ? c.shape[0] : 1
            let cn = c.shape.count >= 1 ? c.shape[c.shape.count - 1] : 1
            if (cm != 1 && cm != M) || (cn != 1 && cn != N) {
                throw node.shapeError("C \(shape: c.shape) does not broadcast to [\(M), \(N)]")
            }
            cRowStride = cm == 1 ? 0 : cn
            cColStride = cn == 1 ? 0 : 1
            if beta == 1 && cm == 1 && cn == N && N > 1 {
                cMode = .biasPerColumn
            } else if beta == 1 && cn == 1 && cm == M && M > 1 {
                cMode = .biasPerRow
            } else {
                cMode = .prefill
            }
        }
        packedB = nil
        packedBase = nil
        if let bc = b.constant {
            let buf = Buffer(zeroedBytes: ok_sgemm_packed_b_size(Int32(K), Int32(N)))
            withPackableFloats(bc, rows: 1, rowScale: nil) { ok_sgemm_pack_b(Int32(K), Int32(N), $0, transB ? 1 : N, transB ? K : 1, buf.base) }
            packedB = buf
            packedBase = buf.base
        }
        workspaceBytes = ok_sgemm_workspace_size(Int32(M), Int32(N), Int32(K), Int32(neuralPlannedThreads))
        return [TensorType(.float32, [M, N])]
    }

    override var scratchBytes: Int { workspaceBytes }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        if let packed = packedBase, ctx.step != nil, cMode != .prefill, let a = ctx.input(0, inputs) {
            // Pointers without Tensor copies (StepPointers; a session skips empty steps).
            var bias: UnsafePointer<Float>? = nil
            var biasKind = OK_BIAS_NONE
            if cMode != .none, let c = ctx.input(2, inputs) {
                bias = UnsafePointer(c.assumingMemoryBound(to: Float.self))
                biasKind = cMode == .biasPerColumn ? OK_BIAS_PER_COL : OK_BIAS_PER_ROW
            }
            var ep = activation.epilogue(bias: bias, biasKind: biasKind, accumulate: false)
            ok_sgemm(neuralPool(ctx), Int32(M), Int32(N), Int32(K), alpha,
                     a.assumingMemoryBound(to: Float.self), transA ? 1 : K, transA ? M : 1, nil,
                     nil, transB ? 1 : N, transB ? K : 1, UnsafeRawPointer(packed),
                     ctx.output(0, outputs).assumingMemoryBound(to: Float.self), N, &ep, ctx.scratch)
            return
        }
        guard let a = inputs[0], let b = inputs[1] else { return }
        let y = outputs[0].floats
        if M == 0 || N == 0 { return }
        var bias: UnsafePointer<Float>? = nil
        var biasKind = OK_BIAS_NONE
        var accumulate = false
        if let c = inputs.count > 2 ? inputs[2] : nil {
            let cp = c.floats
            switch cMode {
            case .none: break
            case .biasPerColumn: bias = UnsafePointer(cp); biasKind = OK_BIAS_PER_COL
            case .biasPerRow: bias = UnsafePointer(cp); biasKind = OK_BIAS_PER_ROW
            case .prefill:
                for i in 0..<M {
                    for j in 0..<N { y[i * N + j] = beta * cp[i * cRowStride + j * cColStride] }
                }
                accumulate = true
            }
        }
        var ep = activation.epilogue(bias: bias, biasKind: biasKind, accumulate: accumulate)
        let packed = packedB.map { UnsafeRawPointer($0.base) }
        ok_sgemm(neuralPool(ctx), Int32(M), Int32(N), Int32(K), alpha,
                 a.floats, transA ? 1 : K, transA ? M : 1, nil,
                 packed == nil ? UnsafePointer(b.floats) : unreadFloats(b), transB ? 1 : N, transB ? K : 1, packed,
                 y, N, &ep, ctx.scratch)
    }
}
