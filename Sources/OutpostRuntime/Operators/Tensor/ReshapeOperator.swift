/// Reshape, Flatten, Squeeze and Unsqueeze: the output is the input's bytes with
/// another shape, so the planner aliases it (no copy, `run` never called).
final class ReshapeOperator: Operator {
    enum Kind { case reshape, flatten, squeeze, unsqueeze }
    let kind: Kind

    init(node: Node, opset: Int, kind: Kind) {
        self.kind = kind
        super.init(node: node, opset: opset)
    }

    override var aliasesInput: Bool { true }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        let shape: [Int]
        switch kind {
        case .reshape: shape = try reshape(x, inputs)
        case .flatten:
            let axis = try node.int("axis", default: 1)
            let a = axis < 0 ? axis + x.shape.count : axis
            guard a >= 0, a <= x.shape.count else {
                throw node.shapeError("axis \(axis) is out of range for rank \(x.shape.count)")
            }
            var outer = 1
            for d in x.shape.prefix(a) { outer *= d }
            var inner = 1
            for d in x.shape.dropFirst(a) { inner *= d }
            shape = [outer, inner]
        case .squeeze:
            let rank = x.shape.count
            if let axes = try intsFromAttributeOrInput("axes", inputs, 1) {
                var drop = [Bool](repeating: false, count: rank)
                for a in axes {
                    let k = try normalizedAxis(a, rank: rank, "squeeze axis")
                    guard x.shape[k] == 1 else {
                        throw node.shapeError("cannot squeeze axis \(a) of size \(x.shape[k]) (input \(shape: x.shape))")
                    }
                    drop[k] = true
                }
                var s = [Int]()
                for k in 0..<rank where !drop[k] { s.append(x.shape[k]) }
                shape = s
            } else {
                var s = [Int]()
                for d in x.shape where d != 1 { s.append(d) }
                shape = s
            }
        case .unsqueeze:
            guard let axes = try intsFromAttributeOrInput("axes", inputs, 1) else {
                throw node.invalid("Unsqueeze needs axes")
            }
            let rank = x.shape.count + axes.count
            var insert = [Bool](repeating: false, count: rank)
            for a in axes {
                let k = try normalizedAxis(a, rank: rank, "unsqueeze axis")
                guard !insert[k] else { throw node.shapeError("axis \(a) is repeated") }
                insert[k] = true
            }
            var s = [Int]()
            var next = 0
            for k in 0..<rank {
                if insert[k] {
                    s.append(1)
                } else {
                    s.append(x.shape[next])
                    next += 1
                }
            }
            shape = s
        }
        return [TensorType(x.dtype, shape)]
    }

    private func reshape(_ x: ValueType, _ inputs: [ValueType?]) throws(OutpostError) -> [Int] {
        // Opset 1-4 carried the shape as an attribute; later it is input 1.
        guard let target = try intsFromAttributeOrInput("shape", inputs, 1) else {
            throw node.invalid("Reshape needs a shape")
        }
        let allowZero = try node.int("allowzero", default: 0) != 0
        var shape = [Int]()
        var inferred = -1
        var known = 1
        for (i, d) in target.enumerated() {
            if d == -1 {
                guard inferred < 0 else { throw node.shapeError("more than one -1 in shape \(shape: target)") }
                inferred = i
                shape.append(1)
            } else if d == 0 && !allowZero {
                guard i < x.shape.count else {
                    throw node.shapeError("0 at position \(i) of shape \(shape: target) copies a dimension the input \(shape: x.shape) does not have")
                }
                shape.append(x.shape[i])
                known *= x.shape[i]
            } else if d < 0 {
                throw node.shapeError("invalid dimension \(d) in shape \(shape: target)")
            } else {
                shape.append(d)
                known *= d
            }
        }
        if inferred >= 0 {
            guard known > 0, x.count % known == 0 else {
                throw node.shapeError("cannot reshape \(shape: x.shape) to \(shape: target)")
            }
            shape[inferred] = x.count / known
        }
        guard Tensor.elementCount(shape) == x.count else {
            throw node.shapeError("cannot reshape \(shape: x.shape) (\(x.count) elements) to \(shape: shape)")
        }
        return shape
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        copyBytes(outputs[0], x)
    }
}
