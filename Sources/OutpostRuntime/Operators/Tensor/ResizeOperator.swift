import CKernels

/// Resize (opsets 10-21) and the deprecated Upsample (mapped onto it).
///
/// Every output coordinate is mapped back to an input coordinate per axis
/// (coordinate_transformation_mode), exactly like ONNX's reference. Nearest mode
/// becomes a per-axis index table for AxisGather (any dtype); linear and cubic
/// become per-axis tap tables (indices and weights, float32) for
/// ok_resize_taps_f32. All tables are built in `plan`.
final class ResizeOperator: Operator {
    private enum Mode { case nearest, linear, cubic }
    private var mode = Mode.nearest
    private var gather: AxisGather?
    private let fill: UnsafeMutableRawPointer
    // Tap tables for linear/cubic: one allocation each, per-axis pointers.
    private var taps = 2
    private var rank = 0
    private var shape: UnsafeMutablePointer<Int64>?
    private var idxData: UnsafeMutablePointer<Int64>?
    private var coefData: UnsafeMutablePointer<Float>?
    private var outsideData: UnsafeMutablePointer<UInt8>?
    private var idxPtrs: UnsafeMutablePointer<UnsafePointer<Int64>?>?
    private var coefPtrs: UnsafeMutablePointer<UnsafePointer<Float>?>?
    private var outsidePtrs: UnsafeMutablePointer<UnsafePointer<UInt8>?>?
    private var interp: UnsafeMutablePointer<UInt8>?
    private var extrapolation: Float = 0

    override init(node: Node, opset: Int) {
        fill = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
        fill.initializeMemory(as: UInt8.self, repeating: 0, count: 16)
        super.init(node: node, opset: opset)
    }

    deinit {
        fill.deallocate()
        releaseTables()
    }

    private func releaseTables() {
        shape?.deallocate(); idxData?.deallocate(); coefData?.deallocate(); outsideData?.deallocate()
        idxPtrs?.deallocate(); coefPtrs?.deallocate(); outsidePtrs?.deallocate(); interp?.deallocate()
        shape = nil; idxData = nil; coefData = nil; outsideData = nil
        idxPtrs = nil; coefPtrs = nil; outsidePtrs = nil; interp = nil
    }

