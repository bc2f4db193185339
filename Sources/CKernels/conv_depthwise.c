// Depthwise 2-D convolution (one filter per channel), direct. Each output row
// splits into a border part (scalar, bounds-checked taps) and an interior where
// every horizontal tap is in bounds: there AVX2 (8 outputs) or NEON (4 outputs)
// accumulate tap by tap, for stride 1 and 2 (any kernel size and dilation;
// 3x3 is the common case). Other strides use the scalar interior.
#include "conv_depthwise_internal.h"
#include "sgemm_internal.h"
#include "ok_act_simd.h"
#include "ok_elementwise.h"

#include <string.h>

#if OK_HAVE_X86
#include <immintrin.h>
#endif
#if OK_HAVE_NEON
#include <arm_neon.h>
#endif

typedef struct {
    int H, W, OH, OW, KH, KW, sh, sw, dh, dw, ph, pw;
} dw_geom;

/// Output ow for which all horizontal taps are inside the row: [lo, hi).
static void interior_range(const dw_geom *g, int *lo, int *hi) {
    int l = (g->pw + g->sw - 1) / g->sw;                               // ow*sw - pw >= 0
    int last = g->W - 1 - (g->KW - 1) * g->dw + g->pw;                 // ow*sw <= last
    int h = last < 0 ? 0 : last / g->sw + 1;
    if (h > g->OW) h = g->OW;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

static float tap_sum(const dw_geom *g, const float *x, const float *w, int oh, int ow, int kh_lo, int kh_hi) {
    float acc = 0;
    for (int kh = kh_lo; kh < kh_hi; kh++) {
        int ih = oh * g->sh - g->ph + kh * g->dh;
        const float *row = x + (size_t)ih * g->W;
        for (int kw = 0; kw < g->KW; kw++) {
            int iw = ow * g->sw - g->pw + kw * g->dw;
            if (iw >= 0 && iw < g->W) acc += row[iw] * w[kh * g->KW + kw];
        }
    }
    return acc;
}

/// One border output of a 3x3 dilation-1 filter (valid rows kh_lo..kh_hi known).
static inline float border3x3(const dw_geom *g, const float *x, const float *w, int base, int ow, int kh_lo,
                              int kh_hi) {
    int iw0 = ow * g->sw - g->pw;
    float acc = 0;
    for (int kh = kh_lo; kh < kh_hi; kh++) {
        const float *row = x + (size_t)(base + kh) * g->W;
        if (iw0 >= 0 && iw0 < g->W) acc += row[iw0] * w[kh * 3];
        if (iw0 + 1 >= 0 && iw0 + 1 < g->W) acc += row[iw0 + 1] * w[kh * 3 + 1];
        if (iw0 + 2 >= 0 && iw0 + 2 < g->W) acc += row[iw0 + 2] * w[kh * 3 + 2];
    }
    return acc;
}

#if OK_HAVE_X86
/// Stride 1: x[b + i + kw] for i < 8.
__attribute__((target("avx2,fma"))) static inline __m256 dw3x3_s1_8__avx2(const float *r0, const float *r1,
                                                                            const float *r2, const __m256 *w, int b) {
    __m256 acc = _mm256_mul_ps(w[0], _mm256_loadu_ps(r0 + b));
    acc = _mm256_fmadd_ps(w[1], _mm256_loadu_ps(r0 + b + 1), acc);
    acc = _mm256_fmadd_ps(w[2], _mm256_loadu_ps(r0 + b + 2), acc);
    acc = _mm256_fmadd_ps(w[3], _mm256_loadu_ps(r1 + b), acc);
    acc = _mm256_fmadd_ps(w[4], _mm256_loadu_ps(r1 + b + 1), acc);
    acc = _mm256_fmadd_ps(w[5], _mm256_loadu_ps(r1 + b + 2), acc);
    acc = _mm256_fmadd_ps(w[6], _mm256_loadu_ps(r2 + b), acc);
    acc = _mm256_fmadd_ps(w[7], _mm256_loadu_ps(r2 + b + 1), acc);
    return _mm256_fmadd_ps(w[8], _mm256_loadu_ps(r2 + b + 2), acc);
}

/// Stride 2: x[b + 2i + kw] for i < 8 by deinterleaving loads of x[b .. b+16].
__attribute__((target("avx2,fma"))) static inline __m256 dw3x3_s2_8__avx2(const float *r0, const float *r1,
                                                                            const float *r2, const __m256 *w, int b) {
    const float *rows[3] = {r0 + b, r1 + b, r2 + b};
    __m256 acc = _mm256_setzero_ps();
    for (int r = 0; r < 3; r++) {
        __m256 a = _mm256_loadu_ps(rows[r]), c = _mm256_loadu_ps(rows[r] + 8);
        __m256 a1 = _mm256_loadu_ps(rows[r] + 1), c1 = _mm256_loadu_ps(rows[r] + 9);
        __m256 e0 = _mm256_shuffle_ps(a, c, _MM_SHUFFLE(2, 0, 2, 0));    // x0 x2 x8 x10 | x4 x6 x12 x14
        __m256 o0 = _mm256_shuffle_ps(a, c, _MM_SHUFFLE(3, 1, 3, 1));    // x1 x3 x9 x11 | ...
        __m256 e1 = _mm256_shuffle_ps(a1, c1, _MM_SHUFFLE(3, 1, 3, 1));  // x2 x4 x10 x12 | ...
        // 64-bit lanes 0,2,1,3 put the halves in order.
        e0 = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e0), 0xd8));
        o0 = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o0), 0xd8));
        e1 = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e1), 0xd8));
        acc = _mm256_fmadd_ps(w[r * 3 + 0], e0, acc);
        acc = _mm256_fmadd_ps(w[r * 3 + 1], o0, acc);
        acc = _mm256_fmadd_ps(w[r * 3 + 2], e1, acc);
    }
    return acc;
}

