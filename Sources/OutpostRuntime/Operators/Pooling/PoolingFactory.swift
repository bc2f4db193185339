/// Pooling operators (MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool).
func makePoolingOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    switch node.opType {
    default: return nil
    }
}
