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
#include "qconv_vnni_planes.h"

#include <string.h>

#if OK_Q_X86
int ok_qdw_plan__vnni(const ok_qdw_geom *g) {
    qdwv_plan pl;
    return qdwv_plan_make(g, &pl);
}

size_t ok_qdw_tile_bytes__vnni(const ok_qdw_geom *g) {
    qdwv_plan pl;
    if (!qdwv_plan_make(g, &pl)) return 0;
    return (OK_QALIGN64(pl.pbytes) + OK_QALIGN64(4 * pl.qlen)) * QDWV_GROUP;
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
    const int nfill = qdwv_nfill(g, &pl), chunked = nfill > 0;
    if (chunked) qdwv_fill_masks(g, &pl, nfill, fmask);
    if (pl.flat) qdwv_out_masks(g, &pl, masks);
    const size_t in_sp = (size_t)g->H * g->W, out_sp = (size_t)g->OH * g->OW;
    const size_t es = ep->out == OK_QOUT_I32 || ep->out == OK_QOUT_F32 ? 4 : 1;
    qdwv_epi e = qdwv_epi_make(ep);
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
