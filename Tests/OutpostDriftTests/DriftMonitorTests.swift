import Foundation
import OutpostDrift
import Testing

/// Deterministic normal samples (Box-Muller over SplitMix64).
struct Gaussian {
    var state: UInt64
    var spare: Double?
    init(seed: UInt64) { state = seed }
    mutating func uniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (Double(z >> 11) + 0.5) / Double(UInt64(1) << 53)
    }
    mutating func next(mean: Double = 0, sd: Double = 1) -> Double {
        if let s = spare { spare = nil; return mean + sd * s }
        let u = uniform(), v = uniform()
        let r = (-2 * Foundation.log(u)).squareRoot()
        spare = r * sin(2 * .pi * v)
        return mean + sd * r * cos(2 * .pi * v)
    }
}

@Suite struct DriftMonitorTests {
    /// Three features: a normal scalar, a skewed (exponential) scalar, a 5-class categorical.
    static let specs: [FeatureSpec] = [
        .scalar("x", input: 0, element: 0),
        .scalar("skewed", input: 0, element: 1),
        .outputClass("class", output: 0, classes: 5),
    ]
    static let classWeights = [0.4, 0.25, 0.15, 0.12, 0.08]

    static func sample(_ g: inout Gaussian, shift: Double = 0, scale: Double = 1, classShift: Bool = false) -> [Double] {
        let x = g.next(mean: shift, sd: scale)
        let skewed = -Foundation.log(g.uniform()) * scale
        var u = g.uniform(), c = 0
        let w = classShift ? Array(classWeights.reversed()) : classWeights
        while c < 4 && u >= w[c] { u -= w[c]; c += 1 }
        return [x, skewed, Double(c)]
    }

    static func baseline(samples: Int = 5000, seed: UInt64 = 1) throws -> DriftBaseline {
        var g = Gaussian(seed: seed)
        var b = DriftBaselineBuilder(specs: specs)
        for _ in 0..<samples { try b.add(sample(&g)) }
        return try b.build()
    }

    /// Fraction of windows (of `size` samples from the reference distribution)
    /// whose verdict is not `stable`, over `windows` windows.
    static func falseAlarmRate(size: Int, windows: Int, baseline: DriftBaseline) -> (rate: Double, meanPSI: Double) {
        var g = Gaussian(seed: 777 + UInt64(size))
        let m = DriftMonitor(baseline: baseline, policy: .count(size))
        var alarms = 0, closed = 0
        var psiSum = 0.0
        while closed < windows {
            if let r = m.observe(sample(&g)) {
                closed += 1
                if r.verdict != .stable { alarms += 1 }
                for f in r.features { psiSum += f.psi }
            }
        }
        return (Double(alarms) / Double(windows), psiSum / Double(windows * specs.count))
    }

