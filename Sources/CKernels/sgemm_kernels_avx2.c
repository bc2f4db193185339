// x86-64 AVX2 + FMA micro-kernel: 6 rows x 16 columns = 12 ymm accumulators,
// 2 ymm of B per k step, A broadcast from the packed panel (see SGEMM.md).
#include "sgemm_internal.h"
#include "ok_act_simd.h"
#if OK_HAVE_X86
#include <immintrin.h>
#include <math.h>

#define OK_AVX2 __attribute__((target("avx2,fma")))

/// In-register epilogue for a full 6x16 tile: bias (per row / per column) and the
/// cheap activations (ReLU, Clip, LeakyRelu, HardSigmoid, HardSwish) before the store.
#define OK_EPI_PAIR(r, x0, x1)                                                         \
    {                                                                                  \
        if (rb) { __m256 bv = _mm256_broadcast_ss(rb + (r)); x0 = _mm256_add_ps(x0, bv); x1 = _mm256_add_ps(x1, bv); } \
        if (cb) { x0 = _mm256_add_ps(x0, cb0); x1 = _mm256_add_ps(x1, cb1); }       \
        x0 = ok_cheap_act8(x0, act, p0, p1); x1 = ok_cheap_act8(x1, act, p0, p1);                 \
    }


#define OK_EPILOGUE_6x16                                                               \
    if (ep) {                                                                          \
        const float *rb = ep->bias && ep->bias_kind == OK_BIAS_PER_ROW ? ep->bias + row0 : NULL; \
        const float *cb = ep->bias && ep->bias_kind == OK_BIAS_PER_COL ? ep->bias + col0 : NULL; \
        __m256 cb0 = _mm256_setzero_ps(), cb1 = cb0;                                   \
        if (cb) { cb0 = _mm256_loadu_ps(cb); cb1 = _mm256_loadu_ps(cb + 8); }          \
        int act = ep->activation;                                                      \
        __m256 p0 = _mm256_set1_ps(ep->p0), p1 = _mm256_set1_ps(ep->p1);               \
        OK_EPI_PAIR(0, c00, c01) OK_EPI_PAIR(1, c10, c11) OK_EPI_PAIR(2, c20, c21)     \
        OK_EPI_PAIR(3, c30, c31) OK_EPI_PAIR(4, c40, c41) OK_EPI_PAIR(5, c50, c51)     \
    }


OK_X86_HOT OK_AVX2 void ok_sgemm_kernel_6x16__avx2_fma(int kc, const float *a, const float *b, float *c, ptrdiff_t ldc,
                                             int load_c, const ok_epilogue *ep, int row0, int col0) {
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    if (load_c) {
        c00 = _mm256_loadu_ps(c + 0 * ldc); c01 = _mm256_loadu_ps(c + 0 * ldc + 8);
        c10 = _mm256_loadu_ps(c + 1 * ldc); c11 = _mm256_loadu_ps(c + 1 * ldc + 8);
        c20 = _mm256_loadu_ps(c + 2 * ldc); c21 = _mm256_loadu_ps(c + 2 * ldc + 8);
        c30 = _mm256_loadu_ps(c + 3 * ldc); c31 = _mm256_loadu_ps(c + 3 * ldc + 8);
        c40 = _mm256_loadu_ps(c + 4 * ldc); c41 = _mm256_loadu_ps(c + 4 * ldc + 8);
        c50 = _mm256_loadu_ps(c + 5 * ldc); c51 = _mm256_loadu_ps(c + 5 * ldc + 8);
    } else {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
    }
#define OK_STEP(off_a, off_b)                                                   \
    {                                                                           \
        __m256 b0 = _mm256_loadu_ps(b + (off_b)), b1 = _mm256_loadu_ps(b + (off_b) + 8); \
        __m256 a0 = _mm256_broadcast_ss(a + (off_a) + 0);                       \
        __m256 a1 = _mm256_broadcast_ss(a + (off_a) + 1);                       \
        c00 = _mm256_fmadd_ps(a0, b0, c00); c01 = _mm256_fmadd_ps(a0, b1, c01); \
        c10 = _mm256_fmadd_ps(a1, b0, c10); c11 = _mm256_fmadd_ps(a1, b1, c11); \
        a0 = _mm256_broadcast_ss(a + (off_a) + 2);                              \
        a1 = _mm256_broadcast_ss(a + (off_a) + 3);                              \
        c20 = _mm256_fmadd_ps(a0, b0, c20); c21 = _mm256_fmadd_ps(a0, b1, c21); \
        c30 = _mm256_fmadd_ps(a1, b0, c30); c31 = _mm256_fmadd_ps(a1, b1, c31); \
        a0 = _mm256_broadcast_ss(a + (off_a) + 4);                              \
        a1 = _mm256_broadcast_ss(a + (off_a) + 5);                              \
        c40 = _mm256_fmadd_ps(a0, b0, c40); c41 = _mm256_fmadd_ps(a0, b1, c41); \
        c50 = _mm256_fmadd_ps(a1, b0, c50); c51 = _mm256_fmadd_ps(a1, b1, c51); \
    }
    int p = 0;
    for (; p + 4 <= kc; p += 4) {
        OK_STEP(0, 0) OK_STEP(6, 16) OK_STEP(12, 32) OK_STEP(18, 48)
        a += 24;
        b += 64;
    }
    for (; p < kc; p++) {
        OK_STEP(0, 0)
        a += 6;
        b += 16;
    }
#undef OK_STEP
    OK_EPILOGUE_6x16
    _mm256_storeu_ps(c + 0 * ldc, c00); _mm256_storeu_ps(c + 0 * ldc + 8, c01);
    _mm256_storeu_ps(c + 1 * ldc, c10); _mm256_storeu_ps(c + 1 * ldc + 8, c11);
    _mm256_storeu_ps(c + 2 * ldc, c20); _mm256_storeu_ps(c + 2 * ldc + 8, c21);
    _mm256_storeu_ps(c + 3 * ldc, c30); _mm256_storeu_ps(c + 3 * ldc + 8, c31);
    _mm256_storeu_ps(c + 4 * ldc, c40); _mm256_storeu_ps(c + 4 * ldc + 8, c41);
    _mm256_storeu_ps(c + 5 * ldc, c50); _mm256_storeu_ps(c + 5 * ldc + 8, c51);
}