/// 3x3, dilation 1, stride 1 or 2: the three input rows and nine weights stay in
/// registers; rows outside the input come in as a valid row with zero weights.
/// The ragged end is one more overlapping vector step (outputs are written, not
/// accumulated, so recomputing a few is harmless).
__attribute__((target("avx2,fma"))) static int dw3x3_row__avx2(const float *r0, const float *r1, const float *r2,
                                                              const float *w9, int lo, int hi, int sw, int W, int pw,
                                                              float *out) {
    __m256 w[9];
    for (int i = 0; i < 9; i++) w[i] = _mm256_broadcast_ss(w9 + i);
    if (hi - lo < 8) return lo;
    int ow = lo;
    if (sw == 1) {
        for (; ow + 8 <= hi; ow += 8) _mm256_storeu_ps(out + ow, dw3x3_s1_8__avx2(r0, r1, r2, w, ow - pw));
        if (ow < hi) {
            _mm256_storeu_ps(out + hi - 8, dw3x3_s1_8__avx2(r0, r1, r2, w, hi - 8 - pw));
            ow = hi;
        }
    } else {
        for (; ow + 8 <= hi && ow * 2 - pw + 17 <= W; ow += 8)
            _mm256_storeu_ps(out + ow, dw3x3_s2_8__avx2(r0, r1, r2, w, ow * 2 - pw));
        if (ow < hi && (hi - 8) * 2 - pw + 17 <= W) {
            _mm256_storeu_ps(out + hi - 8, dw3x3_s2_8__avx2(r0, r1, r2, w, (hi - 8) * 2 - pw));
            ow = hi;
        }
    }
    return ow;
}

__attribute__((target("avx2,fma"))) static int dw_interior__avx2(const dw_geom *g, const float *x, const float *w,
                                                                int oh, int lo, int hi, int kh_lo, int kh_hi,
                                                                float *out) {
    int ow = lo;
    if (g->sw > 2) return lo;
    for (; ow + 8 <= hi; ow += 8) {
        // stride 2 reads 16 floats per tap: make sure the last one is in the row.
        if (g->sw == 2 && (ow * 2 - g->pw + (g->KW - 1) * g->dw + 15) >= g->W) break;
        __m256 acc = _mm256_setzero_ps();
        for (int kh = kh_lo; kh < kh_hi; kh++) {
            const float *row = x + (size_t)(oh * g->sh - g->ph + kh * g->dh) * g->W;
            for (int kw = 0; kw < g->KW; kw++) {
                const float *ptr = row + ow * g->sw - g->pw + kw * g->dw;
                __m256 wv = _mm256_broadcast_ss(w + kh * g->KW + kw);
                __m256 v;
                if (g->sw == 1) {
                    v = _mm256_loadu_ps(ptr);
                } else {
                    __m256 a = _mm256_loadu_ps(ptr), b = _mm256_loadu_ps(ptr + 8);
                    __m256 even = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));  // a0 a2 b0 b2 | a4 a6 b4 b6
                    v = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(even), _MM_SHUFFLE(3, 1, 2, 0)));
                }
                acc = _mm256_fmadd_ps(wv, v, acc);
            }
        }
        _mm256_storeu_ps(out + ow, acc);
    }
    return ow;
}
#endif

