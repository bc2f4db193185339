// Int8 2-D convolution with few input channels (stems, keyword-spotting front ends),
// AVX-512 VNNI, computed directly on the input planes: no im2col, no packed B.
//
// Why: with C_in * KH small (MobileNet's 3-channel 3x3 stride-2 stem, kws' 1-channel
// 10x4 front end, tiny's 3->8 and 8->16 3x3 layers) the im2col + GEMM path spends more
// time writing and packing the column matrix (27-72 rows of bytes per output) than
// multiplying: 16 outputs of one channel take only C_in * KH vpdpbusd here.
//
// Layout: as the VNNI depthwise kernel (qconv_dw_vnni.c, qconv_vnni_planes.h): per
// input channel ci the zero-point-padded plane P_ci and its dword expansion Q_ci,
// Q_ci[j] = P_ci[s*j .. s*j + 3], so tap group (ci, kh, g) (taps kw = 4g .. 4g + 3) of
// 16 outputs is one unaligned 16-dword load of Q_ci. The P / Q of every input
// channel are built first (phase 1, channels split across threads); then each
// output vector (16 positions, by rows or flat as the depthwise kernel lays them out)
// loads each of its C_in * KH * G tap groups once and multiplies it into up to 16
// output channels' accumulators (vpdpbusd with the channel's four s8 weights
// broadcast): phase 2, vectors split across threads.
//
// Exact: acc[co] = sum x'w' + (bias[co] - zx' * sum w'[co]) as in the depthwise kernel
// (x' the u8-domain input, w' = w - zw, packed only when every w' fits s8; taps past
// KW have weight 0; vpdpbusd adds four u8 x s8 products exactly; int32 wraps like the
// reference), then the rounding rule of docs/int8-kernels.md (store16). The readable
// twin is ok_qconv_reference.
#include "qconv_vnni_planes.h"

#if OK_Q_X86

/// P / Q strides per input channel (bytes), 0 if the geometry is not taken.
static int qdir_plan(const ok_qdw_geom *g, int cin, qdwv_plan *pl, size_t *pstride, size_t *qstride) {
    if (cin < 1 || !qdwv_plan_make(g, pl)) return 0;
    if ((size_t)cin * g->KH * pl->G > OK_QDIRECT_MAX_TAPGROUPS) return 0;
    // Every vector costs its tap groups for all 16 lanes: when fewer than half the
    // lanes are outputs (narrow flat planes at stride 2: kws' 1-channel 10x4 front end,
    // 125 outputs in 19 vectors, 2 -> 5 us) the narrow im2col + GEMM does less work.
    if ((size_t)g->OH * g->OW * 2 < (size_t)pl->nvec * 16) return 0;
    *pstride = OK_QALIGN64(pl->pbytes);
    *qstride = OK_QALIGN64(4 * pl->qlen);
    return 1;
}

int ok_qconv_direct_plan__vnni(const ok_qdw_geom *g, int cin) {
    qdwv_plan pl;
    size_t ps, qs;
    return qdir_plan(g, cin, &pl, &ps, &qs);
}

size_t ok_qconv_direct_bytes__vnni(const ok_qdw_geom *g, int cin) {
    qdwv_plan pl;
    size_t ps, qs;
    if (!qdir_plan(g, cin, &pl, &ps, &qs)) return 0;
    return (ps + qs) * (size_t)cin;
}

OK_QDWV_TARGET void ok_qconv_direct_fill__vnni(const ok_qdw_geom *g, int cin, const uint8_t *x, int tx, int32_t zx,
                                               int ci0, int ci1, void *ws) {
    qdwv_plan pl;
    size_t ps, qs;
    if (!qdir_plan(g, cin, &pl, &ps, &qs)) return;
    const uint8_t flip = tx == OK_QTYPE_S8 ? 0x80 : 0;
    const uint8_t zxd = (uint8_t)(tx == OK_QTYPE_S8 ? zx + 128 : zx);
    uint16_t fmask[QDWV_MAX_FILL];
    const int nfill = qdwv_nfill(g, &pl);
    if (nfill) qdwv_fill_masks(g, &pl, nfill, fmask);
    const size_t in_sp = (size_t)g->H * g->W;
    for (int ci = ci0; ci < ci1; ci++) {
        uint8_t *P = (uint8_t *)ws + (size_t)ci * ps;
        uint32_t *Q = (uint32_t *)((char *)ws + (size_t)cin * ps + (size_t)ci * qs);
        memset(P, zxd, ps);  // the padding: the zero-point byte
        if (nfill) p_fill_flat(g, pl.tw, fmask, nfill, x + (size_t)ci * in_sp, flip, zxd, P);
        else p_fill(g, pl.tw, x + (size_t)ci * in_sp, flip, P);
        q_fill(&pl, g->sw, P, Q);
    }
}

