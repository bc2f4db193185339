/// A precomputed walk over a numpy-broadcast output: the output is split into
/// `rows` contiguous runs of `inner` elements; for each run and each operand,
/// `offsets` holds the operand's element offset, and `innerStrides` says whether
/// the operand moves along the run (1) or repeats one value (0).
///
/// Dimensions are collapsed first (size-1 output dimensions dropped, neighbours
/// merged when every operand is contiguous or broadcast across both), so
/// same-shape operands become one run and bias-add style broadcasts become long
/// runs. Built in `plan`; `run` only reads it.
struct BroadcastLoop {
    let operands: Int
    var rows = 1
    var inner = 1
    var innerStrides: [Int]
    /// rows * operands offsets: offsets[row * operands + k].
    var offsets: [Int]
    var count: Int

    init(inputs: [[Int]], output: [Int]) {
        operands = inputs.count
        count = Tensor.elementCount(output)
        // Per-operand strides over the output dims, without size-1 output dims.
        var dims = [Int]()
        var strides = [[Int]](repeating: [], count: inputs.count)
        var full = [[Int]]()
        for s in inputs { full.append(Broadcast.strides(of: s, broadcastTo: output)) }
        for (i, d) in output.enumerated() where d != 1 {
            dims.append(d)
            for k in 0..<inputs.count { strides[k].append(full[k][i]) }
        }
        // Merge dim i-1 into dim i when every operand steps uniformly across both.
        var mDims = [Int]()
        var mStrides = [[Int]](repeating: [], count: inputs.count)
        for (i, d) in dims.enumerated() {
            if !mDims.isEmpty {
                var mergeable = true
                for k in 0..<inputs.count where mStrides[k].last! != strides[k][i] * d {
                    mergeable = false
                    break
                }
                if mergeable {
                    mDims[mDims.count - 1] *= d
                    for k in 0..<inputs.count { mStrides[k][mStrides[k].count - 1] = strides[k][i] }
                    continue
                }
            }
            mDims.append(d)
            for k in 0..<inputs.count { mStrides[k].append(strides[k][i]) }
        }
        innerStrides = [Int](repeating: 0, count: inputs.count)
        if let last = mDims.last {
            inner = last
            for k in 0..<inputs.count { innerStrides[k] = mStrides[k].last! }
        }
        let outerDims = Array(mDims.dropLast())
        rows = Tensor.elementCount(outerDims)
        if count == 0 { rows = 0 }
        offsets = [Int](repeating: 0, count: max(rows, 0) * inputs.count)
        if rows > 0 {
            var counter = [Int](repeating: 0, count: outerDims.count)
            var cur = [Int](repeating: 0, count: inputs.count)
            for r in 0..<rows {
                for k in 0..<inputs.count { offsets[r * inputs.count + k] = cur[k] }
                // odometer increment
                var d = outerDims.count - 1
                while d >= 0 {
                    counter[d] += 1
                    for k in 0..<inputs.count { cur[k] += mStrides[k][d] }
                    if counter[d] < outerDims[d] { break }
                    for k in 0..<inputs.count { cur[k] -= mStrides[k][d] * outerDims[d] }
                    counter[d] = 0
                    d -= 1
                }
            }
        }
    }

    /// y = f(a, b) over the broadcast.
    @inline(__always)
    func map2<A, B, R>(_ a: UnsafePointer<A>, _ b: UnsafePointer<B>, _ y: UnsafeMutablePointer<R>,
                       _ f: (A, B) -> R) {
        let sa = innerStrides[0], sb = innerStrides[1], n = inner
        for r in 0..<rows {
            let pa = a + offsets[2 * r], pb = b + offsets[2 * r + 1], py = y + r * n
            if sa == 1 && sb == 1 {
                for i in 0..<n { py[i] = f(pa[i], pb[i]) }
            } else if sa == 0 && sb == 1 {
                let va = pa[0]
                for i in 0..<n { py[i] = f(va, pb[i]) }
            } else if sa == 1 {
                let vb = pb[0]
                for i in 0..<n { py[i] = f(pa[i], vb) }
            } else {
                let v = f(pa[0], pb[0])
                for i in 0..<n { py[i] = v }
            }
        }
    }

    /// y = f(a, b, c) over the broadcast (Where).
    @inline(__always)
    func map3<A, B, C, R>(_ a: UnsafePointer<A>, _ b: UnsafePointer<B>, _ c: UnsafePointer<C>,
                          _ y: UnsafeMutablePointer<R>, _ f: (A, B, C) -> R) {
        let sa = innerStrides[0], sb = innerStrides[1], sc = innerStrides[2], n = inner
        for r in 0..<rows {
            let pa = a + offsets[3 * r], pb = b + offsets[3 * r + 1], pc = c + offsets[3 * r + 2]
            let py = y + r * n
            for i in 0..<n { py[i] = f(pa[i * sa], pb[i * sb], pc[i * sc]) }
        }
    }

    /// y = a broadcast to the output (single operand loop).
    @inline(__always)
    func copy1<T>(_ a: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>) {
        let sa = innerStrides[0], n = inner
        for r in 0..<rows {
            let pa = a + offsets[operands * r], py = y + r * n
            for i in 0..<n { py[i] = pa[i * sa] }
        }
    }
}
