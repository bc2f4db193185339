import CKernels
import Testing

/// The quantized element-wise loops (ok_qelementwise.h): hand-checked values, and the
/// dispatched (AVX2 on x86-64) paths bit-identical to their reference twins.
@Suite(.serialized) struct QElementwiseKernelTests {
    /// Every SIMD level this CPU has (the dispatched call is compared with the reference under each).
    var levels: [Int32] {
        var l = [Int32(OK_ISA_SCALAR.rawValue)]
        if ok_isa_enabled(OK_ISA_AVX2_FMA) != 0 { l.append(Int32(OK_ISA_AVX2_FMA.rawValue)) }
        if ok_isa_enabled(OK_ISA_AVX512) != 0 { l.append(Int32(OK_ISA_AVX512.rawValue)) }
        return l
    }

    func eachLevel(_ body: () -> Void) {
        for level in levels {
            ok_qelementwise_limit_isa(level)
            body()
        }
        ok_qelementwise_limit_isa(-1)
    }

    struct RNG {
        var state: UInt64
        mutating func next() -> UInt32 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt32(truncatingIfNeeded: state >> 33)
        }
        mutating func int(_ lo: Int, _ hi: Int) -> Int { lo + Int(next() % UInt32(hi - lo + 1)) }
        mutating func float(_ range: Float) -> Float { (Float(next() & 0xffffff) / Float(0x800000) - 1) * range }
    }

    /// Floats mixing ties (k + 0.5 after division by 0.5), large values, NaN and infinities.
    func inputs(_ n: Int, _ rng: inout RNG) -> [Float] {
        (0..<n).map { i in
            switch i % 11 {
            case 3: return Float(rng.int(-300, 300)) * 0.25      // exact ties at scale 0.5
            case 5: return rng.float(1e6)
            case 7 where i % 3 == 0: return .nan
            case 8 where i % 5 == 0: return i % 2 == 0 ? .infinity : -.infinity
            default: return rng.float(80)
            }
        }
    }

    @Test func quantizeHandValues() {
        let x: [Float] = [0, 0.25, 0.75, 1.25, -0.25, -0.75, 300, -300, .nan, 2.5, 3.5]
        var y = [UInt8](repeating: 0, count: x.count)
        ok_quantize_f32_reference(x, &y, 0, x.count, 0.5, 10, 0, 255)
        // x / 0.5 = 0, 0.5, 1.5, 2.5, -0.5, -1.5, 600, -600, nan, 5, 7 -> half to even, +10, saturate
        #expect(y == [10, 10, 12, 12, 10, 8, 255, 0, 0, 15, 17])
        var s = [Int8](repeating: 0, count: x.count)
        ok_quantize_f32_reference(x, &s, 1, x.count, 0.5, -3, -128, 127)
        #expect(s == [-3, -3, -1, -1, -3, -5, 127, -128, -128, 2, 4])
    }

    @Test func quantizeMatchesReference() {
        eachLevel {
            var rng = RNG(state: 7)
            for n in [1, 7, 8, 31, 32, 33, 100, 1000] {
                let x = inputs(n, &rng)
                for ty: Int32 in [0, 1] {
                    let (lo, hi): (Int32, Int32) = ty == 0 ? (0, 255) : (-128, 127)
                    for (scale, zp) in [(Float(0.5), Int32(ty == 0 ? 128 : 0)), (0.0371, ty == 0 ? 3 : -7), (3.0, lo)] {
                        var a = [UInt8](repeating: 0, count: n), b = a
                        ok_quantize_f32(x, &a, ty, n, scale, zp, lo, hi)
                        ok_quantize_f32_reference(x, &b, ty, n, scale, zp, lo, hi)
                        #expect(a == b, "n \(n) type \(ty) scale \(scale)")
                        // a fused-Relu style narrower range
                        ok_quantize_f32(x, &a, ty, n, scale, zp, zp, hi)
                        ok_quantize_f32_reference(x, &b, ty, n, scale, zp, zp, hi)
                        #expect(a == b, "narrow n \(n) type \(ty)")
                    }
                }
            }
        }
    }

    @Test func dequantizeMatchesReference() {
        eachLevel {
            var rng = RNG(state: 9)
            for n in [1, 8, 13, 64, 259] {
                let q = (0..<n).map { _ in UInt8(rng.int(0, 255)) }
                for tx: Int32 in [0, 1] {
                    var a = [Float](repeating: 0, count: n), b = a
                    ok_dequantize_f32(q, tx, &a, n, 0.0173, tx == 0 ? 131 : -5)
                    ok_dequantize_f32_reference(q, tx, &b, n, 0.0173, tx == 0 ? 131 : -5)
                    #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
                }
            }
            var y = [Float](repeating: 0, count: 3)
            let s8: [Int8] = [-128, 0, 127]
            ok_dequantize_f32(s8, 1, &y, 3, 0.5, -1)
            #expect(y == [-63.5, 0.5, 64])
        }
    }

    @Test func minmaxMatchesReference() {
        eachLevel {
            var rng = RNG(state: 11)
            // Up to 1000: the unrolled loops (32 / 64 floats), the single-vector loop and the tail.
            for n in [1, 5, 8, 9, 40, 333, 64, 100, 1000] {
                var x = (0..<n).map { _ in rng.float(50) }
                if n > 4 { x[3] = .nan }
                // The extremes in the last unrolled chain's lanes and in the tail.
                if n == 1000 { x[63] = -75; x[999] = 90; x[50] = .nan }
                var a0: Float = 0, a1: Float = 0, b0: Float = 0, b1: Float = 0
                ok_minmax_f32(x, n, &a0, &a1)
                ok_minmax_f32_reference(x, n, &b0, &b1)
                #expect(a0 == b0 && a1 == b1, "n \(n)")
                let finite = x.filter { !$0.isNaN }
                #expect(a0 == finite.min()! && a1 == finite.max()!)
            }
            var mn: Float = 0, mx: Float = 0
            ok_minmax_f32([Float.nan, .nan], 2, &mn, &mx)
            #expect(mn.isNaN && mx.isNaN)
        }
    }

    func params(_ type: Int32, mul: Bool) -> ok_qbinary_params {
        var p = ok_qbinary_params()
        p.a_scale = mul ? 0.02 * 0.03 / 0.01 : 0.02 / 0.03
        p.b_scale = mul ? 0 : 0.05 / 0.03
        p.a_zero_point = type == 0 ? 120 : -4
        p.b_zero_point = type == 0 ? 7 : 9
        p.c_zero_point = type == 0 ? 100 : 2
        p.qmin = type == 0 ? 0 : -128
        p.qmax = type == 0 ? 255 : 127
        return p
    }

    @Test func binaryMatchesReference() {
        eachLevel {
            var rng = RNG(state: 13)
            for n in [1, 3, 8, 17, 64, 201] {
                let a = (0..<n).map { _ in UInt8(rng.int(0, 255)) }, b = (0..<n).map { _ in UInt8(rng.int(0, 255)) }
                for type: Int32 in [0, 1] {
                    for mul in [false, true] {
                        var p = params(type, mul: mul)
                        for (sa, sb) in [(1, 1), (0, 1), (1, 0), (0, 0)] {
                            // 16 guard bytes after the n outputs: the masked tails must not write them.
                            var c1 = [UInt8](repeating: 0xab, count: n + 16), c2 = c1
                            if mul {
                                ok_qmul(a, sa, b, sb, &c1, type, n, &p)
                                ok_qmul_reference(a, sa, b, sb, &c2, type, n, &p)
                            } else {
                                ok_qadd(a, sa, b, sb, &c1, type, n, &p)
                                ok_qadd_reference(a, sa, b, sb, &c2, type, n, &p)
                            }
                            #expect(c1 == c2, "n \(n) type \(type) mul \(mul) strides \(sa) \(sb)")
                            #expect(c1[n...].allSatisfy { $0 == 0xab }, "n \(n): bytes written past the output")
                        }
                    }
                }
            }
        }
    }

    @Test func binaryHandValues() {
        // uint8 add: a_scale 0.5, b_scale 0.25, c_scale 1 -> (a - 10) * 0.5 + (b - 20) * 0.25, + 5
        var p = ok_qbinary_params()
        p.a_scale = 0.5; p.b_scale = 0.25; p.a_zero_point = 10; p.b_zero_point = 20; p.c_zero_point = 5
        p.qmin = 0; p.qmax = 255
        let a: [UInt8] = [10, 13, 11, 255, 0], b: [UInt8] = [20, 20, 22, 255, 0]
        var c = [UInt8](repeating: 0, count: 5)
        ok_qadd(a, 1, b, 1, &c, 0, 5, &p)
        // 0 -> 5; 1.5 -> 2 -> 7; 0.5 + 0.5 = 1 -> 6; 122.5 + 58.75 = 181.25 -> 186; -5 - 5 = -10 -> 0 (saturated)
        #expect(c == [5, 7, 6, 186, 0])
        // int8 mul: (a - 1) * (b + 2) * 0.5 + 3
        p.a_scale = 0.5; p.a_zero_point = 1; p.b_zero_point = -2; p.c_zero_point = 3; p.qmin = -128; p.qmax = 127
        let sa: [Int8] = [1, 2, 4, -128], sb: [Int8] = [5, 1, 0, 127]
        var sc = [Int8](repeating: 0, count: 4)
        ok_qmul(sa, 1, sb, 1, &sc, 1, 4, &p)
        // 0 -> 3; 1*3*0.5 = 1.5 -> 2 -> 5; 3*2*0.5 = 3 -> 6; -129*129*0.5 -> -128
        #expect(sc == [3, 5, 6, -128])
    }

    @Test func lookupTables() {
        var t = [UInt8](repeating: 0, count: 256)
        // LeakyRelu alpha 0.5, x: scale 1, zp 128; y: scale 1, zp 128 (uint8)
        ok_qlut_build(Int32(OK_QLUT_LEAKY_RELU), 0.5, 0, 1, 128, 1, 128, &t)
        #expect(t[128] == 128 && t[200] == 200 && t[127] == 128 && t[126] == 127 && t[0] == 64)
        // Sigmoid, int8 x scale 0.1 zp 0, y scale 1/256 zp -128: sigmoid(0) = 0.5 -> 128 - 128 = 0
        ok_qlut_build(Int32(OK_QLUT_SIGMOID), 0, 1, 0.1, 0, 1.0 / 256, -128, &t)
        #expect(Int8(bitPattern: t[0]) == 0)
        #expect(Int8(bitPattern: t[127]) == 127)   // sigmoid(12.7) * 256 = 255.99 -> 256 - 128 = 128 -> 127
        #expect(Int8(bitPattern: t[128]) == -128)  // sigmoid(-12.8) ~ 0 -> -128
        let x: [UInt8] = [0, 127, 128, 0, 0]
        var y = [UInt8](repeating: 9, count: 5)
        ok_qlut_apply(t, x, &y, 5)
        #expect(y == [t[0], t[127], t[128], t[0], t[0]])
    }

    @Test func softmaxAndAveragePool() {
        var table = [Float](repeating: 0, count: 256)
        ok_qsoftmax_table(0.5, &table)
        #expect(table[0] == 1)
        // Row [2, 2] (any scale) -> 0.5 each; y_scale 1/256, zp 0 -> 128
        let x: [UInt8] = [2, 2, 7, 7, 7, 7]
        var y = [UInt8](repeating: 0, count: 6)
        ok_qsoftmax(x, &y, 0, 1, 2, 1, table, 1.0 / 256, 0)
        #expect(y[0] == 128 && y[1] == 128)
        ok_qsoftmax(x, &y, 0, 1, 6, 1, table, 1.0 / 256, 0)
        // exp(-2.5) / (2 exp(-2.5) + 4) = 0.01946... -> 4.98 -> 5; 1 / (...) = 0.2402.. -> 61.5 -> 61 or 62
        #expect(y[0] == 5 && y[1] == 5)
        #expect(y[2] == 61 || y[2] == 62)
        // Global average pool, 1 x 2 channels x 3 positions, x zp 1, multiplier 1/3 (scales 1)
        let p: [UInt8] = [1, 2, 3, 10, 10, 11]
        var out = [UInt8](repeating: 0, count: 2)
        ok_qglobal_avgpool(p, &out, 0, 1, 2, 3, 0, 1, 1.0 / 3, 0)
        #expect(out == [1, 9])   // (6 - 3) / 3 = 1; (31 - 3) / 3 = 9.33 -> 9
    }

    /// QLinearGlobalAveragePool's vector path (AVX-512: vpsadbw sums, 16 planes requantized
    /// at once) against the reference loop: plane sizes around 64-byte loads (1 to 200),
    /// plane counts around 16, u8 and s8, zero points at both ends, multipliers that
    /// round, clamp at both ends and are NaN, channels last (the reference path too).
    @Test func globalAveragePoolMatchesReference() {
        eachLevel {
            var rng = RNG(state: 23)
            for spatial in [1, 3, 16, 49, 63, 64, 65, 200] {
                for planes in [1, 15, 16, 17, 40] {
                    let x = (0..<(planes * spatial)).map { _ in UInt8(rng.int(0, 255)) }
                    for type: Int32 in [0, 1] {
                        let zps: [Int32] = type == 0 ? [0, 255, 131] : [-128, 127, 3]
                        for (zx, zy) in [(zps[0], zps[1]), (zps[1], zps[0]), (zps[2], zps[2])] {
                            for mult in [Float(1) / Float(spatial), 0.37, 3.0 / Float(spatial), .nan] {
                                for last: Int32 in [0, 1] {
                                    var a = [UInt8](repeating: 0, count: planes), b = a
                                    ok_qglobal_avgpool(x, &a, type, 1, planes, spatial, last, zx, mult, zy)
                                    ok_qglobal_avgpool_reference(x, &b, type, 1, planes, spatial, last, zx, mult, zy)
                                    #expect(a == b, "spatial \(spatial) planes \(planes) type \(type) zx \(zx) mult \(mult)")
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test func lookupMatchesReference() {
        eachLevel {
            var rng = RNG(state: 17)
            let table = (0..<256).map { _ in UInt8(rng.int(0, 255)) }
            for n in [1, 15, 32, 63, 64, 65, 200, 1000] {
                let x = (0..<n).map { i in i < 256 ? UInt8(i) : UInt8(rng.int(0, 255)) }
                var a = [UInt8](repeating: 0, count: n), b = a
                ok_qlut_apply(table, x, &a, n)
                ok_qlut_apply_reference(table, x, &b, n)
                #expect(a == b, "n \(n)")
                #expect(b == x.map { table[Int($0)] })
            }
        }
    }

    @Test func poolSplitsGiveTheSameBytes() {
        let pool = ok_pool_create(2)
        defer { ok_pool_destroy(pool) }
        var rng = RNG(state: 21)
        let n = 200_003
        let x = inputs(n, &rng)
        var a = [UInt8](repeating: 0, count: n), b = a
        ok_quantize_f32_pool(UnsafeMutableRawPointer(pool), x, &a, 0, n, 0.02, 120, 0, 255)
        ok_quantize_f32_reference(x, &b, 0, n, 0.02, 120, 0, 255)
        #expect(a == b)
        var f1 = [Float](repeating: 0, count: n), f2 = f1
        ok_dequantize_f32_pool(UnsafeMutableRawPointer(pool), a, 0, &f1, n, 0.02, 120)
        ok_dequantize_f32_reference(a, 0, &f2, n, 0.02, 120)
        #expect(f1 == f2)
        var p = params(0, mul: false)
        var c1 = [UInt8](repeating: 0, count: n), c2 = c1
        ok_qbinary_pool(UnsafeMutableRawPointer(pool), 0, a, 1, b.reversed(), 1, &c1, 0, n, &p)
        ok_qadd_reference(a, 1, b.reversed(), 1, &c2, 0, n, &p)
        #expect(c1 == c2)
        var t = [UInt8](repeating: 0, count: 256)
        ok_qlut_build(Int32(OK_QLUT_SIGMOID), 0, 0, 0.05, 128, 1.0 / 256, 0, &t)
        ok_qlut_apply_pool(UnsafeMutableRawPointer(pool), t, a, &c1, n)
        #expect(c1 == a.map { t[Int($0)] })
    }

    @Test func dispatchUsesAVX2WhenAvailable() {
        let name = String(cString: ok_qelementwise_isa())
        if ok_isa_enabled(OK_ISA_AVX512) != 0 { #expect(name == "avx512") }
        else if ok_isa_enabled(OK_ISA_AVX2_FMA) != 0 { #expect(name == "avx2") } else { #expect(name == "scalar") }
    }
}
