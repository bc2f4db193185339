/// Creates the operator implementation for a node.
///
/// Each operator family has its own factory (Operators/*/…Factory.swift) that
/// returns nil for op types it does not know; this tries them in turn.
public func makeOperator(_ node: Node, opsets: [String: Int]) throws(OutpostError) -> Operator {
    let opset = opsets[node.domain] ?? (node.domain.isEmpty ? (opsets["ai.onnx"] ?? 0) : 1)
    if node.domain.isEmpty {
        if let op = try makeStructuralOperator(node, opset: opset) { return op }
        if let op = try makeElementwiseOperator(node, opset: opset) { return op }
        if let op = try makeTensorOperator(node, opset: opset) { return op }
        if let op = try makeNeuralOperator(node, opset: opset) { return op }
        if let op = try makePoolingOperator(node, opset: opset) { return op }
        if let op = try makeNormalizationOperator(node, opset: opset) { return op }
        if let op = try makeReductionOperator(node, opset: opset) { return op }
    }
    if node.domain.isEmpty || node.domain == "com.microsoft" {
        if let op = try makeQuantizedOperator(node, opset: opset) { return op }
    }
    throw .unsupportedOperator(op: node.opType, domain: node.domain, opset: opset, node: node.displayName)
}

/// Whether Outpost implements this op type (used by `inspect` and conformance to
/// tell "unsupported operator" apart from other failures).
public func isOperatorSupported(opType: String, domain: String) -> Bool {
    let probe = Node(name: "probe", opType: opType, domain: domain, inputs: [], outputs: [])
    do {
        var opsets = ["": 21]
        if !domain.isEmpty { opsets[domain] = 1 }
        _ = try makeOperator(probe, opsets: opsets)
        return true
    } catch {
        if case .unsupportedOperator = error { return false }
        return true  // known op that rejected the empty probe node
    }
}
