/// Normalisation operators (BatchNormalization, LayerNormalization,
/// InstanceNormalization, LpNormalization).
func makeNormalizationOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    // One scan of a name table, then a jump on the index, instead of a String
    // comparison per `case` (as for the element-wise operators).
    guard let index = wordIndex(node.opType, in: normalizationOperatorNames) else { return nil }
    switch index {
    case 0: return try BatchNormalizationOperator(parsing: node, opset: opset)  // BatchNormalization
    case 1: return try LayerNormalizationOperator(parsing: node, opset: opset)  // LayerNormalization
    case 2: return try InstanceNormalizationOperator(parsing: node, opset: opset)  // InstanceNormalization
    case 3: return try LpNormalizationOperator(parsing: node, opset: opset)  // LpNormalization
    case 4: return try LayerNormalizationOperator(parsing: node, opset: opset, rms: true)  // RMSNormalization
    case 5: return try GroupNormalizationOperator(parsing: node, opset: opset)  // GroupNormalization
    case 6: return try MeanVarianceNormalizationOperator(parsing: node, opset: opset)  // MeanVarianceNormalization
    case 7: return try LRNOperator(parsing: node, opset: opset)  // LRN
    default: return nil
    }
}

/// makeNormalizationOperator's operators, in the order of its `switch`.
private let normalizationOperatorNames: StaticString = """
    BatchNormalization LayerNormalization InstanceNormalization LpNormalization RMSNormalization \
    GroupNormalization MeanVarianceNormalization LRN
    """

extension Operator {
    /// Checks that input `index` is float32 (the normalisation ops compute in float32 only).
    func requireFloat(_ inputs: [ValueType?], _ index: Int) throws(OutpostError) -> ValueType {
        let v = try required(inputs, index)
        if v.dtype != .float32 { throw unsupportedType(v.dtype, input: index) }
        return v
    }
}
