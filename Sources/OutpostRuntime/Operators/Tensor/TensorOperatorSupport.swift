import CKernels

// Helpers shared by the shape and data-movement operators.

extension Operator {
    /// Integer list from attribute `name` (older opsets) or from input `index` (newer
    /// ones, must be constant). nil when neither is given.
    func intsFromAttributeOrInput(_ name: String, _ inputs: [ValueType?], _ index: Int) throws(OutpostError) -> [Int]? {
        if let a = try node.ints(name) { return a }
        if index < inputs.count, let v = inputs[index] {
            guard let c = v.constant else {
                throw node.notConstant(String(outlined: "input \(index) ('\(name)')"))
            }
            return c.integerValues()
        }
        return nil
    }
}

/// The general data-movement plan: for each output axis a table of source
/// indices (-1 = padding), and the source's element strides per axis. Built once
/// in `plan`, `run` calls one C routine (ok_gather_axes) and allocates nothing.
final class AxisGather {
    let rank: Int
    let elementSize: Int
    private let shape: UnsafeMutablePointer<Int64>
    private let offsets: UnsafeMutablePointer<Int64>
    private let tables: UnsafeMutablePointer<UnsafePointer<Int64>?>
    private let innerContiguous: Bool
    /// Axes passed to the C routine after folding trailing contiguous axes.
    private let runRank: Int

    /// indices[k][i] is the source index along source axis `k` (after any
    /// permutation the caller applied through `strides`) for output index i on axis k.
    init(outShape: [Int], indices: [[Int]], strides: [Int], elementSize: Int) {
        rank = outShape.count
        self.elementSize = elementSize
        var total = 0
        for t in indices { total += t.count }
        shape = .allocate(capacity: max(rank, 1))
        offsets = .allocate(capacity: total + 1)  // + 1: the folded run's start
        tables = .allocate(capacity: max(rank, 1))
        var at = 0
        var contiguous = false
        for k in 0..<rank {
            shape[k] = Int64(outShape[k])
            let start = offsets + at
            for (i, idx) in indices[k].enumerated() {
                start[i] = idx < 0 ? -1 : Int64(idx * strides[k] * elementSize)
            }
            tables[k] = UnsafePointer(start)
            at += indices[k].count
            if k == rank - 1 {
                contiguous = true
                for i in 0..<indices[k].count where indices[k][i] < 0 || start[i] != start[0] + Int64(i * elementSize) {
                    contiguous = false
                    break
                }
            }
        }
        innerContiguous = contiguous
        // Fold trailing axes that continue the contiguous run (e.g. Slice along C of
        // NCHW: one memcpy per kept channel block instead of one per row of W).
        var runRank = rank
        if contiguous && rank > 1 {
            var runBytes = Int64(outShape[rank - 1] * elementSize)
            var first = tables[rank - 1]![0]
            var k = rank - 2
            while k >= 0 {
                let t = tables[k]!
                var arithmetic = true
                for i in 0..<outShape[k] where t[i] < 0 || t[i] != t[0] + Int64(i) * runBytes {
                    arithmetic = false
                    break
                }
                if !arithmetic { break }
                first += t[0]
                runBytes *= Int64(outShape[k])
                runRank = k + 1
                k -= 1
            }
            if runRank < rank {
                shape[runRank - 1] = runBytes / Int64(elementSize)
                offsets[total] = first
                tables[runRank - 1] = UnsafePointer(offsets + total)
            }
        }
        self.runRank = runRank
    }

    deinit {
        shape.deallocate()
        offsets.deallocate()
        tables.deallocate()
    }

    /// A strided view: source index start[k] + i * step[k] on each axis.
    convenience init(outShape: [Int], start: [Int], step: [Int], strides: [Int], elementSize: Int) {
        var indices = [[Int]]()
        for k in 0..<outShape.count {
            var t = [Int]()
            t.reserveCapacity(outShape[k])
            for i in 0..<outShape[k] { t.append(start[k] + i * step[k]) }
            indices.append(t)
        }
        self.init(outShape: outShape, indices: indices, strides: strides, elementSize: elementSize)
    }

    func run(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, fill: UnsafeRawPointer) {
        ok_gather_axes(dst, src, Int32(runRank), shape, tables, elementSize, fill, innerContiguous ? 1 : 0)
    }
}

/// Copies a whole tensor's bytes (used by aliasing operators when they do run).
@inline(__always) func copyBytes(_ dst: Tensor, _ src: Tensor) {
    if dst.raw != src.raw { dst.raw.copyMemory(from: src.raw, byteCount: min(dst.byteCount, src.byteCount)) }
}
