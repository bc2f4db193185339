import CKernels
import Testing

/// 8-bit max pooling: the separable 2-D fast path (no indices requested) must give
/// exactly what the window loop gives (the path taken when indices are requested).
@Suite struct MaxPool8BitTests {
    @Test func fastPathMatchesTheWindowLoop() {
        var rng = TestRNG(77)
        for trial in 0..<300 {
            var p = ok_pool_params()
            p.planes = Int64(rng.int(1, 4))
            let h = rng.int(1, 20), w = rng.int(1, 20)
            var kh = rng.int(1, 5), kw = rng.int(1, 5), sh = rng.int(1, 3), sw = rng.int(1, 3)
            if trial % 4 == 0 { kh = 2; kw = 2; sh = 2; sw = 2 }  // the 2x2 stride-2 row loop, odd widths too
            let ph = rng.int(0, min(2, kh - 1)), pw = rng.int(0, min(2, kw - 1))
            let oh = (h + 2 * ph - kh) / sh + 1, ow = (w + 2 * pw - kw) / sw + 1
            if oh < 1 || ow < 1 { continue }
            p.in = (1, Int64(h), Int64(w)); p.out = (1, Int64(oh), Int64(ow))
            p.kernel = (1, Int64(kh), Int64(kw)); p.stride = (1, Int64(sh), Int64(sw))
            p.dilation = (1, 1, 1); p.pad_begin = (0, Int64(ph), Int64(pw)); p.pad_end = (0, Int64(ph), Int64(pw))
            let n = Int(p.planes) * h * w, m = Int(p.planes) * oh * ow
            let xu = (0..<n).map { _ in UInt8(rng.int(0, 255)) }
            var fast = [UInt8](repeating: 0, count: m), slow = fast
            var idx = [Int64](repeating: 0, count: m)
            ok_maxpool_u8(&p, xu, &fast, nil, 0)
            ok_maxpool_u8(&p, xu, &slow, &idx, 0)
            #expect(fast == slow, "u8 \(h)x\(w) k\(kh)x\(kw) s\(sh)x\(sw) p\(ph)x\(pw)")
            let xs = xu.map { Int8(bitPattern: $0) }
            var fs = [Int8](repeating: 0, count: m), ss = fs
            ok_maxpool_s8(&p, xs, &fs, nil, 0)
            ok_maxpool_s8(&p, xs, &ss, &idx, 0)
            #expect(fs == ss, "s8 \(h)x\(w) k\(kh)x\(kw) s\(sh)x\(sw) p\(ph)x\(pw)")
        }
    }
}
