// Shared by the AVX-512 VNNI int8 convolution kernels on NCHW planes (depthwise:
// qconv_dw_vnni.c, direct: qconv_direct_vnni.c): the zero-point-padded plane P, its
// dword expansion Q (Q[j] = P[s*j .. s*j + 3], four taps along the kernel row per
// int32 lane, what vpdpbusd multiplies) and the fused epilogue store. See
// qconv_dw_vnni.c for the layout and the exactness argument.
#ifndef OUTPOST_QCONV_VNNI_PLANES_H
#define OUTPOST_QCONV_VNNI_PLANES_H
#include "qgemm_internal.h"

#include <string.h>

#if OK_Q_X86
#include <immintrin.h>

#define OK_QDWV_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma")))

enum { QDWV_MAX_VECS = 1024, QDWV_MAX_FILL = 1024, QDWV_GROUP = 4, QDWV_MAX_TAPGROUPS = 64 };

typedef struct {
    int flat, tw, th, G, nvec;
    size_t qlen;    // dwords of Q (multiple of 16)
    size_t pbytes;  // bytes of P (th * tw + load slack)
} qdwv_plan;

static inline int qdwv_plan_make(const ok_qdw_geom *g, qdwv_plan *pl) {
    if (g->sw != 1 && g->sw != 2) return 0;
    if (g->dw != 1 || g->sh < 1 || g->dh < 1) return 0;
    const int s = g->sw, G = (g->KW + 3) / 4;
    if (g->KH * G > QDWV_MAX_TAPGROUPS) return 0;
    int tw = g->W + g->pw;
    if (tw < s * (g->OW - 1) + g->KW) tw = s * (g->OW - 1) + g->KW;
    if (s == 2 && (tw & 1)) tw++;
    const int owr = (g->OW + 15) / 16 * 16;
    const long offmax = ((long)(g->KH - 1) * g->dh * tw + 4L * (G - 1)) / s;
    long row_vecs = (long)g->OH * (owr / 16);
    long flat_vecs = ((long)(g->OH - 1) * tw + g->OW + 15) / 16;
    long maxq;  // one past the largest Q index read
    if (g->sh == s && flat_vecs < row_vecs && flat_vecs <= QDWV_MAX_VECS) {
        pl->flat = 1;
        pl->nvec = (int)flat_vecs;
        maxq = 16 * flat_vecs + offmax;
    } else {
        pl->flat = 0;
        pl->nvec = (int)row_vecs;
        maxq = (long)(g->OH - 1) * g->sh * tw / s + owr + offmax;
    }
    // Narrow rows laid out by rows waste most lanes: those stay on the AVX-512 float
    // kernel (clang -O3, thread CPU time per layer, AVX-512 vs VNNI by rows: 288ch 8x8
    // s2 8.0 vs 8.0 us; flat at stride 2 now: 7.7 vs 4.8). Flat planes and rows of 16
    // outputs (8 at stride 2) are faster here: kws 64ch 25x5 4.0 vs 3.0 us, 192ch 8x8
    // 5.4 vs 4.5, 480ch 4x4 6.5 vs 6.1, 96ch 16x16 8.1 vs 7.3, 16x16 s2 7.4 vs 5.1,
    // 32x32 26.9 vs 18.6, 64x64 s2 29.9 vs 14.1.
    if (!pl->flat && g->OW < (s == 2 ? 8 : 16)) return 0;
    pl->qlen = (size_t)(maxq + 15) / 16 * 16;
    // The Q fill reads 64 bytes at P + s * j0 for j0 < qlen; P holds every input row.
    size_t need = (size_t)s * (pl->qlen - 16) + 64, rows = (size_t)(g->H + g->ph) * tw;
    if (need < rows) need = rows;
    pl->th = (int)((need + tw - 1) / tw);
    pl->pbytes = (size_t)pl->th * tw + 64;
    pl->tw = tw;
    pl->G = G;
    return 1;
}

typedef struct {
    int out;
    __m512i zp;
    __m512 scale, fbias, lo, hi;
    int has_fbias;
} qdwv_epi;