/// Same tile, A read in place from six row-major rows (a + i*lda + p): no packing
/// of A at all when A is row-major with alpha 1 (the rows stream sequentially).
OK_X86_HOT OK_AVX2 void ok_sgemm_kernel_6x16__avx2_fma_rowa(int kc, const float *a, ptrdiff_t lda, const float *b, float *c,
                                                  ptrdiff_t ldc, int load_c, const ok_epilogue *ep, int row0,
                                                  int col0) {
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    if (load_c) {
        c00 = _mm256_loadu_ps(c + 0 * ldc); c01 = _mm256_loadu_ps(c + 0 * ldc + 8);
        c10 = _mm256_loadu_ps(c + 1 * ldc); c11 = _mm256_loadu_ps(c + 1 * ldc + 8);
        c20 = _mm256_loadu_ps(c + 2 * ldc); c21 = _mm256_loadu_ps(c + 2 * ldc + 8);
        c30 = _mm256_loadu_ps(c + 3 * ldc); c31 = _mm256_loadu_ps(c + 3 * ldc + 8);
        c40 = _mm256_loadu_ps(c + 4 * ldc); c41 = _mm256_loadu_ps(c + 4 * ldc + 8);
        c50 = _mm256_loadu_ps(c + 5 * ldc); c51 = _mm256_loadu_ps(c + 5 * ldc + 8);
    } else {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
    }
    const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda, *a4 = a + 4 * lda, *a5 = a + 5 * lda;
#define OK_STEP_R(p, off_b)                                                     \
    {                                                                           \
        __m256 b0 = _mm256_loadu_ps(b + (off_b)), b1 = _mm256_loadu_ps(b + (off_b) + 8); \
        __m256 x0 = _mm256_broadcast_ss(a0 + (p));                              \
        __m256 x1 = _mm256_broadcast_ss(a1 + (p));                              \
        c00 = _mm256_fmadd_ps(x0, b0, c00); c01 = _mm256_fmadd_ps(x0, b1, c01); \
        c10 = _mm256_fmadd_ps(x1, b0, c10); c11 = _mm256_fmadd_ps(x1, b1, c11); \
        x0 = _mm256_broadcast_ss(a2 + (p));                                     \
        x1 = _mm256_broadcast_ss(a3 + (p));                                     \
        c20 = _mm256_fmadd_ps(x0, b0, c20); c21 = _mm256_fmadd_ps(x0, b1, c21); \
        c30 = _mm256_fmadd_ps(x1, b0, c30); c31 = _mm256_fmadd_ps(x1, b1, c31); \
        x0 = _mm256_broadcast_ss(a4 + (p));                                     \
        x1 = _mm256_broadcast_ss(a5 + (p));                                     \
        c40 = _mm256_fmadd_ps(x0, b0, c40); c41 = _mm256_fmadd_ps(x0, b1, c41); \
        c50 = _mm256_fmadd_ps(x1, b0, c50); c51 = _mm256_fmadd_ps(x1, b1, c51); \
    }
    int p = 0;
    for (; p + 4 <= kc; p += 4) {
        OK_STEP_R(p, 0) OK_STEP_R(p + 1, 16) OK_STEP_R(p + 2, 32) OK_STEP_R(p + 3, 48)
        b += 64;
    }
    for (; p < kc; p++) {
        OK_STEP_R(p, 0)
        b += 16;
    }
#undef OK_STEP_R
    OK_EPILOGUE_6x16
    _mm256_storeu_ps(c + 0 * ldc, c00); _mm256_storeu_ps(c + 0 * ldc + 8, c01);
    _mm256_storeu_ps(c + 1 * ldc, c10); _mm256_storeu_ps(c + 1 * ldc + 8, c11);
    _mm256_storeu_ps(c + 2 * ldc, c20); _mm256_storeu_ps(c + 2 * ldc + 8, c21);
    _mm256_storeu_ps(c + 3 * ldc, c30); _mm256_storeu_ps(c + 3 * ldc + 8, c31);
    _mm256_storeu_ps(c + 4 * ldc, c40); _mm256_storeu_ps(c + 4 * ldc + 8, c41);
    _mm256_storeu_ps(c + 5 * ldc, c50); _mm256_storeu_ps(c + 5 * ldc + 8, c51);
}

