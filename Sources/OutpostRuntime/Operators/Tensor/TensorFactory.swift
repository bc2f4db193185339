/// Shape and data-movement operators (Reshape, Transpose, Concat, Slice, Gather, Pad, Resize...).
func makeTensorOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    switch node.opType {
    default: return nil
    }
}
