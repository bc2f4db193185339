// Int8 depthwise 2-D convolution, AVX-512: one channel plane at a time, straight
// from the u8/s8 input to the u8/s8/int32/float output, requantization fused.
//
// Why: the portable depthwise path (qconv.c) converts chunks of planes to float,
// runs the float depthwise kernels, converts the sums back to int32 and then calls
// the epilogue per channel. On the small planes of kws (25x5) and MobileNet (8x8,
// 4x4) the copies, the 8-wide tails (scalar copies out of a row buffer) and the
// per-channel epilogue calls cost 4-10x the arithmetic.
//
// Here each plane is converted once into a zero-padded float tile of x - zx (the
// padding reads as 0 = zx - zx; it is zeroed once per task, only the interior is
// rewritten per plane), every output row is whole 16-lane vectors (stride 2:
// deinterleaved with permutex2var), and the sums go through the rounding rule of
// docs/int8-kernels.md in registers and are stored with a masked byte store.
//
// Exact: products and partial sums are integers of magnitude <= kv * 255 * 255
// < 2^24 for kv <= 256 (the caller checks), so float FMAs in any order give the
// exact integer; cvtps2dq turns it back into the exact int32 sum. The epilogue
// then does the same operations as ok_qepi__avx512 / q_store (int32 bias add,
// cvtdq2ps, one mulps, max/min clamp, cvtps2dq under the default RNE mode, + zp).
// The readable twin is ok_qconv_reference (Tests/CKernelsTests/QConvTests.swift).
#include "qgemm_internal.h"

#include <string.h>

#if OK_Q_X86
#include <immintrin.h>

#define OK_QDW_AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))

/// Two ways to lay the outputs on 16-lane vectors, whichever needs fewer vectors:
/// - by rows: every output row is whole vectors (the tail masked);
/// - flat (narrow planes, equal strides): the tile rows are only as wide as the
///   padded input (tw), and the vectors run over q = oh * tw + ow for all rows at
///   once; tile index = s * q + tap offset, so lanes with ow >= OW read the next
///   row's cells (in bounds, discarded): those lanes are dropped by a per-vector
///   mask and the valid ones compressed (vpcompressd) into consecutive outputs.
///   kws' 25x5 planes: 11 vectors instead of 25.
typedef struct {
    int flat, th, tw, nvec;
    int nfill;      // flat: 16-float chunks that the input rows fill (from row ph)
    size_t floats;  // tile size
} qdw_plan;

enum { QDW_MAX_VECS = 1024, QDW_MAX_FILL = 2048 };

static int qdw_plan_make(const ok_qdw_geom *g, qdw_plan *pl) {
    if (g->sw != 1 && g->sw != 2) return 0;
    if ((size_t)g->KH * g->KW > 256) return 0;  // float exactness bound (see above)
    int owr = (g->OW + 15) / 16 * 16;
    int rows = (g->OH - 1) * g->sh + (g->KH - 1) * g->dh + 1;
    if (rows < g->H + g->ph) rows = g->H + g->ph;
    // Rows: stride 1 reads up to owr - 1 + (KW-1)*dw in the last vector; stride 2
    // loads 32 floats from 2*ow + kw*dw, i.e. up to 2*owr - 1 + (KW-1)*dw. The input
    // row must fit after the left padding too.
    int cols = owr * g->sw + (g->KW - 1) * g->dw;
    if (cols < g->W + g->pw) cols = g->W + g->pw;
    cols = (cols + 15) / 16 * 16;
    long row_vecs = (long)g->OH * (owr / 16);
    // Flat: valid outputs must not wrap, (OW-1)*s + (KW-1)*dw < tw.
    int ftw = (g->OW - 1) * g->sw + (g->KW - 1) * g->dw + 1;
    if (ftw < g->W + g->pw) ftw = g->W + g->pw;
    long flat_vecs = ((long)g->OH * ftw + 15) / 16;
    long fill = ((long)g->H * ftw + 15) / 16;
    if (g->sh == g->sw && flat_vecs < row_vecs && flat_vecs <= QDW_MAX_VECS && fill <= QDW_MAX_FILL) {
        pl->flat = 1;
        pl->tw = ftw;
        pl->nvec = (int)flat_vecs;
        pl->nfill = (int)fill;
        // Last vector: s * (16 * nvec - 1) + largest tap offset (+ 16 for the second
        // stride-2 load); at least all the input rows.
        size_t need = (size_t)g->sw * 16 * (size_t)flat_vecs + (size_t)(g->KH - 1) * g->dh * ftw +
                      (size_t)(g->KW - 1) * g->dw + 32;
        size_t in_rows = (size_t)rows * ftw, filled = (size_t)g->ph * ftw + 16 * (size_t)fill;
        pl->floats = need > in_rows ? need : in_rows;
        if (pl->floats < filled) pl->floats = filled;
        pl->th = (int)((pl->floats + ftw - 1) / ftw);
        pl->floats = (size_t)pl->th * ftw;
    } else {
        pl->flat = 0;
        pl->nfill = 0;
        pl->th = rows;
        pl->tw = cols;
        pl->nvec = (int)row_vecs;
        pl->floats = (size_t)rows * cols;
    }
    pl->floats = (pl->floats + 15) / 16 * 16;
    return 1;
}

