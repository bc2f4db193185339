/// Dropout at inference: the identity (aliased) plus an all-true mask when asked.
/// With training_mode true (opset 12+) and a non-zero ratio the output would be
/// random; Outpost is an inference runtime and reports that as unsupported.
final class DropoutOperator: Operator {
    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        if inputs.count > 2, inputs[2] != nil {
            let training = try requiredConstant(inputs, 2, "training_mode")
            var ratio: Float = 0.5
            if inputs.count > 1, inputs[1] != nil { ratio = try requiredConstant(inputs, 1, "ratio").float(at: 0) }
            if training.integer(at: 0) != 0 && ratio != 0 {
                throw node.unsupported("training_mode", "training-mode Dropout (random masking, ratio \(ratio)) is not supported by an inference runtime")
            }
        }
        var out = [TensorType(x.dtype, x.shape)]
        if node.outputs.count > 1 && !node.outputs[1].isEmpty { out.append(TensorType(.bool, x.shape)) }
        return out
    }

    override var aliasesInput: Bool { node.outputs.count == 1 || node.outputs[1].isEmpty }

    override var isDeterministic: Bool { true }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        if outputs[0].raw != x.raw { outputs[0].raw.copyMemory(from: x.raw, byteCount: x.byteCount) }
        if outputs.count > 1 {
            outputs[1].raw.initializeMemory(as: UInt8.self, repeating: 1, count: outputs[1].count)
        }
    }
}
