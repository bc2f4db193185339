// AVX2 paths of the quantized element-wise loops (see include/ok_qelementwise.h).
// Same operations in the same order as the reference loops in ok_qelementwise.c
// (no FMA, round-to-nearest-even conversion, clamp in float before converting),
// so results are bit-identical; tails go through the reference loops.
#include "ok_qelementwise_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define OK_T __attribute__((target("avx2,fma")))

/// 8 int32 -> 8 bytes (values are already inside the type's range).
OK_T static inline void store8(void *dst, __m256i v, int type) {
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    const __m128i b = type ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w);
    _mm_storel_epi64((__m128i *)dst, b);
}

/// 8 bytes -> 8 int32 (sign- or zero-extended).
OK_T static inline __m256i load8(const void *src, int type) {
    const __m128i b = _mm_loadl_epi64((const __m128i *)src);
    return type ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
}

/// rint(v) + zp, clamped to [lo, hi] (NaN -> lo: max_ps returns its second operand on NaN).
OK_T static inline __m256i requant8(__m256 v, __m256 zp, __m256 lo, __m256 hi) {
    __m256 r = _mm256_add_ps(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zp);
    r = _mm256_min_ps(_mm256_max_ps(r, lo), hi);
    return _mm256_cvttps_epi32(r);
}

OK_T void ok_quantize_f32_avx2(const float *x, void *y, int ty, size_t n, float scale, int32_t zp,
                               int32_t qmin, int32_t qmax) {
    const __m256 s = _mm256_set1_ps(scale), z = _mm256_set1_ps((float)zp);
    const __m256 lo = _mm256_set1_ps((float)qmin), hi = _mm256_set1_ps((float)qmax);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    uint8_t *out = (uint8_t *)y;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i v0 = requant8(_mm256_div_ps(_mm256_loadu_ps(x + i), s), z, lo, hi);
        const __m256i v1 = requant8(_mm256_div_ps(_mm256_loadu_ps(x + i + 8), s), z, lo, hi);
        const __m256i v2 = requant8(_mm256_div_ps(_mm256_loadu_ps(x + i + 16), s), z, lo, hi);
        const __m256i v3 = requant8(_mm256_div_ps(_mm256_loadu_ps(x + i + 24), s), z, lo, hi);
        const __m256i p01 = _mm256_packs_epi32(v0, v1), p23 = _mm256_packs_epi32(v2, v3);
        const __m256i b = ty ? _mm256_packs_epi16(p01, p23) : _mm256_packus_epi16(p01, p23);
        _mm256_storeu_si256((__m256i *)(out + i), _mm256_permutevar8x32_epi32(b, order));
    }
    for (; i + 8 <= n; i += 8) store8(out + i, requant8(_mm256_div_ps(_mm256_loadu_ps(x + i), s), z, lo, hi), ty);
    if (i < n) ok_quantize_f32_reference(x + i, out + i, ty, n - i, scale, zp, qmin, qmax);
}

OK_T void ok_dequantize_f32_avx2(const void *x, int tx, float *y, size_t n, float scale, int32_t zp) {
    const __m256 s = _mm256_set1_ps(scale);
    const __m256i z = _mm256_set1_epi32(zp);
    const uint8_t *in = (const uint8_t *)x;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i v = _mm256_sub_epi32(load8(in + i, tx), z);
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_cvtepi32_ps(v), s));
    }
    if (i < n) ok_dequantize_f32_reference(in + i, tx, y + i, n - i, scale, zp);
}

/// Reduces a vector kernel's lane minima / maxima and adds the scalar tail's.
static void minmax_finish(const float *lmin, const float *lmax, int lanes, const float *x, size_t i, size_t n,
                          float *mn, float *mx) {
    float a = lmin[0], b = lmax[0];
    for (int k = 1; k < lanes; k++) {
        if (lmin[k] < a) a = lmin[k];
        if (lmax[k] > b) b = lmax[k];
    }
    ok_minmax_finish_f32(a, b, x, i, n, mn, mx);
}

