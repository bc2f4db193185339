import CKernels
import Testing

extension CKernelTests {
/// The batched 2-D transpose against its definition, for every element size and every
/// ISA path on this machine (u8: the AVX-512 VBMI 16x16 tiles with ragged edges; u32:
/// AVX2; the blocked loops), with guard bytes after the output.
@Suite(.serialized) struct TransposeKernelTests {
    @Test func batchedTransposeMatchesDefinition() {
        let all: UInt32 = 0xffff_ffff, portable: UInt32 = 1
        for mask in [all, portable] {
            ok_cpu_restrict(mask)
            var seed: UInt32 = 17
            func next() -> UInt8 { seed = seed &* 1_103_515_245 &+ 12345; return UInt8(truncatingIfNeeded: seed >> 16) }
            for elem in [1, 2, 4, 8] {
                for (batch, rows, cols) in [(3, 25, 400), (1, 16, 16), (2, 17, 33), (1, 4, 5), (2, 40, 7), (1, 1, 9)] {
                    let n = batch * rows * cols * elem
                    let src = (0..<n).map { _ in next() }
                    var dst = [UInt8](repeating: 0xee, count: n + 64)
                    ok_transpose2d_batched(&dst, src, Int64(batch), Int64(rows), Int64(cols), elem)
                    var ok = true
                    for b in 0..<batch {
                        for r in 0..<rows {
                            for c in 0..<cols {
                                for e in 0..<elem {
                                    let s = ((b * rows + r) * cols + c) * elem + e
                                    let d = ((b * cols + c) * rows + r) * elem + e
                                    if dst[d] != src[s] { ok = false }
                                }
                            }
                        }
                    }
                    #expect(ok, "elem \(elem) \(batch)x\(rows)x\(cols) mask \(mask)")
                    #expect(dst[n...].allSatisfy { $0 == 0xee }, "elem \(elem) \(batch)x\(rows)x\(cols): written past the output")
                }
            }
        }
        ok_cpu_restrict(0xffff_ffff)
    }
}
}