#if OK_HAVE_NEON
/// NEON twin of dw3x3_row__avx2 (4 outputs per step; vld2q deinterleaves stride 2).
static int dw3x3_row__neon(const float *r0, const float *r1, const float *r2, const float *w9, int lo, int hi, int sw,
                           int W, int pw, float *out) {
    int ow = lo;
    const float *rows[3] = {r0, r1, r2};
    for (; ow + 4 <= hi; ow += 4) {
        int b = ow * sw - pw;
        if (sw == 2 && b + 10 > W) break;
        float32x4_t acc = vdupq_n_f32(0);
        for (int r = 0; r < 3; r++) {
            const float *p = rows[r] + b;
            if (sw == 1) {
                acc = vmlaq_n_f32(acc, vld1q_f32(p), w9[r * 3]);
                acc = vmlaq_n_f32(acc, vld1q_f32(p + 1), w9[r * 3 + 1]);
                acc = vmlaq_n_f32(acc, vld1q_f32(p + 2), w9[r * 3 + 2]);
            } else {
                float32x4x2_t v = vld2q_f32(p);
                float32x4x2_t v2 = vld2q_f32(p + 2);
                acc = vmlaq_n_f32(acc, v.val[0], w9[r * 3]);
                acc = vmlaq_n_f32(acc, v.val[1], w9[r * 3 + 1]);
                acc = vmlaq_n_f32(acc, v2.val[0], w9[r * 3 + 2]);
            }
        }
        vst1q_f32(out + ow, acc);
    }
    return ow;
}

static int dw_interior__neon(const dw_geom *g, const float *x, const float *w, int oh, int lo, int hi, int kh_lo,
                             int kh_hi, float *out) {
    int ow = lo;
    if (g->sw > 2) return lo;
    for (; ow + 4 <= hi; ow += 4) {
        if (g->sw == 2 && (ow * 2 - g->pw + (g->KW - 1) * g->dw + 7) >= g->W) break;
        float32x4_t acc = vdupq_n_f32(0);
        for (int kh = kh_lo; kh < kh_hi; kh++) {
            const float *row = x + (size_t)(oh * g->sh - g->ph + kh * g->dh) * g->W;
            for (int kw = 0; kw < g->KW; kw++) {
                const float *ptr = row + ow * g->sw - g->pw + kw * g->dw;
                float32x4_t v = g->sw == 1 ? vld1q_f32(ptr) : vld2q_f32(ptr).val[0];
                acc = vmlaq_n_f32(acc, v, w[kh * g->KW + kw]);
            }
        }
        vst1q_f32(out + ow, acc);
    }
    return ow;
}
#endif


// ---------------------------------------------------------------- padded tile path
// Small planes (8x8, 14x14, 32x32 ...) have few or no interior outputs, so the
// border/interior split above runs mostly scalar. Instead each input plane is
// copied into a zero-padded tile (per thread, on the stack) whose geometry is the
// same for every plane: the padding is zeroed once per task, only the interior is
// rewritten per plane. Then every output row is whole vectors with no bounds checks
// (the tile is wide enough for the last vector's overreach), bias and the cheap
// activations are applied in registers, the transcendental ones by the vectorised
// element-wise kernel over the finished plane.

enum { OK_DW_TILE_FLOATS = 8192 };  // 32 KB of stack

typedef struct {
    int TH, TW;  // tile rows / row stride
    int OWr;     // outputs per row rounded up to the vector width
} dw_tile_geom;

static int dw_tile_plan(const dw_geom *g, int vw, dw_tile_geom *t) {
    if (g->sw != 1 && g->sw != 2) return 0;
    t->OWr = (g->OW + vw - 1) / vw * vw;
    t->TH = (g->OH - 1) * g->sh + (g->KH - 1) * g->dh + 1;
    if (t->TH < g->H + g->ph) t->TH = g->H + g->ph;
    // The last vector reads up to (OWr-1)*sw + (KW-1)*dw (+ vw-1 more for the
    // stride-2 deinterleaving load); the input row must also fit after pw.
    int tw = t->OWr * g->sw + (g->KW - 1) * g->dw + vw;
    if (tw < g->W + g->pw) tw = g->W + g->pw;
    t->TW = (tw + 7) & ~7;
    return (size_t)t->TH * t->TW <= OK_DW_TILE_FLOATS;
}

/// Copies plane x into the tile at (ph, pw); the rest of the tile stays as it was (zero).
static void dw_tile_fill(const dw_geom *g, const dw_tile_geom *t, const float *x, float *tile) {
    for (int ih = 0; ih < g->H; ih++)
        memcpy(tile + (size_t)(ih + g->ph) * t->TW + g->pw, x + (size_t)ih * g->W, sizeof(float) * (size_t)g->W);
}

#if OK_HAVE_X86
#define OK_DW_AVX2 __attribute__((target("avx2,fma")))


