import CKernels

/// Spatial attributes shared by Conv and ConvTranspose, validated against the weights.
struct ConvAttributes {
    var autoPad: String
    var dilations: [Int]?
    var group: Int
    var kernelShape: [Int]?
    var pads: [Int]?
    var strides: [Int]?

    init(node: Node) throws(OutpostError) {
        autoPad = try node.string("auto_pad", default: "NOTSET")
        dilations = try node.ints("dilations")
        group = try node.int("group", default: 1)
        kernelShape = try node.ints("kernel_shape")
        pads = try node.ints("pads")
        strides = try node.ints("strides")
        switch autoPad {
        case "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID": break
        default: throw node.unsupported("auto_pad", "'\(autoPad)' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID")
        }
        if group < 1 { throw node.invalid("group must be >= 1, got \(group)") }
    }

    /// Per-axis values of length `n` (default `fallback`), or an error naming the attribute.
    func axes(_ values: [Int]?, _ n: Int, _ fallback: Int, _ name: String, _ node: Node) throws(OutpostError) -> [Int] {
        guard let v = values else { return [Int](repeating: fallback, count: n) }
        if v.count != n { throw node.invalid("\(name) has \(v.count) values for \(n) spatial axes") }
        for x in v where x < 1 { throw node.invalid("\(name) must be positive, got \(x)") }
        return v
    }

    /// Kernel, strides, dilations, resolved pads and output sizes of a forward
    /// convolution (Conv, QLinearConv, ConvInteger) over `spatial` input sizes.
    func geometry(spatial: [Int], weights: [Int], _ node: Node) throws(OutpostError) -> ConvGeometry {
        let nd = spatial.count
        var kernel = Array(weights[2...])
        if let ks = kernelShape {
            if ks != kernel { throw node.shapeError("kernel_shape \(shape: ks) does not match the weights \(shape: weights)") }
            kernel = ks
        }
        let strides = try axes(strides, nd, 1, "strides", node)
        let dilations = try axes(dilations, nd, 1, "dilations", node)
        var padBegin = [Int](repeating: 0, count: nd), padEnd = padBegin, out = padBegin
        if let pads, autoPad == "NOTSET" {
            if pads.count != 2 * nd { throw node.invalid("pads has \(pads.count) values for \(nd) spatial axes") }
            for i in 0..<nd {
                padBegin[i] = pads[i]
                padEnd[i] = pads[i + nd]
                if padBegin[i] < 0 || padEnd[i] < 0 { throw node.unsupported("pads", "negative pads") }
            }
        }
        for i in 0..<nd {
            let input = spatial[i]
            let ext = (kernel[i] - 1) * dilations[i] + 1
            switch autoPad {
            case "SAME_UPPER", "SAME_LOWER":
                out[i] = (input + strides[i] - 1) / strides[i]
                let total = max(0, (out[i] - 1) * strides[i] + ext - input)
                padBegin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                padEnd[i] = total - padBegin[i]
            default:
                let span = input + padBegin[i] + padEnd[i]
                if span < ext {
                    throw node.shapeError("kernel extent \(ext) exceeds padded input \(span) on spatial axis \(i)")
                }
                out[i] = (span - ext) / strides[i] + 1
            }
        }
        return ConvGeometry(kernel: kernel, strides: strides, dilations: dilations,
                            padBegin: padBegin, padEnd: padEnd, out: out)
    }
}

/// Per-axis geometry of a forward convolution, resolved at planning.
struct ConvGeometry {
    var kernel: [Int], strides: [Int], dilations: [Int]
    var padBegin: [Int], padEnd: [Int]
    /// Output spatial sizes.
    var out: [Int]
}

/// The C parameter block of a forward convolution with resolved geometry.
func makeConvParams(batch: Int, cin: Int, cout: Int, group: Int, inShape: [Int], geometry g: ConvGeometry) -> ok_conv_params {
    makeConvParams(batch: batch, cin: cin, cout: cout, group: group, inShape: inShape, outShape: g.out, kernel: g.kernel,
                   strides: g.strides, dilations: g.dilations, padBegin: g.padBegin, padEnd: g.padEnd)
}

/// Fills a C parameter block's fixed-size arrays from Swift arrays.
func setTuple3(_ t: inout (Int32, Int32, Int32), _ v: [Int], _ fill: Int32) {
    t = (v.count > 0 ? Int32(v[0]) : fill, v.count > 1 ? Int32(v[1]) : fill, v.count > 2 ? Int32(v[2]) : fill)
}

/// The C parameter block shared by Conv and ConvTranspose: batch and channels,
/// then the per-axis spatial geometry (up to 3 axes).
func makeConvParams(batch: Int, cin: Int, cout: Int, group: Int, inShape: [Int], outShape: [Int], kernel: [Int],
                    strides: [Int], dilations: [Int], padBegin: [Int], padEnd: [Int]) -> ok_conv_params {
    var p = ok_conv_params()
    p.ndim = Int32(inShape.count)
    p.batch = Int32(batch); p.cin = Int32(cin); p.cout = Int32(cout); p.group = Int32(group)
    setTuple3(&p.in_shape, inShape, 1)
    setTuple3(&p.out_shape, outShape, 1)
    setTuple3(&p.kernel, kernel, 1)
    setTuple3(&p.stride, strides, 1)
    setTuple3(&p.dilation, dilations, 1)
    setTuple3(&p.pad_begin, padBegin, 0)
    setTuple3(&p.pad_end, padEnd, 0)
    return p
}

