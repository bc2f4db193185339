/// Compute-heavy neural-network operators on the C kernels (Conv, Gemm, MatMul, pooling, normalisation).
func makeNeuralOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    switch node.opType {
    case "Conv": return try ConvOperator(node: node, opset: opset, attributes: ConvAttributes(node: node))
    case "ConvTranspose": return try ConvTransposeOperator(node: node, opset: opset, attributes: ConvAttributes(node: node))
    case "Gemm": return try GemmOperator(node: node, opset: opset, activation: FusedActivation(node: node))
    case "MatMul": return try MatMulOperator(node: node, opset: opset, activation: FusedActivation(node: node))
    default: return nil
    }
}