OK_DW_AVX2 static inline __m256 dw_load_s2(const float *p) {
    __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    __m256 even = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(even), _MM_SHUFFLE(3, 1, 2, 0)));
}

/// One plane from the tile: 8 outputs per step. `cheap`: activation applied here.
OK_X86_HOT OK_DW_AVX2 static void dw_tile_plane__avx2(const dw_geom *g, const dw_tile_geom *t, const float *tile,
                                           const float *w, float bias, int act, float fp0, float fp1, float *y) {
    const __m256 bv = _mm256_set1_ps(bias), p0 = _mm256_set1_ps(fp0), p1 = _mm256_set1_ps(fp1);
    float rowbuf[8];
    int full = g->OW / 8 * 8;
    if (g->KH == 3 && g->KW == 3 && g->dh == 1 && g->dw == 1) {
        __m256 w0 = _mm256_broadcast_ss(w + 0), w1 = _mm256_broadcast_ss(w + 1), w2 = _mm256_broadcast_ss(w + 2);
        __m256 w3 = _mm256_broadcast_ss(w + 3), w4 = _mm256_broadcast_ss(w + 4), w5 = _mm256_broadcast_ss(w + 5);
        __m256 w6 = _mm256_broadcast_ss(w + 6), w7 = _mm256_broadcast_ss(w + 7), w8 = _mm256_broadcast_ss(w + 8);
        for (int oh = 0; oh < g->OH; oh++) {
            const float *r0 = tile + (size_t)(oh * g->sh) * t->TW, *r1 = r0 + t->TW, *r2 = r1 + t->TW;
            float *out = y + (size_t)oh * g->OW;
            for (int ow = 0; ow < t->OWr; ow += 8) {
                __m256 acc;
                if (g->sw == 1) {
                    int b = ow;
                    acc = _mm256_fmadd_ps(w0, _mm256_loadu_ps(r0 + b), bv);
                    acc = _mm256_fmadd_ps(w1, _mm256_loadu_ps(r0 + b + 1), acc);
                    acc = _mm256_fmadd_ps(w2, _mm256_loadu_ps(r0 + b + 2), acc);
                    acc = _mm256_fmadd_ps(w3, _mm256_loadu_ps(r1 + b), acc);
                    acc = _mm256_fmadd_ps(w4, _mm256_loadu_ps(r1 + b + 1), acc);
                    acc = _mm256_fmadd_ps(w5, _mm256_loadu_ps(r1 + b + 2), acc);
                    acc = _mm256_fmadd_ps(w6, _mm256_loadu_ps(r2 + b), acc);
                    acc = _mm256_fmadd_ps(w7, _mm256_loadu_ps(r2 + b + 1), acc);
                    acc = _mm256_fmadd_ps(w8, _mm256_loadu_ps(r2 + b + 2), acc);
                } else {
                    int b = ow * 2;
                    acc = _mm256_fmadd_ps(w0, dw_load_s2(r0 + b), bv);
                    acc = _mm256_fmadd_ps(w1, dw_load_s2(r0 + b + 1), acc);
                    acc = _mm256_fmadd_ps(w2, dw_load_s2(r0 + b + 2), acc);
                    acc = _mm256_fmadd_ps(w3, dw_load_s2(r1 + b), acc);
                    acc = _mm256_fmadd_ps(w4, dw_load_s2(r1 + b + 1), acc);
                    acc = _mm256_fmadd_ps(w5, dw_load_s2(r1 + b + 2), acc);
                    acc = _mm256_fmadd_ps(w6, dw_load_s2(r2 + b), acc);
                    acc = _mm256_fmadd_ps(w7, dw_load_s2(r2 + b + 1), acc);
                    acc = _mm256_fmadd_ps(w8, dw_load_s2(r2 + b + 2), acc);
                }
                acc = ok_cheap_act8(acc, act, p0, p1);
                if (ow < full) {
                    _mm256_storeu_ps(out + ow, acc);
                } else {
                    _mm256_storeu_ps(rowbuf, acc);
                    for (int i = 0; i < g->OW - ow; i++) out[ow + i] = rowbuf[i];
                }
            }
        }
        return;
    }
    for (int oh = 0; oh < g->OH; oh++) {
        float *out = y + (size_t)oh * g->OW;
        for (int ow = 0; ow < t->OWr; ow += 8) {
            __m256 acc = bv;
            for (int kh = 0; kh < g->KH; kh++) {
                const float *row = tile + (size_t)(oh * g->sh + kh * g->dh) * t->TW + ow * g->sw;
                for (int kw = 0; kw < g->KW; kw++) {
                    __m256 wv = _mm256_broadcast_ss(w + kh * g->KW + kw);
                    __m256 v = g->sw == 1 ? _mm256_loadu_ps(row + kw * g->dw) : dw_load_s2(row + kw * g->dw);
                    acc = _mm256_fmadd_ps(wv, v, acc);
                }
            }
            acc = ok_cheap_act8(acc, act, p0, p1);
            if (ow < full) {
                _mm256_storeu_ps(out + ow, acc);
            } else {
                _mm256_storeu_ps(rowbuf, acc);
                for (int i = 0; i < g->OW - ow; i++) out[ow + i] = rowbuf[i];
            }
        }
    }
}
#endif

