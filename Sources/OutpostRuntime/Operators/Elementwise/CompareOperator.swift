/// Broadcasting comparisons and logic → bool: Equal, Less, Greater, LessOrEqual,
/// GreaterOrEqual (float32, int32, int64, int8, uint8, and bool for Equal) and
/// And, Or, Xor (bool). Bools are bytes holding 0 or 1.
final class CompareOperator: Operator {
    enum Kind { case equal, less, greater, lessOrEqual, greaterOrEqual, and, or, xor }
    let kind: Kind
    private var loop: BroadcastLoop?

    init(node: Node, opset: Int, kind: Kind) {
        self.kind = kind
        super.init(node: node, opset: opset)
    }

    private var isLogic: Bool { kind == .and || kind == .or || kind == .xor }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let a = try required(inputs, 0), b = try required(inputs, 1)
        if isLogic {
            if a.dtype != .bool { throw unsupportedType(a.dtype, input: 0) }
        } else {
            var allowed: [DType] = [.float32, .int32, .int64, .int8, .uint8]
            if kind == .equal { allowed.append(.bool) }
            if !allowed.contains(a.dtype) { throw unsupportedType(a.dtype, input: 0) }
        }
        if b.dtype != a.dtype { throw node.invalid("input 1 is \(b.dtype.name) but input 0 is \(a.dtype.name)") }
        guard let out = Broadcast.shape(a.shape, b.shape) else {
            throw node.shapeError("shapes \(shape: a.shape) and \(shape: b.shape) do not broadcast")
        }
        loop = BroadcastLoop(inputs: [a.shape, b.shape], output: out)
        return [TensorType(.bool, out)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let a = inputs[0], let b = inputs[1], let loop else { return }
        let y = outputs[0].pointer(UInt8.self)
        switch a.dtype {
        case .float32: compare(loop, a.pointer(Float.self), b.pointer(Float.self), y)
        case .int32: compare(loop, a.pointer(Int32.self), b.pointer(Int32.self), y)
        case .int64: compare(loop, a.pointer(Int64.self), b.pointer(Int64.self), y)
        case .int8: compare(loop, a.pointer(Int8.self), b.pointer(Int8.self), y)
        case .uint8: compare(loop, a.pointer(UInt8.self), b.pointer(UInt8.self), y)
        case .bool:
            let pa = UnsafePointer(a.pointer(UInt8.self)), pb = UnsafePointer(b.pointer(UInt8.self))
            switch kind {
            case .and: loop.map2(pa, pb, y) { x, z in (x != 0 && z != 0) ? 1 : 0 }
            case .or: loop.map2(pa, pb, y) { x, z in (x != 0 || z != 0) ? 1 : 0 }
            case .xor: loop.map2(pa, pb, y) { x, z in ((x != 0) != (z != 0)) ? 1 : 0 }
            default: loop.map2(pa, pb, y) { x, z in ((x != 0) == (z != 0)) ? 1 : 0 }
            }
        default: throw unsupportedType(a.dtype, input: 0)
        }
    }

    /// One loop per element type for the five comparisons: each element's outcome
    /// (1 less, 2 equal, 4 greater; none when a NaN is involved, for which every
    /// comparison is false) tested against the outcomes that make `kind` true.
    /// The same results as a loop per (type, comparison) pair (25 copies, ≈9 KB).
    private func compare<T: Comparable>(_ loop: BroadcastLoop, _ a: UnsafeMutablePointer<T>, _ b: UnsafeMutablePointer<T>,
                                        _ y: UnsafeMutablePointer<UInt8>) {
        let pa = UnsafePointer(a), pb = UnsafePointer(b)
        let accept: UInt8
        switch kind {
        case .equal: accept = 2
        case .less: accept = 1
        case .greater: accept = 4
        case .lessOrEqual: accept = 3
        case .greaterOrEqual: accept = 6
        default: return
        }
        loop.map2(pa, pb, y) { x, z in
            let outcome: UInt8 = x < z ? 1 : x == z ? 2 : x > z ? 4 : 0
            return outcome & accept != 0 ? 1 : 0
        }
    }
}

/// Where(cond, X, Y): X where cond is true, else Y, broadcasting all three.
final class WhereOperator: Operator {
    private var loop: BroadcastLoop?

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let c = try required(inputs, 0), x = try required(inputs, 1), y = try required(inputs, 2)
        if c.dtype != .bool { throw unsupportedType(c.dtype, input: 0) }
        if x.dtype != y.dtype { throw node.invalid("X is \(x.dtype.name) but Y is \(y.dtype.name)") }
        guard let out = Broadcast.shape([c.shape, x.shape, y.shape]) else {
            throw node.shapeError("shapes \(shape: c.shape), \(shape: x.shape), \(shape: y.shape) do not broadcast")
        }
        loop = BroadcastLoop(inputs: [c.shape, x.shape, y.shape], output: out)
        return [TensorType(x.dtype, out)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let c = inputs[0], let x = inputs[1], let y = inputs[2], let loop else { return }
        let pc = UnsafePointer(c.pointer(UInt8.self))
        switch x.dtype.size {
        case 1: select(loop, pc, x, y, outputs[0], UInt8.self)
        case 2: select(loop, pc, x, y, outputs[0], UInt16.self)
        case 4: select(loop, pc, x, y, outputs[0], UInt32.self)
        default: select(loop, pc, x, y, outputs[0], UInt64.self)
        }
    }

    private func select<T>(_ loop: BroadcastLoop, _ c: UnsafePointer<UInt8>, _ x: Tensor, _ y: Tensor, _ out: Tensor, _: T.Type) {
        loop.map3(c, UnsafePointer(x.pointer(T.self)), UnsafePointer(y.pointer(T.self)), out.pointer(T.self)) { c, a, b in
            c != 0 ? a : b
        }
    }
}
