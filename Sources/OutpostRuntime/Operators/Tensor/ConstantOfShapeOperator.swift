/// ConstantOfShape: a tensor of the given (constant) shape filled with `value`
/// (a one-element tensor attribute; default float32 0).
final class ConstantOfShapeOperator: Operator {
    private let value: Tensor

    init(_ node: Node, opset: Int) throws(OutpostError) {
        value = try node.tensor("value") ?? Tensor(shape: [1], floats: [0])
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        guard value.count == 1 else { throw node.invalid("value must hold exactly one element") }
        let shape = try requiredConstant(inputs, 0, "shape").integerValues()
        for d in shape where d < 0 { throw node.shapeError("negative dimension in \(shape: shape)") }
        return [TensorType(value.dtype, shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        fillRepeating(outputs[0], value.raw)
    }
}

/// Writes the `y.dtype.size` bytes at `element` into every element of y.
func fillRepeating(_ y: Tensor, _ element: UnsafeRawPointer) {
    let es = y.dtype.size
    let n = y.count
    switch es {
    case 1: y.raw.initializeMemory(as: UInt8.self, repeating: element.load(as: UInt8.self), count: n)
    case 2: y.raw.initializeMemory(as: UInt16.self, repeating: element.loadUnaligned(as: UInt16.self), count: n)
    case 4: y.raw.initializeMemory(as: UInt32.self, repeating: element.loadUnaligned(as: UInt32.self), count: n)
    default: y.raw.initializeMemory(as: UInt64.self, repeating: element.loadUnaligned(as: UInt64.self), count: n)
    }
}
