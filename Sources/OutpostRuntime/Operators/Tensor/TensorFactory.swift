/// Shape and data-movement operators (Reshape, Transpose, Concat, Slice, Gather, Pad, Resize...).
func makeTensorOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    // One scan of a name table, then a jump on the index, instead of a String
    // comparison per `case` (as for the element-wise operators).
    guard let index = wordIndex(node.opType, in: tensorOperatorNames) else { return nil }
    switch index {
    case 0: return ReshapeOperator(node: node, opset: opset, kind: .reshape)  // Reshape
    case 1: return ReshapeOperator(node: node, opset: opset, kind: .flatten)  // Flatten
    case 2: return ReshapeOperator(node: node, opset: opset, kind: .squeeze)  // Squeeze
    case 3: return ReshapeOperator(node: node, opset: opset, kind: .unsqueeze)  // Unsqueeze
    case 4: return TransposeOperator(node: node, opset: opset)  // Transpose
    case 5: return ConcatOperator(node: node, opset: opset)  // Concat
    case 6: return SplitOperator(node: node, opset: opset)  // Split
    case 7: return SliceOperator(node: node, opset: opset)  // Slice
    case 8: return GatherOperator(node: node, opset: opset)  // Gather
    case 9: return GatherElementsOperator(node: node, opset: opset)  // GatherElements
    case 10: return GatherNDOperator(node: node, opset: opset)  // GatherND
    case 11: return CenterCropPadOperator(node: node, opset: opset)  // CenterCropPad
    case 12: return ShapeOperator(node: node, opset: opset, kind: .shape)  // Shape
    case 13: return ShapeOperator(node: node, opset: opset, kind: .size)  // Size
    case 14: return try ConstantOfShapeOperator(node, opset: opset)  // ConstantOfShape
    case 15: return ExpandOperator(node: node, opset: opset, kind: .expand)  // Expand
    case 16: return ExpandOperator(node: node, opset: opset, kind: .tile)  // Tile
    case 17: return RangeOperator(node: node, opset: opset)  // Range
    case 18: return PadOperator(node: node, opset: opset)  // Pad
    case 19, 20: return ResizeOperator(node: node, opset: opset)  // Resize, Upsample
    case 21: return DepthToSpaceOperator(node: node, opset: opset, toSpace: true)  // DepthToSpace
    case 22: return DepthToSpaceOperator(node: node, opset: opset, toSpace: false)  // SpaceToDepth
    case 23: return TriluOperator(node: node, opset: opset)  // Trilu
    case 24: return OneHotOperator(node: node, opset: opset)  // OneHot
    case 25: return NonZeroOperator(node: node, opset: opset)  // NonZero
    default: return nil
    }
}

/// makeTensorOperator's operators, in the order of its `switch`.
private let tensorOperatorNames: StaticString = """
    Reshape Flatten Squeeze Unsqueeze Transpose Concat Split Slice Gather GatherElements GatherND \
    CenterCropPad Shape Size ConstantOfShape Expand Tile Range Pad Resize Upsample DepthToSpace \
    SpaceToDepth Trilu OneHot NonZero
    """
