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

// The same kernel with the epilogue fused (full tiles, uniform zero points): the
// accumulators start at the correction + bias, and leave as the final outputs.
//
// RR (4, 8 or 12 rows) and W2 (0: 16 columns, 1: 32) are constants after inlining: the
// smaller variants read the same packed 12-row / 32-column panels but compute only the
// rows and columns that are stored, so a ragged last row panel (M = 16, 40, 64: 4 rows)
// or a narrow one (N = 16: MobileNet's 4x4 layers) does not pay for the whole tile.
OK_VNNI_TARGET static inline __attribute__((always_inline)) void
vnni_fused(int kg, const void *a, const void *b, const ok_qfuse *f, void *C, ptrdiff_t ldc, int mr, int nr, const int RR,
           const int W2) {
    const ok_qi32u *pa = a;
    const __m512i *pb = b;
    const __m512i cc0 = _mm512_load_si512(f->colc), cc1 = W2 ? _mm512_load_si512(f->colc + 16) : cc0;
#define Z(i)                                                     \
    __m512i c##i##0 = _mm512_add_epi32(cc0, _mm512_set1_epi32(f->rowc[i])), \
            c##i##1 = _mm512_add_epi32(cc1, _mm512_set1_epi32(f->rowc[i]));
    Z(0) Z(1) Z(2) Z(3) Z(4) Z(5) Z(6) Z(7) Z(8) Z(9) Z(10) Z(11)
#undef Z
    for (int g = 0; g < kg; g++) {
        __m512i b0 = _mm512_load_si512(pb), b1 = W2 ? _mm512_load_si512(pb + 1) : b0;
        __m512i av;
#define R(i)                                                    \
    if ((i) < RR) {                                             \
        av = _mm512_set1_epi32(pa[i]);                          \
        c##i##0 = _mm512_dpbusd_epi32(c##i##0, av, b0);         \
        if (W2) c##i##1 = _mm512_dpbusd_epi32(c##i##1, av, b1); \
    }
        R(0) R(1) R(2) R(3) R(4) R(5) R(6) R(7) R(8) R(9) R(10) R(11)
#undef R
        pa += 12;
        pb += 2;
    }
    // Rows past mr are not stored; columns past nr are masked (ragged edges).
    const __mmask16 k0 = nr >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nr) - 1);
    const __mmask16 k1 = nr >= 32 ? (__mmask16)0xffff : nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1);
    const int fullw = W2 && nr == 32;
    if (f->out == OK_QOUT_U8 || f->out == OK_QOUT_S8) {
        const __m512 lo = _mm512_set1_ps(f->lo), hi = _mm512_set1_ps(f->hi);
        const __m512i zp = _mm512_set1_epi32(f->zp);
        const int cs = f->col_scale;
        const __m512 s0 = _mm512_load_ps(f->cols), s1 = _mm512_load_ps(f->cols + 16);
        char *c = C;
        if (f->pack && fullw) {
            // Two rows (64 outputs) per narrowing: vpackssdw of each row's halves, + zp
            // with int16 saturation, vpack{us,ss}wb of the two rows, one vpermd to put
            // the 128-bit lanes' dwords back in column order (dword 4L + k holds row
            // k < 2 ? i : j, columns 16 * (k & 1) + 4L ..), then the clamp as bytes.
            // See ok_qfuse.pack for why the bytes are those of the clamp-in-float path.
            const __m512i zp16 = _mm512_set1_epi16((short)f->zp);
            const __m512i order = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
            const __m512i qlo = _mm512_set1_epi8((char)f->qlo), qhi = _mm512_set1_epi8((char)f->qhi);
            const int u8 = f->pack == 1;
#define RP(acc, s) _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_cvtepi32_ps(acc), s))
#define H16(i) _mm512_adds_epi16(_mm512_packs_epi32(RP(c##i##0, cs ? s0 : _mm512_set1_ps(f->rows[i])), \
                                                    RP(c##i##1, cs ? s1 : _mm512_set1_ps(f->rows[i]))), zp16)
#define P2(i, j) if ((i) < RR && (i) < mr) { \
            __m512i a = H16(i), b = (j) < mr ? H16(j) : a; \
            __m512i v = _mm512_permutexvar_epi32(order, u8 ? _mm512_packus_epi16(a, b) : _mm512_packs_epi16(a, b)); \
            v = u8 ? _mm512_min_epu8(_mm512_max_epu8(v, qlo), qhi) : _mm512_min_epi8(_mm512_max_epi8(v, qlo), qhi); \
            _mm256_storeu_si256((__m256i *)(c + (i) * ldc), _mm512_castsi512_si256(v)); \
            if ((j) < mr) _mm256_storeu_si256((__m256i *)(c + (j) * ldc), _mm512_extracti64x4_epi64(v, 1)); }
            P2(0, 1) P2(2, 3) P2(4, 5) P2(6, 7) P2(8, 9) P2(10, 11)
#undef P2
#undef H16
#undef RP
            return;
        }
        if (f->sat) {
            // Full type range and |scale| <= 0.5 (f->sat, see ok_qgemm_packed_run): round
            // first, then let the narrowing saturate (vpmovsdb; vpmovusdb after max(r, 0)).
            // Same bytes: the bounds are integers, so clamp-then-round = round-then-clamp,
            // and |acc * scale| <= 2^30 keeps cvtps2dq and + zp exact.
            const __m512i zero = _mm512_setzero_si512();
#define RS(acc, s) _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_cvtepi32_ps(acc), s)), zp)
#define WS(i, STORE) if ((i) < RR && (i) < mr) { \
            __m512 r0 = cs ? s0 : _mm512_set1_ps(f->rows[i]), r1 = cs ? s1 : r0; \
            STORE(c + (i) * ldc, k0, RS(c##i##0, r0)); \
            if (W2) STORE(c + (i) * ldc + 16, k1, RS(c##i##1, r1)); }
#define SU8(p, k, q) _mm512_mask_cvtusepi32_storeu_epi8((p), (k), _mm512_max_epi32((q), zero))
#define SS8(p, k, q) _mm512_mask_cvtsepi32_storeu_epi8((p), (k), (q))
            if (f->sat == 1) {
                WS(0, SU8) WS(1, SU8) WS(2, SU8) WS(3, SU8) WS(4, SU8) WS(5, SU8)
                WS(6, SU8) WS(7, SU8) WS(8, SU8) WS(9, SU8) WS(10, SU8) WS(11, SU8)
            } else {
                WS(0, SS8) WS(1, SS8) WS(2, SS8) WS(3, SS8) WS(4, SS8) WS(5, SS8)
                WS(6, SS8) WS(7, SS8) WS(8, SS8) WS(9, SS8) WS(10, SS8) WS(11, SS8)
            }
#undef SS8
#undef SU8
#undef WS
#undef RS
            return;
        }
#define RQ(acc, s) _mm512_add_epi32( \
        _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(acc), s), lo), hi)), zp)
