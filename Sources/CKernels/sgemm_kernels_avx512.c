// x86-64 AVX-512 micro-kernel: 12 rows x 32 columns = 24 zmm accumulators,
// 2 zmm of B per k step, A broadcast from the packed panel or read in place (see
// SGEMM.md). 24 accumulators + 2 B + 2 broadcasts stay within the 32 zmm registers,
// and 24 independent FMA chains cover 2 ports x 4 cycles of latency three times.
#include "sgemm_internal.h"
#include "ok_act_simd.h"
#if OK_HAVE_X86
#include <immintrin.h>

#define OK_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))

/// exp(x) for x <= 0 (the sigmoid argument -|x|): the polynomial of ok_expf_inline
/// (elementwise.c), 16 lanes; below -87 the result flushes to 0.
OK_AVX512 static inline __m512 ok_exp_neg16(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    __m512 e = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(e, n);  // e * 2^n
}

/// 1 / (1 + e^-x) as e^-|x| / (1 + e^-|x|) for x < 0 (no inf/inf).
OK_AVX512 static inline __m512 ok_sigmoid16(__m512 v) {
    __m512 ax = _mm512_abs_ps(v);
    __m512 e = ok_exp_neg16(_mm512_sub_ps(_mm512_setzero_ps(), ax));
    __m512 s = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
    return _mm512_mask_mul_ps(s, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ), e, s);
}

OK_AVX512 static inline __m512 ok_act16(__m512 v, int act, __m512 p0, __m512 p1) {
    switch (act) {
    case OK_ACT_SIGMOID: return ok_sigmoid16(v);
    case OK_ACT_SILU: return _mm512_mul_ps(v, ok_sigmoid16(v));
    default: return ok_cheap_act16(v, act, p0, p1);
    }
}

// The 24 accumulators, named so that they stay in registers at every -O level.
#define OK_ACC_DECL __m512 c0a, c0b, c1a, c1b, c2a, c2b, c3a, c3b, c4a, c4b, c5a, c5b, \
                           c6a, c6b, c7a, c7b, c8a, c8b, c9a, c9b, c10a, c10b, c11a, c11b
