import OutpostCLICore
import OutpostRuntime

/// Compares a computed tensor with an expected one.
///
/// Floats: element-wise |got - want| ≤ atol + rtol·|want| (NaN matches NaN, ±inf must
/// match), or, when `relL2` is set, one aggregate test ||got - want||₂ / ||want||₂ ≤ relL2
/// (the int8 fixtures' rule: quantized models differ from their reference by a
/// rounding step here and there, so an element-wise test is the wrong one).
/// Integers and bools: |got - want| ≤ integerSteps (0 = exact).
enum TensorComparison {
    struct Tolerance {
        var rtol: Double
        var atol: Double
        var relL2: Double? = nil
        var integerSteps: Int = 0
    }

    static func compare(_ got: Tensor, _ want: Tensor, rtol: Double, atol: Double) -> String? {
        compare(got, want, Tolerance(rtol: rtol, atol: atol))
    }

    /// nil when they match, else what differs.
    static func compare(_ got: Tensor, _ want: Tensor, _ tol: Tolerance) -> String? {
        if got.dtype != want.dtype {
            return "type \(got.dtype.name), expected \(want.dtype.name)"
        }
        if got.shape != want.shape {
            return String(outlined: "shape \(shape: got.shape), expected \(shape: want.shape)")
        }
        let n = got.count
        let isFloat = got.dtype == .float32 || got.dtype == .float16
        if isFloat, let limit = tol.relL2 {
            var num = 0.0, den = 0.0
            var worst = 0, worstErr = -1.0
            for i in 0..<n {
                let g = Double(got.float(at: i)), w = Double(want.float(at: i))
                if !g.isFinite || !w.isFinite {
                    if g.isNaN && w.isNaN { continue }
                    if g == w { continue }
                    return "at index \(i): got \(Format.significant(g, 7)), expected \(Format.significant(w, 7))"
                }
                let d = g - w
                num += d * d
                den += w * w
                if abs(d) > worstErr { worstErr = abs(d); worst = i }
            }
            let rel = den > 0 ? (num / den).squareRoot() : num.squareRoot()
            if rel <= limit { return nil }
            return "relative L2 error \(Format.significant(rel, 3)) > \(Format.significant(limit, 3)); largest at index \(worst): got \(Format.significant(Double(got.float(at: worst)), 7)), expected \(Format.significant(Double(want.float(at: worst)), 7))"
        }
        var worst = -1
        var worstErr = 0.0
        var mismatches = 0
        for i in 0..<n {
            if isFloat {
                let g = Double(got.float(at: i)), w = Double(want.float(at: i))
                if g.isNaN && w.isNaN { continue }
                if g.isInfinite || w.isInfinite {
                    if g != w { mismatches += 1; if worst < 0 { worst = i } }
                    continue
                }
                let err = abs(g - w)
                if !(err <= tol.atol + tol.rtol * abs(w)) {
                    mismatches += 1
                    if err > worstErr || worst < 0 { worstErr = err; worst = i }
                }
            } else {
                let g = got.integer(at: i), w = want.integer(at: i)
                let err = g == w ? 0 : (tol.integerSteps == 0 ? 1 : (g > w ? g &- w : w &- g))
                if err > tol.integerSteps {
                    mismatches += 1
                    if Double(err) > worstErr || worst < 0 { worstErr = Double(err); worst = i }
                }
            }
        }
        if mismatches == 0 { return nil }
        return "\(mismatches) of \(n) values differ; at index \(worst): got \(Format.significant(Double(got.float(at: worst)), 7)), expected \(Format.significant(Double(want.float(at: worst)), 7))"
    }
}
