import CKernels

/// How a scale / zero-point pair applies to a tensor: one value, or one per index
/// along `axis` (per-axis quantization). Blocked quantization (opset 21
/// `block_size`) is not supported.
struct QuantAxisLayout {
    var perAxis = false
    var outer = 1, channels = 1, inner = 1

    init() {}

    /// Decides the layout for tensor shape `shape`, scale shape `scale` and the node's axis.
    init(_ op: Operator, shape: [Int], scale: [Int], axis: Int, blockSize: Int) throws(OutpostError) {
        let node = op.node
        if blockSize > 0 {
            throw node.unsupported("block_size", "blocked quantization (block_size \(blockSize)) is not supported; per-tensor and per-axis are")
        }
        let n = Tensor.elementCount(scale)
        if scale.count > 1 {
            throw node.unsupported("block_size", "scale of shape \(shape: scale) means blocked quantization, which is not supported")
        }
        outer = Tensor.elementCount(shape)
        if n == 1 { return }
        let a = try op.normalizedAxis(axis, rank: shape.count)
        if shape[a] != n {
            throw node.shapeError("scale has \(n) values but axis \(a) of \(shape: shape) has \(shape[a])")
        }
        perAxis = true
        outer = Tensor.elementCount(Array(shape[..<a]))
        channels = n
        inner = Tensor.elementCount(Array(shape[(a + 1)...]))
    }
}

/// ONNX QuantizeLinear (opset 10-25): y = saturate(round_half_even(x / y_scale) + y_zero_point),
/// per tensor or per axis, uint8 or int8 output (the zero point's type, else
/// `output_dtype`, else uint8). Also registered for com.microsoft::QuantizeLinear.
final class QuantizeLinearOperator: Operator {
    let axis: Int
    let blockSize: Int
    let outputDType: Int
    private var layout = QuantAxisLayout()
    private var outType = DType.uint8

    init(_ node: Node, opset: Int) throws(OutpostError) {
        axis = try node.int("axis", default: 1)
        blockSize = try node.int("block_size", default: 0)
        outputDType = try node.int("output_dtype", default: 0)
        let precision = try node.int("precision", default: 0)
        if precision != 0 && precision != DType.float32.rawValue {
            throw node.unsupported("precision", "computation precision \(DType.onnxName(precision)) (float32 is supported)")
        }
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0), scale = try required(inputs, 1)
        let zp = optionalInput(inputs, 2)
        try requireDType(x, [.float32], "input x")
        try requireScale(scale, "y_scale")
        if let zp {
            try requireQuantized(zp, "y_zero_point")
            outType = zp.dtype
            if outputDType != 0 && outputDType != zp.dtype.rawValue {
                throw node.invalid("output_dtype \(DType.onnxName(outputDType)) differs from y_zero_point's type \(zp.dtype.name)")
            }
            if zp.shape != scale.shape && zp.count != scale.count {
                throw node.shapeError("y_zero_point \(shape: zp.shape) does not match y_scale \(shape: scale.shape)")
            }
        } else {
            switch outputDType {
            case 0, DType.uint8.rawValue: outType = .uint8
            case DType.int8.rawValue: outType = .int8
            default:
                throw OutpostError.unsupportedDataType(tensor: String(outlined: "output y of QuantizeLinear node '\(node.displayName)'"),
                                                       dtype: DType.onnxName(outputDType))
            }
        }
        layout = try QuantAxisLayout(self, shape: x.shape, scale: scale.shape, axis: axis, blockSize: blockSize)
        planned = PlannedQuantization(layout: layout, count: x.count, scale: scale, zeroPoint: zp)
        return [TensorType(outType, x.shape)]
    }

    /// Per-tensor constant scale and zero point, read once at planning.
    private var planned: PlannedQuantization?

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        let ty = QuantType.code(outType), lo = QuantType.qmin(outType), hi = QuantType.qmax(outType)
        if let q = planned, let step = ctx.step, let x = step.input(0) {
            ok_quantize_f32_pool(UnsafeMutableRawPointer(ctx.pool), x.assumingMemoryBound(to: Float.self), step.output(0),
                                 ty, q.count, q.scale, q.zeroPoint, lo, hi)
            return
        }
        guard let x = inputs[0], let scale = inputs[1] else { return }
        let zp = optionalTensor(inputs, 2)
        let y = outputs[0]
        if !layout.perAxis {
            ok_quantize_f32_pool(UnsafeMutableRawPointer(ctx.pool), x.floats, y.raw, ty, y.count, quantScale(scale),
                                 quantZeroPoint(zp), lo, hi)
            return
        }
        let src = x.floats, dst = y.raw
        let inner = layout.inner, channels = layout.channels
        for o in 0..<layout.outer {
            for c in 0..<channels {
                let at = (o * channels + c) * inner
                ok_quantize_f32(src + at, dst + at, ty, inner, quantScale(scale, c), quantZeroPoint(zp, c), lo, hi)
            }
        }
    }
}

