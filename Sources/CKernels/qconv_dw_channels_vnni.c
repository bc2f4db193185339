// Int8 depthwise 2-D convolution on narrow planes, AVX-512 VNNI + VBMI, vectorised
// across channels with integer dot products: the integer twin of
// qconv_dw_channels_avx512.c.
//
// Why: the float channel kernel spends most of its time converting and transposing:
// every input byte becomes a float (load, widen, subtract, convert), 16x16 float
// transposes take the planes to [pixel][16 channels] and back (64 shuffles per 256
// values each way), and every tap is one FMA. kws' 64-channel 25x5 layers ran at
// ~10 multiply-adds per cycle. Here the data stays in bytes:
// - the tile is [Hp][Wp][16] bytes in the u8 domain (x ^ flip, padding = the zero
//   point byte), filled by a 16x16 byte transpose (vpermt2b: 3 instructions per 64
//   bytes) from 16 bytes of 16 channel planes;
// - a tap group (kh, taps kw = 4g .. 4g+3) of one output pixel is one unaligned
//   64-byte load of the 4 neighbouring tile cells and one vpermb that puts the 4 taps
//   of each channel into its dword: then vpdpbusd with the 16 channels' 4 s8 weights
//   adds them to the channel's int32 lane (a 3x3 is 3 loads, 3 vpermb, 3 vpdpbusd per
//   16 outputs);
// - the sums go through the rounding rule with per-lane (per-channel) constants, are
//   narrowed to 16 bytes per pixel and transposed back to planes as bytes.
// (I32 / F32 outputs are transposed back as 32-bit values with the float transpose.)
//
// Exact as qconv_dw_vnni.c: acc = (bias - zx' * sum w') + sum x' w', x' the u8-domain
// input (s8 flipped with ^ 0x80, zero point zx' = zx + 128), w' = w - zw stored as s8
// (the packer's copy, used only when every w' of the layer fits), vpdpbusd adds four
// u8 x s8 products into the int32 lane without saturation, padding cells are zx' and
// the correction removes their zx' w'; taps past KW have weight 0 (they read the next
// cells of the tile, inside the buffer). The int32 wraps like the reference. Then the
// rounding rule of docs/int8-kernels.md, the operations of ok_qepi__avx512.
// The readable twin is ok_qconv_reference.
#include "qgemm_internal.h"
#include "ok_transpose16.h"

#include <string.h>

#if OK_Q_X86
#include <immintrin.h>

#define OK_QDWCV_TARGET \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi,avx2,fma")))

enum {
    QDWCV_TILE_CELLS = 2048,  // tile bytes <= 32 KB (16 bytes per cell), in L1 with the weights
    QDWCV_SLACK = 64,         // the last tap group's load reads up to 3 cells past the tile
    QDWCV_MAX_GROUPS = 16,    // KH * ceil(KW / 4) weight vectors, kept in registers / on the stack
};

static void qdwcv_extent(const ok_qdw_geom *g, int *Hp, int *Wp) {
    int hp = (g->OH - 1) * g->sh + (g->KH - 1) * g->dh + 1, wp = (g->OW - 1) * g->sw + g->KW;
    if (hp < g->H + g->ph) hp = g->H + g->ph;
    if (wp < g->W + g->pw) wp = g->W + g->pw;
    *Hp = hp;
    *Wp = wp;
}

int ok_qdw_channels_fits__vnni(const ok_qdw_geom *g) {
    if (g->dw != 1 || g->KH * ((g->KW + 3) / 4) > QDWCV_MAX_GROUPS) return 0;
    int Hp, Wp;
    qdwcv_extent(g, &Hp, &Wp);
    return (size_t)Hp * Wp <= QDWCV_TILE_CELLS;
}

/// Tile, its slack, 16 pixels x 16 channels of 32-bit results staged for the transpose
/// back, and the cell offsets of the input and output pixels (each fewer than cells).
size_t ok_qdw_channels_bytes__vnni(void) {
    return 64 + OK_QALIGN64(16 * QDWCV_TILE_CELLS + QDWCV_SLACK) + 16 * 16 * 4 + 2 * 4 * (QDWCV_TILE_CELLS + 16);
}

