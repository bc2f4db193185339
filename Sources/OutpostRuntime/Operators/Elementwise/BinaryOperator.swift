import CKernels

/// Broadcasting arithmetic: Add, Sub, Mul, Div, Pow, Mod, PRelu and the variadic
/// Max, Min, Sum, Mean. float32 runs the C kernels one contiguous run at a time;
/// integer types run generic Swift loops (wrapping arithmetic, division truncates
/// toward zero, division by zero gives 0 instead of trapping).
final class BinaryOperator: Operator {
    enum Kind { case add, sub, mul, div, pow, mod, fmod, prelu, max, min, sum, mean, bitAnd, bitOr, bitXor, shiftLeft, shiftRight }
    let kind: Kind
    let variadic: Bool
    private var loops: [BroadcastLoop] = []
    private var outCount = 0

    init(node: Node, opset: Int, kind: Kind) throws(OutpostError) {
        var k = kind
        if kind == .mod, try node.int("fmod", default: 0) != 0 { k = .fmod }
        if kind == .shiftLeft {
            let direction = try node.string("direction", default: "")
            switch direction {
            case "LEFT": k = .shiftLeft
            case "RIGHT": k = .shiftRight
            default: throw node.invalid("BitShift direction must be LEFT or RIGHT, got '\(direction)'")
            }
        }
        self.kind = k
        switch kind {
        case .max, .min, .sum, .mean: variadic = true
        default: variadic = false
        }
        super.init(node: node, opset: opset)
    }

