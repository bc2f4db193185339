import OutpostCLICore
import OutpostRuntime

/// `outpost inspect`: what a model is, before running it.
enum InspectCommand {
    static let spec = CommandSpec(
        name: "outpost inspect",
        usage: "outpost inspect MODEL [--layers]",
        summary: "Show a model's inputs and outputs, operator counts, parameters, opsets, quantization form (float, QDQ, QOperator, dynamic, mixed), and what Outpost's optimiser and planner make of it: how many layers run as int8 and as float, and why a QDQ pattern did not fold.",
        options: [],
        flags: [
            ("--layers", "List every layer after optimisation with int8 / float / convert (Quantize/Dequantize)."),
        ])

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
        for (domain, version) in stableSorted(Array(model.opsets), by: { $0.key < $1.key }) {
            opsetLine += String(outlined: " \(domain.isEmpty ? "ai.onnx" : domain)=\(version)")
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
            let key = n.domain.isEmpty ? n.opType : String(outlined: "\(n.domain)::\(n.opType)")
            counts[key, default: 0] += 1
        }
        Console.out("operators: \(g.nodes.count) nodes")
        var unsupported = [String]()
        for (op, n) in stableSorted(Array(counts), by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
            Console.out("  " + Format.pad(op, 28) + Format.pad("\(n)", 5, right: true))
        }
        for n in g.nodes where !isOperatorSupported(opType: n.opType, domain: n.domain) {
            let key = n.domain.isEmpty ? n.opType : String(outlined: "\(n.domain)::\(n.opType)")
            if !unsupported.contains(key) { unsupported.append(key) }
        }
        Console.out("quantization: \(quantization(g, int8Weights: int8Weights))")
        if !unsupported.isEmpty {
            var s = "unsupported operators:"
            for u in unsupported { s += " " + u }
            Console.out(s)
            // Still show what QDQ folding makes of it (the graph cannot be planned).
            let folded = copyGraph(g)
            do { try QDQFolding(graph: folded).run() } catch {}
            printLayers(folded, original: g, all: a.has("--layers"))
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
            printLayers(session.graph, original: g, all: a.has("--layers"))
        } catch {
            Console.out("planning: \(error.description)")
        }
        return 0
    }

    enum LayerKind: String {
        case int8, float, convert
    }

    static let integerOps: Set<String> = ["QLinearConv", "QLinearMatMul", "QGemm", "QLinearAdd", "QLinearMul",
        "QLinearSigmoid", "QLinearLeakyRelu", "QLinearSoftmax", "QLinearGlobalAveragePool", "QLinearAveragePool",
        "QLinearConcat", "MatMulInteger", "ConvInteger"]
    static let convertOps: Set<String> = ["QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"]
    static let movementOps: Set<String> = ["MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze",
        "Slice", "Split", "Resize", "Identity", "Concat", "Gather", "Pad", "Expand", "Tile", "DepthToSpace"]

    /// How each node of an (optimised) graph computes: on integers, in float, or
    /// converting between them. Data-movement ops are int8 when their data input is.
    static func classify(_ g: Graph) -> [LayerKind] {
        var integer = Set<String>()
        for i in g.inputs where i.dtype == .uint8 || i.dtype == .int8 { integer.insert(i.name) }
        for (name, t) in g.initializers where t.dtype == .uint8 || t.dtype == .int8 { integer.insert(name) }
        var kinds = [LayerKind]()
        for n in g.nodes {
            var kind = LayerKind.float
            if integerOps.contains(n.opType) {
                kind = .int8
                if !(n.opType == "QGemm" && (n.inputs.count < 8 || n.inputs[7].isEmpty)) {
                    for o in n.outputs { integer.insert(o) }
                }
            } else if convertOps.contains(n.opType) {
                kind = .convert
                if n.opType != "DequantizeLinear", let o = n.outputs.first { integer.insert(o) }
            } else if movementOps.contains(n.opType), let x = n.inputs.first, integer.contains(x) {
                kind = .int8
                for o in n.outputs { integer.insert(o) }
            }
            kinds.append(kind)
        }
        return kinds
    }

    static func copyGraph(_ g: Graph) -> Graph {
        Graph(name: g.name, nodes: g.nodes, inputs: g.inputs, outputs: g.outputs, initializers: g.initializers,
              valueInfo: g.valueInfo)
    }

    static func printLayers(_ optimised: Graph, original: Graph, all: Bool) {
        let kinds = classify(optimised)
        // Three counters, not a [LayerKind: Int] (a dictionary specialisation of its own).
        var int8Count = 0, floatCount = 0, convertCount = 0
        var floatOps = [String: Int]()
        for (i, k) in kinds.enumerated() {
            switch k {
            case .int8: int8Count += 1
            case .float:
                floatCount += 1
                floatOps[optimised.nodes[i].opType, default: 0] += 1
            case .convert: convertCount += 1
            }
        }
        var line = String(outlined: "layers after optimisation: \(int8Count) int8, \(floatCount) float, \(convertCount) quantize/dequantize")
        if !floatOps.isEmpty {
            line += " (float:"
            for (op, n) in stableSorted(Array(floatOps), by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                line += String(outlined: " \(op) \(n)")
            }
            line += ")"
        }
        Console.out(line)
        // Why QDQ patterns stayed float: run the folding pass again on a copy.
        let copy = copyGraph(original)
        var misses = [QDQFolding.Miss]()
        do { misses = try QDQFolding(graph: copy).run() } catch {}
        var why = [String: String]()
        for m in misses { why[m.node] = m.reason }
        if !misses.isEmpty {
            Console.out("QDQ patterns left in float: \(misses.count)")
            for m in misses.prefix(all ? misses.count : 12) {
                Console.out("  " + Format.pad(m.opType, 18) + " " + m.node + ": " + m.reason)
            }
            if !all && misses.count > 12 { Console.out("  … (\(misses.count - 12) more; --layers lists every layer)") }
        }
        if all {
            Console.out("layers:")
            for (i, n) in optimised.nodes.enumerated() {
                let op = n.domain.isEmpty ? n.opType : String(outlined: "\(n.domain)::\(n.opType)")
                var s = "  " + Format.pad(kinds[i].rawValue, 8) + Format.pad(op, 36) + " " + n.displayName
                if kinds[i] == .float, let reason = why[n.displayName] { s += String(outlined: "  (not folded: \(reason))") }
                Console.out(s)
            }
        }
    }

    /// Which quantized form a model uses, from its operators and weights.
    static func quantization(_ g: Graph, int8Weights: Int) -> String {
        var qdq = false, qop = false, dynamic = false
        var dequantized = Set<String>()
        for n in g.nodes where n.opType == "DequantizeLinear" { for o in n.outputs { dequantized.insert(o) } }
        for n in g.nodes {
            switch n.opType {
            case "Conv", "ConvTranspose", "MatMul", "Gemm":
                // QDQ form: the compute op reads dequantized values (QOperator graphs
                // also hold Q/DQ nodes, but only at their float edges).
                if n.inputs.contains(where: { dequantized.contains($0) }) { qdq = true }
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
        if forms.isEmpty { return int8Weights > 0 ? "int8 weights without quantization operators" : "float" }
        if forms.count == 1 { return forms[0] }
        var s = "mixed ("
        for (i, f) in forms.enumerated() { s += (i > 0 ? " + " : "") + f }
        return s + ")"
    }
}
