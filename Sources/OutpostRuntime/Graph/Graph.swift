/// A computation graph: ONNX's GraphProto in Outpost's own terms.
///
/// `inputs` are the values a caller feeds (initializers excluded), `initializers`
/// hold the constant tensors (weights). Nodes are kept in topological order once
/// `Graph.sortTopologically` has run (the loader does it).
public final class Graph {
    public var name: String
    public var nodes: [Node]
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]
    public var initializers: [String: Tensor]
    /// Declared intermediate types (ONNX value_info); optional hints.
    public var valueInfo: [String: ValueInfo]

    public init(name: String = "", nodes: [Node] = [], inputs: [ValueInfo] = [], outputs: [ValueInfo] = [],
                initializers: [String: Tensor] = [:], valueInfo: [String: ValueInfo] = [:]) {
        self.name = name
        self.nodes = nodes
        self.inputs = inputs
        self.outputs = outputs
        self.initializers = initializers
        self.valueInfo = valueInfo
    }

    /// Orders nodes so every value is produced before it is used; reports a cycle
    /// or a value that nothing produces. `outerScope` names values visible from an
    /// enclosing graph (for subgraphs).
    public func sortTopologically(outerScope: Set<String> = []) throws(OutpostError) {
        var available = outerScope
        for i in inputs { available.insert(i.name) }
        for k in initializers.keys { available.insert(k) }
        var remaining = nodes
        var ordered = [Node]()
        ordered.reserveCapacity(nodes.count)
        while !remaining.isEmpty {
            var next = [Node]()
            var progressed = false
            for node in remaining {
                var ready = true
                for input in node.inputs where !input.isEmpty && !available.contains(input) {
                    ready = false
                    break
                }
                if ready {
                    ordered.append(node)
                    for o in node.outputs where !o.isEmpty { available.insert(o) }
                    progressed = true
                } else {
                    next.append(node)
                }
            }
            if !progressed {
                let node = next[0]
                var missing = ""
                for input in node.inputs where !input.isEmpty && !available.contains(input) {
                    missing = input
                    break
                }
                throw .invalidModel(String(outlined: "node '\(node.displayName)' (\(node.opType)) uses '\(missing)', which no node, input or initializer produces (or the graph has a cycle)"))
            }
            remaining = next
        }
        nodes = ordered
        for o in outputs where !available.contains(o.name) {
            throw .invalidModel(String(outlined: "graph output '\(o.name)' is never produced"))
        }
    }
}

/// A loaded model: the main graph plus the opset versions it was written for.
public final class Model {
    public var graph: Graph
    /// Opset version per domain ("" is the default ONNX domain).
    public var opsets: [String: Int]
    public var irVersion: Int
    public var producer: String
    /// Keeps the model file's memory map alive while tensors point into it.
    public var source: Buffer?
    // Descriptive ModelProto fields (for `outpost inspect`); empty when absent.
    public var producerVersion: String = ""
    public var domain: String = ""
    public var modelVersion: Int = 0
    public var docString: String = ""
    public var metadata: [String: String] = [:]

    public init(graph: Graph, opsets: [String: Int], irVersion: Int = 0, producer: String = "", source: Buffer? = nil) {
        self.graph = graph
        self.opsets = opsets
        self.irVersion = irVersion
        self.producer = producer
        self.source = source
    }

    /// Opset of the default ONNX domain.
    public var onnxOpset: Int { opsets[""] ?? opsets["ai.onnx"] ?? 0 }
}