#if OK_HAVE_X86
#define OK_DW_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))


/// Three taps of one tile row for 16 outputs from column `ow` (stride 1: three
/// shifted loads; stride 2: 32 inputs deinterleaved with one permutex2var per tap
/// column, even / odd from the same two loads, +2 for the third column).
OK_DW_AVX512 __attribute__((always_inline)) static inline void dw3_row_taps(const float *row, int ow, const int SW,
                                                                         __m512 v[3]) {
    if (SW == 1) {
        const float *q = row + ow;
        v[0] = _mm512_loadu_ps(q);
        v[1] = _mm512_loadu_ps(q + 1);
        v[2] = _mm512_loadu_ps(q + 2);
    } else {
        const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
        const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
        const float *q = row + ow * 2;
        __m512 lo = _mm512_loadu_ps(q), hi = _mm512_loadu_ps(q + 16);
        __m512 lo2 = _mm512_loadu_ps(q + 2), hi2 = _mm512_loadu_ps(q + 18);
        v[0] = _mm512_permutex2var_ps(lo, even, hi);
        v[1] = _mm512_permutex2var_ps(lo, odd, hi);
        v[2] = _mm512_permutex2var_ps(lo2, even, hi2);
    }
}

/// AVX-512 twin of the 3x3 tile plane: 16 outputs per vector, two output rows per
/// step. The rows they share are loaded once (stride 1: 4 tile rows for 2 output
/// rows instead of 6; stride 2: 5 instead of 6) and the two accumulation chains
/// overlap (each is 9 dependent FMAs: with one row per step the plane ran at a
/// quarter of the FMA rate). Every output still sums bias, then taps in row-major
/// order: the same bits as one row at a time. Stride and activation are constants
/// of each instantiation (the per-vector switch was an indirect jump).
OK_DW_AVX512 __attribute__((always_inline)) static inline void dw3_plane_avx512_body(
    const dw_geom *g, const dw_tile_geom *t, const float *tile, const __m512 wv[9], __m512 bv, __m512 p0, __m512 p1,
    int act, float *y, const int SW, const int ACT) {
    const int full = g->OW / 16 * 16;
    const __mmask16 tail = (__mmask16)((1u << (g->OW - full)) - 1u);
    // A constant ACT folds ok_cheap_act16's switch away; -1 keeps the run-time one.
#define DW3_ACT(v) ok_cheap_act16(v, ACT >= 0 ? ACT : act, p0, p1)
#define DW3_STORE(out, ow, v) do { if ((ow) < full) _mm512_storeu_ps((out) + (ow), v); \
                                   else _mm512_mask_storeu_ps((out) + (ow), tail, v); } while (0)
    int oh = 0;
    // Two rows per step when the row stride equals the column stride (the rows
    // shared between them are then SW apart); other row strides one at a time.
    for (; g->sh == SW && oh + 2 <= g->OH; oh += 2) {
        const float *r0 = tile + (size_t)(oh * g->sh) * t->TW;
        float *out0 = y + (size_t)oh * g->OW, *out1 = out0 + g->OW;
        for (int ow = 0; ow < t->OWr; ow += 16) {
            __m512 a = bv, b = bv, v[3];
            // Output row oh reads tile rows 0-2 from r0, row oh + 1 reads rows SW..SW+2.
            for (int r = 0; r < 3 + SW; r++) {
                dw3_row_taps(r0 + (size_t)r * t->TW, ow, SW, v);
                if (r < 3) {
                    a = _mm512_fmadd_ps(wv[r * 3], v[0], a);
                    a = _mm512_fmadd_ps(wv[r * 3 + 1], v[1], a);
                    a = _mm512_fmadd_ps(wv[r * 3 + 2], v[2], a);
                }
                if (r >= SW) {
                    int k = r - SW;
                    b = _mm512_fmadd_ps(wv[k * 3], v[0], b);
                    b = _mm512_fmadd_ps(wv[k * 3 + 1], v[1], b);
                    b = _mm512_fmadd_ps(wv[k * 3 + 2], v[2], b);
                }
            }
            a = DW3_ACT(a);
            b = DW3_ACT(b);
            DW3_STORE(out0, ow, a);
            DW3_STORE(out1, ow, b);
        }
    }
    for (; oh < g->OH; oh++) {
        const float *r0 = tile + (size_t)(oh * g->sh) * t->TW;
        float *out = y + (size_t)oh * g->OW;
        for (int ow = 0; ow < t->OWr; ow += 16) {
            __m512 a = bv, v[3];
            for (int r = 0; r < 3; r++) {
                dw3_row_taps(r0 + (size_t)r * t->TW, ow, SW, v);
                a = _mm512_fmadd_ps(wv[r * 3], v[0], a);
                a = _mm512_fmadd_ps(wv[r * 3 + 1], v[1], a);
                a = _mm512_fmadd_ps(wv[r * 3 + 2], v[2], a);
            }
            a = DW3_ACT(a);
            DW3_STORE(out, ow, a);
        }
    }
