/// Element-wise operators: unary math, activations, broadcasting binary ops, comparisons.
func makeElementwiseOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    switch node.opType {
    case "Relu": return UnaryFloatOperator(node: node, opset: opset, function: .relu)
    default: return nil
    }
}