/// Planes converted ahead of the arithmetic (so the loads do not wait on the masked
/// stores that just wrote the tile: store forwarding fails on those).
enum { QDW_GROUP = 8 };

int ok_qdw_tile_plan__avx512(const ok_qdw_geom *g, int *th, int *tw) {
    qdw_plan pl;
    if (!qdw_plan_make(g, &pl)) return 0;
    *th = pl.th;
    *tw = pl.tw;
    return 1;
}

size_t ok_qdw_tile_bytes__avx512(const ok_qdw_geom *g) {
    qdw_plan pl;
    if (!qdw_plan_make(g, &pl)) return 0;
    return OK_QALIGN64(sizeof(float) * pl.floats) * QDW_GROUP;
}

/// Sum over the KH x KW taps for 16 outputs whose first tap reads tile[base]
/// (stride s: lane i reads tile[base + s * i + tap offset]). kh_n / kw_n are
/// compile-time constants in the 3x3 instantiation.
OK_QDW_AVX512_TARGET static inline __attribute__((always_inline)) __m512 taps16(const ok_qdw_geom *g, int tw, const float *tile, size_t base,
                                                  const float *w, int kh_n, int kw_n) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    __m512 acc = _mm512_setzero_ps();
    for (int kh = 0; kh < kh_n; kh++) {
        const float *row = tile + base + (size_t)kh * g->dh * tw;
        for (int kw = 0; kw < kw_n; kw++) {
            __m512 wv = _mm512_set1_ps(w[kh * kw_n + kw]);
            __m512 v;
            if (g->sw == 1) {
                v = _mm512_loadu_ps(row + kw * g->dw);
            } else {
                const float *q = row + kw * g->dw;
                v = _mm512_permutex2var_ps(_mm512_loadu_ps(q), even, _mm512_loadu_ps(q + 16));
            }
            acc = _mm512_fmadd_ps(wv, v, acc);
        }
    }
    return acc;
}

typedef struct {
    int out;
    __m512i bias, zp;
    __m512 scale, fbias, lo, hi;
    int has_fbias;
} qdw_epi;

