// Peak loops for the benchmark: independent accumulator chains of the one
// instruction each kernel is built on (vpdpbusd, vpmaddwd, vfmadd231ps), no loads.
// Ops = 2 per multiply-add.
#include "qgemm_internal.h"

#include <time.h>

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);  // CPU time: the machine may be shared
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#if OK_Q_X86
#include <immintrin.h>
// 16 independent zmm chains (vpdpbusd: latency 5, 2 per cycle on two-FMA-unit Xeons).
// Inline asm: with the intrinsic, gcc 12 copies every accumulator each step.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"), noinline)) static int32_t
peak_vnni(long iters) {
    int32_t out[16] __attribute__((aligned(64)));
    __asm__ volatile(
        "vpternlogd $0xff, %%zmm16, %%zmm16, %%zmm16\n\t"
        "vpabsb %%zmm16, %%zmm16\n\t"          /* 0x01 bytes */
        "vmovdqa64 %%zmm16, %%zmm17\n\t"
        "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
        "vmovdqa64 %%zmm0, %%zmm1\n\t vmovdqa64 %%zmm0, %%zmm2\n\t vmovdqa64 %%zmm0, %%zmm3\n\t"
        "vmovdqa64 %%zmm0, %%zmm4\n\t vmovdqa64 %%zmm0, %%zmm5\n\t vmovdqa64 %%zmm0, %%zmm6\n\t"
        "vmovdqa64 %%zmm0, %%zmm7\n\t vmovdqa64 %%zmm0, %%zmm8\n\t vmovdqa64 %%zmm0, %%zmm9\n\t"
        "vmovdqa64 %%zmm0, %%zmm10\n\t vmovdqa64 %%zmm0, %%zmm11\n\t vmovdqa64 %%zmm0, %%zmm12\n\t"
        "vmovdqa64 %%zmm0, %%zmm13\n\t vmovdqa64 %%zmm0, %%zmm14\n\t vmovdqa64 %%zmm0, %%zmm15\n\t"
        "1:\n\t"
        "vpdpbusd %%zmm17, %%zmm16, %%zmm0\n\t vpdpbusd %%zmm17, %%zmm16, %%zmm1\n\t"
        "vpdpbusd %%zmm17, %%zmm16, %%zmm2\n\t vpdpbusd %%zmm17, %%zmm16, %%zmm3\n\t"
        "vpdpbusd %%zmm17, %%zmm16, %%zmm4\n\t vpdpbusd %%zmm17, %%zmm16, %%zmm5\n\t"
        "vpdpbusd %%zmm17, %%zmm16, %%zmm6\n\t vpdpbusd %%zmm17, %%zmm16, %%zmm7\n\t"
        "vpdpbusd %%zmm17, %%zmm16, %%zmm8\n\t vpdpbusd %%zmm17, %%zmm16, %%zmm9\n\t"
        "vpdpbusd %%zmm17, %%zmm16, %%zmm10\n\t vpdpbusd %%zmm17, %%zmm16, %%zmm11\n\t"
        "vpdpbusd %%zmm17, %%zmm16, %%zmm12\n\t vpdpbusd %%zmm17, %%zmm16, %%zmm13\n\t"
        "vpdpbusd %%zmm17, %%zmm16, %%zmm14\n\t vpdpbusd %%zmm17, %%zmm16, %%zmm15\n\t"
        "dec %0\n\t"
        "jnz 1b\n\t"
        "vpaddd %%zmm1, %%zmm0, %%zmm0\n\t"
        "vmovdqu64 %%zmm0, (%1)\n\t"
        "vzeroupper\n\t"
        : "+r"(iters)
        : "r"(out)
        : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
          "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17");
    return out[0];
}

// 12 independent ymm chains of vpmaddwd (16 int16 multiplies, pairs added: 32 ops).
// The AVX2 kernel also needs one vpaddd per vpmaddwd; this is the instruction bound.
__attribute__((target("avx2,fma"), noinline)) static int32_t peak_avx2(long iters) {
    int32_t out[8] __attribute__((aligned(32)));
    __asm__ volatile(
        "vpcmpeqd %%ymm12, %%ymm12, %%ymm12\n\t"
        "vpsrlw $15, %%ymm12, %%ymm12\n\t"     /* int16 1s */
        "vmovdqa %%ymm12, %%ymm0\n\t vmovdqa %%ymm12, %%ymm1\n\t vmovdqa %%ymm12, %%ymm2\n\t"
        "vmovdqa %%ymm12, %%ymm3\n\t vmovdqa %%ymm12, %%ymm4\n\t vmovdqa %%ymm12, %%ymm5\n\t"
        "vmovdqa %%ymm12, %%ymm6\n\t vmovdqa %%ymm12, %%ymm7\n\t vmovdqa %%ymm12, %%ymm8\n\t"
        "vmovdqa %%ymm12, %%ymm9\n\t vmovdqa %%ymm12, %%ymm10\n\t vmovdqa %%ymm12, %%ymm11\n\t"
        "1:\n\t"
        "vpmaddwd %%ymm12, %%ymm0, %%ymm0\n\t vpmaddwd %%ymm12, %%ymm1, %%ymm1\n\t"
        "vpmaddwd %%ymm12, %%ymm2, %%ymm2\n\t vpmaddwd %%ymm12, %%ymm3, %%ymm3\n\t"
        "vpmaddwd %%ymm12, %%ymm4, %%ymm4\n\t vpmaddwd %%ymm12, %%ymm5, %%ymm5\n\t"
        "vpmaddwd %%ymm12, %%ymm6, %%ymm6\n\t vpmaddwd %%ymm12, %%ymm7, %%ymm7\n\t"
        "vpmaddwd %%ymm12, %%ymm8, %%ymm8\n\t vpmaddwd %%ymm12, %%ymm9, %%ymm9\n\t"
        "vpmaddwd %%ymm12, %%ymm10, %%ymm10\n\t vpmaddwd %%ymm12, %%ymm11, %%ymm11\n\t"
        "dec %0\n\t"
        "jnz 1b\n\t"
        "vpaddd %%ymm1, %%ymm0, %%ymm0\n\t"
        "vmovdqu %%ymm0, (%1)\n\t"
        "vzeroupper\n\t"
        : "+r"(iters)
        : "r"(out)
        : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
          "xmm11", "xmm12");
    return out[0];
}