    private var cKind: ok_binary_op {
        switch kind {
        case .add, .sum, .mean: return OK_BINARY_ADD
        case .sub: return OK_BINARY_SUB
        case .mul: return OK_BINARY_MUL
        case .div: return OK_BINARY_DIV
        case .pow: return OK_BINARY_POW
        case .mod: return OK_BINARY_MOD
        case .fmod: return OK_BINARY_FMOD
        case .prelu: return OK_BINARY_PRELU
        case .max: return OK_BINARY_MAX
        case .min: return OK_BINARY_MIN
        case .bitAnd, .bitOr, .bitXor, .shiftLeft, .shiftRight: return OK_BINARY_ADD  // integer-only kinds
        }
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        var shapes = [[Int]]()
        var types = [DType]()
        for i in 0..<inputs.count {
            guard let v = inputs[i] else { continue }
            shapes.append(v.shape)
            types.append(v.dtype)
        }
        if shapes.isEmpty || (!variadic && shapes.count != 2) {
            throw node.invalid("expects \(variadic ? "at least 1" : "2") inputs, got \(shapes.count)")
        }
        let dtype = types[0]
        let allowed: [DType]
        switch kind {
        case .mean: allowed = [.float32]
        case .prelu: allowed = [.float32, .int32, .int64]
        case .pow: allowed = [.float32, .int32, .int64]
        case .bitAnd, .bitOr, .bitXor, .shiftLeft, .shiftRight: allowed = [.int32, .int64, .int8, .uint8]
        default: allowed = [.float32, .int32, .int64, .int8, .uint8]
        }
        if !allowed.contains(dtype) { throw unsupportedType(dtype, input: 0) }
        for (i, t) in types.enumerated() where i > 0 {
            if kind == .pow {
                if ![DType.float32, .int32, .int64, .int8, .uint8].contains(t) { throw unsupportedType(t, input: i) }
            } else if t != dtype {
                throw node.invalid("input \(i) is \(t.name) but input 0 is \(dtype.name)")
            }
        }
        var outShape: [Int]
        if kind == .prelu {
            // Slope broadcasts to X (unidirectional). Before opset 7 a 1-D slope of
            // size C applied per channel (axis 1): read it as [C, 1, ..., 1].
            if opset < 7, shapes[0].count >= 2, shapes[1].count == 1, shapes[1][0] == shapes[0][1], shapes[1][0] != 1 {
                shapes[1] = [shapes[1][0]] + [Int](repeating: 1, count: shapes[0].count - 2)
            }
            guard let s = Broadcast.shape(shapes[0], shapes[1]), s == shapes[0] else {
                throw node.shapeError("slope \(shape: shapes[1]) does not broadcast to X \(shape: shapes[0])")
            }
            outShape = s
        } else {
            guard let s = Broadcast.shape(shapes) else {
                var d = ""
                for s in shapes { d += formatShape(s) + " " }
                throw node.shapeError("shapes do not broadcast: \(d)")
            }
            outShape = s
        }
        loops = []
        if shapes.count == 1 {
            loops.append(BroadcastLoop(inputs: [shapes[0]], output: outShape))
        } else {
            loops.append(BroadcastLoop(inputs: [shapes[0], shapes[1]], output: outShape))
            for k in 2..<max(shapes.count, 2) {
                loops.append(BroadcastLoop(inputs: [outShape, shapes[k]], output: outShape))
            }
        }
        outCount = Tensor.elementCount(outShape)
        return [TensorType(dtype, outShape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        let y = outputs[0]
        // Present inputs, in order (Max/Min/Sum/Mean never have omitted ones in practice).
        guard let x0 = inputs[0] else { return }
        if loops.count == 1 && inputs.count == 1 {
            switch x0.dtype.size {
            case 1: loops[0].copy1(x0.pointer(UInt8.self), y.pointer(UInt8.self))
            case 4: loops[0].copy1(x0.pointer(UInt32.self), y.pointer(UInt32.self))
            default: loops[0].copy1(x0.pointer(UInt64.self), y.pointer(UInt64.self))
            }
            return
        }
        if kind == .pow {
            try runPow(inputs, y, ctx.pool)
            return
        }
        switch x0.dtype {
        case .float32: runFloat(inputs, y, ctx.pool)
        case .int32, .int64, .int8, .uint8: runInteger(inputs, y)
        default: throw unsupportedType(x0.dtype, input: 0)
        }
    }

    private func runFloat(_ inputs: [Tensor?], _ y: Tensor, _ pool: OpaquePointer?) {
        let op = Int32(cKind.rawValue)
        let dst = y.floats
        for (k, loop) in loops.enumerated() {
            let a = k == 0 ? inputs[0]!.floats : dst
            let b = inputs[k + 1]!.floats
            let sa = loop.innerStrides[0], sb = loop.innerStrides[1], n = loop.inner
            if loop.rows == 1 {
                // One long run (same shapes, or a scalar operand): split it over the pool.
                ok_binary_f32_pool(UnsafeMutableRawPointer(pool), op, a + loop.offsets[0], sa, b + loop.offsets[1], sb, dst, n)
                continue
            }
            for r in 0..<loop.rows {
                ok_binary_f32(op, a + loop.offsets[2 * r], sa, b + loop.offsets[2 * r + 1], sb, dst + r * n, n)
            }
        }
        if kind == .mean {
            let count = Float(loops.count + 1)
            for i in 0..<outCount { dst[i] /= count }
        }
    }

    /// Every integer type through one Int64 loop: the inputs widened (sign- or
    /// zero-extended), the operation in Int64, the result truncated to the type. The
    /// bits are those of the same operation in the narrow type: wrapping add, sub, mul
    /// and PRelu truncate to the same value; T.min / -1 gives 2^(n-1), which truncates
    /// back to T.min (= a, what the narrow division returns on overflow); remainders
    /// and min/max of widened values fit in T; bitwise operations and shifts (below the
    /// type's width) act on the same low bits. One specialization instead of four
    /// (≈4 KB of device code); integer tensors are small (shapes, indices).
    private func runInteger(_ inputs: [Tensor?], _ y: Tensor) {
        let width = Int64(y.dtype.size * 8)
        let f: (Int64, Int64) -> Int64
        switch kind {
        case .add, .sum, .mean: f = { $0 &+ $1 }
        case .sub: f = { $0 &- $1 }
        case .mul: f = { $0 &* $1 }
        case .div: f = { a, b in
            if b == 0 { return 0 }
            let (q, overflow) = a.dividedReportingOverflow(by: b)
            return overflow ? a : q
        }
        case .fmod: f = { a, b in
            if b == 0 { return 0 }
            let (r, overflow) = a.remainderReportingOverflow(dividingBy: b)
            return overflow ? 0 : r
        }
        case .mod: f = { a, b in
            if b == 0 { return 0 }
            let (r, overflow) = a.remainderReportingOverflow(dividingBy: b)
            if overflow { return 0 }
            return (r != 0 && ((r < 0) != (b < 0))) ? r &+ b : r
        }
        case .prelu: f = { a, b in a < 0 ? a &* b : a }
        case .max: f = { a, b in a > b ? a : b }
        case .min: f = { a, b in a < b ? a : b }
        case .pow: f = { a, _ in a }  // handled by runPow
        case .bitAnd: f = { $0 & $1 }
        case .bitOr: f = { $0 | $1 }
        case .bitXor: f = { $0 ^ $1 }
        case .shiftLeft: f = { a, b in b < 0 || b >= width ? 0 : a << b }
        case .shiftRight: f = { a, b in b < 0 || b >= width ? 0 : a >> b }
        }
        if outCount == 0 { return }
        var acc = [Int64](repeating: 0, count: outCount)
        let first = Self.widened(inputs[0]!)
        acc.withUnsafeMutableBufferPointer { out in
            let dst = out.baseAddress!
            for (k, loop) in loops.enumerated() {
                let b = Self.widened(inputs[k + 1]!)
                first.withUnsafeBufferPointer { a0 in
                    b.withUnsafeBufferPointer { pb in
                        loop.map2(k == 0 ? a0.baseAddress! : UnsafePointer(dst), pb.baseAddress!, dst, f)
                    }
                }
            }
        }
        let raw = y.raw
        for i in 0..<outCount {
            switch y.dtype {
            case .int64: raw.storeBytes(of: acc[i], toByteOffset: 8 * i, as: Int64.self)
            case .int32: raw.storeBytes(of: Int32(truncatingIfNeeded: acc[i]), toByteOffset: 4 * i, as: Int32.self)
            default: raw.storeBytes(of: UInt8(truncatingIfNeeded: acc[i]), toByteOffset: i, as: UInt8.self)
            }
        }
    }

    /// An integer tensor's elements as Int64 (sign-extended, uint8 zero-extended).
    private static func widened(_ t: Tensor) -> [Int64] {
        var out = [Int64](repeating: 0, count: max(t.count, 1))
        for i in 0..<t.count { out[i] = Int64(t.integer(at: i)) }
        return out
    }

    // ---- Pow: the exponent may have another type than the base ------------------

    private func runPow(_ inputs: [Tensor?], _ y: Tensor, _ pool: OpaquePointer?) throws(OutpostError) {
        guard let x = inputs[0], let e = inputs[1] else { return }
        switch x.dtype {
        case .float32:
            if e.dtype == .float32 {
                runFloat(inputs, y, pool)
            } else {
                try powExponent(x, e, y, Float.self)
            }
        case .int32: try powExponent(x, e, y, Int32.self)
        case .int64: try powExponent(x, e, y, Int64.self)
        default: throw unsupportedType(x.dtype, input: 0)
        }
    }

    /// Base and exponent of other types: both read as Double, one loop over the
    /// broadcast, the result converted back — the values of
    /// `T.fromDouble(ok_pow_f64(a.asDouble, b.asDouble))`, without a loop per
    /// (base, exponent) type pair (15 copies, ≈9 KB of code). Each element is a
    /// libm pow call, which the two extra passes do not change much.
    private func powExponent<T: NumericElement>(_ x: Tensor, _ e: Tensor, _ y: Tensor, _: T.Type) throws(OutpostError) {
        var ed = [Double](repeating: 0, count: e.count)
        switch e.dtype {
        case .float32: Self.widen(e, Float.self, &ed)
        case .int32: Self.widen(e, Int32.self, &ed)
        case .int64: Self.widen(e, Int64.self, &ed)
        case .int8: Self.widen(e, Int8.self, &ed)
        case .uint8: Self.widen(e, UInt8.self, &ed)
        default: throw unsupportedType(e.dtype, input: 1)
        }
        let n = y.count
        if n == 0 { return }
        var xd = [Double](repeating: 0, count: x.count)
        Self.widen(x, T.self, &xd)
        let yd = UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1))
        defer { yd.deallocate() }
        xd.withUnsafeBufferPointer { pa in
            ed.withUnsafeBufferPointer { pb in
                loops[0].map2(pa.baseAddress!, pb.baseAddress!, yd) { a, b in ok_pow_f64(a, b) }
            }
        }
        let py = y.pointer(T.self)
        for i in 0..<n { py[i] = T.fromDouble(yd[i]) }
    }

    private static func widen<E: NumericElement>(_ t: Tensor, _: E.Type, _ out: inout [Double]) {
        let p = t.pointer(E.self)
        for i in 0..<out.count { out[i] = p[i].asDouble }
    }
}
