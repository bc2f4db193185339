import CKernels

/// Transpose. Planning drops size-1 axes and merges axes that stay adjacent, so
/// the copy runs on the smallest equivalent problem: a plain copy, a (batched)
/// 2-D transpose (covers NCHW <-> NHWC), or the general strided gather.
final class TransposeOperator: Operator {
    private enum Path {
        case copy
        case transpose2d(batch: Int, rows: Int, cols: Int)
        case gather(AxisGather)
    }
    private var path = Path.copy
    private var elementSize = 1

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try required(inputs, 0)
        let rank = x.shape.count
        var perm = [Int]()
        if let p = try node.ints("perm") {
            guard p.count == rank else { throw node.shapeError("perm has \(p.count) entries for rank \(rank)") }
            var seen = [Bool](repeating: false, count: rank)
            for a in p {
                let k = try normalizedAxis(a, rank: rank, "perm entry")
                guard !seen[k] else { throw node.shapeError("perm repeats axis \(a)") }
                seen[k] = true
                perm.append(k)
            }
        } else {
            for k in 0..<rank { perm.append(rank - 1 - k) }
        }
        var outShape = [Int]()
        for k in perm { outShape.append(x.shape[k]) }
        elementSize = x.dtype.size

        // Reduce: keep input axes of size > 1, then merge runs that stay adjacent.
        var keptPerm = [Int]()
        for k in perm where x.shape[k] != 1 { keptPerm.append(k) }
        // Renumber kept input axes 0..m-1 in input order.
        var kept = [Int]()
        for k in 0..<rank where x.shape[k] != 1 { kept.append(k) }
        var newIndex = [Int](repeating: -1, count: rank)
        for (i, k) in kept.enumerated() { newIndex[k] = i }
        var groups = [[Int]]()  // output-ordered groups of consecutive input axes
        for k in keptPerm {
            let i = newIndex[k]
            if var last = groups.last, last.last! + 1 == i {
                last.append(i)
                groups[groups.count - 1] = last
            } else {
                groups.append([i])
            }
        }
        // Reduced input: groups sorted by their first input axis.
        let order = stableSortedIndices(count: groups.count) { groups[$0][0] < groups[$1][0] }
        var redShape = [Int]()
        var groupToInputAxis = [Int](repeating: 0, count: groups.count)
        for (pos, g) in order.enumerated() {
            var size = 1
            for i in groups[g] { size *= x.shape[kept[i]] }
            redShape.append(size)
            groupToInputAxis[g] = pos
        }
        var redPerm = [Int]()
        for g in 0..<groups.count { redPerm.append(groupToInputAxis[g]) }

        var identity = true
        for (i, p) in redPerm.enumerated() where i != p { identity = false }
        if identity {
            path = .copy
        } else if redPerm == [1, 0] {
            path = .transpose2d(batch: 1, rows: redShape[0], cols: redShape[1])
        } else if redPerm == [0, 2, 1] {
            path = .transpose2d(batch: redShape[0], rows: redShape[1], cols: redShape[2])
        } else {
            let strides = Tensor.strides(of: redShape)
            var outRed = [Int](), outStrides = [Int](), start = [Int](), step = [Int]()
            for p in redPerm {
                outRed.append(redShape[p])
                outStrides.append(strides[p])
                start.append(0)
                step.append(1)
            }
            path = .gather(AxisGather(outShape: outRed, start: start, step: step, strides: outStrides,
                                      elementSize: elementSize))
        }
        return [TensorType(x.dtype, outShape)]
    }

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let x = inputs[0] else { return }
        let y = outputs[0]
        switch path {
        case .copy: copyBytes(y, x)
        case let .transpose2d(batch, rows, cols):
            ok_transpose2d_batched(y.raw, x.raw, Int64(batch), Int64(rows), Int64(cols), elementSize)
        case let .gather(g): g.run(y.raw, x.raw, fill: x.raw)
        }
    }
}