/// pidx[k] byte 16i + p = ((p / 4) & 1) * 64 + 16k + 4 * (p % 4) + i: channel 4k + i of
/// pixel p in the packed layout of qdwcv_outputs.
static const uint8_t QDWCV_UNPACK[4][64] = {
    {
     0, 4, 8, 12, 64, 68, 72, 76, 0, 4, 8, 12, 64, 68, 72, 76,
     1, 5, 9, 13, 65, 69, 73, 77, 1, 5, 9, 13, 65, 69, 73, 77,
     2, 6, 10, 14, 66, 70, 74, 78, 2, 6, 10, 14, 66, 70, 74, 78,
     3, 7, 11, 15, 67, 71, 75, 79, 3, 7, 11, 15, 67, 71, 75, 79},
    {
     16, 20, 24, 28, 80, 84, 88, 92, 16, 20, 24, 28, 80, 84, 88, 92,
     17, 21, 25, 29, 81, 85, 89, 93, 17, 21, 25, 29, 81, 85, 89, 93,
     18, 22, 26, 30, 82, 86, 90, 94, 18, 22, 26, 30, 82, 86, 90, 94,
     19, 23, 27, 31, 83, 87, 91, 95, 19, 23, 27, 31, 83, 87, 91, 95},
    {
     32, 36, 40, 44, 96, 100, 104, 108, 32, 36, 40, 44, 96, 100, 104, 108,
     33, 37, 41, 45, 97, 101, 105, 109, 33, 37, 41, 45, 97, 101, 105, 109,
     34, 38, 42, 46, 98, 102, 106, 110, 34, 38, 42, 46, 98, 102, 106, 110,
     35, 39, 43, 47, 99, 103, 107, 111, 35, 39, 43, 47, 99, 103, 107, 111},
    {
     48, 52, 56, 60, 112, 116, 120, 124, 48, 52, 56, 60, 112, 116, 120, 124,
     49, 53, 57, 61, 113, 117, 121, 125, 49, 53, 57, 61, 113, 117, 121, 125,
     50, 54, 58, 62, 114, 118, 122, 126, 50, 54, 58, 62, 114, 118, 122, 126,
     51, 55, 59, 63, 115, 119, 123, 127, 51, 55, 59, 63, 115, 119, 123, 127}};

/// Output dword c takes bytes c, 16 + c, 32 + c, 48 + c: channel c's 4 taps.
static const uint8_t QDWCV_TAPS[64] = {
     0, 16, 32, 48, 1, 17, 33, 49, 2, 18, 34, 50, 3, 19, 35, 51,
     4, 20, 36, 52, 5, 21, 37, 53, 6, 22, 38, 54, 7, 23, 39, 55,
     8, 24, 40, 56, 9, 25, 41, 57, 10, 26, 42, 58, 11, 27, 43, 59,
     12, 28, 44, 60, 13, 29, 45, 61, 14, 30, 46, 62, 15, 31, 47, 63};


/// 16 bytes of row (channel) r of a block from plane x + r * P, pixels [p0, p0 + np).
OK_QDWCV_TARGET static inline __m128i row16(const uint8_t *x, size_t P, int r, int nc, size_t p0, __mmask16 m,
                                            __m128i flip) {
    if (r >= nc) return _mm_setzero_si128();
    return _mm_xor_si128(_mm_maskz_loadu_epi8(m, x + (size_t)r * P + p0), flip);
}

/// Channels [0, nc) of the block (planes x + c * H*W) into the tile's input cells as
/// u8-domain bytes, 16 input pixels per byte transpose; cell[p] = byte offset of input
/// pixel p's cell (P rounded up to 16; the extra entries are never stored to).
OK_QDWCV_TARGET static void qdwcv_fill(size_t P, const uint32_t *cell, const uint8_t *x, int nc, __m128i flip,
                                       uint8_t *tile) {
    for (size_t p0 = 0; p0 < P; p0 += 16) {
        const int np = P - p0 < 16 ? (int)(P - p0) : 16;
        const __mmask16 m = (__mmask16)((1u << np) - 1u);
        __m512i z[4], o[4];
        for (int q = 0; q < 4; q++) {
            __m512i v = _mm512_castsi128_si512(row16(x, P, 4 * q, nc, p0, m, flip));
            v = _mm512_inserti32x4(v, row16(x, P, 4 * q + 1, nc, p0, m, flip), 1);
            v = _mm512_inserti32x4(v, row16(x, P, 4 * q + 2, nc, p0, m, flip), 2);
            z[q] = _mm512_inserti32x4(v, row16(x, P, 4 * q + 3, nc, p0, m, flip), 3);
        }
        ok_transpose16x16_u8(z, o);
        // o[k] holds pixels p0 + 4k .. + 3, 16 channel bytes each.
        const uint32_t *c = cell + p0;
        for (int k = 0; k < 4 && 4 * k < np; k++) {
            if (4 * k + 3 < np && c[4 * k + 3] == c[4 * k] + 48) {  // four cells in a row: one store
                _mm512_storeu_si512(tile + c[4 * k], o[k]);
                continue;
            }
            _mm_storeu_si128((__m128i *)(tile + c[4 * k]), _mm512_castsi512_si128(o[k]));
            if (4 * k + 1 < np) _mm_storeu_si128((__m128i *)(tile + c[4 * k + 1]), _mm512_extracti32x4_epi32(o[k], 1));
            if (4 * k + 2 < np) _mm_storeu_si128((__m128i *)(tile + c[4 * k + 2]), _mm512_extracti32x4_epi32(o[k], 2));
            if (4 * k + 3 < np) _mm_storeu_si128((__m128i *)(tile + c[4 * k + 3]), _mm512_extracti32x4_epi32(o[k], 3));
        }
    }
}

