/// Identity: output 0 is a view of input 0.
final class IdentityOperator: Operator {
    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        var out = [TensorType(x.dtype, x.shape)]
        if node.outputs.count > 1 { out.append(TensorType(.bool, x.shape)) }
        return out
    }

    // Only alias when there is a single output; Dropout's mask needs a real run.
    override var aliasesInput: Bool { node.outputs.count == 1 }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        outputs[0].raw.copyMemory(from: x.raw, byteCount: x.byteCount)
        if outputs.count > 1 {
            outputs[1].raw.initializeMemory(as: UInt8.self, repeating: 1, count: outputs[1].count)
        }
    }
}
