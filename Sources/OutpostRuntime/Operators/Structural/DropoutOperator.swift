/// Dropout at inference: the identity (ratio ignored), with an all-true mask when
/// the optional mask output is requested. Training mode (the `training_mode`
/// input of opset 12+, or `is_test = 0` before opset 7) drops random elements,
/// which an inference runtime does not do: it is reported as unsupported —
/// except with ratio 0, where training mode is the identity too.
final class DropoutOperator: Operator {
    private var trainingModeIsInput = false

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        if inputs.count > 2, let t = inputs[2] {
            if let c = t.constant {
                if c.count > 0 && c.integer(at: 0) != 0 {
                    guard let r = inputs[1]?.constant, r.count > 0, r.float(at: 0) == 0 else { throw trainingUnsupported() }
                }
            } else {
                trainingModeIsInput = true
            }
        }
        var out = [TensorType(x.dtype, x.shape)]
        if node.outputs.count > 1 && !node.outputs[1].isEmpty { out.append(TensorType(.bool, x.shape)) }
        return out
    }

    private func trainingUnsupported() -> OutpostError {
        node.unsupported("training_mode", "training-mode dropout is random; Outpost runs inference only")
    }

    // A view of the input unless a mask or a run-time training flag needs a real run.
    override var aliasesInput: Bool { (node.outputs.count == 1 || node.outputs[1].isEmpty) && !trainingModeIsInput }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        if inputs.count > 2, let t = inputs[2], t.count > 0, t.integer(at: 0) != 0 {
            guard let r = inputs[1], r.count > 0, r.float(at: 0) == 0 else { throw trainingUnsupported() }
        }
        outputs[0].raw.copyMemory(from: x.raw, byteCount: x.byteCount)
        if outputs.count > 1 {
            outputs[1].raw.initializeMemory(as: UInt8.self, repeating: 1, count: outputs[1].count)
        }
    }
}
