import Testing
@testable import OutpostRuntime

/// QLinearSigmoid → QLinearMul(x, sigmoid(x)) fused into one lookup table
/// (QLinearSiLUFusion): the fused graph gives, for every input byte, exactly the bytes
/// the two ops give op by op, for u8 and s8, either operand order, extreme zero points.
@Suite struct QLinearSiLUFusionTests {
    struct Params {
        var sx: Float, zx: Int, ss: Float, zs: Int  // Sigmoid: X and Y
        var sa: Float, za: Int, sb: Float, zb: Int, sy: Float, zy: Int  // Mul: A, B, C
    }

    func graph(_ t: DType, _ p: Params, sigmoidIsA: Bool, extraReader: Bool = false) -> Graph {
        func s(_ v: Float) -> Tensor { Tensor(shape: [], floats: [v]) }
        func z(_ v: Int) -> Tensor { QDQFoldingTests.ints(t, [], [v]) }
        let inits: [String: Tensor] = [
            "sx": s(p.sx), "zx": z(p.zx), "ss": s(p.ss), "zs": z(p.zs),
            "sa": s(p.sa), "za": z(p.za), "sb": s(p.sb), "zb": z(p.zb), "sy": s(p.sy), "zy": z(p.zy),
        ]
        let a = sigmoidIsA ? "sig" : "x", b = sigmoidIsA ? "x" : "sig"
        var outputs = [ValueInfo(name: "y", dtype: t, shape: nil)]
        if extraReader { outputs.append(ValueInfo(name: "sig", dtype: t, shape: nil)) }
        return Graph(name: "g", nodes: [
            Node(name: "sigmoid", opType: "QLinearSigmoid", domain: "com.microsoft", inputs: ["x", "sx", "zx", "ss", "zs"],
                 outputs: ["sig"]),
            Node(name: "mul", opType: "QLinearMul", domain: "com.microsoft", inputs: [a, "sa", "za", b, "sb", "zb", "sy", "zy"],
                 outputs: ["y"]),
        ], inputs: [ValueInfo(name: "x", dtype: t, shape: [.fixed(1), .fixed(256)])], outputs: outputs, initializers: inits)
    }

    func bytes(_ t: Tensor) -> [UInt8] {
        let p = t.raw.assumingMemoryBound(to: UInt8.self)
        return (0..<t.count).map { p[$0] }
    }

    func run(_ g: Graph, optimize: Bool) throws -> [UInt8] {
        let x = Tensor(zeros: g.inputs[0].dtype ?? .uint8, shape: [1, 256])
        for i in 0..<256 { x.raw.assumingMemoryBound(to: UInt8.self)[i] = UInt8(i) }
        let s = try Session(model: Model(graph: g, opsets: ["": 17, "com.microsoft": 1]),
                            options: SessionOptions(threads: 1, optimize: optimize))
        return bytes(try s.run([x])[0])
    }

    @Test func fusedTableGivesThePairsBytes() throws {
        let cases: [(DType, Params)] = [
            (.uint8, Params(sx: 0.05, zx: 128, ss: 1.0 / 256, zs: 0, sa: 0.05, za: 128, sb: 1.0 / 256, zb: 0, sy: 0.03, zy: 20)),
            (.int8, Params(sx: 0.11, zx: -5, ss: 1.0 / 255, zs: -128, sa: 0.11, za: -5, sb: 1.0 / 255, zb: -128, sy: 0.07, zy: -100)),
            // Mul parameters other than the Sigmoid's (each op reads its own), zero points at the ends.
            (.uint8, Params(sx: 0.2, zx: 255, ss: 0.004, zs: 0, sa: 0.1, za: 0, sb: 0.003, zb: 255, sy: 0.02, zy: 255)),
            (.int8, Params(sx: 0.02, zx: 127, ss: 0.005, zs: 127, sa: 0.3, za: -128, sb: 0.01, zb: 0, sy: 0.5, zy: 127)),
        ]
        for (t, p) in cases {
            for sigmoidIsA in [false, true] {
                let g = graph(t, p, sigmoidIsA: sigmoidIsA)
                let want = try run(graph(t, p, sigmoidIsA: sigmoidIsA), optimize: false)
                let got = try run(g, optimize: true)
                #expect(got == want, "\(t.name) \(p) sigmoidIsA=\(sigmoidIsA)")
                // The rewrite itself: one node, the Mul's output, x's operand side recorded.
                let h = graph(t, p, sigmoidIsA: sigmoidIsA)
                QLinearSiLUFusion(graph: h).run()
                #expect(h.nodes.count == 1)
                #expect(h.nodes.first?.outputs == ["y"])
                #expect(h.nodes.first?.inputs == ["x", "sx", "zx", "ss", "zs", "sa", "za", "sb", "zb", "sy", "zy"])
                guard case .int(let side)? = h.nodes.first?.attributes[QLinearSiLUFusion.attribute] else {
                    Issue.record("attribute missing"); continue
                }
                #expect(side == (sigmoidIsA ? 1 : 0))
            }
        }
    }

    @Test func sigmoidWithAnotherReaderIsNotFused() throws {
        let p = Params(sx: 0.05, zx: 128, ss: 1.0 / 256, zs: 0, sa: 0.05, za: 128, sb: 1.0 / 256, zb: 0, sy: 0.03, zy: 20)
        let g = graph(.uint8, p, sigmoidIsA: false, extraReader: true)
        QLinearSiLUFusion(graph: g).run()
        #expect(g.nodes.map { $0.opType } == ["QLinearSigmoid", "QLinearMul"])
    }
}