/// ONNX DequantizeLinear (opset 10-25): y = (x - x_zero_point) * x_scale, per tensor or
/// per axis. x is uint8, int8 or int32 (int32: zero point 0, as for biases); y has the
/// scale's type (float32 or float16). Also registered for com.microsoft::DequantizeLinear.
final class DequantizeLinearOperator: Operator {
    let axis: Int
    let blockSize: Int
    let outputDType: Int
    private var layout = QuantAxisLayout()
    private var outType = DType.float32

    init(_ node: Node, opset: Int) throws(OutpostError) {
        axis = try node.int("axis", default: 1)
        blockSize = try node.int("block_size", default: 0)
        outputDType = try node.int("output_dtype", default: 0)
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0), scale = try required(inputs, 1)
        let zp = optionalInput(inputs, 2)
        try requireDType(x, [.uint8, .int8, .int32], "input x")
        try requireScale(scale, "x_scale")
        try requireSameType(zp, x, "x_zero_point")
        if let zp, zp.count != scale.count {
            throw node.shapeError("x_zero_point \(shape: zp.shape) does not match x_scale \(shape: scale.shape)")
        }
        outType = scale.dtype
        if outputDType != 0 {
            guard outputDType == DType.float32.rawValue || outputDType == DType.float16.rawValue else {
                throw OutpostError.unsupportedDataType(tensor: String(outlined: "output y of DequantizeLinear node '\(node.displayName)'"),
                                                       dtype: DType.onnxName(outputDType))
            }
            outType = outputDType == DType.float16.rawValue ? .float16 : .float32
        }
        layout = try QuantAxisLayout(self, shape: x.shape, scale: scale.shape, axis: axis, blockSize: blockSize)
        xCode = QuantType.code(x.dtype)
        planned = outType == .float32 && x.dtype != .int32
            ? PlannedQuantization(layout: layout, count: x.count, scale: scale, zeroPoint: zp) : nil
        return [TensorType(outType, x.shape)]
    }

    /// Per-tensor constant scale and zero point into float32, read once at planning.
    private var planned: PlannedQuantization?
    private var xCode: Int32 = 0

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        if let q = planned, let step = ctx.step, let x = step.input(0) {
            ok_dequantize_f32_pool(UnsafeMutableRawPointer(ctx.pool), x, xCode,
                                   step.output(0).assumingMemoryBound(to: Float.self), q.count, q.scale, q.zeroPoint)
            return
        }
        guard let x = inputs[0], let scale = inputs[1] else { return }
        let zp = optionalTensor(inputs, 2)
        let y = outputs[0]
        let inner = layout.perAxis ? layout.inner : y.count
        let channels = layout.perAxis ? layout.channels : 1
        let outer = layout.perAxis ? layout.outer : 1
        for o in 0..<outer {
            for c in 0..<channels {
                let at = (o * channels + c) * inner
                let s = quantScale(scale, c), z = quantZeroPoint(zp, c)
                if !layout.perAxis && outType == .float32 && x.dtype != .int32 {
                    ok_dequantize_f32_pool(UnsafeMutableRawPointer(ctx.pool), x.raw, QuantType.code(x.dtype), y.floats,
                                           inner, s, z)
                } else {
                    dequantize(x, at, inner, s, z, y)
                }
            }
        }
    }

    /// Dequantizes `count` elements starting at element `at`.
    @inline(__always)
    private func dequantize(_ x: Tensor, _ at: Int, _ count: Int, _ s: Float, _ z: Int32, _ y: Tensor) {
        switch (x.dtype, outType) {
        case (.int32, _):
            let src = x.pointer(Int32.self) + at
            for i in 0..<count { store(y, at + i, Float(src[i] &- z) * s) }
        case (_, .float32):
            ok_dequantize_f32(x.raw + at, QuantType.code(x.dtype), y.floats + at, count, s, z)
        default:
            let src = x.raw + at, t = QuantType.code(x.dtype)
            for i in 0..<count {
                let q = t == 1 ? Int32(src.load(fromByteOffset: i, as: Int8.self)) : Int32(src.load(fromByteOffset: i, as: UInt8.self))
                store(y, at + i, Float(q - z) * s)
            }
        }
    }

    @inline(__always)
    private func store(_ y: Tensor, _ i: Int, _ v: Float) {
        if outType == .float16 {
            y.pointer(UInt16.self)[i] = Float16Bits.fromFloat(v)
        } else {
            y.floats[i] = v
        }
    }
}

