import CKernels
import Testing

extension CKernelTests {
@Suite(.serialized) struct QConvTests {
    struct Shape {
        var ndim = 2, batch = 1, cin = 1, cout = 1, group = 1
        var inShape = [1, 1, 1], kernel = [1, 1, 1], stride = [1, 1, 1], dilation = [1, 1, 1]
        var padBegin = [0, 0, 0], padEnd = [0, 0, 0]

        /// A 2-D convolution's shape from its per-axis lists (H, W).
        static func conv2D(cin: Int, cout: Int, group: Int, batch: Int, input: [Int], stride: [Int], kernel: [Int],
                           dilation: [Int], padBegin: [Int], padEnd: [Int]) -> Shape {
            var s = Shape()
            s.cin = cin; s.cout = cout; s.group = group; s.batch = batch
            s.inShape = input + [1]; s.stride = stride + [1]; s.kernel = kernel + [1]; s.dilation = dilation + [1]
            s.padBegin = padBegin + [0]; s.padEnd = padEnd + [0]
            return s
        }
    }

    func params(_ s: Shape) -> ok_conv_params {
        var p = ok_conv_params()
        p.ndim = Int32(s.ndim); p.batch = Int32(s.batch); p.cin = Int32(s.cin); p.cout = Int32(s.cout); p.group = Int32(s.group)
        var outs = [Int32](repeating: 1, count: 3)
        for i in 0..<s.ndim {
            let eff = (s.kernel[i] - 1) * s.dilation[i] + 1
            outs[i] = Int32((s.inShape[i] + s.padBegin[i] + s.padEnd[i] - eff) / s.stride[i] + 1)
        }
        func t(_ a: [Int]) -> (Int32, Int32, Int32) { (Int32(a[0]), Int32(a[1]), Int32(a[2])) }
        p.in_shape = t(s.inShape); p.out_shape = (outs[0], outs[1], outs[2]); p.kernel = t(s.kernel)
        p.stride = t(s.stride); p.dilation = t(s.dilation); p.pad_begin = t(s.padBegin); p.pad_end = t(s.padEnd)
        return p
    }

    /// weightsFitS8: every w - zw in [-128, 127] (the ends included when extreme), the
    /// case in which depthwise convolutions take the VNNI kernel.
    /// Returns whether the packed weights carry the direct VNNI kernel's copy.
    @discardableResult
    func run(_ s: Shape, out: ok_qout, pool: OpaquePointer?, rng: inout TestRNG, extreme: Bool, tag: String,
             weightsFitS8: Bool = false) -> Bool {
        run(s, out: out, pool: pool, rng: &rng, extreme: extreme, tag: tag, weightsFitS8: weightsFitS8,
            depthwiseKernel: true) == "direct"
    }

