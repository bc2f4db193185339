import CKernels

/// ONNX QLinearMatMul and MatMulInteger (numpy MatMul semantics: N-D operands with
/// broadcast batch dimensions, 1-D operands promoted and dropped), on ok_qgemm.
///
/// - QLinearMatMul: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point;
///   Y = saturate(round(acc * (a_scale * b_scale[n] / y_scale)) + y_zero_point) (b per tensor
///   or per column).
/// - MatMulInteger: A, B, a_zero_point?, b_zero_point?; Y = acc as int32 (a zero point per
///   tensor or per row of A, b per tensor or per column).
/// - MatMulInteger with `outpost.float_scale` (IntegerConvScaleFusion): inputs 4 and 5 are
///   S (float scalar) and bias? (float, one value or one per column), input 6 an optional
///   second factor of S; Y = float(acc) * S + bias[n] as float32, from the kernel's epilogue.
///
/// A constant B (with a constant zero point) is packed once per batch matrix at planning;
/// when B has no batch dimensions A's batches fold into M.
final class QuantizedMatMulOperator: Operator {
    enum Kind { case qlinear, integer }
    let kind: Kind
    let activation: QuantizedActivation
    private var M = 0, N = 0, K = 0
    private var gemmM = 0
    private var aOffsets: [Int] = []
    private var bOffsets: [Int] = []
    private var bMatrixIndex: [Int] = []
    private var aType = DType.uint8, bType = DType.uint8, outType = DType.int32
    private var zaPerRow = false, zbPerCol = false, scalePerCol = false
    private var packedB: Buffer?
    private var packedStride = 0
    private var workspaceBytes = 0
    /// za (M int32), zb (N int32), scale (N floats), refreshed from the inputs each run.
    private var params = Buffer(zeroedBytes: 0)
    private var zbOffset = 0, scaleOffset = 0

    /// IntegerConvScaleFusion's float epilogue (inputs S and bias appended).
    let floatScaled: Bool
    /// Its float bias per column (broadcast) and the scale after it.
    private var floatParams = Buffer(zeroedBytes: 0)
    /// The float epilogue (constant or no bias) and the operands a run reads through the
    /// step's pointers, for one GEMM on a packed B (nil: the Tensor path).
    private var plannedFloatEpilogue: ok_qepilogue?
    private var floatOperands: FloatScaleOperands?
    private var packedBBase: UnsafeMutableRawPointer?

    init(node: Node, opset: Int, kind: Kind) throws(OutpostError) {
        self.kind = kind
        activation = try QuantizedActivation(node: node)
        floatScaled = kind == .integer && node.attributes[IntegerConvScaleFusion.attribute] != nil
        super.init(node: node, opset: opset)
    }

    private var bIndex: Int { kind == .qlinear ? 3 : 1 }
    private var zaIndex: Int { 2 }
    private var zbIndex: Int { kind == .qlinear ? 5 : 3 }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let a = try required(inputs, 0), b = try required(inputs, bIndex)
        try requireQuantized(a, "input A")
        try requireQuantized(b, "input B")
        aType = a.dtype
        bType = b.dtype
        if a.shape.isEmpty || b.shape.isEmpty { throw node.shapeError("operands must have rank >= 1") }
        let aShape = a.shape.count == 1 ? [1, a.shape[0]] : a.shape
        let bShape = b.shape.count == 1 ? [b.shape[0], 1] : b.shape
        M = aShape[aShape.count - 2]
        K = aShape[aShape.count - 1]
        N = bShape[bShape.count - 1]
        if bShape[bShape.count - 2] != K {
            throw node.shapeError("inner dimensions differ: A \(shape: a.shape), B \(shape: b.shape)")
        }
        // Quantization parameters.
        let za = optionalInput(inputs, zaIndex), zb = optionalInput(inputs, zbIndex)
        try requireSameType(za, a, "a_zero_point")
        try requireSameType(zb, b, "b_zero_point")
        zaPerRow = false
        if let za, za.count != 1 {
            if kind == .qlinear || za.count != M {
                throw node.unsupported("a_zero_point", "shape \(shape: za.shape): per tensor\(kind == .integer ? " or per row (\(M) values)" : "") is supported")
            }
            zaPerRow = true
        }
        zbPerCol = false
        if let zb, zb.count != 1 {
            if zb.count != N { throw node.unsupported("b_zero_point", "shape \(shape: zb.shape): per tensor or per column (\(N) values) is supported") }
            zbPerCol = true
        }
        scalePerCol = false
        if kind == .qlinear {
            let sa = try required(inputs, 1), sb = try required(inputs, 4), sy = try required(inputs, 6)
            try requireScale(sa, "a_scale"); try requireScalar(sa, "a_scale")
            try requireScale(sb, "b_scale")
            try requireScale(sy, "y_scale"); try requireScalar(sy, "y_scale")
            if sb.count != 1 {
                if sb.count != N { throw node.unsupported("b_scale", "shape \(shape: sb.shape): per tensor or per column (\(N) values) is supported") }
                scalePerCol = true
            }
            let yz = optionalInput(inputs, 7)
            if let yz { try requireQuantized(yz, "y_zero_point"); try requireScalar(yz, "y_zero_point") }
            outType = yz?.dtype ?? a.dtype
        } else if floatScaled {
            try checkFloatScaleOperands(inputs, channels: N, "columns")
            outType = .float32
            floatParams = Buffer(zeroedBytes: align64((N + 1) * 4))
        } else {
            outType = .int32
        }

