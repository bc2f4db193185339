import CKernels

/// com.microsoft QGemm: Y = alpha * (A - za)(B - zb) + C, on ok_qgemm.
/// Inputs: A, a_scale, a_zero_point, B, b_scale, b_zero_point, C?, y_scale?, y_zero_point?
/// (transA / transB transpose A [K, M] and B [N, K]; b per tensor or per column).
/// C is int32 with scale alpha * a_scale * b_scale, added to the accumulator (per column
/// [N] / [1, N], per row [M, 1], or one value). With y_scale the output is quantized:
/// saturate(round((acc + C) * alpha * a_scale * b_scale[n] / y_scale) + y_zero_point);
/// without it, it is float32: (acc + C) * alpha * a_scale * b_scale[n].
final class QGemmOperator: Operator {
    let transA: Bool
    let transB: Bool
    let alpha: Float
    let activation: QuantizedActivation
    private var M = 0, N = 0, K = 0
    private var aType = DType.uint8, bType = DType.uint8, outType = DType.float32
    private var zbPerCol = false, scalePerCol = false
    private enum BiasKind { case none, column, row, scalar }
    private var biasKind = BiasKind.none
    private var packedB: Buffer?
    /// packedB's bytes (read every run without touching the Buffer reference).
    private var packedBase: UnsafeMutableRawPointer?
    private var workspaceBytes = 0
    /// zb (N int32), scale (N floats), bias (max(M, N) int32), refreshed each run.
    private var params = Buffer(zeroedBytes: 0)
    private var scaleOffset = 0, biasOffset = 0
    /// Everything but A constant (the usual QGemm: weights, scales, zero points and bias
    /// are initializers): the epilogue and A's zero point, made once at planning.
    private var cachedEpilogue: ok_qepilogue?
    private var cachedZa: Int32 = 0

    init(_ node: Node, opset: Int) throws(OutpostError) {
        transA = try node.int("transA", default: 0) != 0
        transB = try node.int("transB", default: 0) != 0
        alpha = try node.float("alpha", default: 1)
        activation = try QuantizedActivation(node: node)
        super.init(node: node, opset: opset)
    }

