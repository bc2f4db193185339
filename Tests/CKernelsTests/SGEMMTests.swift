import CKernels
import Testing

/// Deterministic pseudo-random numbers (tests must be reproducible).
struct TestRNG {
    var state: UInt32
    init(_ seed: UInt32) { state = seed }
    mutating func float() -> Float {
        state = state &* 1664525 &+ 1013904223
        return Float((state >> 8) & 0xffff) / 32768 - 1
    }
    mutating func int(_ lo: Int, _ hi: Int) -> Int {
        state = state &* 1664525 &+ 1013904223
        return lo + Int((state >> 8) % UInt32(hi - lo + 1))
    }
    mutating func floats(_ n: Int) -> [Float] { (0..<n).map { _ in float() } }
}

/// ISA paths this machine can run (scalar always).
func availableISAs() -> [ok_isa] {
    var out: [ok_isa] = []
    for isa in [OK_ISA_SCALAR, OK_ISA_AVX2_FMA, OK_ISA_NEON, OK_ISA_AVX512] where ok_cpu_supported_isas() & (1 << isa.rawValue) != 0 {
        out.append(isa)
    }
    return out
}

/// Runs `body` with dispatch restricted to `isa` (plus scalar; AVX-512 keeps AVX2
/// as on a real CPU, for the kernels without an AVX-512 variant).
func withISA(_ isa: ok_isa, _ body: () -> Void) {
    var mask: UInt32 = (1 << isa.rawValue) | 1
    if isa == OK_ISA_AVX512 { mask |= 1 << OK_ISA_AVX2_FMA.rawValue }
    ok_cpu_restrict(mask)
    // Small test shapes would otherwise run on the calling thread only.
    let threshold = ok_min_parallel_macs()
    ok_set_min_parallel_macs(0)
    body()
    ok_set_min_parallel_macs(threshold)
    ok_cpu_restrict(0xffff_ffff)
}

func expectClose(_ got: [Float], _ want: [Float], tol: Float, _ what: String) {
    #expect(got.count == want.count)
    for i in 0..<min(got.count, want.count) {
        let d = abs(got[i] - want[i])
        if !(d <= tol * (1 + abs(want[i]))) {
            Issue.record("\(what): [\(i)] got \(got[i]) want \(want[i])")
            return
        }
    }
}

func aligned(_ bytes: Int) -> UnsafeMutableRawPointer {
    UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 64), alignment: 64)
}

/// Every kernel suite nests here: dispatch restriction (ok_cpu_restrict) is
/// process-global, so the suites must not run concurrently.
@Suite(.serialized) enum CKernelTests {}

extension CKernelTests {
@Suite(.serialized) struct SGEMMTests {
    func runCase(M: Int, N: Int, K: Int, transA: Bool, transB: Bool, activation: ok_activation, bias: ok_bias_kind,
                 accumulate: Bool, prepack: Int, alpha: Float, pool: OpaquePointer?, rng: inout TestRNG, tag: String) {
        let a = rng.floats(M * K), b = rng.floats(K * N), c0 = rng.floats(M * N), bv = rng.floats(max(M, N))
        var got = c0, want = c0
        let rsa = transA ? 1 : K, csa = transA ? M : 1, rsb = transB ? 1 : N, csb = transB ? K : 1
        var p0: Float = -0.3, p1: Float = 0.4
        if activation == OK_ACT_HARD_SIGMOID { p0 = 0.2; p1 = 0.5 }
        if activation == OK_ACT_LEAKY_RELU { p0 = 0.1 }
        bv.withUnsafeBufferPointer { bp in
            var ep = ok_epilogue(bias: bias == OK_BIAS_NONE ? nil : bp.baseAddress, bias_kind: Int32(bias.rawValue),
                                 activation: Int32(activation.rawValue), p0: p0, p1: p1, accumulate: accumulate ? 1 : 0)
            ok_sgemm_reference(Int32(M), Int32(N), Int32(K), alpha, a, rsa, csa, b, rsb, csb, &want, N, &ep)
            var pa: UnsafeMutableRawPointer? = nil, pb: UnsafeMutableRawPointer? = nil
            if prepack & 1 != 0 {
                pa = aligned(ok_sgemm_packed_a_size(Int32(M), Int32(K)))
                ok_sgemm_pack_a(Int32(M), Int32(K), alpha, a, rsa, csa, pa)
            }
            if prepack & 2 != 0 {
                pb = aligned(ok_sgemm_packed_b_size(Int32(K), Int32(N)))
                ok_sgemm_pack_b(Int32(K), Int32(N), b, rsb, csb, pb)
            }
            let ws = aligned(ok_sgemm_workspace_size(Int32(M), Int32(N), Int32(K), ok_pool_threads(pool)))
            ok_sgemm(pool, Int32(M), Int32(N), Int32(K), alpha, a, rsa, csa, pa, b, rsb, csb, pb, &got, N, &ep, ws)
            ws.deallocate()
            pa?.deallocate()
            pb?.deallocate()
        }
        expectClose(got, want, tol: 2e-5 * (1 + Float(K) / 64),
                    "\(tag) M=\(M) N=\(N) K=\(K) tA=\(transA) tB=\(transB) act=\(activation.rawValue) bias=\(bias.rawValue) acc=\(accumulate) pack=\(prepack)")
    }

