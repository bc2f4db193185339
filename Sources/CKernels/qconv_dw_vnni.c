// Int8 depthwise 2-D convolution, AVX-512 VNNI: integer vpdpbusd on the u8
// activations and the s8 weights, exact int32 sums, requantization fused.
//
// Why: the AVX-512 kernel (qconv_dw_avx512.c) converts each plane to float and runs
// one FMA per tap and 16 outputs (9 for 3x3), plus the conversions back. vpdpbusd
// multiplies four u8 x s8 pairs into each int32 lane, so taps go 4 at a time along
// the kernel row: a 3x3 is 3 vpdpbusd per 16 outputs (the fourth tap of each group
// has weight 0), and the sum is already the int32 the epilogue wants.
//
// Layout per plane: P, the zero-padded input in the u8 domain (s8 inputs are
// flipped with ^ 0x80, zero point + 128; padding is the zero-point byte), row stride
// tw (even when sw = 2), then Q, a dword per position j: Q[j] = P[sw*j .. sw*j + 3]
// (flat over the whole tile; built with one vpermd + one vpshufb per 16 dwords).
// Output (oh, ow), tap group (kh, g) (taps kw = 4g .. 4g+3) reads
//   P[(sh*oh + kh*dh) * tw + sw*ow + 4g ..] = Q[oh*sh*tw/sw + ow + (kh*dh*tw + 4g)/sw]
// so every group is one unaligned 16-dword load of Q. Taps beyond KW have weight 0
// (they may read the next row's cells: in the buffer, multiplied by 0).
// Outputs go by rows (16-lane vectors, the tail masked) or, for narrow planes with
// sh = sw, flat over q = oh*tw + ow (the output's Q index at stride 1 or 2; lanes with
// ow >= OW dropped by vpcompressd), as in the AVX-512 kernel.
//
// Exact: acc = sum x'w' + (bias - zx' * sum w'), where x' is the u8-domain input,
// zx' its zero point, w' = w - zw, which the packer stores as s8 only when every w'
// of the layer fits (else this kernel is not used); vpdpbusd (non-saturating form)
// adds the four u8 x s8 products to the int32 lane exactly; padding x' = zx'
// contributes zx' w' which the correction removes. The int32 wraps like the reference
// (ok_qconv_reference computes in int64 and truncates). Then the rounding rule of
// docs/int8-kernels.md, the same operations as ok_qepi__avx512.
// The readable twin is ok_qconv_reference.
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

static int qdwv_plan_make(const ok_qdw_geom *g, qdwv_plan *pl) {
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

int ok_qdw_plan__vnni(const ok_qdw_geom *g) {
    qdwv_plan pl;
    return qdwv_plan_make(g, &pl);
}

size_t ok_qdw_tile_bytes__vnni(const ok_qdw_geom *g) {
    qdwv_plan pl;
    if (!qdwv_plan_make(g, &pl)) return 0;
    return (OK_QALIGN64(pl.pbytes) + OK_QALIGN64(4 * pl.qlen)) * QDWV_GROUP;
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

/// Sum of the tap groups for 16 outputs at Q index base (bias and correction in c0).
/// k33: 3 rows of one group each, weights in registers.
OK_QDWV_TARGET static inline __attribute__((always_inline)) __m512i
sum16(const uint32_t *Q, size_t base, const size_t *off, int ngroups, const int32_t *wq, const __m512i *w3, int k33,
      __m512i c0) {
    if (k33) {
        __m512i a0 = _mm512_dpbusd_epi32(c0, _mm512_loadu_si512(Q + base + off[0]), w3[0]);
        __m512i a1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_loadu_si512(Q + base + off[1]), w3[1]);
        a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(Q + base + off[2]), w3[2]);
        return _mm512_add_epi32(a0, a1);
    }
    __m512i a = c0;
    for (int t = 0; t < ngroups; t++)
        a = _mm512_dpbusd_epi32(a, _mm512_loadu_si512(Q + base + off[t]), _mm512_set1_epi32(wq[t]));
    return a;
}

