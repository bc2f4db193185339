import CKernels
import Testing

/// 8-bit max pooling: the separable 2-D fast path (no indices requested) must give
/// exactly what the window loop gives (the path taken when indices are requested).
/// Every ISA path on this machine: the AVX-512BW row / column loops (64-byte vectors,
/// widths past 64 and 128 for the masked tails) and the portable loops.
/// Sets a 2-D pool's geometry (symmetric pads, no dilation) in `p`; returns the output
/// height and width, nil when the window does not fit.
func setPool2D(_ p: inout ok_pool_params, h: Int, w: Int, kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int)
    -> (Int, Int)? {
    let oh = (h + 2 * ph - kh) / sh + 1, ow = (w + 2 * pw - kw) / sw + 1
    if oh < 1 || ow < 1 { return nil }
    p.in = (1, Int64(h), Int64(w)); p.out = (1, Int64(oh), Int64(ow))
    p.kernel = (1, Int64(kh), Int64(kw)); p.stride = (1, Int64(sh), Int64(sw))
    p.dilation = (1, 1, 1); p.pad_begin = (0, Int64(ph), Int64(pw)); p.pad_end = (0, Int64(ph), Int64(pw))
    return (oh, ow)
}

extension CKernelTests {
@Suite(.serialized) struct MaxPool8BitTests {
    static let pool2 = ok_pool_create(2)

    @Test func fastPathMatchesTheWindowLoop() {
        let all: UInt32 = 0xffff_ffff, noAVX512: UInt32 = 1 | (1 << OK_ISA_AVX2_FMA.rawValue) | (1 << OK_ISA_NEON.rawValue)
        for mask in [all, noAVX512] {
            ok_cpu_restrict(mask)
            check(seed: 77 &+ (mask & 0xff))
        }
        ok_cpu_restrict(0xffff_ffff)
    }

    /// 2x2 stride-2 pools that tile power-of-two widths <= 32 exactly (the whole-vector
    /// VBMI path: several row pairs per vector, tails of whole row pairs), u8 and s8,
    /// extreme values, against the window loop.
    @Test func exactTwoByTwoTilings() {
        let all: UInt32 = 0xffff_ffff, noAVX512: UInt32 = 1 | (1 << OK_ISA_AVX2_FMA.rawValue) | (1 << OK_ISA_NEON.rawValue)
        for mask in [all, noAVX512] {
            ok_cpu_restrict(mask)
            var rng = TestRNG(909 &+ (mask & 0xff))
            for w in [2, 4, 8, 16, 32] {
                for (planes, h) in [(1, 2), (3, 6), (8, 32), (5, 14), (16, 16)] {
                    var p = ok_pool_params()
                    p.planes = Int64(planes)
                    guard let (oh, ow) = setPool2D(&p, h: h, w: w, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0) else { continue }
                    let n = planes * h * w
                    let xu = (0..<n).map { i in i % 3 == 0 ? [0, 255, 127, 128][rng.int(0, 3)] : UInt8(rng.int(0, 255)) }
                    compareFastAndWindowLoop(&p, xu, outputs: planes * oh * ow, tag: "\(planes)x\(h)x\(w)")
                }
            }
        }
        ok_cpu_restrict(0xffff_ffff)
    }

    /// The pool without indices (the fast paths) against the window loop (indices
    /// requested), on xu as u8 and the same bytes as s8.
    func compareFastAndWindowLoop(_ p: inout ok_pool_params, _ xu: [UInt8], outputs m: Int, tag: String) {
        var fast = [UInt8](repeating: 0, count: m), slow = fast
        var idx = [Int64](repeating: 0, count: m)
        ok_maxpool_u8(&p, xu, &fast, nil, 0)
        ok_maxpool_u8(&p, xu, &slow, &idx, 0)
        #expect(fast == slow, "u8 \(tag)")
        let xs = xu.map { Int8(bitPattern: $0) }
        var fs = [Int8](repeating: 0, count: m), ss = fs
        ok_maxpool_s8(&p, xs, &fs, nil, 0)
        ok_maxpool_s8(&p, xs, &ss, &idx, 0)
        #expect(fs == ss, "s8 \(tag)")
        // The planes split over two threads (layers large enough to be split).
        var pu = [UInt8](repeating: 0, count: m), ps = [Int8](repeating: 0, count: m)
        ok_maxpool8_pool(&p, xu, &pu, 0, Self.pool2)
        ok_maxpool8_pool(&p, xs, &ps, 1, Self.pool2)
        #expect(pu == slow && ps == ss, "two threads \(tag)")
    }

