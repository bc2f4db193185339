/// Identity: output 0 is a view of input 0 (the planner aliases it; `run` only
/// executes when the input is a constant being folded).
final class IdentityOperator: Operator {
    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        return [TensorType(x.dtype, x.shape)]
    }

    override var aliasesInput: Bool { true }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        outputs[0].raw.copyMemory(from: x.raw, byteCount: x.byteCount)
    }
}
