import CKernels
import Testing

/// Int8 ISA paths this machine can run (scalar always).
func availableQISAs() -> [ok_isa] {
    var out: [ok_isa] = []
    for isa in [OK_ISA_SCALAR, OK_ISA_AVX2_FMA, OK_ISA_AVX512_VNNI, OK_ISA_NEON, OK_ISA_NEON_DOT, OK_ISA_NEON_I8MM]
    where ok_cpu_supported_isas() & (1 << isa.rawValue) != 0 {
        out.append(isa)
    }
    return out
}

/// Restricts dispatch to `isa` and the levels below it on the same chain, as on a real CPU.
func withQISA(_ isa: ok_isa, _ body: () -> Void) {
    var mask: UInt32 = (1 << isa.rawValue) | 1
    if isa == OK_ISA_AVX512_VNNI { mask |= (1 << OK_ISA_AVX512.rawValue) | (1 << OK_ISA_AVX2_FMA.rawValue) }
    if isa == OK_ISA_NEON_DOT || isa == OK_ISA_NEON_I8MM { mask |= 1 << OK_ISA_NEON.rawValue }
    if isa == OK_ISA_NEON_I8MM { mask |= 1 << OK_ISA_NEON_DOT.rawValue }
    ok_cpu_restrict(mask)
    body()
    ok_cpu_restrict(0xffff_ffff)
}

func qOutBytes(_ out: ok_qout) -> Int { out == OK_QOUT_I32 || out == OK_QOUT_F32 ? 4 : 1 }

/// Random int8 data; `extreme` draws only from the ends of the range (and 0 / the middle).
func qData(_ n: Int, _ rng: inout TestRNG, extreme: Bool) -> [UInt8] {
    (0..<n).map { _ in
        extreme ? [0, 255, 128, 127, 1, 254][rng.int(0, 5)] : UInt8(rng.int(0, 255))
    }
}

/// A random epilogue with its arrays kept alive by the caller.
struct QEpilogueData {
    var out: ok_qout
    var bias: [Int32], biasPer: ok_qper, hasBias: Bool
    var scale: [Float], scalePer: ok_qper, hasScale: Bool
    var fbias: [Float], hasFBias: Bool
    var zp: Int32, qmin: Int32, qmax: Int32

    init(rows: Int, cols: Int, out: ok_qout, rng: inout TestRNG, K: Int) {
        self.out = out
        let n = max(rows, cols)
        hasBias = rng.int(0, 2) > 0
        biasPer = rng.int(0, 1) == 0 ? OK_QPER_ROW : OK_QPER_COL
        bias = (0..<n).map { _ in Int32(rng.int(-40000, 40000)) }
        hasScale = rng.int(0, 4) > 0
        scalePer = [OK_QPER_TENSOR, OK_QPER_ROW, OK_QPER_COL][rng.int(0, 2)]
        // Scales that map the accumulator range onto roughly the output range (plus some
        // that saturate), so rounding ties and clamps both happen.
        let base = 1.0 / Float(max(1, K)) / Float(rng.int(8, 200))
        scale = (0..<n).map { _ in base * (0.25 + Float(rng.int(0, 1000)) / 250) }
        hasFBias = out == OK_QOUT_F32 && rng.int(0, 1) == 1
        fbias = (0..<n).map { _ in rng.float() * 3 }
        if out == OK_QOUT_U8 {
            zp = Int32([0, 255, rng.int(0, 255)][rng.int(0, 2)])
            qmin = rng.int(0, 3) == 0 ? zp : 0       // fused Relu sometimes
            qmax = rng.int(0, 3) == 0 ? min(255, zp + 60) : 255
        } else {
            zp = Int32([-128, 127, rng.int(-128, 127)][rng.int(0, 2)])
            qmin = rng.int(0, 3) == 0 ? zp : -128
            qmax = rng.int(0, 3) == 0 ? min(127, zp + 60) : 127
        }
        if qmax < qmin { qmax = qmin }
    }

