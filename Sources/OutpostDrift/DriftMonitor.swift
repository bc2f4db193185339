/// How a monitor cuts the stream of observations into windows.
public enum WindowPolicy: Equatable {
    /// A window closes after this many observations.
    case count(Int)
    /// A window closes when an observation arrives this long (in the caller's time
    /// unit, e.g. milliseconds) after the window's first one, or on `poll(now:)`.
    case duration(Int64)
}

/// One closed window: per-feature statistics and the worst verdict.
public struct DriftWindowReport: Equatable {
    /// 0, 1, 2, … per monitor.
    public var index: Int
    /// Time of the first and last observation (caller's clock and unit).
    public var start: Int64
    public var end: Int64
    public var count: Int
    public var features: [FeatureDrift]
    /// Worst feature verdict (`insufficient` only when every feature is).
    public var verdict: DriftVerdict

    public init(index: Int, start: Int64, end: Int64, count: Int, features: [FeatureDrift]) {
        self.index = index
        self.start = start
        self.end = end
        self.count = count
        self.features = features
        var v = DriftVerdict.insufficient
        for f in features where f.verdict > v { v = f.verdict }
        verdict = v
    }
}

/// Accumulates per-feature histograms on the baseline's bins and closes windows
/// (by count or by time) into reports. `observe` does not allocate except when it
/// closes a window.
public final class DriftMonitor {
    public let baseline: DriftBaseline
    public let policy: WindowPolicy
    public let thresholds: DriftThresholds
    /// The current (open) window's histograms, one per baseline feature.
    public private(set) var histograms: [Histogram]
    public private(set) var windowCount = 0
    public private(set) var windowsClosed = 0
    private var windowStart: Int64 = 0
    private var windowEnd: Int64 = 0

    public init(baseline: DriftBaseline, policy: WindowPolicy = .count(100), thresholds: DriftThresholds = DriftThresholds()) {
        self.baseline = baseline
        self.policy = policy
        self.thresholds = thresholds
        var h = [Histogram]()
        for f in baseline.features { h.append(Histogram(bins: f.binCount)) }
        histograms = h
    }

    /// Adds one observation (one value per baseline feature, in order) taken at
    /// `time`. Returns the report of the window this observation closed (count
    /// policy: the window it completed; duration policy: the previous window, when
    /// `time` is past its end — the observation then opens the next one).
    public func observe(_ values: UnsafePointer<Double>, time: Int64 = 0) -> DriftWindowReport? {
        var closed: DriftWindowReport?
        if case let .duration(d) = policy, windowCount > 0, time - windowStart >= d {
            closed = closeWindow()
        }
        if windowCount == 0 { windowStart = time }
        windowEnd = time
        for i in 0..<histograms.count {
            let b = baseline.features[i].bin(of: values[i])
            if b < 0 { histograms[i].addInvalid() } else { histograms[i].add(bin: b) }
        }
        windowCount += 1
        if case let .count(n) = policy, windowCount >= n { closed = closeWindow() }
        return closed
    }

    public func observe(_ values: [Double], time: Int64 = 0) -> DriftWindowReport? {
        values.withUnsafeBufferPointer { observe($0.baseAddress!, time: time) }
    }

    /// Closes a time window whose duration has passed, without a new observation.
    public func poll(now: Int64) -> DriftWindowReport? {
        if case let .duration(d) = policy, windowCount > 0, now - windowStart >= d { return closeWindow() }
        return nil
    }

    /// Closes the open window early (e.g. at the end of a stream); nil when it is empty.
    public func flush() -> DriftWindowReport? {
        windowCount > 0 ? closeWindow() : nil
    }

    /// Statistics of the open window so far (does not close it).
    public func current() -> DriftWindowReport {
        report()
    }

    private func report() -> DriftWindowReport {
        var features = [FeatureDrift]()
        for (i, f) in baseline.features.enumerated() {
            features.append(DriftStatistics.evaluate(f, histograms[i], smoothing: baseline.smoothing, thresholds: thresholds))
        }
        return DriftWindowReport(index: windowsClosed, start: windowStart, end: windowEnd, count: windowCount, features: features)
    }

    private func closeWindow() -> DriftWindowReport {
        let r = report()
        for i in 0..<histograms.count { histograms[i].reset() }
        windowCount = 0
        windowsClosed += 1
        return r
    }
}