#define W(i) if ((i) < RR && (i) < mr) { \
        __m512 r0 = cs ? s0 : _mm512_set1_ps(f->rows[i]), r1 = cs ? s1 : r0; \
        __m512i q0 = RQ(c##i##0, r0); \
        if (fullw) { \
            _mm_storeu_si128((__m128i *)(c + (i) * ldc), _mm512_cvtepi32_epi8(q0)); \
            _mm_storeu_si128((__m128i *)(c + (i) * ldc + 16), _mm512_cvtepi32_epi8(RQ(c##i##1, r1))); \
        } else { \
            _mm512_mask_cvtepi32_storeu_epi8(c + (i) * ldc, k0, q0); \
            if (W2) _mm512_mask_cvtepi32_storeu_epi8(c + (i) * ldc + 16, k1, RQ(c##i##1, r1)); \
        } }
        W(0) W(1) W(2) W(3) W(4) W(5) W(6) W(7) W(8) W(9) W(10) W(11)
#undef W
#undef RQ
        return;
    }
    if (f->out == OK_QOUT_I32) {
        int32_t *c = C;
#define W(i) if ((i) < RR && (i) < mr) { \
        _mm512_mask_storeu_epi32(c + (i) * ldc, k0, c##i##0); \
        if (W2) _mm512_mask_storeu_epi32(c + (i) * ldc + 16, k1, c##i##1); }
        W(0) W(1) W(2) W(3) W(4) W(5) W(6) W(7) W(8) W(9) W(10) W(11)
#undef W
        return;
    }
    {
        float *c = C;
        const int cs = f->col_scale, cf = f->col_fb, fb = f->has_fb;
        const __m512 s0 = _mm512_load_ps(f->cols), s1 = _mm512_load_ps(f->cols + 16);
        const __m512 b0 = _mm512_load_ps(f->colfb), b1 = _mm512_load_ps(f->colfb + 16);
#define F(acc, s, bb, off, km) { __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), s); \
        if (fb) { v = _mm512_add_ps(v, bb); } \
        _mm512_mask_storeu_ps(off, km, v); }
#define W(i) if ((i) < RR && (i) < mr) { \
        __m512 r0 = cs ? s0 : _mm512_set1_ps(f->rows[i]), r1 = cs ? s1 : r0; \
        __m512 q0 = cf ? b0 : _mm512_set1_ps(f->rowfb[i]), q1 = cf ? b1 : q0; \
        F(c##i##0, r0, q0, c + (i) * ldc, k0) if (W2) F(c##i##1, r1, q1, c + (i) * ldc + 16, k1) }
        W(0) W(1) W(2) W(3) W(4) W(5) W(6) W(7) W(8) W(9) W(10) W(11)
#undef W
#undef F
    }
}

// The entry point the driver calls for every fused tile: the smallest variant that
// covers the mr x nr tile (names state the rows and columns computed).
#define OK_VNNI_FUSED_VARIANT(NAME, RR, W2)                                                               \
    OK_VNNI_TARGET static void NAME(int kg, const void *a, const void *b, const ok_qfuse *f, void *C,      \
                                    ptrdiff_t ldc, int mr, int nr) {                                    \
        vnni_fused(kg, a, b, f, C, ldc, mr, nr, RR, W2);                                                 \
    }
OK_VNNI_FUSED_VARIANT(ok_qgemm_u8s8_12x32__avx512vnni_fused_full, 12, 1)
OK_VNNI_FUSED_VARIANT(ok_qgemm_u8s8_8x32__avx512vnni_fused, 8, 1)
OK_VNNI_FUSED_VARIANT(ok_qgemm_u8s8_4x32__avx512vnni_fused, 4, 1)
OK_VNNI_FUSED_VARIANT(ok_qgemm_u8s8_12x16__avx512vnni_fused, 12, 0)
OK_VNNI_FUSED_VARIANT(ok_qgemm_u8s8_8x16__avx512vnni_fused, 8, 0)
OK_VNNI_FUSED_VARIANT(ok_qgemm_u8s8_4x16__avx512vnni_fused, 4, 0)
#undef OK_VNNI_FUSED_VARIANT

void ok_qgemm_u8s8_12x32__avx512vnni_fused(int kg, const void *a, const void *b, const ok_qfuse *f, void *C,
                                           ptrdiff_t ldc, int mr, int nr) {
    if (nr > 16) {
        if (mr > 8) ok_qgemm_u8s8_12x32__avx512vnni_fused_full(kg, a, b, f, C, ldc, mr, nr);
        else if (mr > 4) ok_qgemm_u8s8_8x32__avx512vnni_fused(kg, a, b, f, C, ldc, mr, nr);
        else ok_qgemm_u8s8_4x32__avx512vnni_fused(kg, a, b, f, C, ldc, mr, nr);
    } else {
        if (mr > 8) ok_qgemm_u8s8_12x16__avx512vnni_fused(kg, a, b, f, C, ldc, mr, nr);
        else if (mr > 4) ok_qgemm_u8s8_8x16__avx512vnni_fused(kg, a, b, f, C, ldc, mr, nr);
        else ok_qgemm_u8s8_4x16__avx512vnni_fused(kg, a, b, f, C, ldc, mr, nr);
    }
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

// The AVX2 kernel with the epilogue fused (uniform zero points): accumulators start at
// the correction + bias; rows past mr are skipped, columns past nr go through a buffer.
OK_X86_HOT OK_AVX2_TARGET void ok_qgemm_u8s8_6x16__avx2_fused(int kg, const void *a, const void *b, const ok_qfuse *f, void *C,
                                                   ptrdiff_t ldc, int mr, int nr) {
    const ok_qi32u *pa = a;
    const __m256i *pb = b;
    const __m256i cc0 = _mm256_load_si256((const __m256i *)f->colc), cc1 = _mm256_load_si256((const __m256i *)(f->colc + 8));
#define Z(i)                                                                  \
    __m256i c##i##0 = _mm256_add_epi32(cc0, _mm256_set1_epi32(f->rowc[i])), \
            c##i##1 = _mm256_add_epi32(cc1, _mm256_set1_epi32(f->rowc[i]));
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
    const int full = nr == 16;
    const size_t es = f->out == OK_QOUT_I32 || f->out == OK_QOUT_F32 ? 4 : 1;
    char *c = C;
    if (f->out == OK_QOUT_U8 || f->out == OK_QOUT_S8) {
        const __m256 lo = _mm256_set1_ps(f->lo), hi = _mm256_set1_ps(f->hi);
        const __m256i zp = _mm256_set1_epi32(f->zp);
        const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                              0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
        const int cs = f->col_scale;
        const __m256 s0 = _mm256_load_ps(f->cols), s1 = _mm256_load_ps(f->cols + 8);
#define RQ(acc, s) _mm256_shuffle_epi8(_mm256_add_epi32(_mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps( \
        _mm256_mul_ps(_mm256_cvtepi32_ps(acc), s), lo), hi)), zp), pick)
#define W(i) if ((i) < mr) { \
        __m256 r0 = cs ? s0 : _mm256_set1_ps(f->rows[i]), r1 = cs ? s1 : r0; \
        __m256i q0 = RQ(c##i##0, r0), q1 = RQ(c##i##1, r1); \
        __m128i x0 = _mm_unpacklo_epi32(_mm256_castsi256_si128(q0), _mm256_extracti128_si256(q0, 1)); \
        __m128i x1 = _mm_unpacklo_epi32(_mm256_castsi256_si128(q1), _mm256_extracti128_si256(q1, 1)); \
        __m128i x = _mm_unpacklo_epi64(x0, x1); \
        if (full) _mm_storeu_si128((__m128i *)(c + (i) * ldc), x); \
        else { uint8_t t[16]; _mm_storeu_si128((__m128i *)t, x); memcpy(c + (i) * ldc, t, (size_t)nr); } }
        W(0) W(1) W(2) W(3) W(4) W(5)
#undef W
#undef RQ
        return;
    }
    {
        const int cs = f->col_scale, cf = f->col_fb, fb = f->has_fb, fl = f->out == OK_QOUT_F32;
        const __m256 s0 = _mm256_load_ps(f->cols), s1 = _mm256_load_ps(f->cols + 8);
        const __m256 b0 = _mm256_load_ps(f->colfb), b1 = _mm256_load_ps(f->colfb + 8);
#define CV(acc, s, bb) (fl ? _mm256_castps_si256(fb ? _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc), s), bb) \
                                                    : _mm256_mul_ps(_mm256_cvtepi32_ps(acc), s)) : (acc))
#define W(i) if ((i) < mr) { \
        __m256 r0 = cs ? s0 : _mm256_set1_ps(f->rows[i]), r1 = cs ? s1 : r0; \
        __m256 q0 = cf ? b0 : _mm256_set1_ps(f->rowfb[i]), q1 = cf ? b1 : q0; \
        __m256i v0 = CV(c##i##0, r0, q0), v1 = CV(c##i##1, r1, q1); \
        char *d = c + (i) * ldc * (ptrdiff_t)es; \
        if (full) { _mm256_storeu_si256((__m256i *)d, v0); _mm256_storeu_si256((__m256i *)(d + 32), v1); } \
        else { int32_t t[16]; _mm256_storeu_si256((__m256i *)t, v0); _mm256_storeu_si256((__m256i *)(t + 8), v1); \
               memcpy(d, t, (size_t)nr * 4); } }
        W(0) W(1) W(2) W(3) W(4) W(5)
#undef W
#undef CV
    }
}