    @Test func randomShapesEveryISAAndThreads() {
        let pool2 = ok_pool_create(2)
        defer { ok_pool_destroy(pool2) }
        for isa in availableISAs() {
            withISA(isa) {
                var rng = TestRNG(42 &+ isa.rawValue)
                for pool in [nil, pool2] {
                    for trial in 0..<40 {
                        var M = rng.int(1, 70), N = rng.int(1, 90), K = rng.int(1, 300)
                        if trial == 0 { (M, N, K) = (1, 1, 1) }
                        if trial == 1 { K = 700 }      // several K blocks
                        if trial == 2 { M = 1 }
                        if trial == 3 { N = 1 }
                        if trial == 4 { (M, N) = (48, 64) }  // exact tiles
                        runCase(M: M, N: N, K: K, transA: rng.int(0, 1) == 1, transB: rng.int(0, 1) == 1,
                                activation: ok_activation(UInt32(rng.int(0, 8))), bias: ok_bias_kind(UInt32(rng.int(0, 2))),
                                accumulate: rng.int(0, 1) == 1, prepack: rng.int(0, 3), alpha: trial % 3 == 0 ? 0.5 : 1,
                                pool: pool, rng: &rng, tag: "\(String(cString: ok_isa_name(isa))) threads=\(ok_pool_threads(pool))")
                    }
                }
            }
        }
    }

    @Test func everyEpilogueOnEveryISA() {
        for isa in availableISAs() {
            withISA(isa) {
                var rng = TestRNG(7)
                for act in 0...8 {
                    for bias in 0...2 {
                        for prepack in 0...3 {
                            runCase(M: 13, N: 37, K: 29, transA: false, transB: false, activation: ok_activation(UInt32(act)),
                                    bias: ok_bias_kind(UInt32(bias)), accumulate: prepack == 1, prepack: prepack, alpha: 1,
                                    pool: nil, rng: &rng, tag: String(cString: ok_isa_name(isa)))
                        }
                    }
                }
            }
        }
    }

    @Test func kernelNamesSayTileAndISA() {
        withISA(OK_ISA_SCALAR) { #expect(String(cString: ok_sgemm_kernel_name()) == "ok_sgemm_kernel_4x8__scalar") }
        if ok_cpu_supported_isas() & (1 << OK_ISA_AVX2_FMA.rawValue) != 0 {
            withISA(OK_ISA_AVX2_FMA) { #expect(String(cString: ok_sgemm_kernel_name()) == "ok_sgemm_kernel_6x16__avx2_fma") }
        }
        if ok_cpu_supported_isas() & (1 << OK_ISA_AVX512.rawValue) != 0 {
            withISA(OK_ISA_AVX512) { #expect(String(cString: ok_sgemm_kernel_name()) == "ok_sgemm_kernel_12x32__avx512") }
        }
    }
}
}

extension CKernelTests {
/// The benchmark's peak loops: a positive figure for each ISA this CPU has, 0 for
/// the ones it lacks (the ratio "% of peak" divides by it).
@Suite struct PeakLoopTests {
    @Test func peakLoopsReportOnlySupportedISAs() {
        let supported = ok_cpu_supported_isas()
        for isa in [OK_ISA_AVX2_FMA, OK_ISA_AVX512] {
            let g = ok_fma_peak_gflops(Int32(isa.rawValue), 0.02)
            if supported & (1 << isa.rawValue) != 0 {
                #expect(g > 1, "\(String(cString: ok_isa_name(isa))) FMA peak \(g) GFLOPS")
            } else {
                #expect(g == 0)
            }
        }
        #expect(ok_fma_peak_gflops(Int32(OK_ISA_SCALAR.rawValue), 0.02) == 0)
    }
}
}
