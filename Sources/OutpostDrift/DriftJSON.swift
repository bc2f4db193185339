import OutpostJSON
import OutpostText

// JSON forms of baselines (embedded in the package manifest) and window reports
// (stored in the telemetry store, uploaded, merged by the fleet). Numbers
// round-trip exactly (JSONValue.serialized uses shortest round-trip doubles).
//
// Baseline:
//   {"format":1,"sample_count":500,"smoothing":0.5,"features":[
//     {"name":"input.mean[0]","kind":"channel_mean","source":"input:0","index":0,
//      "edges":[…],"reference_counts":[…],"proportions":[…]},
//     {"name":"probabilities.class","kind":"output_class","source":"output:0","index":-1,"classes":10,…}]}
// Window report:
//   {"window":3,"start":…,"end":…,"count":100,"verdict":"stable","features":[
//     {"name":…,"kind":…,"count":100,"invalid":0,"psi":0.021,"js":0.07,"ks":0.05,"verdict":"stable","counts":[…]}]}

extension DriftBaseline {
    public func jsonValue() -> JSONValue {
        var features = [JSONValue]()
        for f in self.features {
            var members: [(key: String, value: JSONValue)] = [
                ("name", .string(f.spec.name)),
                ("kind", .string(f.spec.kind.name)),
                ("source", .string(f.spec.source.name)),
                ("index", .number(Double(f.spec.index))),
            ]
            if f.spec.kind.isCategorical { members.append(("classes", .number(Double(f.spec.classCount)))) }
            members.append(("edges", DriftJSON.numbers(f.edges)))
            members.append(("reference_counts", DriftJSON.counts(f.referenceCounts)))
            members.append(("proportions", DriftJSON.numbers(f.proportions)))
            features.append(.object(members))
        }
        return .object([
            ("format", .number(Double(DriftBaseline.formatVersion))),
            ("sample_count", .number(Double(sampleCount))),
            ("smoothing", .number(smoothing)),
            ("features", .array(features)),
        ])
    }

    public func json() -> String { jsonValue().serialized() }

    public init(json text: String) throws(DriftError) {
        let value: JSONValue
        do { value = try JSONReader.parse(text) } catch { throw .invalidBaseline(String(outlined: "JSON: \(error.description)")) }
        try self.init(json: value)
    }

    /// Decodes and validates: known kinds and sources, strictly increasing finite
    /// edges, counts and proportions with one entry per bin, proportions > 0.
    public init(json v: JSONValue) throws(DriftError) {
        guard let format = v["format"]?.intValue else { throw .invalidBaseline("missing 'format'") }
        guard format == DriftBaseline.formatVersion else {
            throw .invalidBaseline(String(outlined: "format \(format) is not supported (this build reads \(DriftBaseline.formatVersion))"))
        }
        guard let n = v["sample_count"]?.intValue, n >= 0 else { throw .invalidBaseline("missing or negative 'sample_count'") }
        guard let smoothing = v["smoothing"]?.doubleValue, smoothing >= 0 else { throw .invalidBaseline("missing or negative 'smoothing'") }
        guard let items = v["features"]?.arrayValue else { throw .invalidBaseline("missing 'features' array") }
        var features = [FeatureBaseline]()
        for (i, item) in items.enumerated() {
            let at = String(outlined: "features[\(i)]")
            guard let name = item["name"]?.stringValue else { throw .invalidBaseline(String(outlined: "\(at): missing 'name'")) }
            guard let kindName = item["kind"]?.stringValue, let kind = FeatureKind(name: kindName) else {
                throw .invalidBaseline(String(outlined: "\(at) '\(name)': missing or unknown 'kind'"))
            }
            guard let sourceName = item["source"]?.stringValue, let source = FeatureSource(name: sourceName) else {
                throw .invalidBaseline(String(outlined: "\(at) '\(name)': missing or invalid 'source' (input:N or output:N)"))
            }
            guard let index = item["index"]?.intValue else { throw .invalidBaseline(String(outlined: "\(at) '\(name)': missing 'index'")) }
            var classes = 0
            if kind.isCategorical {
                guard let c = item["classes"]?.intValue, c >= 1 else { throw .invalidBaseline(String(outlined: "\(at) '\(name)': missing 'classes'")) }
                classes = c
            }
            let edges = try DriftJSON.readNumbers(item["edges"], String(outlined: "\(at) '\(name)'.edges"))
            let counts = try DriftJSON.readCounts(item["reference_counts"], String(outlined: "\(at) '\(name)'.reference_counts"))
            let proportions = try DriftJSON.readNumbers(item["proportions"], String(outlined: "\(at) '\(name)'.proportions"))
            for k in 0..<edges.count where !edges[k].isFinite || (k > 0 && edges[k] <= edges[k - 1]) {
                throw .invalidBaseline(String(outlined: "\(at) '\(name)': edges must be finite and strictly increasing"))
            }
            guard counts.count == edges.count + 1, proportions.count == edges.count + 1 else {
                throw .invalidBaseline(String(outlined: "\(at) '\(name)': \(edges.count) edges need \(edges.count + 1) counts and proportions"))
            }
            for p in proportions where !(p > 0 && p <= 1) {
                throw .invalidBaseline(String(outlined: "\(at) '\(name)': proportions must be in (0, 1]"))
            }
            if kind.isCategorical && edges.count != classes - 1 {
                throw .invalidBaseline(String(outlined: "\(at) '\(name)': \(classes) classes need \(classes - 1) edges"))
            }
            let spec = FeatureSpec(name: name, kind: kind, source: source, index: index, classCount: classes)
            features.append(FeatureBaseline(spec: spec, edges: edges, referenceCounts: counts, proportions: proportions))
        }
        self.init(features: features, sampleCount: n, smoothing: smoothing)
    }
}

