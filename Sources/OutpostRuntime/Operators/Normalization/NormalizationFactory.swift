/// Normalisation operators (BatchNormalization, LayerNormalization, InstanceNormalization).
func makeNormalizationOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    switch node.opType {
    default: return nil
    }
}
