import Testing
@testable import OutpostRuntime

/// IntegerConvScaleFusion's rules on hand-made graphs: it fuses only when S is a
/// scalar and B per output channel, and only intermediates nothing else reads; fused
/// or not, the outputs are the unoptimised graph's, bit for bit.
@Suite struct IntegerConvScaleFusionRulesTests {
    /// x (u8 [1, 2, 2, 2]) → ConvInteger(w: 3 output channels, 1x1) → Cast → Mul(S) → Add(B) → y.
    func graph(s: Tensor, b: Tensor, castAlsoOutput: Bool = false) -> Graph {
        let w = Tensor(zeros: .int8, shape: [3, 2, 1, 1])
        let wv: [Int8] = [3, -7, 12, 5, -128, 127]
        for (i, v) in wv.enumerated() { w.raw.assumingMemoryBound(to: Int8.self)[i] = v }
        let zx = Tensor(zeros: .uint8, shape: [])
        zx.raw.assumingMemoryBound(to: UInt8.self)[0] = 7
        let nodes = [
            Node(name: "conv", opType: "ConvInteger", inputs: ["x", "w", "zx"], outputs: ["acc"]),
            Node(name: "cast", opType: "Cast", inputs: ["acc"], outputs: ["f"], attributes: ["to": .int(1)]),
            Node(name: "mul", opType: "Mul", inputs: ["f", "s"], outputs: ["m"]),
            Node(name: "add", opType: "Add", inputs: ["b", "m"], outputs: ["y"]),
        ]
        var outputs = [ValueInfo(name: "y", dtype: .float32, shape: nil)]
        if castAlsoOutput { outputs.append(ValueInfo(name: "f", dtype: .float32, shape: nil)) }
        return Graph(name: "g", nodes: nodes,
                     inputs: [ValueInfo(name: "x", dtype: .uint8, shape: [.fixed(1), .fixed(2), .fixed(2), .fixed(2)])],
                     outputs: outputs, initializers: ["w": w, "zx": zx, "s": s, "b": b])
    }

    func run(_ g: Graph, optimize: Bool) throws -> (Session, [Tensor]) {
        let model = Model(graph: g, opsets: ["": 17])
        let session = try Session(model: model, options: SessionOptions(threads: 1, optimize: optimize))
        let x = Tensor(zeros: .uint8, shape: [1, 2, 2, 2])
        let xv: [UInt8] = [0, 255, 7, 100, 3, 250, 128, 9]
        for (i, v) in xv.enumerated() { x.raw.assumingMemoryBound(to: UInt8.self)[i] = v }
        return (session, try session.run([x]).map { $0.copy() })
    }

    func check(_ g: Graph, fused: Bool, addKept: Bool = false, _ label: String) throws {
        let (plainSession, want) = try run(g, optimize: false)
        let (session, got) = try run(g, optimize: true)
        _ = plainSession
        let isFused = session.graph.nodes.contains { $0.attributes[IntegerConvScaleFusion.attribute] != nil }
        #expect(isFused == fused, "\(label): fused \(isFused), expected \(fused)")
        if fused {
            let hasAdd = session.graph.nodes.contains { $0.opType == "Add" }
            #expect(hasAdd == addKept, "\(label): Add kept \(hasAdd), expected \(addKept)")
        }
        for (k, w) in want.enumerated() {
            #expect(got[k].shape == w.shape, "\(label) output \(k)")
            var same = got[k].count == w.count
            for i in 0..<min(w.count, got[k].count) where got[k].floats[i].bitPattern != w.floats[i].bitPattern { same = false }
            #expect(same, "\(label) output \(k): optimised and unoptimised outputs differ")
        }
    }

    @Test func fusesScalarScaleAndPerChannelBias() throws {
        try check(graph(s: Tensor(shape: [], floats: [0.0123]), b: Tensor(shape: [1, 3, 1, 1], floats: [0.5, -1.25, 3])),
                  fused: true, "scalar S, [1,3,1,1] B")
        try check(graph(s: Tensor(shape: [1], floats: [-0.75]), b: Tensor(shape: [3, 1, 1], floats: [0.5, -1.25, 3])),
                  fused: true, "[1] S, [3,1,1] B")
        try check(graph(s: Tensor(shape: [], floats: [2]), b: Tensor(shape: [], floats: [-0.125])), fused: true, "scalar B")
    }

    @Test func leavesOtherShapesAndSharedIntermediatesAlone() throws {
        // S of 2 values broadcasts along the width, not per channel.
        try check(graph(s: Tensor(shape: [2], floats: [0.5, 2]), b: Tensor(shape: [], floats: [1])), fused: false, "[2] S")
        // B of 2 values broadcasts along the width: Cast and Mul fuse, the Add stays.
        try check(graph(s: Tensor(shape: [], floats: [0.5]), b: Tensor(shape: [2], floats: [1, -1])), fused: true,
                  addKept: true, "[2] B")
        // The Cast's output is also a graph output: it must stay.
        try check(graph(s: Tensor(shape: [], floats: [0.5]), b: Tensor(shape: [1, 3, 1, 1], floats: [1, 2, 3]), castAlsoOutput: true),
                  fused: false, "Cast read twice")
    }
}
