import Foundation
import OutpostDrift
import Testing

@Suite struct FeatureExtractorTests {
    @Test func imageChannelStatisticsPerSample() throws {
        let shape = [2, 3, 5, 7]  // two samples, odd plane (35): SIMD blocks and tails
        var data = [Float](repeating: 0, count: 2 * 3 * 35)
        var g = Gaussian(seed: 11)
        for i in 0..<data.count { data[i] = Float(g.next(mean: 0.4, sd: 0.2)) }
        let specs: [FeatureSpec] = (0..<3).flatMap { [FeatureSpec.channelMean("m\($0)", input: 0, channel: $0),
                                                     FeatureSpec.channelStd("s\($0)", input: 0, channel: $0)] }
        let x = FeatureExtractor(specs: specs)
        try data.withUnsafeBufferPointer { try x.bind(.input(0), data: $0.baseAddress!, shape: shape) }
        #expect(x.sampleCount == 2)
        for n in 0..<2 {
            data.withUnsafeBufferPointer { _ in x.extract(sample: n) }
            for c in 0..<3 {
                let plane = data[(n * 3 + c) * 35..<(n * 3 + c + 1) * 35].map(Double.init)
                let mean = plane.reduce(0, +) / 35
                let sd = (plane.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 35).squareRoot()
                #expect(abs(x.values[2 * c] - mean) < 1e-6)
                #expect(abs(x.values[2 * c + 1] - sd) < 1e-6)
            }
        }
    }

    @Test func tabularAndOutputFeatures() throws {
        let input: [Float] = [1, 2, 3, 4, 5, 6]          // [2, 3]
        let output: [Float] = [0.1, 0.7, 0.2, 0.5, 0.2, 0.3]  // [2, 3]
        let x = FeatureExtractor(specs: [.scalar("a", input: 0, element: 2), .outputClass("cls", output: 0, classes: 3),
                                         .topScore("top", output: 0),
                                         FeatureSpec(name: "p0", kind: .outputScore, source: .output(0), index: 0)])
        try input.withUnsafeBufferPointer { try x.bind(.input(0), data: $0.baseAddress!, shape: [2, 3]) }
        try output.withUnsafeBufferPointer { try x.bind(.output(0), data: $0.baseAddress!, shape: [2, 3]) }
        x.extract(sample: 0)
        #expect(Array(x.values) == [3, 1, Double(Float(0.7)), Double(Float(0.1))])
        x.extract(sample: 1)
        #expect(Array(x.values) == [6, 0, Double(Float(0.5)), Double(Float(0.5))])
    }

    @Test func mismatchedTensorsAreErrors() throws {
        let data = [Float](repeating: 0, count: 12)
        data.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            #expect(throws: DriftError.self) { try FeatureExtractor(specs: [.scalar("a", input: 0, element: 6)]).bind(.input(0), data: base, shape: [2, 6]) }
            #expect(throws: DriftError.self) { try FeatureExtractor(specs: [.channelMean("m", input: 0, channel: 0)]).bind(.input(0), data: base, shape: [12]) }
            #expect(throws: DriftError.self) { try FeatureExtractor(specs: [.channelMean("m", input: 0, channel: 3)]).bind(.input(0), data: base, shape: [1, 3, 2, 2]) }
            #expect(throws: DriftError.self) { try FeatureExtractor(specs: [.outputClass("c", output: 0, classes: 10)]).bind(.output(0), data: base, shape: [1, 12]) }
        }
        // An unbound feature yields NaN (counted as invalid by the monitor).
        let x = FeatureExtractor(specs: [.scalar("a", input: 1, element: 0)])
        x.extract(sample: 0)
        #expect(x.values[0].isNaN)
    }

    @Test func defaultFeatureSets() {
        let image = FeatureSpec.defaults(inputs: [("input", [1, 3, 128, 128])], outputs: [("probabilities", [1, 100])])
        #expect(image.count == 8)
        #expect(image[0] == .channelMean("input.mean[0]", input: 0, channel: 0))
        #expect(image[6].kind == .outputClass && image[6].classCount == 100)
        let tab = FeatureSpec.defaults(inputs: [("x", [1, 32])], outputs: [("y", [1, 10])], maxScalars: 4)
        #expect(tab.map(\.name) == ["x[0]", "x[1]", "x[2]", "x[3]", "y.class", "y.top_score"])
    }
}