OK_QDWV_TARGET static inline __attribute__((always_inline)) void
plane_body(const ok_qdw_geom *g, const qdwv_plan *pl, const uint16_t *masks, const uint32_t *Q, const size_t *off,
           const int32_t *wq, int32_t c0, const qdwv_epi *e0, void *y, int out, int k33) {
    qdwv_epi ev = *e0;  // a local copy the byte stores cannot alias
    ev.out = out;
    const qdwv_epi *e = &ev;
    const int ngroups = g->KH * pl->G;
    __m512i w3[3];
    if (k33)
        for (int i = 0; i < 3; i++) w3[i] = _mm512_set1_epi32(wq[i]);
    const __m512i cv = _mm512_set1_epi32(c0);
    if (pl->flat) {
        const size_t out_sp = (size_t)g->OH * g->OW;
        size_t at = 0;
        for (int v = 0; v < pl->nvec; v++)
            at += (size_t)store16(e, sum16(Q, 16 * (size_t)v, off, ngroups, wq, w3, k33, cv), masks[v], 1, y, at,
                                  out_sp);
        return;
    }
    const int full = g->OW / 16 * 16;
    const __mmask16 tail = (__mmask16)((1u << (g->OW - full)) - 1u);
    const size_t rstep = (size_t)g->sh * pl->tw / g->sw;
    for (int oh = 0; oh < g->OH; oh++) {
        size_t at = (size_t)oh * g->OW, row = (size_t)oh * rstep;
        for (int ow = 0; ow < g->OW; ow += 16)
            store16(e, sum16(Q, row + (size_t)ow, off, ngroups, wq, w3, k33, cv),
                    ow < full ? (__mmask16)0xffff : tail, 0, y, at + ow, 0);
    }
}

OK_QDWV_TARGET static void plane(const ok_qdw_geom *g, const qdwv_plan *pl, const uint16_t *masks, const uint32_t *Q,
                                 const size_t *off, const int32_t *wq, int32_t c0, const qdwv_epi *e, void *y) {
    const int k33 = g->KH == 3 && pl->G == 1;
#define QDWV_OUT(o)                                                               \
    do {                                                                          \
        if (k33) plane_body(g, pl, masks, Q, off, wq, c0, e, y, (o), 1);          \
        else plane_body(g, pl, masks, Q, off, wq, c0, e, y, (o), 0);              \
    } while (0)
    switch (e->out) {
    case OK_QOUT_I32: QDWV_OUT(OK_QOUT_I32); break;
    case OK_QOUT_F32: QDWV_OUT(OK_QOUT_F32); break;
    default: QDWV_OUT(OK_QOUT_U8); break;  // U8 and S8 store the same low byte
    }
#undef QDWV_OUT
}