    @Test func falseAlarmRateOnReferenceDistribution() throws {
        let baseline = try Self.baseline()
        var lines = [String]()
        for (size, windows) in [(100, 400), (200, 400), (500, 400), (1000, 200)] {
            let (rate, psi) = Self.falseAlarmRate(size: size, windows: windows, baseline: baseline)
            lines.append("window \(size): false-alarm rate \(String(format: "%.4f", rate)) over \(windows) windows (mean PSI \(String(format: "%.4f", psi)))")
            // PSI grows like (bins-1)/n under no drift; from 500 samples on it must stay far below 0.1.
            if size >= 500 { #expect(rate <= 0.01, "window \(size): false-alarm rate \(rate)") }
        }
        print("drift false alarms (3 features, 10 bins, baseline 5000 samples):\n  " + lines.joined(separator: "\n  "))
    }

    @Test func shiftedDataIsFlagged() throws {
        let baseline = try Self.baseline()
        func verdicts(_ make: (inout Gaussian) -> [Double]) -> [[DriftVerdict]] {
            var g = Gaussian(seed: 99)
            let m = DriftMonitor(baseline: baseline, policy: .count(500))
            var out = [[DriftVerdict]]()
            while out.count < 20 { if let r = m.observe(make(&g)) { out.append(r.features.map(\.verdict)) } }
            return out
        }
        // Mean shift of one standard deviation: x is major drift in every window.
        for v in verdicts({ Self.sample(&$0, shift: 1) }) { #expect(v[0] == .major) }
        // Scale doubled: x and skewed both drift.
        for v in verdicts({ Self.sample(&$0, scale: 2) }) { #expect(v[0] == .major && v[1] == .major) }
        // Class distribution reversed: the categorical feature drifts, x does not.
        for v in verdicts({ Self.sample(&$0, classShift: true) }) { #expect(v[2] == .major && v[0] == .stable) }
        // A small shift (0.3 sd) is at least moderate in most windows.
        let small = verdicts({ Self.sample(&$0, shift: 0.3) })
        #expect(small.filter { $0[0] >= .moderate }.count >= 15)
    }

    @Test func histogramsMergeByAddingCounts() throws {
        let baseline = try Self.baseline(samples: 1000)
        var g = Gaussian(seed: 5)
        let whole = DriftMonitor(baseline: baseline, policy: .count(1_000_000))
        let a = DriftMonitor(baseline: baseline, policy: .count(1_000_000))
        let b = DriftMonitor(baseline: baseline, policy: .count(1_000_000))
        for i in 0..<600 {
            let s = Self.sample(&g, shift: 0.2)
            _ = whole.observe(s)
            _ = (i % 3 == 0 ? a : b).observe(s)
        }
        var merged = a.histograms
        for i in 0..<merged.count { try merged[i].merge(b.histograms[i]) }
        #expect(merged == whole.histograms)
        // Statistics on the merged histograms equal the single device's.
        let t = DriftThresholds()
        for (i, f) in baseline.features.enumerated() {
            let fromMerge = DriftStatistics.evaluate(f, merged[i], smoothing: baseline.smoothing, thresholds: t)
            #expect(fromMerge == whole.current().features[i])
        }
        var wrong = Histogram(bins: 3)
        #expect(throws: DriftError.self) { try wrong.merge(Histogram(bins: 4)) }
        // Merging reports' histograms (what a fleet does with uploaded windows).
        var h = Histogram(counts: [1, 2, 3])
        try h.merge(Histogram(counts: [10, 0, 5], invalid: 2))
        #expect(h.counts == [11, 2, 8] && h.total == 21 && h.invalid == 2)
    }

    @Test func timeWindowsCloseOnDuration() throws {
        let baseline = try Self.baseline(samples: 500)
        let m = DriftMonitor(baseline: baseline, policy: .duration(1000), thresholds: DriftThresholds(minimumSamples: 5))
        var g = Gaussian(seed: 3)
        var reports = [DriftWindowReport]()
        for t in stride(from: Int64(0), to: 3500, by: 50) {
            if let r = m.observe(Self.sample(&g), time: t) { reports.append(r) }
        }
        #expect(reports.count == 3)
        #expect(reports[0].start == 0 && reports[0].end == 950 && reports[0].count == 20)
        #expect(reports[1].start == 1000 && reports[1].index == 1)
        #expect(m.poll(now: 3400) == nil)  // the open window started at 3000
        let last = try #require(m.poll(now: 4000))
        #expect(last.count == 10 && last.start == 3000)
        #expect(m.flush() == nil)
        // Too few samples: no verdict.
        let sparse = DriftMonitor(baseline: baseline, policy: .duration(10))
        _ = sparse.observe(Self.sample(&g), time: 0)
        let r = try #require(sparse.observe(Self.sample(&g), time: 20))
        #expect(r.verdict == .insufficient && r.count == 1)
    }

    @Test func nanIsCountedAsInvalid() throws {
        let baseline = try Self.baseline(samples: 500)
        let m = DriftMonitor(baseline: baseline, policy: .count(2), thresholds: DriftThresholds(minimumSamples: 1))
        _ = m.observe([.nan, 1, 0])
        let r = try #require(m.observe([.infinity, 1, 0]))
        #expect(r.features[0].invalid == 1 && r.features[0].count == 1)
        #expect(r.features[0].counts.last == 1)  // +inf → open-ended last bin
    }

    @Test func baselineAndReportJSONRoundTrip() throws {
        let baseline = try Self.baseline(samples: 800)
        let text = baseline.json()
        let back = try DriftBaseline(json: text)
        #expect(back == baseline)
        #expect(back.json() == text)

        let m = DriftMonitor(baseline: baseline, policy: .count(50))
        var g = Gaussian(seed: 8)
        var report: DriftWindowReport?
        while report == nil { report = m.observe(Self.sample(&g, shift: 0.5), time: 1_700_000_000_000) }
        let r = try #require(report)
        #expect(try DriftWindowReport(json: r.json()) == r)
        #expect(r.json().hasPrefix("{\"window\":0,"))
    }

    @Test func invalidBaselinesAreRejected() throws {
        let good = try Self.baseline(samples: 300).json()
        let bad: [(String, String)] = [
            ("not json", "{"),
            ("format", good.replacingOccurrences(of: "\"format\":1", with: "\"format\":9")),
            ("kind", good.replacingOccurrences(of: "\"kind\":\"scalar\"", with: "\"kind\":\"bogus\"")),
            ("source", good.replacingOccurrences(of: "\"source\":\"input:0\"", with: "\"source\":\"inpt:0\"")),
            ("features", "{\"format\":1,\"sample_count\":1,\"smoothing\":0.5}"),
            ("edges order", "{\"format\":1,\"sample_count\":1,\"smoothing\":0.5,\"features\":[{\"name\":\"a\",\"kind\":\"scalar\",\"source\":\"input:0\",\"index\":0,\"edges\":[2,1],\"reference_counts\":[1,1,1],\"proportions\":[0.3,0.3,0.4]}]}"),
            ("bin count", "{\"format\":1,\"sample_count\":1,\"smoothing\":0.5,\"features\":[{\"name\":\"a\",\"kind\":\"scalar\",\"source\":\"input:0\",\"index\":0,\"edges\":[1,2],\"reference_counts\":[1,1],\"proportions\":[0.3,0.3,0.4]}]}"),
            ("zero proportion", "{\"format\":1,\"sample_count\":1,\"smoothing\":0.5,\"features\":[{\"name\":\"a\",\"kind\":\"scalar\",\"source\":\"input:0\",\"index\":0,\"edges\":[1],\"reference_counts\":[1,0],\"proportions\":[1,0]}]}"),
        ]
        for (what, text) in bad {
            #expect(throws: DriftError.self, "\(what)") { try DriftBaseline(json: text) }
        }
    }

    @Test func quantileEdgesAreDeduplicatedAndOpenEnded() throws {
        var b = DriftBaselineBuilder(specs: [.scalar("c", input: 0, element: 0)])
        for _ in 0..<100 { try b.add([3]) }
        let f = try b.build().features[0]
        #expect(f.edges == [3])  // constant feature: (-inf, 3) and [3, +inf)
        #expect(f.referenceCounts == [0, 100])
        #expect(f.proportions[0] > 0 && abs(f.proportions.reduce(0, +) - 1) < 1e-15)
        #expect(f.bin(of: -1e300) == 0 && f.bin(of: 3) == 1 && f.bin(of: .infinity) == 1)
        let empty = DriftBaselineBuilder(specs: [.scalar("c", input: 0, element: 0)])
        #expect(throws: DriftError.self) { try empty.build() }
    }
}