// ---------------------------------------------------------------- epilogues

static inline float scale_row(const ok_qepilogue *ep, int m) {
    return !ep->scale ? 1.0f : ep->scale[ep->scale_per == OK_QPER_ROW ? m : 0];
}

// 16 columns per step, masked tails: correction, bias, scale, rounding, clamp, store.
// Per-row constants are gathered first (the byte stores alias everything, so nothing
// is re-read from `ep` in the loops); column chunks outside, rows inside, so the
// per-column vectors are loaded once; with uniform zero points (the usual case) the
// correction is one add per vector.
OK_AVX512_TARGET void ok_qepi__avx512(const ok_qepi *e, const int32_t *acc, ptrdiff_t ldt, int rows, int cols,
                                      int row0, int col0) {
    const ok_qepilogue *ep = e->ep;
    const int out = ep->out;
    const int col_scale = ep->scale && ep->scale_per == OK_QPER_COL;
    const int col_bias = ep->bias_per == OK_QPER_COL;
    const int corr = e->za != NULL, za_uni = e->za_uni, zb_uni = e->zb_uni;
    const int32_t *pcb = e->cb, *pzb = e->zb, *pbias = ep->bias;
    const float *pscale = ep->scale, *pfb = ep->fbias;
    char *C = e->C;
    const ptrdiff_t ldc = e->ldc;
    const size_t es = out == OK_QOUT_I32 || out == OK_QOUT_F32 ? 4 : 1;
    const __m512 lo = _mm512_set1_ps((float)(ep->qmin - ep->out_zero_point));
    const __m512 hi = _mm512_set1_ps((float)(ep->qmax - ep->out_zero_point));
    const __m512i zp = _mm512_set1_epi32(ep->out_zero_point);
    if (!corr && !col_scale && !col_bias) {
        // Nothing per column (depthwise planes): one long row loop per row.
        for (int i = 0; i < rows; i++) {
            int m = row0 + i;
            const __m512i badd = _mm512_set1_epi32(pbias ? pbias[m] : 0);
            const __m512 sc = _mm512_set1_ps(!pscale ? 1.0f : pscale[ep->scale_per == OK_QPER_ROW ? m : 0]);
            const __m512 fb = _mm512_set1_ps(pfb ? pfb[m] : 0.0f);
            const int32_t *arow = acc + (ptrdiff_t)i * ldt;
            char *crow = C + ((ptrdiff_t)m * ldc + col0) * (ptrdiff_t)es;
            for (int j = 0; j < cols; j += 16) {
                const int full = cols - j >= 16;
                __mmask16 k = full ? (__mmask16)0xffff : (__mmask16)((1u << (cols - j)) - 1);
                __m512i v = _mm512_add_epi32(_mm512_maskz_loadu_epi32(k, arow + j), badd);
                if (out == OK_QOUT_I32) {
                    if (full) _mm512_storeu_si512(crow + 4 * j, v);
                    else _mm512_mask_storeu_epi32(crow + 4 * j, k, v);
                    continue;
                }
                __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(v), sc);
                if (out == OK_QOUT_F32) {
                    if (pfb) f = _mm512_add_ps(f, fb);
                    if (full) _mm512_storeu_ps(crow + 4 * j, f);
                    else _mm512_mask_storeu_ps(crow + 4 * j, k, f);
                    continue;
                }
                f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
                __m512i r = _mm512_add_epi32(_mm512_cvtps_epi32(f), zp);
                if (full) _mm_storeu_si128((__m128i *)(crow + j), _mm512_cvtepi32_epi8(r));
                else _mm512_mask_cvtepi32_storeu_epi8(crow + j, k, r);
            }
        }
        return;
    }
    for (int i0 = 0; i0 < rows; i0 += 16) {
        int nrow = rows - i0 < 16 ? rows - i0 : 16;
        int32_t rc[16], rza[16], rra[16];
        float rs[16], rfb[16];
        for (int i = 0; i < nrow; i++) {
            int m = row0 + i0 + i;
            int32_t c = pbias && !col_bias ? pbias[m] : 0;
            rza[i] = corr ? e->za[m] : 0;
            rra[i] = corr ? e->ra[m] : 0;
            if (corr && zb_uni) c = (int32_t)((uint32_t)c - (uint32_t)e->zb0 * (uint32_t)rra[i]);
            rc[i] = c;
            rs[i] = !pscale ? 1.0f : pscale[ep->scale_per == OK_QPER_ROW ? m : 0];
            rfb[i] = pfb && !col_bias ? pfb[m] : 0.0f;
        }
        for (int j = 0; j < cols; j += 16) {
            int n = col0 + j;
            const int full = cols - j >= 16;
            __mmask16 k = full ? (__mmask16)0xffff : (__mmask16)((1u << (cols - j)) - 1);
            __m512i cb = _mm512_setzero_si512(), zb = cb, cadd = cb;
            if (corr) {
                cb = _mm512_maskz_loadu_epi32(k, pcb + n);
                zb = _mm512_maskz_loadu_epi32(k, pzb + n);
                if (za_uni) cadd = _mm512_mullo_epi32(_mm512_set1_epi32(e->za0), cb);
            }
            if (pbias && col_bias) cadd = _mm512_add_epi32(cadd, _mm512_maskz_loadu_epi32(k, pbias + n));
            __m512 cscale = col_scale ? _mm512_maskz_loadu_ps(k, pscale + n) : _mm512_set1_ps(1.0f);
            __m512 cfb = pfb && col_bias ? _mm512_maskz_loadu_ps(k, pfb + n) : _mm512_setzero_ps();
            const int32_t *arow = acc + (ptrdiff_t)i0 * ldt + j;
            char *crow = C + ((ptrdiff_t)(row0 + i0) * ldc + n) * (ptrdiff_t)es;
            for (int i = 0; i < nrow; i++, arow += ldt, crow += ldc * (ptrdiff_t)es) {
                // Unmasked: accumulator rows always have 16 readable lanes (tile / padded plane).
                __m512i v = _mm512_add_epi32(_mm512_loadu_si512(arow), cadd);
                if (corr && !za_uni) v = _mm512_add_epi32(v, _mm512_mullo_epi32(_mm512_set1_epi32(rza[i]), cb));
                if (corr && !zb_uni) v = _mm512_sub_epi32(v, _mm512_mullo_epi32(_mm512_set1_epi32(rra[i]), zb));
                v = _mm512_add_epi32(v, _mm512_set1_epi32(rc[i]));
                // Full chunks use plain stores: a masked store makes the following loads
                // wait for it (measured: 18 cycles per vector with masked stores).
                if (out == OK_QOUT_I32) {
                    if (full) _mm512_storeu_si512(crow, v);
                    else _mm512_mask_storeu_epi32(crow, k, v);
                    continue;
                }
                __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(v), col_scale ? cscale : _mm512_set1_ps(rs[i]));
                if (out == OK_QOUT_F32) {
                    if (pfb) f = _mm512_add_ps(f, col_bias ? cfb : _mm512_set1_ps(rfb[i]));
                    if (full) _mm512_storeu_ps(crow, f);
                    else _mm512_mask_storeu_ps(crow, k, f);
                    continue;
                }
                f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
                __m512i r = _mm512_add_epi32(_mm512_cvtps_epi32(f), zp);
                if (full) _mm_storeu_si128((__m128i *)crow, _mm512_cvtepi32_epi8(r));
                else _mm512_mask_cvtepi32_storeu_epi8(crow, k, r);
            }
        }
    }
}

