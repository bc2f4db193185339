/// Slice: starts/ends/axes as attributes before opset 10, inputs (plus steps)
/// after. Indices are clamped as ONNX says; negative steps walk backwards. The
/// copy is a strided gather planned once.
final class SliceOperator: Operator {
    private var gather: AxisGather?

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        let rank = x.shape.count
        let starts: [Int], ends: [Int]
        var axes: [Int]? = nil
        var steps: [Int]? = nil
        if opset < 10 {
            guard let s = try node.ints("starts"), let e = try node.ints("ends") else {
                throw node.invalid("Slice needs starts and ends")
            }
            starts = s
            ends = e
            axes = try node.ints("axes")
        } else {
            starts = try requiredConstant(inputs, 1, "starts").integerValues()
            ends = try requiredConstant(inputs, 2, "ends").integerValues()
            if inputs.count > 3, inputs[3] != nil { axes = try requiredConstant(inputs, 3, "axes").integerValues() }
            if inputs.count > 4, inputs[4] != nil { steps = try requiredConstant(inputs, 4, "steps").integerValues() }
        }
        guard starts.count == ends.count else {
            throw node.shapeError("starts has \(starts.count) entries but ends has \(ends.count)")
        }
        if let a = axes, a.count != starts.count {
            throw node.shapeError("axes has \(a.count) entries for \(starts.count) starts")
        }
        if let s = steps, s.count != starts.count {
            throw node.shapeError("steps has \(s.count) entries for \(starts.count) starts")
        }
        var start = [Int](repeating: 0, count: rank)
        var step = [Int](repeating: 1, count: rank)
        var outShape = x.shape
        var seen = [Bool](repeating: false, count: rank)
        for i in 0..<starts.count {
            let axis = try normalizedAxis(axes.map { $0[i] } ?? i, rank: rank)
            guard !seen[axis] else { throw node.shapeError("axis \(axis) appears twice") }
            seen[axis] = true
            let dim = x.shape[axis]
            let st = steps.map { $0[i] } ?? 1
            guard st != 0 else { throw node.shapeError("step 0 on axis \(axis)") }
            var b = starts[i], e = ends[i]
            if b < 0 { b += dim }
            if e < 0 { e += dim }
            let count: Int
            if st > 0 {
                b = min(max(b, 0), dim)
                e = min(max(e, 0), dim)
                count = e > b ? (e - b + st - 1) / st : 0
            } else {
                b = min(max(b, 0), dim - 1)
                e = min(max(e, -1), dim - 1)
                count = b > e ? (b - e - st - 1) / -st : 0
            }
            start[axis] = b
            step[axis] = st
            outShape[axis] = count
        }
        gather = AxisGather(outShape: outShape, start: start, step: step, strides: Tensor.strides(of: x.shape),
                            elementSize: x.dtype.size)
        return [TensorType(x.dtype, outShape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0], let g = gather else { return }
        g.run(outputs[0].raw, x.raw, fill: x.raw)
    }
}
