import OutpostRuntime

/// Compares a computed tensor with an expected one: exact for integers and bools,
/// |got - want| ≤ atol + rtol·|want| for floats (NaN matches NaN, ±inf must match).
enum TensorComparison {
    /// nil when they match, else what differs.
    static func compare(_ got: Tensor, _ want: Tensor, rtol: Double, atol: Double) -> String? {
        if got.dtype != want.dtype {
            return "type \(got.dtype.name), expected \(want.dtype.name)"
        }
        if got.shape != want.shape {
            return "shape \(formatShape(got.shape)), expected \(formatShape(want.shape))"
        }
        let n = got.count
        var worst = -1
        var worstErr = 0.0
        var mismatches = 0
        for i in 0..<n {
            if got.dtype == .float32 || got.dtype == .float16 {
                let g = Double(got.float(at: i)), w = Double(want.float(at: i))
                if g.isNaN && w.isNaN { continue }
                if g.isInfinite || w.isInfinite {
                    if g != w { mismatches += 1; if worst < 0 { worst = i } }
                    continue
                }
                let err = abs(g - w)
                if !(err <= atol + rtol * abs(w)) {
                    mismatches += 1
                    if err > worstErr || worst < 0 { worstErr = err; worst = i }
                }
            } else if got.integer(at: i) != want.integer(at: i) {
                mismatches += 1
                if worst < 0 { worst = i }
            }
        }
        if mismatches == 0 { return nil }
        return "\(mismatches) of \(n) values differ; at index \(worst): got \(Format.significant(Double(got.float(at: worst)), 7)), expected \(Format.significant(Double(want.float(at: worst)), 7))"
    }
}