/// Where output vector v reads and writes: flat planes from the tables (outputs
/// compressed in order, at = outputs before v), rows from (oh, ow).
typedef struct {
    const uint16_t *masks;  // flat: lanes that are outputs
    const uint32_t *at;     // flat: first output of vector v
    int per_row, full;      // rows: vectors per output row, OW rounded down to 16
    __mmask16 tail;         // rows: the last vector's lanes
    size_t rstep;           // rows: Q dwords per output row
} qdir_vecs;

/// NB output channels [co0, co0 + NB) of the vectors [v0, v1); out is the epilogue's
/// output kind (a constant after inlining, as in the depthwise kernel).
OK_QDWV_TARGET static inline __attribute__((always_inline)) void
qdir_block(const ok_qdw_geom *g, const qdwv_plan *pl, const qdir_vecs *vv, int v0, int v1, const uint32_t *Q,
           const size_t *qoff, int ntaps, const int32_t *wq, int coutp, const int32_t *corr, const float *scale,
           const float *fbias, const qdwv_epi *e0, int co0, int cout, void *y, size_t es, int out, const int NB) {
    qdwv_epi e = *e0;  // a local copy the byte stores cannot alias
    e.out = out;
    const size_t out_sp = (size_t)g->OH * g->OW;
    for (int v = v0; v < v1; v++) {
        size_t base, at;
        __mmask16 k;
        if (pl->flat) {
            base = 16 * (size_t)v;
            at = vv->at[v];
            k = vv->masks[v];
        } else {
            int oh = v / vv->per_row, ow = v % vv->per_row * 16;
            base = (size_t)oh * vv->rstep + (size_t)ow;
            at = (size_t)oh * g->OW + (size_t)ow;
            k = ow < vv->full ? (__mmask16)0xffff : vv->tail;
        }
        __m512i acc[16];
        for (int c = 0; c < NB; c++) acc[c] = _mm512_set1_epi32(corr[co0 + c]);
        const uint32_t *Qv = Q + base;
        for (int t = 0; t < ntaps; t++) {
            const __m512i q = _mm512_loadu_si512(Qv + qoff[t]);
            const int32_t *w = wq + (size_t)t * coutp + co0;
            for (int c = 0; c < NB; c++) acc[c] = _mm512_dpbusd_epi32(acc[c], q, _mm512_set1_epi32(w[c]));
        }
        for (int c = 0; c < NB && co0 + c < cout; c++) {
            e.scale = _mm512_set1_ps(scale[co0 + c]);
            e.fbias = _mm512_set1_ps(fbias[co0 + c]);
            char *yc = (char *)y + (size_t)(co0 + c) * out_sp * es;
            store16(&e, acc[c], k, pl->flat, yc, at, out_sp);
        }
    }
}

/// Output channels [co0, co1) (multiples of 8) by blocks of 16, then 8.
OK_QDWV_TARGET static void qdir_blocks(const ok_qdw_geom *g, const qdwv_plan *pl, const qdir_vecs *vv, int v0, int v1,
                                       const uint32_t *Q, const size_t *qoff, int ntaps, const int32_t *wq, int coutp,
                                       const int32_t *corr, const float *scale, const float *fbias, const qdwv_epi *e,
                                       int co0, int co1, int cout, void *y, size_t es) {
#define QDIR_OUT(o)                                                                                                \
    do {                                                                                                           \
        int c = co0;                                                                                               \
        for (; c + 16 <= co1; c += 16)                                                                             \
            qdir_block(g, pl, vv, v0, v1, Q, qoff, ntaps, wq, coutp, corr, scale, fbias, e, c, cout, y, es, (o), 16); \
        if (c < co1)                                                                                               \
            qdir_block(g, pl, vv, v0, v1, Q, qoff, ntaps, wq, coutp, corr, scale, fbias, e, c, cout, y, es, (o), 8);  \
    } while (0)
    switch (e->out) {
    case OK_QOUT_I32: QDIR_OUT(OK_QOUT_I32); break;
    case OK_QOUT_F32: QDIR_OUT(OK_QOUT_F32); break;
    default: QDIR_OUT(OK_QOUT_U8); break;  // U8 and S8 store the same low byte
    }
#undef QDIR_OUT
}

