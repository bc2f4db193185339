import CKernels

/// ReduceSum/Mean/Max/Min/Prod/L1/L2/SumSquare/LogSum/LogSumExp.
///
/// Axes come from the `axes` attribute before opset 18 (ReduceSum: before 13)
/// and from the optional second input after (it must be known at planning).
/// No axes reduce everything unless `noop_with_empty_axes` is set, which makes
/// the op an identity. Planning precomputes two offset tables, one over the kept
/// dimensions and one over the reduced ones, so `run` is two nested loops; when
/// the reduced axes are the trailing ones the inner loop walks contiguous memory.
/// Float sums accumulate in double.
final class ReduceOperator: Operator {
    enum Kind { case sum, mean, max, min, prod, l1, l2, sumSquare, logSum, logSumExp }
    let kind: Kind
    private let axesFromInput: Bool
    private let attrAxes: [Int]?
    private let keepDims: Bool
    private let noopWithEmptyAxes: Bool
    private var identity = false
    private var keptOffsets: [Int] = []
    private var reducedOffsets: [Int] = []
    private var contiguous = false

    init(node: Node, opset: Int, kind: Kind) throws(OutpostError) {
        self.kind = kind
        axesFromInput = kind == .sum ? opset >= 13 : opset >= 18
        attrAxes = axesFromInput ? nil : try node.ints("axes")
        keepDims = try node.int("keepdims", default: 1) != 0
        noopWithEmptyAxes = try node.int("noop_with_empty_axes", default: 0) != 0
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        switch x.dtype {
        case .float32, .int32, .int64: break
        case .int8, .uint8, .bool:
            switch kind {
            case .max, .min: break
            default: throw unsupportedType(x.dtype, input: 0)
            }
        default: throw unsupportedType(x.dtype, input: 0)
        }
        var axes: [Int] = attrAxes ?? []
        if axesFromInput, inputs.count > 1, inputs[1] != nil {
            axes = try requiredConstant(inputs, 1, "axes").integerValues()
        }
        let rank = x.shape.count
        identity = false
        if axes.isEmpty {
            if noopWithEmptyAxes {
                identity = true
                return [TensorType(x.dtype, x.shape)]
            }
            axes = Array(0..<rank)
        }
        var reduced = [Bool](repeating: false, count: rank)
        for a in axes {
            let n = try normalizedAxis(a, rank: rank, "axis")
            if rank > 0 { reduced[n] = true }
        }
        var outShape = [Int]()
        var keptShape = [Int](), keptStrides = [Int]()
        var redShape = [Int](), redStrides = [Int]()
        let strides = Tensor.strides(of: x.shape)
        for i in 0..<rank {
            if reduced[i] {
                if keepDims { outShape.append(1) }
                redShape.append(x.shape[i]); redStrides.append(strides[i])
            } else {
                outShape.append(x.shape[i])
                keptShape.append(x.shape[i]); keptStrides.append(strides[i])
            }
        }
        keptOffsets = ReduceOperator.offsets(keptShape, keptStrides)
        reducedOffsets = ReduceOperator.offsets(redShape, redStrides)
        // Trailing reduced axes: offsets are 0..<R.
        contiguous = true
        for (i, o) in reducedOffsets.enumerated() where o != i { contiguous = false; break }
        return [TensorType(x.dtype, outShape)]
    }