/// The rounding rule on 16 int32 sums (bias included); the lanes of mask k are
/// compressed to the front and stored as popcount(k) outputs at y[at] (compress), or
/// stored in place under k.
OK_QDWV_TARGET static inline __attribute__((always_inline)) int store16(const qdwv_epi *e, __m512i acc, __mmask16 k,
                                                                          int compress, void *y, size_t at,
                                                                          size_t limit) {
    int n = compress ? __builtin_popcount((unsigned)k) : 16;
    __mmask16 km = compress ? (__mmask16)((1u << n) - 1u) : k;
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
    if (compress) {
        r = _mm512_maskz_compress_epi32(k, r);
        // Flat planes: a plain 16-byte store while it stays inside the plane (the
        // bytes past the n outputs are rewritten by the next vectors); the masked
        // narrowing store to memory was the slowest part of the loop (perf, this
        // machine's AMD EPYC, family 1Ah).
        if (at + 16 <= limit) {
            _mm_storeu_si128((__m128i *)((uint8_t *)y + at), _mm512_cvtepi32_epi8(r));
            return n;
        }
    }
    _mm512_mask_cvtepi32_storeu_epi8((uint8_t *)y + at, km, r);
    return n;
}

/// The epilogue constants every plane shares (scale and float bias are per channel:
/// set by the caller).
OK_QDWV_TARGET static inline qdwv_epi qdwv_epi_make(const ok_qepilogue *ep) {
    qdwv_epi e;
    memset(&e, 0, sizeof e);
    e.out = ep->out;
    e.zp = _mm512_set1_epi32(ep->out_zero_point);
    e.lo = _mm512_set1_ps((float)(ep->qmin - ep->out_zero_point));
    e.hi = _mm512_set1_ps((float)(ep->qmax - ep->out_zero_point));
    e.has_fbias = ep->fbias != NULL;
    return e;
}

/// Flat planes: 16-byte chunks of P filled by p_fill_flat (0: fill by rows).
static inline int qdwv_nfill(const ok_qdw_geom *g, const qdwv_plan *pl) {
    const int nfill = pl->flat ? (int)(((size_t)g->H * pl->tw + 15) / 16) : 0;
    return nfill <= QDWV_MAX_FILL ? nfill : 0;
}

/// fmask[v]: the input cells of P chunk v (cell ph * tw + 16v + i = (ph + r) * tw + col
/// is an input cell when r < H and pw <= col < pw + W); (row, col) stepped without
/// divisions (they were ~5% of kws' depthwise layers, whose planes are a few vectors).
static inline void qdwv_fill_masks(const ok_qdw_geom *g, const qdwv_plan *pl, int nfill, uint16_t *fmask) {
    long r = 0, col = 0;
    for (int v = 0; v < nfill; v++) {
        unsigned m = 0;
        for (int i = 0; i < 16; i++) {
            if (r < g->H && col >= g->pw && col < g->pw + g->W) m |= 1u << i;
            if (++col == pl->tw) { col = 0; r++; }
        }
        fmask[v] = (uint16_t)m;
    }
}

/// Flat planes: masks[v], the lanes of output vector v (Q index q = 16v + i =
/// oh * tw + ow) that are outputs (oh < OH, ow < OW).
static inline void qdwv_out_masks(const ok_qdw_geom *g, const qdwv_plan *pl, uint16_t *masks) {
    long r = 0, col = 0;
    for (int v = 0; v < pl->nvec; v++) {
        unsigned m = 0;
        for (int i = 0; i < 16; i++) {
            if (r < g->OH && col < g->OW) m |= 1u << i;
            if (++col == pl->tw) { col = 0; r++; }
        }
        masks[v] = (uint16_t)m;
    }
}

/// Copies plane x (H x W, ^ flip) into P at (ph, pw); the padding is already the
/// zero-point byte.
OK_QDWV_TARGET static inline void p_fill(const ok_qdw_geom *g, int tw, const uint8_t *x, uint8_t flip, uint8_t *P) {
    const __m512i f = _mm512_set1_epi8((char)flip);
    if (g->W <= 64) {
        // One masked load / store per row, the mask made once (u8 inputs: no flip).
        const __mmask64 k = g->W == 64 ? ~(__mmask64)0 : (((__mmask64)1 << g->W) - 1);
        uint8_t *dst = P + (size_t)g->ph * tw + g->pw;
        if (flip)
            for (int ih = 0; ih < g->H; ih++, x += g->W, dst += tw)
                _mm512_mask_storeu_epi8(dst, k, _mm512_xor_si512(_mm512_maskz_loadu_epi8(k, x), f));
        else
            for (int ih = 0; ih < g->H; ih++, x += g->W, dst += tw)
                _mm512_mask_storeu_epi8(dst, k, _mm512_maskz_loadu_epi8(k, x));
        return;
    }
    for (int ih = 0; ih < g->H; ih++) {
        const uint8_t *src = x + (size_t)ih * g->W;
        uint8_t *dst = P + (size_t)(ih + g->ph) * tw + g->pw;
        for (int j = 0; j < g->W; j += 64) {
            int n = g->W - j < 64 ? g->W - j : 64;
            __mmask64 k = n == 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1);
            _mm512_mask_storeu_epi8(dst + j, k, _mm512_xor_si512(_mm512_maskz_loadu_epi8(k, src + j), f));
        }
    }
}

