/// Reductions over axes (ReduceSum, ReduceMean, ...) and ArgMax/ArgMin.
func makeReductionOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    func reduce(_ k: ReduceOperator.Kind) throws(OutpostError) -> Operator { try ReduceOperator(node: node, opset: opset, kind: k) }
    // One scan of a name table, then a jump on the index, instead of a String
    // comparison per `case` (as for the element-wise operators).
    guard let index = wordIndex(node.opType, in: reductionOperatorNames) else { return nil }
    switch index {
    case 0: return try reduce(.sum)  // ReduceSum
    case 1: return try reduce(.mean)  // ReduceMean
    case 2: return try reduce(.max)  // ReduceMax
    case 3: return try reduce(.min)  // ReduceMin
    case 4: return try reduce(.prod)  // ReduceProd
    case 5: return try reduce(.l1)  // ReduceL1
    case 6: return try reduce(.l2)  // ReduceL2
    case 7: return try reduce(.sumSquare)  // ReduceSumSquare
    case 8: return try reduce(.logSum)  // ReduceLogSum
    case 9: return try reduce(.logSumExp)  // ReduceLogSumExp
    case 10: return try ArgReduceOperator(node: node, opset: opset, isMax: true)  // ArgMax
    case 11: return try ArgReduceOperator(node: node, opset: opset, isMax: false)  // ArgMin
    default: return nil
    }
}

/// makeReductionOperator's operators, in the order of its `switch`.
private let reductionOperatorNames: StaticString = """
    ReduceSum ReduceMean ReduceMax ReduceMin ReduceProd ReduceL1 ReduceL2 ReduceSumSquare ReduceLogSum \
    ReduceLogSumExp ArgMax ArgMin
    """
