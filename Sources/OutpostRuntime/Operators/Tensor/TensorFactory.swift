/// Shape and data-movement operators (Reshape, Transpose, Concat, Slice, Gather, Pad, Resize...).
func makeTensorOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    switch node.opType {
    case "Reshape": return ReshapeOperator(node: node, opset: opset, kind: .reshape)
    case "Flatten": return ReshapeOperator(node: node, opset: opset, kind: .flatten)
    case "Squeeze": return ReshapeOperator(node: node, opset: opset, kind: .squeeze)
    case "Unsqueeze": return ReshapeOperator(node: node, opset: opset, kind: .unsqueeze)
    case "Transpose": return TransposeOperator(node: node, opset: opset)
    case "Concat": return ConcatOperator(node: node, opset: opset)
    case "Split": return SplitOperator(node: node, opset: opset)
    case "Slice": return SliceOperator(node: node, opset: opset)
    case "Gather": return GatherOperator(node: node, opset: opset)
    case "GatherElements": return GatherElementsOperator(node: node, opset: opset)
    case "GatherND": return GatherNDOperator(node: node, opset: opset)
    case "CenterCropPad": return CenterCropPadOperator(node: node, opset: opset)
    case "Shape": return ShapeOperator(node: node, opset: opset, kind: .shape)
    case "Size": return ShapeOperator(node: node, opset: opset, kind: .size)
    case "ConstantOfShape": return try ConstantOfShapeOperator(node, opset: opset)
    case "Expand": return ExpandOperator(node: node, opset: opset, kind: .expand)
    case "Tile": return ExpandOperator(node: node, opset: opset, kind: .tile)
    case "Range": return RangeOperator(node: node, opset: opset)
    case "Pad": return PadOperator(node: node, opset: opset)
    case "Resize", "Upsample": return ResizeOperator(node: node, opset: opset)
    case "DepthToSpace": return DepthToSpaceOperator(node: node, opset: opset, toSpace: true)
    case "SpaceToDepth": return DepthToSpaceOperator(node: node, opset: opset, toSpace: false)
    case "Trilu": return TriluOperator(node: node, opset: opset)
    case "OneHot": return OneHotOperator(node: node, opset: opset)
    case "NonZero": return NonZeroOperator(node: node, opset: opset)
    default: return nil
    }
}
