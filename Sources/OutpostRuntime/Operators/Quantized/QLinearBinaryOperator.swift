import CKernels

/// com.microsoft QLinearAdd and QLinearMul (numpy broadcasting), as onnxruntime defines them:
///   Add: C = saturate(round((A - za) * (sa / sc) + (B - zb) * (sb / sc)) + zc)
///   Mul: C = saturate(round((A - za) * (B - zb) * (sa * sb / sc)) + zc)
/// Inputs: A, A_scale, A_zero_point?, B, B_scale, B_zero_point?, C_scale, C_zero_point?
/// (scalars; A, B, C share uint8 or int8). The broadcast walk is planned once; each
/// contiguous run goes through the C loop (AVX2 when available).
final class QLinearBinaryOperator: Operator {
    enum Kind { case add, mul }
    let kind: Kind
    private var loop: BroadcastLoop?
    /// loop's row offsets as the kernel's int64 (Int is 32-bit on armv7).
    private var rowOffsets: [Int64] = []
    private var type = DType.uint8
    /// A constant operand broadcast to the output shape at planning (operand 0 or 1),
    /// when the other one already has that shape and the broadcast walk has short rows:
    /// one kernel call per run instead of one per row (YOLO's wh_scale, [1,3,20,20,2] by
    /// the anchors [1,3,1,1,2]: 1200 calls of 2 elements).
    private var expanded: (operand: Int, bytes: Buffer)?

    init(node: Node, opset: Int, kind: Kind) {
        self.kind = kind
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let a = try required(inputs, 0), b = try required(inputs, 3)
        try requireQuantized(a, "input A")
        try requireQuantized(b, "input B")
        if a.dtype != b.dtype { throw node.shapeError("A is \(a.dtype.name) but B is \(b.dtype.name)") }
        for (i, what) in [(1, "A_scale"), (4, "B_scale"), (6, "C_scale")] {
            let s = try required(inputs, i)
            try requireScale(s, what)
            try requireScalar(s, what)
        }
        for (i, what) in [(2, "A_zero_point"), (5, "B_zero_point"), (7, "C_zero_point")] {
            let z = optionalInput(inputs, i)
            try requireSameType(z, a, what)
            try requireScalar(z, what)
        }
        guard let shape = Broadcast.shape(a.shape, b.shape) else {
            throw node.shapeError("A \(shape: a.shape) and B \(shape: b.shape) do not broadcast")
        }
        type = a.dtype
        let walk = BroadcastLoop(inputs: [a.shape, b.shape], output: shape)
        loop = walk
        rowOffsets = walk.offsets.map { Int64($0) }
        expanded = nil
        if walk.rows > 1 && walk.inner < 64 {
            for (k, v, other) in [(1, b, a), (0, a, b)] where other.shape == shape && v.shape != shape {
                guard let c = v.constant else { continue }
                let buf = Buffer(zeroedBytes: max(walk.rows * walk.inner, 1))
                let src = c.raw.assumingMemoryBound(to: UInt8.self), dst = buf.base.assumingMemoryBound(to: UInt8.self)
                let stride = walk.innerStrides[k]
                for r in 0..<walk.rows {
                    let o = walk.offsets[2 * r + k]
                    for i in 0..<walk.inner { dst[r * walk.inner + i] = src[o + i * stride] }
                }
                expanded = (k, buf)
                break
            }
        }
        planned = nil
        if constantOrOmitted(inputs, [1, 2, 4, 5, 6, 7]), let sa = inputs[1]?.constant, let sb = inputs[4]?.constant, let sc = inputs[6]?.constant {
            func z(_ i: Int) -> Tensor? { optionalInput(inputs, i)?.constant }
            planned = params(sa: sa, za: z(2), sb: sb, zb: z(5), sc: sc, zc: z(7))
        }
        expandedBase = expanded?.bytes.base
        expandedOperand = expanded?.operand ?? -1
        return [TensorType(a.dtype, shape)]
    }

    /// Kernel parameters from constant scales and zero points, made once at planning.
    private var planned: ok_qbinary_params?
    /// expanded's bytes and operand, read every run without touching the Buffer.
    private var expandedBase: UnsafeMutableRawPointer?
    private var expandedOperand = -1

    private func params(sa: Tensor, za: Tensor?, sb: Tensor, zb: Tensor?, sc: Tensor, zc: Tensor?) -> ok_qbinary_params {
        let fa = quantScale(sa), fb = quantScale(sb), fc = quantScale(sc)
        var p = ok_qbinary_params()
        if kind == .add {
            p.a_scale = fa / fc
            p.b_scale = fb / fc
        } else {
            p.a_scale = fa * fb / fc
            p.b_scale = 0
        }
        p.a_zero_point = quantZeroPoint(za)
        p.b_zero_point = quantZeroPoint(zb)
        p.c_zero_point = quantZeroPoint(zc)
        p.qmin = QuantType.qmin(type)
        p.qmax = QuantType.qmax(type)
        return p
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let loop else { return }
        var p: ok_qbinary_params
        let pa: UnsafeMutableRawPointer, pb: UnsafeMutableRawPointer
        if let q = planned, ctx.step != nil, let a = ctx.input(0, inputs), let b = ctx.input(3, inputs) {
            // Pointers without Tensor copies (StepPointers), parameters from planning.
            p = q
            pa = a
            pb = b
        } else {
            guard let a = inputs[0], let b = inputs[3], let sa = inputs[1], let sb = inputs[4], let sc = inputs[6] else {
                return
            }
            p = params(sa: sa, za: optionalTensor(inputs, 2), sb: sb, zb: optionalTensor(inputs, 5), sc: sc,
                       zc: optionalTensor(inputs, 7))
            pa = a.raw
            pb = b.raw
        }
        let t = QuantType.code(type)
        let pc = ctx.output(0, outputs)
        let pool = UnsafeMutableRawPointer(ctx.pool)
        if let buf = expandedBase {
            let k = expandedOperand
            // One run over the whole output: the other operand has the output's shape.
            let full = loop.rows * loop.inner
            ok_qbinary_pool(pool, kind == .add ? 0 : 1, k == 0 ? UnsafeRawPointer(buf) : UnsafeRawPointer(pa), 1,
                            k == 1 ? UnsafeRawPointer(buf) : UnsafeRawPointer(pb), 1, pc, t, full, &p)
            return
        }
        rowOffsets.withUnsafeBufferPointer { o in
            ok_qbinary_rows_pool(pool, kind == .add ? 0 : 1, pa, loop.innerStrides[0], pb, loop.innerStrides[1],
                                 o.baseAddress, loop.rows, pc, t, loop.inner, &p)
        }
    }
}