    /// As above; returns the depthwise kernel that ran (ok_qconv_depthwise_kernel), or
    /// "direct" / "gemm" for other layers.
    func run(_ s: Shape, out: ok_qout, pool: OpaquePointer?, rng: inout TestRNG, extreme: Bool, tag: String,
             weightsFitS8: Bool, depthwiseKernel: Bool) -> String {
        var p = params(s)
        var outSp = 1, inSp = 1, kv = 1
        withUnsafeBytes(of: p.out_shape) { b in for i in 0..<s.ndim { outSp *= Int(b.load(fromByteOffset: 4 * i, as: Int32.self)) } }
        for i in 0..<s.ndim { inSp *= s.inShape[i]; kv *= s.kernel[i] }
        let tx = rng.int(0, 1) == 0 ? OK_QTYPE_U8 : OK_QTYPE_S8, tw = rng.int(0, 1) == 0 ? OK_QTYPE_U8 : OK_QTYPE_S8
        let x = qData(s.batch * s.cin * inSp, &rng, extreme: extreme)
        var w = qData(s.cout * (s.cin / s.group) * kv, &rng, extreme: extreme)
        func zp(_ t: ok_qtype) -> Int32 {
            let v = extreme ? [0, 255, 128][rng.int(0, 2)] : rng.int(0, 255)
            return Int32(t == OK_QTYPE_U8 ? v : v - 128)
        }
        let zx = zp(tx)
        let zwPer = rng.int(0, 1) == 0 ? OK_QPER_TENSOR : OK_QPER_ROW
        let zw = (0..<s.cout).map { _ in zp(tw) }
        if weightsFitS8 {
            let per = w.count / s.cout, lo = tw == OK_QTYPE_S8 ? -128 : 0
            for i in 0..<w.count {
                let z = Int(zw[zwPer == OK_QPER_ROW ? i / per : 0])
                let d = extreme ? [-128, 127, 0, -1][rng.int(0, 3)] : rng.int(-128, 127)
                let v = min(max(z + d, lo), lo + 255)
                w[i] = UInt8(truncatingIfNeeded: v)
            }
        }
        var epd = QEpilogueData(rows: s.cout, cols: 1, out: out, rng: &rng, K: (s.cin / s.group) * kv)
        epd.biasPer = OK_QPER_ROW
        if epd.scalePer == OK_QPER_COL { epd.scalePer = OK_QPER_ROW }
        let eb = qOutBytes(out)
        var direct = false
        var kernel = ""
        var got = [UInt8](repeating: 0xcd, count: s.batch * s.cout * outSp * eb), want = got
        epd.with { ep in
            ok_qconv_reference(&p, x, Int32(tx.rawValue), zx, w, Int32(tw.rawValue), zw, Int32(zwPer.rawValue), &want, ep)
            let packed = aligned(ok_qconv_packed_weights_size(&p))
            ok_qconv_pack_weights(&p, w, Int32(tw.rawValue), zw, Int32(zwPer.rawValue), packed)
            direct = ok_qconv_direct_packed(packed) != 0
            kernel = direct ? "direct" : String(cString: ok_qconv_depthwise_kernel(&p, packed, Int32(tx.rawValue), zx, ep))
            let ws = aligned(ok_qconv_workspace_size(&p, ok_pool_threads(pool)))
            ok_qconv(pool, &p, x, Int32(tx.rawValue), zx, packed, &got, ep, ws)
            ws.deallocate()
            packed.deallocate()
        }
        if let i = firstMismatch(got, want, elem: eb) {
            Issue.record("\(tag) alg=\(ok_qconv_algorithm(&p)) kernel=\(kernel) \(s) \(epd.description) zwPer=\(zwPer.rawValue) tx=\(tx.rawValue) tw=\(tw.rawValue): first mismatch at \(i)")
        }
        return kernel == "none" ? "gemm" : kernel
    }

    func randomShape(_ rng: inout TestRNG, kind: Int) -> Shape {
        var s = Shape()
        s.ndim = kind == 3 ? [1, 2][rng.int(0, 1)] : 2
        if rng.int(0, 5) == 0 && kind != 2 { s.ndim = 1 }
        s.batch = rng.int(1, 2)
        for i in 0..<s.ndim {
            s.inShape[i] = rng.int(1, 13)
            s.kernel[i] = rng.int(1, 3)
            s.stride[i] = rng.int(1, 2)
            s.dilation[i] = rng.int(1, 2)
            s.padBegin[i] = rng.int(0, 2); s.padEnd[i] = rng.int(0, 2)
            let eff = (s.kernel[i] - 1) * s.dilation[i] + 1
            if s.inShape[i] + s.padBegin[i] + s.padEnd[i] < eff { s.inShape[i] = eff }
        }
        switch kind {
        case 0:  // general, groups
            s.group = rng.int(1, 3); s.cin = s.group * rng.int(1, 5); s.cout = s.group * rng.int(1, 7)
        case 1:  // pointwise
            s.cin = rng.int(1, 40); s.cout = rng.int(1, 40)
            for i in 0..<3 { s.kernel[i] = 1; s.stride[i] = 1; s.padBegin[i] = 0; s.padEnd[i] = 0 }
        case 2:  // depthwise
            s.cin = rng.int(2, 9); s.cout = s.cin; s.group = s.cin
            if rng.int(0, 1) == 0 { s.kernel = [3, 3, 1]; s.padBegin = [1, 1, 0]; s.padEnd = [1, 1, 0]; s.dilation = [1, 1, 1] }
            s.inShape[0] = rng.int(3, 20); s.inShape[1] = rng.int(3, 40)
        default:  // larger K: several channels through im2col
            s.cin = rng.int(8, 40); s.cout = rng.int(1, 30)
        }
        return s
    }