// 24 independent zmm / 12 ymm FMA chains (latency 4, 2 per cycle: >= 8 needed).
__attribute__((target("avx512f"), noinline)) static int32_t peak_fma512(long iters) {
    float out[16] __attribute__((aligned(64)));
    __asm__ volatile(
        "vpternlogd $0xff, %%zmm24, %%zmm24, %%zmm24\n\t"
        "vxorps %%zmm25, %%zmm25, %%zmm25\n\t"  /* a = NaN bits, b = 0: values do not matter */
#define Z(i) "vxorps %%zmm" #i ", %%zmm" #i ", %%zmm" #i "\n\t"
        Z(0) Z(1) Z(2) Z(3) Z(4) Z(5) Z(6) Z(7) Z(8) Z(9) Z(10) Z(11)
        Z(12) Z(13) Z(14) Z(15) Z(16) Z(17) Z(18) Z(19) Z(20) Z(21) Z(22) Z(23)
#undef Z
        "1:\n\t"
#define F(i) "vfmadd231ps %%zmm25, %%zmm25, %%zmm" #i "\n\t"
        F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11)
        F(12) F(13) F(14) F(15) F(16) F(17) F(18) F(19) F(20) F(21) F(22) F(23)
#undef F
        "dec %0\n\t"
        "jnz 1b\n\t"
        "vaddps %%zmm1, %%zmm0, %%zmm0\n\t"
        "vmovups %%zmm0, (%1)\n\t"
        "vzeroupper\n\t"
        : "+r"(iters)
        : "r"(out)
        : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
          "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21",
          "xmm22", "xmm23", "xmm24", "xmm25");
    return (int32_t)out[0];
}

__attribute__((target("avx2,fma"), noinline)) static int32_t peak_fma256(long iters) {
    float out[8] __attribute__((aligned(32)));
    __asm__ volatile(
        "vxorps %%ymm12, %%ymm12, %%ymm12\n\t"
#define Z(i) "vxorps %%ymm" #i ", %%ymm" #i ", %%ymm" #i "\n\t"
        Z(0) Z(1) Z(2) Z(3) Z(4) Z(5) Z(6) Z(7) Z(8) Z(9) Z(10) Z(11)
#undef Z
        "1:\n\t"
#define F(i) "vfmadd231ps %%ymm12, %%ymm12, %%ymm" #i "\n\t"
        F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11)
#undef F
        "dec %0\n\t"
        "jnz 1b\n\t"
        "vaddps %%ymm1, %%ymm0, %%ymm0\n\t"
        "vmovups %%ymm0, (%1)\n\t"
        "vzeroupper\n\t"
        : "+r"(iters)
        : "r"(out)
        : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
          "xmm11", "xmm12");
    return (int32_t)out[0];
}
#endif

volatile int32_t ok_qgemm_peak_sink;

uint64_t ok_thread_cpu_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/// Best rate of `fn` over `seconds` of thread CPU time (iterations doubled until one
/// run takes >= 1 ms), in units of 1e9 ops/s.
static double best_rate(int32_t (*fn)(long), double ops_per_iter, double seconds) {
    if (!fn) return 0;
    long iters = 1 << 16;
    double best = 0;
    double t_end = seconds_now() + seconds;
    do {
        double t0 = seconds_now();
        ok_qgemm_peak_sink = fn(iters);
        double t = seconds_now() - t0;
        if (t < 1e-3) { iters *= 2; continue; }
        double g = ops_per_iter * (double)iters / t / 1e9;
        if (g > best) best = g;
    } while (seconds_now() < t_end);
    return best;
}

double ok_qgemm_peak_gops(int isa, double seconds) {
    double ops_per_iter = 0;
    int32_t (*fn)(long) = 0;
#if OK_Q_X86
    if (OK_AVX512_BUILT && isa == OK_ISA_AVX512_VNNI && (ok_cpu_supported_isas() >> OK_ISA_AVX512_VNNI & 1)) {
        fn = peak_vnni;
        ops_per_iter = 16.0 * 64 * 2;
    }
    if (isa == OK_ISA_AVX2_FMA && (ok_cpu_supported_isas() >> OK_ISA_AVX2_FMA & 1)) {
        fn = peak_avx2;
        ops_per_iter = 12.0 * 16 * 2;
    }
#endif
    (void)isa;
    return best_rate(fn, ops_per_iter, seconds);
}

double ok_fma_peak_gflops(int isa, double seconds) {
    double ops_per_iter = 0;
    int32_t (*fn)(long) = 0;
#if OK_Q_X86
    if (OK_AVX512_BUILT && isa == OK_ISA_AVX512 && (ok_cpu_supported_isas() >> OK_ISA_AVX512 & 1)) {
        fn = peak_fma512;
        ops_per_iter = 24.0 * 16 * 2;
    }
    if (isa == OK_ISA_AVX2_FMA && (ok_cpu_supported_isas() >> OK_ISA_AVX2_FMA & 1)) {
        fn = peak_fma256;
        ops_per_iter = 12.0 * 8 * 2;
    }
#endif
    (void)isa;
    return best_rate(fn, ops_per_iter, seconds);
}
