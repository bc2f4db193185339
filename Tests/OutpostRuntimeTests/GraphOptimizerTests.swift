import Testing
@testable import OutpostRuntime

/// Load-time rewrites: Conv+BatchNormalization folding and activation fusion.
@Suite struct GraphOptimizerTests {
    func convBnRelu(bnConsumers extra: Bool = false) -> Graph {
        // Conv: 2 output channels, 1 input channel, 1x1 kernel.
        var nodes = [
            Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"]),
            Node(name: "bn", opType: "BatchNormalization", inputs: ["c", "scale", "shift", "mean", "var"], outputs: ["n"],
                 attributes: ["epsilon": .float(0)]),
            Node(name: "act", opType: "Clip", inputs: ["n", "lo", "hi"], outputs: ["y"]),
        ]
        if extra { nodes.append(Node(name: "tap", opType: "Relu", inputs: ["c"], outputs: ["t"])) }
        var outputs = [ValueInfo(name: "y", dtype: .float32, shape: nil)]
        if extra { outputs.append(ValueInfo(name: "t", dtype: .float32, shape: nil)) }
        return Graph(name: "g", nodes: nodes,
                     inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.fixed(1), .fixed(1), .fixed(2), .fixed(2)])],
                     outputs: outputs,
                     initializers: [
                        "w": Tensor(shape: [2, 1, 1, 1], floats: [2, 3]),
                        "b": Tensor(shape: [2], floats: [1, -1]),
                        "scale": Tensor(shape: [2], floats: [0.5, 2]),
                        "shift": Tensor(shape: [2], floats: [0.25, 0]),
                        "mean": Tensor(shape: [2], floats: [1, 1]),
                        "var": Tensor(shape: [2], floats: [4, 1]),
                        "lo": Tensor(shape: [], floats: [0]),
                        "hi": Tensor(shape: [], floats: [6]),
                     ])
    }

    @Test func batchNormFoldsIntoConvAndClipFuses() throws {
        let g = convBnRelu()
        try GraphOptimizer(graph: g).run()
        #expect(g.nodes.count == 1)
        let conv = g.nodes[0]
        #expect(conv.opType == "Conv")
        #expect(conv.outputs == ["y"])
        guard case .string(let act)? = conv.attributes["outpost.activation"],
              case .floats(let params)? = conv.attributes["outpost.activation_params"] else {
            Issue.record("activation not fused")
            return
        }
        #expect(act == "Clip")
        #expect(params == [0, 6])
        // s = scale / sqrt(var): [0.25, 2], recorded for the packer (w' = w*s is never
        // materialised: the weights stay as loaded); b' = (b - mean)*s + shift.
        #expect(conv.inputs[1] == "w")
        #expect(g.initializers["w"]?.floatValues() == [2, 3])
        guard case .floats(let scale)? = conv.attributes[GraphOptimizer.weightScaleAttribute] else {
            Issue.record("no weight scale recorded")
            return
        }
        #expect(scale == [0.25, 2])
        let b = try #require(g.initializers[conv.inputs[2]])
        #expect(b.floatValues() == [0.25, -4])
        // The original bias is no longer referenced, so it is dropped.
        #expect(g.initializers["b"] == nil)
    }

    @Test func foldedBatchNormGivesTheUnfoldedResults() throws {
        // Conv (w*x + b) then BN then Clip[0, 6], with and without the rewrite.
        let x = Tensor(shape: [1, 1, 2, 2], floats: [1, -2, 3, 0.5])
        var results = [[Float]]()
        for optimize in [false, true] {
            let s = try Session(model: Model(graph: convBnRelu(), opsets: ["": 17]),
                                options: SessionOptions(threads: 1, optimize: optimize))
            results.append(try s.run([x])[0].floatValues())
        }
        // Channel 0: clip((2x + 1 - 1) * 0.25 + 0.25); channel 1: clip((3x - 1 - 1) * 2).
        #expect(results[0] == [0.75, 0, 1.75, 0.5, 2, 0, 6, 0])
        #expect(results[1] == results[0])
    }

    @Test func noFusionWhenTheIntermediateHasAnotherReader() throws {
        let g = convBnRelu(bnConsumers: true)
        try GraphOptimizer(graph: g).run()
        // "c" is read by BN and by "tap": folding would change what "tap" sees.
        #expect(g.nodes.map { $0.opType } == ["Conv", "BatchNormalization", "Clip", "Relu"])
        #expect(g.nodes[0].attributes["outpost.activation"] == nil)
        // Conv → Relu via "tap" is not fused either: "c" has two readers.
        #expect(g.nodes[3].inputs == ["c"])
    }

    @Test func sigmoidTimesInputFusesAsSiLU() throws {
        let g = Graph(name: "silu",
                      nodes: [Node(name: "conv", opType: "Conv", inputs: ["x", "w"], outputs: ["c"]),
                              Node(name: "sig", opType: "Sigmoid", inputs: ["c"], outputs: ["s"]),
                              Node(name: "mul", opType: "Mul", inputs: ["s", "c"], outputs: ["y"])],
                      inputs: [ValueInfo(name: "x", dtype: .float32, shape: nil)],
                      outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
                      initializers: ["w": Tensor(shape: [1, 1, 1, 1], floats: [1])])
        try GraphOptimizer(graph: g).run()
        #expect(g.nodes.count == 1)
        #expect(g.nodes[0].outputs == ["y"])
        guard case .string(let act)? = g.nodes[0].attributes["outpost.activation"] else {
            Issue.record("SiLU not fused")
            return
        }
        #expect(act == "SiLU")
    }
}