    /// Element offsets of every index of `shape` walked with `strides`, row-major.
    static func offsets(_ shape: [Int], _ strides: [Int]) -> [Int] {
        let n = Tensor.elementCount(shape)
        var out = [Int](repeating: 0, count: n)
        if n == 0 { return [] }
        var counter = [Int](repeating: 0, count: shape.count)
        var cur = 0
        for i in 0..<n {
            out[i] = cur
            var d = shape.count - 1
            while d >= 0 {
                counter[d] += 1
                cur += strides[d]
                if counter[d] < shape[d] { break }
                cur -= strides[d] * shape[d]
                counter[d] = 0
                d -= 1
            }
        }
        return out
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        let y = outputs[0]
        if identity {
            y.raw.copyMemory(from: x.raw, byteCount: x.byteCount)
            return
        }
        switch x.dtype {
        case .float32:
            if contiguous && reduceFloatRows(x.floats, y.floats) { return }
            reduce(x.pointer(Float.self), y.pointer(Float.self))
        case .int32: reduce(x.pointer(Int32.self), y.pointer(Int32.self))
        case .int64: reduce(x.pointer(Int64.self), y.pointer(Int64.self))
        case .int8: reduce(x.pointer(Int8.self), y.pointer(Int8.self))
        case .uint8, .bool: reduce(x.pointer(UInt8.self), y.pointer(UInt8.self))
        default: throw unsupportedType(x.dtype, input: 0)
        }
    }

    /// Trailing-axes float32 reductions over contiguous rows in C; false if `kind` has no row kernel.
    private func reduceFloatRows(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>) -> Bool {
        let r = reducedOffsets.count
        let rows = keptOffsets.count
        switch kind {
        case .sum: for o in 0..<rows { y[o] = ok_sum_f32(x + o * r, r) }
        case .mean: for o in 0..<rows { y[o] = ok_sum_f32(x + o * r, r) / Float(r) }
        case .max: for o in 0..<rows { y[o] = ok_max_f32(x + o * r, r) }
        case .min: for o in 0..<rows { y[o] = ok_min_f32(x + o * r, r) }
        case .sumSquare: for o in 0..<rows { y[o] = ok_sumsq_f32(x + o * r, r, 0) }
        case .l2: for o in 0..<rows { y[o] = ok_sumsq_f32(x + o * r, r, 0).squareRoot() }
        default: return false
        }
        return true
    }

    private func reduce<T: NumericElement>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>) {
        let r = reducedOffsets.count
        keptOffsets.withUnsafeBufferPointer { kept in
            reducedOffsets.withUnsafeBufferPointer { red in
                for o in 0..<kept.count {
                    let base = x + kept[o]
                    switch kind {
                    case .max:
                        var m = T.lowest
                        if contiguous { for i in 0..<r where base[i] > m { m = base[i] } }
                        else { for i in 0..<r where base[red[i]] > m { m = base[red[i]] } }
                        y[o] = m
                    case .min:
                        var m = T.highest
                        if contiguous { for i in 0..<r where base[i] < m { m = base[i] } }
                        else { for i in 0..<r where base[red[i]] < m { m = base[red[i]] } }
                        y[o] = m
                    case .logSumExp:
                        var m = -Double.infinity
                        for i in 0..<r { let v = base[red[i]].asDouble; if v > m { m = v } }
                        if !m.isFinite { m = 0 }
                        var s = 0.0
                        for i in 0..<r { s += ok_exp_f64(base[red[i]].asDouble - m) }
                        y[o] = T.fromDouble(ok_log_f64(s) + m)
                    default:
                        var acc: Double = kind == .prod ? 1 : 0
                        switch kind {
                        case .prod: for i in 0..<r { acc *= base[red[i]].asDouble }
                        case .l1: for i in 0..<r { let v = base[red[i]].asDouble; acc += v < 0 ? -v : v }
                        case .l2, .sumSquare: for i in 0..<r { let v = base[red[i]].asDouble; acc += v * v }
                        default:
                            if contiguous { for i in 0..<r { acc += base[i].asDouble } }
                            else { for i in 0..<r { acc += base[red[i]].asDouble } }
                        }
                        switch kind {
                        case .mean: acc /= Double(r)
                        case .l2: acc = acc.squareRoot()
                        case .logSum: acc = ok_log_f64(acc)
                        default: break
                        }
                        y[o] = T.fromDouble(acc)
                    }
                }
            }
        }
    }
}