#undef DW3_ACT
#undef DW3_STORE
}

#define DW3_INSTANCE(S, A)                                                                                        \
    OK_DW_AVX512 static void dw3_plane_s##S##_a##A(const dw_geom *g, const dw_tile_geom *t, const float *tile,     \
                                                   const __m512 wv[9], __m512 bv, __m512 p0, __m512 p1, int act, \
                                                   float *y) {                                                    \
        dw3_plane_avx512_body(g, t, tile, wv, bv, p0, p1, act, y, S, A);                                         \
    }
// ACT -1: any cheap activation, chosen per vector.
DW3_INSTANCE(1, 0) DW3_INSTANCE(1, 1) DW3_INSTANCE(1, 2) DW3_INSTANCE(2, 0) DW3_INSTANCE(2, 1) DW3_INSTANCE(2, 2)
#undef DW3_INSTANCE
OK_DW_AVX512 static void dw3_plane_s1_any(const dw_geom *g, const dw_tile_geom *t, const float *tile,
                                          const __m512 wv[9], __m512 bv, __m512 p0, __m512 p1, int act, float *y) {
    dw3_plane_avx512_body(g, t, tile, wv, bv, p0, p1, act, y, 1, -1);
}
OK_DW_AVX512 static void dw3_plane_s2_any(const dw_geom *g, const dw_tile_geom *t, const float *tile,
                                          const __m512 wv[9], __m512 bv, __m512 p0, __m512 p1, int act, float *y) {
    dw3_plane_avx512_body(g, t, tile, wv, bv, p0, p1, act, y, 2, -1);
}

OK_DW_AVX512 static void dw_tile_plane3x3__avx512(const dw_geom *g, const dw_tile_geom *t, const float *tile,
                                                  const float *w, float bias, int act, float fp0, float fp1,
                                                  float *y) {
    const __m512 bv = _mm512_set1_ps(bias), p0 = _mm512_set1_ps(fp0), p1 = _mm512_set1_ps(fp1);
    __m512 wv[9];
    for (int i = 0; i < 9; i++) wv[i] = _mm512_set1_ps(w[i]);
    _Static_assert(OK_ACT_NONE == 0 && OK_ACT_RELU == 1 && OK_ACT_CLIP == 2, "activation codes");
    if (g->sw == 1) {
        if (act == OK_ACT_NONE) dw3_plane_s1_a0(g, t, tile, wv, bv, p0, p1, act, y);
        else if (act == OK_ACT_RELU) dw3_plane_s1_a1(g, t, tile, wv, bv, p0, p1, act, y);
        else if (act == OK_ACT_CLIP) dw3_plane_s1_a2(g, t, tile, wv, bv, p0, p1, act, y);
        else dw3_plane_s1_any(g, t, tile, wv, bv, p0, p1, act, y);
    } else {
        if (act == OK_ACT_NONE) dw3_plane_s2_a0(g, t, tile, wv, bv, p0, p1, act, y);
        else if (act == OK_ACT_RELU) dw3_plane_s2_a1(g, t, tile, wv, bv, p0, p1, act, y);
        else if (act == OK_ACT_CLIP) dw3_plane_s2_a2(g, t, tile, wv, bv, p0, p1, act, y);
        else dw3_plane_s2_any(g, t, tile, wv, bv, p0, p1, act, y);
    }
}
#endif

typedef struct {
    const ok_conv_params *p;
    const float *x, *w;
    float *y;
    const ok_epilogue *ep;
    int isa;
} dw_job;

