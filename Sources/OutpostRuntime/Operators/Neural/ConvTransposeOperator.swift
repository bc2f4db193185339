import CKernels

/// ONNX ConvTranspose (float32, NCHW, 1-D/2-D/3-D): per group a GEMM W_g^T . X_g with
/// the weights pre-packed, then col2im scatter-add; bias and the fused activation
/// after the scatter.
final class ConvTransposeOperator: Operator {
    let attributes: ConvAttributes
    let activation: FusedActivation
    let outputPadding: [Int]?
    let outputShape: [Int]?
    private var params = ok_conv_params()
    private var packedWeights: Buffer?
    private var packedBytes = 0
    private var workspaceBytes = 0

    init(node: Node, opset: Int, attributes: ConvAttributes) throws(OutpostError) {
        self.attributes = attributes
        self.activation = try FusedActivation(node: node)
        self.outputPadding = try node.ints("output_padding")
        self.outputShape = try node.ints("output_shape")
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0), w = try required(inputs, 1)
        try requireDType(x, [.float32], "input X")
        try requireDType(w, [.float32], "weights W")
        let nd = x.shape.count - 2
        if nd < 1 { throw node.shapeError("input X must have rank >= 3 (N, C, spatial...), got \(shape: x.shape)") }
        if nd > 3 { throw node.unsupported("kernel_shape", "\(nd)-D transposed convolution is not supported (1-D to 3-D are)") }
        if w.shape.count != x.shape.count {
            throw node.shapeError("weights W \(shape: w.shape) must have the rank of X \(shape: x.shape)")
        }
        let group = attributes.group
        let cin = x.shape[1]
        if w.shape[0] != cin || cin % group != 0 {
            throw node.shapeError("weights W \(shape: w.shape) do not fit \(cin) input channels in group \(group)")
        }
        let cout = w.shape[1] * group
        if let b = inputs.count > 2 ? inputs[2] : nil {
            try requireDType(b, [.float32], "bias B")
            if b.count != cout { throw node.shapeError("bias B has \(b.count) values for \(cout) output channels") }
        }
        var kernel = Array(w.shape[2...])
        if let ks = attributes.kernelShape {
            if ks != kernel { throw node.shapeError("kernel_shape \(shape: ks) does not match W \(shape: w.shape)") }
            kernel = ks
        }
        let strides = try attributes.axes(attributes.strides, nd, 1, "strides", node)
        let dilations = try attributes.axes(attributes.dilations, nd, 1, "dilations", node)
        var outPad = [Int](repeating: 0, count: nd)
        if let op = outputPadding {
            if op.count != nd { throw node.invalid("output_padding has \(op.count) values for \(nd) spatial axes") }
            outPad = op
        }
        var padBegin = [Int](repeating: 0, count: nd), padEnd = padBegin, out = padBegin
        if let pads = attributes.pads, attributes.autoPad == "NOTSET" {
            if pads.count != 2 * nd { throw node.invalid("pads has \(pads.count) values for \(nd) spatial axes") }
            for i in 0..<nd { padBegin[i] = pads[i]; padEnd[i] = pads[i + nd] }
        }
        var requested: [Int]? = nil
        if let os = outputShape {
            if os.count == nd { requested = os }
            else if os.count == nd + 2 { requested = Array(os[2...]) }
            else { throw node.invalid("output_shape has \(os.count) values for \(nd) spatial axes") }
        }
        for i in 0..<nd {
            let input = x.shape[2 + i]
            let ext = (kernel[i] - 1) * dilations[i] + 1
            let full = strides[i] * (input - 1) + outPad[i] + ext
            if let r = requested {
                out[i] = r[i]
            } else if attributes.autoPad == "SAME_UPPER" || attributes.autoPad == "SAME_LOWER" {
                out[i] = input * strides[i]
            } else {
                out[i] = full - padBegin[i] - padEnd[i]
            }
            if requested != nil || attributes.autoPad == "SAME_UPPER" || attributes.autoPad == "SAME_LOWER" {
                // ONNX's reference divides with floor (total may be negative when the
                // requested output is larger than the natural one).
                let total = full - out[i]
                let half = total >= 0 ? total / 2 : -((-total + 1) / 2)
                padBegin[i] = attributes.autoPad == "SAME_UPPER" ? half : total - half
            }
            if out[i] < 1 { throw node.shapeError("output size \(out[i]) on spatial axis \(i) is not positive") }
        }
        var p = makeConvParams(batch: x.shape[0], cin: cin, cout: cout, group: group, inShape: Array(x.shape[2...]),
                               outShape: out, kernel: kernel, strides: strides, dilations: dilations,
                               padBegin: padBegin, padEnd: padEnd)
        params = p
        packedBytes = align64(ok_conv_transpose_packed_weights_size(&p))
        workspaceBytes = align64(ok_conv_transpose_workspace_size(&p, Int32(neuralPlannedThreads)))
        packedWeights = nil
        if let wc = w.constant {
            let buf = Buffer(zeroedBytes: packedBytes)
            withPackableFloats(wc, rows: 1, rowScale: nil) { ok_conv_transpose_pack_weights(&p, $0, buf.base) }
            packedWeights = buf
        }
        return [TensorType(.float32, [x.shape[0], cout] + out)]
    }

    override var scratchBytes: Int { (packedWeights == nil ? packedBytes : 0) + workspaceBytes }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0], let w = inputs[1] else { return }
        if outputs[0].count == 0 { return }
        var p = params
        var scratch = ctx.scratch
        let packed: UnsafeMutableRawPointer
        if let pw = packedWeights {
            packed = pw.base
        } else {
            ok_conv_transpose_pack_weights(&p, w.floats, scratch)
            packed = scratch
            scratch += packedBytes
        }
        let bias: UnsafePointer<Float>? = inputs.count > 2 ? inputs[2].map { UnsafePointer($0.floats) } : nil
        var ep = activation.epilogue(bias: bias, biasKind: OK_BIAS_PER_ROW)
        ok_conv_transpose(neuralPool(ctx), &p, x.floats, packed, outputs[0].floats, &ep, scratch)
    }
}