    /// Layers big enough for ok_maxpool8_pool to split their planes: YOLO's SPPF (5x5
    /// stride 1, pads 2) and a 2x2 stride-2 pool, on every ISA path.
    @Test func planesSplitOverThreads() {
        let all: UInt32 = 0xffff_ffff, noAVX512: UInt32 = 1 | (1 << OK_ISA_AVX2_FMA.rawValue) | (1 << OK_ISA_NEON.rawValue)
        for mask in [all, noAVX512] {
            ok_cpu_restrict(mask)
            var rng = TestRNG(31 &+ (mask & 0xff))
            for (planes, h, k, st, pad) in [(40, 20, 5, 1, 2), (37, 64, 2, 2, 0), (200, 5, 5, 1, 2)] {
                var p = ok_pool_params()
                p.planes = Int64(planes)
                guard let (oh, ow) = setPool2D(&p, h: h, w: h, kh: k, kw: k, sh: st, sw: st, ph: pad, pw: pad) else { continue }
                let xu = (0..<(planes * h * h)).map { _ in UInt8(rng.int(0, 255)) }
                compareFastAndWindowLoop(&p, xu, outputs: planes * oh * ow, tag: "\(planes)x\(h)x\(h) k\(k) s\(st)")
            }
        }
        ok_cpu_restrict(0xffff_ffff)
    }

    /// Stride-1 "same" pools on planes of at most 64 bytes (whole planes per vector,
    /// shifted copies under row / plane masks): YOLO's SPPF 5x5 on 5x5, 8x8 (one plane
    /// per vector), windows wider than the plane, 1-row planes, plane counts that leave
    /// a partial last vector; u8 and s8 with extremes.
    @Test func smallSamePools() {
        let all: UInt32 = 0xffff_ffff, noAVX512: UInt32 = 1 | (1 << OK_ISA_AVX2_FMA.rawValue) | (1 << OK_ISA_NEON.rawValue)
        for mask in [all, noAVX512] {
            ok_cpu_restrict(mask)
            var rng = TestRNG(4242 &+ (mask & 0xff))
            for (planes, h, w, k) in [(64, 5, 5, 5), (3, 5, 5, 5), (7, 8, 8, 3), (5, 3, 3, 7), (9, 1, 9, 3), (11, 4, 6, 5),
                                      (2, 7, 9, 3)] {
                var p = ok_pool_params()
                p.planes = Int64(planes)
                guard let (oh, ow) = setPool2D(&p, h: h, w: w, kh: k, kw: k, sh: 1, sw: 1, ph: k / 2, pw: k / 2) else { continue }
                let xu = (0..<(planes * h * w)).map { i in i % 4 == 0 ? [0, 255, 127, 128][rng.int(0, 3)] : UInt8(rng.int(0, 255)) }
                compareFastAndWindowLoop(&p, xu, outputs: planes * oh * ow, tag: "\(planes)x\(h)x\(w) k\(k) same")
            }
        }
        ok_cpu_restrict(0xffff_ffff)
    }

    func check(seed: UInt32) {
        var rng = TestRNG(seed)
        for trial in 0..<300 {
            var p = ok_pool_params()
            p.planes = Int64(rng.int(1, 4))
            let h = rng.int(1, 20), w = trial % 3 == 1 ? rng.int(20, 150) : rng.int(1, 20)
            var kh = rng.int(1, 5), kw = rng.int(1, 5), sh = rng.int(1, 3), sw = rng.int(1, 3)
            if trial % 4 == 0 { kh = 2; kw = 2; sh = 2; sw = 2 }  // the 2x2 stride-2 row loop, odd widths too
            let ph = rng.int(0, min(2, kh - 1)), pw = rng.int(0, min(2, kw - 1))
            guard let (oh, ow) = setPool2D(&p, h: h, w: w, kh: kh, kw: kw, sh: sh, sw: sw, ph: ph, pw: pw) else { continue }
            let n = Int(p.planes) * h * w
            let xu = (0..<n).map { _ in trial % 5 == 2 ? [0, 255, 127, 128][rng.int(0, 3)] : UInt8(rng.int(0, 255)) }
            compareFastAndWindowLoop(&p, xu, outputs: Int(p.planes) * oh * ow,
                                     tag: "\(h)x\(w) k\(kh)x\(kw) s\(sh)x\(sw) p\(ph)x\(pw)")
        }
    }
}
}
