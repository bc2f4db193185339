// x86-64 int8 micro-kernels and epilogues: AVX-512 VNNI (vpdpbusd) and AVX2 (int16
// vpmaddwd). Both are exact: vpdpbusd sums four u8 x s8 products into int32 without
// saturation; vpmaddwd multiplies int16 (u8 / s8 widened at pack time) and adds pairs
// into int32 (|2 * 255 * 128| fits easily).
#include "qgemm_internal.h"

#if OK_Q_X86
#include <immintrin.h>
#include <string.h>

typedef int32_t ok_qi32u __attribute__((may_alias, aligned(1)));

#define OK_VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma")))
#define OK_AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))
#define OK_AVX2_TARGET __attribute__((target("avx2,fma")))

// 12 x 32 tile: per group of 4 k, 2 zmm of B (32 columns x 4 bytes), 12 broadcasts of
// A (4 bytes each), 24 vpdpbusd into 24 zmm accumulators.
OK_VNNI_TARGET void ok_qgemm_u8s8_12x32__avx512vnni(int kg, const void *a, const void *b, int32_t *tile) {
    const ok_qi32u *pa = a;
    const __m512i *pb = b;
#define Z(i) __m512i c##i##0 = _mm512_setzero_si512(), c##i##1 = _mm512_setzero_si512();
    Z(0) Z(1) Z(2) Z(3) Z(4) Z(5) Z(6) Z(7) Z(8) Z(9) Z(10) Z(11)
#undef Z
    for (int g = 0; g < kg; g++) {
        __m512i b0 = _mm512_load_si512(pb), b1 = _mm512_load_si512(pb + 1);
        __m512i av;
#define R(i)                                  \
    av = _mm512_set1_epi32(pa[i]);            \
    c##i##0 = _mm512_dpbusd_epi32(c##i##0, av, b0); \
    c##i##1 = _mm512_dpbusd_epi32(c##i##1, av, b1);
        R(0) R(1) R(2) R(3) R(4) R(5) R(6) R(7) R(8) R(9) R(10) R(11)
#undef R
        pa += 12;
        pb += 2;
    }
#define S(i)                                               \
    _mm512_store_si512((__m512i *)(tile + (i) * 32), c##i##0); \
    _mm512_store_si512((__m512i *)(tile + (i) * 32 + 16), c##i##1);
    S(0) S(1) S(2) S(3) S(4) S(5) S(6) S(7) S(8) S(9) S(10) S(11)
#undef S
}

// 6 x 16 tile, int16 pairs: per group of 2 k, 2 ymm of B (16 columns x 2 int16),
// 6 broadcasts of A (2 int16 each), 12 vpmaddwd + 12 vpaddd, 12 ymm accumulators.
OK_AVX2_TARGET void ok_qgemm_u8s8_6x16__avx2(int kg, const void *a, const void *b, int32_t *tile) {
    const ok_qi32u *pa = a;
    const __m256i *pb = b;
#define Z(i) __m256i c##i##0 = _mm256_setzero_si256(), c##i##1 = _mm256_setzero_si256();
    Z(0) Z(1) Z(2) Z(3) Z(4) Z(5)
#undef Z
    for (int g = 0; g < kg; g++) {
        __m256i b0 = _mm256_load_si256(pb), b1 = _mm256_load_si256(pb + 1);
        __m256i av;
#define R(i)                                                         \
    av = _mm256_set1_epi32(pa[i]);                                   \
    c##i##0 = _mm256_add_epi32(c##i##0, _mm256_madd_epi16(av, b0)); \
    c##i##1 = _mm256_add_epi32(c##i##1, _mm256_madd_epi16(av, b1));
        R(0) R(1) R(2) R(3) R(4) R(5)
#undef R
        pa += 6;
        pb += 2;
    }
#define S(i)                                                 \
    _mm256_store_si256((__m256i *)(tile + (i) * 16), c##i##0); \
    _mm256_store_si256((__m256i *)(tile + (i) * 16 + 8), c##i##1);
    S(0) S(1) S(2) S(3) S(4) S(5)
#undef S
}

// ---------------------------------------------------------------- epilogues

static inline float scale_row(const ok_qepilogue *ep, int m) {
    return !ep->scale ? 1.0f : ep->scale[ep->scale_per == OK_QPER_ROW ? m : 0];
}

// 16 columns per step, masked tails: correction, bias, scale, rounding, clamp, store.
OK_AVX512_TARGET void ok_qepi__avx512(const ok_qepi *e, const int32_t *acc, ptrdiff_t ldt, int rows, int cols,
                                      int row0, int col0) {
    const ok_qepilogue *ep = e->ep;
    const int col_scale = ep->scale && ep->scale_per == OK_QPER_COL;
    const int col_bias = ep->bias_per == OK_QPER_COL;
    const __m512 lo = _mm512_set1_ps((float)(ep->qmin - ep->out_zero_point));
    const __m512 hi = _mm512_set1_ps((float)(ep->qmax - ep->out_zero_point));
    const __m512i zp = _mm512_set1_epi32(ep->out_zero_point);
    for (int i = 0; i < rows; i++) {
        int m = row0 + i;
        __m512i za = _mm512_set1_epi32(e->za ? e->za[m] : 0), ra = _mm512_set1_epi32(e->za ? e->ra[m] : 0);
        __m512i brow = _mm512_set1_epi32(ep->bias && !col_bias ? ep->bias[m] : 0);
        __m512 srow = _mm512_set1_ps(scale_row(ep, m));
        __m512 frow = _mm512_set1_ps(ep->fbias && !col_bias ? ep->fbias[m] : 0.0f);
        for (int j = 0; j < cols; j += 16) {
            int n = col0 + j;
            __mmask16 k = cols - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (cols - j)) - 1);
            __m512i v = _mm512_maskz_loadu_epi32(k, acc + i * ldt + j);
            if (e->za) {
                v = _mm512_add_epi32(v, _mm512_mullo_epi32(za, _mm512_maskz_loadu_epi32(k, e->cb + n)));
                v = _mm512_sub_epi32(v, _mm512_mullo_epi32(ra, _mm512_maskz_loadu_epi32(k, e->zb + n)));
            }
            v = _mm512_add_epi32(v, brow);
            if (ep->bias && col_bias) v = _mm512_add_epi32(v, _mm512_maskz_loadu_epi32(k, ep->bias + n));
            if (ep->out == OK_QOUT_I32) {
                _mm512_mask_storeu_epi32((int32_t *)e->C + (ptrdiff_t)m * e->ldc + n, k, v);
                continue;
            }
            __m512 s = col_scale ? _mm512_maskz_loadu_ps(k, ep->scale + n) : srow;
            __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(v), s);
            if (ep->out == OK_QOUT_F32) {
                if (ep->fbias) f = _mm512_add_ps(f, col_bias ? _mm512_maskz_loadu_ps(k, ep->fbias + n) : frow);
                _mm512_mask_storeu_ps((float *)e->C + (ptrdiff_t)m * e->ldc + n, k, f);
                continue;
            }
            f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
            __m512i r = _mm512_add_epi32(_mm512_cvtps_epi32(f), zp);
            _mm512_mask_cvtepi32_storeu_epi8((char *)e->C + (ptrdiff_t)m * e->ldc + n, k, r);
        }
    }
}

// 8 columns per step, scalar tail.
OK_AVX2_TARGET void ok_qepi__avx2(const ok_qepi *e, const int32_t *acc, ptrdiff_t ldt, int rows, int cols, int row0,
                                  int col0) {
    const ok_qepilogue *ep = e->ep;
    const int col_scale = ep->scale && ep->scale_per == OK_QPER_COL;
    const int col_bias = ep->bias_per == OK_QPER_COL;
    const __m256 lo = _mm256_set1_ps((float)(ep->qmin - ep->out_zero_point));
    const __m256 hi = _mm256_set1_ps((float)(ep->qmax - ep->out_zero_point));
    const __m256i zp = _mm256_set1_epi32(ep->out_zero_point);
    const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    int full = cols / 8 * 8;
    for (int i = 0; i < rows; i++) {
        int m = row0 + i;
        __m256i za = _mm256_set1_epi32(e->za ? e->za[m] : 0), ra = _mm256_set1_epi32(e->za ? e->ra[m] : 0);
        __m256i brow = _mm256_set1_epi32(ep->bias && !col_bias ? ep->bias[m] : 0);
        __m256 srow = _mm256_set1_ps(scale_row(ep, m));
        __m256 frow = _mm256_set1_ps(ep->fbias && !col_bias ? ep->fbias[m] : 0.0f);
        for (int j = 0; j < full; j += 8) {
            int n = col0 + j;
            __m256i v = _mm256_loadu_si256((const __m256i *)(acc + i * ldt + j));
            if (e->za) {
                v = _mm256_add_epi32(v, _mm256_mullo_epi32(za, _mm256_loadu_si256((const __m256i *)(e->cb + n))));
                v = _mm256_sub_epi32(v, _mm256_mullo_epi32(ra, _mm256_loadu_si256((const __m256i *)(e->zb + n))));
            }
            v = _mm256_add_epi32(v, brow);
            if (ep->bias && col_bias) v = _mm256_add_epi32(v, _mm256_loadu_si256((const __m256i *)(ep->bias + n)));
            if (ep->out == OK_QOUT_I32) {
                _mm256_storeu_si256((__m256i *)((int32_t *)e->C + (ptrdiff_t)m * e->ldc + n), v);
                continue;
            }
            __m256 s = col_scale ? _mm256_loadu_ps(ep->scale + n) : srow;
            __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(v), s);
            if (ep->out == OK_QOUT_F32) {
                if (ep->fbias) f = _mm256_add_ps(f, col_bias ? _mm256_loadu_ps(ep->fbias + n) : frow);
                _mm256_storeu_ps((float *)e->C + (ptrdiff_t)m * e->ldc + n, f);
                continue;
            }
            f = _mm256_min_ps(_mm256_max_ps(f, lo), hi);
            __m256i r = _mm256_shuffle_epi8(_mm256_add_epi32(_mm256_cvtps_epi32(f), zp), pick);
            __m128i x = _mm_unpacklo_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
            _mm_storel_epi64((__m128i *)((char *)e->C + (ptrdiff_t)m * e->ldc + n), x);
        }
    }
    if (full < cols) ok_qepi__scalar(e, acc + full, ldt, rows, cols - full, row0, col0 + full);
}
#endif