/// ONNX Conv (float32, NCHW, 1-D/2-D/3-D), on the CKernels convolution: im2col +
/// SGEMM with pre-packed weights, a pointwise fast path and a depthwise direct kernel.
/// Bias and the fused activation run in the GEMM epilogue.
final class ConvOperator: Operator {
    let attributes: ConvAttributes
    let activation: FusedActivation
    /// Per-output-channel factors applied to the weights while packing them (a
    /// folded BatchNormalization, `GraphOptimizer.weightScaleAttribute`), or nil.
    let weightScale: [Float]?
    private var params = ok_conv_params()
    /// Weights packed at planning when they are constant; else packed into scratch per run.
    private var packedWeights: Buffer?
    /// packedWeights' bytes (read every run without touching the Buffer reference).
    private var packedBase: UnsafeMutableRawPointer?
    private var packedBytes = 0
    private var workspaceBytes = 0

    init(node: Node, opset: Int, attributes: ConvAttributes) throws(OutpostError) {
        self.attributes = attributes
        self.activation = try FusedActivation(node: node)
        self.weightScale = try node.floats(GraphOptimizer.weightScaleAttribute)
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0), w = try required(inputs, 1)
        if let s = weightScale, w.constant == nil || s.count != w.shape.first {
            throw node.invalid("\(GraphOptimizer.weightScaleAttribute) needs constant weights W and one factor per output channel")
        }
        try requireDType(x, [.float32], "input X")
        try requireDType(w, [.float32], "weights W")
        let nd = x.shape.count - 2
        if nd < 1 { throw node.shapeError("input X must have rank >= 3 (N, C, spatial...), got \(shape: x.shape)") }
        if nd > 3 { throw node.unsupported("kernel_shape", "\(nd)-D convolution is not supported (1-D to 3-D are)") }
        if w.shape.count != x.shape.count {
            throw node.shapeError("weights W \(shape: w.shape) must have the rank of X \(shape: x.shape)")
        }
        let group = attributes.group
        let cin = x.shape[1], cout = w.shape[0]
        if cin % group != 0 || cout % group != 0 || w.shape[1] * group != cin {
            throw node.shapeError("channels do not fit group \(group): X has \(cin), W is \(shape: w.shape)")
        }
        if let b = inputs.count > 2 ? inputs[2] : nil {
            try requireDType(b, [.float32], "bias B")
            if b.count != cout { throw node.shapeError("bias B has \(b.count) values for \(cout) output channels") }
        }
        let g = try attributes.geometry(spatial: Array(x.shape[2...]), weights: w.shape, node)
        var p = makeConvParams(batch: x.shape[0], cin: cin, cout: cout, group: group, inShape: Array(x.shape[2...]),
                               geometry: g)
        params = p
        packedBytes = align64(ok_conv_packed_weights_size(&p))
        workspaceBytes = align64(ok_conv_workspace_size(&p, Int32(neuralPlannedThreads)))
        packedWeights = nil
        packedBase = nil
        if let wc = w.constant {
            let buf = Buffer(zeroedBytes: packedBytes)
            withPackableFloats(wc, rows: cout, rowScale: weightScale) { ok_conv_pack_weights(&p, $0, buf.base) }
            packedWeights = buf
            packedBase = buf.base
        }
        return [TensorType(.float32, [x.shape[0], cout] + g.out)]
    }

    override var scratchBytes: Int { (packedWeights == nil ? packedBytes : 0) + workspaceBytes }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        if let packed = packedBase, ctx.step != nil, let x = ctx.input(0, inputs) {
            // Pointers without Tensor copies (StepPointers; a session skips empty steps).
            var p = params
            let bias = ctx.input(2, inputs).map { UnsafePointer($0.assumingMemoryBound(to: Float.self)) }
            var ep = activation.epilogue(bias: bias, biasKind: OK_BIAS_PER_ROW)
            ok_conv(neuralPool(ctx), &p, x.assumingMemoryBound(to: Float.self), packed,
                    ctx.output(0, outputs).assumingMemoryBound(to: Float.self), &ep, ctx.scratch)
            return
        }
        guard let x = inputs[0], let w = inputs[1] else { return }
        if outputs[0].count == 0 { return }
        var p = params
        var scratch = ctx.scratch
        let packed: UnsafeMutableRawPointer
        if let pw = packedWeights {
            packed = pw.base
        } else {
            ok_conv_pack_weights(&p, w.floats, scratch)
            packed = scratch
            scratch += packedBytes
        }
        let bias: UnsafePointer<Float>? = inputs.count > 2 ? inputs[2].map { UnsafePointer($0.floats) } : nil
        var ep = activation.epilogue(bias: bias, biasKind: OK_BIAS_PER_ROW)
        ok_conv(neuralPool(ctx), &p, x.floats, packed, outputs[0].floats, &ep, scratch)
    }
}