OK_QDWV_TARGET void ok_qconv_direct_run__vnni(const ok_qdw_geom *g, int cin, int cout, int tx, int32_t zx,
                                              const int32_t *wq, const int32_t *wsum, void *y,
                                              const ok_qepilogue *ep, int co0, int co1, int v0, int v1,
                                              const void *ws) {
    qdwv_plan pl;
    size_t ps, qs;
    if (!qdir_plan(g, cin, &pl, &ps, &qs) || v1 <= v0 || co1 <= co0) return;
    const int s = g->sw, coutp = ok_qconv_direct_coutp(cout);
    const int32_t zxd = tx == OK_QTYPE_S8 ? zx + 128 : zx;
    // Tap group t = (ci, kh, g): dword offset from Q_0 + base.
    size_t qoff[OK_QDIRECT_MAX_TAPGROUPS];
    int ntaps = 0;
    for (int ci = 0; ci < cin; ci++)
        for (int kh = 0; kh < g->KH; kh++)
            for (int gi = 0; gi < pl.G; gi++)
                qoff[ntaps++] = (size_t)ci * qs / 4 + ((size_t)kh * g->dh * pl.tw + 4 * (size_t)gi) / s;
    // Per output channel: bias - zx' * sum w' (wrapping), scale, float bias.
    int32_t corr[OK_QDIRECT_MAX_COUT];
    float scale[OK_QDIRECT_MAX_COUT], fbias[OK_QDIRECT_MAX_COUT];
    for (int c = co0; c < co1; c++) {
        int in = c < cout;
        corr[c] = (int32_t)((uint32_t)(in && ep->bias ? ep->bias[c] : 0) - (uint32_t)zxd * (uint32_t)wsum[c]);
        scale[c] = !ep->scale || !in ? 1.0f : ep->scale[ep->scale_per == OK_QPER_ROW ? c : 0];
        fbias[c] = in && ep->fbias ? ep->fbias[c] : 0.0f;
    }
    qdir_vecs vv;
    memset(&vv, 0, sizeof vv);
    uint16_t masks[QDWV_MAX_VECS];
    uint32_t at[QDWV_MAX_VECS];
    if (pl.flat) {
        qdwv_out_masks(g, &pl, masks);
        uint32_t n = 0;
        for (int v = 0; v < v1; v++) {
            at[v] = n;
            n += (uint32_t)__builtin_popcount(masks[v]);
        }
        vv.masks = masks;
        vv.at = at;
    } else {
        vv.per_row = (g->OW + 15) / 16;
        vv.full = g->OW / 16 * 16;
        vv.tail = (__mmask16)((1u << (g->OW - vv.full)) - 1u);
        vv.rstep = (size_t)g->sh * pl.tw / s;
    }
    const qdwv_epi e = qdwv_epi_make(ep);
    const size_t es = ep->out == OK_QOUT_I32 || ep->out == OK_QOUT_F32 ? 4 : 1;
    const uint32_t *Q = (const uint32_t *)((const char *)ws + (size_t)cin * ps);
    qdir_blocks(g, &pl, &vv, v0, v1, Q, qoff, ntaps, wq, coutp, corr, scale, fbias, &e, co0, co1, cout, y, es);
}

int ok_qconv_direct_vectors__vnni(const ok_qdw_geom *g, int *flat) {
    qdwv_plan pl;
    if (!qdwv_plan_make(g, &pl)) return 0;
    *flat = pl.flat;
    return pl.nvec;
}
#endif
