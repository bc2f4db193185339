import CKernels

/// Helpers shared by the quantized operators.
///
/// Scales and zero points are read from their tensors at run time (a few values per
/// tensor or per channel), so they may be constants (the usual case: initializers)
/// or computed values (DynamicQuantizeLinear's outputs). Weights are pre-packed at
/// planning when they and their zero points are constant.
enum QuantType {
    /// The C kernels' element-type code (ok_qtype): 0 = uint8, 1 = int8.
    static func code(_ d: DType) -> Int32 { d == .int8 ? 1 : 0 }
    static func qmin(_ d: DType) -> Int32 { d == .int8 ? -128 : 0 }
    static func qmax(_ d: DType) -> Int32 { d == .int8 ? 127 : 255 }
}

extension Operator {
    /// An 8-bit quantized tensor (uint8 or int8); anything else is an unsupported data type.
    func requireQuantized(_ v: ValueType, _ what: String) throws(OutpostError) {
        try requireDType(v, [.uint8, .int8], what)
    }

    /// A scale tensor: float32 (or float16, as ONNX allows since opset 19 / QLinearMatMul-21).
    func requireScale(_ v: ValueType, _ what: String) throws(OutpostError) {
        try requireDType(v, [.float32, .float16], what)
    }

    /// A per-tensor quantization parameter (one element: shape [] or [1]).
    func requireScalar(_ v: ValueType?, _ what: String) throws(OutpostError) {
        guard let v else { return }
        if v.count != 1 {
            throw node.unsupported(what, "must be a scalar (per-tensor quantization), got shape \(shape: v.shape)")
        }
    }

    /// Optional input `index` (nil when omitted or past the end).
    func optionalInput(_ inputs: [ValueType?], _ index: Int) -> ValueType? {
        index < inputs.count ? inputs[index] : nil
    }

    /// Whether each of these inputs is omitted or a constant: the operands an operator
    /// may turn into kernel parameters once, at planning.
    func constantOrOmitted(_ inputs: [ValueType?], _ indices: [Int]) -> Bool {
        indices.allSatisfy { optionalInput(inputs, $0).map { $0.constant != nil } ?? true }
    }

    /// The zero point's type must be the quantized tensor's type.
    func requireSameType(_ zp: ValueType?, _ t: ValueType, _ what: String) throws(OutpostError) {
        guard let zp else { return }
        if zp.dtype != t.dtype {
            throw node.shapeError("\(what) is \(zp.dtype.name) but the quantized tensor is \(t.dtype.name)")
        }
    }
}

/// Scale element `i` (float32 or float16) as Float.
@inline(__always) func quantScale(_ t: Tensor, _ i: Int = 0) -> Float { t.float(at: i) }

/// Zero point element `i` as Int32 (0 when the zero point is omitted).
@inline(__always) func quantZeroPoint(_ t: Tensor?, _ i: Int = 0) -> Int32 {
    guard let t else { return 0 }
    return Int32(truncatingIfNeeded: t.integer(at: i))
}

/// A per-tensor scale and zero point known at planning (constant inputs), and the
/// element count: what a Quantize/DequantizeLinear run needs without reading its
/// input tensors (see `StepPointers`). nil for per-axis layouts or computed operands.
struct PlannedQuantization {
    let count: Int
    let scale: Float
    let zeroPoint: Int32

    init?(layout: QuantAxisLayout, count: Int, scale: ValueType, zeroPoint: ValueType?) {
        guard !layout.perAxis, let s = scale.constant else { return nil }
        if let zeroPoint, zeroPoint.constant == nil { return nil }
        self.count = count
        self.scale = quantScale(s)
        self.zeroPoint = quantZeroPoint(zeroPoint?.constant)
    }
}

/// Optional run-time input `index`.
@inline(__always) func optionalTensor(_ inputs: [Tensor?], _ index: Int) -> Tensor? {
    index < inputs.count ? inputs[index] : nil
}

/// The requantization multiplier a_scale * b_scale / y_scale in float32 (the rounding
/// rule of docs/int8-kernels.md). With float16 scales the product and quotient are
/// rounded to float16 as well, as the ONNX reference computes them in the scales' type.
@inline(__always) func requantScale(_ a: Float, _ b: Float, _ y: Float, half: Bool) -> Float {
    if half {
        let ab = Float16Bits.toFloat(Float16Bits.fromFloat(a * b))
        return Float16Bits.toFloat(Float16Bits.fromFloat(ab / y))
    }
    return (a * b) / y
}

/// A fused activation on a quantized output (attribute "outpost.activation" set by
/// the QDQ folding pass): Relu and Clip narrow the output clamp range.
struct QuantizedActivation {
    var name: String
    var low: Float
    var high: Float

    init(node: Node) throws(OutpostError) {
        name = try node.string("outpost.activation", default: "")
        let params = try node.floats("outpost.activation_params") ?? []
        low = -Float.greatestFiniteMagnitude
        high = Float.greatestFiniteMagnitude
        switch name {
        case "": break
        case "Relu": low = 0
        case "Clip":
            if params.count > 0 { low = params[0] }
            if params.count > 1 { high = params[1] }
        default:
            throw node.unsupported("outpost.activation", "fused activation '\(name)' on a quantized output (Relu and Clip are supported)")
        }
    }

