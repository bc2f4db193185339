// Int8 depthwise 2-D convolution on narrow planes, AVX-512, vectorised across
// channels: the int8 twin of conv_depthwise_channels.c.
//
// Why: the plane kernels (qconv_dw_vnni.c, qconv_dw_avx512.c) pay a fixed cost per
// plane (padded copy, dword expansion, a few partly filled vectors): on MobileNet's
// 8x8 and 4x4 layers (192-480 channels of 16-64 outputs) that made int8 slower than
// our float path, which runs these layers vectorised across channels. Here a block of
// 16 channels is transposed into a [Hp][Wp][16] tile of x - zx as float (padding 0),
// every output pixel is KH*KW FMAs of whole vectors (one lane per channel), and the
// [OH*OW][16] sums are transposed back and requantized 16 outputs of a channel at a
// time.
//
// Exact: x - zx and w - zw are integers of magnitude <= 255, so every partial sum of
// at most OK_QDWC_MAX_TAPS products is an integer below 2^24 and float adds / FMAs
// are exact in any order; the sum converts to the int32 the integer kernels compute.
// Then the bias is added in wrapping int32 and the rounding rule of
// docs/int8-kernels.md applies (the operations of ok_qepi__avx512: float(acc) * scale,
// clamp, round to nearest even, + zero point). The readable twin is
// ok_qconv_reference.
#include "qgemm_internal.h"
#include "ok_transpose16.h"

#include <string.h>

#if OK_Q_X86
#include <immintrin.h>

#define OK_QDWC_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))

enum { QDWC_TILE_FLOATS = 8192 };  // per tile (input and output): 32 KB each

static void qdwc_extent(const ok_qdw_geom *g, int *Hp, int *Wp) {
    int hp = (g->OH - 1) * g->sh + (g->KH - 1) * g->dh + 1, wp = (g->OW - 1) * g->sw + (g->KW - 1) * g->dw + 1;
    if (hp < g->H + g->ph) hp = g->H + g->ph;
    if (wp < g->W + g->pw) wp = g->W + g->pw;
    *Hp = hp;
    *Wp = wp;
}

int ok_qdw_channels_fits__avx512(const ok_qdw_geom *g) {
    if (g->KH * g->KW > OK_QDWC_MAX_TAPS) return 0;
    int Hp, Wp;
    qdwc_extent(g, &Hp, &Wp);
    return (size_t)Hp * Wp * 16 <= QDWC_TILE_FLOATS && (size_t)g->OH * g->OW * 16 <= QDWC_TILE_FLOATS;
}

size_t ok_qdw_channels_bytes__avx512(void) { return 2 * sizeof(float) * QDWC_TILE_FLOATS + 64; }


/// Channels [0, nc) of the block (planes x + c * H*W) into the tile as x - zx
/// (lanes >= nc and the padding stay 0), 16 input pixels per transpose.
OK_QDWC_TARGET static void qdwc_fill(const ok_qdw_geom *g, int Wp, const uint8_t *x, int nc, int s8, __m512i zx,
                                     float *tile) {
    const int P = g->H * g->W;
    int ih = 0, iw = 0;
    for (int p0 = 0; p0 < P; p0 += 16) {
        int np = P - p0 < 16 ? P - p0 : 16;
        __mmask16 m = (__mmask16)((1u << np) - 1u);
        __m512 r[16];
        for (int c = 0; c < 16; c++) {
            if (c >= nc) {
                r[c] = _mm512_setzero_ps();
                continue;
            }
            __m128i b = _mm_maskz_loadu_epi8(m, x + (size_t)c * P + p0);
            __m512i v = s8 ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
            r[c] = _mm512_cvtepi32_ps(_mm512_sub_epi32(v, zx));
        }
        ok_transpose16x16_ps(r);
        // (ih, iw) of input pixel p0 + i stepped, not divided: a division per pixel was
        // the largest single cost of kws' 25x5 layers.
        for (int i = 0; i < np; i++) {
            _mm512_store_ps(tile + ((size_t)(ih + g->ph) * Wp + iw + g->pw) * 16, r[i]);
            if (++iw == g->W) { iw = 0; ih++; }
        }
    }
}

/// out[(oh*OW + ow)*16 + c] = sum over taps of wt[tap][c] * tile[...] (3x3: nine
/// weight vectors in registers).
OK_QDWC_TARGET static void qdwc_sums(const ok_qdw_geom *g, int Wp, const float *tile, const float *wt, float *out) {
    const int OH = g->OH, OW = g->OW, KH = g->KH, KW = g->KW, sh = g->sh, sw = g->sw, dh = g->dh, dw = g->dw;
    if (KH == 3 && KW == 3 && dh == 1 && dw == 1) {
        __m512 w[9];
        for (int i = 0; i < 9; i++) w[i] = _mm512_load_ps(wt + i * 16);
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                const float *t = tile + ((size_t)(oh * sh) * Wp + ow * sw) * 16;
                __m512 a0 = _mm512_mul_ps(w[0], _mm512_load_ps(t));
                __m512 a1 = _mm512_mul_ps(w[3], _mm512_load_ps(t + (size_t)Wp * 16));
                __m512 a2 = _mm512_mul_ps(w[6], _mm512_load_ps(t + (size_t)2 * Wp * 16));
                for (int kw = 1; kw < 3; kw++) {
                    a0 = _mm512_fmadd_ps(w[kw], _mm512_load_ps(t + kw * 16), a0);
                    a1 = _mm512_fmadd_ps(w[3 + kw], _mm512_load_ps(t + (size_t)Wp * 16 + kw * 16), a1);
                    a2 = _mm512_fmadd_ps(w[6 + kw], _mm512_load_ps(t + (size_t)2 * Wp * 16 + kw * 16), a2);
                }
                _mm512_store_ps(out + ((size_t)oh * OW + ow) * 16, _mm512_add_ps(_mm512_add_ps(a0, a1), a2));
            }
        return;
    }
    for (int oh = 0; oh < OH; oh++)
        for (int ow = 0; ow < OW; ow++) {
            __m512 acc = _mm512_setzero_ps();
            const float *t = tile + ((size_t)(oh * sh) * Wp + ow * sw) * 16;
            for (int kh = 0; kh < KH; kh++) {
                const float *r = t + (size_t)kh * dh * Wp * 16;
                for (int kw = 0; kw < KW; kw++)
                    acc = _mm512_fmadd_ps(_mm512_load_ps(wt + (kh * KW + kw) * 16), _mm512_load_ps(r + kw * dw * 16), acc);
            }
            _mm512_store_ps(out + ((size_t)oh * OW + ow) * 16, acc);
        }
}

