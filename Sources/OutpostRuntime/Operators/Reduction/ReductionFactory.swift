/// Reductions over axes (ReduceSum, ReduceMean, ...) and ArgMax/ArgMin.
func makeReductionOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    func reduce(_ k: ReduceOperator.Kind) throws(OutpostError) -> Operator { try ReduceOperator(node: node, opset: opset, kind: k) }
    switch node.opType {
    case "ReduceSum": return try reduce(.sum)
    case "ReduceMean": return try reduce(.mean)
    case "ReduceMax": return try reduce(.max)
    case "ReduceMin": return try reduce(.min)
    case "ReduceProd": return try reduce(.prod)
    case "ReduceL1": return try reduce(.l1)
    case "ReduceL2": return try reduce(.l2)
    case "ReduceSumSquare": return try reduce(.sumSquare)
    case "ReduceLogSum": return try reduce(.logSum)
    case "ReduceLogSumExp": return try reduce(.logSumExp)
    case "ArgMax": return try ArgReduceOperator(node: node, opset: opset, isMax: true)
    case "ArgMin": return try ArgReduceOperator(node: node, opset: opset, isMax: false)
    default: return nil
    }
}
