import CKernels

/// ONNX QLinearConv and ConvInteger (NCHW, 1-D to 3-D, groups, pads, strides,
/// dilations, auto_pad), on ok_qconv (pointwise, depthwise and im2col+qgemm paths).
///
/// - QLinearConv: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B?
///   y = saturate(round((acc + B[c]) * (x_scale * w_scale[c] / y_scale)) + y_zero_point);
///   w per tensor or per output channel.
/// - ConvInteger: x, w, x_zero_point?, w_zero_point?; y = acc as int32.
/// - ConvInteger with `outpost.float_scale` (IntegerConvScaleFusion): inputs 4 and 5 are
///   S (float scalar) and B? (float, one value or one per output channel), input 6 an
///   optional second factor of S (S · S2);
///   y = float(acc) * S + B[c] as float32, from the kernel's epilogue.
///
/// Constant weights (with a constant zero point) are packed once at planning.
final class QuantizedConvOperator: Operator {
    enum Kind { case qlinear, integer }
    let kind: Kind
    let attributes: ConvAttributes
    let activation: QuantizedActivation
    private var params = ok_conv_params()
    private var packedWeights: Buffer?
    /// packedWeights' bytes (read every run without touching the Buffer reference).
    private var packedBase: UnsafeMutableRawPointer?
    private var packedBytes = 0
    private var workspaceBytes = 0
    private var xType = DType.uint8, wType = DType.uint8, outType = DType.int32
    private var cout = 0
    private var zwPerChannel = false, scalePerChannel = false
    /// zw (cout int32), scale (cout floats), refreshed from the inputs each run.
    private var qparams = Buffer(zeroedBytes: 0)
    private var scaleOffset = 0
    /// x_scale, w_scale and y_scale are initializers: the requantization multipliers
    /// were computed at planning (per run they cost a Tensor access per channel, which
    /// was ~10% of MobileNet int8).
    private var constantScales = false
    /// Every epilogue input (scales, zero points, bias) is an initializer: the epilogue
    /// and x's zero point were built at planning, the bias copied into `biasCopy`, so a
    /// run touches only x and the output (the per-run input accesses' retain/release
    /// pairs were ~6% of kws int8, nine small convolutions).
    private var cachedEpilogue: ok_qepilogue?
    private var cachedZx: Int32 = 0
    private var biasCopy: Buffer?
    /// IntegerConvScaleFusion's float epilogue (inputs S and B appended).
    let floatScaled: Bool
    /// Its float bias, one per output channel (B broadcast), and scale.
    private var floatParams = Buffer(zeroedBytes: 0)
    /// The float epilogue (constant or no bias) and the operands a run reads through the
    /// step's pointers (`FloatScaleOperands`); nil: the Tensor path.
    private var plannedFloatEpilogue: ok_qepilogue?
    private var floatOperands: FloatScaleOperands?

    init(node: Node, opset: Int, kind: Kind) throws(OutpostError) {
        self.kind = kind
        attributes = try ConvAttributes(node: node)
        if try node.int("channels_last", default: 0) != 0 {
            throw node.unsupported("channels_last", "NHWC QLinearConv is not supported (NCHW is)")
        }
        activation = try QuantizedActivation(node: node)
        floatScaled = kind == .integer && node.attributes[IntegerConvScaleFusion.attribute] != nil
        super.init(node: node, opset: opset)
    }