#define OK_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define OK_LOAD_ROW(i) c##i##a = _mm512_loadu_ps(c + (i) * ldc); c##i##b = _mm512_loadu_ps(c + (i) * ldc + 16);
#define OK_ZERO_ROW(i) c##i##a = _mm512_setzero_ps(); c##i##b = _mm512_setzero_ps();
#define OK_STORE_ROW(i) _mm512_storeu_ps(c + (i) * ldc, c##i##a); _mm512_storeu_ps(c + (i) * ldc + 16, c##i##b);
#define OK_EPI_ROW(i)                                                                   \
    if (rb) { __m512 bv = _mm512_set1_ps(rb[i]); c##i##a = _mm512_add_ps(c##i##a, bv); c##i##b = _mm512_add_ps(c##i##b, bv); } \
    if (cb) { c##i##a = _mm512_add_ps(c##i##a, cb0); c##i##b = _mm512_add_ps(c##i##b, cb1); } \
    c##i##a = ok_cheap_act16(c##i##a, act, p0, p1); c##i##b = ok_cheap_act16(c##i##b, act, p0, p1);

#define OK_PROLOGUE                          \
    OK_ACC_DECL;                             \
    if (load_c) { OK_ROWS(OK_LOAD_ROW) }     \
    else { OK_ROWS(OK_ZERO_ROW) }

#define OK_EPILOGUE_AND_STORE                                                                    \
    if (ep) {                                                                                    \
        const float *rb = ep->bias && ep->bias_kind == OK_BIAS_PER_ROW ? ep->bias + row0 : NULL;  \
        const float *cb = ep->bias && ep->bias_kind == OK_BIAS_PER_COL ? ep->bias + col0 : NULL;  \
        __m512 cb0 = _mm512_setzero_ps(), cb1 = cb0;                                             \
        if (cb) { cb0 = _mm512_loadu_ps(cb); cb1 = _mm512_loadu_ps(cb + 16); }                   \
        int act = ep->activation;                                                                \
        __m512 p0 = _mm512_set1_ps(ep->p0), p1 = _mm512_set1_ps(ep->p1);                         \
        OK_ROWS(OK_EPI_ROW)                                                                      \
    }                                                                                            \
    OK_ROWS(OK_STORE_ROW)

#define OK_FMA_ROW(i, src)                                   \
    {                                                        \
        __m512 av = _mm512_set1_ps(src);                     \
        c##i##a = _mm512_fmadd_ps(av, b0, c##i##a);          \
        c##i##b = _mm512_fmadd_ps(av, b1, c##i##b);          \
    }

OK_AVX512 void ok_sgemm_kernel_12x32__avx512(int kc, const float *a, const float *b, float *c, ptrdiff_t ldc,
                                              int load_c, const ok_epilogue *ep, int row0, int col0) {
    OK_PROLOGUE
#define OK_STEP(off_a, off_b)                                                                    \
    {                                                                                            \
        __m512 b0 = _mm512_loadu_ps(b + (off_b)), b1 = _mm512_loadu_ps(b + (off_b) + 16);        \
        OK_FMA_ROW(0, a[(off_a) + 0]) OK_FMA_ROW(1, a[(off_a) + 1]) OK_FMA_ROW(2, a[(off_a) + 2]) \
        OK_FMA_ROW(3, a[(off_a) + 3]) OK_FMA_ROW(4, a[(off_a) + 4]) OK_FMA_ROW(5, a[(off_a) + 5]) \
        OK_FMA_ROW(6, a[(off_a) + 6]) OK_FMA_ROW(7, a[(off_a) + 7]) OK_FMA_ROW(8, a[(off_a) + 8]) \
        OK_FMA_ROW(9, a[(off_a) + 9]) OK_FMA_ROW(10, a[(off_a) + 10]) OK_FMA_ROW(11, a[(off_a) + 11]) \
    }
    int p = 0;
    for (; p + 4 <= kc; p += 4) {
        OK_STEP(0, 0) OK_STEP(12, 32) OK_STEP(24, 64) OK_STEP(36, 96)
        a += 48;
        b += 128;
    }
    for (; p < kc; p++) {
        OK_STEP(0, 0)
        a += 12;
        b += 32;
    }
#undef OK_STEP
    OK_EPILOGUE_AND_STORE
}

/// Same tile, A read in place from twelve row-major rows (a + i*lda + p): no packing
/// of A when A is row-major with alpha 1.
OK_AVX512 void ok_sgemm_kernel_12x32__avx512_rowa(int kc, const float *a, ptrdiff_t lda, const float *b, float *c,
                                                   ptrdiff_t ldc, int load_c, const ok_epilogue *ep, int row0,
                                                   int col0) {
    OK_PROLOGUE
    // Four row pointers, the other rows at +lda / +2*lda (few GPRs); one k step per
    // iteration: clang spills accumulators when this loop is unrolled by hand.
    const float *a0 = a, *a3 = a + 3 * lda, *a6 = a + 6 * lda, *a9 = a + 9 * lda;
    const ptrdiff_t l2 = 2 * lda;
#define OK_STEP_R                                                                                \
    {                                                                                            \
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);                            \
        OK_FMA_ROW(0, a0[0]) OK_FMA_ROW(1, a0[lda]) OK_FMA_ROW(2, a0[l2])                        \
        OK_FMA_ROW(3, a3[0]) OK_FMA_ROW(4, a3[lda]) OK_FMA_ROW(5, a3[l2])                        \
        OK_FMA_ROW(6, a6[0]) OK_FMA_ROW(7, a6[lda]) OK_FMA_ROW(8, a6[l2])                        \
        OK_FMA_ROW(9, a9[0]) OK_FMA_ROW(10, a9[lda]) OK_FMA_ROW(11, a9[l2])                      \
    }
    for (int p = 0; p < kc; p++) {
        OK_STEP_R
        a0++; a3++; a6++; a9++;
        b += 32;
    }
#undef OK_STEP_R
    OK_EPILOGUE_AND_STORE
}

/// Ragged tiles of the 12x32 layout (packed A panel of 12 rows, packed B panel of
/// 32 columns, both zero-padded): only ROWS (4, 8 or 12) rows and NV (1 or 2)
/// vectors of columns are computed, C is read and written with column masks and
/// only its first `mrows` rows. Before, a ragged tile ran the full 12x32 kernel into
/// a local tile and copied it out: mobilenet's 4x4 layers (N = 16) computed twice
/// the columns they use, 16-channel layers (M = 12 + 4) three times the rows of
/// their last panel. Same k order per element as the full kernel: same bits.
/// B rows are ldb floats apart: 32 in a packed panel, or B read in place (then
/// columns past ncols are not read: masked loads).
OK_AVX512 __attribute__((always_inline)) static inline void edge_tile(int kc, const float *a, const float *b,
                                                                   ptrdiff_t ldb, float *c,
                                                                   ptrdiff_t ldc, int load_c, const ok_epilogue *ep,
                                                                   int row0, int col0, int mrows, int ncols,
                                                                   const int ROWS, const int NV) {
    const __mmask16 full = (__mmask16)0xffff;
    __mmask16 m[2];
    m[0] = ncols >= 16 ? full : (__mmask16)((1u << ncols) - 1u);
    m[1] = ncols >= 32 ? full : ncols > 16 ? (__mmask16)((1u << (ncols - 16)) - 1u) : 0;
    __m512 acc[12][2];
    for (int i = 0; i < ROWS; i++)
        for (int v = 0; v < NV; v++)
            acc[i][v] = load_c && i < mrows ? _mm512_maskz_loadu_ps(m[v], c + i * ldc + 16 * v) : _mm512_setzero_ps();
    for (int p = 0; p < kc; p++) {
        __m512 bv[2];
        for (int v = 0; v < NV; v++) bv[v] = _mm512_maskz_loadu_ps(m[v], b + p * ldb + 16 * v);
        for (int i = 0; i < ROWS; i++) {
            __m512 av = _mm512_set1_ps(a[p * 12 + i]);
            for (int v = 0; v < NV; v++) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
        }
    }
    if (ep) {
        const float *rb = ep->bias && ep->bias_kind == OK_BIAS_PER_ROW ? ep->bias + row0 : NULL;
        const float *cb = ep->bias && ep->bias_kind == OK_BIAS_PER_COL ? ep->bias + col0 : NULL;
        __m512 cbv[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
        if (cb)
            for (int v = 0; v < NV; v++) cbv[v] = _mm512_maskz_loadu_ps(m[v], cb + 16 * v);
        int act = ep->activation;
        __m512 p0 = _mm512_set1_ps(ep->p0), p1 = _mm512_set1_ps(ep->p1);
        for (int i = 0; i < ROWS; i++) {
            if (i >= mrows) break;
            __m512 bvr = _mm512_set1_ps(rb ? rb[i] : 0.0f);
            for (int v = 0; v < NV; v++)
                acc[i][v] = ok_cheap_act16(_mm512_add_ps(_mm512_add_ps(acc[i][v], bvr), cbv[v]), act, p0, p1);
        }
    }
    for (int i = 0; i < ROWS; i++) {
        if (i >= mrows) break;
        for (int v = 0; v < NV; v++) _mm512_mask_storeu_ps(c + i * ldc + 16 * v, m[v], acc[i][v]);
    }
}

#define OK_EDGE(R, V)                                                                                          \
    OK_AVX512 static void edge_##R##x##V(int kc, const float *a, const float *b, ptrdiff_t ldb, float *c,       \
                                         ptrdiff_t ldc, int load_c, const ok_epilogue *ep, int row0, int col0,  \
                                         int mrows, int ncols) {                                                \
        edge_tile(kc, a, b, ldb, c, ldc, load_c, ep, row0, col0, mrows, ncols, R, V);                          \
    }
OK_EDGE(4, 1) OK_EDGE(8, 1) OK_EDGE(12, 1) OK_EDGE(4, 2) OK_EDGE(8, 2) OK_EDGE(12, 2)
#undef OK_EDGE

void ok_sgemm_kernel_12x32_edge__avx512(int kc, const float *a, const float *b, ptrdiff_t ldb, float *c,
                                        ptrdiff_t ldc, int load_c, const ok_epilogue *ep, int row0, int col0,
                                        int mrows, int ncols) {
    if (ncols <= 16) {
        if (mrows <= 4) edge_4x1(kc, a, b, ldb, c, ldc, load_c, ep, row0, col0, mrows, ncols);
        else if (mrows <= 8) edge_8x1(kc, a, b, ldb, c, ldc, load_c, ep, row0, col0, mrows, ncols);
        else edge_12x1(kc, a, b, ldb, c, ldc, load_c, ep, row0, col0, mrows, ncols);
    } else {
        if (mrows <= 4) edge_4x2(kc, a, b, ldb, c, ldc, load_c, ep, row0, col0, mrows, ncols);
        else if (mrows <= 8) edge_8x2(kc, a, b, ldb, c, ldc, load_c, ep, row0, col0, mrows, ncols);
        else edge_12x2(kc, a, b, ldb, c, ldc, load_c, ep, row0, col0, mrows, ncols);
    }
}

/// Same tile as ok_sgemm_kernel_12x32__avx512, B read in place (row p at b + p*ldb,
/// row-major, not packed): 1x1 convolutions' B is their input, which the driver
/// copied into panels on every run (7% of mobilenet's time).
OK_AVX512 void ok_sgemm_kernel_12x32__avx512_rowb(int kc, const float *a, const float *b, ptrdiff_t ldb, float *c,
                                                   ptrdiff_t ldc, int load_c, const ok_epilogue *ep, int row0,
                                                   int col0) {
    OK_PROLOGUE
    for (int p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
        OK_FMA_ROW(0, a[0]) OK_FMA_ROW(1, a[1]) OK_FMA_ROW(2, a[2]) OK_FMA_ROW(3, a[3])
        OK_FMA_ROW(4, a[4]) OK_FMA_ROW(5, a[5]) OK_FMA_ROW(6, a[6]) OK_FMA_ROW(7, a[7])
        OK_FMA_ROW(8, a[8]) OK_FMA_ROW(9, a[9]) OK_FMA_ROW(10, a[10]) OK_FMA_ROW(11, a[11])
        a += 12;
        b += ldb;
    }
    OK_EPILOGUE_AND_STORE
}

/// Bias + every activation but Tanh (which goes to the AVX2 version), 16 lanes with
/// masked tails: ragged tiles, and planes of the depthwise convolution.
OK_AVX512 void ok_apply_epilogue__avx512(float *c, ptrdiff_t ldc, int rows, int cols, int row0, int col0,
                                         const ok_epilogue *ep) {
    int act = ep->activation;
    if (act == OK_ACT_TANH) {
        ok_apply_epilogue__avx2(c, ldc, rows, cols, row0, col0, ep);
        return;
    }
    const __m512 p0 = _mm512_set1_ps(ep->p0), p1 = _mm512_set1_ps(ep->p1);
    const float *cb = ep->bias && ep->bias_kind == OK_BIAS_PER_COL ? ep->bias + col0 : NULL;
    for (int i = 0; i < rows; i++) {
        float *row = c + i * ldc;
        __m512 rb = _mm512_set1_ps(ep->bias && ep->bias_kind == OK_BIAS_PER_ROW ? ep->bias[row0 + i] : 0.0f);
        for (int j = 0; j < cols; j += 16) {
            __mmask16 m = cols - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (cols - j)) - 1u);
            __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, row + j), rb);
            if (cb) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, cb + j));
            _mm512_mask_storeu_ps(row + j, m, ok_act16(v, act, p0, p1));
        }
    }
}
#endif