// Four independent minimum / maximum chains: one chain waited for min_ps's latency
// every vector (0.49 us for 8000 floats, half of a DynamicQuantizeLinear on kws).
OK_T void ok_minmax_f32_avx2(const float *x, size_t n, float *mn, float *mx) {
    __m256 n0 = _mm256_set1_ps(__builtin_inff()), x0 = _mm256_set1_ps(-__builtin_inff());
    __m256 n1 = n0, n2 = n0, n3 = n0, x1 = x0, x2 = x0, x3 = x0;
    size_t i = 0;
    // min_ps / max_ps return the second operand when the first is NaN: NaNs in x are skipped.
    for (; i + 32 <= n; i += 32) {
        const __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);
        const __m256 v2 = _mm256_loadu_ps(x + i + 16), v3 = _mm256_loadu_ps(x + i + 24);
        n0 = _mm256_min_ps(v0, n0); x0 = _mm256_max_ps(v0, x0);
        n1 = _mm256_min_ps(v1, n1); x1 = _mm256_max_ps(v1, x1);
        n2 = _mm256_min_ps(v2, n2); x2 = _mm256_max_ps(v2, x2);
        n3 = _mm256_min_ps(v3, n3); x3 = _mm256_max_ps(v3, x3);
    }
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        n0 = _mm256_min_ps(v, n0);
        x0 = _mm256_max_ps(v, x0);
    }
    float lmin[8], lmax[8];
    _mm256_storeu_ps(lmin, _mm256_min_ps(_mm256_min_ps(n0, n1), _mm256_min_ps(n2, n3)));
    _mm256_storeu_ps(lmax, _mm256_max_ps(_mm256_max_ps(x0, x1), _mm256_max_ps(x2, x3)));
    minmax_finish(lmin, lmax, 8, x, i, n, mn, mx);
}

OK_T void ok_qbinary_avx2(int mul, const void *a, ptrdiff_t sa, const void *b, ptrdiff_t sb, void *c, int type,
                          size_t n, const ok_qbinary_params *p) {
    const uint8_t *pa = (const uint8_t *)a, *pb = (const uint8_t *)b;
    uint8_t *pc = (uint8_t *)c;
    const __m256i za = _mm256_set1_epi32(p->a_zero_point), zb = _mm256_set1_epi32(p->b_zero_point);
    const __m256 ra = _mm256_set1_ps(p->a_scale), rb = _mm256_set1_ps(p->b_scale);
    const __m256 zc = _mm256_set1_ps((float)p->c_zero_point);
    const __m256 lo = _mm256_set1_ps((float)p->qmin), hi = _mm256_set1_ps((float)p->qmax);
    const int32_t a0 = type ? (int32_t)*(const int8_t *)a : (int32_t)*pa;
    const int32_t b0 = type ? (int32_t)*(const int8_t *)b : (int32_t)*pb;
    const __m256i ca = _mm256_set1_epi32(a0), cb = _mm256_set1_epi32(b0);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i va = _mm256_sub_epi32(sa ? load8(pa + i, type) : ca, za);
        const __m256i vb = _mm256_sub_epi32(sb ? load8(pb + i, type) : cb, zb);
        __m256 v;
        if (mul) {
            v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_mullo_epi32(va, vb)), ra);
        } else {
            v = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(va), ra), _mm256_mul_ps(_mm256_cvtepi32_ps(vb), rb));
        }
        store8(pc + i, requant8(v, zc, lo, hi), type);
    }
    if (i < n) {
        const void *ta = sa ? (const void *)(pa + i) : a, *tb = sb ? (const void *)(pb + i) : b;
        if (mul) ok_qmul_reference(ta, sa, tb, sb, pc + i, type, n - i, p);
        else ok_qadd_reference(ta, sa, tb, sb, pc + i, type, n - i, p);
    }
}

