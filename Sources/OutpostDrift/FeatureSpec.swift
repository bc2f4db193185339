import OutpostText

/// What a monitored feature measures.
public enum FeatureKind: Equatable {
    /// One element of a tabular input, per sample (`index` = element within the sample).
    case scalar
    /// Mean of channel `index` of an image-like input (N, C, ...), per sample.
    case channelMean
    /// Population standard deviation of channel `index` of an image-like input, per sample.
    case channelStd
    /// The model output read as a class distribution: the argmax class, per sample.
    /// Categorical: one bin per class (`classCount` bins).
    case outputClass
    /// An output score: element `index` of the sample's output, or the top score when `index < 0`.
    case outputScore

    public var name: String {
        switch self {
        case .scalar: return "scalar"
        case .channelMean: return "channel_mean"
        case .channelStd: return "channel_std"
        case .outputClass: return "output_class"
        case .outputScore: return "output_score"
        }
    }

    public init?(name: String) {
        switch name {
        case "scalar": self = .scalar
        case "channel_mean": self = .channelMean
        case "channel_std": self = .channelStd
        case "output_class": self = .outputClass
        case "output_score": self = .outputScore
        default: return nil
        }
    }

    public var isCategorical: Bool { self == .outputClass }
}

/// Which tensor a feature reads: a model input or a model output, by position.
public enum FeatureSource: Equatable {
    case input(Int)
    case output(Int)

    public var name: String {
        switch self {
        case let .input(i): return String(outlined: "input:\(i)")
        case let .output(i): return String(outlined: "output:\(i)")
        }
    }

    /// Parses "input:0" / "output:1".
    public init?(name: String) {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(String(parts[1])), i >= 0 else { return nil }
        switch parts[0] {
        case "input": self = .input(i)
        case "output": self = .output(i)
        default: return nil
        }
    }
}

/// One monitored feature: its name (shown in reports), kind, source tensor and
/// position. Features are per sample: a tensor whose first dimension is a batch of
/// N yields N observations.
public struct FeatureSpec: Equatable {
    public var name: String
    public var kind: FeatureKind
    public var source: FeatureSource
    /// Element (scalar, outputScore; -1 = top score) or channel (channelMean/Std); unused for outputClass.
    public var index: Int
    /// Number of classes (outputClass only).
    public var classCount: Int

    public init(name: String, kind: FeatureKind, source: FeatureSource, index: Int = 0, classCount: Int = 0) {
        self.name = name
        self.kind = kind
        self.source = source
        self.index = index
        self.classCount = classCount
    }

    public static func scalar(_ name: String, input: Int, element: Int) -> FeatureSpec {
        FeatureSpec(name: name, kind: .scalar, source: .input(input), index: element)
    }
    public static func channelMean(_ name: String, input: Int, channel: Int) -> FeatureSpec {
        FeatureSpec(name: name, kind: .channelMean, source: .input(input), index: channel)
    }
    public static func channelStd(_ name: String, input: Int, channel: Int) -> FeatureSpec {
        FeatureSpec(name: name, kind: .channelStd, source: .input(input), index: channel)
    }
    public static func outputClass(_ name: String, output: Int, classes: Int) -> FeatureSpec {
        FeatureSpec(name: name, kind: .outputClass, source: .output(output), index: -1, classCount: classes)
    }
    public static func topScore(_ name: String, output: Int) -> FeatureSpec {
        FeatureSpec(name: name, kind: .outputScore, source: .output(output), index: -1)
    }

    /// The default feature set for a model from its float tensors' names and
    /// per-sample shapes (batch dimension included; symbolic dimensions as 1):
    /// image-like inputs (rank 4) → per-channel mean and std; tabular inputs
    /// (rank 2) → the first `maxScalars` elements; the first output of rank 2 with
    /// more than one element per sample → argmax class and top score.
    public static func defaults(inputs: [(name: String, shape: [Int])], outputs: [(name: String, shape: [Int])],
                                maxScalars: Int = 16, maxChannels: Int = 8) -> [FeatureSpec] {
        var out = [FeatureSpec]()
        for (i, input) in inputs.enumerated() {
            let s = input.shape
            if s.count == 4 {
                for c in 0..<min(s[1], maxChannels) {
                    out.append(.channelMean(String(outlined: "\(input.name).mean[\(c)]"), input: i, channel: c))
                    out.append(.channelStd(String(outlined: "\(input.name).std[\(c)]"), input: i, channel: c))
                }
            } else if s.count == 2 || s.count == 1 {
                let n = s[s.count - 1]
                for e in 0..<min(n, maxScalars) { out.append(.scalar(String(outlined: "\(input.name)[\(e)]"), input: i, element: e)) }
            }
        }
        for (o, output) in outputs.enumerated() {
            let s = output.shape
            if s.count == 2 && s[1] > 1 {
                out.append(.outputClass(String(outlined: "\(output.name).class"), output: o, classes: s[1]))
                out.append(.topScore(String(outlined: "\(output.name).top_score"), output: o))
                break
            }
        }
        return out
    }
}
