import OutpostText

/// Counts of one feature on its baseline's bins. Histograms of the same feature
/// merge by adding counts, so a fleet can combine the windows of many devices
/// (and a device can combine its own windows) before computing statistics.
public struct Histogram: Equatable {
    public private(set) var counts: [UInt64]
    /// Observations that could not be binned (NaN, ±infinity). Not part of `total`.
    public private(set) var invalid: UInt64 = 0
    public private(set) var total: UInt64 = 0

    public init(bins: Int) {
        counts = [UInt64](repeating: 0, count: bins)
    }

    public init(counts: [UInt64], invalid: UInt64 = 0) {
        self.counts = counts
        self.invalid = invalid
        var t: UInt64 = 0
        for c in counts { t += c }
        total = t
    }

    public var binCount: Int { counts.count }

    /// Adds one observation to `bin` (no allocation).
    @inline(__always)
    public mutating func add(bin: Int) {
        counts[bin] &+= 1
        total &+= 1
    }

    @inline(__always)
    public mutating func addInvalid() { invalid &+= 1 }

    /// Adds another histogram's counts (same bins required).
    public mutating func merge(_ other: Histogram) throws(DriftError) {
        guard other.counts.count == counts.count else {
            throw .incompatibleHistograms(String(outlined: "\(counts.count) bins vs \(other.counts.count) bins"))
        }
        for i in 0..<counts.count { counts[i] &+= other.counts[i] }
        total &+= other.total
        invalid &+= other.invalid
    }

    public mutating func reset() {
        for i in 0..<counts.count { counts[i] = 0 }
        total = 0
        invalid = 0
    }

    /// Raw proportions (counts / total); all zeros for an empty histogram.
    public var proportions: [Double] {
        var out = [Double](repeating: 0, count: counts.count)
        if total == 0 { return out }
        for i in 0..<counts.count { out[i] = Double(counts[i]) / Double(total) }
        return out
    }
}
