/// CenterCropPad (opset 18): per listed axis, crop the centre (start (dim - size) / 2)
/// or zero-pad around it (begin (size - dim) / 2). An AxisGather index map.
final class CenterCropPadOperator: Operator {
    private var gather: AxisGather?
    private let zero: UnsafeMutableRawPointer

    override init(node: Node, opset: Int) {
        zero = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
        zero.initializeMemory(as: UInt8.self, repeating: 0, count: 16)
        super.init(node: node, opset: opset)
    }

    deinit { zero.deallocate() }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        let rank = x.shape.count
        let sizes = try requiredConstant(inputs, 1, "shape").integerValues()
        var axes = [Int]()
        if let a = try node.ints("axes") {
            for v in a { axes.append(try normalizedAxis(v, rank: rank)) }
        } else {
            axes = Array(0..<rank)
        }
        guard sizes.count == axes.count else {
            throw node.shapeError("shape has \(sizes.count) entries for \(axes.count) axes")
        }
        var outShape = x.shape
        var begin = [Int](repeating: 0, count: rank)  // source index of output index 0
        for (i, a) in axes.enumerated() {
            let dim = x.shape[a], size = sizes[i]
            guard size >= 0 else { throw node.shapeError("negative size \(size)") }
            outShape[a] = size
            begin[a] = size <= dim ? (dim - size) / 2 : -((size - dim) / 2)
        }
        var indices = [[Int]]()
        for k in 0..<rank {
            var t = [Int]()
            for i in 0..<outShape[k] {
                let s = begin[k] + i
                t.append(s >= 0 && s < x.shape[k] ? s : -1)
            }
            indices.append(t)
        }
        gather = AxisGather(outShape: outShape, indices: indices, strides: Tensor.strides(of: x.shape),
                            elementSize: x.dtype.size)
        return [TensorType(x.dtype, outShape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0], let g = gather else { return }
        g.run(outputs[0].raw, x.raw, fill: zero)
    }
}
