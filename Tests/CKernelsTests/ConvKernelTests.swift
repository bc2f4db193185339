import CKernels
import Testing

extension CKernelTests {
@Suite(.serialized) struct ConvKernelTests {
    enum Kind: Int { case general = 0, depthwise, pointwise, grouped }

    /// Random parameters of one kind, with a valid output shape.
    func randomParams(_ rng: inout TestRNG, kind: Kind, ndim: Int) -> ok_conv_params {
        var p = ok_conv_params()
        p.ndim = Int32(ndim)
        p.batch = Int32(rng.int(1, 2))
        var cin = rng.int(1, 12), cout = rng.int(1, 12), group = 1
        switch kind {
        case .depthwise: cin = rng.int(2, 20); cout = cin; group = cin
        case .grouped: group = rng.int(2, 3); cin = group * rng.int(1, 4); cout = group * rng.int(1, 4)
        default: break
        }
        p.cin = Int32(cin); p.cout = Int32(cout); p.group = Int32(group)
        var ins = [Int32](repeating: 1, count: 3), outs = ins, ks = ins, ss = ins, ds = ins
        var pb = [Int32](repeating: 0, count: 3), pe = pb
        for d in 0..<ndim {
            let pointwise = kind == .pointwise
            ins[d] = Int32(rng.int(1, ndim == 3 ? 6 : 19))
            ks[d] = pointwise ? 1 : Int32(kind == .depthwise && rng.int(0, 1) == 1 ? 3 : rng.int(1, 4))
            ss[d] = pointwise ? 1 : Int32(rng.int(1, 2))
            ds[d] = pointwise ? 1 : Int32(rng.int(1, 2))
            pb[d] = pointwise ? 0 : Int32(rng.int(0, 2))
            pe[d] = pointwise ? 0 : Int32(rng.int(0, 2))
            let ext = (ks[d] - 1) * ds[d] + 1
            if ins[d] + pb[d] + pe[d] < ext { pe[d] += ext - (ins[d] + pb[d] + pe[d]) }
            outs[d] = (ins[d] + pb[d] + pe[d] - ext) / ss[d] + 1
        }
        p.in_shape = (ins[0], ins[1], ins[2]); p.out_shape = (outs[0], outs[1], outs[2])
        p.kernel = (ks[0], ks[1], ks[2]); p.stride = (ss[0], ss[1], ss[2]); p.dilation = (ds[0], ds[1], ds[2])
        p.pad_begin = (pb[0], pb[1], pb[2]); p.pad_end = (pe[0], pe[1], pe[2])
        return p
    }

    func sizes(_ p: ok_conv_params, transposed: Bool = false) -> (x: Int, w: Int, y: Int) {
        let ins = [p.in_shape.0, p.in_shape.1, p.in_shape.2].prefix(Int(p.ndim))
        let outs = [p.out_shape.0, p.out_shape.1, p.out_shape.2].prefix(Int(p.ndim))
        let ks = [p.kernel.0, p.kernel.1, p.kernel.2].prefix(Int(p.ndim))
        let inSp = ins.reduce(1) { $0 * Int($1) }, outSp = outs.reduce(1) { $0 * Int($1) }
        let kv = ks.reduce(1) { $0 * Int($1) }
        if transposed {
            return (Int(p.batch * p.cin) * inSp, Int(p.cin) * Int(p.cout / p.group) * kv, Int(p.batch * p.cout) * outSp)
        }
        return (Int(p.batch * p.cin) * inSp, Int(p.cout) * Int(p.cin / p.group) * kv, Int(p.batch * p.cout) * outSp)
    }