typedef struct {
    __m512i corr, zp;
    __m512 scale, fbias, lo, hi;
    int has_fbias;
} qdwcv_epi;

/// Per-lane (channel c0 + lane) constants of one block: bias - zx' * sum w' (wrapping
/// int32), scale (1 without), float bias.
OK_QDWCV_TARGET static qdwcv_epi qdwcv_epi_make(const ok_qepilogue *ep, const int32_t *wsum, int32_t zxd, int c0,
                                               int nc) {
    qdwcv_epi e;
    const __mmask16 m = (__mmask16)((1u << nc) - 1u);
    __m512i bias = ep->bias ? _mm512_maskz_loadu_epi32(m, ep->bias + c0) : _mm512_setzero_si512();
    e.corr = _mm512_sub_epi32(bias, _mm512_mullo_epi32(_mm512_set1_epi32(zxd), _mm512_maskz_loadu_epi32(m, wsum + c0)));
    if (!ep->scale) e.scale = _mm512_set1_ps(1.0f);
    else if (ep->scale_per == OK_QPER_ROW) e.scale = _mm512_maskz_loadu_ps(m, ep->scale + c0);
    else e.scale = _mm512_set1_ps(ep->scale[0]);
    e.has_fbias = ep->fbias != NULL;
    e.fbias = e.has_fbias ? _mm512_maskz_loadu_ps(m, ep->fbias + c0) : _mm512_setzero_ps();
    e.zp = _mm512_set1_epi32(ep->out_zero_point);
    e.lo = _mm512_set1_ps((float)(ep->qmin - ep->out_zero_point));
    e.hi = _mm512_set1_ps((float)(ep->qmax - ep->out_zero_point));
    return e;
}

/// The int32 sums of the output pixel whose top-left tap is at t: KH rows of G tap
/// groups; w[kh * G + g] lane c = the 4 s8 taps of channel c.
OK_QDWCV_TARGET static inline __attribute__((always_inline)) __m512i
sums16(const uint8_t *t, size_t row_bytes, int KH, int G, const __m512i *w, __m512i qidx, __m512i acc) {
    for (int kh = 0; kh < KH; kh++, t += row_bytes)
        for (int gi = 0; gi < G; gi++)
            acc = _mm512_dpbusd_epi32(acc, _mm512_permutexvar_epi8(qidx, _mm512_loadu_si512(t + 64 * gi)),
                                      w[kh * G + gi]);
    return acc;
}

/// The rounding rule on one pixel's 16 channel sums, up to the int32 output value.
OK_QDWCV_TARGET static inline __attribute__((always_inline)) __m512i requant(const qdwcv_epi *e, __m512i acc) {
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), e->scale);
    f = _mm512_min_ps(_mm512_max_ps(f, e->lo), e->hi);
    return _mm512_add_epi32(_mm512_cvtps_epi32(f), e->zp);
}