/// 256-entry byte table: 16 sub-tables of 16 bytes; vpshufb looks up the low nibble
/// in each, the high nibble selects which one.
OK_T void ok_qlut_apply_avx2(const uint8_t table[256], const uint8_t *x, uint8_t *y, size_t n) {
    __m256i t[16];
    for (int k = 0; k < 16; k++) t[k] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(table + 16 * k)));
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(x + i));
        const __m256i lo = _mm256_and_si256(v, nibble);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
        __m256i r = _mm256_setzero_si256();
        for (int k = 0; k < 16; k++) {
            const __m256i sel = _mm256_cmpeq_epi8(hi, _mm256_set1_epi8((char)k));
            r = _mm256_or_si256(r, _mm256_and_si256(_mm256_shuffle_epi8(t[k], lo), sel));
        }
        _mm256_storeu_si256((__m256i *)(y + i), r);
    }
    for (; i < n; i++) y[i] = table[x[i]];
}

// ---- AVX-512 (F+BW+VL+DQ): the same operations on 16 lanes --------------------

#define OK_T512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))

OK_T512 static inline __m512i requant16(__m512 v, __m512 zp, __m512 lo, __m512 hi) {
    __m512 r = _mm512_add_ps(_mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zp);
    r = _mm512_min_ps(_mm512_max_ps(r, lo), hi);
    return _mm512_cvttps_epi32(r);
}

OK_T512 static inline __m512i load16(const void *src, int type) {
    const __m128i b = _mm_loadu_si128((const __m128i *)src);
    return type ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
}

/// The first lanes of m (the rest 0).
OK_T512 static inline __m512i load16m(const void *src, int type, __mmask16 m) {
    const __m128i b = _mm_maskz_loadu_epi8(m, src);
    return type ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
}

/// 16 int32 already inside the type's range -> 16 bytes (truncating narrow is exact).
OK_T512 static inline void store16(void *dst, __m512i v) {
    _mm_storeu_si128((__m128i *)dst, _mm512_cvtepi32_epi8(v));
}

OK_T512 void ok_quantize_f32_avx512(const float *x, void *y, int ty, size_t n, float scale, int32_t zp,
                                    int32_t qmin, int32_t qmax) {
    const __m512 s = _mm512_set1_ps(scale), z = _mm512_set1_ps((float)zp);
    const __m512 lo = _mm512_set1_ps((float)qmin), hi = _mm512_set1_ps((float)qmax);
    uint8_t *out = (uint8_t *)y;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        store16(out + i, requant16(_mm512_div_ps(_mm512_loadu_ps(x + i), s), z, lo, hi));
        store16(out + i + 16, requant16(_mm512_div_ps(_mm512_loadu_ps(x + i + 16), s), z, lo, hi));
    }
    for (; i + 16 <= n; i += 16) store16(out + i, requant16(_mm512_div_ps(_mm512_loadu_ps(x + i), s), z, lo, hi));
    if (i < n) ok_quantize_f32_reference(x + i, out + i, ty, n - i, scale, zp, qmin, qmax);
}

OK_T512 void ok_minmax_f32_avx512(const float *x, size_t n, float *mn, float *mx) {
    __m512 n0 = _mm512_set1_ps(__builtin_inff()), x0 = _mm512_set1_ps(-__builtin_inff());
    __m512 n1 = n0, n2 = n0, n3 = n0, x1 = x0, x2 = x0, x3 = x0;
    size_t i = 0;
    // (NaN lanes: as in the AVX2 kernel, the accumulator is kept.)
    for (; i + 64 <= n; i += 64) {
        const __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
        const __m512 v2 = _mm512_loadu_ps(x + i + 32), v3 = _mm512_loadu_ps(x + i + 48);
        n0 = _mm512_min_ps(v0, n0); x0 = _mm512_max_ps(v0, x0);
        n1 = _mm512_min_ps(v1, n1); x1 = _mm512_max_ps(v1, x1);
        n2 = _mm512_min_ps(v2, n2); x2 = _mm512_max_ps(v2, x2);
        n3 = _mm512_min_ps(v3, n3); x3 = _mm512_max_ps(v3, x3);
    }
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_loadu_ps(x + i);
        n0 = _mm512_min_ps(v, n0);
        x0 = _mm512_max_ps(v, x0);
    }
    float lmin[16], lmax[16];
    _mm512_storeu_ps(lmin, _mm512_min_ps(_mm512_min_ps(n0, n1), _mm512_min_ps(n2, n3)));
    _mm512_storeu_ps(lmax, _mm512_max_ps(_mm512_max_ps(x0, x1), _mm512_max_ps(x2, x3)));
    minmax_finish(lmin, lmax, 16, x, i, n, mn, mx);
}

