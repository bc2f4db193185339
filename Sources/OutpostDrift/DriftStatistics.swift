/// Drift statistics between a reference distribution and a window, on the same bins.
///
/// - PSI (population stability index) = Σ (q[i] - p[i]) · ln(q[i] / p[i]) on
///   smoothed proportions (p reference, q window).
/// - Jensen-Shannon distance, base 2: sqrt(½ KL(p‖m) + ½ KL(q‖m)) with m = (p+q)/2,
///   log base 2, so it lies in [0, 1] (scipy.spatial.distance.jensenshannon(p, q, base=2)).
///   Computed on the smoothed proportions, like PSI.
/// - Binned Kolmogorov-Smirnov statistic: max over bins of |P(i) - Q(i)| where P
///   and Q are the cumulative raw (unsmoothed) proportions.
public enum DriftStatistics {
    /// p[i] = (c[i] + α) / (n + α·bins).
    public static func smoothedProportions(_ counts: [UInt64], smoothing alpha: Double) -> [Double] {
        var n = 0.0
        for c in counts { n += Double(c) }
        let denominator = n + alpha * Double(counts.count)
        var out = [Double](repeating: 0, count: counts.count)
        if denominator <= 0 {
            for i in 0..<counts.count { out[i] = 1.0 / Double(counts.count) }
            return out
        }
        for i in 0..<counts.count { out[i] = (Double(counts[i]) + alpha) / denominator }
        return out
    }

    public static func psi(reference p: [Double], window q: [Double]) -> Double {
        var s = 0.0
        for i in 0..<min(p.count, q.count) where p[i] > 0 && q[i] > 0 {
            s += (q[i] - p[i]) * ln(q[i] / p[i])
        }
        return s
    }

    public static func jensenShannonDistance(_ p: [Double], _ q: [Double]) -> Double {
        var sp = 0.0, sq = 0.0
        for i in 0..<min(p.count, q.count) { sp += p[i]; sq += q[i] }
        if sp <= 0 || sq <= 0 { return 0 }
        var d = 0.0
        for i in 0..<min(p.count, q.count) {
            let a = p[i] / sp, b = q[i] / sq
            let m = (a + b) / 2
            if a > 0 { d += a * ln(a / m) }
            if b > 0 { d += b * ln(b / m) }
        }
        let js = d / 2 / ln2
        return js <= 0 ? 0 : min(1, js.squareRoot())
    }

    public static func kolmogorovSmirnov(referenceCounts: [UInt64], windowCounts: [UInt64]) -> Double {
        var nr = 0.0, nw = 0.0
        for c in referenceCounts { nr += Double(c) }
        for c in windowCounts { nw += Double(c) }
        if nr == 0 || nw == 0 { return 0 }
        var cr = 0.0, cw = 0.0, best = 0.0
        for i in 0..<min(referenceCounts.count, windowCounts.count) {
            cr += Double(referenceCounts[i])
            cw += Double(windowCounts[i])
            let d = abs(cr / nr - cw / nw)
            if d > best { best = d }
        }
        return best
    }

    /// Statistics and verdict of one feature's window histogram against its baseline.
    /// A fleet calls this on merged histograms.
    public static func evaluate(_ feature: FeatureBaseline, _ histogram: Histogram, smoothing: Double,
                                thresholds: DriftThresholds) -> FeatureDrift {
        let q = smoothedProportions(histogram.counts, smoothing: smoothing)
        let psi = psi(reference: feature.proportions, window: q)
        let js = jensenShannonDistance(feature.proportions, q)
        let ks = kolmogorovSmirnov(referenceCounts: feature.referenceCounts, windowCounts: histogram.counts)
        let verdict = Int(histogram.total) < thresholds.minimumSamples ? DriftVerdict.insufficient : thresholds.verdict(psi: psi)
        return FeatureDrift(name: feature.spec.name, kind: feature.spec.kind, count: Int(histogram.total),
                            invalid: Int(histogram.invalid), psi: psi, jensenShannon: js, kolmogorovSmirnov: ks,
                            verdict: verdict, counts: histogram.counts)
    }

    static let ln2 = 0.6931471805599453094

    /// Natural logarithm in pure Swift (the drift module imports no libm, so it
    /// builds as Embedded Swift anywhere): x = m·2^e with m in [√½, √2), then
    /// ln m = 2·atanh(s), s = (m-1)/(m+1), |s| ≤ 0.172, by its odd series.
    /// Relative error ≈ 1e-16 over the normal range.
    public static func ln(_ x: Double) -> Double {
        if x != x || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x == .infinity { return .infinity }
        var m = x
        var e = 0
        if m < Double.leastNormalMagnitude { m *= 18014398509481984.0; e -= 54 }  // 2^54: subnormals
        e += Int(m.exponent)
        m = m.significand  // [1, 2)
        if m > 1.4142135623730951 { m /= 2; e += 1 }
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var term = s
        var sum = 0.0
        var k = 1.0
        while k < 40 {
            let add = term / k
            sum += add
            if abs(add) < 1e-18 * abs(sum) { break }
            term *= s2
            k += 2
        }
        return 2 * sum + Double(e) * ln2
    }
}

/// The verdict on one feature (or, as the worst of its features, a window).
public enum DriftVerdict: Int, Equatable, Comparable {
    /// Fewer samples than `DriftThresholds.minimumSamples`: no verdict.
    case insufficient = 0
    case stable = 1
    case moderate = 2
    case major = 3

    public static func < (a: DriftVerdict, b: DriftVerdict) -> Bool { a.rawValue < b.rawValue }

    public var name: String {
        switch self {
        case .insufficient: return "insufficient"
        case .stable: return "stable"
        case .moderate: return "moderate"
        case .major: return "major"
        }
    }

    public init?(name: String) {
        switch name {
        case "insufficient": self = .insufficient
        case "stable": self = .stable
        case "moderate": self = .moderate
        case "major": self = .major
        default: return nil
        }
    }
}

/// PSI thresholds of the verdict (defaults: < 0.1 stable, 0.1 – 0.25 moderate,
/// > 0.25 major), and the minimum window size for any verdict.
public struct DriftThresholds: Equatable {
    public var psiModerate: Double
    public var psiMajor: Double
    public var minimumSamples: Int

    public init(psiModerate: Double = 0.1, psiMajor: Double = 0.25, minimumSamples: Int = 30) {
        self.psiModerate = psiModerate
        self.psiMajor = psiMajor
        self.minimumSamples = minimumSamples
    }

    public func verdict(psi: Double) -> DriftVerdict {
        if psi < psiModerate { return .stable }
        if psi <= psiMajor { return .moderate }
        return .major
    }
}

/// One feature's result in a window.
public struct FeatureDrift: Equatable {
    public var name: String
    public var kind: FeatureKind
    public var count: Int
    public var invalid: Int
    public var psi: Double
    public var jensenShannon: Double
    public var kolmogorovSmirnov: Double
    public var verdict: DriftVerdict
    /// The window's histogram on the baseline bins (for fleet-side merging).
    public var counts: [UInt64]

    public init(name: String, kind: FeatureKind, count: Int, invalid: Int, psi: Double, jensenShannon: Double,
                kolmogorovSmirnov: Double, verdict: DriftVerdict, counts: [UInt64]) {
        self.name = name
        self.kind = kind
        self.count = count
        self.invalid = invalid
        self.psi = psi
        self.jensenShannon = jensenShannon
        self.kolmogorovSmirnov = kolmogorovSmirnov
        self.verdict = verdict
        self.counts = counts
    }
}