/// Flat tiles: P from row ph on as 16-byte chunks in which fmask[v] marks the input
/// cells (the next popcount input bytes, in order): zero-extended to dwords, expanded
/// into those lanes over the zero-point byte (vpexpandd; vpexpandb needs VBMI2) and
/// narrowed back (vpmovdb), one 16-byte store per chunk instead of a masked store per
/// (5-byte) row. The last chunk may run into the bottom padding: it writes the
/// zero-point byte there, which is what those cells hold.
OK_QDWV_TARGET static inline void p_fill_flat(const ok_qdw_geom *g, int tw, const uint16_t *fmask, int nfill, const uint8_t *x,
                                       uint8_t flip, uint8_t zxd, uint8_t *P) {
    const __m512i z = _mm512_set1_epi32(zxd), f = _mm512_set1_epi32(flip);
    uint8_t *dst = P + (size_t)g->ph * tw;
    for (int v = 0; v < nfill; v++) {
        __mmask16 m = fmask[v];
        int n = __builtin_popcount((unsigned)m);
        __m512i iv = _mm512_xor_si512(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8((__mmask16)((1u << n) - 1u), x)), f);
        _mm_storeu_si128((__m128i *)(dst + 16 * (size_t)v), _mm512_cvtepi32_epi8(_mm512_mask_expand_epi32(z, m, iv)));
        x += n;
    }
}

/// Q[j] = P[s*j .. s*j + 3] for j < qlen: per 16 dwords one 64-byte load, vpermd
/// (128-bit lane L gets dwords s*L .. s*L + 3, i.e. bytes 4sL ..) and vpshufb.
OK_QDWV_TARGET static inline void q_fill(const qdwv_plan *pl, int s, const uint8_t *P, uint32_t *Q) {
    const __m512i idx = s == 1 ? _mm512_set_epi32(6, 5, 4, 3, 5, 4, 3, 2, 4, 3, 2, 1, 3, 2, 1, 0)
                               : _mm512_set_epi32(9, 8, 7, 6, 7, 6, 5, 4, 5, 4, 3, 2, 3, 2, 1, 0);
    const __m512i pat = s == 1 ? _mm512_broadcast_i32x4(_mm_set_epi8(6, 5, 4, 3, 5, 4, 3, 2, 4, 3, 2, 1, 3, 2, 1, 0))
                               : _mm512_broadcast_i32x4(_mm_set_epi8(9, 8, 7, 6, 7, 6, 5, 4, 5, 4, 3, 2, 3, 2, 1, 0));
    size_t j = 0;
    if (s == 1) {
        // Two Q vectors per 64-byte load: the second needs bytes 16..34 of it.
        const __m512i idx2 = _mm512_add_epi32(idx, _mm512_set1_epi32(4));
        for (; j + 32 <= pl->qlen; j += 32) {
            __m512i v = _mm512_loadu_si512(P + j);
            _mm512_storeu_si512(Q + j, _mm512_shuffle_epi8(_mm512_permutexvar_epi32(idx, v), pat));
            _mm512_storeu_si512(Q + j + 16, _mm512_shuffle_epi8(_mm512_permutexvar_epi32(idx2, v), pat));
        }
    }
    for (; j < pl->qlen; j += 16) {
        __m512i v = _mm512_loadu_si512(P + s * j);
        v = _mm512_shuffle_epi8(_mm512_permutexvar_epi32(idx, v), pat);
        _mm512_storeu_si512(Q + j, v);
    }
}

#endif
#endif