    private var wIndex: Int { kind == .qlinear ? 3 : 1 }
    private var zxIndex: Int { 2 }
    private var zwIndex: Int { kind == .qlinear ? 5 : 3 }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0), w = try required(inputs, wIndex)
        try requireQuantized(x, "input x")
        try requireQuantized(w, "weights w")
        xType = x.dtype
        wType = w.dtype
        let zx = optionalInput(inputs, zxIndex), zw = optionalInput(inputs, zwIndex)
        try requireSameType(zx, x, "x_zero_point")
        try requireScalar(zx, "x_zero_point")
        try requireSameType(zw, w, "w_zero_point")
        let nd = x.shape.count - 2
        if nd < 1 { throw node.shapeError("input x must have rank >= 3 (N, C, spatial...), got \(shape: x.shape)") }
        if nd > 3 { throw node.unsupported("kernel_shape", "\(nd)-D convolution is not supported (1-D to 3-D are)") }
        if w.shape.count != x.shape.count {
            throw node.shapeError("weights w \(shape: w.shape) must have the rank of x \(shape: x.shape)")
        }
        let group = attributes.group
        let cin = x.shape[1]
        cout = w.shape[0]
        if cin % group != 0 || cout % group != 0 || w.shape[1] * group != cin {
            throw node.shapeError("channels do not fit group \(group): x has \(cin), w is \(shape: w.shape)")
        }
        zwPerChannel = false
        if let zw, zw.count != 1 {
            if zw.count != cout { throw node.unsupported("w_zero_point", "shape \(shape: zw.shape): per tensor or per output channel (\(cout) values) is supported") }
            zwPerChannel = true
        }
        scalePerChannel = false
        if kind == .qlinear {
            let sx = try required(inputs, 1), sw = try required(inputs, 4), sy = try required(inputs, 6)
            try requireScale(sx, "x_scale"); try requireScalar(sx, "x_scale")
            try requireScale(sw, "w_scale")
            try requireScale(sy, "y_scale"); try requireScalar(sy, "y_scale")
            if sw.count != 1 {
                if sw.count != cout { throw node.unsupported("w_scale", "shape \(shape: sw.shape): per tensor or per output channel (\(cout) values) is supported") }
                scalePerChannel = true
            }
            let yz = optionalInput(inputs, 7)
            if let yz { try requireQuantized(yz, "y_zero_point"); try requireScalar(yz, "y_zero_point") }
            outType = yz?.dtype ?? x.dtype
            if let bias = optionalInput(inputs, 8) {
                try requireDType(bias, [.int32], "bias B")
                if bias.count != cout { throw node.shapeError("bias B has \(bias.count) values for \(cout) output channels") }
            }
        } else if floatScaled {
            try checkFloatScaleOperands(inputs, channels: cout, "output channels")
            outType = .float32
            floatParams = Buffer(zeroedBytes: align64((cout + 1) * 4))
        } else {
            outType = .int32
        }

        let g = try attributes.geometry(spatial: Array(x.shape[2...]), weights: w.shape, node)
        var p = makeConvParams(batch: x.shape[0], cin: cin, cout: cout, group: group, inShape: Array(x.shape[2...]),
                               geometry: g)
        params = p
        scaleOffset = align64(max(cout, 1) * 4)
        qparams = Buffer(zeroedBytes: scaleOffset + align64(max(cout, 1) * 4))
        packedBytes = align64(ok_qconv_packed_weights_size(&p))
        workspaceBytes = align64(ok_qconv_workspace_size(&p, Int32(neuralPlannedThreads)))
        constantScales = false
        if kind == .qlinear, let sx = inputs[1]?.constant, let sw = inputs[4]?.constant, let sy = inputs[6]?.constant {
            fillScales(sx, sw, sy)
            constantScales = true
        }
        cachedEpilogue = nil
        biasCopy = nil
        plannedFloatEpilogue = floatScaled ? plannedFloatScaleEpilogue(floatParams, channels: cout, inputs, per: OK_QPER_ROW) : nil
        floatOperands = floatScaled ? FloatScaleOperands(inputs, activation: x.dtype) : nil
        if (zx == nil || zx?.constant != nil) && ((kind == .integer && !floatScaled) || constantScales) {
            cachedEpilogue = plannedEpilogue(inputs)
            cachedZx = quantZeroPoint(zx?.constant)
        }
        packedWeights = nil
        packedBase = nil
        if let wc = w.constant, zw == nil || zw?.constant != nil {
            let zwp = qparams.base.assumingMemoryBound(to: Int32.self)
            fillZeroPoints(zw?.constant, zwp)
            let buf = Buffer(zeroedBytes: packedBytes)
            ok_qconv_pack_weights(&p, wc.raw, QuantType.code(wType), zwp, zwPer, buf.base)
            packedWeights = buf
            packedBase = buf.base
        }
        return [TensorType(outType, [x.shape[0], cout] + g.out)]
    }

    /// The run's epilogue from constant inputs (nil when y_zero_point or B is computed).
    private func plannedEpilogue(_ inputs: [ValueType?]) -> ok_qepilogue? {
        var ep = ok_qepilogue()
        guard kind == .qlinear else {
            ep.out = Int32(OK_QOUT_I32.rawValue)
            return ep
        }
        let yzInput = optionalInput(inputs, 7), biasInput = optionalInput(inputs, 8)
        if yzInput != nil && yzInput?.constant == nil { return nil }
        if biasInput != nil && biasInput?.constant == nil { return nil }
        guard let sy = inputs[6]?.constant else { return nil }
        ep = requantEpilogue(sy, quantZeroPoint(yzInput?.constant))
        if let bias = biasInput?.constant {
            let copy = Buffer(zeroedBytes: align64(max(cout, 1) * 4))
            let src = bias.pointer(Int32.self), dst = copy.base.assumingMemoryBound(to: Int32.self)
            for c in 0..<cout { dst[c] = src[c] }
            biasCopy = copy
            ep.bias = UnsafePointer(dst)
            ep.bias_per = Int32(OK_QPER_ROW.rawValue)
        }
        return ep
    }

    /// The QLinear requantization epilogue without bias: the per-tensor or per-channel
    /// scales already in `qparams`, y's zero point and the fused activation's clamp range.
    /// Built once at planning when everything is constant, else on each run.
    private func requantEpilogue(_ sy: Tensor, _ yz: Int32) -> ok_qepilogue {
        var ep = ok_qepilogue()
        let (lo, hi) = activation.range(outType, scale: quantScale(sy), zeroPoint: yz)
        ep.out = Int32(outType == .int8 ? OK_QOUT_S8.rawValue : OK_QOUT_U8.rawValue)
        ep.scale = UnsafePointer(qparams.base.advanced(by: scaleOffset).assumingMemoryBound(to: Float.self))
        ep.scale_per = Int32(scalePerChannel ? OK_QPER_ROW.rawValue : OK_QPER_TENSOR.rawValue)
        ep.out_zero_point = yz
        ep.qmin = lo
        ep.qmax = hi
        return ep
    }

    override var scratchBytes: Int { (packedWeights == nil ? packedBytes : 0) + workspaceBytes }

    private var zwPer: Int32 { Int32(zwPerChannel ? OK_QPER_ROW.rawValue : OK_QPER_TENSOR.rawValue) }

    private func fillScales(_ sx: Tensor, _ sw: Tensor, _ sy: Tensor) {
        let scale = qparams.base.advanced(by: scaleOffset).assumingMemoryBound(to: Float.self)
        let half = sx.dtype == .float16
        let fx = quantScale(sx), fy = quantScale(sy)
        for c in 0..<(scalePerChannel ? cout : 1) { scale[c] = requantScale(fx, quantScale(sw, c), fy, half: half) }
    }

    private func fillZeroPoints(_ t: Tensor?, _ p: UnsafeMutablePointer<Int32>) {
        for i in 0..<(zwPerChannel ? cout : 1) { p[i] = quantZeroPoint(t, t == nil ? 0 : i) }
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        if var ep = plannedFloatEpilogue, let pw = packedBase, let step = ctx.step, let x = step.input(0),
           let run = floatOperands?.read(step) {
            setFloatScale(floatParams, channels: cout, run.scale)
            var p = params
            ok_qconv(neuralPool(ctx), &p, x, QuantType.code(xType), run.zeroPoint, pw, step.output(0), &ep, ctx.scratch)
            return
        }
        if var ep = cachedEpilogue, let pw = packedBase {
            var p = params
            if let step = ctx.step, let x = step.input(0) {
                ok_qconv(neuralPool(ctx), &p, x, QuantType.code(xType), cachedZx, pw, step.output(0), &ep, ctx.scratch)
                return
            }
            guard let x = inputs[0] else { return }
            let y = outputs[0]
            if y.count == 0 { return }
            ok_qconv(neuralPool(ctx), &p, x.raw, QuantType.code(xType), cachedZx, pw, y.raw, &ep, ctx.scratch)
            return
        }
        guard let x = inputs[0], let w = inputs[wIndex] else { return }
        if outputs[0].count == 0 { return }
        var p = params
        var scratch = ctx.scratch
        let zw = qparams.base.assumingMemoryBound(to: Int32.self)
        let packed: UnsafeMutableRawPointer
        if let pw = packedWeights {
            packed = pw.base  // packed at planning with the constant zero points
        } else {
            fillZeroPoints(optionalTensor(inputs, zwIndex), zw)
            ok_qconv_pack_weights(&p, w.raw, QuantType.code(wType), zw, zwPer, scratch)
            packed = scratch
            scratch += packedBytes
        }
        var ep = ok_qepilogue()
        if kind == .qlinear {
            guard let sx = inputs[1], let sw = inputs[4], let sy = inputs[6] else { return }
            if !constantScales { fillScales(sx, sw, sy) }
            ep = requantEpilogue(sy, quantZeroPoint(optionalTensor(inputs, 7)))
            if let bias = optionalTensor(inputs, 8) {
                ep.bias = UnsafePointer(bias.pointer(Int32.self))
                ep.bias_per = Int32(OK_QPER_ROW.rawValue)
            }
        } else if floatScaled {
            guard let s = inputs[4] else { return }
            ep = floatScaleEpilogue(floatParams, channels: cout, bias: optionalTensor(inputs, 5), per: OK_QPER_ROW)
            setFloatScale(floatParams, channels: cout, floatScale(s, optionalTensor(inputs, 6)))
        } else {
            ep.out = Int32(OK_QOUT_I32.rawValue)
        }
        ok_qconv(neuralPool(ctx), &p, x.raw, QuantType.code(xType), quantZeroPoint(optionalTensor(inputs, zxIndex)),
                 packed, outputs[0].raw, &ep, scratch)
    }
}
