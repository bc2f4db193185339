import Foundation
import Testing
import OutpostONNX
import OutpostRuntime

/// The int8 fixtures (models/int8, made by scripts/make_int8_models.py): QDQ folding
/// must not change what a model computes beyond the requantization rounding, and
/// every form must match onnxruntime's op-by-op reference (relative L2 <= 1e-2).
@Suite struct QDQFixtureTests {
    static let root: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("models/int8").path
    }()

    static let qdqFixtures = ["tiny-qdq-s8s8-pc", "tiny-qdq-u8s8", "kws-qdq-s8s8-pc", "kws-qdq-u8s8",
                              "mlp-qdq-s8s8-pc", "mlp-qdq-u8s8", "mobilenet-qdq-s8s8-pc", "mobilenet-qdq-u8s8",
                              "yolo-qdq-s8s8-pc", "yolo-qdq-u8s8"]

    /// Whether Outpost can run the folded form (the integer operators exist).
    static var integerOpsAvailable: Bool {
        isOperatorSupported(opType: "QLinearConv", domain: "")
            && isOperatorSupported(opType: "QGemm", domain: "com.microsoft")
            && isOperatorSupported(opType: "QLinearAdd", domain: "com.microsoft")
    }

    static func relativeL2(_ got: Tensor, _ want: Tensor) -> Double {
        var num = 0.0, den = 0.0
        for i in 0..<want.count {
            let d = Double(got.float(at: i)) - Double(want.float(at: i))
            num += d * d
            den += Double(want.float(at: i)) * Double(want.float(at: i))
        }
        return (num / max(den, 1e-30)).squareRoot()
    }

    struct Case {
        let model: Model
        let inputs: [Tensor]
        let expected: [Tensor]
        /// The fixture's tolerance.txt `rel_l2` (1e-2 unless the fixture is ill-conditioned).
        let relL2: Double
    }

    static func load(_ name: String) throws -> Case {
        let dir = root + "/" + name
        let model = try ONNXLoader.load(path: dir + "/model.onnx")
        var inputs = [Tensor](), expected = [Tensor]()
        var i = 0
        while FileManager.default.fileExists(atPath: "\(dir)/test_data_set_0/input_\(i).pb") {
            inputs.append(try TensorProtoFile.read(path: "\(dir)/test_data_set_0/input_\(i).pb").tensor)
            i += 1
        }
        var j = 0
        while FileManager.default.fileExists(atPath: "\(dir)/test_data_set_0/output_\(j).pb") {
            expected.append(try TensorProtoFile.read(path: "\(dir)/test_data_set_0/output_\(j).pb").tensor)
            j += 1
        }
        var relL2 = 1e-2
        if let text = try? String(contentsOfFile: dir + "/tolerance.txt", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("rel_l2 ") {
                relL2 = Double(line.dropFirst(7)) ?? relL2
            }
        }
        return Case(model: model, inputs: inputs, expected: expected, relL2: relL2)
    }

    /// Unfolded (optimize: false): DequantizeLinear/QuantizeLinear around float ops,
    /// exactly as the model is written, against onnxruntime's op-by-op output.
    @Test(arguments: qdqFixtures)
    func unfoldedMatchesReference(_ name: String) throws {
        let c = try QDQFixtureTests.load(name)
        let session = try Session(model: c.model, options: SessionOptions(threads: 1, optimize: false))
        let outputs = try session.run(c.inputs)
        for (k, e) in c.expected.enumerated() {
            let err = QDQFixtureTests.relativeL2(outputs[k], e)
            #expect(err <= 1e-2, "\(name) output \(k): relative L2 \(err)")
        }
    }

    /// Folded vs unfolded on the same inputs: the integer kernels requantize once per
    /// layer instead of rounding through float, so outputs agree within the
    /// fixtures' tolerance; and the folding actually happened.
    @Test(.enabled(if: integerOpsAvailable), arguments: qdqFixtures)
    func foldedMatchesUnfolded(_ name: String) throws {
        let c = try QDQFixtureTests.load(name)
        let plain = try Session(model: c.model, options: SessionOptions(threads: 1, optimize: false))
        let want = try plain.run(c.inputs).map { $0.copy() }
        let folded = try Session(model: c.model, options: SessionOptions(threads: 1))
        #expect(folded.graph.nodes.contains { $0.opType == "QLinearConv" || $0.opType == "QGemm" })
        #expect(!folded.graph.nodes.contains { $0.opType == "Conv" || $0.opType == "Gemm" })
        let got = try folded.run(c.inputs)
        for (k, w) in want.enumerated() {
            let err = QDQFixtureTests.relativeL2(got[k], w)
            #expect(err <= c.relL2, "\(name) output \(k): folded vs unfolded relative L2 \(err)")
            let ref = QDQFixtureTests.relativeL2(got[k], c.expected[k])
            #expect(ref <= c.relL2, "\(name) output \(k): folded vs reference relative L2 \(ref)")
        }
    }

    /// One layer folded vs unfolded: every output within one quantization step.
    @Test(.enabled(if: integerOpsAvailable))
    func singleConvWithinOneStep() throws {
        // x [1,3,6,6] u8 (scale 0.05, zp 120) -> Conv 3x3 pad 1, 4 output channels, int8
        // per-channel weights, int32 bias -> Q (scale 0.07, zp 5, uint8) -> DQ.
        var rng = SystemRandomNumberGenerator()
        var wValues = [Int8](), bValues = [Int32]()
        for _ in 0..<(4 * 3 * 9) { wValues.append(Int8.random(in: -127...127, using: &rng)) }
        for _ in 0..<4 { bValues.append(Int32.random(in: -500...500, using: &rng)) }
        let w = Tensor(zeros: .int8, shape: [4, 3, 3, 3])
        for (i, v) in wValues.enumerated() { w.raw.assumingMemoryBound(to: Int8.self)[i] = v }
        let wScale: [Float] = [0.01, 0.02, 0.005, 0.03]
        let b = Tensor(zeros: .int32, shape: [4])
        for (i, v) in bValues.enumerated() { b.raw.assumingMemoryBound(to: Int32.self)[i] = v }
        let bScale = Tensor(shape: [4], floats: wScale.map { $0 * 0.05 })
        let zx = Tensor(zeros: .uint8, shape: [])
        zx.raw.assumingMemoryBound(to: UInt8.self)[0] = 120
        let zy = Tensor(zeros: .uint8, shape: [])
        zy.raw.assumingMemoryBound(to: UInt8.self)[0] = 5
        let graph = Graph(name: "g", nodes: [
            Node(name: "qx", opType: "QuantizeLinear", inputs: ["x", "sx", "zx"], outputs: ["xq"]),
            Node(name: "dqx", opType: "DequantizeLinear", inputs: ["xq", "sx", "zx"], outputs: ["xf"]),
            Node(name: "dqw", opType: "DequantizeLinear", inputs: ["w", "sw"], outputs: ["wf"], attributes: ["axis": .int(0)]),
            Node(name: "dqb", opType: "DequantizeLinear", inputs: ["b", "sb"], outputs: ["bf"], attributes: ["axis": .int(0)]),
            Node(name: "conv", opType: "Conv", inputs: ["xf", "wf", "bf"], outputs: ["c"],
                 attributes: ["pads": .ints([1, 1, 1, 1]), "kernel_shape": .ints([3, 3])]),
            Node(name: "qy", opType: "QuantizeLinear", inputs: ["c", "sy", "zy"], outputs: ["y"]),
        ], inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.fixed(1), .fixed(3), .fixed(6), .fixed(6)])],
           outputs: [ValueInfo(name: "y", dtype: .uint8, shape: nil)],
           initializers: ["sx": Tensor(shape: [], floats: [0.05]), "zx": zx, "w": w,
                          "sw": Tensor(shape: [4], floats: wScale), "b": b, "sb": bScale,
                          "sy": Tensor(shape: [], floats: [0.07]), "zy": zy])
        let model = Model(graph: graph, opsets: ["": 17])
        let x = Tensor(zeros: .float32, shape: [1, 3, 6, 6])
        for i in 0..<x.count { x.floats[i] = Float.random(in: -6...6, using: &rng) }
        let plain = try Session(model: model, options: SessionOptions(threads: 1, optimize: false))
        let want = try plain.run([x])[0].copy()
        let folded = try Session(model: model, options: SessionOptions(threads: 1))
        #expect(folded.graph.nodes.map { $0.opType } == ["QuantizeLinear", "QLinearConv"])
        let got = try folded.run([x])[0]
        var worst = 0
        for i in 0..<want.count { worst = max(worst, abs(got.integer(at: i) - want.integer(at: i))) }
        #expect(worst <= 1)
    }
}