    func with<R>(_ body: (UnsafePointer<ok_qepilogue>) -> R) -> R {
        bias.withUnsafeBufferPointer { b in
            scale.withUnsafeBufferPointer { s in
                fbias.withUnsafeBufferPointer { f in
                    var ep = ok_qepilogue(out: Int32(out.rawValue), bias: hasBias ? b.baseAddress : nil,
                                          bias_per: Int32(biasPer.rawValue), scale: hasScale ? s.baseAddress : nil,
                                          scale_per: Int32(scalePer.rawValue), fbias: hasFBias ? f.baseAddress : nil,
                                          out_zero_point: zp, qmin: qmin, qmax: qmax)
                    return body(&ep)
                }
            }
        }
    }

    var description: String {
        "out=\(out.rawValue) bias=\(hasBias):\(biasPer.rawValue) scale=\(hasScale):\(scalePer.rawValue) zp=\(zp) q=\(qmin)..\(qmax)"
    }
}

func firstMismatch(_ got: [UInt8], _ want: [UInt8], elem: Int) -> Int? {
    for i in 0..<min(got.count, want.count) where got[i] != want[i] { return i / elem }
    return got.count == want.count ? nil : 0
}

extension CKernelTests {
@Suite(.serialized) struct QGEMMTests {
    struct Case {
        var M = 1, N = 1, K = 1
        var ta = OK_QTYPE_U8, tb = OK_QTYPE_S8
        var transA = false, transB = false
        var zaPer = OK_QPER_TENSOR, zbPer = OK_QPER_TENSOR
        var prepack = 0
        var extreme = false
        var out = OK_QOUT_U8
    }

    func run(_ c: Case, pool: OpaquePointer?, rng: inout TestRNG, tag: String) {
        let (M, N, K) = (c.M, c.N, c.K)
        let a = qData(M * K, &rng, extreme: c.extreme), b = qData(K * N, &rng, extreme: c.extreme)
        func zps(_ n: Int, _ t: ok_qtype) -> [Int32] {
            (0..<n).map { _ in
                let v = c.extreme ? [0, 255, 128][rng.int(0, 2)] : rng.int(0, 255)
                return Int32(t == OK_QTYPE_U8 ? v : v - 128)
            }
        }
        let za = zps(max(M, 1), c.ta), zb = zps(max(N, 1), c.tb)
        let rsa = c.transA ? 1 : K, csa = c.transA ? M : 1, rsb = c.transB ? 1 : N, csb = c.transB ? K : 1
        let epd = QEpilogueData(rows: M, cols: N, out: c.out, rng: &rng, K: K)
        let eb = qOutBytes(c.out)
        var got = [UInt8](repeating: 0xcd, count: M * N * eb), want = got
        epd.with { ep in
            ok_qgemm_reference(Int32(M), Int32(N), Int32(K), a, Int32(c.ta.rawValue), rsa, csa, za, Int32(c.zaPer.rawValue),
                               b, Int32(c.tb.rawValue), rsb, csb, zb, Int32(c.zbPer.rawValue), &want, N, ep)
            var pa: UnsafeMutableRawPointer? = nil, pb: UnsafeMutableRawPointer? = nil
            if c.prepack & 1 != 0 {
                pa = aligned(ok_qgemm_packed_a_size(Int32(M), Int32(K)))
                ok_qgemm_pack_a(Int32(M), Int32(K), a, Int32(c.ta.rawValue), rsa, csa, za, Int32(c.zaPer.rawValue), pa)
            }
            if c.prepack & 2 != 0 {
                pb = aligned(ok_qgemm_packed_b_size(Int32(K), Int32(N)))
                ok_qgemm_pack_b(Int32(K), Int32(N), b, Int32(c.tb.rawValue), rsb, csb, zb, Int32(c.zbPer.rawValue), pb)
            }
            let ws = aligned(ok_qgemm_workspace_size(Int32(M), Int32(N), Int32(K), ok_pool_threads(pool)))
            ok_qgemm(pool, Int32(M), Int32(N), Int32(K), a, Int32(c.ta.rawValue), rsa, csa, za, Int32(c.zaPer.rawValue), pa,
                     b, Int32(c.tb.rawValue), rsb, csb, zb, Int32(c.zbPer.rawValue), pb, &got, N, ep, ws)
            ws.deallocate()
            pa?.deallocate()
            pb?.deallocate()
        }
        if let i = firstMismatch(got, want, elem: eb) {
            Issue.record("\(tag) \(String(cString: ok_qgemm_kernel_name())) M=\(M) N=\(N) K=\(K) ta=\(c.ta.rawValue) tb=\(c.tb.rawValue) tA=\(c.transA) tB=\(c.transB) za=\(c.zaPer.rawValue) zb=\(c.zbPer.rawValue) pack=\(c.prepack) extreme=\(c.extreme) \(epd.description): first mismatch at [\(i / N), \(i % N)]")
        }
    }

