/// Load-time graph rewrites, each a small pass that finds one pattern and rewrites
/// it in place. They run once per session, before planning:
///
/// 0. `QDQFolding` (QDQFolding.swift): DequantizeLinear → op → QuantizeLinear
///    patterns become integer operators (QLinearConv, QGemm, QLinearAdd, ...). First,
///    so the float passes below only see what stays float.
///    Then the dynamic-quantization rewrites: `IntegerConvScaleFusion` (ConvInteger /
///    MatMulInteger → Cast → Mul [→ Add] as one operator with a float epilogue) and
///    `DynamicQuantizeReluFold` (Relu → DynamicQuantizeLinear as one operator).
/// 1. `foldBatchNormIntoConv`: Conv → BatchNormalization with constant parameters
///    becomes one Conv with a new bias and a per-output-channel weight scale
///    (`outpost.weight_scale`) that Conv applies while packing its weights.
/// 2. `fuseActivations`: Conv/ConvTranspose/Gemm/MatMul → activation becomes one node
///    whose kernel applies the activation in its epilogue (attributes
///    `outpost.activation` and `outpost.activation_params`).
///
/// 3. `fuseSiLU`: Conv → x·Sigmoid(x) (Sigmoid and Mul reading the same Conv
///    output, as YOLO-style exports write SiLU/Swish) becomes one Conv with the
///    "SiLU" activation.
///
/// A pass only fires when the intermediate value has exactly one consumer and is
/// not a graph output, so no observable value changes.
struct GraphOptimizer {
    let graph: Graph

    /// Names of the attributes fused activations are recorded in.
    static let activationAttribute = "outpost.activation"
    static let activationParamsAttribute = "outpost.activation_params"
    /// Per-output-channel factors a Conv multiplies its weights by while packing
    /// them (a folded BatchNormalization): the weights stay as loaded — often a view
    /// into the model file — instead of a rescaled copy held for re-planning.
    static let weightScaleAttribute = "outpost.weight_scale"

    func run() throws(OutpostError) {
        try QDQFolding(graph: graph).run()
        QLinearSiLUFusion(graph: graph).run()
        IntegerConvScaleFusion(graph: graph).run()
        DynamicQuantizeReluFold(graph: graph).run()
        try foldBatchNormIntoConv()
        try fuseActivations()
        try fuseSiLU()
    }

    // ---- helpers -----------------------------------------------------------

    private func constant(_ name: String) -> Tensor? {
        name.isEmpty ? nil : graph.initializers[name]
    }

    private func uniqueName(_ base: String) -> String {
        var name = base
        var k = 0
        while graph.initializers[name] != nil {
            k += 1
            name = String(outlined: "\(base)#\(k)")
        }
        return name
    }

    // ---- Conv + BatchNormalization ------------------------------------------

    func foldBatchNormIntoConv() throws(OutpostError) {
        let counts = graph.consumerCounts()
        let producer = graph.producers()
        var removed = NodeIndexSet()
        for (bnIndex, bn) in graph.nodes.enumerated() where bn.opType == "BatchNormalization" && bn.domain.isEmpty {
            guard bn.outputs.count == 1 || (bn.outputs.count > 1 && bn.outputs.dropFirst().allSatisfy({ $0.isEmpty })),
                  bn.inputs.count == 5,
                  (try? bn.int("training_mode", default: 0)) == 0,
                  let convIndex = producer[bn.inputs[0]], !removed.contains(convIndex),
                  counts[bn.inputs[0]] == 1 else { continue }
            let conv = graph.nodes[convIndex]
            guard conv.opType == "Conv", conv.domain.isEmpty, conv.attributes[GraphOptimizer.activationAttribute] == nil,
                  conv.attributes[GraphOptimizer.weightScaleAttribute] == nil,
                  conv.inputs.count >= 2,
                  let w = constant(conv.inputs[1]), w.dtype == .float32, w.rank >= 3,
                  let scale = constant(bn.inputs[1]), let shift = constant(bn.inputs[2]),
                  let mean = constant(bn.inputs[3]), let variance = constant(bn.inputs[4]) else { continue }
            let cout = w.shape[0]
            guard scale.count == cout, shift.count == cout, mean.count == cout, variance.count == cout,
                  scale.dtype == .float32, shift.dtype == .float32, mean.dtype == .float32, variance.dtype == .float32
            else { continue }
            let existingBias = conv.inputs.count > 2 ? constant(conv.inputs[2]) : nil
            if conv.inputs.count > 2, !conv.inputs[2].isEmpty, existingBias == nil { continue }
            let epsilon = (try? bn.float("epsilon", default: 1e-5)) ?? 1e-5

            let newB = Tensor(zeros: .float32, shape: [cout])
            var weightScale = [Float](repeating: 1, count: cout)
            let bias = newB.floats
            for c in 0..<cout {
                let s = scale.floats[c] / (variance.floats[c] + epsilon).squareRoot()
                weightScale[c] = s
                let b0: Float = existingBias?.float(at: c) ?? 0
                bias[c] = (b0 - mean.floats[c]) * s + shift.floats[c]
            }
            let bName = uniqueName(String(outlined: "\(conv.displayName).bn_folded_bias"))
            graph.initializers[bName] = newB

            var fused = conv
            fused.inputs = [conv.inputs[0], conv.inputs[1], bName]
            fused.attributes[GraphOptimizer.weightScaleAttribute] = .floats(weightScale)
            fused.outputs = [bn.outputs[0]]
            graph.nodes[convIndex] = fused
            removed.insert(bnIndex)
        }
        if !removed.isEmpty {
            graph.removeNodes(removed)
            pruneUnusedInitializers()
        }
    }

