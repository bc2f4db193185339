// Int8 peak loops for the benchmark: independent accumulator chains of the one
// instruction each int8 kernel is built on, no loads. Ops = 2 per multiply-add.
#include "qgemm_internal.h"

#include <time.h>

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#if OK_Q_X86
#include <immintrin.h>
// 16 independent zmm chains (vpdpbusd: latency 5, 2 per cycle on two-FMA-unit Xeons).
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"), noinline)) static int32_t
peak_vnni(long iters) {
    __m512i a = _mm512_set1_epi32(0x01010101), b = _mm512_set1_epi32(0x01ff01ff);
    __m512i c0 = _mm512_set1_epi32(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    __m512i c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
    for (long i = 0; i < iters; i++) {
#define D(c) c = _mm512_dpbusd_epi32(c, a, b);
        D(c0) D(c1) D(c2) D(c3) D(c4) D(c5) D(c6) D(c7) D(c8) D(c9) D(c10) D(c11) D(c12) D(c13) D(c14) D(c15)
#undef D
        __asm__ volatile("" : "+v"(a));
    }
    __m512i s = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3)),
                                 _mm512_add_epi32(_mm512_add_epi32(c4, c5), _mm512_add_epi32(c6, c7)));
    s = _mm512_add_epi32(s, _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(c8, c9), _mm512_add_epi32(c10, c11)),
                                             _mm512_add_epi32(_mm512_add_epi32(c12, c13), _mm512_add_epi32(c14, c15))));
    return _mm512_reduce_add_epi32(s);
}

// 12 independent ymm chains of vpmaddwd (16 int16 multiplies, pairs added: 32 ops).
// The AVX2 kernel also needs one vpaddd per vpmaddwd; this is the instruction bound.
__attribute__((target("avx2,fma"), noinline)) static int32_t peak_avx2(long iters) {
    __m256i b = _mm256_set1_epi32(0x00010001);
    __m256i c0 = _mm256_set1_epi32(1), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    __m256i c8 = c0, c9 = c0, c10 = c0, c11 = c0;
    for (long i = 0; i < iters; i++) {
#define D(c) c = _mm256_madd_epi16(c, b);
        D(c0) D(c1) D(c2) D(c3) D(c4) D(c5) D(c6) D(c7) D(c8) D(c9) D(c10) D(c11)
#undef D
        __asm__ volatile("" : "+x"(b));
    }
    __m256i s = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(c0, c1), _mm256_add_epi32(c2, c3)),
                                 _mm256_add_epi32(_mm256_add_epi32(c4, c5), _mm256_add_epi32(c6, c7)));
    s = _mm256_add_epi32(s, _mm256_add_epi32(_mm256_add_epi32(c8, c9), _mm256_add_epi32(c10, c11)));
    return _mm256_extract_epi32(s, 0);
}
#endif

volatile int32_t ok_qgemm_peak_sink;

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
