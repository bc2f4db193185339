import Testing
@testable import OutpostRuntime

/// The two dynamic-quantization folds on hand-made graphs: Relu → DynamicQuantizeLinear
/// as one rectified DynamicQuantizeLinear, and the scale Mul (x_scale · w_scale) taken into
/// the fused ConvInteger. Folded or not, the outputs are the unoptimised graph's, bit for bit.
@Suite struct DynamicQuantizeFoldTests {
    func session(_ g: Graph, optimize: Bool) throws -> Session {
        try Session(model: Model(graph: g, opsets: ["": 17]), options: SessionOptions(threads: 1, optimize: optimize))
    }

    /// Every output of the optimised and the unoptimised session, byte for byte.
    func expectSameBytes(_ g: Graph, _ feeds: [Tensor], _ label: String) throws -> Session {
        let plain = try session(g, optimize: false), optimised = try session(g, optimize: true)
        let want = try plain.run(feeds).map { $0.copy() }
        let got = try optimised.run(feeds)
        #expect(got.count == want.count)
        for (k, w) in want.enumerated() {
            var same = got[k].byteCount == w.byteCount
            let a = got[k].raw.assumingMemoryBound(to: UInt8.self), b = w.raw.assumingMemoryBound(to: UInt8.self)
            for i in 0..<min(w.byteCount, got[k].byteCount) where a[i] != b[i] { same = false }
            #expect(same, "\(label), output \(k): optimised and unoptimised outputs differ")
        }
        return optimised
    }

    /// x (float [1, n]) → Relu → DynamicQuantizeLinear → (y, y_scale, y_zero_point);
    /// `reluAlsoOutput` makes the Relu's output a graph output too.
    func reluGraph(_ n: Int, reluAlsoOutput: Bool = false) -> Graph {
        var outputs = ["y", "scale", "zp"].map { ValueInfo(name: $0, dtype: $0 == "scale" ? .float32 : .uint8, shape: nil) }
        if reluAlsoOutput { outputs.append(ValueInfo(name: "r", dtype: .float32, shape: nil)) }
        return Graph(name: "g", nodes: [
            Node(name: "relu", opType: "Relu", inputs: ["x"], outputs: ["r"]),
            Node(name: "q", opType: "DynamicQuantizeLinear", inputs: ["r"], outputs: ["y", "scale", "zp"]),
        ], inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.fixed(1), .fixed(n)])], outputs: outputs,
           initializers: [:])
    }

    @Test func reluFoldsIntoDynamicQuantizeLinear() throws {
        let n = 100
        // Negative and positive values (the vector kernels' lanes and the scalar tail),
        // -0, a NaN; then all negative (range [0, 0]: scale 1/255); then one large value.
        var mixed = (0..<n).map { Float($0 % 13) * 0.37 - 2.1 }
        mixed[5] = -0.0
        mixed[17] = .nan
        mixed[99] = 3.3
        let cases: [(String, [Float])] = [
            ("mixed", mixed),
            ("all negative", (0..<n).map { -1 - Float($0) }),
            ("one large", (0..<n).map { $0 == 42 ? 1e30 : Float($0) * 1e-3 - 0.02 }),
        ]
        for (label, values) in cases {
            let folded = try expectSameBytes(reluGraph(n), [Tensor(shape: [1, n], floats: values)], label)
            #expect(folded.graph.nodes.map { $0.opType } == ["DynamicQuantizeLinear"], "\(label)")
            #expect(folded.graph.nodes.first?.attributes[DynamicQuantizeReluFold.attribute] != nil, "\(label)")
        }
    }

    @Test func reluReadElsewhereStays() throws {
        let x = Tensor(shape: [1, 40], floats: (0..<40).map { Float($0) - 20.5 })
        let kept = try expectSameBytes(reluGraph(40, reluAlsoOutput: true), [x], "Relu also an output")
        #expect(kept.graph.nodes.map { $0.opType } == ["Relu", "DynamicQuantizeLinear"])
    }

    /// x (u8) → ConvInteger → Cast → Mul(·, Mul(x_scale, w_scale)) with x_scale computed
    /// (a DynamicQuantizeLinear's) and w_scale an initializer, as quantize_dynamic writes it.
    @Test func scaleMulFoldsIntoConvInteger() throws {
        let w = Tensor(zeros: .uint8, shape: [3, 2, 1, 1])
        let wv: [UInt8] = [3, 200, 12, 5, 255, 0]
        for (i, v) in wv.enumerated() { w.raw.assumingMemoryBound(to: UInt8.self)[i] = v }
        let zw = Tensor(zeros: .uint8, shape: [])
        zw.raw.assumingMemoryBound(to: UInt8.self)[0] = 131
        let g = Graph(name: "g", nodes: [
            Node(name: "q", opType: "DynamicQuantizeLinear", inputs: ["x"], outputs: ["xq", "xs", "xz"]),
            Node(name: "conv", opType: "ConvInteger", inputs: ["xq", "w", "xz", "zw"], outputs: ["acc"]),
            Node(name: "cast", opType: "Cast", inputs: ["acc"], outputs: ["f"], attributes: ["to": .int(1)]),
            Node(name: "scales", opType: "Mul", inputs: ["xs", "ws"], outputs: ["s"]),
            Node(name: "mul", opType: "Mul", inputs: ["f", "s"], outputs: ["y"]),
        ], inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.fixed(1), .fixed(2), .fixed(2), .fixed(2)])],
           outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
           initializers: ["w": w, "zw": zw, "ws": Tensor(shape: [], floats: [0.0173])])
        let x = Tensor(shape: [1, 2, 2, 2], floats: [0.5, -1.25, 3, 7.1, -0.3, 0, 2.2, -4])
        let fused = try expectSameBytes(g, [x], "x_scale · w_scale")
        #expect(fused.graph.nodes.map { $0.opType } == ["DynamicQuantizeLinear", "ConvInteger"])
        #expect(fused.graph.nodes.last?.inputs == ["xq", "w", "xz", "zw", "xs", "", "ws"])
    }
}