extension DriftWindowReport {
    public func jsonValue() -> JSONValue {
        var features = [JSONValue]()
        for f in self.features {
            features.append(.object([
                ("name", .string(f.name)),
                ("kind", .string(f.kind.name)),
                ("count", .number(Double(f.count))),
                ("invalid", .number(Double(f.invalid))),
                ("psi", .number(f.psi)),
                ("js", .number(f.jensenShannon)),
                ("ks", .number(f.kolmogorovSmirnov)),
                ("verdict", .string(f.verdict.name)),
                ("counts", DriftJSON.counts(f.counts)),
            ]))
        }
        return .object([
            ("window", .number(Double(index))),
            ("start", .number(Double(start))),
            ("end", .number(Double(end))),
            ("count", .number(Double(count))),
            ("verdict", .string(verdict.name)),
            ("features", .array(features)),
        ])
    }

    public func json() -> String { jsonValue().serialized() }

    public init(json text: String) throws(DriftError) {
        let value: JSONValue
        do { value = try JSONReader.parse(text) } catch { throw .invalidBaseline(String(outlined: "JSON: \(error.description)")) }
        try self.init(json: value)
    }

    public init(json v: JSONValue) throws(DriftError) {
        guard let index = v["window"]?.intValue, let start = v["start"]?.intValue, let end = v["end"]?.intValue,
              let count = v["count"]?.intValue, let items = v["features"]?.arrayValue else {
            throw .invalidBaseline("window report: missing 'window', 'start', 'end', 'count' or 'features'")
        }
        var features = [FeatureDrift]()
        for (i, item) in items.enumerated() {
            guard let name = item["name"]?.stringValue,
                  let kindName = item["kind"]?.stringValue, let kind = FeatureKind(name: kindName),
                  let n = item["count"]?.intValue, let invalid = item["invalid"]?.intValue,
                  let psi = item["psi"]?.doubleValue, let js = item["js"]?.doubleValue, let ks = item["ks"]?.doubleValue,
                  let verdictName = item["verdict"]?.stringValue, let verdict = DriftVerdict(name: verdictName) else {
                throw .invalidBaseline(String(outlined: "window report features[\(i)]: missing or invalid member"))
            }
            let counts = try DriftJSON.readCounts(item["counts"], String(outlined: "window report features[\(i)].counts"))
            features.append(FeatureDrift(name: name, kind: kind, count: n, invalid: invalid, psi: psi, jensenShannon: js,
                                         kolmogorovSmirnov: ks, verdict: verdict, counts: counts))
        }
        self.init(index: index, start: Int64(start), end: Int64(end), count: count, features: features)
    }
}

enum DriftJSON {
    static func numbers(_ a: [Double]) -> JSONValue {
        var out = [JSONValue]()
        out.reserveCapacity(a.count)
        for d in a { out.append(.number(d)) }
        return .array(out)
    }

    static func counts(_ a: [UInt64]) -> JSONValue {
        var out = [JSONValue]()
        out.reserveCapacity(a.count)
        for c in a { out.append(.number(Double(c))) }
        return .array(out)
    }

    static func readNumbers(_ v: JSONValue?, _ what: String) throws(DriftError) -> [Double] {
        guard let items = v?.arrayValue else { throw .invalidBaseline(String(outlined: "\(what): missing array")) }
        var out = [Double]()
        for item in items {
            guard let d = item.doubleValue else { throw .invalidBaseline(String(outlined: "\(what): not a number")) }
            out.append(d)
        }
        return out
    }

    static func readCounts(_ v: JSONValue?, _ what: String) throws(DriftError) -> [UInt64] {
        guard let items = v?.arrayValue else { throw .invalidBaseline(String(outlined: "\(what): missing array")) }
        var out = [UInt64]()
        for item in items {
            guard let n = item.intValue, n >= 0 else { throw .invalidBaseline(String(outlined: "\(what): not a count")) }
            out.append(UInt64(n))
        }
        return out
    }
}