// 8 columns per step, scalar tail.
OK_X86_HOT OK_AVX2_TARGET void ok_qepi__avx2(const ok_qepi *e, const int32_t *acc, ptrdiff_t ldt, int rows, int cols, int row0,
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

// ---------------------------------------------------------------- B packers

static const uint8_t ok_q_flip_rows[2][64] __attribute__((aligned(64))) = {
    {0}, {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
          0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
          0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
          0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80}};

// VNNI layout (32 columns, groups of 4 k, s8): 4 rows of 32 bytes -> byte/word unpacks
// -> 4 x 32 bytes of column quads; column sums by vpdpbusd with 1s. Rows past K read
// a row of `flip` bytes (0 after the flip).
OK_VNNI_TARGET void ok_qpack_b_panel__avx512vnni(const uint8_t *src, ptrdiff_t ld, int K, int flip, void *panel,
                                                 int32_t *sums) {
    const __m256i fv = _mm256_set1_epi8((char)flip), ones = _mm256_set1_epi8(1);
    const uint8_t *pad = ok_q_flip_rows[flip != 0];
    __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
    __m256i *d = panel;
    for (int k = 0; k < K; k += 4) {
        const uint8_t *p0 = src + (ptrdiff_t)k * ld;
        const uint8_t *p1 = k + 1 < K ? p0 + ld : pad, *p2 = k + 2 < K ? p0 + 2 * ld : pad, *p3 = k + 3 < K ? p0 + 3 * ld : pad;
        __m256i r0 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)p0), fv);
        __m256i r1 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)p1), fv);
        __m256i r2 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)p2), fv);
        __m256i r3 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)p3), fv);
        __m256i ab_lo = _mm256_unpacklo_epi8(r0, r1), ab_hi = _mm256_unpackhi_epi8(r0, r1);
        __m256i cd_lo = _mm256_unpacklo_epi8(r2, r3), cd_hi = _mm256_unpackhi_epi8(r2, r3);
        __m256i q0 = _mm256_unpacklo_epi16(ab_lo, cd_lo), q1 = _mm256_unpackhi_epi16(ab_lo, cd_lo);
        __m256i q2 = _mm256_unpacklo_epi16(ab_hi, cd_hi), q3 = _mm256_unpackhi_epi16(ab_hi, cd_hi);
        __m256i o0 = _mm256_permute2x128_si256(q0, q1, 0x20), o1 = _mm256_permute2x128_si256(q2, q3, 0x20);
        __m256i o2 = _mm256_permute2x128_si256(q0, q1, 0x31), o3 = _mm256_permute2x128_si256(q2, q3, 0x31);
        _mm256_store_si256(d, o0); _mm256_store_si256(d + 1, o1);
        _mm256_store_si256(d + 2, o2); _mm256_store_si256(d + 3, o3);
        s0 = _mm256_dpbusd_epi32(s0, ones, o0); s1 = _mm256_dpbusd_epi32(s1, ones, o1);
        s2 = _mm256_dpbusd_epi32(s2, ones, o2); s3 = _mm256_dpbusd_epi32(s3, ones, o3);
        d += 4;
    }
    _mm256_storeu_si256((__m256i *)sums, s0); _mm256_storeu_si256((__m256i *)(sums + 8), s1);
    _mm256_storeu_si256((__m256i *)(sums + 16), s2); _mm256_storeu_si256((__m256i *)(sums + 24), s3);
}