    func randomCase(_ rng: inout TestRNG, trial: Int) -> Case {
        var c = Case()
        c.M = rng.int(1, 40); c.N = rng.int(1, 70); c.K = rng.int(1, 300)
        switch trial {
        case 0: (c.M, c.N, c.K) = (1, 1, 1)
        case 1: c.K = 1
        case 2: (c.M, c.N, c.K) = (rng.int(1, 20), rng.int(1, 40), 4099)
        case 3: (c.M, c.N) = (24, 64)     // whole tiles
        case 4: (c.M, c.N, c.K) = (37, 97, 131)
        default: break
        }
        c.ta = rng.int(0, 1) == 0 ? OK_QTYPE_U8 : OK_QTYPE_S8
        c.tb = rng.int(0, 1) == 0 ? OK_QTYPE_U8 : OK_QTYPE_S8
        c.transA = rng.int(0, 1) == 1; c.transB = rng.int(0, 1) == 1
        c.zaPer = rng.int(0, 1) == 0 ? OK_QPER_TENSOR : OK_QPER_ROW
        c.zbPer = rng.int(0, 1) == 0 ? OK_QPER_TENSOR : OK_QPER_COL
        c.prepack = rng.int(0, 3)
        c.extreme = rng.int(0, 2) == 0
        c.out = ok_qout(UInt32(rng.int(0, 3)))
        return c
    }

    @Test func randomShapesEveryISAAndThreads() {
        let pool2 = ok_pool_create(2)
        defer { ok_pool_destroy(pool2) }
        for isa in availableQISAs() {
            withQISA(isa) {
                var rng = TestRNG(1234 &+ isa.rawValue)
                for pool in [nil, pool2] {
                    for trial in 0..<60 {
                        run(randomCase(&rng, trial: trial), pool: pool, rng: &rng,
                            tag: "\(String(cString: ok_isa_name(isa))) threads=\(ok_pool_threads(pool))")
                    }
                }
            }
        }
    }

    /// Every output kind x every zero-point / scale / bias layout x extreme values.
    @Test func everyEpilogueAndZeroPointLayout() {
        for isa in availableQISAs() {
            withQISA(isa) {
                var rng = TestRNG(99)
                for out in 0...3 {
                    for zl in 0...3 {
                        for extreme in [false, true] {
                            for _ in 0..<3 {
                                var c = Case()
                                (c.M, c.N, c.K) = (13 + zl, 37, 29 + 5 * out)
                                c.out = ok_qout(UInt32(out))
                                c.zaPer = zl & 1 != 0 ? OK_QPER_ROW : OK_QPER_TENSOR
                                c.zbPer = zl & 2 != 0 ? OK_QPER_COL : OK_QPER_TENSOR
                                c.ta = rng.int(0, 1) == 0 ? OK_QTYPE_U8 : OK_QTYPE_S8
                                c.tb = rng.int(0, 1) == 0 ? OK_QTYPE_U8 : OK_QTYPE_S8
                                c.extreme = extreme
                                c.prepack = rng.int(0, 3)
                                run(c, pool: nil, rng: &rng, tag: String(cString: ok_isa_name(isa)))
                            }
                        }
                    }
                }
            }
        }
    }

