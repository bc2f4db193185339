import COutpostSystem
import OutpostRuntime

/// Loads ONNX models into Outpost's graph IR.
///
/// The model file is memory-mapped; little-endian `raw_data` initializers that are
/// aligned for their element type are used in place (the tensors keep the map
/// alive), others are copied. After decoding, `Constant` nodes become initializers,
/// names are checked (unique producers, every use defined) and nodes are sorted.
public enum ONNXLoader {
    /// Loads the model at `path`; external data files are looked up next to it.
    public static func load(path: String) throws(OutpostError) -> Model {
        let buffer = try Buffer(mappingFile: path)
        do {
            return try load(buffer: buffer, baseDirectory: directoryOf(path))
        } catch {
            // Name the file in format errors; the other cases already name what failed.
            switch error {
            case let .malformedModel(m): throw .malformedModel(String(outlined: "\(path): \(m)"))
            case let .invalidModel(m): throw .invalidModel(String(outlined: "\(path): \(m)"))
            default: throw error
            }
        }
    }

    /// Loads a model from bytes already in memory. `baseDirectory` is where external
    /// data files live (nil: a model with external data is refused).
    public static func load(buffer: Buffer, baseDirectory: String?) throws(OutpostError) -> Model {
        let decoder = ONNXDecoder(source: buffer, baseDirectory: baseDirectory)
        let (model, functions) = try decoder.decodeModel()
        try finish(model.graph, outerScope: [], model: model, functions: functions)
        // Decoding read every page of the file and copied the misaligned initializers
        // out (most of them: protobuf does not align raw_data). Those pages would stay
        // resident as long as the model lives; the in-place views fault theirs back in.
        buffer.releaseResidentPages()
        return model
    }

    /// Constant folding of `Constant` nodes, name checks, function refusal and
    /// topological sort, for a graph and (recursively) its subgraphs.
    static func finish(_ graph: Graph, outerScope: Set<String>, model: Model,
                       functions: [ONNXDecoder.FunctionID]) throws(OutpostError) {
        try convertConstants(graph)

        var defined = Set<String>()
        for i in graph.inputs {
            guard defined.insert(i.name).inserted else {
                throw .invalidModel(String(outlined: "graph '\(graph.name)' declares input '\(i.name)' twice"))
            }
        }
        for name in graph.initializers.keys { defined.insert(name) }
        for node in graph.nodes {
            for o in node.outputs where !o.isEmpty {
                guard defined.insert(o).inserted else {
                    throw .invalidModel(String(outlined: "value '\(o)' (output of \(node.opType) node '\(node.displayName)') is already defined by another node, input or initializer"))
                }
            }
        }
        let visible = outerScope.union(defined)
        for node in graph.nodes {
            if functions.contains(ONNXDecoder.FunctionID(domain: node.domain, name: node.opType)) {
                throw .unsupportedOperator(op: node.opType, domain: node.domain,
                                           opset: model.opsets[node.domain] ?? 0,
                                           node: node.displayName + " (a model-local function; functions are not supported)")
            }
            for input in node.inputs where !input.isEmpty && !visible.contains(input) {
                throw .invalidModel(String(outlined: "node '\(node.displayName)' (\(node.opType)) uses '\(input)', which no node, graph input or initializer defines"))
            }
            for (_, attribute) in node.attributes {
                switch attribute {
                case let .graph(sub):
                    try finish(sub, outerScope: visible, model: model, functions: functions)
                case let .graphs(subs):
                    for sub in subs { try finish(sub, outerScope: visible, model: model, functions: functions) }
                default: break
                }
            }
        }
        for o in graph.outputs where !visible.contains(o.name) {
            throw .invalidModel(String(outlined: "graph output '\(o.name)' is not produced by any node, input or initializer"))
        }
        orderWithCaptures(graph, outerScope: outerScope)
        try graph.sortTopologically(outerScope: outerScope)
    }

