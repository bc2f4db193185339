import OutpostJSON
import OutpostRuntime

/// A minimal drift-baseline builder that writes OutpostDrift's baseline JSON
/// (format 1: features with name, kind, source, index, [classes], edges,
/// reference_counts, proportions), so a DriftBaseline reads it unchanged.
/// Feature choice follows OutpostDrift's `FeatureSpec.defaults`: image-like
/// inputs (rank 4) → per-channel mean and std (first 8 channels); tabular inputs
/// (rank 1-2) → the first 16 elements; the first output of rank 2 with more than
/// one class → argmax class and top score. Each batch row is one observation.
/// TODO(monitor merge): replace with OutpostDrift.DriftBaselineBuilder.
struct BaselineBuilder {
    enum Kind { case scalar, channelMean, channelStd, outputClass, outputScore }

    struct Feature {
        var name: String
        var kind: Kind
        var isInput: Bool
        var tensor: Int
        var index: Int
        var classes: Int
        var values: [Double] = []
    }

    var features: [Feature] = []
    var samples = 0
    let bins: Int
    let smoothing = 0.5

    init(inputs: [(name: String, shape: [Int])], outputs: [(name: String, shape: [Int])], bins: Int = 10) {
        self.bins = max(2, bins)
        for (i, input) in inputs.enumerated() {
            let s = input.shape
            if s.count == 4 {
                for c in 0..<min(s[1], 8) {
                    features.append(Feature(name: "\(input.name).mean[\(c)]", kind: .channelMean, isInput: true, tensor: i, index: c, classes: 0))
                    features.append(Feature(name: "\(input.name).std[\(c)]", kind: .channelStd, isInput: true, tensor: i, index: c, classes: 0))
                }
            } else if s.count == 2 || s.count == 1 {
                for e in 0..<min(s[s.count - 1], 16) {
                    features.append(Feature(name: "\(input.name)[\(e)]", kind: .scalar, isInput: true, tensor: i, index: e, classes: 0))
                }
            }
        }
        for (o, output) in outputs.enumerated() where output.shape.count == 2 && output.shape[1] > 1 {
            features.append(Feature(name: "\(output.name).class", kind: .outputClass, isInput: false, tensor: o, index: -1, classes: output.shape[1]))
            features.append(Feature(name: "\(output.name).top_score", kind: .outputScore, isInput: false, tensor: o, index: -1, classes: 0))
            break
        }
    }

    /// Adds the observations of one reference run (float tensors only).
    mutating func add(inputs: [Tensor], outputs: [Tensor]) {
        var rows = 0
        for fi in 0..<features.count {
            let f = features[fi]
            let list = f.isInput ? inputs : outputs
            guard f.tensor < list.count else { continue }
            let t = list[f.tensor]
            guard t.dtype == .float32 || t.dtype == .float16 else { continue }
            let n = t.shape.count >= 2 ? t.shape[0] : 1
            let per = n > 0 ? t.count / n : 0
            rows = max(rows, n)
            for r in 0..<n {
                let base = r * per
                switch f.kind {
                case .scalar:
                    if f.index < per { features[fi].values.append(Double(t.float(at: base + f.index))) }
                case .channelMean, .channelStd:
                    let channels = t.shape[1]
                    let plane = channels > 0 ? per / channels : 0
                    guard f.index < channels, plane > 0 else { continue }
                    var sum = 0.0, sq = 0.0
                    for k in 0..<plane {
                        let v = Double(t.float(at: base + f.index * plane + k))
                        sum += v
                        sq += v * v
                    }
                    let mean = sum / Double(plane)
                    if f.kind == .channelMean {
                        features[fi].values.append(mean)
                    } else {
                        features[fi].values.append(max(0, sq / Double(plane) - mean * mean).squareRoot())
                    }
                case .outputClass, .outputScore:
                    guard per > 0 else { continue }
                    var best = 0
                    var top = t.float(at: base)
                    for k in 1..<per where t.float(at: base + k) > top { best = k; top = t.float(at: base + k) }
                    features[fi].values.append(f.kind == .outputClass ? Double(best) : Double(top))
                }
            }
        }
        samples += rows
    }

    func jsonValue() -> JSONValue {
        var out = [JSONValue]()
        for f in features where !f.values.isEmpty {
            let values = f.values.filter { $0 == $0 }.sorted()
            var edges = [Double]()
            if f.kind == .outputClass {
                for c in 0..<max(f.classes - 1, 0) { edges.append(Double(c) + 0.5) }
            } else {
                for k in 1..<bins {
                    let e = BaselineBuilder.quantile(values, Double(k) / Double(bins))
                    if edges.isEmpty || e > edges[edges.count - 1] { edges.append(e) }
                }
            }
            var counts = [Int](repeating: 0, count: edges.count + 1)
            for v in values {
                var b = 0
                while b < edges.count && edges[b] <= v { b += 1 }
                counts[b] += 1
            }
            let denominator = Double(values.count) + smoothing * Double(counts.count)
            var cj = [JSONValue](), pj = [JSONValue](), ej = [JSONValue]()
            for c in counts { cj.append(.number(Double(c))); pj.append(.number((Double(c) + smoothing) / denominator)) }
            for e in edges { ej.append(.number(e)) }
            var members: [(key: String, value: JSONValue)] = [
                ("name", .string(f.name)),
                ("kind", .string(BaselineBuilder.kindName(f.kind))),
                ("source", .string("\(f.isInput ? "input" : "output"):\(f.tensor)")),
                ("index", .number(Double(f.index))),
            ]
            if f.kind == .outputClass { members.append(("classes", .number(Double(f.classes)))) }
            members.append(("edges", .array(ej)))
            members.append(("reference_counts", .array(cj)))
            members.append(("proportions", .array(pj)))
            out.append(.object(members))
        }
        return .object([("format", .number(1)), ("sample_count", .number(Double(samples))),
                        ("smoothing", .number(smoothing)), ("features", .array(out))])
    }

    static func kindName(_ k: Kind) -> String {
        switch k {
        case .scalar: return "scalar"
        case .channelMean: return "channel_mean"
        case .channelStd: return "channel_std"
        case .outputClass: return "output_class"
        case .outputScore: return "output_score"
        }
    }

    /// numpy's default (linear) quantile of sorted values.
    static func quantile(_ v: [Double], _ q: Double) -> Double {
        if v.count == 1 { return v[0] }
        let pos = q * Double(v.count - 1)
        let lo = Int(pos)
        if lo >= v.count - 1 { return v[v.count - 1] }
        return v[lo] + (v[lo + 1] - v[lo]) * (pos - Double(lo))
    }
}
