import CKernels

/// com.microsoft QLinearConcat: inputs Y_scale, Y_zero_point, then (tensor, scale,
/// zero point) per concatenated tensor. Each input is requantized to Y's parameters
/// (dequantize then quantize, round half to even) through a 256-entry table, or
/// copied when its parameters already are Y's.
final class QLinearConcatOperator: Operator {
    let axis: Int
    private var type = DType.uint8
    private var outer = 0
    /// Per input: bytes per outer row (its axis extent times the inner size).
    private var rowBytes: [Int] = []
    private var outRowBytes = 0
    private var tables = Buffer(zeroedBytes: 0)
    /// Per input, decided at planning when its scale / zero point and Y's are constants:
    /// 0 copy, 1 table already built; -1: decided (and the table built) at each run.
    /// (Rebuilding the 256-entry tables every run was most of YOLO's QLinearConcat time.)
    private var planned: [Int8] = []

    init(_ node: Node, opset: Int) throws(OutpostError) {
        guard let a = try node.int("axis") else { throw node.invalid("attribute 'axis' is required") }
        axis = a
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let ys = try required(inputs, 0), yz = try required(inputs, 1)
        try requireScale(ys, "Y_scale"); try requireScalar(ys, "Y_scale")
        try requireQuantized(yz, "Y_zero_point"); try requireScalar(yz, "Y_zero_point")
        if inputs.count < 5 || (inputs.count - 2) % 3 != 0 {
            throw node.invalid("expects Y_scale, Y_zero_point and (tensor, scale, zero point) triples, got \(inputs.count) inputs")
        }
        let count = (inputs.count - 2) / 3
        let first = try required(inputs, 2)
        let rank = first.shape.count
        let a = try normalizedAxis(axis, rank: rank)
        var out = first.shape
        out[a] = 0
        type = yz.dtype
        rowBytes = []
        let innerSize = Tensor.elementCount(Array(first.shape[(a + 1)...]))
        for k in 0..<count {
            let t = try required(inputs, 2 + 3 * k)
            try requireDType(t, [yz.dtype], "input \(k)")
            let s = try required(inputs, 3 + 3 * k)
            try requireScale(s, "scale of input \(k)"); try requireScalar(s, "scale of input \(k)")
            let z = optionalInput(inputs, 4 + 3 * k)
            try requireSameType(z, t, "zero point of input \(k)"); try requireScalar(z, "zero point of input \(k)")
            if t.shape.count != rank { throw node.shapeError("input \(k) has rank \(t.shape.count), expected \(rank)") }
            for d in 0..<rank where d != a && t.shape[d] != first.shape[d] {
                throw node.shapeError("input \(k) \(shape: t.shape) differs from \(shape: first.shape) off the axis")
            }
            out[a] += t.shape[a]
            rowBytes.append(t.shape[a] * innerSize)
        }
        outer = Tensor.elementCount(Array(first.shape[..<a]))
        outRowBytes = out[a] * innerSize
        tables = Buffer(zeroedBytes: 256 * count)
        planned = [Int8](repeating: -1, count: count)
        if let ysc = ys.constant, let yzc = yz.constant {
            let yScale = quantScale(ysc), yZero = quantZeroPoint(yzc)
            for k in 0..<count {
                let z = optionalInput(inputs, 4 + 3 * k)
                guard let sc = inputs[3 + 3 * k]?.constant, z == nil || z?.constant != nil else { continue }
                let xScale = quantScale(sc), xZero = quantZeroPoint(z?.constant)
                if xScale == yScale && xZero == yZero {
                    planned[k] = 0
                } else {
                    ok_qlut_build(Int32(OK_QLUT_LEAKY_RELU), 1, QuantType.code(type), xScale, xZero, yScale, yZero,
                                  tables.base.assumingMemoryBound(to: UInt8.self) + 256 * k)
                    planned[k] = 1
                }
            }
        }
        return [TensorType(type, out)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let ys = inputs[0] else { return }
        let yScale = quantScale(ys), yZero = quantZeroPoint(inputs[1])
        let y = outputs[0].raw.assumingMemoryBound(to: UInt8.self)
        var column = 0
        for k in 0..<rowBytes.count {
            guard let t = inputs[2 + 3 * k], let s = inputs[3 + 3 * k] else { continue }
            let table = tables.base.assumingMemoryBound(to: UInt8.self) + 256 * k
            let copy: Bool
            if planned[k] >= 0 {
                copy = planned[k] == 0
            } else {
                let xScale = quantScale(s), xZero = quantZeroPoint(optionalTensor(inputs, 4 + 3 * k))
                copy = xScale == yScale && xZero == yZero
                if !copy {
                    // Identity through the table: LeakyRelu with alpha 1.
                    ok_qlut_build(Int32(OK_QLUT_LEAKY_RELU), 1, QuantType.code(type), xScale, xZero, yScale, yZero, table)
                }
            }
            let src = t.raw.assumingMemoryBound(to: UInt8.self)
            let n = rowBytes[k]
            // One C call per part (a Swift loop per row was 7.6 us on YOLO's box concat:
            // 1200 rows of 2 bytes per part).
            if copy {
                ok_copy_blocks(y + column, outRowBytes, src, n, n, Int64(outer))
            } else {
                ok_qlut_apply_rows(table, src, n, outer, y + column, outRowBytes)
            }
            column += n
        }
    }
}