    @Test func randomConvsEveryISA() {
        let pool2 = ok_pool_create(2)
        defer { ok_pool_destroy(pool2) }
        for isa in availableQISAs() {
            withQISA(isa) {
                var rng = TestRNG(77 &+ isa.rawValue)
                for pool in [nil, pool2] {
                    for trial in 0..<48 {
                        let s = randomShape(&rng, kind: trial % 4)
                        run(s, out: ok_qout(UInt32(rng.int(0, 3))), pool: pool, rng: &rng, extreme: rng.int(0, 3) == 0,
                            tag: "\(String(cString: ok_isa_name(isa))) threads=\(ok_pool_threads(pool))")
                    }
                }
            }
        }
    }

    /// The direct VNNI kernel for few input channels (w - zw within s8): stems (3
    /// channels, 3x3 stride 2, ragged 16-lane row tails), tiny's 3->8 / 8->16 layers,
    /// flat narrow planes, KW 5 and 8 (two groups of 4 taps per row), output channels
    /// past a block of 16 (17, 24, 33: the 8-channel block and its tail), batch 2;
    /// extreme values, every output type, every int8 path, one and two threads. On a
    /// CPU with VNNI most of them must take the kernel (the count is checked).
    @Test func directVNNIExact() {
        let pool2 = ok_pool_create(2)
        defer { ok_pool_destroy(pool2) }
        let vnni = ok_cpu_supported_isas() & (1 << OK_ISA_AVX512_VNNI.rawValue) != 0
        for isa in availableQISAs() {
            withQISA(isa) {
                var rng = TestRNG(5003 &+ isa.rawValue)
                // cin, in, stride, kernel, cout
                let fixed: [(Int, [Int], [Int], [Int], Int)] = [
                    (3, [33, 35], [2, 2], [3, 3], 16), (3, [32, 32], [1, 1], [3, 3], 8), (8, [16, 16], [1, 1], [3, 3], 16),
                    (1, [6, 6], [1, 1], [3, 3], 17), (2, [20, 40], [1, 1], [5, 5], 24), (1, [12, 30], [1, 2], [4, 8], 33),
                    (4, [18, 18], [2, 2], [3, 3], 40), (3, [9, 64], [1, 1], [1, 3], 5),
                    // Flat planes big enough for two threads (tasks = blocks of 16 channels).
                    (3, [64, 10], [1, 1], [3, 3], 40),
                ]
                var taken = 0, runs = 0
                for trial in 0..<25 {
                    var s = Shape()
                    s.batch = rng.int(1, 2)
                    if trial < fixed.count {
                        let f = fixed[trial]
                        s.cin = f.0; s.inShape = f.1 + [1]; s.stride = f.2 + [1]; s.kernel = f.3 + [1]; s.cout = f.4
                        s.padBegin = [f.3[0] / 2, f.3[1] / 2, 0]; s.padEnd = [(f.3[0] - 1) / 2, (f.3[1] - 1) / 2, 0]
                    } else {
                        s.cin = rng.int(1, 4); s.cout = rng.int(1, 40)
                        for i in 0..<2 {
                            s.inShape[i] = rng.int(4, 40)
                            s.kernel[i] = rng.int(1, 5); s.stride[i] = rng.int(1, 2)
                            s.padBegin[i] = rng.int(0, 2); s.padEnd[i] = rng.int(0, 2)
                            if s.inShape[i] + s.padBegin[i] + s.padEnd[i] < s.kernel[i] { s.inShape[i] = s.kernel[i] }
                        }
                    }
                    for pool in [nil, pool2] {
                        runs += 1
                        if run(s, out: ok_qout(UInt32(rng.int(0, 3))), pool: pool, rng: &rng, extreme: rng.int(0, 2) == 0,
                               tag: "direct \(String(cString: ok_isa_name(isa))) threads=\(ok_pool_threads(pool))",
                               weightsFitS8: true) {
                            taken += 1
                        }
                    }
                }
                if vnni { #expect(taken * 2 >= runs, "direct kernel packed in \(taken) of \(runs) runs") }
            }
        }
    }

    /// Convolutions whose output rows are 9-32 wide (the padded-plane im2col with one
    /// vpermb per group of rows on AVX-512 VBMI): YOLO's 40x40 and 20x20 downsamplers and
    /// its stride-1 3x3 layers on 10x10 and 20x20 planes (5 and 3 rows per vpermb, the
    /// columns built over the pool at 2 threads from 16 KB), 32-wide stride-1 rows (one
    /// row per vpermb), and the edges of its bounds (a 64-byte input span, 33-wide rows
    /// that stay on the generic loop, stride 3, dilation, asymmetric pads), groups,
    /// batch 2, every output type, every int8 path, one and two threads.
    @Test func wideRowsIm2col() {
        let pool2 = ok_pool_create(2)
        defer { ok_pool_destroy(pool2) }
        // cin, cout, group, in, stride, kernel, dilation, pad begin, pad end
        let shapes: [(Int, Int, Int, [Int], [Int], [Int], [Int], [Int], [Int])] = [
            (32, 48, 1, [40, 40], [2, 2], [3, 3], [1, 1], [1, 1], [1, 1]), (48, 20, 1, [20, 20], [2, 2], [3, 3], [1, 1], [1, 1], [1, 1]),
            (5, 7, 1, [9, 65], [2, 2], [3, 3], [1, 1], [1, 1], [1, 1]), (3, 4, 1, [6, 66], [1, 2], [1, 3], [1, 1], [0, 1], [0, 0]),
            (4, 6, 2, [11, 50], [3, 3], [3, 5], [1, 2], [2, 1], [0, 3]), (6, 5, 1, [7, 40], [2, 2], [1, 1], [1, 1], [0, 0], [0, 0]),
            (2, 3, 1, [8, 19], [1, 2], [3, 3], [2, 1], [1, 0], [2, 1]),
            (48, 48, 1, [10, 10], [1, 1], [3, 3], [1, 1], [1, 1], [1, 1]), (24, 24, 1, [20, 20], [1, 1], [3, 3], [1, 1], [1, 1], [1, 1]),
            (96, 64, 1, [20, 20], [1, 1], [3, 3], [1, 1], [1, 1], [1, 1]), (5, 6, 1, [7, 32], [1, 1], [3, 3], [1, 1], [1, 1], [1, 1]),
            (3, 5, 1, [6, 33], [1, 1], [3, 3], [1, 1], [1, 1], [1, 1]), (4, 6, 2, [9, 12], [1, 1], [3, 3], [1, 1], [0, 1], [2, 0]),
        ]
        for isa in availableQISAs() {
            withQISA(isa) {
                var rng = TestRNG(8123 &+ isa.rawValue)
                for (i, f) in shapes.enumerated() {
                    let s = Shape.conv2D(cin: f.0, cout: f.1, group: f.2, batch: 1 + i % 2, input: f.3, stride: f.4,
                                         kernel: f.5, dilation: f.6, padBegin: f.7, padEnd: f.8)
                    for out in [OK_QOUT_U8, OK_QOUT_I32, OK_QOUT_F32, OK_QOUT_S8] {
                        run(s, out: out, pool: out == OK_QOUT_U8 || out == OK_QOUT_F32 ? pool2 : nil, rng: &rng,
                            extreme: (i + Int(out.rawValue)) % 2 == 0, tag: "wide rows \(String(cString: ok_isa_name(isa)))")
                    }
                }
            }
        }
    }

    /// The channel-vectorised depthwise kernel (AVX-512, output rows <= 8 wide): 8x8,
    /// 4x4 and 25x5 planes, stride 2, 7x7 kernels (its 49-tap bound, extreme values:
    /// sums of 49 products of 255 * 255 stay exact in float), channel counts past a
    /// block of 16 (17, 33), batch 2, every output type, one and two threads.
    @Test func depthwiseChannelsExact() {
        let pool2 = ok_pool_create(2)
        defer { ok_pool_destroy(pool2) }
        for isa in availableQISAs() {
            withQISA(isa) {
                var rng = TestRNG(4441 &+ isa.rawValue)
                let shapes: [([Int], [Int], [Int], Int)] = [  // in, stride, kernel, channels
                    ([8, 8], [1, 1], [3, 3], 17), ([4, 4], [1, 1], [3, 3], 33), ([8, 8], [2, 2], [3, 3], 16),
                    ([25, 5], [1, 1], [3, 3], 20), ([8, 8], [1, 1], [7, 7], 18), ([6, 7], [1, 2], [5, 3], 3),
                ]
                for (i, f) in shapes.enumerated() {
                    var s = Shape()
                    s.cin = f.3; s.cout = f.3; s.group = f.3; s.batch = 1 + i % 2
                    s.inShape = f.0 + [1]; s.stride = f.1 + [1]; s.kernel = f.2 + [1]
                    s.padBegin = [f.2[0] / 2, f.2[1] / 2, 0]; s.padEnd = s.padBegin
                    for out in [OK_QOUT_U8, OK_QOUT_I32, OK_QOUT_F32, OK_QOUT_S8] {
                        run(s, out: out, pool: out == OK_QOUT_U8 ? pool2 : nil, rng: &rng, extreme: i % 2 == 0,
                            tag: "dw channels \(String(cString: ok_isa_name(isa)))")
                    }
                }
            }
        }
    }

    /// The integer channel-vectorised depthwise kernel (AVX-512 VNNI + VBMI, output rows
    /// <= 16 wide, w - zw within s8): kws' 25x5 (64 channels: four full blocks), 8x8
    /// stride 2, 4x4, 7x7 kernels (14 tap groups), KW 5 (two groups per row), KH 1,
    /// unequal strides, dilation along H, asymmetric pads, channel counts past a block
    /// of 16 (17, 33) and below it (3), batch 2; extreme values and zero points at both
    /// ends, every output type, one and two threads, every int8 path. On a CPU with the
    /// kernel every case must take it (checked through ok_qconv_depthwise_kernel).
    @Test func depthwiseChannelsVNNIExact() {
        let pool2 = ok_pool_create(2)
        defer { ok_pool_destroy(pool2) }
        let supported = ok_cpu_supported_isas() & (1 << OK_ISA_AVX512_VNNI.rawValue) != 0 && ok_cpu_has_avx512_vbmi() != 0
        // in, stride, kernel, dilation, pad begin, pad end, channels
        let shapes: [([Int], [Int], [Int], [Int], [Int], [Int], Int)] = [
            ([25, 5], [1, 1], [3, 3], [1, 1], [1, 1], [1, 1], 64), ([8, 8], [2, 2], [3, 3], [1, 1], [1, 1], [1, 1], 17),
            ([4, 4], [1, 1], [3, 3], [1, 1], [1, 1], [1, 1], 33), ([8, 8], [1, 1], [7, 7], [1, 1], [3, 3], [3, 3], 18),
            ([6, 7], [1, 2], [5, 3], [1, 1], [2, 1], [2, 1], 3), ([9, 6], [1, 1], [3, 5], [1, 1], [1, 2], [1, 2], 20),
            ([12, 8], [2, 1], [1, 3], [1, 1], [0, 1], [0, 1], 16), ([10, 6], [1, 1], [3, 3], [2, 1], [2, 0], [1, 2], 31),
            // Rows of 16 outputs (the widest it takes), input rows of multiples of 4
            // pixels (whole 64-byte tile stores), stride 2 from 32 wide.
            ([16, 16], [1, 1], [3, 3], [1, 1], [1, 1], [1, 1], 20), ([32, 32], [2, 2], [3, 3], [1, 1], [1, 1], [1, 1], 17),
        ]
        for isa in availableQISAs() {
            withQISA(isa) {
                var rng = TestRNG(6007 &+ isa.rawValue)
                for (i, f) in shapes.enumerated() {
                    let s = Shape.conv2D(cin: f.6, cout: f.6, group: f.6, batch: 1 + i % 2, input: f.0, stride: f.1,
                                         kernel: f.2, dilation: f.3, padBegin: f.4, padEnd: f.5)
                    for out in [OK_QOUT_U8, OK_QOUT_I32, OK_QOUT_F32, OK_QOUT_S8] {
                        for pool in [nil, pool2] {
                            let kernel = run(s, out: out, pool: pool, rng: &rng, extreme: (i + Int(out.rawValue)) % 2 == 0,
                                             tag: "dw channels vnni \(String(cString: ok_isa_name(isa)))",
                                             weightsFitS8: true, depthwiseKernel: true)
                            if supported && isa == OK_ISA_AVX512_VNNI {
                                #expect(kernel == "channels-vnni", "shape \(i) out \(out.rawValue): ran \(kernel)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Depthwise kernels at the float path's exactness bound (16x16 = 256 taps of
    /// 255 * 255) and past it (17x17: the int32 path), extreme values.
    @Test func largeDepthwiseKernelsStayExact() {
        for isa in availableQISAs() {
            withQISA(isa) {
                var rng = TestRNG(11)
                for k in [16, 17] {
                    var s = Shape(); s.cin = 3; s.cout = 3; s.group = 3; s.inShape = [20, 21, 1]; s.kernel = [k, k, 1]
                    s.padBegin = [k / 2, k / 2, 0]; s.padEnd = [k / 2, k / 2, 0]
                    for out in [OK_QOUT_I32, OK_QOUT_U8] {
                        run(s, out: out, pool: nil, rng: &rng, extreme: true, tag: "\(String(cString: ok_isa_name(isa))) k=\(k)")
                    }
                }
            }
        }
    }

    /// Depthwise against the reference twin on the shapes the direct AVX-512 kernel
    /// lays out differently: narrow planes (flat vectors over several rows, kws 25x5,
    /// MobileNet 8x8 / 4x4, stride 2 with equal strides), wide ones (rows with ragged
    /// 16-lane tails), unequal strides, dilation, asymmetric pads, 1x1 planes, extreme
    /// values; every int8 path, AVX-512 without VNNI included (the AVX2 GEMM with the
    /// AVX-512 depthwise kernel), one and two threads.
    @Test func depthwiseNarrowAndWidePlanes() {
        let pool2 = ok_pool_create(2)
        defer { ok_pool_destroy(pool2) }
        var isas = availableQISAs()
        if ok_cpu_supported_isas() & (1 << OK_ISA_AVX512.rawValue) != 0 { isas.append(OK_ISA_AVX512) }
        for isa in isas {
            let body = {
                var rng = TestRNG(301 &+ isa.rawValue)
                let fixed: [([Int], [Int], [Int])] = [  // in, stride, kernel
                    ([25, 5], [1, 1], [3, 3]), ([8, 8], [1, 1], [3, 3]), ([8, 8], [2, 2], [3, 3]), ([4, 4], [1, 1], [3, 3]),
                    ([64, 37], [2, 2], [3, 3]), ([33, 47], [1, 1], [3, 3]), ([1, 1], [1, 1], [3, 3]), ([9, 17], [1, 2], [3, 3]),
                    ([10, 4], [2, 1], [5, 3]), ([7, 19], [2, 2], [1, 1]), ([12, 12], [1, 1], [7, 7]),
                ]
                for trial in 0..<40 {
                    var s = Shape()
                    s.cin = rng.int(1, 20); s.cout = s.cin; s.group = s.cin
                    if s.cin == 1 { s.cin = 2; s.cout = 2; s.group = 2 }
                    s.batch = rng.int(1, 2)
                    if trial < fixed.count {
                        let f = fixed[trial]
                        s.inShape = f.0 + [1]; s.stride = f.1 + [1]; s.kernel = f.2 + [1]
                        s.padBegin = [f.2[0] / 2, f.2[1] / 2, 0]; s.padEnd = s.padBegin
                    } else {
                        for i in 0..<2 {
                            s.inShape[i] = rng.int(1, trial % 2 == 0 ? 7 : 40)
                            s.kernel[i] = rng.int(1, 5); s.stride[i] = rng.int(1, 3); s.dilation[i] = rng.int(1, 2)
                            s.padBegin[i] = rng.int(0, 2); s.padEnd[i] = rng.int(0, 2)
                            let eff = (s.kernel[i] - 1) * s.dilation[i] + 1
                            if s.inShape[i] + s.padBegin[i] + s.padEnd[i] < eff { s.inShape[i] = eff }
                        }
                    }
                    for pool in [nil, pool2] {
                        run(s, out: ok_qout(UInt32(rng.int(0, 3))), pool: pool, rng: &rng, extreme: rng.int(0, 2) == 0,
                            tag: "\(String(cString: ok_isa_name(isa))) threads=\(ok_pool_threads(pool))")
                    }
                }
            }
            if isa == OK_ISA_AVX512 {
                ok_cpu_restrict((1 << OK_ISA_AVX512.rawValue) | (1 << OK_ISA_AVX2_FMA.rawValue) | 1)
                body()
                ok_cpu_restrict(0xffff_ffff)
            } else {
                withQISA(isa, body)
            }
        }
    }

    /// The VNNI depthwise kernel (w - zw within s8): the fixed shapes of the test above
    /// (flat and row layouts, stride 2, 5x3 and 7x7 kernels = several groups of 4 taps
    /// per row) and random ones (KW up to 9, unequal strides, dilation: the ones it does
    /// not take fall back), extreme values, every int8 path, one and two threads.
    @Test func depthwiseVNNIExact() {
        let pool2 = ok_pool_create(2)
        defer { ok_pool_destroy(pool2) }
        for isa in availableQISAs() {
            withQISA(isa) {
                var rng = TestRNG(907 &+ isa.rawValue)
                let fixed: [([Int], [Int], [Int])] = [  // in, stride, kernel
                    ([25, 5], [1, 1], [3, 3]), ([8, 8], [1, 1], [3, 3]), ([8, 8], [2, 2], [3, 3]), ([4, 4], [1, 1], [3, 3]),
                    ([64, 37], [2, 2], [3, 3]), ([33, 47], [1, 1], [3, 3]), ([1, 1], [1, 1], [3, 3]), ([9, 17], [1, 2], [3, 3]),
                    ([10, 4], [2, 1], [5, 3]), ([7, 19], [2, 2], [1, 1]), ([12, 12], [1, 1], [7, 7]), ([16, 70], [1, 2], [5, 9]),
                    ([20, 20], [1, 1], [3, 3]), ([19, 33], [1, 1], [3, 5]), ([16, 16], [2, 2], [3, 3]), ([21, 18], [2, 2], [3, 3]),
                ]
                for trial in 0..<56 {
                    var s = Shape()
                    s.cin = rng.int(2, 20); s.cout = s.cin; s.group = s.cin
                    s.batch = rng.int(1, 2)
                    if trial < fixed.count {
                        let f = fixed[trial]
                        s.inShape = f.0 + [1]; s.stride = f.1 + [1]; s.kernel = f.2 + [1]
                        s.padBegin = [f.2[0] / 2, f.2[1] / 2, 0]; s.padEnd = s.padBegin
                    } else {
                        for i in 0..<2 {
                            s.inShape[i] = rng.int(1, trial % 2 == 0 ? 7 : i == 1 ? 80 : 40)
                            s.kernel[i] = rng.int(1, i == 1 ? 9 : 5); s.stride[i] = rng.int(1, 2)
                            s.dilation[i] = rng.int(0, 3) == 0 ? 2 : 1
                            s.padBegin[i] = rng.int(0, 2); s.padEnd[i] = rng.int(0, 2)
                            let eff = (s.kernel[i] - 1) * s.dilation[i] + 1
                            if s.inShape[i] + s.padBegin[i] + s.padEnd[i] < eff { s.inShape[i] = eff }
                        }
                    }
                    for pool in [nil, pool2] {
                        run(s, out: ok_qout(UInt32(rng.int(0, 3))), pool: pool, rng: &rng, extreme: rng.int(0, 2) == 0,
                            tag: "vnni-dw \(String(cString: ok_isa_name(isa))) threads=\(ok_pool_threads(pool))",
                            weightsFitS8: true)
                    }
                }
            }
        }
    }

    /// im2col's plane-wide copy with a tap that lies wholly outside the plane (1-wide
    /// input, dilation 2, padding only at the end): it used to write one pad byte
    /// before its row, over the previous tap's value (found by the C driver).
    @Test func im2colTapOutsideThePlane() {
        for isa in availableQISAs() {
            withQISA(isa) {
                var rng = TestRNG(19)
                var s = Shape(); s.ndim = 1; s.cin = 2; s.cout = 8; s.group = 2; s.inShape = [1, 1, 1]
                s.kernel = [2, 1, 1]; s.dilation = [2, 1, 1]; s.padEnd = [2, 0, 0]
                var s2 = s; s2.ndim = 2; s2.inShape = [3, 1, 1]; s2.kernel = [1, 3, 1]; s2.dilation = [1, 2, 1]
                s2.padBegin = [0, 0, 0]; s2.padEnd = [0, 4, 0]
                for shape in [s, s2] {
                    for out in [OK_QOUT_I32, OK_QOUT_F32, OK_QOUT_U8, OK_QOUT_S8] {
                        run(shape, out: out, pool: nil, rng: &rng, extreme: false, tag: String(cString: ok_isa_name(isa)))
                    }
                }
            }
        }
    }

    @Test func mobileNetLayers() {
        for isa in availableQISAs() {
            withQISA(isa) {
                var rng = TestRNG(5)
                // 3x3 stride 2 stem, depthwise s1 / s2, pointwise.
                var stem = Shape(); stem.cin = 3; stem.cout = 16; stem.inShape = [33, 33, 1]; stem.kernel = [3, 3, 1]
                stem.stride = [2, 2, 1]; stem.padBegin = [1, 1, 0]; stem.padEnd = [1, 1, 0]
                var dw1 = Shape(); dw1.cin = 16; dw1.cout = 16; dw1.group = 16; dw1.inShape = [17, 17, 1]
                dw1.kernel = [3, 3, 1]; dw1.padBegin = [1, 1, 0]; dw1.padEnd = [1, 1, 0]
                var dw2 = dw1; dw2.stride = [2, 2, 1]
                var pw = Shape(); pw.cin = 64; pw.cout = 48; pw.inShape = [14, 14, 1]
                // "Same" 3x3 stride 1 (im2col by plane-wide copies): symmetric, asymmetric, dilated pads.
                var same = Shape(); same.cin = 16; same.cout = 24; same.inShape = [15, 13, 1]; same.kernel = [3, 3, 1]
                same.padBegin = [1, 1, 0]; same.padEnd = [1, 1, 0]
                var asym = same; asym.padBegin = [2, 0, 0]; asym.padEnd = [0, 2, 0]
                var dil = same; dil.dilation = [2, 2, 1]; dil.padBegin = [2, 2, 0]; dil.padEnd = [2, 2, 0]
                for s in [stem, dw1, dw2, pw, same, asym, dil] {
                    for out in [OK_QOUT_U8, OK_QOUT_S8] {
                        run(s, out: out, pool: nil, rng: &rng, extreme: false, tag: String(cString: ok_isa_name(isa)))
                    }
                }
            }
        }
    }
}
}