// Two adjacent 32-column panels at once with 512-bit vectors (64 columns per row load):
// the same byte and word unpacks per 128-bit lane, then vshufi64x2 puts the lanes'
// dwords in column order for each panel (lane L of q_k holds columns 16L + 4k ..). The
// 256-bit packer spent 28 instructions per 32 columns and 4 k; this spends 32 per 64
// (MobileNet's pointwise layers pack every activation once per layer: 4.5% of the run).
OK_VNNI_TARGET void ok_qpack_b_pair__avx512vnni(const uint8_t *src, ptrdiff_t ld, int K, int flip, void *panel_a,
                                                void *panel_b, int32_t *sums) {
    const __m512i fv = _mm512_set1_epi8((char)flip), ones = _mm512_set1_epi8(1);
    const uint8_t *pad = ok_q_flip_rows[flip != 0];
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
    __m512i *da = panel_a, *db = panel_b;
    for (int k = 0; k < K; k += 4) {
        const uint8_t *p0 = src + (ptrdiff_t)k * ld;
        const uint8_t *p1 = k + 1 < K ? p0 + ld : pad, *p2 = k + 2 < K ? p0 + 2 * ld : pad, *p3 = k + 3 < K ? p0 + 3 * ld : pad;
        const __m512i r0 = _mm512_xor_si512(_mm512_loadu_si512(p0), fv), r1 = _mm512_xor_si512(_mm512_loadu_si512(p1), fv);
        const __m512i r2 = _mm512_xor_si512(_mm512_loadu_si512(p2), fv), r3 = _mm512_xor_si512(_mm512_loadu_si512(p3), fv);
        const __m512i ab_lo = _mm512_unpacklo_epi8(r0, r1), ab_hi = _mm512_unpackhi_epi8(r0, r1);
        const __m512i cd_lo = _mm512_unpacklo_epi8(r2, r3), cd_hi = _mm512_unpackhi_epi8(r2, r3);
        // q_k lane L: the dwords (4 k each) of columns 16L + 4k .. 16L + 4k + 3.
        const __m512i q0 = _mm512_unpacklo_epi16(ab_lo, cd_lo), q1 = _mm512_unpackhi_epi16(ab_lo, cd_lo);
        const __m512i q2 = _mm512_unpacklo_epi16(ab_hi, cd_hi), q3 = _mm512_unpackhi_epi16(ab_hi, cd_hi);
        // t01 = [q0.L0, q0.L2, q1.L0, q1.L2], u01 = [q0.L1, q0.L3, q1.L1, q1.L3], same for q2, q3.
        const __m512i t01 = _mm512_shuffle_i64x2(q0, q1, 0x88), t23 = _mm512_shuffle_i64x2(q2, q3, 0x88);
        const __m512i u01 = _mm512_shuffle_i64x2(q0, q1, 0xdd), u23 = _mm512_shuffle_i64x2(q2, q3, 0xdd);
        const __m512i o0 = _mm512_shuffle_i64x2(t01, t23, 0x88);  // columns 0-15
        const __m512i o2 = _mm512_shuffle_i64x2(t01, t23, 0xdd);  // columns 32-47
        const __m512i o1 = _mm512_shuffle_i64x2(u01, u23, 0x88);  // columns 16-31
        const __m512i o3 = _mm512_shuffle_i64x2(u01, u23, 0xdd);  // columns 48-63
        _mm512_store_si512(da, o0); _mm512_store_si512(da + 1, o1);
        _mm512_store_si512(db, o2); _mm512_store_si512(db + 1, o3);
        s0 = _mm512_dpbusd_epi32(s0, ones, o0); s1 = _mm512_dpbusd_epi32(s1, ones, o1);
        s2 = _mm512_dpbusd_epi32(s2, ones, o2); s3 = _mm512_dpbusd_epi32(s3, ones, o3);
        da += 2;
        db += 2;
    }
    _mm512_storeu_si512(sums, s0); _mm512_storeu_si512(sums + 16, s1);
    _mm512_storeu_si512(sums + 32, s2); _mm512_storeu_si512(sums + 48, s3);
}

