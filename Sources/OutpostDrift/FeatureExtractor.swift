import OutpostText

/// Turns tensors into feature values, one sample at a time. Set up once with the
/// feature specs; per inference, `bind` each source tensor (a pointer and a
/// shape: no copy) and call `extract(sample:)`, which writes one value per
/// feature into `values`. Neither allocates.
public final class FeatureExtractor {
    public let specs: [FeatureSpec]
    /// One value per spec, written by `extract`.
    public let values: UnsafeMutableBufferPointer<Double>

    private struct Binding {
        var data: UnsafePointer<Float>?
        var samples = 0        // batch size (first dimension; 1 for rank ≤ 1)
        var sampleStride = 0   // elements per sample
        var plane = 0          // elements per channel (image features)
    }
    private var bindings: [Binding]

    public init(specs: [FeatureSpec]) {
        self.specs = specs
        values = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, specs.count))
        values.initialize(repeating: 0)
        bindings = [Binding](repeating: Binding(), count: specs.count)
    }

    deinit { values.deallocate() }

    /// Points the features that read `source` at a float tensor. Checks that each
    /// such feature fits the shape (rank, channel, element, class count).
    public func bind(_ source: FeatureSource, data: UnsafePointer<Float>, shape: [Int]) throws(DriftError) {
        var count = 1
        for d in shape { count *= d }
        let samples = shape.count >= 2 ? shape[0] : 1
        let stride = samples > 0 ? count / samples : 0
        for i in 0..<specs.count where specs[i].source == source {
            let s = specs[i]
            var plane = 0
            switch s.kind {
            case .scalar:
                guard s.index >= 0 && s.index < stride else {
                    throw .featureMismatch(feature: s.name, reason: String(outlined: "element \(s.index) is outside a sample of \(stride) elements"))
                }
            case .channelMean, .channelStd:
                guard shape.count >= 3 else {
                    throw .featureMismatch(feature: s.name, reason: String(outlined: "channel statistics need an (N, C, …) tensor, got rank \(shape.count)"))
                }
                guard s.index >= 0 && s.index < shape[1] else {
                    throw .featureMismatch(feature: s.name, reason: String(outlined: "channel \(s.index) is outside \(shape[1]) channels"))
                }
                plane = stride / shape[1]
            case .outputClass:
                guard s.classCount == stride else {
                    throw .featureMismatch(feature: s.name, reason: String(outlined: "baseline has \(s.classCount) classes, the output has \(stride) per sample"))
                }
            case .outputScore:
                guard s.index < stride else {
                    throw .featureMismatch(feature: s.name, reason: String(outlined: "element \(s.index) is outside a sample of \(stride) elements"))
                }
            }
            bindings[i].data = data
            bindings[i].samples = samples
            bindings[i].sampleStride = stride
            bindings[i].plane = plane
        }
    }

    /// Samples in the bound tensors (the smallest batch over bound features).
    public var sampleCount: Int {
        var n = Int.max
        for b in bindings where b.data != nil { n = min(n, b.samples) }
        return n == Int.max ? 0 : n
    }

    /// Computes every feature of sample `sample` into `values` (NaN for a feature whose
    /// source is not bound).
    public func extract(sample: Int) {
        // Mean and std of the same channel share one pass over the plane.
        var lastPlane: UnsafePointer<Float>?
        var lastSums = (0.0, 0.0)
        for i in 0..<specs.count {
            let b = bindings[i]
            guard let data = b.data, sample < b.samples else { values[i] = .nan; continue }
            let base = data + sample * b.sampleStride
            let s = specs[i]
            switch s.kind {
            case .scalar:
                values[i] = Double(base[s.index])
            case .channelMean, .channelStd:
                let plane = base + s.index * b.plane
                if plane != lastPlane {
                    lastSums = FeatureExtractor.sums(plane, b.plane)
                    lastPlane = plane
                }
                let (sum, squares) = lastSums
                if s.kind == .channelMean {
                    values[i] = sum / Double(b.plane)
                    continue
                }
                let n = Double(b.plane)
                let mean = sum / n
                let variance = max(0, squares / n - mean * mean)
                values[i] = variance.squareRoot()
            case .outputClass:
                var best = 0
                var top = base[0]
                for k in 1..<max(1, b.sampleStride) where base[k] > top { top = base[k]; best = k }
                values[i] = Double(best)
            case .outputScore:
                if s.index >= 0 {
                    values[i] = Double(base[s.index])
                } else {
                    var top = base[0]
                    for k in 1..<max(1, b.sampleStride) where base[k] > top { top = base[k] }
                    values[i] = Double(top)
                }
            }
        }
    }

    /// Sum and sum of squares of n floats: 8-wide SIMD float partials over blocks
    /// of 512, folded into doubles per block (bounded rounding error, fast).
    @inline(__always)
    static func sums(_ p: UnsafePointer<Float>, _ n: Int) -> (Double, Double) {
        var sum = 0.0, squares = 0.0
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= n {
            let blockEnd = min(n - (n - i) % 8, i + 512)
            var s = SIMD8<Float>(repeating: 0), q = SIMD8<Float>(repeating: 0)
            while i < blockEnd {
                let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                s += v
                q += v * v
                i += 8
            }
            sum += Double(s.sum())
            squares += Double(q.sum())
        }
        while i < n {
            let v = Double(p[i])
            sum += v
            squares += v * v
            i += 1
        }
        return (sum, squares)
    }
}
