/// Pad: constant, reflect, edge and wrap modes; negative pads crop. Pads come
/// from the `pads` attribute before opset 11 and from input 1 after (with
/// optional constant_value input 2 and, from opset 18, axes input 3). Each mode
/// is a per-axis source-index map (-1 = fill) for AxisGather.
final class PadOperator: Operator {
    private var gather: AxisGather?
    private let fill: UnsafeMutableRawPointer
    private var mode = "constant"

    override init(node: Node, opset: Int) {
        fill = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
        fill.initializeMemory(as: UInt8.self, repeating: 0, count: 16)
        super.init(node: node, opset: opset)
    }

    deinit { fill.deallocate() }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        let rank = x.shape.count
        mode = try node.string("mode", default: "constant")
        var pads: [Int]
        if opset < 11 {
            var given = try node.ints("pads")
            if given == nil { given = try node.ints("paddings") }  // opset 1
            guard let p = given else { throw node.invalid("Pad needs pads") }
            pads = p
            let value = try node.float("value", default: 0)
            storeFill(value, x.dtype)
        } else {
            pads = try requiredConstant(inputs, 1, "pads").integerValues()
        }
        // Expand pads given for `axes` only to every axis.
        if inputs.count > 3, inputs[3] != nil {
            let axes = try requiredConstant(inputs, 3, "axes").integerValues()
            guard pads.count == 2 * axes.count else {
                throw node.shapeError("pads has \(pads.count) entries for \(axes.count) axes")
            }
            var full = [Int](repeating: 0, count: 2 * rank)
            for (i, a) in axes.enumerated() {
                let k = try normalizedAxis(a, rank: rank)
                full[k] = pads[i]
                full[rank + k] = pads[axes.count + i]
            }
            pads = full
        }
        guard pads.count == 2 * rank else {
            throw node.shapeError("pads has \(pads.count) entries for rank \(rank) (expected \(2 * rank))")
        }
        var outShape = [Int]()
        var indices = [[Int]]()
        for k in 0..<rank {
            let dim = x.shape[k], begin = pads[k], end = pads[rank + k]
            let n = dim + begin + end
            guard n >= 0 else { throw node.shapeError("pads \(begin), \(end) remove more than axis \(k) has (\(dim))") }
            outShape.append(n)
            var t = [Int]()
            t.reserveCapacity(n)
            for i in 0..<n {
                var s = i - begin
                if s < 0 || s >= dim {
                    switch mode {
                    case "constant": s = -1
                    case "edge":
                        guard dim > 0 else { throw node.shapeError("edge padding of an empty axis") }
                        s = s < 0 ? 0 : dim - 1
                    case "wrap":
                        guard dim > 0 else { throw node.shapeError("wrap padding of an empty axis") }
                        s = ((s % dim) + dim) % dim
                    case "reflect":
                        if dim == 1 {
                            s = 0
                        } else {
                            guard dim > 0 else { throw node.shapeError("reflect padding of an empty axis") }
                            let period = 2 * (dim - 1)
                            s = ((s % period) + period) % period
                            if s >= dim { s = period - s }
                        }
                    default:
                        throw node.unsupported("mode", "'\(mode)' is not one of constant, reflect, edge, wrap")
                    }
                }
                t.append(s)
            }
            indices.append(t)
        }
        gather = AxisGather(outShape: outShape, indices: indices, strides: Tensor.strides(of: x.shape),
                            elementSize: x.dtype.size)
        return [TensorType(x.dtype, outShape)]
    }

    private func storeFill(_ value: Float, _ dtype: DType) {
        switch dtype {
        case .float32: fill.storeBytes(of: value, as: Float.self)
        case .float16: fill.storeBytes(of: Float16Bits.fromFloat(value), as: UInt16.self)
        case .int64: fill.storeBytes(of: Int64(value), as: Int64.self)
        case .int32: fill.storeBytes(of: Int32(value), as: Int32.self)
        case .int8: fill.storeBytes(of: Int8(value), as: Int8.self)
        case .uint8: fill.storeBytes(of: UInt8(value), as: UInt8.self)
        case .bool: fill.storeBytes(of: UInt8(value != 0 ? 1 : 0), as: UInt8.self)
        }
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0], let g = gather else { return }
        var value = UnsafeRawPointer(fill)
        if opset >= 11, inputs.count > 2, let c = inputs[2], c.count > 0 { value = UnsafeRawPointer(c.raw) }
        g.run(outputs[0].raw, x.raw, fill: value)
    }
}
