/// Compute-heavy neural-network operators on the C kernels (Conv, Gemm, MatMul, pooling, normalisation).
func makeNeuralOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    switch node.opType {
    default: return nil
    }
}