/// The rounding rule on 16 exact sums; the lanes of mask k are compressed to the
/// front and stored as popcount(k) consecutive outputs at y[at].
OK_QDW_AVX512_TARGET static inline __attribute__((always_inline)) int store16(const qdw_epi *e, __m512 sum, __mmask16 k, int compress, void *y,
                                               size_t at) {
    int n = compress ? __builtin_popcount((unsigned)k) : 16;
    __mmask16 km = compress ? (__mmask16)((1u << n) - 1u) : k;
    __m512i acc = _mm512_add_epi32(_mm512_cvtps_epi32(sum), e->bias);
    if (e->out == OK_QOUT_I32) {
        if (compress) acc = _mm512_maskz_compress_epi32(k, acc);
        _mm512_mask_storeu_epi32((int32_t *)y + at, km, acc);
        return n;
    }
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), e->scale);
    if (e->out == OK_QOUT_F32) {
        if (e->has_fbias) f = _mm512_add_ps(f, e->fbias);
        if (compress) f = _mm512_maskz_compress_ps(k, f);
        _mm512_mask_storeu_ps((float *)y + at, km, f);
        return n;
    }
    f = _mm512_min_ps(_mm512_max_ps(f, e->lo), e->hi);
    __m512i r = _mm512_add_epi32(_mm512_cvtps_epi32(f), e->zp);
    if (compress) r = _mm512_maskz_compress_epi32(k, r);
    _mm512_mask_cvtepi32_storeu_epi8((uint8_t *)y + at, km, r);
    return n;
}

/// 3x3, weights in registers, stride S (1 or 2, a constant after inlining): the
/// nine taps unrolled.
OK_QDW_AVX512_TARGET static inline __attribute__((always_inline)) __m512
taps3x3(const float *tile, size_t base, size_t r1, size_t r2, int dw, const __m512 *wv, int S) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const float *q[3] = {tile + base, tile + base + r1, tile + base + r2};
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    for (int kh = 0; kh < 3; kh++) {
        __m512 v0, v1, v2;
        if (S == 1) {
            v0 = _mm512_loadu_ps(q[kh]);
            v1 = _mm512_loadu_ps(q[kh] + dw);
            v2 = _mm512_loadu_ps(q[kh] + 2 * dw);
        } else {
            v0 = _mm512_permutex2var_ps(_mm512_loadu_ps(q[kh]), even, _mm512_loadu_ps(q[kh] + 16));
            v1 = _mm512_permutex2var_ps(_mm512_loadu_ps(q[kh] + dw), even, _mm512_loadu_ps(q[kh] + dw + 16));
            v2 = _mm512_permutex2var_ps(_mm512_loadu_ps(q[kh] + 2 * dw), even, _mm512_loadu_ps(q[kh] + 2 * dw + 16));
        }
        // Two chains (exact either way) to halve the FMA latency chain.
        a0 = _mm512_fmadd_ps(wv[kh * 3], v0, a0);
        a1 = _mm512_fmadd_ps(wv[kh * 3 + 1], v1, a1);
        a0 = _mm512_fmadd_ps(wv[kh * 3 + 2], v2, a0);
    }
    return _mm512_add_ps(a0, a1);
}

/// One plane: output vectors by rows or flat (see qdw_plan); 3x3 with stride 1 or 2
/// unrolled with the weights in registers, everything else through taps16.
OK_QDW_AVX512_TARGET static inline __attribute__((always_inline)) void
plane_body(const ok_qdw_geom *g, const qdw_plan *pl, const uint16_t *masks, const float *tile, const float *w,
           const qdw_epi *e0, void *y, int out, int k33, int s1) {
    qdw_epi ev = *e0;  // a local copy the byte stores cannot alias: constants stay in registers
    ev.out = out;
    const qdw_epi *e = &ev;
    const int tw = pl->tw;
    const size_t r1 = (size_t)g->dh * tw, r2 = 2 * r1;
    __m512 wv[9];
    if (k33)
        for (int i = 0; i < 9; i++) wv[i] = _mm512_set1_ps(w[i]);
#define QDW_SUM(base)                                                                                       \
    (k33 ? (s1 ? taps3x3(tile, (base), r1, r2, g->dw, wv, 1) : taps3x3(tile, (base), r1, r2, g->dw, wv, 2)) \
         : taps16(g, tw, tile, (base), w, g->KH, g->KW))
    if (pl->flat) {
        size_t at = 0;
        for (int v = 0; v < pl->nvec; v++) {
            size_t base = (size_t)g->sw * 16 * v;
            at += (size_t)store16(e, QDW_SUM(base), masks[v], 1, y, at);
        }
        return;
    }
    const int full = g->OW / 16 * 16;
    const __mmask16 tail = (__mmask16)((1u << (g->OW - full)) - 1u);
    for (int oh = 0; oh < g->OH; oh++) {
        size_t at = (size_t)oh * g->OW, row = (size_t)oh * g->sh * tw;
        for (int ow = 0; ow < g->OW; ow += 16) {
            size_t base = row + (size_t)ow * g->sw;
            store16(e, QDW_SUM(base), ow < full ? (__mmask16)0xffff : tail, 0, y, at + ow);
        }
    }
#undef QDW_SUM
}

