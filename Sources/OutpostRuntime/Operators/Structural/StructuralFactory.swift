/// Operators that only move or relabel data: Identity and friends, and Constant.
func makeStructuralOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    switch node.opType {
    case "Identity": return IdentityOperator(node: node, opset: opset)
    case "Dropout": return DropoutOperator(node: node, opset: opset)
    case "Constant": return try ConstantOperator(node, opset: opset)
    default: return nil
    }
}