OK_X86_HOT static void dw_task(void *raw, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const dw_job *j = raw;
    const ok_conv_params *p = j->p;
    dw_geom g;
    if (p->ndim == 2) {
        g.H = p->in_shape[0]; g.W = p->in_shape[1]; g.OH = p->out_shape[0]; g.OW = p->out_shape[1];
        g.KH = p->kernel[0]; g.KW = p->kernel[1]; g.sh = p->stride[0]; g.sw = p->stride[1];
        g.dh = p->dilation[0]; g.dw = p->dilation[1]; g.ph = p->pad_begin[0]; g.pw = p->pad_begin[1];
    } else {  // 1-D as H = 1
        g.H = 1; g.W = p->in_shape[0]; g.OH = 1; g.OW = p->out_shape[0];
        g.KH = 1; g.KW = p->kernel[0]; g.sh = 1; g.sw = p->stride[0];
        g.dh = 1; g.dw = p->dilation[0]; g.ph = 0; g.pw = p->pad_begin[0];
    }
#if OK_HAVE_X86
    dw_tile_geom tg;
    // AVX-512 (16 outputs per vector) for 3x3 rows of >= 12 outputs; AVX2 otherwise.
    int wide = OK_ISA_IS_AVX512(j->isa) && g.KH == 3 && g.KW == 3 && g.dh == 1 && g.dw == 1 && g.OW >= 12 &&
               dw_tile_plan(&g, 16, &tg);
    if (wide || (j->isa != OK_ISA_SCALAR && dw_tile_plan(&g, 8, &tg))) {
        float tile[OK_DW_TILE_FLOATS] __attribute__((aligned(64)));
        memset(tile, 0, sizeof(float) * (size_t)tg.TH * tg.TW);
        const ok_epilogue *ep = j->ep;
        int act = ep ? ep->activation : OK_ACT_NONE;
        int post = act == OK_ACT_SIGMOID || act == OK_ACT_TANH || act == OK_ACT_SILU;
        for (int64_t plane = begin; plane < end; plane++) {
            int c = (int)(plane % p->cout);
            dw_tile_fill(&g, &tg, j->x + (size_t)plane * g.H * g.W, tile);
            float *y = j->y + (size_t)plane * g.OH * g.OW;
            float bias = ep && ep->bias ? ep->bias[c] : 0.0f;
            if (wide)
                dw_tile_plane3x3__avx512(&g, &tg, tile, j->w + (size_t)c * g.KH * g.KW, bias,
                                         post ? OK_ACT_NONE : act, ep ? ep->p0 : 0, ep ? ep->p1 : 0, y);
            else
                dw_tile_plane__avx2(&g, &tg, tile, j->w + (size_t)c * g.KH * g.KW, bias, post ? OK_ACT_NONE : act,
                                    ep ? ep->p0 : 0, ep ? ep->p1 : 0, y);
            size_t n = (size_t)g.OH * g.OW;
            if (post && OK_ISA_IS_AVX512(j->isa) && act != OK_ACT_TANH) {
                ok_epilogue e2 = {NULL, OK_BIAS_NONE, act, 0, 0, 0};
                ok_apply_epilogue__avx512(y, 0, 1, (int)n, 0, 0, &e2);
            } else if (act == OK_ACT_SIGMOID) ok_unary_f32(OK_UNARY_SIGMOID, y, y, n, 0, 0);
            else if (act == OK_ACT_TANH) ok_unary_f32(OK_UNARY_TANH, y, y, n, 0, 0);
            else if (act == OK_ACT_SILU) ok_unary_f32(OK_UNARY_SWISH, y, y, n, 1.0f, 0);
        }
        return;
    }
#endif
    int lo, hi;
    interior_range(&g, &lo, &hi);
    for (int64_t plane = begin; plane < end; plane++) {
        int c = (int)(plane % p->cout);
        const float *x = j->x + (size_t)plane * g.H * g.W;
        const float *w = j->w + (size_t)c * g.KH * g.KW;
        float *y = j->y + (size_t)plane * g.OH * g.OW;
        for (int oh = 0; oh < g.OH; oh++) {
            // valid kh: 0 <= oh*sh - ph + kh*dh < H
            int base = oh * g.sh - g.ph;
            int kh_lo = 0, kh_hi = g.KH;
            while (kh_lo < g.KH && base + kh_lo * g.dh < 0) kh_lo++;
            while (kh_hi > kh_lo && base + (kh_hi - 1) * g.dh >= g.H) kh_hi--;
            float *out = y + (size_t)oh * g.OW;
            int is3x3 = g.KH == 3 && g.KW == 3 && g.dh == 1 && g.dw == 1 && (g.sw == 1 || g.sw == 2);
            for (int ow = 0; ow < lo; ow++)
                out[ow] = is3x3 ? border3x3(&g, x, w, base, ow, kh_lo, kh_hi) : tap_sum(&g, x, w, oh, ow, kh_lo, kh_hi);
            int ow = lo;
            if (is3x3 && j->isa != OK_ISA_SCALAR && hi > lo) {
                // Rows outside the input: any valid row with zero weights.
                float w9[9];
                const float *r[3];
                for (int kh = 0; kh < 3; kh++) {
                    int ok = kh >= kh_lo && kh < kh_hi;
                    r[kh] = ok ? x + (size_t)(base + kh) * g.W : x;
                    for (int kw = 0; kw < 3; kw++) w9[kh * 3 + kw] = ok ? w[kh * 3 + kw] : 0.0f;
                }
#if OK_HAVE_X86
                if (j->isa == OK_ISA_AVX2_FMA || j->isa == OK_ISA_AVX512) ow = dw3x3_row__avx2(r[0], r[1], r[2], w9, lo, hi, g.sw, g.W, g.pw, out);
#endif
#if OK_HAVE_NEON
                if (j->isa == OK_ISA_NEON) ow = dw3x3_row__neon(r[0], r[1], r[2], w9, lo, hi, g.sw, g.W, g.pw, out);
#endif
            } else {
#if OK_HAVE_X86
                if (j->isa == OK_ISA_AVX2_FMA || j->isa == OK_ISA_AVX512) ow = dw_interior__avx2(&g, x, w, oh, lo, hi, kh_lo, kh_hi, out);
#endif
#if OK_HAVE_NEON
                if (j->isa == OK_ISA_NEON) ow = dw_interior__neon(&g, x, w, oh, lo, hi, kh_lo, kh_hi, out);
#endif
            }
            for (; ow < hi; ow++) {
                float acc = 0;
                for (int kh = kh_lo; kh < kh_hi; kh++) {
                    const float *row = x + (size_t)(base + kh * g.dh) * g.W + ow * g.sw - g.pw;
                    const float *wr = w + kh * g.KW;
                    for (int kw = 0; kw < g.KW; kw++) acc += row[kw * g.dw] * wr[kw];
                }
                out[ow] = acc;
            }
            for (ow = hi > lo ? hi : lo; ow < g.OW; ow++)
                out[ow] = is3x3 ? border3x3(&g, x, w, base, ow, kh_lo, kh_hi) : tap_sum(&g, x, w, oh, ow, kh_lo, kh_hi);
        }
        if (j->ep) ok_apply_epilogue(y, 0, 1, g.OH * g.OW, c, 0, j->ep);
    }
}

