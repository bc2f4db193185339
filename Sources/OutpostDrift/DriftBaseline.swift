import OutpostText

/// The reference distribution of one feature: bin edges and proportions.
///
/// Bins: with edges e[0] < e[1] < … < e[k-1] there are k+1 bins, open-ended at
/// both sides: bin 0 = (-∞, e[0]), bin i = [e[i-1], e[i]), bin k = [e[k-1], +∞).
/// Continuous features take their edges from reference quantiles (deduplicated);
/// a categorical feature (argmax class) has edges at 0.5, 1.5, …, C-1.5, i.e. one
/// bin per class.
public struct FeatureBaseline: Equatable {
    public var spec: FeatureSpec
    public var edges: [Double]
    /// Reference counts per bin (raw, unsmoothed; used by the binned KS statistic).
    public var referenceCounts: [UInt64]
    /// Smoothed reference proportions per bin (never 0; see `DriftBaseline.smoothing`).
    public var proportions: [Double]

    public init(spec: FeatureSpec, edges: [Double], referenceCounts: [UInt64], proportions: [Double]) {
        self.spec = spec
        self.edges = edges
        self.referenceCounts = referenceCounts
        self.proportions = proportions
    }

    public var binCount: Int { edges.count + 1 }

    /// The bin of a value: the number of edges ≤ value (binary search, no
    /// allocation). ±infinity fall into the open-ended end bins; NaN returns -1.
    @inline(__always)
    public func bin(of value: Double) -> Int {
        if value != value { return -1 }
        return edges.withUnsafeBufferPointer { e in
            var lo = 0, hi = e.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if e[mid] <= value { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
    }
}

/// Per monitored feature: bin edges from reference quantiles and smoothed
/// reference proportions. Built by `DriftBaselineBuilder` from reference runs;
/// stored as JSON in the package manifest (`DriftBaseline.json()` / `init(json:)`).
public struct DriftBaseline: Equatable {
    /// Version of the JSON layout.
    public static let formatVersion = 1
    /// Additive (Jeffreys) smoothing: every bin gets this pseudo-count before
    /// counts become proportions, p[i] = (c[i] + α) / (n + α·bins), so no bin is
    /// 0 and PSI's log ratio stays finite. The monitor smooths window counts the
    /// same way. α = 0.5 adds 5% of a 100-sample window's mass over 10 bins.
    public static let defaultSmoothing = 0.5

    public var features: [FeatureBaseline]
    /// Reference samples the baseline was built from.
    public var sampleCount: Int
    public var smoothing: Double

    public init(features: [FeatureBaseline], sampleCount: Int, smoothing: Double = DriftBaseline.defaultSmoothing) {
        self.features = features
        self.sampleCount = sampleCount
        self.smoothing = smoothing
    }

    public var specs: [FeatureSpec] {
        var out = [FeatureSpec]()
        for f in features { out.append(f.spec) }
        return out
    }
}

/// Collects feature values from reference runs and produces a `DriftBaseline`.
public struct DriftBaselineBuilder {
    public let specs: [FeatureSpec]
    /// Target number of bins for continuous features (quantile edges at 1/bins … (bins-1)/bins).
    public let bins: Int
    public let smoothing: Double
    private var samples: [[Double]]
    public private(set) var sampleCount = 0

    public init(specs: [FeatureSpec], bins: Int = 10, smoothing: Double = DriftBaseline.defaultSmoothing) {
        self.specs = specs
        self.bins = max(2, bins)
        self.smoothing = smoothing
        samples = [[Double]](repeating: [], count: specs.count)
    }

    /// Adds one observation: one value per feature, in `specs` order. NaN values are skipped.
    public mutating func add(_ values: UnsafeBufferPointer<Double>) throws(DriftError) {
        guard values.count == specs.count else {
            throw .invalidReference(String(outlined: "expected \(specs.count) feature values per sample, got \(values.count)"))
        }
        for i in 0..<specs.count where values[i] == values[i] { samples[i].append(values[i]) }
        sampleCount += 1
    }

    public mutating func add(_ values: [Double]) throws(DriftError) {
        try values.withUnsafeBufferPointer { (b: UnsafeBufferPointer<Double>) throws(DriftError) in try add(b) }
    }

    /// The baseline. A feature without any reference value (never bound, or all
    /// NaN) is an error, or left out with `droppingEmpty` (e.g. defaults picked for
    /// a tensor that turned out not to be float).
    public func build(droppingEmpty: Bool = false) throws(DriftError) -> DriftBaseline {
        var features = [FeatureBaseline]()
        for (i, spec) in specs.enumerated() {
            var values = samples[i]
            if values.isEmpty && droppingEmpty { continue }
            guard !values.isEmpty else { throw .invalidReference(String(outlined: "feature '\(spec.name)' has no reference values")) }
            values.sort()
            var edges = [Double]()
            if spec.kind.isCategorical {
                guard spec.classCount >= 1 else { throw .invalidReference(String(outlined: "feature '\(spec.name)': class count must be ≥ 1")) }
                for c in 0..<(spec.classCount - 1) { edges.append(Double(c) + 0.5) }
            } else {
                for k in 1..<bins {
                    let e = DriftBaselineBuilder.quantile(sorted: values, Double(k) / Double(bins))
                    if edges.isEmpty || e > edges[edges.count - 1] { edges.append(e) }
                }
            }
            var f = FeatureBaseline(spec: spec, edges: edges, referenceCounts: [], proportions: [])
            var h = Histogram(bins: f.binCount)
            for v in values { h.add(bin: f.bin(of: v)) }
            f.referenceCounts = h.counts
            f.proportions = DriftStatistics.smoothedProportions(h.counts, smoothing: smoothing)
            features.append(f)
        }
        guard !features.isEmpty else { throw .invalidReference("no feature has reference values") }
        return DriftBaseline(features: features, sampleCount: sampleCount, smoothing: smoothing)
    }

    /// Linear-interpolated quantile of sorted values (numpy's default method):
    /// position q·(n-1), interpolating between its neighbours.
    public static func quantile(sorted v: [Double], _ q: Double) -> Double {
        if v.count == 1 { return v[0] }
        let pos = q * Double(v.count - 1)
        let lo = Int(pos)
        if lo >= v.count - 1 { return v[v.count - 1] }
        let frac = pos - Double(lo)
        return v[lo] + (v[lo + 1] - v[lo]) * frac
    }
}
