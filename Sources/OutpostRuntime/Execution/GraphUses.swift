/// Who reads and who writes each value: what the graph rewrites (GraphOptimizer's
/// passes, QDQFolding, QLinearSiLUFusion, IntegerConvScaleFusion,
/// DynamicQuantizeReluFold) check before fusing nodes, and how they drop the nodes a
/// fusion absorbed.
extension Graph {
    /// How many nodes read each value (graph outputs count as a reader).
    func consumerCounts() -> [String: Int] {
        var counts = [String: Int]()
        for node in nodes {
            for input in node.inputs where !input.isEmpty { counts[input, default: 0] += 1 }
        }
        for output in outputs { counts[output.name, default: 0] += 1 }
        return counts
    }

    /// Index of the node producing each value.
    func producers() -> [String: Int] {
        var map = [String: Int]()
        for (i, node) in nodes.enumerated() {
            for o in node.outputs where !o.isEmpty { map[o] = i }
        }
        return map
    }

    /// Drops the nodes at these indices (the ones a rewrite absorbed), keeping the
    /// others in order.
    func removeNodes(_ indices: NodeIndexSet) {
        if indices.isEmpty { return }
        nodes = nodes.enumerated().filter { !indices.contains($0.offset) }.map { $0.element }
    }
}