/// ONNX DynamicQuantizeLinear (opset 11): uint8 quantization of x with a scale and
/// zero point computed from its range, exactly as the spec writes it:
///   x_min = min(0, min(x)), x_max = max(0, max(x)),
///   y_scale = (x_max - x_min) / 255 (1/255 when the range is empty),
///   y_zero_point = round_half_even(saturate(0 - x_min / y_scale)),
///   y = saturate(round_half_even(x / y_scale) + y_zero_point).
/// With `outpost.rectified` (DynamicQuantizeReluFold) the node stands for
/// DynamicQuantizeLinear(Relu(x)): x_min is 0, so the zero point is 0 and the uint8
/// clamp turns every x ≤ 0 into the 0 the Relu would have given.
final class DynamicQuantizeLinearOperator: Operator {
    let rectified: Bool

    override init(node: Node, opset: Int) {
        rectified = node.attributes[DynamicQuantizeReluFold.attribute] != nil
        super.init(node: node, opset: opset)
    }

    /// x's element count, known at planning.
    private var count = 0

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        try requireDType(x, [.float32], "input x")
        count = x.count
        return [TensorType(.uint8, x.shape), TensorType(.float32, []), TensorType(.uint8, [])]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        // Through the step's pointers when planned (no Tensor copies), else the Tensors.
        if let step = ctx.step, let x = step.input(0) {
            quantize(x.assumingMemoryBound(to: Float.self), count, step.output(0), step.output(1), step.output(2), ctx)
            return
        }
        guard let x = inputs[0] else { return }
        quantize(x.floats, x.count, outputs[0].raw, outputs[1].raw, outputs[2].raw, ctx)
    }

    private func quantize(_ x: UnsafeMutablePointer<Float>, _ n: Int, _ y: UnsafeMutableRawPointer,
                          _ yScale: UnsafeMutableRawPointer, _ yZeroPoint: UnsafeMutableRawPointer,
                          _ ctx: ExecutionContext) {
        var mn: Float = 0, mx: Float = 0
        if n > 0 { ok_minmax_f32(x, n, &mn, &mx) }
        let maxx = mx > 0 ? mx : 0     // NaN range (all NaN) -> 0
        let minx = mn < 0 && !rectified ? mn : 0
        let scale = (maxx == minx ? Float(1) : (maxx - minx)) / 255
        var zp = 0 - minx / scale
        if !(zp >= 0) { zp = 0 }
        if zp > 255 { zp = 255 }
        let zpi = zp.rounded(.toNearestOrEven)
        yScale.storeBytes(of: scale, as: Float.self)
        yZeroPoint.storeBytes(of: UInt8(zpi), as: UInt8.self)
        if n > 0 {
            ok_quantize_f32_pool(UnsafeMutableRawPointer(ctx.pool), x, y, 0, n, scale, Int32(zpi), 0, 255)
        }
    }
}
