import OutpostDrift
import OutpostJSON
import OutpostRuntime

/// The drift baseline of `package build`: OutpostDrift's default features
/// (`FeatureSpec.defaults`: per-channel mean/std of image-like inputs, the first
/// 16 elements of tabular inputs, argmax class and top score of the first
/// class-score output), extracted by `FeatureExtractor` from every reference run
/// (each batch row is one observation) and turned into quantile bins by
/// `DriftBaselineBuilder` — the same code `outpost monitor` uses on the device,
/// so the bins match by construction. Float32 tensors only; features of other
/// tensors are left out.
struct BaselineBuilder {
    private let extractor: FeatureExtractor
    private var builder: DriftBaselineBuilder

    init(inputs: [(name: String, shape: [Int])], outputs: [(name: String, shape: [Int])], bins: Int = 10) {
        let specs = FeatureSpec.defaults(inputs: inputs, outputs: outputs)
        extractor = FeatureExtractor(specs: specs)
        builder = DriftBaselineBuilder(specs: specs, bins: bins)
    }

    /// Adds the observations of one reference run (float32 tensors; a feature
    /// that does not fit its tensor yields no values and is left out).
    mutating func add(inputs: [Tensor], outputs: [Tensor]) {
        for (i, t) in inputs.enumerated() where t.dtype == .float32 {
            try? extractor.bind(.input(i), data: UnsafePointer(t.floats), shape: t.shape)
        }
        for (i, t) in outputs.enumerated() where t.dtype == .float32 {
            try? extractor.bind(.output(i), data: UnsafePointer(t.floats), shape: t.shape)
        }
        for n in 0..<extractor.sampleCount {
            extractor.extract(sample: n)
            try? builder.add(UnsafeBufferPointer(extractor.values))
        }
    }

    /// The baseline in OutpostDrift's JSON form, or null when no feature had values.
    func jsonValue() -> JSONValue {
        guard let baseline = try? builder.build(droppingEmpty: true) else { return .null }
        return baseline.jsonValue()
    }
}
