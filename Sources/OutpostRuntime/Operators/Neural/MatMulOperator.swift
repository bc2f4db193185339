import CKernels

/// ONNX MatMul (numpy semantics): N-D operands with broadcast batch dimensions,
/// 1-D operands promoted to a row (A) / column (B) vector and dropped from the
/// result. A constant B is packed once per batch matrix at planning. When B has no
/// batch dimensions, A's batches are folded into M: one GEMM of [batch*M, K].
final class MatMulOperator: Operator {
    let activation: FusedActivation
    private var M = 0, N = 0, K = 0
    /// GEMM calls per run and, for each, the element offsets of its A, B and Y matrices.
    private var aOffsets: [Int] = []
    private var bOffsets: [Int] = []
    private var bMatrixIndex: [Int] = []
    private var gemmM = 0
    private var packedB: Buffer?
    private var packedStride = 0
    private var workspaceBytes = 0

    init(node: Node, opset: Int, activation: FusedActivation) throws(OutpostError) {
        self.activation = activation
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let a = try required(inputs, 0), b = try required(inputs, 1)
        try requireDType(a, [.float32], "input A")
        try requireDType(b, [.float32], "input B")
        if a.shape.isEmpty || b.shape.isEmpty { throw node.shapeError("MatMul operands must have rank >= 1") }
        let aShape = a.shape.count == 1 ? [1, a.shape[0]] : a.shape
        let bShape = b.shape.count == 1 ? [b.shape[0], 1] : b.shape
        M = aShape[aShape.count - 2]
        K = aShape[aShape.count - 1]
        N = bShape[bShape.count - 1]
        if bShape[bShape.count - 2] != K {
            throw node.shapeError("inner dimensions differ: A \(shape: a.shape), B \(shape: b.shape)")
        }
        let bBatch = Array(bShape.dropLast(2))
        let shapes = try matMulOutputShape(a: a.shape, b: b.shape, M: M, N: N, node)
        let batch = shapes.batch, outShape = shapes.out

        let bCount = Tensor.elementCount(bBatch)
        let batchCount = Tensor.elementCount(batch)
        aOffsets = []
        bOffsets = []
        bMatrixIndex = []
        if bCount == 1 {
            // Fold A's batches into M (Y is [batch, M, N] = [batch*M, N] row-major).
            gemmM = batchCount * M
            aOffsets = [0]
            bOffsets = [0]
            bMatrixIndex = [0]
        } else {
            gemmM = M
            aOffsets = shapes.aMatrix.map { $0 * M * K }
            bOffsets = shapes.bMatrix.map { $0 * K * N }
            bMatrixIndex = shapes.bMatrix
        }
        packedB = nil
        if let bc = b.constant, K > 0, N > 0 {
            packedStride = align64(ok_sgemm_packed_b_size(Int32(K), Int32(N)))
            let buf = Buffer(zeroedBytes: packedStride * bCount)
            withPackableFloats(bc, rows: 1, rowScale: nil) { w in
                for i in 0..<bCount {
                    ok_sgemm_pack_b(Int32(K), Int32(N), w + i * K * N, N, 1, buf.base + i * packedStride)
                }
            }
            packedB = buf
        }
        workspaceBytes = ok_sgemm_workspace_size(Int32(gemmM), Int32(N), Int32(K), Int32(neuralPlannedThreads))
        return [TensorType(.float32, outShape)]
    }

    override var scratchBytes: Int { workspaceBytes }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let a = inputs[0], let b = inputs[1] else { return }
        if gemmM == 0 || N == 0 || outputs[0].count == 0 { return }
        let y = outputs[0].floats
        var ep = activation.epilogue()
        let pool = neuralPool(ctx)
        for i in 0..<aOffsets.count {
            let packed: UnsafeRawPointer? = packedB.map { UnsafeRawPointer($0.base + bMatrixIndex[i] * packedStride) }
            ok_sgemm(pool, Int32(gemmM), Int32(N), Int32(K), 1,
                     a.floats + aOffsets[i], K, 1, nil,
                     (packed == nil ? UnsafePointer(b.floats) : unreadFloats(b)) + bOffsets[i], N, 1, packed,
                     y + i * gemmM * N, N, &ep, ctx.scratch)
        }
    }
}

/// Broadcast batch dimensions and output shape of ONNX MatMul semantics (also
/// QLinearMatMul and MatMulInteger): 1-D operands are promoted and their unit
/// dimension dropped again from the output. For each output batch (row-major),
/// the index of the A and B matrix it reads.
struct MatMulShapes {
    var batch: [Int]
    var out: [Int]
    var aMatrix: [Int]
    var bMatrix: [Int]
}

func matMulOutputShape(a: [Int], b: [Int], M: Int, N: Int, _ node: Node) throws(OutpostError) -> MatMulShapes {
    let aBatch = a.count > 2 ? Array(a.dropLast(2)) : [Int]()
    let bBatch = b.count > 2 ? Array(b.dropLast(2)) : [Int]()
    let rank = max(aBatch.count, bBatch.count)
    let pa = [Int](repeating: 1, count: rank - aBatch.count) + aBatch
    let pb = [Int](repeating: 1, count: rank - bBatch.count) + bBatch
    var batch = [Int]()
    for i in 0..<rank {
        if pa[i] != pb[i] && pa[i] != 1 && pb[i] != 1 {
            throw node.shapeError("batch dimensions do not broadcast: A \(shape: a), B \(shape: b)")
        }
        batch.append(pa[i] == 1 ? pb[i] : pa[i])
    }
    var out = batch
    if a.count > 1 { out.append(M) }
    if b.count > 1 { out.append(N) }
    var aMatrix = [Int](), bMatrix = [Int]()
    let aStrides = Tensor.strides(of: pa), bStrides = Tensor.strides(of: pb)
    let outStrides = Tensor.strides(of: batch)
    for flat in 0..<Tensor.elementCount(batch) {
        var ai = 0, bi = 0, rest = flat
        for d in 0..<rank {
            let idx = rest / outStrides[d]
            rest -= idx * outStrides[d]
            if pa[d] != 1 { ai += idx * aStrides[d] }
            if pb[d] != 1 { bi += idx * bStrides[d] }
        }
        aMatrix.append(ai)
        bMatrix.append(bi)
    }
    return MatMulShapes(batch: batch, out: out, aMatrix: aMatrix, bMatrix: bMatrix)
}