    /// The clamp range [qmin, qmax] of an output of type `dtype` quantized with (scale, zeroPoint).
    func range(_ dtype: DType, scale: Float, zeroPoint: Int32) -> (Int32, Int32) {
        var lo = QuantType.qmin(dtype), hi = QuantType.qmax(dtype)
        if name.isEmpty || !(scale > 0) { return (lo, hi) }
        if low > -Float.greatestFiniteMagnitude {
            let q = (low / scale).rounded(.toNearestOrEven) + Float(zeroPoint)
            if q > Float(lo) { lo = q >= Float(hi) ? hi : Int32(q) }
        }
        if high < Float.greatestFiniteMagnitude {
            let q = (high / scale).rounded(.toNearestOrEven) + Float(zeroPoint)
            if q < Float(hi) { hi = q <= Float(lo) ? lo : Int32(q) }
        }
        return (lo, hi)
    }
}

extension Operator {
    /// The operands IntegerConvScaleFusion appends to ConvInteger / MatMulInteger: S, a
    /// float32 scalar (input 4), an optional float32 bias of one value or one per
    /// output channel / column (input 5), and optionally S's second factor (input 6: the
    /// scale is then S · S2, the Mul the fusion took in).
    /// Their epilogue, float(acc) * S + bias: the bias (broadcast) goes to params[0 ..<
    /// channels], per output row (convolution channels) or per column (MatMul); S is read
    /// from params[channels], which `setFloatScale` writes each run. params holds
    /// channels + 1 floats.
    func floatScaleEpilogue(_ params: Buffer, channels: Int, bias: Tensor?, per: ok_qper) -> ok_qepilogue {
        let f = params.base.assumingMemoryBound(to: Float.self)
        var ep = ok_qepilogue()
        ep.out = Int32(OK_QOUT_F32.rawValue)
        ep.scale = UnsafePointer(f + channels)
        ep.scale_per = Int32(OK_QPER_TENSOR.rawValue)
        if let bias {
            let src = bias.floats
            for c in 0..<channels { f[c] = bias.count == 1 ? src[0] : src[c] }
            ep.fbias = UnsafePointer(f)
            ep.bias_per = Int32(per.rawValue)
        }
        return ep
    }

    /// The float epilogue with a constant (or no) bias, built at planning for the
    /// pointer path (`FloatScaleOperands`); nil when the bias is computed.
    func plannedFloatScaleEpilogue(_ params: Buffer, channels: Int, _ inputs: [ValueType?],
                                   per: ok_qper) -> ok_qepilogue? {
        let bias = optionalInput(inputs, 5)
        if bias != nil && bias?.constant == nil { return nil }
        return floatScaleEpilogue(params, channels: channels, bias: bias?.constant, per: per)
    }

    /// This run's scale where the float epilogue reads it (params[channels]).
    func setFloatScale(_ params: Buffer, channels: Int, _ scale: Float) {
        params.base.storeBytes(of: scale, toByteOffset: channels * 4, as: Float.self)
    }

    /// S · S2 from the operand tensors (S alone without S2), the fused Mul's product.
    func floatScale(_ s: Tensor, _ s2: Tensor?) -> Float {
        s2.map { s.floats[0] * $0.floats[0] } ?? s.floats[0]
    }

    func checkFloatScaleOperands(_ inputs: [ValueType?], channels: Int, _ what: String) throws(OutpostError) {
        let s = try required(inputs, 4)
        try requireDType(s, [.float32], "scale S")
        try requireScalar(s, "scale S")
        if let s2 = optionalInput(inputs, 6) {
            try requireDType(s2, [.float32], "scale factor S2")
            try requireScalar(s2, "scale factor S2")
        }
        if let b = optionalInput(inputs, 5) {
            try requireDType(b, [.float32], "bias B")
            if b.count != 1 && b.count != channels {
                throw node.shapeError("bias B has \(b.count) values for \(channels) \(what)")
            }
        }
    }
}

/// IntegerConvScaleFusion's per-run operands of a fused ConvInteger / MatMulInteger for a
/// run through the step's pointers (quantize_dynamic's layers: the per-run Tensor
/// accesses and bias copy were a sixth of each small ConvInteger on kws): the
/// activation's zero point (input 2), S (input 4) and S2 (input 6), each known at
/// planning (a constant, or absent) or read from its pointer each run (nil here).
struct FloatScaleOperands {
    var zeroPoint: Int32?
    var s: Float?
    var s2: Float?
    let hasS2: Bool
    let signedZeroPoint: Bool

    init(_ inputs: [ValueType?], activation: DType) {
        func input(_ i: Int) -> ValueType? { i < inputs.count ? inputs[i] : nil }
        let zp = input(2), s2 = input(6)
        zeroPoint = zp == nil ? 0 : zp?.constant.map { quantZeroPoint($0) }
        s = input(4)?.constant.map { $0.floats[0] }
        self.s2 = s2 == nil ? 1 : s2?.constant.map { $0.floats[0] }
        hasS2 = s2 != nil
        signedZeroPoint = activation == .int8
    }

    /// This run's zero point and scale S · S2 (the fused Mul's product, in its order);
    /// nil when an operand has no pointer (a constant not materialised: use the Tensors).
    @inline(__always) func read(_ step: StepPointers) -> (zeroPoint: Int32, scale: Float)? {
        guard let z = zeroPoint ?? step.input(2).map({ signedZeroPoint ? Int32($0.load(as: Int8.self))
                                                                          : Int32($0.load(as: UInt8.self)) }),
              let a = s ?? step.input(4)?.load(as: Float.self),
              let b = s2 ?? step.input(6)?.load(as: Float.self) else { return nil }
        return (z, hasS2 ? a * b : a)
    }
}
