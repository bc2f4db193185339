/// Relu → DynamicQuantizeLinear, where quantize_dynamic's layers meet (a layer's float
/// output, rectified, is quantized for the next one), becomes one DynamicQuantizeLinear
/// on the Relu's input with the attribute `outpost.rectified`: one step and one pass over
/// the float activations fewer per layer. Exact, output for output:
///
/// - after a Relu, min(0, min(y)) = 0, so y_zero_point = 0, and max(0, max(y)) =
///   max(0, max(x)): the scale comes from x's own maximum with the minimum taken as 0;
/// - with zero point 0 and the uint8 range, saturate(round(v / scale)) is 0 for every
///   v ≤ 0, which is what the Relu's 0 gives; NaN quantizes to 0 with or without the
///   Relu (and is skipped by the range, as 0 or NaN would be).
///
/// Fires only when the Relu's output has no other reader and is not a graph output.
struct DynamicQuantizeReluFold {
    let graph: Graph

    static let attribute = "outpost.rectified"

    func run() {
        let counts = graph.consumerCounts(), producer = graph.producers()
        var removed = NodeIndexSet()
        for (i, node) in graph.nodes.enumerated()
        where node.opType == "DynamicQuantizeLinear" && node.domain.isEmpty && node.inputs.count == 1
            && node.attributes[DynamicQuantizeReluFold.attribute] == nil {
            let y = node.inputs[0]
            guard counts[y] == 1, let r = producer[y], !removed.contains(r) else { continue }
            let relu = graph.nodes[r]
            guard relu.opType == "Relu", relu.domain.isEmpty, relu.inputs.count == 1, relu.outputs.count == 1,
                  !relu.inputs[0].isEmpty else { continue }
            var fused = node
            fused.inputs = relu.inputs
            fused.attributes[DynamicQuantizeReluFold.attribute] = .int(1)
            graph.nodes[i] = fused
            removed.insert(r)
        }
        graph.removeNodes(removed)
    }
}