    func check(_ p: ok_conv_params, pool: OpaquePointer?, rng: inout TestRNG, tag: String) {
        var p = p
        let n = sizes(p)
        let x = rng.floats(n.x), w = rng.floats(n.w), bias = rng.floats(Int(p.cout))
        var want = [Float](repeating: 0, count: n.y), got = want
        let act = rng.int(0, 8)
        bias.withUnsafeBufferPointer { bp in
            var ep = ok_epilogue(bias: rng.int(0, 1) == 1 ? bp.baseAddress : nil, bias_kind: 1, activation: Int32(act),
                                 p0: act == 5 ? 0.2 : -0.3, p1: act == 5 ? 0.5 : 0.4, accumulate: 0)
            ok_conv_reference(&p, x, w, &want, &ep)
            let packed = aligned(ok_conv_packed_weights_size(&p))
            ok_conv_pack_weights(&p, w, packed)
            let ws = aligned(ok_conv_workspace_size(&p, ok_pool_threads(pool)))
            ok_conv(pool, &p, x, packed, &got, &ep, ws)
            packed.deallocate()
            ws.deallocate()
        }
        expectClose(got, want, tol: 1e-4,
                    "\(tag) alg=\(ok_conv_algorithm(&p)) nd=\(p.ndim) cin=\(p.cin) cout=\(p.cout) g=\(p.group) in0=\(p.in_shape.0) k=\(p.kernel.0) s=\(p.stride.0) d=\(p.dilation.0) act=\(act)")
    }

    @Test func randomConvolutionsEveryISAAndThreads() {
        let pool2 = ok_pool_create(2)
        defer { ok_pool_destroy(pool2) }
        for isa in availableISAs() {
            withISA(isa) {
                var rng = TestRNG(99 &+ isa.rawValue)
                for pool in [nil, pool2] {
                    for trial in 0..<48 {
                        let kind = Kind(rawValue: trial % 4)!
                        let ndim = trial % 12 == 11 ? 3 : (trial % 3 == 0 ? 1 : 2)
                        let p = randomParams(&rng, kind: kind, ndim: kind == .depthwise ? 2 : ndim)
                        check(p, pool: pool, rng: &rng, tag: "\(String(cString: ok_isa_name(isa))) t=\(ok_pool_threads(pool))")
                    }
                }
            }
        }
    }

    @Test func depthwise3x3MobileNetShapes() {
        for isa in availableISAs() {
            withISA(isa) {
                var rng = TestRNG(5)
                for (size, stride) in [(56, 1), (56, 2), (7, 1), (13, 2), (9, 2)] {
                    var p = ok_conv_params()
                    p.ndim = 2; p.batch = 1; p.cin = 8; p.cout = 8; p.group = 8
                    p.in_shape = (Int32(size), Int32(size), 1)
                    let o = Int32((size + 2 - 3) / stride + 1)
                    p.out_shape = (o, o, 1)
                    p.kernel = (3, 3, 1); p.stride = (Int32(stride), Int32(stride), 1); p.dilation = (1, 1, 1)
                    p.pad_begin = (1, 1, 0); p.pad_end = (1, 1, 0)
                    #expect(ok_conv_algorithm(&p) == 2)
                    check(p, pool: nil, rng: &rng, tag: "dw \(size) s\(stride) \(String(cString: ok_isa_name(isa)))")
                }
            }
        }
    }

    /// Small planes take the zero-padded tile path (every output row whole vectors,
    /// bias/activation in registers); 112x112 is too big for the tile (border path).
    @Test func depthwiseSmallPlanesTilePath() {
        let pool2 = ok_pool_create(2)
        defer { ok_pool_destroy(pool2) }
        for isa in availableISAs() {
            withISA(isa) {
                var rng = TestRNG(77)
                let cases: [(size: Int, k: Int, stride: Int, dil: Int, pad: Int)] = [
                    (8, 3, 1, 1, 1), (8, 3, 2, 1, 1), (1, 3, 1, 1, 1), (4, 3, 1, 1, 1), (32, 3, 1, 1, 1),
                    (14, 3, 2, 1, 1), (7, 5, 1, 1, 2), (10, 5, 2, 1, 2), (9, 3, 1, 2, 2), (17, 3, 2, 1, 0),
                    (112, 3, 1, 1, 1),
                    // AVX-512 3x3 rows of >= 17 outputs (16-wide vectors, two output rows per
                    // step, an odd last row, masked tails): stride 1 and 2, odd and even sizes.
                    (24, 3, 1, 1, 1), (27, 3, 1, 1, 1), (33, 3, 2, 1, 1), (40, 3, 2, 1, 1), (35, 3, 2, 1, 0)]
                for (n, c) in cases.enumerated() {
                    var p = ok_conv_params()
                    p.ndim = 2; p.batch = 1; p.cin = 12; p.cout = 12; p.group = 12
                    p.in_shape = (Int32(c.size), Int32(c.size), 1)
                    let ext = (c.k - 1) * c.dil + 1
                    let o = Int32((c.size + 2 * c.pad - ext) / c.stride + 1)
                    p.out_shape = (o, o, 1)
                    p.kernel = (Int32(c.k), Int32(c.k), 1); p.stride = (Int32(c.stride), Int32(c.stride), 1)
                    p.dilation = (Int32(c.dil), Int32(c.dil), 1)
                    p.pad_begin = (Int32(c.pad), Int32(c.pad), 0); p.pad_end = (Int32(c.pad), Int32(c.pad), 0)
                    #expect(ok_conv_algorithm(&p) == 2)
                    for _ in 0..<(c.size >= 24 && c.size < 112 ? 3 : 1) {  // several activations
                        check(p, pool: n % 2 == 0 ? nil : pool2, rng: &rng,
                              tag: "dw tile \(c) \(String(cString: ok_isa_name(isa)))")
                    }
                }
            }
        }
    }