    /// Names a graph uses but does not define (values its nodes' subgraphs capture
    /// from enclosing scopes, recursively).
    static func freeNames(of graph: Graph) -> Set<String> {
        var defined = Set<String>()
        for i in graph.inputs { defined.insert(i.name) }
        for k in graph.initializers.keys { defined.insert(k) }
        for n in graph.nodes { for o in n.outputs { defined.insert(o) } }
        var used = Set<String>()
        for n in graph.nodes { used.formUnion(dependencies(of: n)) }
        for o in graph.outputs { used.insert(o.name) }
        used.subtract(defined)
        used.remove("")
        return used
    }

    /// A node's explicit inputs plus the outer values its subgraphs capture.
    static func dependencies(of node: Node) -> Set<String> {
        var deps = Set<String>()
        for i in node.inputs where !i.isEmpty { deps.insert(i) }
        for (_, attribute) in node.attributes {
            switch attribute {
            case let .graph(sub): deps.formUnion(freeNames(of: sub))
            case let .graphs(subs): for sub in subs { deps.formUnion(freeNames(of: sub)) }
            default: break
            }
        }
        return deps
    }

    /// Stable topological order that also respects values captured by subgraphs
    /// (an If branch reading a value computed by a later-listed node). The IR's
    /// `sortTopologically` sees only explicit inputs, and keeps an order that is
    /// already valid, so this runs first. Unresolvable nodes are left at the end
    /// for `sortTopologically` to report.
    static func orderWithCaptures(_ graph: Graph, outerScope: Set<String>) {
        var hasSubgraph = false
        for n in graph.nodes {
            for (_, a) in n.attributes {
                switch a {
                case .graph, .graphs: hasSubgraph = true
                default: break
                }
            }
        }
        guard hasSubgraph else { return }
        var available = outerScope
        for i in graph.inputs { available.insert(i.name) }
        for k in graph.initializers.keys { available.insert(k) }
        var remaining = graph.nodes.map { ($0, dependencies(of: $0)) }
        var ordered = [Node]()
        ordered.reserveCapacity(remaining.count)
        while !remaining.isEmpty {
            var next = [(Node, Set<String>)]()
            for (node, deps) in remaining {
                if deps.isSubset(of: available) {
                    ordered.append(node)
                    for o in node.outputs where !o.isEmpty { available.insert(o) }
                } else {
                    next.append((node, deps))
                }
            }
            if next.count == remaining.count {
                for (node, _) in next { ordered.append(node) }
                break
            }
            remaining = next
        }
        graph.nodes = ordered
    }

    /// Turns `Constant` nodes (default domain) into initializers.
    static func convertConstants(_ graph: Graph) throws(OutpostError) {
        var kept = [Node]()
        kept.reserveCapacity(graph.nodes.count)
        for node in graph.nodes {
            guard node.opType == "Constant" && node.domain.isEmpty else {
                kept.append(node)
                continue
            }
            guard node.outputs.count == 1, !node.outputs[0].isEmpty else {
                throw node.invalid("a Constant node must have exactly one output")
            }
            guard node.attributes.count == 1 else {
                throw node.invalid("a Constant node needs exactly one value attribute, has \(node.attributes.count)")
            }
            let out = node.outputs[0]
            let tensor: Tensor
            if let t = try node.tensor("value") {
                tensor = t
            } else if let f = try node.float("value_float") {
                tensor = Tensor(shape: [], floats: [f])
            } else if let fs = try node.floats("value_floats") {
                tensor = Tensor(shape: [fs.count], floats: fs)
            } else if let i = try node.int("value_int") {
                tensor = Tensor(shape: [], int64s: [Int64(i)])
            } else if let iv = try node.ints("value_ints") {
                var values = [Int64]()
                values.reserveCapacity(iv.count)
                for v in iv { values.append(Int64(v)) }
                tensor = Tensor(shape: [iv.count], int64s: values)
            } else if node.attributes["value_string"] != nil || node.attributes["value_strings"] != nil {
                throw .unsupportedDataType(tensor: out, dtype: "string")
            } else {
                var key = ""
                for (k, _) in node.attributes { key = k }
                throw node.unsupported(key, "unknown Constant attribute")
            }
            guard graph.initializers[out] == nil else {
                throw .invalidModel(String(outlined: "Constant node '\(node.displayName)' defines '\(out)', which is already an initializer"))
            }
            graph.initializers[out] = tensor
        }
        graph.nodes = kept
    }
}