/// plane_body with the output type, the 3x3 case and the stride as constants, so the
/// per-vector code has no branches on them (the loop was ~40 cycles per vector).
OK_QDW_AVX512_TARGET static void plane(const ok_qdw_geom *g, const qdw_plan *pl, const uint16_t *masks,
                                       const float *tile, const float *w, const qdw_epi *e, void *y) {
    const int k33 = g->KH == 3 && g->KW == 3, s1 = g->sw == 1;
#define QDW_OUT(o)                                                                        \
    do {                                                                                  \
        if (k33 && s1) plane_body(g, pl, masks, tile, w, e, y, (o), 1, 1);                \
        else if (k33) plane_body(g, pl, masks, tile, w, e, y, (o), 1, 0);                 \
        else plane_body(g, pl, masks, tile, w, e, y, (o), 0, s1);                         \
    } while (0)
    switch (e->out) {
    case OK_QOUT_I32: QDW_OUT(OK_QOUT_I32); break;
    case OK_QOUT_F32: QDW_OUT(OK_QOUT_F32); break;
    default: QDW_OUT(OK_QOUT_U8); break;  // U8 and S8 store the same low byte
    }
#undef QDW_OUT
}

/// Writes plane x - zx (H x W, u8 or s8) into the tile at (ph, pw).
OK_QDW_AVX512_TARGET static void tile_fill(const ok_qdw_geom *g, int tw, const uint8_t *x, int s8, int32_t zx,
                                           float *tile) {
    const __m512i z = _mm512_set1_epi32(zx);
    for (int ih = 0; ih < g->H; ih++) {
        const uint8_t *src = x + (size_t)ih * g->W;
        float *dst = tile + (size_t)(ih + g->ph) * tw + g->pw;
        for (int j = 0; j < g->W; j += 16) {
            __mmask16 k = g->W - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (g->W - j)) - 1u);
            __m128i b = _mm_maskz_loadu_epi8(k, src + j);
            __m512i v = s8 ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
            _mm512_mask_storeu_ps(dst + j, k, _mm512_cvtepi32_ps(_mm512_sub_epi32(v, z)));
        }
    }
}

/// Flat tiles: the input rows land at tile rows ph.. with pw + W <= tw, so the tile
/// from row ph on is a sequence of 16-float chunks in which mask fmask[v] marks the
/// input cells: each chunk is the next popcount input bytes, converted and expanded
/// (vexpandps) into those lanes with zeros elsewhere, one full store per chunk
/// instead of a masked store per (5-float) row.
OK_QDW_AVX512_TARGET static void tile_fill_flat(const ok_qdw_geom *g, const qdw_plan *pl, const uint16_t *fmask,
                                                const uint8_t *x, int s8, int32_t zx, float *tile) {
    const __m512i z = _mm512_set1_epi32(zx);
    float *dst = tile + (size_t)g->ph * pl->tw;
    for (int v = 0; v < pl->nfill; v++) {
        __mmask16 m = fmask[v];
        int n = __builtin_popcount((unsigned)m);
        __m128i b = _mm_maskz_loadu_epi8((__mmask16)((1u << n) - 1u), x);
        __m512i iv = s8 ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
        __m512 f = _mm512_cvtepi32_ps(_mm512_sub_epi32(iv, z));
        _mm512_storeu_ps(dst + 16 * (size_t)v, _mm512_maskz_expand_ps(m, f));
        x += n;
    }
}

