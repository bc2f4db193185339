import Testing
import OutpostONNX
import OutpostRuntime

/// IntegerConvScaleFusion on the dynamic-quantization fixtures (quantize_dynamic's
/// ConvInteger / MatMulInteger → Cast → Mul → Add): the patterns are fused, and the
/// float epilogue gives the same bits as the four operators it replaces (the
/// unoptimised session runs them).
@Suite struct IntegerConvScaleFusionTests {
    /// (fixture, ConvInteger, MatMulInteger, Relu → DynamicQuantizeLinear folds, Relus left)
    @Test(arguments: [("kws-dyn-u8", 9, 1, 8, 1), ("mlp-dyn-u8", 0, 4, 1, 2)])
    func dynamicFixturesFuseAndChangeNoBit(_ fixture: (String, Int, Int, Int, Int)) throws {
        let (name, convs, matmuls, rectified, relus) = fixture
        let c = try QDQFixtureTests.load(name)
        let plain = try Session(model: c.model, options: SessionOptions(threads: 1, optimize: false))
        let want = try plain.run(c.inputs).map { $0.copy() }
        for threads in [1, 2] {
            let fused = try Session(model: c.model, options: SessionOptions(threads: threads))
            let integer = fused.graph.nodes.filter { $0.opType == "ConvInteger" || $0.opType == "MatMulInteger" }
            #expect(integer.filter { $0.opType == "ConvInteger" }.count == convs)
            #expect(integer.filter { $0.opType == "MatMulInteger" }.count == matmuls)
            // x_scale · w_scale taken in: S and S2 are inputs 4 and 6, no scale Mul is left.
            #expect(integer.allSatisfy { $0.attributes["outpost.float_scale"] != nil && $0.inputs.count == 7 })
            #expect(!fused.graph.nodes.contains { $0.opType == "Cast" }, "\(name): a Cast was left")
            #expect(!fused.graph.nodes.contains { $0.opType == "Mul" }, "\(name): a scale Mul was left")
            let dql = fused.graph.nodes.filter { $0.opType == "DynamicQuantizeLinear" }
            #expect(dql.filter { $0.attributes["outpost.rectified"] != nil }.count == rectified)
            #expect(fused.graph.nodes.filter { $0.opType == "Relu" }.count == relus)
            let got = try fused.run(c.inputs)
            for (k, w) in want.enumerated() {
                #expect(got[k].count == w.count)
                var same = true
                for i in 0..<w.count where got[k].floats[i].bitPattern != w.floats[i].bitPattern { same = false }
                #expect(same, "\(name) output \(k), \(threads) thread(s): fused and unfused outputs differ")
            }
        }
    }
}