    /// Rows shorter than 8 outputs take the channel-vectorised path on x86 (kws:
    /// 64 channels of 25x5); channel counts that are not a multiple of the vector
    /// width, batches, strides, dilations and non-square kernels included.
    @Test func depthwiseNarrowPlanesChannelPath() {
        let pool2 = ok_pool_create(2)
        defer { ok_pool_destroy(pool2) }
        for isa in availableISAs() {
            withISA(isa) {
                var rng = TestRNG(31)
                let cases: [(c: Int, h: Int, w: Int, kh: Int, kw: Int, s: Int, d: Int, pad: Int, batch: Int)] = [
                    (64, 25, 5, 3, 3, 1, 1, 1, 1), (12, 7, 7, 3, 3, 1, 1, 1, 2), (20, 7, 7, 3, 3, 2, 1, 1, 1),
                    (17, 4, 4, 3, 3, 1, 1, 1, 1), (33, 9, 6, 5, 3, 1, 1, 2, 1), (8, 6, 6, 3, 3, 1, 2, 2, 2),
                    (3, 1, 1, 3, 3, 1, 1, 1, 1), (40, 25, 5, 1, 1, 1, 1, 0, 1)]
                for (n, c) in cases.enumerated() {
                    var p = ok_conv_params()
                    p.ndim = 2; p.batch = Int32(c.batch); p.cin = Int32(c.c); p.cout = Int32(c.c); p.group = Int32(c.c)
                    p.in_shape = (Int32(c.h), Int32(c.w), 1)
                    let oh = (c.h + 2 * c.pad - ((c.kh - 1) * c.d + 1)) / c.s + 1
                    let ow = (c.w + 2 * c.pad - ((c.kw - 1) * c.d + 1)) / c.s + 1
                    p.out_shape = (Int32(oh), Int32(ow), 1)
                    p.kernel = (Int32(c.kh), Int32(c.kw), 1); p.stride = (Int32(c.s), Int32(c.s), 1)
                    p.dilation = (Int32(c.d), Int32(c.d), 1)
                    p.pad_begin = (Int32(c.pad), Int32(c.pad), 0); p.pad_end = (Int32(c.pad), Int32(c.pad), 0)
                    #expect(ok_conv_algorithm(&p) == 2)
                    for _ in 0..<3 {
                        check(p, pool: n % 2 == 0 ? nil : pool2, rng: &rng,
                              tag: "dw narrow \(c) \(String(cString: ok_isa_name(isa)))")
                    }
                }
            }
        }
    }