/// QLinearGlobalAveragePool on channel-major planes (spatial < 2^22 bytes each): each
/// plane's bytes summed with vpsadbw (s8 flipped to u8 first, 128 per byte taken off
/// after), 16 planes' sums requantized as one vector with the reference's operations:
/// (float)(sum - zp * spatial) * multiplier, rint, + y zero point, clamp (NaN -> lo).
/// MobileNet's 1024 planes of 16 bytes: 3.3 us as the scalar loop.
OK_T512 void ok_qglobal_avgpool_avx512(const void *x, void *y, int type, size_t planes, size_t spatial,
                                       int32_t x_zero_point, float multiplier, int32_t y_zero_point) {
    const uint8_t *in = (const uint8_t *)x;
    uint8_t *out = (uint8_t *)y;
    const __m512i flip = _mm512_set1_epi8(type ? (char)0x80 : 0);
    // (sum over the plane of x) - zp * spatial, with the flip's 128 * spatial taken off.
    const int32_t off = (int32_t)((int64_t)x_zero_point * (int64_t)spatial + (type ? 128 * (int64_t)spatial : 0));
    const __m512 m = _mm512_set1_ps(multiplier), zy = _mm512_set1_ps((float)y_zero_point);
    const __m512 lo = _mm512_set1_ps(type ? -128.0f : 0.0f), hi = _mm512_set1_ps(type ? 127.0f : 255.0f);
    const size_t full = spatial / 64;
    const __mmask64 tail = spatial % 64 ? (((__mmask64)1 << (spatial % 64)) - 1) : 0;
    int32_t sums[16] __attribute__((aligned(64)));
    for (size_t p0 = 0; p0 < planes; p0 += 16) {
        const size_t np = planes - p0 < 16 ? planes - p0 : 16;
        for (size_t c = 0; c < np; c++) {
            const uint8_t *px = in + (p0 + c) * spatial;
            __m512i acc = _mm512_setzero_si512();
            for (size_t q = 0; q < full; q++)
                acc = _mm512_add_epi64(acc, _mm512_sad_epu8(_mm512_xor_si512(_mm512_loadu_si512(px + 64 * q), flip),
                                                             _mm512_setzero_si512()));
            if (tail) {
                // Flip only the loaded bytes: the masked-off ones must stay 0 in the sum.
                const __m512i v = _mm512_maskz_loadu_epi8(tail, px + 64 * full);
                acc = _mm512_add_epi64(acc, _mm512_sad_epu8(_mm512_xor_si512(v, _mm512_maskz_mov_epi8(tail, flip)),
                                                            _mm512_setzero_si512()));
            }
            sums[c] = (int32_t)_mm512_reduce_add_epi64(acc) - off;
        }
        const __mmask16 k = (__mmask16)((1u << np) - 1u);
        __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_maskz_load_epi32(k, sums)), m);
        v = _mm512_add_ps(_mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zy);
        v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
        _mm_mask_storeu_epi8(out + p0, k, _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(v)));
    }
}

OK_T512 void ok_dequantize_f32_avx512(const void *x, int tx, float *y, size_t n, float scale, int32_t zp) {
    const __m512 s = _mm512_set1_ps(scale);
    const __m512i z = _mm512_set1_epi32(zp);
    const uint8_t *in = (const uint8_t *)x;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512i v = _mm512_sub_epi32(load16(in + i, tx), z);
        _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_cvtepi32_ps(v), s));
    }
    if (i < n) ok_dequantize_f32_reference(in + i, tx, y + i, n - i, scale, zp);
}

