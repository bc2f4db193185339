import Foundation
import Testing
@testable import OutpostRuntime

private typealias H = ElementwiseHarness

@Suite("Normalization operators")
struct NormalizationTests {
    @Test func batchNormalizationInference() throws {
        let x = H.randoms(2 * 3 * 5, seed: 31)
        let scale: [Float] = [1, 2, 0.5], bias: [Float] = [0, 1, -1]
        let mean: [Float] = [0.1, -0.2, 0.3], variance: [Float] = [1, 0.5, 2]
        let out = try H.run("BatchNormalization", [.feed(H.f([2, 3, 5], x)), .constant(H.f([3], scale)), .constant(H.f([3], bias)),
                                                   .constant(H.f([3], mean)), .constant(H.f([3], variance))],
                            attributes: ["epsilon": .float(1e-3)], opset: 15)
        var ref = [Float]()
        for n in 0..<2 { for c in 0..<3 { for i in 0..<5 {
            let v = x[(n * 3 + c) * 5 + i]
            ref.append((v - mean[c]) / (variance[c] + 1e-3).squareRoot() * scale[c] + bias[c])
        } } }
        #expect(H.close(out[0].floatValues(), ref))
    }

    @Test func batchNormalizationTrainingModeIsUnsupported() throws {
        let c = H.f([1], [1])
        do {
            _ = try H.run("BatchNormalization", [.feed(H.f([1, 1, 2], [1, 2])), .constant(c), .constant(c), .constant(c), .constant(c)],
                          attributes: ["training_mode": .int(1)], opset: 15)
            Issue.record("expected an error")
        } catch let e as OutpostError {
            guard case let .unsupportedAttribute(_, _, attribute, _) = e else { Issue.record("wrong error \(e.description)"); return }
            #expect(attribute == "training_mode")
        }
    }

    @Test func layerNormalizationWithStatistics() throws {
        let x = H.randoms(2 * 3 * 4, seed: 41)
        let scale = H.randoms(12, seed: 42, 0.5, 1.5), bias = H.randoms(12, seed: 43)
        let out = try H.run("LayerNormalization", [.feed(H.f([2, 3, 4], x)), .constant(H.f([3, 4], scale)), .constant(H.f([3, 4], bias))],
                            attributes: ["axis": .int(1), "epsilon": .float(1e-5)], opset: 17, outputs: 3)
        var ref = [Float](), means = [Float](), invs = [Float]()
        for r in 0..<2 {
            let row = x[(r * 12)..<(r * 12 + 12)].map { Double($0) }
            let m = row.reduce(0, +) / 12
            let v = row.reduce(0) { $0 + ($1 - m) * ($1 - m) } / 12
            let inv = 1 / (v + 1e-5).squareRoot()
            for i in 0..<12 { ref.append(Float((row[i] - m) * inv) * scale[i] + bias[i]) }
            means.append(Float(m))
            invs.append(Float(inv))
        }
        #expect(H.close(out[0].floatValues(), ref, rtol: 1e-5, atol: 1e-5))
        #expect(out[1].shape == [2, 1, 1])
        #expect(H.close(out[1].floatValues(), means))
        #expect(H.close(out[2].floatValues(), invs))
        // Broadcast scale ([4] over normalised shape [3, 4]) and no bias.
        let b = try H.run("LayerNormalization", [.feed(H.f([2, 3, 4], x)), .constant(H.f([4], [1, 2, 3, 4]))], attributes: ["axis": .int(1)], opset: 17)
        let plain = try H.run("LayerNormalization", [.feed(H.f([2, 3, 4], x)), .constant(H.f([3, 4], [Float](repeating: 1, count: 12)))],
                              attributes: ["axis": .int(1)], opset: 17)[0].floatValues()
        #expect(H.close(b[0].floatValues(), plain.enumerated().map { $0.element * Float($0.offset % 4 + 1) }))
    }

    @Test func instanceNormalization() throws {
        let x = H.randoms(2 * 2 * 6, seed: 51)
        let out = try H.run("InstanceNormalization", [.feed(H.f([2, 2, 2, 3], x)), .constant(H.f([2], [1, 2])), .constant(H.f([2], [0, 1]))])
        var ref = [Float]()
        for g in 0..<4 {
            let c = g % 2
            let row = x[(g * 6)..<(g * 6 + 6)].map { Double($0) }
            let m = row.reduce(0, +) / 6
            let v = row.reduce(0) { $0 + ($1 - m) * ($1 - m) } / 6
            for r in row { ref.append(Float((r - m) / (v + 1e-5).squareRoot()) * [1, 2][c] + [0, 1][c]) }
        }
        #expect(H.close(out[0].floatValues(), ref, rtol: 1e-5, atol: 1e-5))
    }