// AVX2 layout (16 columns, pairs of k, int16): 2 rows of 16 bytes, sign-extended,
// word unpacks -> 2 x 16 int16 pairs; column sums by vpmaddwd with 1s.
OK_X86_HOT OK_AVX2_TARGET void ok_qpack_b_panel__avx2(const uint8_t *src, ptrdiff_t ld, int K, int flip, void *panel,
                                           int32_t *sums) {
    const __m128i fv = _mm_set1_epi8((char)flip);
    const __m256i ones = _mm256_set1_epi16(1);
    const uint8_t *pad = ok_q_flip_rows[flip != 0];
    __m256i s0 = _mm256_setzero_si256(), s1 = s0;
    __m256i *d = panel;
    for (int k = 0; k < K; k += 2) {
        const uint8_t *p0 = src + (ptrdiff_t)k * ld, *p1 = k + 1 < K ? p0 + ld : pad;
        __m256i a = _mm256_cvtepi8_epi16(_mm_xor_si128(_mm_loadu_si128((const __m128i *)p0), fv));
        __m256i b = _mm256_cvtepi8_epi16(_mm_xor_si128(_mm_loadu_si128((const __m128i *)p1), fv));
        __m256i lo = _mm256_unpacklo_epi16(a, b), hi = _mm256_unpackhi_epi16(a, b);
        __m256i o0 = _mm256_permute2x128_si256(lo, hi, 0x20), o1 = _mm256_permute2x128_si256(lo, hi, 0x31);
        _mm256_store_si256(d, o0); _mm256_store_si256(d + 1, o1);
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(o0, ones));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(o1, ones));
        d += 2;
    }
    _mm256_storeu_si256((__m256i *)sums, s0);
    _mm256_storeu_si256((__m256i *)(sums + 8), s1);
}
#endif
