/// NonZero: the output's shape depends on the input's values. Outpost plans static
/// shapes, so it is only supported when the input is known at planning (then
/// the node folds to a constant); otherwise planning fails with a clear error.
final class NonZeroOperator: Operator {
    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        guard let c = x.constant else {
            throw node.unsupported("input", "NonZero's output shape depends on the input values, which are only known at run time (Outpost plans static shapes)")
        }
        return [TensorType(.int64, [x.shape.count, nonZeroCount(c)])]
    }

    private func nonZeroCount(_ c: Tensor) -> Int {
        var n = 0
        for i in 0..<c.count where c.float(at: i) != 0 { n += 1 }
        return n
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        let y = outputs[0].pointer(Int64.self)
        let rank = x.shape.count
        let n = outputs[0].shape[1]
        let strides = x.strides
        var col = 0
        for e in 0..<x.count where x.float(at: e) != 0 {
            var rest = e
            for k in 0..<rank {
                y[k * n + col] = Int64(rest / strides[k])
                rest %= strides[k]
            }
            col += 1
        }
    }
}