/// The sums of channels [0, nc) back to planes y + c * OH*OW through the epilogue
/// (channel c0 + c: bias, scale, float bias per channel or per tensor).
OK_QDWC_TARGET static void qdwc_store(const ok_qdw_geom *g, const float *out, int c0, int nc,
                                      const ok_qepilogue *ep, void *y) {
    const int P = g->OH * g->OW, kind = ep->out;
    const __m512 lo = _mm512_set1_ps((float)(ep->qmin - ep->out_zero_point));
    const __m512 hi = _mm512_set1_ps((float)(ep->qmax - ep->out_zero_point));
    const __m512i zp = _mm512_set1_epi32(ep->out_zero_point);
    // Per channel of the block: bias, scale (1 without), float bias (0 without), read
    // once here (in the loop the compiler reloaded them after every output store).
    int32_t bias[16];
    float scale[16], fbias[16];
    for (int c = 0; c < 16; c++) {
        int ch = c0 + (c < nc ? c : 0);
        bias[c] = ep->bias ? ep->bias[ch] : 0;
        scale[c] = ep->scale ? ep->scale[ep->scale_per == OK_QPER_ROW ? ch : 0] : 1.0f;
        fbias[c] = ep->fbias ? ep->fbias[ch] : 0.0f;
    }
    const int has_fbias = ep->fbias != NULL;
    for (int p0 = 0; p0 < P; p0 += 16) {
        int np = P - p0 < 16 ? P - p0 : 16;
        __mmask16 m = (__mmask16)((1u << np) - 1u);
        __m512 r[16];
        for (int i = 0; i < 16; i++) r[i] = i < np ? _mm512_load_ps(out + (size_t)(p0 + i) * 16) : _mm512_setzero_ps();
        ok_transpose16x16_ps(r);
        for (int c = 0; c < nc; c++) {
            // The exact integer sum, then bias in wrapping int32 (as the integer kernels).
            __m512i acc = _mm512_add_epi32(_mm512_cvtps_epi32(r[c]), _mm512_set1_epi32(bias[c]));
            size_t at = (size_t)(c0 + c) * P + p0;
            if (kind == OK_QOUT_I32) {
                _mm512_mask_storeu_epi32((int32_t *)y + at, m, acc);
                continue;
            }
            // (x * 1.0f is x: no scale is the same as scale 1.)
            __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_set1_ps(scale[c]));
            if (kind == OK_QOUT_F32) {
                if (has_fbias) f = _mm512_add_ps(f, _mm512_set1_ps(fbias[c]));
                _mm512_mask_storeu_ps((float *)y + at, m, f);
                continue;
            }
            f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
            _mm512_mask_cvtepi32_storeu_epi8((uint8_t *)y + at, m, _mm512_add_epi32(_mm512_cvtps_epi32(f), zp));
        }
    }
}

OK_QDWC_TARGET void ok_qdw_channels__avx512(const ok_qdw_geom *g, const uint8_t *x, int tx, int32_t zx,
                                            const float *wblocks, void *y, const ok_qepilogue *ep, int b0, int b1,
                                            int cout, void *ws) {
    int Hp, Wp;
    qdwc_extent(g, &Hp, &Wp);
    float *tile = (float *)(((uintptr_t)ws + 63) & ~(uintptr_t)63), *out = tile + QDWC_TILE_FLOATS;
    const int blocks = (cout + 15) / 16, kv = g->KH * g->KW, s8 = tx == OK_QTYPE_S8;
    const size_t in_sp = (size_t)g->H * g->W, out_sp = (size_t)g->OH * g->OW;
    const size_t es = ep->out == OK_QOUT_I32 || ep->out == OK_QOUT_F32 ? 4 : 1;
    const __m512i zxv = _mm512_set1_epi32(zx);
    memset(tile, 0, sizeof(float) * (size_t)Hp * Wp * 16);  // padding: x - zx = 0, set once
    for (int t = b0; t < b1; t++) {
        const int n = t / blocks, c0 = t % blocks * 16, nc = cout - c0 < 16 ? cout - c0 : 16;
        qdwc_fill(g, Wp, x + ((size_t)n * cout + c0) * in_sp, nc, s8, zxv, tile);
        qdwc_sums(g, Wp, tile, wblocks + (size_t)(c0 / 16) * kv * 16, out);
        qdwc_store(g, out, c0, nc, ep, (char *)y + (size_t)n * cout * out_sp * es);
    }
}
#endif
