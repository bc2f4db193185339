import CKernels
import Testing

/// Float max pooling: ok_pool_f32's fast paths (AVX-512 2x2 stride 2, the separable
/// AVX2 rows, the portable loops) against the reference window loop, with signed
/// zeros and infinities (the order of comparisons decides which zero wins).
extension CKernelTests {
@Suite(.serialized) struct MaxPoolFloatTests {
    @Test func fastPathsMatchTheReference() {
        let all: UInt32 = 0xffff_ffff, noAVX512: UInt32 = 1 | (1 << OK_ISA_AVX2_FMA.rawValue) | (1 << OK_ISA_NEON.rawValue)
        for mask in [all, noAVX512, 1] {
            ok_cpu_restrict(mask)
            check(seed: 31 &+ (mask & 0xff), mask: mask)
        }
        ok_cpu_restrict(0xffff_ffff)
    }

    func check(seed: UInt32, mask: UInt32) {
        var rng = TestRNG(seed)
        // No NaN: the reference starts from -inf and never picks one, the fast paths
        // start from the first element (ONNX leaves NaN in MaxPool unspecified).
        let specials: [Float] = [-0.0, 0.0, .infinity, -.infinity, 1, -1]
        for trial in 0..<200 {
            var p = ok_pool_params()
            p.kind = Int32(OK_POOL_MAX.rawValue)
            p.planes = Int64(rng.int(1, 3))
            // Widths around the 16-output vector (outputs 1-40: tails of < 8 and 8-16).
            let h = rng.int(2, 21), w = trial % 2 == 0 ? rng.int(2, 81) : rng.int(2, 20)
            var kh = rng.int(1, 3), kw = rng.int(1, 3), sh = rng.int(1, 2), sw = rng.int(1, 2)
            var ph = rng.int(0, kh - 1), pw = rng.int(0, kw - 1)
            if trial % 3 != 2 { kh = 2; kw = 2; sh = 2; sw = 2; ph = 0; pw = 0 }  // the AVX-512 2x2/s2 loop
            guard let (oh, ow) = setPool2D(&p, h: h, w: w, kh: kh, kw: kw, sh: sh, sw: sw, ph: ph, pw: pw) else { continue }
            let n = Int(p.planes) * h * w, m = Int(p.planes) * oh * ow
            let x = (0..<n).map { _ in trial % 4 == 1 && rng.int(0, 5) == 0 ? specials[rng.int(0, 5)] : rng.float() }
            var fast = [Float](repeating: 7, count: m), want = [Float](repeating: 7, count: m)
            ok_pool_f32(&p, x, &fast, nil)
            ok_pool_ref_f32(&p, x, &want)
            // Bit for bit on the AVX-512 2x2/s2 path; the separable paths reduce columns
            // first and may return the other zero on 0 / -0 ties: equal values there.
            let exact = mask == 0xffff_ffff && kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0
                && ok_cpu_supported_isas() & (1 << OK_ISA_AVX512.rawValue) != 0
            if exact {
                #expect(fast.map(\.bitPattern) == want.map(\.bitPattern),
                        "\(h)x\(w) k\(kh)x\(kw) s\(sh)x\(sw) planes \(p.planes)")
            } else {
                #expect(fast == want, "\(h)x\(w) k\(kh)x\(kw) s\(sh)x\(sw) p\(ph)x\(pw) mask \(mask)")
            }
        }
    }
}
}
