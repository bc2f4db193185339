// The cheap activations (ReLU, Clip, LeakyRelu, HardSigmoid, HardSwish) on one
// vector, shared by the GEMM and convolution epilogues that apply them in registers.
// Other activation codes return v unchanged: Sigmoid, Tanh and SiLU are applied by
// the callers (vectorised element-wise kernels, or the AVX-512 GEMM's own sigmoid).
// Semantics: ok_activation_scalar in sgemm.c.
#ifndef OUTPOST_OK_ACT_SIMD_H
#define OUTPOST_OK_ACT_SIMD_H
#include "sgemm_internal.h"

#if OK_HAVE_X86
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static inline __m256 ok_cheap_act8(__m256 v, int act, __m256 p0, __m256 p1) {
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    switch (act) {
    case OK_ACT_RELU: return _mm256_max_ps(v, zero);
    case OK_ACT_CLIP: return _mm256_min_ps(_mm256_max_ps(v, p0), p1);
    case OK_ACT_LEAKY_RELU: return _mm256_blendv_ps(v, _mm256_mul_ps(v, p0), _mm256_cmp_ps(v, zero, _CMP_LT_OQ));
    case OK_ACT_HARD_SIGMOID: return _mm256_min_ps(_mm256_max_ps(_mm256_fmadd_ps(v, p0, p1), zero), one);
    case OK_ACT_HARD_SWISH:
        return _mm256_mul_ps(v, _mm256_min_ps(_mm256_max_ps(_mm256_fmadd_ps(v, _mm256_set1_ps(1.0f / 6.0f),
                                                                             _mm256_set1_ps(0.5f)), zero), one));
    default: return v;
    }
}

__attribute__((target("avx512f"))) static inline __m512 ok_cheap_act16(__m512 v, int act, __m512 p0, __m512 p1) {
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
    switch (act) {
    case OK_ACT_RELU: return _mm512_max_ps(v, zero);
    case OK_ACT_CLIP: return _mm512_min_ps(_mm512_max_ps(v, p0), p1);
    case OK_ACT_LEAKY_RELU: return _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, p0);
    case OK_ACT_HARD_SIGMOID: return _mm512_min_ps(_mm512_max_ps(_mm512_fmadd_ps(v, p0, p1), zero), one);
    case OK_ACT_HARD_SWISH:
        return _mm512_mul_ps(v, _mm512_min_ps(_mm512_max_ps(_mm512_fmadd_ps(v, _mm512_set1_ps(1.0f / 6.0f),
                                                                             _mm512_set1_ps(0.5f)), zero), one));
    default: return v;
    }
}
#endif
#endif
