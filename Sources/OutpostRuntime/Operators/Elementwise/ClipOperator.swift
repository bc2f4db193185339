/// Clip(x, min, max): bounds are attributes before opset 11 (float only) and
/// optional scalar inputs from opset 11 (read at run time; omitted = no bound).
/// Computed as min(max(x, lo), hi), so lo > hi gives hi everywhere (numpy.clip).
final class ClipOperator: Operator {
    private var attrMin: Float = -Float.infinity
    private var attrMax: Float = Float.infinity

    init(clip node: Node, opset: Int) throws(OutpostError) {
        super.init(node: node, opset: opset)
        if opset < 11 {
            attrMin = try node.float("min", default: -Float.greatestFiniteMagnitude)
            attrMax = try node.float("max", default: Float.greatestFiniteMagnitude)
        }
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        if ![DType.float32, .int32, .int64, .int8, .uint8].contains(x.dtype) { throw unsupportedType(x.dtype, input: 0) }
        for i in 1..<min(inputs.count, 3) {
            guard let b = inputs[i] else { continue }
            if b.dtype != x.dtype { throw unsupportedType(b.dtype, input: i) }
            if b.count != 1 { throw node.shapeError("bound \(i) must be a scalar, got \(shape: b.shape)") }
        }
        return [TensorType(x.dtype, x.shape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        let lo: Tensor? = inputs.count > 1 ? inputs[1] : nil
        let hi: Tensor? = inputs.count > 2 ? inputs[2] : nil
        switch x.dtype {
        case .float32:
            let l = lo?.floats[0] ?? attrMin, h = hi?.floats[0] ?? attrMax
            let src = x.floats, dst = outputs[0].floats
            for i in 0..<x.count {
                let v = src[i] < l ? l : src[i]
                dst[i] = v > h ? h : v
            }
        case .int32: clip(x, lo, hi, outputs[0], Int32.self)
        case .int64: clip(x, lo, hi, outputs[0], Int64.self)
        case .int8: clip(x, lo, hi, outputs[0], Int8.self)
        case .uint8: clip(x, lo, hi, outputs[0], UInt8.self)
        default: throw unsupportedType(x.dtype, input: 0)
        }
    }

    private func clip<T: NumericElement>(_ x: Tensor, _ lo: Tensor?, _ hi: Tensor?, _ y: Tensor, _: T.Type) {
        let l = lo?.pointer(T.self)[0] ?? T.lowest, h = hi?.pointer(T.self)[0] ?? T.highest
        let src = x.pointer(T.self), dst = y.pointer(T.self)
        for i in 0..<x.count {
            let v = src[i] < l ? l : src[i]
            dst[i] = v > h ? h : v
        }
    }
}
