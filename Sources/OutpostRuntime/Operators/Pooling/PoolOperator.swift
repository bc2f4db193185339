import CKernels

/// MaxPool, AveragePool and LpPool over 1-D, 2-D or 3-D NC... float32 inputs.
/// Planning resolves kernel, strides, dilations, explicit or automatic padding
/// and ceil_mode into one `ok_pool_params`; `run` is a single C call (fast 2-D
/// max paths and planes split over the thread pool).
final class PoolOperator: Operator {
    enum Kind { case max, average, lp }
    let kind: Kind
    private var params = ok_pool_params()
    private var dtype = DType.float32
    /// MaxPool's optional second output (flat input index of each maximum).
    private var withIndices = false
    private var storageOrder: Int32 = 0

    init(node: Node, opset: Int, kind: Kind) {
        self.kind = kind
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        // MaxPool also runs on int8/uint8 (folded QDQ graphs: it only selects values).
        // (Embedded builds once refused these as "unsupported data type uint8": the
        // SIL object outliner gave the constant DType arrays names that clashed
        // across modules. Fixed in cross-compile/lib.sh; see docs/size-budget.md.)
        let isMax: Bool
        if case .max = kind { isMax = true } else { isMax = false }
        if x.dtype == .uint8 || x.dtype == .int8 {
            guard isMax else { throw .unsupportedDataType(tensor: "input of \(node.opType) node '\(node.displayName)'", dtype: x.dtype.name) }
        } else {
            try requireDType(x, [.float32], "input")
        }
        dtype = x.dtype
        withIndices = isMax && node.outputs.count > 1 && !node.outputs[1].isEmpty
        storageOrder = Int32(try node.int("storage_order", default: 0))
        let spatial = x.shape.count - 2
        guard spatial >= 1 && spatial <= 3 else {
            throw node.shapeError("expected a 1-D, 2-D or 3-D N×C×… input, got \(shape: x.shape)")
        }
        guard let kernel = try node.ints("kernel_shape"), kernel.count == spatial else {
            throw node.invalid("kernel_shape must have \(spatial) entries")
        }
        let strides = try node.ints("strides") ?? [Int](repeating: 1, count: spatial)
        let dilations = try node.ints("dilations") ?? [Int](repeating: 1, count: spatial)
        var pads = try node.ints("pads") ?? [Int](repeating: 0, count: 2 * spatial)
        let autoPad = try node.string("auto_pad", default: "NOTSET")
        let ceilMode = try node.int("ceil_mode", default: 0) != 0
        guard strides.count == spatial, dilations.count == spatial, pads.count == 2 * spatial else {
            throw node.invalid("strides, dilations and pads must match the \(spatial) spatial dims")
        }
        for k in 0..<spatial where kernel[k] < 1 || strides[k] < 1 || dilations[k] < 1 {
            throw node.invalid("kernel_shape, strides and dilations must be positive")
        }
        var outSpatial = [Int]()
        for k in 0..<spatial {
            let inDim = x.shape[2 + k]
            let window = (kernel[k] - 1) * dilations[k] + 1
            var out: Int
            switch autoPad {
            case "SAME_UPPER", "SAME_LOWER":
                out = (inDim + strides[k] - 1) / strides[k]
                let total = max((out - 1) * strides[k] + window - inDim, 0)
                let small = total / 2
                pads[k] = autoPad == "SAME_UPPER" ? small : total - small
                pads[spatial + k] = total - pads[k]
            case "VALID":
                out = inDim >= window ? (inDim - window) / strides[k] + 1 : 0
                pads[k] = 0
                pads[spatial + k] = 0
            case "NOTSET", "":
                let span = inDim + pads[k] + pads[spatial + k] - window
                guard span >= 0 else {
                    throw node.shapeError("kernel window \(window) exceeds padded input \(inDim + pads[k] + pads[spatial + k]) on spatial axis \(k)")
                }
                if ceilMode {
                    out = (span + strides[k] - 1) / strides[k] + 1
                    // The last window must start inside the input or its left padding.
                    if (out - 1) * strides[k] >= inDim + pads[k] { out -= 1 }
                } else {
                    out = span / strides[k] + 1
                }
            default:
                throw node.unsupported("auto_pad", "'\(autoPad)' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID")
            }
            outSpatial.append(out)
        }

        var p = ok_pool_params()
        p.planes = Int64(x.shape[0] * x.shape[1])
        let shift = 3 - spatial
        var inD: (Int64, Int64, Int64) = (1, 1, 1), outD = inD, kD = inD, sD = inD, dD = inD
        var pb: (Int64, Int64, Int64) = (0, 0, 0), pe = pb
        for a in 0..<3 {
            let k = a - shift
            let inside = k >= 0
            let vin = Int64(inside ? x.shape[2 + k] : 1), vout = Int64(inside ? outSpatial[k] : 1)
            let vk = Int64(inside ? kernel[k] : 1), vs = Int64(inside ? strides[k] : 1), vd = Int64(inside ? dilations[k] : 1)
            let vpb = Int64(inside ? pads[k] : 0), vpe = Int64(inside ? pads[spatial + k] : 0)
            switch a {
            case 0: inD.0 = vin; outD.0 = vout; kD.0 = vk; sD.0 = vs; dD.0 = vd; pb.0 = vpb; pe.0 = vpe
            case 1: inD.1 = vin; outD.1 = vout; kD.1 = vk; sD.1 = vs; dD.1 = vd; pb.1 = vpb; pe.1 = vpe
            default: inD.2 = vin; outD.2 = vout; kD.2 = vk; sD.2 = vs; dD.2 = vd; pb.2 = vpb; pe.2 = vpe
            }
        }
        p.in = inD; p.out = outD; p.kernel = kD; p.stride = sD; p.dilation = dD
        p.pad_begin = pb; p.pad_end = pe
        switch kind {
        case .max: p.kind = Int32(OK_POOL_MAX.rawValue)
        case .average: p.kind = Int32(OK_POOL_AVG.rawValue)
        case .lp: p.kind = Int32(OK_POOL_LP.rawValue)
        }
        p.count_include_pad = Int32(try node.int("count_include_pad", default: 0))
        if kind == .lp {
            p.p = try node.float("p", default: 2)
        }
        params = p
        let outShape = Array(x.shape.prefix(2)) + outSpatial
        if withIndices { return [TensorType(x.dtype, outShape), TensorType(.int64, outShape)] }
        return [TensorType(x.dtype, outShape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = ctx.input(0, inputs) else { return }
        let y = ctx.output(0, outputs)
        let indices = withIndices ? ctx.output(1, outputs).assumingMemoryBound(to: Int64.self) : nil
        if (dtype == .uint8 || dtype == .int8) && !withIndices {
            // Planes over the pool (YOLO's SPPF pools ran on one thread at 2 threads).
            ok_maxpool8_pool(&params, x, y, dtype == .int8 ? 1 : 0, ctx.pool)
            return
        }
        switch dtype {
        case .uint8:
            ok_maxpool_u8(&params, x.assumingMemoryBound(to: UInt8.self), y.assumingMemoryBound(to: UInt8.self), indices,
                          storageOrder)
        case .int8:
            ok_maxpool_s8(&params, x.assumingMemoryBound(to: Int8.self), y.assumingMemoryBound(to: Int8.self), indices,
                          storageOrder)
        default:
            let xf = x.assumingMemoryBound(to: Float.self), yf = y.assumingMemoryBound(to: Float.self)
            if withIndices {
                ok_maxpool_indices_f32(&params, xf, yf, indices, storageOrder)
            } else {
                ok_pool_f32(&params, xf, yf, ctx.pool)
            }
        }
    }
}
