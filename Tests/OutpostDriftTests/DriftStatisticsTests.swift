import Foundation
import OutpostDrift
import Testing

/// Statistics and baselines against numpy/scipy (scripts/make_drift_fixtures.py).
@Suite struct DriftStatisticsTests {
    struct Case {
        let name: String
        let classes: Int?
        let reference: [Double]
        let window: [Double]
        let edges: [Double]
        let referenceCounts: [UInt64]
        let windowCounts: [UInt64]
        let referenceProportions: [Double]
        let windowProportions: [Double]
        let psi: Double
        let js: Double
        let ks: Double
    }

    static func loadCases() throws -> [Case] {
        let url = try #require(Bundle.module.url(forResource: "drift_reference", withExtension: "json", subdirectory: "Fixtures"))
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        return cases.map { c in
            func d(_ k: String) -> [Double] { (c[k] as! [NSNumber]).map(\.doubleValue) }
            func u(_ k: String) -> [UInt64] { (c[k] as! [NSNumber]).map { UInt64($0.int64Value) } }
            return Case(name: c["name"] as! String, classes: (c["categorical_classes"] as? NSNumber)?.intValue,
                        reference: d("reference"), window: d("window"), edges: d("edges"),
                        referenceCounts: u("reference_counts"), windowCounts: u("window_counts"),
                        referenceProportions: d("reference_proportions"), windowProportions: d("window_proportions"),
                        psi: (c["psi"] as! NSNumber).doubleValue, js: (c["js"] as! NSNumber).doubleValue,
                        ks: (c["ks"] as! NSNumber).doubleValue)
        }
    }

    static func close(_ a: Double, _ b: Double, _ tol: Double = 1e-12) -> Bool {
        abs(a - b) <= tol * max(1, abs(b))
    }

    static func spec(for c: Case) -> FeatureSpec {
        if let k = c.classes { return .outputClass(c.name, output: 0, classes: k) }
        return .scalar(c.name, input: 0, element: 0)
    }

    @Test func baselinesAndStatisticsMatchNumpyAndScipy() throws {
        let cases = try Self.loadCases()
        #expect(cases.count >= 7)
        for c in cases {
            var builder = DriftBaselineBuilder(specs: [Self.spec(for: c)], bins: 10)
            for v in c.reference { try builder.add([v]) }
            let baseline = try builder.build()
            let f = baseline.features[0]
            #expect(f.edges.count == c.edges.count, "\(c.name) edges")
            for (a, b) in zip(f.edges, c.edges) { #expect(Self.close(a, b), "\(c.name) edge \(a) vs \(b)") }
            #expect(f.referenceCounts == c.referenceCounts, "\(c.name) reference counts")
            for (a, b) in zip(f.proportions, c.referenceProportions) { #expect(Self.close(a, b), "\(c.name) proportions") }

            let monitor = DriftMonitor(baseline: baseline, policy: .count(c.window.count), thresholds: DriftThresholds(minimumSamples: 1))
            var report: DriftWindowReport?
            for v in c.window { report = monitor.observe([v]) ?? report }
            let r = try #require(report, "\(c.name): a window of \(c.window.count) closes")
            let fd = r.features[0]
            #expect(fd.counts == c.windowCounts, "\(c.name) window counts")
            #expect(Self.close(fd.psi, c.psi, 1e-10), "\(c.name) PSI \(fd.psi) vs \(c.psi)")
            #expect(Self.close(fd.jensenShannon, c.js, 1e-10), "\(c.name) JS \(fd.jensenShannon) vs \(c.js)")
            #expect(Self.close(fd.kolmogorovSmirnov, c.ks, 1e-12), "\(c.name) KS \(fd.kolmogorovSmirnov) vs \(c.ks)")
            #expect(fd.jensenShannon >= 0 && fd.jensenShannon <= 1)
        }
    }

    @Test func naturalLogMatchesLibm() {
        var x = 1e-300
        while x < 1e300 {
            for m in [1.0, 1.1, 1.41421356, 1.5, 1.9999, 3.3] {
                let v = x * m
                #expect(abs(DriftStatistics.ln(v) - Foundation.log(v)) <= 4e-16 * max(1, abs(Foundation.log(v))), "ln(\(v))")
            }
            x *= 1e7
        }
        #expect(DriftStatistics.ln(1) == 0)
        #expect(DriftStatistics.ln(0) == -.infinity)
        #expect(DriftStatistics.ln(-1).isNaN)
        #expect(abs(DriftStatistics.ln(Double.leastNonzeroMagnitude) - Foundation.log(Double.leastNonzeroMagnitude)) < 1e-12)
    }

    @Test func identicalDistributionsScoreZeroAndDisjointOnesMax() {
        let p = [0.25, 0.25, 0.5]
        #expect(DriftStatistics.psi(reference: p, window: p) == 0)
        #expect(DriftStatistics.jensenShannonDistance(p, p) == 0)
        #expect(abs(DriftStatistics.jensenShannonDistance([1, 0], [0, 1]) - 1) < 1e-15)
        #expect(DriftStatistics.kolmogorovSmirnov(referenceCounts: [5, 0], windowCounts: [0, 7]) == 1)
    }

    @Test func verdictThresholds() {
        let t = DriftThresholds()
        #expect(t.verdict(psi: 0.0999) == .stable)
        #expect(t.verdict(psi: 0.1) == .moderate)
        #expect(t.verdict(psi: 0.25) == .moderate)
        #expect(t.verdict(psi: 0.2501) == .major)
        let strict = DriftThresholds(psiModerate: 0.05, psiMajor: 0.1)
        #expect(strict.verdict(psi: 0.07) == .moderate)
    }
}
