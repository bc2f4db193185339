/// Pooling operators (MaxPool, AveragePool, LpPool, GlobalAveragePool, GlobalMaxPool).
func makePoolingOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    switch node.opType {
    case "MaxPool": return PoolOperator(node: node, opset: opset, kind: .max)
    case "AveragePool": return PoolOperator(node: node, opset: opset, kind: .average)
    case "LpPool": return PoolOperator(node: node, opset: opset, kind: .lp)
    case "GlobalAveragePool": return GlobalPoolOperator(node: node, opset: opset, isMax: false)
    case "GlobalMaxPool": return GlobalPoolOperator(node: node, opset: opset, isMax: true)
    default: return nil
    }
}