        // Batch walk (as MatMulOperator).
        let bBatch = Array(bShape.dropLast(2))
        let shapes = try matMulOutputShape(a: a.shape, b: b.shape, M: M, N: N, node)
        let batch = shapes.batch, outShape = shapes.out
        let bCount = Tensor.elementCount(bBatch)
        let batchCount = Tensor.elementCount(batch)
        aOffsets = []
        bOffsets = []
        bMatrixIndex = []
        if bCount == 1 && !zaPerRow {
            gemmM = batchCount * M
            aOffsets = [0]; bOffsets = [0]; bMatrixIndex = [0]
        } else {
            gemmM = M
            aOffsets = shapes.aMatrix.map { $0 * M * K }
            bOffsets = shapes.bMatrix.map { $0 * K * N }
            bMatrixIndex = shapes.bMatrix
        }
        zbOffset = align64(max(M, 1) * 4)
        scaleOffset = zbOffset + align64(max(N, 1) * 4)
        params = Buffer(zeroedBytes: scaleOffset + align64(max(N, 1) * 4))

        packedB = nil
        if let bc = b.constant, zb == nil || zb?.constant != nil, K > 0, N > 0 {
            let zbp = params.base.advanced(by: zbOffset).assumingMemoryBound(to: Int32.self)
            fillZeroPoints(zb?.constant, zbp, zbPerCol ? N : 1)
            packedStride = align64(ok_qgemm_packed_b_size(Int32(K), Int32(N)))
            let buf = Buffer(zeroedBytes: packedStride * bCount)
            for i in 0..<bCount {
                ok_qgemm_pack_b(Int32(K), Int32(N), bc.raw + i * K * N, QuantType.code(bType), N, 1,
                                zbp, zbPerCol ? Int32(OK_QPER_COL.rawValue) : Int32(OK_QPER_TENSOR.rawValue),
                                buf.base + i * packedStride)
            }
            packedB = buf
        }
        workspaceBytes = ok_qgemm_workspace_size(Int32(gemmM), Int32(N), Int32(K), Int32(neuralPlannedThreads))
        packedBBase = packedB?.base
        let oneGemm = floatScaled && packedB != nil && aOffsets.count == 1 && !zaPerRow && K > 0
        plannedFloatEpilogue = oneGemm ? plannedFloatScaleEpilogue(floatParams, channels: N, inputs, per: OK_QPER_COL) : nil
        floatOperands = oneGemm ? FloatScaleOperands(inputs, activation: a.dtype) : nil
        return [TensorType(outType, outShape)]
    }

    override var scratchBytes: Int { workspaceBytes }

    private func fillZeroPoints(_ t: Tensor?, _ p: UnsafeMutablePointer<Int32>, _ count: Int) {
        for i in 0..<count { p[i] = quantZeroPoint(t, t == nil ? 0 : i) }
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        if var ep = plannedFloatEpilogue, let pb = packedBBase, let step = ctx.step, let a = step.input(0),
           let run = floatOperands?.read(step) {
            setFloatScale(floatParams, channels: N, run.scale)
            let za = params.base.assumingMemoryBound(to: Int32.self)
            za[0] = run.zeroPoint
            // (B's zero points were written next to za when B was packed at planning.)
            let zb = params.base.advanced(by: zbOffset).assumingMemoryBound(to: Int32.self)
            ok_qgemm(neuralPool(ctx), Int32(gemmM), Int32(N), Int32(K),
                     a, QuantType.code(aType), K, 1, za, Int32(OK_QPER_TENSOR.rawValue), nil,
                     nil, QuantType.code(bType), N, 1, zb,
                     Int32(zbPerCol ? OK_QPER_COL.rawValue : OK_QPER_TENSOR.rawValue), pb,
                     step.output(0), N, &ep, ctx.scratch)
            return
        }
        guard let a = inputs[0], let b = inputs[bIndex] else { return }
        let y = outputs[0]
        if y.count == 0 { return }
        let za = params.base.assumingMemoryBound(to: Int32.self)
        let zb = params.base.advanced(by: zbOffset).assumingMemoryBound(to: Int32.self)
        let scale = params.base.advanced(by: scaleOffset).assumingMemoryBound(to: Float.self)
        fillZeroPoints(optionalTensor(inputs, zaIndex), za, zaPerRow ? M : 1)
        fillZeroPoints(optionalTensor(inputs, zbIndex), zb, zbPerCol ? N : 1)
        var ep = ok_qepilogue()
        if K == 0 && kind == .integer && !floatScaled {
            y.raw.initializeMemory(as: UInt8.self, repeating: 0, count: y.byteCount)
            return
        }
        if kind == .qlinear {
            guard let sa = inputs[1], let sb = inputs[4], let sy = inputs[6] else { return }
            let half = sa.dtype == .float16
            let fa = quantScale(sa), fy = quantScale(sy)
            for n in 0..<(scalePerCol ? N : 1) { scale[n] = requantScale(fa, quantScale(sb, n), fy, half: half) }
            let yz = quantZeroPoint(optionalTensor(inputs, 7))
            let (lo, hi) = activation.range(outType, scale: fy, zeroPoint: yz)
            ep.out = Int32(outType == .int8 ? OK_QOUT_S8.rawValue : OK_QOUT_U8.rawValue)
            ep.scale = UnsafePointer(scale)
            ep.scale_per = Int32(scalePerCol ? OK_QPER_COL.rawValue : OK_QPER_TENSOR.rawValue)
            ep.out_zero_point = yz
            ep.qmin = lo
            ep.qmax = hi
        } else if floatScaled {
            guard let s = inputs[4] else { return }
            ep = floatScaleEpilogue(floatParams, channels: N, bias: optionalTensor(inputs, 5), per: OK_QPER_COL)
            setFloatScale(floatParams, channels: N, floatScale(s, optionalTensor(inputs, 6)))
            if K == 0 {
                // float(0) * S + bias, as the unfused Cast / Mul / Add compute it.
                let f = floatParams.base.assumingMemoryBound(to: Float.self), yp = y.floats
                for i in 0..<y.count {
                    let v = Float(0) * f[N]
                    yp[i] = ep.fbias == nil ? v : v + f[i % max(N, 1)]
                }
                return
            }
        } else {
            ep.out = Int32(OK_QOUT_I32.rawValue)
        }
        let zaPer = Int32(zaPerRow ? OK_QPER_ROW.rawValue : OK_QPER_TENSOR.rawValue)
        let zbPer = Int32(zbPerCol ? OK_QPER_COL.rawValue : OK_QPER_TENSOR.rawValue)
        let pool = neuralPool(ctx)
        let outSize = outType.size
        for i in 0..<aOffsets.count {
            let packed: UnsafeRawPointer? = packedB.map { UnsafeRawPointer($0.base + bMatrixIndex[i] * packedStride) }
            ok_qgemm(pool, Int32(gemmM), Int32(N), Int32(K),
                     a.raw + aOffsets[i], QuantType.code(aType), K, 1, za, zaPer, nil,
                     b.raw + bOffsets[i], QuantType.code(bType), N, 1, zb, zbPer, packed,
                     y.raw + i * gemmM * N * outSize, N, &ep, ctx.scratch)
        }
    }
}
