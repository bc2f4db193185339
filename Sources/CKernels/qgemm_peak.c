// Int8 peak loops for the benchmark: independent accumulator chains of the one
// instruction each int8 kernel is built on, no loads. Ops = 2 per multiply-add.
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
#endif

volatile int32_t ok_qgemm_peak_sink;

uint64_t ok_thread_cpu_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

double ok_qgemm_peak_gops(int isa, double seconds) {
    long iters = 1 << 16;
    double ops_per_iter = 0;
    int32_t (*fn)(long) = 0;
#if OK_Q_X86
    if (isa == OK_ISA_AVX512_VNNI && (ok_cpu_supported_isas() >> OK_ISA_AVX512_VNNI & 1)) {
        fn = peak_vnni;
        ops_per_iter = 16.0 * 64 * 2;
    }
    if (isa == OK_ISA_AVX2_FMA && (ok_cpu_supported_isas() >> OK_ISA_AVX2_FMA & 1)) {
        fn = peak_avx2;
        ops_per_iter = 12.0 * 16 * 2;
    }
#endif
    if (!fn) return 0;
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