    /// 3x3 stride-1 convolutions with rows of >= 8 outputs run direct on AVX-512
    /// (algorithm 3): flat blocks crossing row ends (OW 8, 10, 20, 30, 45, 64, 100),
    /// pads 0/1 on either side, batches, Cout multiples of 8; other ISAs and 7-wide
    /// rows take im2col + GEMM. Stride 2 runs direct over the four phases of the
    /// padded input when rows have >= 4 outputs: odd and even sizes, pads 0/1/2 at
    /// the end, rows wider than one 32-column split step (the vector phase split and
    /// its scalar tail), 3-wide rows on im2col.
    @Test func direct3x3MatchesReference() {
        let pool2 = ok_pool_create(2)
        defer { ok_pool_destroy(pool2) }
        for isa in availableISAs() {
            withISA(isa) {
                var rng = TestRNG(61)
                let cases: [(cin: Int, cout: Int, h: Int, w: Int, pb: Int, pe: Int, batch: Int, s: Int)] = [
                    (3, 16, 12, 30, 1, 1, 1, 1), (5, 8, 7, 45, 1, 1, 2, 1), (16, 32, 6, 66, 0, 0, 1, 1),
                    (2, 24, 5, 100, 1, 1, 1, 1), (9, 16, 4, 46, 0, 1, 1, 1), (4, 8, 3, 31, 1, 0, 1, 1),
                    (6, 16, 10, 10, 1, 1, 1, 1), (3, 8, 20, 20, 1, 1, 2, 1), (5, 8, 8, 8, 1, 1, 1, 1),
                    (4, 16, 9, 9, 0, 0, 1, 1),
                    (3, 16, 16, 16, 1, 1, 1, 2), (3, 16, 17, 67, 1, 1, 2, 2), (5, 8, 20, 20, 1, 0, 1, 2),
                    (4, 24, 9, 10, 0, 0, 1, 2), (2, 8, 11, 100, 0, 1, 1, 2), (6, 16, 10, 9, 1, 2, 1, 2),
                    (7, 8, 8, 65, 1, 1, 1, 2), (3, 8, 7, 7, 1, 1, 1, 2), (4, 8, 6, 6, 1, 1, 1, 2)]
                for (n, c) in cases.enumerated() {
                    var p = ok_conv_params()
                    p.ndim = 2; p.batch = Int32(c.batch); p.cin = Int32(c.cin); p.cout = Int32(c.cout); p.group = 1
                    p.in_shape = (Int32(c.h), Int32(c.w), 1)
                    let oh = (c.h + c.pb + c.pe - 3) / c.s + 1, ow = (c.w + c.pb + c.pe - 3) / c.s + 1
                    p.out_shape = (Int32(oh), Int32(ow), 1)
                    p.kernel = (3, 3, 1); p.stride = (Int32(c.s), Int32(c.s), 1); p.dilation = (1, 1, 1)
                    p.pad_begin = (Int32(c.pb), Int32(c.pb), 0); p.pad_end = (Int32(c.pe), Int32(c.pe), 0)
                    let direct = isa == OK_ISA_AVX512 && ow >= (c.s == 1 ? 8 : 4)
                    #expect(ok_conv_algorithm(&p) == (direct ? 3 : 0), "\(c)")
                    for _ in 0..<2 {
                        check(p, pool: n % 2 == 0 ? nil : pool2, rng: &rng,
                              tag: "direct3x3 \(c) \(String(cString: ok_isa_name(isa)))")
                    }
                }
            }
        }
    }

    /// Other kernel sizes run direct too (2..64 taps, stride 1 or 2, pads smaller than
    /// the kernel, rows >= 80% outputs): kws's 10x4 stride-2 first layer with pads
    /// (4, 1, 5, 2), 5x5 and 7x7 stems, 2x2 stride 2, 1x3 and 3x1; 1x1 stride 2 and a
    /// 64+-tap kernel stay on im2col.
    @Test func directOtherKernelSizesMatchReference() {
        let pool2 = ok_pool_create(2)
        defer { ok_pool_destroy(pool2) }
        for isa in availableISAs() {
            withISA(isa) {
                var rng = TestRNG(62)
                let cases: [(cin: Int, cout: Int, h: Int, w: Int, kh: Int, kw: Int, s: Int, pads: [Int], direct: Bool)] = [
                    (1, 64, 49, 10, 10, 4, 2, [4, 1, 5, 2], true), (3, 16, 23, 40, 5, 5, 1, [2, 2, 2, 2], true),
                    (3, 8, 32, 33, 7, 7, 2, [3, 3, 3, 3], true), (4, 16, 16, 20, 2, 2, 2, [0, 0, 0, 0], true),
                    (5, 8, 9, 30, 1, 3, 1, [0, 1, 0, 1], true), (2, 8, 12, 17, 3, 1, 1, [1, 0, 1, 0], true),
                    (6, 8, 20, 20, 1, 1, 2, [0, 0, 0, 0], false), (2, 8, 20, 20, 9, 9, 1, [4, 4, 4, 4], false)]
                for (n, c) in cases.enumerated() {
                    var p = ok_conv_params()
                    p.ndim = 2; p.batch = 1; p.cin = Int32(c.cin); p.cout = Int32(c.cout); p.group = 1
                    p.in_shape = (Int32(c.h), Int32(c.w), 1)
                    let oh = (c.h + c.pads[0] + c.pads[2] - c.kh) / c.s + 1, ow = (c.w + c.pads[1] + c.pads[3] - c.kw) / c.s + 1
                    p.out_shape = (Int32(oh), Int32(ow), 1)
                    p.kernel = (Int32(c.kh), Int32(c.kw), 1); p.stride = (Int32(c.s), Int32(c.s), 1); p.dilation = (1, 1, 1)
                    p.pad_begin = (Int32(c.pads[0]), Int32(c.pads[1]), 0); p.pad_end = (Int32(c.pads[2]), Int32(c.pads[3]), 0)
                    #expect(ok_conv_algorithm(&p) == (isa == OK_ISA_AVX512 && c.direct ? 3 : 0), "\(c)")
                    for _ in 0..<2 {
                        check(p, pool: n % 2 == 0 ? nil : pool2, rng: &rng,
                              tag: "direct \(c) \(String(cString: ok_isa_name(isa)))")
                    }
                }
            }
        }
    }