/// Output pixels of one block (ocell[p] = byte offset of output pixel p's top-left
/// tap, P rounded up to 16 with offset 0): sums, the rounding rule per lane, 16
/// pixels at a time transposed back into planes y + c * OH*OW, c < nc.
/// U8 / S8: four pixels' values (in [qmin, qmax] after the clamp, so the saturating
/// packs are exact) pack into y4[j] byte 16l + 4q + i = pixel 4j + q, channel 4l + i
/// (packssdw / packuswb or packsswb work within 128-bit lanes), and vpermt2b with
/// pidx takes them to rows of 16 pixels per channel. (vpmovdb to memory per pixel
/// was the slowest instruction of the loop.) I32 / F32: 32-bit values staged per
/// pixel and transposed as floats.
OK_QDWCV_TARGET static inline __attribute__((always_inline)) void
qdwcv_outputs(const ok_qdw_geom *g, int Wp, const uint32_t *ocell, const uint8_t *tile, const __m512i *w,
              __m512i qidx, const qdwcv_epi *e, int nc, const __m512i pidx[4], float *stage, void *y, int out,
              int s8out) {
    const size_t P = (size_t)g->OH * g->OW, row_bytes = (size_t)g->dh * Wp * 16;
    const int G = (g->KW + 3) / 4, KH = g->KH, k33 = KH == 3 && G == 1;
    const __mmask64 hi = 0xff00ff00ff00ff00ull;
#define QDWCV_SUM(p) (k33 ? sums16(tile + ocell[p], row_bytes, 3, 1, w, qidx, e->corr) \
                          : sums16(tile + ocell[p], row_bytes, KH, G, w, qidx, e->corr))
    for (size_t p0 = 0; p0 < P; p0 += 16) {
        const int np = P - p0 < 16 ? (int)(P - p0) : 16;
        const __mmask16 m = (__mmask16)((1u << np) - 1u);
        if (out == OK_QOUT_U8) {
            __m512i y4[4];
            for (int j = 0; j < 4; j++) {
                const size_t p = p0 + 4 * (size_t)j;
                __m512i a = requant(e, QDWCV_SUM(p)), b = requant(e, QDWCV_SUM(p + 1));
                __m512i c = requant(e, QDWCV_SUM(p + 2)), d = requant(e, QDWCV_SUM(p + 3));
                __m512i ab = _mm512_packs_epi32(a, b), cd = _mm512_packs_epi32(c, d);
                y4[j] = s8out ? _mm512_packs_epi16(ab, cd) : _mm512_packus_epi16(ab, cd);
            }
            for (int k = 0; k < 4 && 4 * k < nc; k++) {
                __m512i r = _mm512_mask_blend_epi8(hi, _mm512_permutex2var_epi8(y4[0], pidx[k], y4[1]),
                                                   _mm512_permutex2var_epi8(y4[2], pidx[k], y4[3]));
                uint8_t *yc = (uint8_t *)y + (size_t)4 * k * P + p0;
                _mm_mask_storeu_epi8(yc, m, _mm512_castsi512_si128(r));
                if (4 * k + 1 < nc) _mm_mask_storeu_epi8(yc + P, m, _mm512_extracti32x4_epi32(r, 1));
                if (4 * k + 2 < nc) _mm_mask_storeu_epi8(yc + 2 * P, m, _mm512_extracti32x4_epi32(r, 2));
                if (4 * k + 3 < nc) _mm_mask_storeu_epi8(yc + 3 * P, m, _mm512_extracti32x4_epi32(r, 3));
            }
            continue;
        }
        for (int i = 0; i < 16; i++) {
            __m512i acc = QDWCV_SUM(p0 + i);
            if (out == OK_QOUT_I32) {
                _mm512_store_ps(stage + 16 * i, _mm512_castsi512_ps(acc));
                continue;
            }
            __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), e->scale);
            if (e->has_fbias) f = _mm512_add_ps(f, e->fbias);
            _mm512_store_ps(stage + 16 * i, f);
        }
        __m512 r[16];
        for (int i = 0; i < 16; i++) r[i] = _mm512_load_ps(stage + 16 * i);
        ok_transpose16x16_ps(r);
        for (int c = 0; c < nc; c++) _mm512_mask_storeu_ps((float *)y + (size_t)c * P + p0, m, r[c]);
    }
#undef QDWCV_SUM
}