OK_T512 void ok_qbinary_avx512(int mul, const void *a, ptrdiff_t sa, const void *b, ptrdiff_t sb, void *c, int type,
                               size_t n, const ok_qbinary_params *p) {
    const uint8_t *pa = (const uint8_t *)a, *pb = (const uint8_t *)b;
    uint8_t *pc = (uint8_t *)c;
    const __m512i za = _mm512_set1_epi32(p->a_zero_point), zb = _mm512_set1_epi32(p->b_zero_point);
    const __m512 ra = _mm512_set1_ps(p->a_scale), rb = _mm512_set1_ps(p->b_scale);
    const __m512 zc = _mm512_set1_ps((float)p->c_zero_point);
    const __m512 lo = _mm512_set1_ps((float)p->qmin), hi = _mm512_set1_ps((float)p->qmax);
    const int32_t a0 = type ? (int32_t)*(const int8_t *)a : (int32_t)*pa;
    const int32_t b0 = type ? (int32_t)*(const int8_t *)b : (int32_t)*pb;
    const __m512i ca = _mm512_set1_epi32(a0), cb = _mm512_set1_epi32(b0);
    // The last (partial) vector with masked loads and store: short rows (YOLO's
    // score products broadcast over 20-element rows) paid the AVX2 kernel and its
    // scalar tail for 4 elements of every row.
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1u);
        const __m512i va = _mm512_sub_epi32(sa ? load16m(pa + i, type, m) : ca, za);
        const __m512i vb = _mm512_sub_epi32(sb ? load16m(pb + i, type, m) : cb, zb);
        __m512 v;
        if (mul) {
            v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_mullo_epi32(va, vb)), ra);
        } else {
            v = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(va), ra), _mm512_mul_ps(_mm512_cvtepi32_ps(vb), rb));
        }
        _mm_mask_storeu_epi8(pc + i, m, _mm512_cvtepi32_epi8(requant16(v, zc, lo, hi)));
    }
}
/// 256-entry table of 64 indices at once. Cascade Lake has no vpermb (VBMI), so the table is
/// held as 256 words in 8 zmm and looked up with vpermt2w (64 entries per instruction,
/// index bits 0-5), the even and odd bytes separately as 16-bit indices; index bits 6
/// and 7 pick among the four lookups (mask blends), and the odd results are shifted
/// back into the high bytes. ~8 vpermt2w per 64 bytes instead of 16 compares + 16
/// masked vpshufb (nibble tables), about half the shuffle-port work.
OK_T512 void ok_qlut_apply_avx512(const uint8_t table[256], const uint8_t *x, uint8_t *y, size_t n) {
    __m512i t[8];
    for (int k = 0; k < 8; k++) t[k] = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(table + 32 * k)));
    const __m512i lowbyte = _mm512_set1_epi16(0x00ff), b6 = _mm512_set1_epi16(0x40), b7 = _mm512_set1_epi16(0x80);
#define QLUT_WORDS(w, out)                                                                             \
    do {                                                                                               \
        const __m512i r0 = _mm512_permutex2var_epi16(t[0], (w), t[1]);                                 \
        const __m512i r1 = _mm512_permutex2var_epi16(t[2], (w), t[3]);                                 \
        const __m512i r2 = _mm512_permutex2var_epi16(t[4], (w), t[5]);                                 \
        const __m512i r3 = _mm512_permutex2var_epi16(t[6], (w), t[7]);                                 \
        const __mmask32 m6 = _mm512_test_epi16_mask((w), b6), m7 = _mm512_test_epi16_mask((w), b7);     \
        (out) = _mm512_mask_blend_epi16(m7, _mm512_mask_blend_epi16(m6, r0, r1),                       \
                                        _mm512_mask_blend_epi16(m6, r2, r3));                          \
    } while (0)
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        const __m512i v = _mm512_loadu_si512((const void *)(x + i));
        __m512i ev, od;
        QLUT_WORDS(_mm512_and_si512(v, lowbyte), ev);
        QLUT_WORDS(_mm512_srli_epi16(v, 8), od);
        _mm512_storeu_si512((void *)(y + i), _mm512_or_si512(ev, _mm512_slli_epi16(od, 8)));
    }
#undef QLUT_WORDS
    if (i < n) ok_qlut_apply_avx2(table, x + i, y + i, n - i);
}
#endif