    @Test func transposedConvolutionMatchesReference() {
        let pool2 = ok_pool_create(2)
        defer { ok_pool_destroy(pool2) }
        for isa in availableISAs() {
            withISA(isa) {
                var rng = TestRNG(77)
                for trial in 0..<24 {
                    var p = ok_conv_params()
                    let ndim = trial % 3 == 0 ? 1 : 2
                    p.ndim = Int32(ndim); p.batch = Int32(rng.int(1, 2))
                    p.group = Int32(trial % 4 == 3 ? 2 : 1)
                    p.cin = p.group * Int32(rng.int(1, 4)); p.cout = p.group * Int32(rng.int(1, 4))
                    var vals = [[Int32]](repeating: [1, 1, 1], count: 6)  // in k s d pb out
                    for d in 0..<ndim {
                        vals[0][d] = Int32(rng.int(1, 7)); vals[1][d] = Int32(rng.int(1, 4))
                        vals[2][d] = Int32(rng.int(1, 3)); vals[3][d] = Int32(rng.int(1, 2))
                        vals[4][d] = Int32(rng.int(0, 1))
                        let outPad = Int32(rng.int(0, Int(vals[2][d]) - 1))
                        vals[5][d] = (vals[0][d] - 1) * vals[2][d] + (vals[1][d] - 1) * vals[3][d] + 1 - 2 * vals[4][d] + outPad
                        if vals[5][d] < 1 { vals[4][d] = 0; vals[5][d] = (vals[0][d] - 1) * vals[2][d] + (vals[1][d] - 1) * vals[3][d] + 1 }
                    }
                    for d in ndim..<3 { vals[4][d] = 0 }
                    p.in_shape = (vals[0][0], vals[0][1], vals[0][2]); p.kernel = (vals[1][0], vals[1][1], vals[1][2])
                    p.stride = (vals[2][0], vals[2][1], vals[2][2]); p.dilation = (vals[3][0], vals[3][1], vals[3][2])
                    p.pad_begin = (vals[4][0], vals[4][1], vals[4][2]); p.out_shape = (vals[5][0], vals[5][1], vals[5][2])
                    let n = sizes(p, transposed: true)
                    let x = rng.floats(n.x), w = rng.floats(n.w), bias = rng.floats(Int(p.cout))
                    var want = [Float](repeating: 0, count: n.y), got = want
                    bias.withUnsafeBufferPointer { bp in
                        var ep = ok_epilogue(bias: bp.baseAddress, bias_kind: 1, activation: Int32(trial % 9), p0: -0.3, p1: 0.4, accumulate: 0)
                        ok_conv_transpose_reference(&p, x, w, &want, &ep)
                        let packed = aligned(ok_conv_transpose_packed_weights_size(&p))
                        ok_conv_transpose_pack_weights(&p, w, packed)
                        let pool = trial % 2 == 0 ? nil : pool2
                        let ws = aligned(ok_conv_transpose_workspace_size(&p, ok_pool_threads(pool)))
                        ok_conv_transpose(pool, &p, x, packed, &got, &ep, ws)
                        packed.deallocate()
                        ws.deallocate()
                    }
                    expectClose(got, want, tol: 1e-4, "convT trial \(trial) \(String(cString: ok_isa_name(isa)))")
                }
            }
        }
    }
}
}
