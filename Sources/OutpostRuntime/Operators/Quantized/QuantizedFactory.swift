/// Quantized operators: the ONNX QOperator ops (QuantizeLinear, DequantizeLinear,
/// DynamicQuantizeLinear, QLinearConv, QLinearMatMul, MatMulInteger, ConvInteger)
/// and the com.microsoft ops onnxruntime's quantizer emits (QLinearAdd, QLinearMul,
/// QLinearSigmoid, QLinearLeakyRelu, QLinearSoftmax, QLinearGlobalAveragePool,
/// QLinearAveragePool (windows without padding), QLinearConcat, QGemm, and its
/// QuantizeLinear / DequantizeLinear twins).
func makeQuantizedOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    // Op types found by name in a table, then a jump on the index (as the other
    // factories: no String comparison per `case`).
    let microsoft = node.domain == "com.microsoft"
    guard microsoft || node.domain.isEmpty else { return nil }
    switch wordIndex(node.opType, in: quantizedOperatorNames) {
    case 0: return try QuantizeLinearOperator(node, opset: opset)  // QuantizeLinear
    case 1: return try DequantizeLinearOperator(node, opset: opset)  // DequantizeLinear
    case 2 where !microsoft: return DynamicQuantizeLinearOperator(node: node, opset: opset)  // DynamicQuantizeLinear
    case 3 where microsoft: return QLinearBinaryOperator(node: node, opset: opset, kind: .add)  // QLinearAdd
    case 4 where microsoft: return QLinearBinaryOperator(node: node, opset: opset, kind: .mul)  // QLinearMul
    case 5 where microsoft: return try QLinearLookupOperator(node: node, opset: opset, kind: .sigmoid)  // QLinearSigmoid
    case 6 where microsoft: return try QLinearLookupOperator(node: node, opset: opset, kind: .leakyRelu)  // QLinearLeakyRelu
    case 7 where microsoft: return try QLinearSoftmaxOperator(node, opset: opset)  // QLinearSoftmax
    case 8 where microsoft: return try QLinearGlobalAveragePoolOperator(node, opset: opset)  // QLinearGlobalAveragePool
    case 9 where microsoft: return try QLinearConcatOperator(node, opset: opset)  // QLinearConcat
    case 10 where microsoft: return try QLinearAveragePoolOperator(node, opset: opset)  // QLinearAveragePool
    default: return try makeQuantizedGemmOperator(node, opset: opset)
    }
}

/// makeQuantizedOperator's operators, in the order of its `switch`.
private let quantizedOperatorNames: StaticString = """
    QuantizeLinear DequantizeLinear DynamicQuantizeLinear QLinearAdd QLinearMul QLinearSigmoid \
    QLinearLeakyRelu QLinearSoftmax QLinearGlobalAveragePool QLinearConcat QLinearAveragePool
    """

/// The integer GEMM / convolution operators (on ok_qgemm / ok_qconv).
func makeQuantizedGemmOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    let microsoft = node.domain == "com.microsoft"
    guard microsoft || node.domain.isEmpty else { return nil }
    switch wordIndex(node.opType, in: quantizedGemmOperatorNames) {
    case 0: return try QuantizedMatMulOperator(node: node, opset: opset, kind: .qlinear)  // QLinearMatMul
    case 1 where !microsoft: return try QuantizedMatMulOperator(node: node, opset: opset, kind: .integer)  // MatMulInteger
    case 2: return try QuantizedConvOperator(node: node, opset: opset, kind: .qlinear)  // QLinearConv
    case 3 where !microsoft: return try QuantizedConvOperator(node: node, opset: opset, kind: .integer)  // ConvInteger
    case 4 where microsoft: return try QGemmOperator(node, opset: opset)  // QGemm
    default: return nil
    }
}

/// makeQuantizedGemmOperator's operators, in the order of its `switch`.
private let quantizedGemmOperatorNames: StaticString = "QLinearMatMul MatMulInteger QLinearConv ConvInteger QGemm"
