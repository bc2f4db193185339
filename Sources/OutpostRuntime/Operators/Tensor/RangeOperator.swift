/// Range(start, limit, delta): the element count depends on the values, so they
/// must be known at planning (they almost always are; the node is then folded).
final class RangeOperator: Operator {
    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let s = try requiredConstant(inputs, 0, "start")
        let l = try requiredConstant(inputs, 1, "limit")
        let d = try requiredConstant(inputs, 2, "delta")
        try requireDType(try required(inputs, 0), [.float32, .float16, .int32, .int64], "start")
        let n: Int
        if s.dtype == .float32 || s.dtype == .float16 {
            let delta = d.float(at: 0)
            guard delta != 0 else { throw node.invalid("delta is 0") }
            let c = ((l.float(at: 0) - s.float(at: 0)) / delta).rounded(.up)
            n = c > 0 ? Int(c) : 0
        } else {
            let delta = d.integer(at: 0)
            guard delta != 0 else { throw node.invalid("delta is 0") }
            let diff = l.integer(at: 0) - s.integer(at: 0)
            // ceil(diff / delta) for either sign.
            var q = diff / delta
            if q * delta != diff && (diff > 0) == (delta > 0) { q += 1 }
            n = max(q, 0)
        }
        return [TensorType(s.dtype, [n])]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let s = inputs[0], let d = inputs[2] else { return }
        let y = outputs[0]
        switch y.dtype {
        case .float32:
            let start = s.float(at: 0), delta = d.float(at: 0)
            let p = y.floats
            for i in 0..<y.count { p[i] = start + Float(i) * delta }
        case .float16:
            let start = s.float(at: 0), delta = d.float(at: 0)
            let p = y.pointer(UInt16.self)
            for i in 0..<y.count { p[i] = Float16Bits.fromFloat(start + Float(i) * delta) }
        case .int32:
            let start = Int32(s.integer(at: 0)), delta = Int32(d.integer(at: 0))
            let p = y.pointer(Int32.self)
            for i in 0..<y.count { p[i] = start &+ Int32(truncatingIfNeeded: i) &* delta }
        default:
            let start = Int64(s.integer(at: 0)), delta = Int64(d.integer(at: 0))
            let p = y.pointer(Int64.self)
            for i in 0..<y.count { p[i] = start &+ Int64(i) &* delta }
        }
    }
}