    // ---- Conv/Gemm/MatMul + activation --------------------------------------

    func fuseActivations() throws(OutpostError) {
        let counts = graph.consumerCounts()
        let producer = graph.producers()
        var removed = NodeIndexSet()
        for (actIndex, act) in graph.nodes.enumerated() where act.domain.isEmpty && act.outputs.count == 1 {
            guard let (kind, params) = activationOf(act),
                  let producerIndex = producer[act.inputs[0]], !removed.contains(producerIndex),
                  counts[act.inputs[0]] == 1 else { continue }
            let target = graph.nodes[producerIndex]
            guard ["Conv", "ConvTranspose", "Gemm", "MatMul"].contains(target.opType), target.domain.isEmpty,
                  target.outputs.count == 1,
                  target.attributes[GraphOptimizer.activationAttribute] == nil else { continue }
            var fused = target
            fused.attributes[GraphOptimizer.activationAttribute] = .string(kind)
            if !params.isEmpty { fused.attributes[GraphOptimizer.activationParamsAttribute] = .floats(params) }
            fused.outputs = act.outputs
            graph.nodes[producerIndex] = fused
            removed.insert(actIndex)
        }
        graph.removeNodes(removed)
    }

    // ---- Conv + SiLU (x * sigmoid(x)) ---------------------------------------

    func fuseSiLU() throws(OutpostError) {
        let counts = graph.consumerCounts()
        let producer = graph.producers()
        var removed = NodeIndexSet()
        for (mulIndex, mul) in graph.nodes.enumerated()
        where mul.opType == "Mul" && mul.domain.isEmpty && mul.inputs.count == 2 && mul.outputs.count == 1 {
            // One operand is the Conv output x, the other Sigmoid(x).
            for (xSide, sSide) in [(0, 1), (1, 0)] {
                let x = mul.inputs[xSide], s = mul.inputs[sSide]
                guard let sigIndex = producer[s], !removed.contains(sigIndex),
                      graph.nodes[sigIndex].opType == "Sigmoid", graph.nodes[sigIndex].domain.isEmpty,
                      graph.nodes[sigIndex].inputs == [x], counts[s] == 1, counts[x] == 2,
                      let convIndex = producer[x], !removed.contains(convIndex) else { continue }
                let conv = graph.nodes[convIndex]
                guard conv.opType == "Conv", conv.domain.isEmpty, conv.outputs.count == 1,
                      conv.attributes[GraphOptimizer.activationAttribute] == nil else { continue }
                var fused = conv
                fused.attributes[GraphOptimizer.activationAttribute] = .string("SiLU")
                fused.outputs = mul.outputs
                graph.nodes[convIndex] = fused
                removed.insert(sigIndex)
                removed.insert(mulIndex)
                break
            }
        }
        graph.removeNodes(removed)
    }

    /// The fusable activation a node computes (name, parameters), or nil.
    private func activationOf(_ node: Node) -> (String, [Float])? {
        switch node.opType {
        case "Relu", "Sigmoid", "Tanh", "HardSwish":
            return node.inputs.count == 1 ? (node.opType, []) : nil
        case "LeakyRelu":
            guard let alpha = try? node.float("alpha", default: 0.01) else { return nil }
            return ("LeakyRelu", [alpha])
        case "HardSigmoid":
            guard let alpha = try? node.float("alpha", default: 0.2),
                  let beta = try? node.float("beta", default: 0.5) else { return nil }
            return ("HardSigmoid", [alpha, beta])
        case "Clip":
            var lo = -Float.infinity, hi = Float.infinity
            if node.inputs.count > 1 {
                // Opset 11+: min and max are optional constant inputs.
                if !node.inputs[1].isEmpty {
                    guard let t = constant(node.inputs[1]), t.dtype == .float32, t.count == 1 else { return nil }
                    lo = t.floats[0]
                }
                if node.inputs.count > 2, !node.inputs[2].isEmpty {
                    guard let t = constant(node.inputs[2]), t.dtype == .float32, t.count == 1 else { return nil }
                    hi = t.floats[0]
                }
            } else {
                guard let l = try? node.float("min", default: -Float.infinity),
                      let h = try? node.float("max", default: Float.infinity) else { return nil }
                lo = l
                hi = h
            }
            return ("Clip", [lo, hi])
        default:
            return nil
        }
    }

    /// Drops initializers no node reads any more (weights replaced by folding).
    private func pruneUnusedInitializers() {
        var used = Set<String>()
        for node in graph.nodes { for i in node.inputs { used.insert(i) } }
        for o in graph.outputs { used.insert(o.name) }
        for name in Array(graph.initializers.keys) where !used.contains(name) {
            graph.initializers[name] = nil
        }
    }
}
