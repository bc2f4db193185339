import Testing
import OutpostONNX
import OutpostRuntime

/// IntegerConvScaleFusion on the dynamic-quantization fixture (quantize_dynamic's
/// ConvInteger → Cast → Mul → Add): the pattern is fused, and the float epilogue gives
/// the same bits as the four operators it replaces (the unoptimised session runs them).
@Suite struct IntegerConvScaleFusionTests {
    @Test func kwsDynamicFusesEveryConvolutionAndChangesNoBit() throws {
        let c = try QDQFixtureTests.load("kws-dyn-u8")
        let plain = try Session(model: c.model, options: SessionOptions(threads: 1, optimize: false))
        let want = try plain.run(c.inputs).map { $0.copy() }
        for threads in [1, 2] {
            let fused = try Session(model: c.model, options: SessionOptions(threads: threads))
            let convs = fused.graph.nodes.filter { $0.opType == "ConvInteger" }
            #expect(convs.count == 9)
            #expect(convs.allSatisfy { $0.attributes["outpost.float_scale"] != nil && $0.inputs.count == 6 })
            // The fc's MatMulInteger keeps its Cast; no convolution's is left.
            #expect(fused.graph.nodes.filter { $0.opType == "Cast" }.count == 1)
            let got = try fused.run(c.inputs)
            for (k, w) in want.enumerated() {
                #expect(got[k].count == w.count)
                var same = true
                for i in 0..<w.count where got[k].floats[i].bitPattern != w.floats[i].bitPattern { same = false }
                #expect(same, "output \(k), \(threads) thread(s): fused and unfused outputs differ")
            }
        }
    }
}