OK_QDW_AVX512_TARGET void ok_qdw_planes__avx512(const ok_qdw_geom *g, const uint8_t *x, int tx, int32_t zx,
                                                const float *w, void *y, const ok_qepilogue *ep, int c0, int c1,
                                                int cout, float *tiles) {
    qdw_plan pl;
    if (!qdw_plan_make(g, &pl)) return;
    const size_t tstride = OK_QALIGN64(sizeof(float) * pl.floats) / sizeof(float);
    memset(tiles, 0, sizeof(float) * tstride * QDW_GROUP);
    uint16_t masks[QDW_MAX_VECS], fmask[QDW_MAX_FILL];
    if (pl.flat) {
        // Fill chunk lanes: tile cell ph * tw + 16v + i = (ph + r) * tw + col holds input
        // (r, col - pw) when r < H and pw <= col < pw + W.
        for (int v = 0; v < pl.nfill; v++) {
            unsigned m = 0;
            for (int i = 0; i < 16; i++) {
                long q = 16L * v + i, r = q / pl.tw, col = q % pl.tw;
                if (r < g->H && col >= g->pw && col < g->pw + g->W) m |= 1u << i;
            }
            fmask[v] = (uint16_t)m;
        }
        // Lane i of vector v is output q = 16v + i = oh * tw + ow: valid if ow < OW, oh < OH.
        for (int v = 0; v < pl.nvec; v++) {
            unsigned m = 0;
            for (int i = 0; i < 16; i++) {
                long q = 16L * v + i;
                if (q < (long)g->OH * pl.tw && q % pl.tw < g->OW) m |= 1u << i;
            }
            masks[v] = (uint16_t)m;
        }
    }
    const size_t in_sp = (size_t)g->H * g->W, out_sp = (size_t)g->OH * g->OW;
    const size_t es = ep->out == OK_QOUT_I32 || ep->out == OK_QOUT_F32 ? 4 : 1;
    const size_t kv = (size_t)g->KH * g->KW;
    qdw_epi e;
    e.out = ep->out;
    e.zp = _mm512_set1_epi32(ep->out_zero_point);
    e.lo = _mm512_set1_ps((float)(ep->qmin - ep->out_zero_point));
    e.hi = _mm512_set1_ps((float)(ep->qmax - ep->out_zero_point));
    e.has_fbias = ep->fbias != NULL;
    for (int g0 = c0; g0 < c1; g0 += QDW_GROUP) {
        int g1 = g0 + QDW_GROUP < c1 ? g0 + QDW_GROUP : c1;
        for (int pc = g0; pc < g1; pc++) {
            float *tile = tiles + (size_t)(pc - g0) * tstride;
            if (pl.flat) tile_fill_flat(g, &pl, fmask, x + (size_t)pc * in_sp, tx == OK_QTYPE_S8, zx, tile);
            else tile_fill(g, pl.tw, x + (size_t)pc * in_sp, tx == OK_QTYPE_S8, zx, tile);
        }
        for (int pc = g0; pc < g1; pc++) {
            int c = pc % cout;  // planes run over batch x channels
            e.bias = _mm512_set1_epi32(ep->bias ? ep->bias[c] : 0);
            e.scale = _mm512_set1_ps(!ep->scale ? 1.0f : ep->scale[ep->scale_per == OK_QPER_ROW ? c : 0]);
            e.fbias = _mm512_set1_ps(ep->fbias ? ep->fbias[c] : 0.0f);
            const float *tile = tiles + (size_t)(pc - g0) * tstride;
            void *yc = (char *)y + (size_t)pc * out_sp * es;
            plane(g, &pl, masks, tile, w + (size_t)c * kv, &e, yc);
        }
    }
}
#endif