    @Test func lpNormalization() throws {
        let x = H.f([2, 2], [3, 4, -1, 1])
        #expect(H.close(try H.run("LpNormalization", [.feed(x)])[0].floatValues(), [0.6, 0.8, -0.70710677, 0.70710677]))
        #expect(H.close(try H.run("LpNormalization", [.feed(x)], attributes: ["p": .int(1), "axis": .int(0)])[0].floatValues(), [0.75, 0.8, -0.25, 0.2]))
    }

    @Test func rmsNormalization() throws {
        let x = H.randoms(2 * 4, seed: 61)
        let out = try H.run("RMSNormalization", [.feed(H.f([2, 4], x)), .constant(H.f([4], [1, 2, 3, 4]))], opset: 23)
        var ref = [Float]()
        for r in 0..<2 {
            let row = x[(r * 4)..<(r * 4 + 4)].map { Double($0) }
            let inv = 1 / (row.reduce(0) { $0 + $1 * $1 } / 4 + 1e-5).squareRoot()
            for i in 0..<4 { ref.append(Float(row[i] * inv) * Float(i + 1)) }
        }
        #expect(H.close(out[0].floatValues(), ref, rtol: 1e-5, atol: 1e-5))
    }

    @Test func groupNormalizationMatchesInstanceNormWhenGroupsEqualChannels() throws {
        let x = H.randoms(2 * 4 * 3, seed: 71)
        let scale = H.f([4], [1, 2, 3, 4]), bias = H.f([4], [0, 1, 0, -1])
        let g = try H.run("GroupNormalization", [.feed(H.f([2, 4, 3], x)), .constant(scale), .constant(bias)], attributes: ["num_groups": .int(4)], opset: 21)
        let i = try H.run("InstanceNormalization", [.feed(H.f([2, 4, 3], x)), .constant(scale), .constant(bias)])
        #expect(H.close(g[0].floatValues(), i[0].floatValues(), rtol: 1e-5, atol: 1e-5))
        // Two groups of two channels: statistics over 6 values.
        let g2 = try H.run("GroupNormalization", [.feed(H.f([2, 4, 3], x)), .constant(H.f([4], [1, 1, 1, 1])), .constant(H.f([4], [0, 0, 0, 0]))],
                           attributes: ["num_groups": .int(2)], opset: 21)
        let block = x[0..<6].map { Double($0) }
        let m = block.reduce(0, +) / 6, v = block.reduce(0) { $0 + ($1 - m) * ($1 - m) } / 6
        #expect(H.close(Array(g2[0].floatValues()[0..<6]), block.map { Float(($0 - m) / (v + 1e-5).squareRoot()) }, rtol: 1e-5, atol: 1e-5))
    }

    @Test func meanVarianceNormalizationAndLRN() throws {
        let x = H.randoms(8, seed: 81)
        let mvn = try H.run("MeanVarianceNormalization", [.feed(H.f([2, 4], x))], attributes: ["axes": .ints([1])])
        let row = x[0..<4].map { Double($0) }
        let m = row.reduce(0, +) / 4, sd = (row.reduce(0) { $0 + $1 * $1 } / 4 - m * m).squareRoot()
        #expect(H.close(Array(mvn[0].floatValues()[0..<4]), row.map { Float(($0 - m) / (sd + 1e-9)) }, rtol: 1e-4, atol: 1e-5))
        let lrn = try H.run("LRN", [.feed(H.f([1, 3, 1, 1], [1, 2, 3]))], attributes: ["size": .int(3), "alpha": .float(0.3), "beta": .float(0.75), "bias": .float(1)])
        let sums: [Float] = [1 + 4, 1 + 4 + 9, 4 + 9]
        let ref = [Float](arrayLiteral: 1, 2, 3).enumerated().map { $0.element / powf(1 + 0.1 * sums[$0.offset], 0.75) }
        #expect(H.close(lrn[0].floatValues(), ref))
    }
}

