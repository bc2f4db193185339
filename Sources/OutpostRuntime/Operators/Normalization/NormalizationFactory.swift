/// Normalisation operators (BatchNormalization, LayerNormalization,
/// InstanceNormalization, LpNormalization).
func makeNormalizationOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    switch node.opType {
    case "BatchNormalization": return try BatchNormalizationOperator(parsing: node, opset: opset)
    case "LayerNormalization": return try LayerNormalizationOperator(parsing: node, opset: opset)
    case "InstanceNormalization": return try InstanceNormalizationOperator(parsing: node, opset: opset)
    case "LpNormalization": return try LpNormalizationOperator(parsing: node, opset: opset)
    case "RMSNormalization": return try LayerNormalizationOperator(parsing: node, opset: opset, rms: true)
    case "GroupNormalization": return try GroupNormalizationOperator(parsing: node, opset: opset)
    case "MeanVarianceNormalization": return try MeanVarianceNormalizationOperator(parsing: node, opset: opset)
    case "LRN": return try LRNOperator(parsing: node, opset: opset)
    default: return nil
    }
}

extension Operator {
    /// Checks that input `index` is float32 (the normalisation ops compute in float32 only).
    func requireFloat(_ inputs: [ValueType?], _ index: Int) throws(OutpostError) -> ValueType {
        let v = try required(inputs, index)
        if v.dtype != .float32 { throw unsupportedType(v.dtype, input: index) }
        return v
    }
}
