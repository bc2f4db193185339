import OutpostText

/// Failures of the drift module: a baseline that does not decode or does not fit
/// the model, histograms that cannot be merged, features that do not fit a tensor.
public indirect enum DriftError: Error, Equatable {
    /// A baseline or report JSON document is missing a member or holds a wrong value.
    case invalidBaseline(String)
    /// A feature does not fit the tensor bound to it (rank, channel or element out of range).
    case featureMismatch(feature: String, reason: String)
    /// Two histograms on different bins (or of different features) cannot be merged.
    case incompatibleHistograms(String)
    /// The builder saw no reference samples, or a sample with the wrong number of values.
    case invalidReference(String)

    public var description: String {
        switch self {
        case let .invalidBaseline(m): return String(outlined: "invalid drift baseline: \(m)")
        case let .featureMismatch(feature, reason): return String(outlined: "drift feature '\(feature)': \(reason)")
        case let .incompatibleHistograms(m): return String(outlined: "histograms do not merge: \(m)")
        case let .invalidReference(m): return String(outlined: "drift reference data: \(m)")
        }
    }
}
