/// Quantized operators: the ONNX QOperator ops (QuantizeLinear, DequantizeLinear,
/// DynamicQuantizeLinear, QLinearConv, QLinearMatMul, MatMulInteger, ConvInteger)
/// and the com.microsoft ops onnxruntime's quantizer emits (QLinearAdd, QLinearMul,
/// QLinearSigmoid, QLinearLeakyRelu, QLinearSoftmax, QLinearGlobalAveragePool,
/// QLinearConcat, QGemm, and its QuantizeLinear / DequantizeLinear twins).
func makeQuantizedOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    if node.domain.isEmpty {
        switch node.opType {
        case "QuantizeLinear": return try QuantizeLinearOperator(node, opset: opset)
        case "DequantizeLinear": return try DequantizeLinearOperator(node, opset: opset)
        case "DynamicQuantizeLinear": return DynamicQuantizeLinearOperator(node: node, opset: opset)
        default: break
        }
        return try makeQuantizedGemmOperator(node, opset: opset)
    }
    guard node.domain == "com.microsoft" else { return nil }
    switch node.opType {
    case "QuantizeLinear": return try QuantizeLinearOperator(node, opset: opset)
    case "DequantizeLinear": return try DequantizeLinearOperator(node, opset: opset)
    case "QLinearAdd": return QLinearBinaryOperator(node: node, opset: opset, kind: .add)
    case "QLinearMul": return QLinearBinaryOperator(node: node, opset: opset, kind: .mul)
    case "QLinearSigmoid": return try QLinearLookupOperator(node: node, opset: opset, kind: .sigmoid)
    case "QLinearLeakyRelu": return try QLinearLookupOperator(node: node, opset: opset, kind: .leakyRelu)
    case "QLinearSoftmax": return try QLinearSoftmaxOperator(node, opset: opset)
    case "QLinearGlobalAveragePool": return try QLinearGlobalAveragePoolOperator(node, opset: opset)
    case "QLinearConcat": return try QLinearConcatOperator(node, opset: opset)
    default: return try makeQuantizedGemmOperator(node, opset: opset)
    }
}

/// The integer GEMM / convolution operators (on ok_qgemm / ok_qconv).
func makeQuantizedGemmOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    switch (node.domain, node.opType) {
    case ("", "QLinearMatMul"), ("com.microsoft", "QLinearMatMul"):
        return try QuantizedMatMulOperator(node: node, opset: opset, kind: .qlinear)
    case ("", "MatMulInteger"): return try QuantizedMatMulOperator(node: node, opset: opset, kind: .integer)
    case ("", "QLinearConv"), ("com.microsoft", "QLinearConv"):
        return try QuantizedConvOperator(node: node, opset: opset, kind: .qlinear)
    case ("", "ConvInteger"): return try QuantizedConvOperator(node: node, opset: opset, kind: .integer)
    case ("com.microsoft", "QGemm"): return try QGemmOperator(node, opset: opset)
    default: return nil
    }
}