    /// Non-empty float values of an optional constant input.
    private func optionalFloats(_ inputs: [ValueType?], _ index: Int, _ what: String) throws(OutpostError) -> [Float]? {
        guard index < inputs.count, let v = inputs[index], v.count > 0 else { return nil }
        let c = try requiredConstant(inputs, index, what)
        var out = [Float]()
        for i in 0..<c.count { out.append(c.float(at: i)) }
        return out
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        let r = x.shape.count
        let isUpsample = node.opType == "Upsample"
        let legacy = isUpsample || opset < 11
        let modeName = try node.string("mode", default: "nearest")
        // The string attributes by their position in a table of names (wordIndex), then
        // switches on small integers: one scan each instead of a String comparison per
        // case (and per output index in `original`).
        switch wordIndex(modeName, in: "nearest linear bilinear trilinear cubic bicubic") {
        case 0: mode = .nearest
        case 1, 2, 3: mode = .linear
        case 4, 5: mode = .cubic
        default: throw node.unsupported("mode", "'\(modeName)' is not nearest, linear or cubic")
        }
        let ctmName = legacy ? "asymmetric" : try node.string("coordinate_transformation_mode", default: "half_pixel")
        // half_pixel 0, align_corners 1, asymmetric 2, tf_crop_and_resize 3, pytorch_half_pixel 4,
        // half_pixel_symmetric 5; nil: unknown (rejected below, after the scales and sizes checks).
        let ctm = wordIndex(ctmName, in: "half_pixel align_corners asymmetric tf_crop_and_resize pytorch_half_pixel half_pixel_symmetric")
        let nearestName = legacy ? "simple" : try node.string("nearest_mode", default: "round_prefer_floor")
        // round_prefer_floor 0, round_prefer_ceil 1, floor 2, ceil 3, simple 4.
        let nearestMode = wordIndex(nearestName, in: "round_prefer_floor round_prefer_ceil floor ceil simple")
        let cubicA = Double(try node.float("cubic_coeff_a", default: -0.75))
        let excludeOutside = try node.int("exclude_outside", default: 0) != 0
        extrapolation = try node.float("extrapolation_value", default: 0)
        let antialias = try node.int("antialias", default: 0) != 0
        let policy = try node.string("keep_aspect_ratio_policy", default: "stretch")

        // Axes the scales/sizes/roi refer to (opset 18), defaulting to all.
        var axes = [Int]()
        if let a = try node.ints("axes") {
            for v in a { axes.append(try normalizedAxis(v, rank: r)) }
        } else {
            axes = Array(0..<r)
        }

        var scalesIn: [Float]? = nil
        var sizesIn: [Int]? = nil
        var roiIn: [Float]? = nil
        if isUpsample && opset < 9 {
            scalesIn = try node.floats("scales")
        } else if legacy {
            scalesIn = try optionalFloats(inputs, 1, "scales")
        } else {
            roiIn = try optionalFloats(inputs, 1, "roi")
            scalesIn = try optionalFloats(inputs, 2, "scales")
            if inputs.count > 3, let v = inputs[3], v.count > 0 {
                sizesIn = try requiredConstant(inputs, 3, "sizes").integerValues()
            }
        }

        var scales = [Double](repeating: 1, count: r)
        var outShape = x.shape
        var roi = [Double](repeating: 0, count: r) + [Double](repeating: 1, count: r)
        if let roiIn {
            guard roiIn.count == 2 * axes.count else { throw node.shapeError("roi has \(roiIn.count) entries for \(axes.count) axes") }
            for (i, a) in axes.enumerated() {
                roi[a] = Double(roiIn[i])
                roi[r + a] = Double(roiIn[axes.count + i])
            }
        }
        if let sizesIn {
            guard sizesIn.count == axes.count else { throw node.shapeError("sizes has \(sizesIn.count) entries for \(axes.count) axes") }
            for (i, a) in axes.enumerated() {
                outShape[a] = sizesIn[i]
                scales[a] = Double(sizesIn[i]) / Double(x.shape[a])
            }
            if policy != "stretch" {
                var s = policy == "not_larger" ? Double.infinity : 0
                for a in axes {
                    if policy == "not_larger" { s = min(s, scales[a]) } else if policy == "not_smaller" { s = max(s, scales[a]) } else {
                        throw node.unsupported("keep_aspect_ratio_policy", "'\(policy)' is not stretch, not_larger or not_smaller")
                    }
                }
                for a in axes {
                    scales[a] = s
                    outShape[a] = Int(s * Double(x.shape[a]) + 0.5)
                }
            }
        } else if let scalesIn {
            guard scalesIn.count == axes.count else { throw node.shapeError("scales has \(scalesIn.count) entries for \(axes.count) axes") }
            for (i, a) in axes.enumerated() {
                guard scalesIn[i] > 0 else { throw node.shapeError("scale \(scalesIn[i]) must be positive") }
                scales[a] = Double(scalesIn[i])
                outShape[a] = Int(Double(scalesIn[i]) * Double(x.shape[a]))
            }
        } else {
            throw node.invalid("Resize needs scales or sizes")
        }

        // Input coordinate of output index i on axis a (ONNX reference formulas).
        func original(_ i: Int, _ a: Int) -> Double {
            let inW = Double(x.shape[a]), s = scales[a]
            let outW = s * inW
            let xo = Double(i)
            switch ctm {
            case 1: return outW == 1 ? 0 : xo * (inW - 1) / (outW - 1)  // align_corners
            case 2: return xo / s  // asymmetric
            case 3:  // tf_crop_and_resize
                let b = roi[a], e = roi[r + a]
                let v = outW == 1 ? (e - b) * (inW - 1) / 2 : xo * (e - b) * (inW - 1) / (outW - 1)
                return v + b * (inW - 1)
            case 4: return outW == 1 ? -0.5 : (xo + 0.5) / s - 0.5  // pytorch_half_pixel
            case 5:  // half_pixel_symmetric
                let adjustment = Double(outShape[a]) / outW
                return inW / 2 * (1 - adjustment) + (xo + 0.5) / s - 0.5
            default: return (xo + 0.5) / s - 0.5  // half_pixel
            }
        }
        if ctm == nil { throw node.unsupported("coordinate_transformation_mode", "'\(ctmName)' is not a known mode") }
        let crop = ctm == 3  // tf_crop_and_resize
        let strides = Tensor.strides(of: x.shape)

        if mode == .nearest {
            if nearestMode == nil { throw node.unsupported("nearest_mode", "'\(nearestName)' is not a known mode") }
            var indices = [[Int]]()
            for a in 0..<r {
                let inW = x.shape[a]
                var t = [Int]()
                for i in 0..<outShape[a] {
                    let xo = original(i, a)
                    if crop && (xo < 0 || xo > Double(inW - 1)) {
                        t.append(-1)
                        continue
                    }
                    var n: Int
                    let f = xo.rounded(.down)
                    if xo == f {
                        n = Int(f)
                    } else {
                        let ratio = xo - f
                        switch nearestMode {
                        case 0: n = Int(f) + (ratio > 0.5 ? 1 : 0)  // round_prefer_floor
                        case 1: n = Int(f) + (ratio >= 0.5 ? 1 : 0)  // round_prefer_ceil
                        case 2: n = Int(f)  // floor
                        case 3: n = Int(f) + 1  // ceil
                        default: n = scales[a] < 1 ? Int(f) + 1 : Int(f)  // "simple" (opset 10, Upsample)
                        }
                    }
                    t.append(min(max(n, 0), inW - 1))
                }
                indices.append(t)
            }
            storeFill(x.dtype)
            gather = AxisGather(outShape: outShape, indices: indices, strides: strides, elementSize: x.dtype.size)
            return [TensorType(x.dtype, outShape)]
        }

        try requireDType(x, [.float32], "input (linear and cubic modes)")
        // Taps per axis: 2 (linear) or 4 (cubic); antialiased downscaling widens
        // the kernel by 1/scale (ONNX reference: _linear/_cubic_coeffs_antialias).
        func tapCount(_ a: Int) -> Int {
            let base = mode == .linear ? 2 : 4
            guard antialias, scales[a] < 1 else { return base }
            let radius = mode == .linear ? 1.0 : 2.0
            let start = Int((-radius / scales[a]).rounded(.down)) + 1
            return 2 - 2 * start
        }
        taps = 2
        for a in 0..<r { taps = max(taps, tapCount(a)) }
        releaseTables()
        rank = r
        var total = 0
        for a in 0..<r { total += outShape[a] }
        let sh = UnsafeMutablePointer<Int64>.allocate(capacity: max(r, 1))
        let idx = UnsafeMutablePointer<Int64>.allocate(capacity: max(total * taps, 1))
        let coef = UnsafeMutablePointer<Float>.allocate(capacity: max(total * taps, 1))
        let outside = UnsafeMutablePointer<UInt8>.allocate(capacity: max(total, 1))
        let ip = UnsafeMutablePointer<UnsafePointer<Int64>?>.allocate(capacity: max(r, 1))
        let cp = UnsafeMutablePointer<UnsafePointer<Float>?>.allocate(capacity: max(r, 1))
        let op = UnsafeMutablePointer<UnsafePointer<UInt8>?>.allocate(capacity: max(r, 1))
        let fl = UnsafeMutablePointer<UInt8>.allocate(capacity: max(r, 1))
        shape = sh; idxData = idx; coefData = coef; outsideData = outside
        idxPtrs = ip; coefPtrs = cp; outsidePtrs = op; interp = fl
        var at = 0
        for a in 0..<r {
            let inW = x.shape[a]
            sh[a] = Int64(outShape[a])
            ip[a] = UnsafePointer(idx + at * taps)
            cp[a] = UnsafePointer(coef + at * taps)
            op[a] = UnsafePointer(outside + at)
            var identity = outShape[a] == inW
            for i in 0..<outShape[a] {
                let xo = original(i, a)
                if xo != Double(i) { identity = false }
                outside[at + i] = crop && (xo < 0 || xo > Double(inW - 1)) ? 1 : 0
                // Neighbours as in the reference: the left one is floor(x), or x-1
                // when x is an integer (ratio 1).
                let f = xo.rounded(.down)
                let left: Int, ratio: Double
                if xo == f { left = Int(f) - 1; ratio = 1 } else { left = Int(f); ratio = xo - f }
                // n neighbours left-n/2+1 ... left+n/2 and their weights; unused
                // taps (an axis with fewer than `taps`) get weight 0.
                let n = tapCount(a)
                var w = [Double](repeating: 0, count: taps)
                var pos = [Int](repeating: left, count: taps)
                let aa = antialias && scales[a] < 1
                let sc = aa ? scales[a] : 1.0
                var sum = 0.0
                for k in 0..<n {
                    pos[k] = left - n / 2 + 1 + k
                    let d = Double(pos[k] - left) - ratio  // neighbour minus x
                    if mode == .linear {
                        w[k] = aa ? max(0, 1 - abs(d * sc)) : (k == n / 2 - 1 ? 1 - ratio : (k == n / 2 ? ratio : 0))
                    } else {
                        let A = cubicA, t = abs(d * sc)
                        w[k] = t <= 1 ? ((A + 2) * t - (A + 3)) * t * t + 1 : (t < 2 ? ((A * t - 5 * A) * t + 8 * A) * t - 4 * A : 0)
                    }
                    sum += w[k]
                }
                if aa && sum != 0 { for k in 0..<n { w[k] /= sum } }
                if excludeOutside {
                    var sum = 0.0
                    for k in 0..<taps {
                        if pos[k] < 0 || pos[k] >= inW { w[k] = 0 }
                        sum += w[k]
                    }
                    if sum != 0 { for k in 0..<taps { w[k] /= sum } }
                }
                for k in 0..<taps {
                    idx[(at + i) * taps + k] = Int64(min(max(pos[k], 0), inW - 1) * strides[a])
                    coef[(at + i) * taps + k] = Float(w[k])
                }
            }
            if identity {
                for i in 0..<outShape[a] { idx[(at + i) * taps] = Int64(i * strides[a]) }
            }
            fl[a] = identity ? 0 : 1
            at += outShape[a]
        }
        return [TensorType(x.dtype, outShape)]
    }

    private func storeFill(_ dtype: DType) {
        switch dtype {
        case .float32: fill.storeBytes(of: extrapolation, as: Float.self)
        case .float16: fill.storeBytes(of: Float16Bits.fromFloat(extrapolation), as: UInt16.self)
        default: fill.initializeMemory(as: UInt8.self, repeating: 0, count: 16)
        }
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        let y = outputs[0]
        if mode == .nearest {
            gather?.run(y.raw, x.raw, fill: fill)
            return
        }
        guard let shape, let idxPtrs, let coefPtrs, let outsidePtrs, let interp else { return }
        ok_resize_taps_f32(y.floats, x.floats, Int32(rank), shape, Int32(taps), idxPtrs, coefPtrs, interp,
                           outsidePtrs, extrapolation)
    }
}
