/// Pooling operators (MaxPool, AveragePool, LpPool, GlobalAveragePool, GlobalMaxPool).
func makePoolingOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    // One scan of a name table, then a jump on the index, instead of a String
    // comparison per `case` (as for the element-wise operators).
    guard let index = wordIndex(node.opType, in: poolingOperatorNames) else { return nil }
    switch index {
    case 0: return PoolOperator(node: node, opset: opset, kind: .max)  // MaxPool
    case 1: return PoolOperator(node: node, opset: opset, kind: .average)  // AveragePool
    case 2: return PoolOperator(node: node, opset: opset, kind: .lp)  // LpPool
    case 3: return GlobalPoolOperator(node: node, opset: opset, isMax: false)  // GlobalAveragePool
    case 4: return GlobalPoolOperator(node: node, opset: opset, isMax: true)  // GlobalMaxPool
    default: return nil
    }
}

/// makePoolingOperator's operators, in the order of its `switch`.
private let poolingOperatorNames: StaticString = """
    MaxPool AveragePool LpPool GlobalAveragePool GlobalMaxPool
    """
