import Testing
@testable import OutpostRuntime

/// QDQ folding: which DequantizeLinear → op → QuantizeLinear patterns become integer
/// operators, with which operands, and which stay float (and why).
@Suite struct QDQFoldingTests {
    static func scalar(_ v: Float) -> Tensor { Tensor(shape: [], floats: [v]) }

    static func ints(_ dtype: DType, _ shape: [Int], _ values: [Int]) -> Tensor {
        let t = Tensor(zeros: dtype, shape: shape)
        for (i, v) in values.enumerated() {
            switch dtype {
            case .uint8: t.raw.assumingMemoryBound(to: UInt8.self)[i] = UInt8(v)
            case .int8: t.raw.assumingMemoryBound(to: Int8.self)[i] = Int8(v)
            case .int32: t.raw.assumingMemoryBound(to: Int32.self)[i] = Int32(v)
            default: fatalError("not an integer type")
            }
        }
        return t
    }

    /// x → Q → DQ → Conv(DQ(w), DQ(b)) [→ act] → Q → DQ → y. Two output channels.
    func convGraph(activation: String? = nil, outZeroPoint: Int = 0, extraReader: Bool = false,
                   floatBias: Bool = false, biasScale: Float = 0.02) -> Graph {
        var nodes = [
            Node(name: "qx", opType: "QuantizeLinear", inputs: ["x", "sx", "zx"], outputs: ["xq"]),
            Node(name: "dqx", opType: "DequantizeLinear", inputs: ["xq", "sx", "zx"], outputs: ["xf"]),
            Node(name: "dqw", opType: "DequantizeLinear", inputs: ["w", "sw", "zw"], outputs: ["wf"],
                 attributes: ["axis": .int(0)]),
        ]
        var inits: [String: Tensor] = [
            "sx": QDQFoldingTests.scalar(0.1), "zx": QDQFoldingTests.ints(.uint8, [], [128]),
            "w": QDQFoldingTests.ints(.int8, [2, 1, 1, 1], [10, -20]),
            "sw": Tensor(shape: [2], floats: [0.2, 0.4]), "zw": QDQFoldingTests.ints(.int8, [2], [0, 0]),
            "sy": QDQFoldingTests.scalar(0.05), "zy": QDQFoldingTests.ints(.uint8, [], [outZeroPoint]),
        ]
        if floatBias {
            inits["b"] = Tensor(shape: [2], floats: [0.5, -0.25])
            nodes.append(Node(name: "conv", opType: "Conv", inputs: ["xf", "wf", "b"], outputs: ["c"]))
        } else {
            nodes.append(Node(name: "dqb", opType: "DequantizeLinear", inputs: ["bq", "sb"], outputs: ["bf"]))
            inits["bq"] = QDQFoldingTests.ints(.int32, [2], [25, -3])
            inits["sb"] = Tensor(shape: [2], floats: [biasScale, 0.04])
            nodes.append(Node(name: "conv", opType: "Conv", inputs: ["xf", "wf", "bf"], outputs: ["c"]))
        }
        var pre = "c"
        if let activation {
            nodes.append(Node(name: "act", opType: activation, inputs: ["c"], outputs: ["a"]))
            pre = "a"
        }
        nodes.append(Node(name: "qy", opType: "QuantizeLinear", inputs: [pre, "sy", "zy"], outputs: ["yq"]))
        nodes.append(Node(name: "dqy", opType: "DequantizeLinear", inputs: ["yq", "sy", "zy"], outputs: ["y"]))
        var outputs = [ValueInfo(name: "y", dtype: .float32, shape: nil)]
        if extraReader {
            nodes.append(Node(name: "tap", opType: "Relu", inputs: ["c"], outputs: ["t"]))
            outputs.append(ValueInfo(name: "t", dtype: .float32, shape: nil))
        }
        return Graph(name: "g", nodes: nodes,
                     inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.fixed(1), .fixed(1), .fixed(2), .fixed(2)])],
                     outputs: outputs, initializers: inits)
    }

    @Test func convSandwichBecomesQLinearConv() throws {
        let g = convGraph()
        let misses = try QDQFolding(graph: g).run()
        #expect(misses.isEmpty)
        #expect(g.nodes.map { $0.opType } == ["QuantizeLinear", "QLinearConv", "DequantizeLinear"])
        let conv = g.nodes[1]
        #expect(conv.name == "conv")
        #expect(conv.domain == "")
        // x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, bias (the model's int32
        // bias is reused: its scale is x_scale * w_scale per channel).
        #expect(conv.inputs == ["xq", "sx", "zx", "w", "sw", "zw", "sy", "zy", "bq"])
        #expect(conv.outputs == ["yq"])
        // The weight and bias DequantizeLinear nodes are gone.
        #expect(!g.nodes.contains { $0.name == "dqw" || $0.name == "dqb" || $0.name == "dqx" })
    }

    @Test func biasWithAnotherScaleIsRequantizedToTheAccumulatorScale() throws {
        // bias scale 0.01 for channel 0 while x_scale * w_scale = 0.02: 25 * 0.01 / 0.02 = 12.5 -> 12 (half to even).
        let g = convGraph(biasScale: 0.01)
        try QDQFolding(graph: g).run()
        let conv = try #require(g.nodes.first { $0.opType == "QLinearConv" })
        let bias = try #require(g.initializers[conv.inputs[8]])
        #expect(bias.dtype == .int32)
        #expect(bias.integerValues() == [12, -3])
    }

    @Test func floatBiasIsQuantizedToInt32() throws {
        let g = convGraph(floatBias: true)
        try QDQFolding(graph: g).run()
        let conv = try #require(g.nodes.first { $0.opType == "QLinearConv" })
        let bias = try #require(g.initializers[conv.inputs[8]])
        // 0.5 / (0.1*0.2) = 25, -0.25 / (0.1*0.4) = -6.25 -> -6
        #expect(bias.integerValues() == [25, -6])
    }

    @Test func reluImpliedByTheOutputRangeIsAbsorbed() throws {
        // uint8 output with zero point 0: Q(y) is already >= Q(0), the Relu changes nothing.
        let g = convGraph(activation: "Relu", outZeroPoint: 0)
        try QDQFolding(graph: g).run()
        #expect(g.nodes.map { $0.opType } == ["QuantizeLinear", "QLinearConv", "DequantizeLinear"])
    }

    @Test func reluThatClampsStaysFloat() throws {
        // Zero point 100: the Relu clamps at 100, which QLinearConv cannot express.
        let g = convGraph(activation: "Relu", outZeroPoint: 100)
        let misses = try QDQFolding(graph: g).run()
        #expect(g.nodes.contains { $0.opType == "Conv" })
        #expect(!g.nodes.contains { $0.opType == "QLinearConv" })
        let miss = try #require(misses.first { $0.node == "conv" })
        #expect(miss.reason.contains("Relu clamps"))
    }

    @Test func noFoldWhenTheFloatResultHasAnotherReader() throws {
        let g = convGraph(extraReader: true)
        let misses = try QDQFolding(graph: g).run()
        #expect(g.nodes.contains { $0.opType == "Conv" })
        #expect(misses.contains { $0.node == "conv" && $0.reason.contains("readers") })
    }

    /// x → Q → DQ → op → Q(scale, zp) → DQ → y
    func unaryGraph(_ op: String, attributes: [String: Attribute] = [:], outScale: Float = 0.1,
                    extraInputs: [String: Tensor] = [:]) -> Graph {
        var inits: [String: Tensor] = [
            "s": QDQFoldingTests.scalar(0.1), "z": QDQFoldingTests.ints(.int8, [], [-3]),
            "so": QDQFoldingTests.scalar(outScale), "zo": QDQFoldingTests.ints(.int8, [], [-3]),
        ]
        for (k, v) in extraInputs { inits[k] = v }
        return Graph(name: "g", nodes: [
            Node(name: "q", opType: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["xq"]),
            Node(name: "dq", opType: "DequantizeLinear", inputs: ["xq", "s", "z"], outputs: ["xf"]),
            Node(name: "op", opType: op, inputs: ["xf"] + extraInputs.keys.sorted(), outputs: ["o"], attributes: attributes),
            Node(name: "qo", opType: "QuantizeLinear", inputs: ["o", "so", "zo"], outputs: ["oq"]),
            Node(name: "dqo", opType: "DequantizeLinear", inputs: ["oq", "so", "zo"], outputs: ["y"]),
        ], inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.fixed(1), .fixed(2), .fixed(4), .fixed(4)])],
           outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)], initializers: inits)
    }

    @Test func maxPoolWithEqualParametersRunsOnIntegers() throws {
        let g = unaryGraph("MaxPool", attributes: ["kernel_shape": .ints([2, 2])])
        try QDQFolding(graph: g).run()
        #expect(g.nodes.map { $0.opType } == ["QuantizeLinear", "MaxPool", "DequantizeLinear"])
        #expect(g.nodes[1].inputs == ["xq"])
        #expect(g.nodes[1].outputs == ["oq"])
    }

    @Test func requantizingMaxPoolStaysFloat() throws {
        let g = unaryGraph("MaxPool", attributes: ["kernel_shape": .ints([2, 2])], outScale: 0.2)
        let misses = try QDQFolding(graph: g).run()
        #expect(g.nodes.map { $0.opType } == ["QuantizeLinear", "DequantizeLinear", "MaxPool", "QuantizeLinear", "DequantizeLinear"])
        #expect(misses.first?.reason.contains("requantization") == true)
    }

    @Test func sigmoidAndLeakyReluBecomeLookupTableOps() throws {
        let g = unaryGraph("Sigmoid", outScale: 1.0 / 256)
        try QDQFolding(graph: g).run()
        let op = try #require(g.nodes.first { $0.opType == "QLinearSigmoid" })
        #expect(op.domain == "com.microsoft")
        #expect(op.inputs == ["xq", "s", "z", "so", "zo"])

        let h = unaryGraph("LeakyRelu", attributes: ["alpha": .float(0.2)])
        try QDQFolding(graph: h).run()
        let lr = try #require(h.nodes.first { $0.opType == "QLinearLeakyRelu" })
        guard case .float(let alpha)? = lr.attributes["alpha"] else { Issue.record("alpha missing"); return }
        #expect(alpha == 0.2)
    }

    @Test func globalAveragePoolBecomesQLinearGlobalAveragePool() throws {
        let g = unaryGraph("GlobalAveragePool")
        try QDQFolding(graph: g).run()
        let op = try #require(g.nodes.first { $0.opType == "QLinearGlobalAveragePool" })
        guard case .int(let cl)? = op.attributes["channels_last"] else { Issue.record("channels_last missing"); return }
        #expect(cl == 0)
    }

    /// DQ → AveragePool → Q: windows covering the plane (kws' classifier average, on
    /// ok_qglobal_avgpool) and 2x2 / 3x1 windows with strides (the operator's loop) fold
    /// into QLinearAveragePool, whose outputs stay within one quantization step of the
    /// float pattern (the unoptimised session); padded or ceil-mode windows stay float.
    @Test func averagePoolBecomesQLinearAveragePool() throws {
        let x = Tensor(shape: [1, 2, 4, 4], floats: (0..<32).map { Float(($0 * 37) % 61) * 0.1 - 3.05 })
        let cases: [(String, [String: Attribute])] = [
            ("global 4x4", ["kernel_shape": .ints([4, 4])]),
            ("2x2 stride 2", ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])]),
            ("3x1 stride 1x2", ["kernel_shape": .ints([3, 1]), "strides": .ints([1, 2]), "pads": .ints([0, 0, 0, 0]),
                                "auto_pad": .string("VALID")]),
        ]
        for (label, attributes) in cases {
            for outScale: Float in [0.1, 0.07] {
                let g = unaryGraph("AveragePool", attributes: attributes, outScale: outScale)
                let plain = try Session(model: Model(graph: unaryGraph("AveragePool", attributes: attributes, outScale: outScale),
                                                     opsets: ["": 17]), options: SessionOptions(threads: 1, optimize: false))
                let folded = try Session(model: Model(graph: g, opsets: ["": 17]), options: SessionOptions(threads: 1))
                #expect(folded.graph.nodes.contains { $0.opType == "QLinearAveragePool" && $0.domain == "com.microsoft" },
                        "\(label): not folded")
                let want = try plain.run([x]).map { $0.copy() }, got = try folded.run([x])
                #expect(got[0].shape == want[0].shape, "\(label)")
                for i in 0..<min(got[0].count, want[0].count) {
                    #expect(abs(got[0].floats[i] - want[0].floats[i]) <= outScale * 1.001, "\(label) [\(i)]")
                }
            }
        }
        for (label, attributes) in [("padded", ["kernel_shape": Attribute.ints([2, 2]), "pads": .ints([1, 1, 0, 0])]),
                                    ("ceil mode", ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "ceil_mode": .int(1)])] {
            let g = unaryGraph("AveragePool", attributes: attributes)
            let misses = try QDQFolding(graph: g).run()
            #expect(g.nodes.contains { $0.opType == "AveragePool" }, "\(label): folded")
            #expect(misses.count == 1, "\(label)")
        }
    }

    /// onnxruntime's QOperator form: DQ → AveragePool → Flatten → Q. The pool folds and
    /// the Flatten runs on its integer output, within one step of the float pattern.
    @Test func averagePoolBeforeFlattenFolds() throws {
        func graph() -> Graph {
            let inits: [String: Tensor] = [
                "s": QDQFoldingTests.scalar(0.1), "z": QDQFoldingTests.ints(.uint8, [], [128]),
                "so": QDQFoldingTests.scalar(0.05), "zo": QDQFoldingTests.ints(.uint8, [], [100]),
            ]
            return Graph(name: "g", nodes: [
                Node(name: "q", opType: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["xq"]),
                Node(name: "dq", opType: "DequantizeLinear", inputs: ["xq", "s", "z"], outputs: ["xf"]),
                Node(name: "pool", opType: "AveragePool", inputs: ["xf"], outputs: ["p"],
                     attributes: ["kernel_shape": .ints([4, 4])]),
                Node(name: "flat", opType: "Flatten", inputs: ["p"], outputs: ["f"]),
                Node(name: "qo", opType: "QuantizeLinear", inputs: ["f", "so", "zo"], outputs: ["fq"]),
                Node(name: "dqo", opType: "DequantizeLinear", inputs: ["fq", "so", "zo"], outputs: ["y"]),
            ], inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.fixed(1), .fixed(3), .fixed(4), .fixed(4)])],
               outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)], initializers: inits)
        }
        let x = Tensor(shape: [1, 3, 4, 4], floats: (0..<48).map { Float(($0 * 29) % 53) * 0.2 - 4.1 })
        let plain = try Session(model: Model(graph: graph(), opsets: ["": 17]), options: SessionOptions(threads: 1, optimize: false))
        let folded = try Session(model: Model(graph: graph(), opsets: ["": 17]), options: SessionOptions(threads: 1))
        #expect(folded.graph.nodes.map { $0.opType } == ["QuantizeLinear", "QLinearAveragePool", "Flatten", "DequantizeLinear"])
        let want = try plain.run([x]).map { $0.copy() }, got = try folded.run([x])
        #expect(got[0].shape == [1, 3] && want[0].shape == [1, 3])
        for i in 0..<3 { #expect(abs(got[0].floats[i] - want[0].floats[i]) <= 0.05 * 1.001, "[\(i)]") }
    }

    @Test func opsWithoutIntegerFormAreReported() throws {
        let g = unaryGraph("Softmax")
        let misses = try QDQFolding(graph: g).run()
        #expect(g.nodes.contains { $0.opType == "Softmax" })
        #expect(misses.count == 1)
        #expect(misses[0].reason.contains("no integer form"))
    }

    @Test func addOfTwoDequantizedValuesBecomesQLinearAdd() throws {
        let inits: [String: Tensor] = [
            "s": QDQFoldingTests.scalar(0.1), "z": QDQFoldingTests.ints(.uint8, [], [128]),
            "s2": QDQFoldingTests.scalar(0.3), "z2": QDQFoldingTests.ints(.uint8, [], [7]),
            "so": QDQFoldingTests.scalar(0.2), "zo": QDQFoldingTests.ints(.uint8, [], [128]),
            "kq": QDQFoldingTests.ints(.uint8, [2], [3, 200]),
        ]
        let g = Graph(name: "g", nodes: [
            Node(name: "q", opType: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["xq"]),
            Node(name: "dq", opType: "DequantizeLinear", inputs: ["xq", "s", "z"], outputs: ["xf"]),
            Node(name: "dqk", opType: "DequantizeLinear", inputs: ["kq", "s2", "z2"], outputs: ["kf"]),
            Node(name: "add", opType: "Add", inputs: ["xf", "kf"], outputs: ["o"]),
            Node(name: "mul", opType: "Mul", inputs: ["xf", "xf"], outputs: ["m"]),
            Node(name: "qo", opType: "QuantizeLinear", inputs: ["o", "so", "zo"], outputs: ["oq"]),
            Node(name: "qm", opType: "QuantizeLinear", inputs: ["m", "so", "zo"], outputs: ["mq"]),
        ], inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.fixed(2)])],
           outputs: [ValueInfo(name: "oq", dtype: .uint8, shape: nil), ValueInfo(name: "mq", dtype: .uint8, shape: nil)],
           initializers: inits)
        try QDQFolding(graph: g).run()
        #expect(g.nodes.map { $0.opType } == ["QuantizeLinear", "QLinearAdd", "QLinearMul"])
        #expect(g.nodes[1].inputs == ["xq", "s", "z", "kq", "s2", "z2", "so", "zo"])
        #expect(g.nodes[2].inputs == ["xq", "s", "z", "xq", "s", "z", "so", "zo"])
        // The constant's DequantizeLinear and its now unused inputs are dropped; kq stays.
        #expect(g.initializers["kq"] != nil)
    }

    @Test func concatBecomesQLinearConcatWithTriples() throws {
        let inits: [String: Tensor] = [
            "s": QDQFoldingTests.scalar(0.1), "z": QDQFoldingTests.ints(.int8, [], [0]),
            "s2": QDQFoldingTests.scalar(0.3), "z2": QDQFoldingTests.ints(.int8, [], [1]),
            "so": QDQFoldingTests.scalar(0.2), "zo": QDQFoldingTests.ints(.int8, [], [2]),
        ]
        let g = Graph(name: "g", nodes: [
            Node(name: "q", opType: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["xq"]),
            Node(name: "q2", opType: "QuantizeLinear", inputs: ["x", "s2", "z2"], outputs: ["x2q"]),
            Node(name: "dq", opType: "DequantizeLinear", inputs: ["xq", "s", "z"], outputs: ["xf"]),
            Node(name: "dq2", opType: "DequantizeLinear", inputs: ["x2q", "s2", "z2"], outputs: ["x2f"]),
            Node(name: "cat", opType: "Concat", inputs: ["xf", "x2f"], outputs: ["c"], attributes: ["axis": .int(0)]),
            Node(name: "qo", opType: "QuantizeLinear", inputs: ["c", "so", "zo"], outputs: ["cq"]),
        ], inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.fixed(2)])],
           outputs: [ValueInfo(name: "cq", dtype: .int8, shape: nil)], initializers: inits)
        try QDQFolding(graph: g).run()
        let cat = try #require(g.nodes.first { $0.opType == "QLinearConcat" })
        #expect(cat.inputs == ["so", "zo", "xq", "s", "z", "x2q", "s2", "z2"])
        #expect(cat.outputs == ["cq"])
    }

    @Test func gemmBecomesQGemmWithPerColumnWeights() throws {
        let inits: [String: Tensor] = [
            "s": QDQFoldingTests.scalar(0.5), "z": QDQFoldingTests.ints(.uint8, [], [128]),
            "w": QDQFoldingTests.ints(.int8, [3, 2], [1, 2, 3, 4, 5, 6]),   // transB: N=3, K=2
            "sw": Tensor(shape: [3], floats: [0.1, 0.2, 0.3]), "zw": QDQFoldingTests.ints(.int8, [3], [0, 0, 0]),
            "b": Tensor(shape: [3], floats: [0.05, 0.1, -0.15]),
            "so": QDQFoldingTests.scalar(0.25), "zo": QDQFoldingTests.ints(.uint8, [], [0]),
        ]
        let g = Graph(name: "g", nodes: [
            Node(name: "q", opType: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["xq"]),
            Node(name: "dq", opType: "DequantizeLinear", inputs: ["xq", "s", "z"], outputs: ["xf"]),
            Node(name: "dqw", opType: "DequantizeLinear", inputs: ["w", "sw", "zw"], outputs: ["wf"], attributes: ["axis": .int(0)]),
            Node(name: "fc", opType: "Gemm", inputs: ["xf", "wf", "b"], outputs: ["o"], attributes: ["transB": .int(1)]),
            Node(name: "qo", opType: "QuantizeLinear", inputs: ["o", "so", "zo"], outputs: ["oq"]),
        ], inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.fixed(1), .fixed(2)])],
           outputs: [ValueInfo(name: "oq", dtype: .uint8, shape: nil)], initializers: inits)
        try QDQFolding(graph: g).run()
        let fc = try #require(g.nodes.first { $0.opType == "QGemm" })
        #expect(fc.domain == "com.microsoft")
        #expect(fc.inputs[0...5] == ["xq", "s", "z", "w", "sw", "zw"])
        #expect(fc.inputs[7...8] == ["so", "zo"])
        let bias = try #require(g.initializers[fc.inputs[6]])
        // 0.05/(0.5*0.1) = 1, 0.1/(0.5*0.2) = 1, -0.15/(0.5*0.3) = -1
        #expect(bias.integerValues() == [1, 1, -1])
        guard case .int(let tb)? = fc.attributes["transB"] else { Issue.record("transB lost"); return }
        #expect(tb == 1)
    }

    @Test func optimizerRunsTheFoldingFirst() throws {
        let g = convGraph(activation: "Relu", outZeroPoint: 0)
        try GraphOptimizer(graph: g).run()
        #expect(g.nodes.map { $0.opType } == ["QuantizeLinear", "QLinearConv", "DequantizeLinear"])
        #expect(g.nodes[1].attributes["outpost.activation"] == nil)
    }
}
