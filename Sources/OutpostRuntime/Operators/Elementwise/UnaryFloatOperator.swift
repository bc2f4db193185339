/// Float unary functions applied element by element.
final class UnaryFloatOperator: Operator {
    enum Function {
        case relu
    }

    let function: Function

    init(node: Node, opset: Int, function: Function) {
        self.function = function
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        try requireDType(x, [.float32], "input")
        return [TensorType(x.dtype, x.shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        let src = x.floats, dst = outputs[0].floats
        let n = x.count
        switch function {
        case .relu:
            for i in 0..<n { dst[i] = src[i] > 0 ? src[i] : 0 }
        }
    }
}