OK_QDWCV_TARGET void ok_qdw_channels__vnni(const ok_qdw_geom *g, const uint8_t *x, int tx, int32_t zx,
                                           const int32_t *wq, const int32_t *wsum, void *y, const ok_qepilogue *ep,
                                           int b0, int b1, int cout, void *ws) {
    int Hp, Wp;
    qdwcv_extent(g, &Hp, &Wp);
    const size_t in_sp = (size_t)g->H * g->W, out_sp = (size_t)g->OH * g->OW;
    uint8_t *tile = (uint8_t *)(((uintptr_t)ws + 63) & ~(uintptr_t)63);
    float *stage = (float *)(tile + OK_QALIGN64((size_t)Hp * Wp * 16 + QDWCV_SLACK));
    uint32_t *cell = (uint32_t *)(stage + 256), *ocell = cell + (in_sp + 15) / 16 * 16;
    const int blocks = (cout + 15) / 16, G = (g->KW + 3) / 4, ng = g->KH * G;
    const int s8 = tx == OK_QTYPE_S8;
    const int32_t zxd = s8 ? zx + 128 : zx;
    const __m128i flip = _mm_set1_epi8(s8 ? (char)0x80 : 0);
    const size_t es = ep->out == OK_QOUT_I32 || ep->out == OK_QOUT_F32 ? 4 : 1;
    // Input pixel p -> its cell (ih + ph, iw + pw); output pixel p -> the cell of its
    // top-left tap (oh * sh, ow * sw); byte offsets, 16 per vector store (the entries
    // past the last pixel are overwritten by the next row or end as 0).
    {
        const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        const __m512i in_step = _mm512_slli_epi32(lane, 4), out_step = _mm512_mullo_epi32(lane, _mm512_set1_epi32(16 * g->sw));
        size_t p = 0;
        for (int ih = 0; ih < g->H; ih++, p += (size_t)g->W) {
            const int base = ((ih + g->ph) * Wp + g->pw) * 16;
            for (int iw = 0; iw < g->W; iw += 16)
                _mm512_storeu_si512(cell + p + iw, _mm512_add_epi32(_mm512_set1_epi32(base + 16 * iw), in_step));
        }
        _mm512_storeu_si512(cell + p, _mm512_setzero_si512());
        p = 0;
        for (int oh = 0; oh < g->OH; oh++, p += (size_t)g->OW) {
            const int base = oh * g->sh * Wp * 16;
            for (int ow = 0; ow < g->OW; ow += 16)
                _mm512_storeu_si512(ocell + p + ow,
                                    _mm512_add_epi32(_mm512_set1_epi32(base + 16 * g->sw * ow), out_step));
        }
        _mm512_storeu_si512(ocell + p, _mm512_setzero_si512());
    }
    __m512i pidx[4];
    for (int k = 0; k < 4; k++) pidx[k] = _mm512_loadu_si512(QDWCV_UNPACK[k]);
    const __m512i qidx = _mm512_loadu_si512(QDWCV_TAPS);
    // Padding = the zero-point byte, set once: the blocks only rewrite the input cells,
    // so only the cells around them (and the slack) are set here.
    {
        const size_t row = (size_t)Wp * 16;
        memset(tile, (uint8_t)zxd, (size_t)g->ph * row);
        for (int r = g->ph; r < g->ph + g->H; r++) {
            uint8_t *t = tile + (size_t)r * row;
            memset(t, (uint8_t)zxd, (size_t)g->pw * 16);
            memset(t + (size_t)(g->pw + g->W) * 16, (uint8_t)zxd, (size_t)(Wp - g->pw - g->W) * 16);
        }
        memset(tile + (size_t)(g->ph + g->H) * row, (uint8_t)zxd, (size_t)(Hp - g->ph - g->H) * row + QDWCV_SLACK);
    }
    const __m512i at = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                          _mm512_set1_epi32(ng));
    __m512i w[QDWCV_MAX_GROUPS];
    for (int t = b0; t < b1; t++) {
        const int n = t / blocks, c0 = t % blocks * 16, nc = cout - c0 < 16 ? cout - c0 : 16;
        const __mmask16 m = (__mmask16)((1u << nc) - 1u);
        // w[j] lane c = wq[(c0 + c) * ng + j] (channels past cout: 0).
        for (int j = 0; j < ng; j++)
            w[j] = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, at, wq + (size_t)c0 * ng + j, 4);
        const qdwcv_epi e = qdwcv_epi_make(ep, wsum, zxd, c0, nc);
        qdwcv_fill(in_sp, cell, x + ((size_t)n * cout + c0) * in_sp, nc, flip, tile);
        char *yb = (char *)y + ((size_t)n * cout + c0) * out_sp * es;
        switch (ep->out) {
        case OK_QOUT_I32: qdwcv_outputs(g, Wp, ocell, tile, w, qidx, &e, nc, pidx, stage, yb, OK_QOUT_I32, 0); break;
        case OK_QOUT_F32: qdwcv_outputs(g, Wp, ocell, tile, w, qidx, &e, nc, pidx, stage, yb, OK_QOUT_F32, 0); break;
        case OK_QOUT_S8: qdwcv_outputs(g, Wp, ocell, tile, w, qidx, &e, nc, pidx, stage, yb, OK_QOUT_U8, 1); break;
        default: qdwcv_outputs(g, Wp, ocell, tile, w, qidx, &e, nc, pidx, stage, yb, OK_QOUT_U8, 0); break;
        }
    }
}
#endif