/// Bias + the cheap activations vectorised; the transcendental ones fall back to
/// the scalar post-pass over the tile (still in L1).
OK_AVX2 void ok_apply_epilogue__avx2(float *c, ptrdiff_t ldc, int rows, int cols, int row0, int col0,
                                     const ok_epilogue *ep) {
    int act = ep->activation;
    int simple = act == OK_ACT_NONE || act == OK_ACT_RELU || act == OK_ACT_CLIP || act == OK_ACT_LEAKY_RELU ||
                 act == OK_ACT_HARD_SIGMOID || act == OK_ACT_HARD_SWISH;
    if (!simple) {
        ok_epilogue e = *ep;
        ok_apply_epilogue(c, ldc, rows, cols, row0, col0, &e);  // scalar fallback handles all
        return;
    }
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    const __m256 p0 = _mm256_set1_ps(ep->p0), p1 = _mm256_set1_ps(ep->p1);
    const __m256 sixth = _mm256_set1_ps(1.0f / 6.0f), half = _mm256_set1_ps(0.5f);
    for (int i = 0; i < rows; i++) {
        float *row = c + i * ldc;
        __m256 rb = _mm256_setzero_ps();
        float rbs = 0;
        if (ep->bias && ep->bias_kind == OK_BIAS_PER_ROW) {
            rbs = ep->bias[row0 + i];
            rb = _mm256_set1_ps(rbs);
        }
        const float *cb = (ep->bias && ep->bias_kind == OK_BIAS_PER_COL) ? ep->bias + col0 : NULL;
        int j = 0;
        for (; j + 8 <= cols; j += 8) {
            __m256 v = _mm256_add_ps(_mm256_loadu_ps(row + j), rb);
            if (cb) v = _mm256_add_ps(v, _mm256_loadu_ps(cb + j));
            switch (act) {
            case OK_ACT_RELU: v = _mm256_max_ps(v, zero); break;
            case OK_ACT_CLIP: v = _mm256_min_ps(_mm256_max_ps(v, p0), p1); break;
            case OK_ACT_LEAKY_RELU: {
                __m256 neg = _mm256_mul_ps(v, p0);
                v = _mm256_blendv_ps(v, neg, _mm256_cmp_ps(v, zero, _CMP_LT_OQ));
                break;
            }
            case OK_ACT_HARD_SIGMOID:
                v = _mm256_min_ps(_mm256_max_ps(_mm256_fmadd_ps(v, p0, p1), zero), one);
                break;
            case OK_ACT_HARD_SWISH:
                v = _mm256_mul_ps(v, _mm256_min_ps(_mm256_max_ps(_mm256_fmadd_ps(v, sixth, half), zero), one));
                break;
            default: break;
            }
            _mm256_storeu_ps(row + j, v);
        }
        for (; j < cols; j++) {
            float v = row[j] + rbs + (cb ? cb[j] : 0.0f);
            row[j] = ok_activation_scalar(v, act, ep->p0, ep->p1);
        }
    }
}
#endif
