import OutpostRuntime

/// `outpost inspect`: what a model is, before running it.
enum InspectCommand {
    static let spec = CommandSpec(
        name: "inspect",
        usage: "outpost inspect MODEL",
        summary: "Show a model's inputs and outputs, operator counts, parameters, opsets, quantization form, and what Outpost's optimiser and planner make of it.",
        options: [],
        flags: [])

    static func main(_ args: [String]) throws(OutpostError) -> Int {
        let a = try parseArguments(args, spec)
        if a.wantsHelp { Console.out(spec.help); return 0 }
        guard a.positionals.count == 1 else { throw .usage("expected exactly one MODEL argument (see 'outpost inspect --help')") }
        let path = a.positionals[0]
        let model = try ModelFile.load(path)
        let g = model.graph
        Console.out("model: \(path)")
        if !model.producer.isEmpty { Console.out("producer: \(model.producer)") }
        Console.out("ir version: \(model.irVersion)")
        var opsetLine = "opsets:"
        for (domain, version) in model.opsets.sorted(by: { $0.key < $1.key }) {
            opsetLine += " \(domain.isEmpty ? "ai.onnx" : domain)=\(version)"
        }
        Console.out(opsetLine)
        Console.out("inputs:")
        for i in g.inputs { Console.out("  \(i.name): \(i.typeDescription)") }
        Console.out("outputs:")
        for o in g.outputs { Console.out("  \(o.name): \(o.typeDescription)") }

        var params = 0
        var bytes = 0
        var int8Weights = 0
        for (_, t) in g.initializers {
            params += t.count
            bytes += t.byteCount
            if t.dtype == .int8 || t.dtype == .uint8 { int8Weights += t.count }
        }
        Console.out("parameters: \(params) in \(g.initializers.count) initializers (\(Format.bytes(bytes)))")

        var counts = [String: Int]()
        for n in g.nodes {
            let key = n.domain.isEmpty ? n.opType : "\(n.domain)::\(n.opType)"
            counts[key, default: 0] += 1
        }
        Console.out("operators: \(g.nodes.count) nodes")
        var unsupported = [String]()
        for (op, n) in counts.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
            Console.out("  " + Format.pad(op, 28) + Format.pad("\(n)", 5, right: true))
        }
        for n in g.nodes where !isOperatorSupported(opType: n.opType, domain: n.domain) {
            let key = n.domain.isEmpty ? n.opType : "\(n.domain)::\(n.opType)"
            if !unsupported.contains(key) { unsupported.append(key) }
        }
        Console.out("quantization: \(quantization(g, int8Weights: int8Weights))")
        if !unsupported.isEmpty {
            var s = "unsupported operators:"
            for u in unsupported { s += " " + u }
            Console.out(s)
            return 0
        }
        // What the runtime makes of it (only when every input shape is static).
        do {
            let session = try Session(model: model)
            if let plan = session.planSummary {
                Console.out("optimised: \(session.graph.nodes.count) nodes after fusion, \(plan.steps) run steps (\(plan.foldedNodes) folded to constants)")
                Console.out("memory plan: arena \(Format.bytes(plan.arenaBytes)) (\(Format.bytes(plan.unsharedBytes)) without reuse)")
            } else {
                Console.out("optimised: \(session.graph.nodes.count) nodes after fusion (planned at first run: symbolic input shapes)")
            }
            var fused = 0
            for n in session.graph.nodes where n.attributes["outpost.activation"] != nil { fused += 1 }
            if fused > 0 { Console.out("fused activations: \(fused)") }
        } catch {
            Console.out("planning: \(error.description)")
        }
        return 0
    }

    /// Which quantized form a model uses, from its operators and weights.
    static func quantization(_ g: Graph, int8Weights: Int) -> String {
        var qdq = false, qop = false, dynamic = false
        for n in g.nodes {
            switch n.opType {
            case "QuantizeLinear", "DequantizeLinear": qdq = true
            case "QLinearConv", "QLinearMatMul", "QLinearAdd", "QLinearMul", "QLinearSigmoid", "QLinearSoftmax",
                 "QLinearGlobalAveragePool", "QLinearConcat", "QLinearLeakyRelu", "QGemm": qop = true
            case "DynamicQuantizeLinear", "MatMulInteger", "ConvInteger": dynamic = true
            default: break
            }
        }
        var forms = [String]()
        if qop { forms.append("QOperator") }
        if dynamic { forms.append("dynamic") }
        if qdq { forms.append("QDQ") }
        if forms.isEmpty { return int8Weights > 0 ? "int8 weights without quantization operators" : "none (float)" }
        var s = ""
        for (i, f) in forms.enumerated() { s += (i > 0 ? " + " : "") + f }
        return s
    }
}