    private var rsb: Int { transB ? 1 : N }
    private var csb: Int { transB ? K : 1 }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let a = try required(inputs, 0), b = try required(inputs, 3)
        try requireQuantized(a, "input A")
        try requireQuantized(b, "input B")
        aType = a.dtype
        bType = b.dtype
        if a.shape.count != 2 || b.shape.count != 2 {
            throw node.shapeError("A \(shape: a.shape) and B \(shape: b.shape) must be 2-D")
        }
        M = transA ? a.shape[1] : a.shape[0]
        K = transA ? a.shape[0] : a.shape[1]
        let kb = transB ? b.shape[1] : b.shape[0]
        N = transB ? b.shape[0] : b.shape[1]
        if kb != K { throw node.shapeError("inner dimensions differ: A \(shape: a.shape), B \(shape: b.shape)") }
        let sa = try required(inputs, 1), sb = try required(inputs, 4)
        try requireScale(sa, "a_scale"); try requireScalar(sa, "a_scale")
        try requireScale(sb, "b_scale")
        let za = optionalInput(inputs, 2), zb = optionalInput(inputs, 5)
        try requireSameType(za, a, "a_zero_point"); try requireScalar(za, "a_zero_point")
        try requireSameType(zb, b, "b_zero_point")
        zbPerCol = false
        if let zb, zb.count != 1 {
            if zb.count != N { throw node.unsupported("b_zero_point", "shape \(shape: zb.shape): per tensor or per column (\(N) values) is supported") }
            zbPerCol = true
        }
        scalePerCol = false
        if sb.count != 1 {
            if sb.count != N { throw node.unsupported("b_scale", "shape \(shape: sb.shape): per tensor or per column (\(N) values) is supported") }
            scalePerCol = true
        }
        biasKind = .none
        if let c = optionalInput(inputs, 6) {
            try requireDType(c, [.int32], "bias C")
            let s = c.shape
            if c.count == 1 { biasKind = .scalar }
            else if c.count == N && (s.count == 1 || (s.count == 2 && s[0] == 1)) { biasKind = .column }
            else if c.count == M && s.count == 2 && s[1] == 1 { biasKind = .row }
            else {
                throw node.unsupported("C", "bias of shape \(shape: s) for a [\(M), \(N)] output (per column, per row or one value is supported)")
            }
        }
        if let ys = optionalInput(inputs, 7) {
            try requireScale(ys, "y_scale"); try requireScalar(ys, "y_scale")
            let yz = optionalInput(inputs, 8)
            if let yz { try requireQuantized(yz, "y_zero_point"); try requireScalar(yz, "y_zero_point") }
            outType = yz?.dtype ?? a.dtype
        } else {
            outType = .float32
        }
        scaleOffset = align64(max(N, 1) * 4)
        biasOffset = scaleOffset + align64(max(N, 1) * 4)
        params = Buffer(zeroedBytes: biasOffset + align64(max(M, N, 1) * 4))
        packedB = nil
        packedBase = nil
        if let bc = b.constant, zb == nil || zb?.constant != nil, K > 0, N > 0 {
            let zbp = params.base.assumingMemoryBound(to: Int32.self)
            fillZeroPoints(zb?.constant, zbp)
            let buf = Buffer(zeroedBytes: align64(ok_qgemm_packed_b_size(Int32(K), Int32(N))))
            ok_qgemm_pack_b(Int32(K), Int32(N), bc.raw, QuantType.code(bType), rsb, csb, zbp, zbPer, buf.base)
            packedB = buf
            packedBase = buf.base
        }
        workspaceBytes = ok_qgemm_workspace_size(Int32(M), Int32(N), Int32(K), Int32(neuralPlannedThreads))
        cachedEpilogue = nil
        if constantOrOmitted(inputs, [1, 2, 4, 5, 6, 7, 8]), packedB != nil, let sa = sa.constant, let sb = sb.constant {
            func c(_ i: Int) -> Tensor? { optionalInput(inputs, i)?.constant }
            let (ep, za) = epilogue(sa: sa, za: c(2), sb: sb, zb: c(5), bias: c(6), ys: c(7), yz: c(8))
            cachedEpilogue = ep
            cachedZa = za
        }
        return [TensorType(outType, [M, N])]
    }

    override var scratchBytes: Int { workspaceBytes }

    private var zbPer: Int32 { Int32(zbPerCol ? OK_QPER_COL.rawValue : OK_QPER_TENSOR.rawValue) }

    private func fillZeroPoints(_ t: Tensor?, _ p: UnsafeMutablePointer<Int32>) {
        for i in 0..<(zbPerCol ? N : 1) { p[i] = quantZeroPoint(t, t == nil ? 0 : i) }
    }

    /// The epilogue (pointing into params, filled here) and A's zero point from the
    /// operands' values.
    private func epilogue(sa: Tensor, za zaT: Tensor?, sb: Tensor, zb zbT: Tensor?, bias c: Tensor?, ys: Tensor?,
                          yz yzT: Tensor?) -> (ok_qepilogue, Int32) {
        let zb = params.base.assumingMemoryBound(to: Int32.self)
        let scale = params.base.advanced(by: scaleOffset).assumingMemoryBound(to: Float.self)
        let bias = params.base.advanced(by: biasOffset).assumingMemoryBound(to: Int32.self)
        fillZeroPoints(zbT, zb)
        let za = quantZeroPoint(zaT)
        var ep = ok_qepilogue()
        let fa = quantScale(sa)
        for n in 0..<(scalePerCol ? N : 1) {
            let s = alpha * fa * quantScale(sb, n)
            scale[n] = ys.map { s / quantScale($0) } ?? s
        }
        ep.scale = UnsafePointer(scale)
        ep.scale_per = Int32(scalePerCol ? OK_QPER_COL.rawValue : OK_QPER_TENSOR.rawValue)
        if let ys {
            let yz = quantZeroPoint(yzT)
            let (lo, hi) = activation.range(outType, scale: quantScale(ys), zeroPoint: yz)
            ep.out = Int32(outType == .int8 ? OK_QOUT_S8.rawValue : OK_QOUT_U8.rawValue)
            ep.out_zero_point = yz
            ep.qmin = lo
            ep.qmax = hi
        } else {
            ep.out = Int32(OK_QOUT_F32.rawValue)
        }
        if let c, biasKind != .none {
            let src = c.pointer(Int32.self)
            switch biasKind {
            case .scalar:
                for n in 0..<N { bias[n] = src[0] }
                ep.bias_per = Int32(OK_QPER_COL.rawValue)
            case .column:
                for n in 0..<N { bias[n] = src[n] }
                ep.bias_per = Int32(OK_QPER_COL.rawValue)
            case .row:
                for m in 0..<M { bias[m] = src[m] }
                ep.bias_per = Int32(OK_QPER_ROW.rawValue)
            case .none: break
            }
            ep.bias = UnsafePointer(bias)
        }
        return (ep, za)
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        let zb = params.base.assumingMemoryBound(to: Int32.self)
        let rsa = transA ? 1 : K, csa = transA ? M : 1
        if var ep = cachedEpilogue, let packed = packedBase {
            // Pointers without Tensor copies (StepPointers); B is read from the packed copy.
            guard let a = ctx.input(0, inputs) else { return }
            if ctx.step == nil && outputs[0].count == 0 { return }  // (a session skips empty steps)
            var za = cachedZa
            ok_qgemm(neuralPool(ctx), Int32(M), Int32(N), Int32(K),
                     a, QuantType.code(aType), rsa, csa, &za, Int32(OK_QPER_TENSOR.rawValue), nil,
                     nil, QuantType.code(bType), rsb, csb, zb, zbPer, UnsafeRawPointer(packed),
                     ctx.output(0, outputs), N, &ep, ctx.scratch)
            return
        }
        guard let a = inputs[0] else { return }
        let y = outputs[0]
        if y.count == 0 { return }
        guard let b = inputs[3], let sa = inputs[1], let sb = inputs[4] else { return }
        var (ep, za) = epilogue(sa: sa, za: optionalTensor(inputs, 2), sb: sb, zb: optionalTensor(inputs, 5),
                                bias: optionalTensor(inputs, 6), ys: optionalTensor(inputs, 7), yz: optionalTensor(inputs, 8))
        let packed: UnsafeRawPointer? = packedB.map { UnsafeRawPointer($0.base) }
        ok_qgemm(neuralPool(ctx), Int32(M), Int32(N), Int32(K),
                 a.raw, QuantType.code(aType), rsa, csa, &za, Int32(OK_QPER_TENSOR.rawValue), nil,
                 b.raw, QuantType.code(bType), rsb, csb, zb, zbPer, packed,
                 y.raw, N, &ep, ctx.scratch)
    }
}
