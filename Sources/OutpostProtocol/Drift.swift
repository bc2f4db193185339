import OutpostJSON

/// Counts of one monitored feature on the baseline's bins (the bin edges live in
/// the package's drift baseline, so only counts travel).
public struct FeatureHistogram: WireMessage, Equatable {
    public var feature: String
    public var counts: [Int]

    public init(feature: String, counts: [Int]) { self.feature = feature; self.counts = counts }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        feature = try o.string("feature", maxLength: 128)
        var c = [Int]()
        for (i, v) in try o.array("counts", maxCount: 1024).enumerated() {
            c.append(try WireObject.int(v, path: o.sub("counts") + "[\(i)]", min: 0, max: Int.max))
        }
        if c.isEmpty { throw WireError(path: o.sub("counts"), message: "at least one bin") }
        counts = c
    }

    public func jsonValue() -> JSONValue {
        var a = [JSONValue]()
        for n in counts { a.append(wireInt(n)) }
        return .object([("feature", .string(feature)), ("counts", .array(a))])
    }

    /// Histograms merge by adding counts bin by bin (same baseline, same bins).
    public mutating func merge(_ other: FeatureHistogram) -> Bool {
        guard other.feature == feature, other.counts.count == counts.count else { return false }
        for i in 0..<counts.count { counts[i] += other.counts[i] }
        return true
    }
}

/// One drift window of one model version on one device.
public struct DriftWindow: WireMessage, Equatable {
    public var model: String
    public var version: String
    /// Unix seconds of the window start and its length.
    public var windowStart: Int
    public var windowSeconds: Int
    public var sampleCount: Int
    public var features: [FeatureHistogram]
    /// The device's own PSI per feature (informational; the fleet recomputes it on merged counts).
    public var psi: Double?

    public init(model: String, version: String, windowStart: Int, windowSeconds: Int, sampleCount: Int,
                features: [FeatureHistogram], psi: Double? = nil) {
        self.model = model; self.version = version; self.windowStart = windowStart; self.windowSeconds = windowSeconds
        self.sampleCount = sampleCount; self.features = features; self.psi = psi
    }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        model = try o.string("model", maxLength: 128)
        version = try o.string("version", maxLength: 64)
        windowStart = try o.int("window_start")
        windowSeconds = try o.int("window_seconds", min: 1, max: 7 * 86400)
        sampleCount = try o.int("sample_count")
        features = try o.messages("features", FeatureHistogram.self, maxCount: 512)
        psi = try o.optionalDouble("psi")
    }

    public func jsonValue() -> JSONValue {
        var m: [(key: String, value: JSONValue)] = [
            ("model", .string(model)), ("version", .string(version)), ("window_start", wireInt(windowStart)),
            ("window_seconds", wireInt(windowSeconds)), ("sample_count", wireInt(sampleCount)), ("features", wireArray(features)),
        ]
        if let p = psi { m.append(("psi", .number(p))) }
        return .object(m)
    }
}

/// POST /v1/device/drift.
public struct DriftUpload: WireMessage, Equatable {
    public var windows: [DriftWindow]

    public init(windows: [DriftWindow]) { self.windows = windows }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        windows = try o.messages("windows", DriftWindow.self, maxCount: 500)
    }

    public func jsonValue() -> JSONValue { .object([("windows", wireArray(windows))]) }
}

/// Answer to a drift upload: windows merged now, and re-sent windows ignored.
public struct DriftAck: WireMessage, Equatable {
    public var merged: Int
    public var duplicates: Int

    public init(merged: Int, duplicates: Int) { self.merged = merged; self.duplicates = duplicates }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        merged = try o.int("merged")
        duplicates = try o.int("duplicates")
    }

    public func jsonValue() -> JSONValue { .object([("merged", wireInt(merged)), ("duplicates", wireInt(duplicates))]) }
}

/// Every error answer of the fleet API: a stable code and a message for people.
public struct ErrorBody: WireMessage, Equatable {
    public var error: String
    public var message: String

    public init(error: String, message: String) { self.error = error; self.message = message }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        error = try o.string("error")
        message = try o.string("message", maxLength: 100_000)
    }

    public func jsonValue() -> JSONValue { .object([("error", .string(error)), ("message", .string(message))]) }
}
