/// Constant: its value (value, value_float(s), value_int(s)) is a constant at
/// planning. The ONNX loader normally folds Constant nodes into initializers;
/// this covers graphs built by hand or left unfolded.
final class ConstantOperator: Operator {
    let value: Tensor

    init(_ node: Node, opset: Int) throws(OutpostError) {
        if let t = try node.tensor("value") {
            value = t
        } else if let f = try node.float("value_float") {
            value = Tensor(shape: [], floats: [f])
        } else if let fs = try node.floats("value_floats") {
            value = Tensor(shape: [fs.count], floats: fs)
        } else if let i = try node.int("value_int") {
            value = Tensor(shape: [], int64s: [Int64(i)])
        } else if let iv = try node.ints("value_ints") {
            var v = [Int64]()
            for i in iv { v.append(Int64(i)) }
            value = Tensor(shape: [iv.count], int64s: v)
        } else if node.attributes["value_string"] != nil || node.attributes["value_strings"] != nil {
            throw node.unsupported("value_string", "string tensors are not supported")
        } else if node.attributes["sparse_value"] != nil {
            throw node.unsupported("sparse_value", "sparse tensors are not supported")
        } else {
            throw node.invalid("Constant has no value attribute")
        }
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        [TensorType(value.dtype, value.shape)]
    }

    override func constantOutputs(_ inputs: [ValueType?]) throws(OutpostError) -> [Tensor]? { [value] }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        outputs[0].raw.copyMemory(from: value.raw, byteCount: value.byteCount)
    }
}