    /// Output rows a multiple of 4 KB apart (u8 N = 4096, int32 / float N = 1024): the
    /// fused tiles run row panel by row panel there (qjob.rows_first); several row
    /// panels with a ragged last one, a ragged last column panel, uniform zero points
    /// (the fused path), every output type, one and two threads, every int8 path.
    @Test func rowsFirstOrderOnAlignedStrides() {
        let pool2 = ok_pool_create(2)
        defer { ok_pool_destroy(pool2) }
        for isa in availableQISAs() {
            withQISA(isa) {
                var rng = TestRNG(2024 &+ isa.rawValue)
                for (i, shape) in [(30, 4096, 8), (25, 4096, 37), (30, 1024, 20), (13, 1024, 5)].enumerated() {
                    for out in [OK_QOUT_U8, OK_QOUT_S8, OK_QOUT_I32, OK_QOUT_F32] {
                        if (out == OK_QOUT_U8 || out == OK_QOUT_S8) != (shape.1 == 4096) { continue }
                        var c = Case()
                        (c.M, c.N, c.K) = shape
                        c.out = out
                        c.ta = rng.int(0, 1) == 0 ? OK_QTYPE_U8 : OK_QTYPE_S8
                        c.tb = rng.int(0, 1) == 0 ? OK_QTYPE_U8 : OK_QTYPE_S8
                        c.extreme = i % 2 == 1
                        c.prepack = rng.int(0, 3)
                        for pool in [nil, pool2] {
                            run(c, pool: pool, rng: &rng, tag: "rows first \(String(cString: ok_isa_name(isa))) threads=\(ok_pool_threads(pool))")
                        }
                    }
                }
            }
        }
    }

    /// Worst case for the int32 sums: every product 255 * -128 (or 255 * 127), K = 4099, zero points 0.
    @Test func extremeAccumulators() {
        for isa in availableQISAs() {
            withQISA(isa) {
                for (av, bv) in [(UInt8(255), UInt8(0x80)), (UInt8(255), UInt8(0x7f)), (UInt8(0), UInt8(0x80))] {
                    let M = 5, N = 19, K = 4099
                    let a = [UInt8](repeating: av, count: M * K), b = [UInt8](repeating: bv, count: K * N)
                    var za: Int32 = 0, zb: Int32 = 0
                    var got = [Int32](repeating: 0, count: M * N), want = got
                    var ep = ok_qepilogue(out: Int32(OK_QOUT_I32.rawValue), bias: nil, bias_per: 0, scale: nil, scale_per: 0,
                                          fbias: nil, out_zero_point: 0, qmin: 0, qmax: 0)
                    ok_qgemm_reference(Int32(M), Int32(N), Int32(K), a, 0, K, 1, &za, 0, b, 1, N, 1, &zb, 0, &want, N, &ep)
                    ok_qgemm(nil, Int32(M), Int32(N), Int32(K), a, 0, K, 1, &za, 0, nil, b, 1, N, 1, &zb, 0, nil, &got, N, &ep, nil)
                    #expect(want[0] == Int32(av) * Int32(Int8(bitPattern: bv)) * Int32(K))
                    #expect(got == want, "\(String(cString: ok_qgemm_kernel_name())) a=\(av) b=\(bv)")
                }
            }
        }
    }

    @Test func kernelNamesSayTypesTileAndISA() {
        withQISA(OK_ISA_SCALAR) { #expect(String(cString: ok_qgemm_kernel_name()) == "ok_qgemm_u8s8_4x8__scalar") }
        if ok_cpu_supported_isas() & (1 << OK_ISA_AVX2_FMA.rawValue) != 0 {
            withQISA(OK_ISA_AVX2_FMA) { #expect(String(cString: ok_qgemm_kernel_name()) == "ok_qgemm_u8s8_6x16__avx2") }
        }
        if ok_cpu_supported_isas() & (1 << OK_ISA_AVX512_VNNI.rawValue) != 0 {
            withQISA(OK_ISA_AVX512_VNNI) {
                #expect(String(cString: ok_qgemm_kernel_name()) == "ok_qgemm_u8s8_12x32__avx512vnni")
            }
        }
    }
}
}