void ok_depthwise_planes(ok_pool *pool, const ok_conv_params *p, const float *x, const float *w, float *y,
                         const ok_epilogue *ep) {
    dw_job j = {p, x, w, y, NULL, OK_ISA_SCALAR};
    ok_epilogue e;
    if (ep) {
        e = *ep;
        e.bias_kind = OK_BIAS_PER_ROW;
        e.accumulate = 0;
        j.ep = &e;
    }
#if OK_HAVE_X86
    if (ok_isa_enabled(OK_ISA_AVX2_FMA)) j.isa = OK_ISA_AVX2_FMA;
    if (ok_isa_enabled(OK_ISA_AVX512) && ok_isa_enabled(OK_ISA_AVX2_FMA)) j.isa = OK_ISA_AVX512;
#endif
#if OK_HAVE_NEON
    if (ok_isa_enabled(OK_ISA_NEON)) j.isa = OK_ISA_NEON;
#endif
    int64_t macs = (int64_t)p->batch * p->cout * p->out_shape[0] * (p->ndim == 2 ? p->out_shape[1] : 1) *
                   p->kernel[0] * (p->ndim == 2 ? p->kernel[1] : 1);
    if (macs < ok_min_parallel_macs() / 6) pool = NULL;  // see ok_set_min_parallel_macs
#if OK_HAVE_X86
    // Rows shorter than 8 outputs leave most lanes of a row vector idle: vectorise
    // across channels instead (kws: 25x5 planes).
    if (OK_ISA_IS_AVX512(j.isa) || j.isa == OK_ISA_AVX2_FMA) {
        int vw = OK_ISA_IS_AVX512(j.isa) ? 16 : 8;
        if (p->ndim == 2 && p->out_shape[1] < (vw == 16 ? 17 : 8) && ok_depthwise_channels_fits(p, vw)) {
            ok_depthwise_channels(pool, p, x, w, y, j.ep, vw);
            return;
        }
    }
#endif
    ok_pool_parallel_for(pool, (int64_t)p->batch * p->cout, 1, dw_task, &j);
}

void ok_conv_depthwise(ok_pool *pool, const ok_conv_params *p, const float *x, const float *w, float *y,
                       const ok_epilogue *ep) {
    ok_depthwise_planes(pool, p, x, w, y, ep);
}