/// Copies plane x (H x W, ^ flip) into P at (ph, pw); the padding is already the
/// zero-point byte.
OK_QDWV_TARGET static void p_fill(const ok_qdw_geom *g, int tw, const uint8_t *x, uint8_t flip, uint8_t *P) {
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
OK_QDWV_TARGET static void p_fill_flat(const ok_qdw_geom *g, int tw, const uint16_t *fmask, int nfill, const uint8_t *x,
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
OK_QDWV_TARGET static void q_fill(const qdwv_plan *pl, int s, const uint8_t *P, uint32_t *Q) {
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

OK_QDWV_TARGET void ok_qdw_planes__vnni(const ok_qdw_geom *g, const uint8_t *x, int tx, int32_t zx, const int32_t *wq,
                                        const int32_t *wsum, void *y, const ok_qepilogue *ep, int c0, int c1,
                                        int cout, void *ws) {
    qdwv_plan pl;
    if (!qdwv_plan_make(g, &pl)) return;
    const int s = g->sw, ng = g->KH * pl.G;
    const uint8_t flip = tx == OK_QTYPE_S8 ? 0x80 : 0;
    const int32_t zxd = tx == OK_QTYPE_S8 ? zx + 128 : zx;
    const size_t pstride = OK_QALIGN64(pl.pbytes), qstride = OK_QALIGN64(4 * pl.qlen);
    uint8_t *Ps = ws;
    uint32_t *Qs = (uint32_t *)(Ps + pstride * QDWV_GROUP);
    // Padding = the zero-point byte, set once: the planes only rewrite the interior.
    memset(Ps, (uint8_t)zxd, pstride * QDWV_GROUP);
    size_t off[QDWV_MAX_TAPGROUPS];
    for (int kh = 0; kh < g->KH; kh++)
        for (int gi = 0; gi < pl.G; gi++)
            off[kh * pl.G + gi] = ((size_t)kh * g->dh * pl.tw + 4 * (size_t)gi) / s;
    uint16_t masks[QDWV_MAX_VECS], fmask[QDWV_MAX_FILL];
    // Flat tiles fill P by 16-byte chunks (p_fill_flat): chunk v covers P cells
    // ph * tw + 16v + i = (ph + r) * tw + col, an input cell when r < H, pw <= col < pw + W.
    const int nfill = pl.flat ? (int)(((size_t)g->H * pl.tw + 15) / 16) : 0;
    const int chunked = pl.flat && nfill <= QDWV_MAX_FILL;
    if (chunked) {
        // (row, col) of cell q = 16v + i, stepped without divisions (they were ~5% of
        // kws' depthwise layers, whose planes are a few vectors).
        long r = 0, col = 0;
        for (int v = 0; v < nfill; v++) {
            unsigned m = 0;
            for (int i = 0; i < 16; i++) {
                if (r < g->H && col >= g->pw && col < g->pw + g->W) m |= 1u << i;
                if (++col == pl.tw) { col = 0; r++; }
            }
            fmask[v] = (uint16_t)m;
        }
    }
    if (pl.flat) {
        long r = 0, col = 0;
        for (int v = 0; v < pl.nvec; v++) {
            unsigned m = 0;
            for (int i = 0; i < 16; i++) {
                if (r < g->OH && col < g->OW) m |= 1u << i;
                if (++col == pl.tw) { col = 0; r++; }
            }
            masks[v] = (uint16_t)m;
        }
    }
    const size_t in_sp = (size_t)g->H * g->W, out_sp = (size_t)g->OH * g->OW;
    const size_t es = ep->out == OK_QOUT_I32 || ep->out == OK_QOUT_F32 ? 4 : 1;
    qdwv_epi e;
    e.out = ep->out;
    e.zp = _mm512_set1_epi32(ep->out_zero_point);
    e.lo = _mm512_set1_ps((float)(ep->qmin - ep->out_zero_point));
    e.hi = _mm512_set1_ps((float)(ep->qmax - ep->out_zero_point));
    e.has_fbias = ep->fbias != NULL;
    for (int g0 = c0; g0 < c1; g0 += QDWV_GROUP) {
        int g1 = g0 + QDWV_GROUP < c1 ? g0 + QDWV_GROUP : c1;
        // Fill the group's tiles first, so the loads below do not wait on these stores.
        for (int pc = g0; pc < g1; pc++) {
            uint8_t *P = Ps + (size_t)(pc - g0) * pstride;
            if (chunked) p_fill_flat(g, pl.tw, fmask, nfill, x + (size_t)pc * in_sp, flip, (uint8_t)zxd, P);
            else p_fill(g, pl.tw, x + (size_t)pc * in_sp, flip, P);
        }
        for (int pc = g0; pc < g1; pc++)
            q_fill(&pl, s, Ps + (size_t)(pc - g0) * pstride, (uint32_t *)((char *)Qs + (size_t)(pc - g0) * qstride));
        for (int pc = g0; pc < g1; pc++) {
            int c = pc % cout;  // planes run over batch x channels
            // bias - zx' * sum w' in wrapping int32 arithmetic.
            uint32_t corr = (uint32_t)(ep->bias ? ep->bias[c] : 0) - (uint32_t)zxd * (uint32_t)wsum[c];
            e.scale = _mm512_set1_ps(!ep->scale ? 1.0f : ep->scale[ep->scale_per == OK_QPER_ROW ? c : 0]);
            e.fbias = _mm512_set1_ps(ep->fbias ? ep->fbias[c] : 0.0f);
            const uint32_t *Q = (const uint32_t *)((const char *)Qs + (size_t)(pc - g0) * qstride);
            plane(g, &pl, masks, Q, off, wq + (size_t)c * ng, (int32_t)corr, &e, (char *)y + (size_t)pc * out_sp * es);
        }
    }
}
#endif
