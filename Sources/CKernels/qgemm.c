// Int8 GEMM driver: reference twin, packing (per-ISA layout, see qgemm_internal.h),
// kernel dispatch, threads, the scalar micro-kernel and the scalar epilogue.
#include "qgemm_internal.h"
#include "ok_portable.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/// Below this many multiply-adds ok_qgemm runs on one thread (see ok_qgemm).
enum { OK_QGEMM_MIN_PARALLEL_MACS = 1 << 18 };

// ---------------------------------------------------------------- the rounding rule

static inline int32_t load_q(const void *p, int t, ptrdiff_t i) {
    return t == OK_QTYPE_S8 ? (int32_t)((const int8_t *)p)[i] : (int32_t)((const uint8_t *)p)[i];
}

/// Stores one output: acc is the exact int32 sum with bias already added.
/// y = clamp(round_half_even((float)acc * scale) + zp, qmin, qmax); the float is
/// clamped to [qmin - zp, qmax - zp] before rounding (same result: the bounds are
/// integers; keeps huge values and NaN (-> qmin) defined).
static inline void q_store(const ok_qepilogue *ep, int32_t acc, int m, int n, void *C, ptrdiff_t ldc) {
    ptrdiff_t at = (ptrdiff_t)m * ldc + n;
    if (ep->out == OK_QOUT_I32) { ((int32_t *)C)[at] = acc; return; }
    float v = (float)acc * ok_q_scale_at(ep, m, n);
    if (ep->out == OK_QOUT_F32) {
        if (ep->fbias) v = v + ep->fbias[ep->bias_per == OK_QPER_COL ? n : m];
        ((float *)C)[at] = v;
        return;
    }
    float lo = (float)(ep->qmin - ep->out_zero_point), hi = (float)(ep->qmax - ep->out_zero_point);
    if (!(v >= lo)) v = lo;
    if (v > hi) v = hi;
    int32_t y = (int32_t)nearbyintf(v) + ep->out_zero_point;
    if (ep->out == OK_QOUT_U8) ((uint8_t *)C)[at] = (uint8_t)y;
    else ((int8_t *)C)[at] = (int8_t)y;
}

static inline int32_t q_bias(const ok_qepilogue *ep, int m, int n) {
    if (!ep->bias) return 0;
    return ep->bias[ep->bias_per == OK_QPER_COL ? n : m];
}

void ok_qgemm_reference(int M, int N, int K, const void *A, int ta, ptrdiff_t rsa, ptrdiff_t csa, const int32_t *za,
                        int za_per, const void *B, int tb, ptrdiff_t rsb, ptrdiff_t csb, const int32_t *zb, int zb_per,
                        void *C, ptrdiff_t ldc, const ok_qepilogue *ep) {
    for (int i = 0; i < M; i++) {
        int32_t zai = za ? za[za_per == OK_QPER_ROW ? i : 0] : 0;
        for (int j = 0; j < N; j++) {
            int32_t zbj = zb ? zb[zb_per == OK_QPER_COL ? j : 0] : 0;
            int64_t s = 0;
            for (int p = 0; p < K; p++)
                s += (int64_t)(load_q(A, ta, i * rsa + p * csa) - zai) * (load_q(B, tb, p * rsb + j * csb) - zbj);
            int32_t acc = (int32_t)(uint32_t)((uint64_t)s + (uint32_t)q_bias(ep, i, j));
            q_store(ep, acc, i, j, C, ldc);
        }
    }
}

void ok_qepi__scalar(const ok_qepi *e, const int32_t *acc, ptrdiff_t ldt, int rows, int cols, int row0, int col0) {
    const ok_qepilogue *ep = e->ep;
    for (int i = 0; i < rows; i++) {
        int m = row0 + i;
        uint32_t za = e->za ? (uint32_t)e->za[m] : 0, ra = e->za ? (uint32_t)e->ra[m] : 0;
        for (int j = 0; j < cols; j++) {
            int n = col0 + j;
            uint32_t v = (uint32_t)acc[i * ldt + j];
            if (e->za) v += za * (uint32_t)e->cb[n] - (uint32_t)e->zb[n] * ra;
            v += (uint32_t)q_bias(ep, m, n);
            q_store(ep, (int32_t)v, m, n, e->C, e->ldc);
        }
    }
}

// ---------------------------------------------------------------- scalar micro-kernel

void ok_qgemm_u8s8_4x8__scalar(int kg, const void *a, const void *b, int32_t *tile) {
    const uint8_t *pa = a;
    const int8_t *pb = b;
    int32_t c[4][8] = {{0}};
    for (int g = 0; g < kg; g++) {
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 8; j++) c[i][j] += (int32_t)pa[i] * (int32_t)pb[j];
        pa += 4;
        pb += 8;
    }
    memcpy(tile, c, sizeof c);
}

// ---------------------------------------------------------------- dispatch

static const ok_qgemm_kernel_desc k_scalar = {OK_ISA_SCALAR, 4, 8, 1, 1, 0, ok_qgemm_u8s8_4x8__scalar, ok_qepi__scalar,
                                              "ok_qgemm_u8s8_4x8__scalar"};
#if OK_Q_X86 && OK_AVX512_BUILT
static const ok_qgemm_kernel_desc k_vnni = {OK_ISA_AVX512_VNNI, 12, 32, 4, 1, 0, ok_qgemm_u8s8_12x32__avx512vnni,
                                            ok_qepi__avx512, "ok_qgemm_u8s8_12x32__avx512vnni", ok_qpack_b_panel__avx512vnni,
                                            ok_qgemm_u8s8_12x32__avx512vnni_fused};
#endif
#if OK_Q_X86
static const ok_qgemm_kernel_desc k_avx2 = {OK_ISA_AVX2_FMA, 6, 16, 2, 2, 0, ok_qgemm_u8s8_6x16__avx2, ok_qepi__avx2,
                                            "ok_qgemm_u8s8_6x16__avx2", ok_qpack_b_panel__avx2,
                                            ok_qgemm_u8s8_6x16__avx2_fused};
#endif
#if OK_Q_NEON
static const ok_qgemm_kernel_desc k_neon = {OK_ISA_NEON, 4, 8, 1, 2, 0, ok_qgemm_u8s8_4x8__neon, ok_qepi__scalar,
                                            "ok_qgemm_u8s8_4x8__neon"};
#if OK_Q_A64
static const ok_qgemm_kernel_desc k_dot = {OK_ISA_NEON_DOT, 8, 8, 4, 1, 1, ok_qgemm_u8s8_8x8__neondot,
                                           ok_qepi__scalar, "ok_qgemm_u8s8_8x8__neondot"};
static const ok_qgemm_kernel_desc k_i8mm = {OK_ISA_NEON_I8MM, 8, 8, 8, 1, 0, ok_qgemm_u8s8_8x8__i8mm,
                                            ok_qepi__scalar, "ok_qgemm_u8s8_8x8__i8mm"};
#endif
#endif

const ok_qgemm_kernel_desc *ok_qgemm_kernel_for(int isa) {
    switch (isa) {
#if OK_Q_X86
#if OK_AVX512_BUILT
    case OK_ISA_AVX512_VNNI: return &k_vnni;
#endif
    case OK_ISA_AVX2_FMA: return &k_avx2;
#endif
#if OK_Q_NEON
    case OK_ISA_NEON: return &k_neon;
#if OK_Q_A64
    case OK_ISA_NEON_DOT: return &k_dot;
    case OK_ISA_NEON_I8MM: return &k_i8mm;
#endif
#endif
    default: return &k_scalar;
    }
}

const ok_qgemm_kernel_desc *ok_qgemm_kernel_current(void) {
#if OK_Q_X86
#if OK_AVX512_BUILT
    if (ok_isa_enabled(OK_ISA_AVX512_VNNI)) return &k_vnni;
#endif
    if (ok_isa_enabled(OK_ISA_AVX2_FMA)) return &k_avx2;
#endif
#if OK_Q_NEON
#if OK_Q_A64
    if (ok_isa_enabled(OK_ISA_NEON_I8MM)) return &k_i8mm;
    if (ok_isa_enabled(OK_ISA_NEON_DOT)) return &k_dot;
#endif
    if (ok_isa_enabled(OK_ISA_NEON)) return &k_neon;
#endif
    return &k_scalar;
}

ok_qepi_fn ok_qepi_current(void) {
#if OK_Q_X86
    if (ok_isa_enabled(OK_ISA_AVX512)) return ok_qepi__avx512;
    if (ok_isa_enabled(OK_ISA_AVX2_FMA)) return ok_qepi__avx2;
#endif
    return ok_qepi__scalar;
}

const char *ok_qgemm_kernel_name(void) { return ok_qgemm_kernel_current()->name; }

// ---------------------------------------------------------------- packing

enum { OK_QMR_MAX = 12, OK_QNR_MAX = 32, OK_QKU_MAX = 8, OK_QES_MAX = 2 };

static size_t panels_bytes(int rows, int K, int w, int ku, int es) {
    return OK_QALIGN64((size_t)ok_q_round_up(rows > 0 ? rows : 1, w) * (size_t)ok_q_round_up(K > 0 ? K : 1, ku) * es);
}
/// Upper bound over every kernel layout (the one used is known at pack time only).
static size_t panels_bytes_max(int rows, int K) {
    return OK_QALIGN64((size_t)(rows + OK_QNR_MAX) * (size_t)(K + OK_QKU_MAX) * OK_QES_MAX);
}

OK_X86_HOT void ok_qpack_panels(const void *S, int t, ptrdiff_t rs, ptrdiff_t cs, int r0, int rows, int K, int w, int ku,
                     int es, int dst_s8, void *panels, int32_t *sums) {
    const int KP = ok_q_round_up(K, ku);
    const int flip = (t == OK_QTYPE_U8) == (dst_s8 != 0) ? 0x80 : 0;  // u8 -> s8 or s8 -> u8: xor 0x80
    for (int q = 0; q < rows; q += w) {
        int n = rows - q < w ? rows - q : w;
        size_t pbytes = (size_t)w * KP * es;
        char *panel = (char *)panels + (size_t)(q / w) * pbytes;
        if (n < w || KP > K) memset(panel, 0, pbytes);
        for (int r = 0; r < n; r++) {
            const uint8_t *src = (const uint8_t *)S + (ptrdiff_t)(r0 + q + r) * rs;
            int32_t sum = 0;
            if (es == 1) {
                uint8_t *d = (uint8_t *)panel + (size_t)r * ku;
                for (int k0 = 0; k0 < K; k0 += ku) {
                    int ke = K - k0 < ku ? K - k0 : ku;
                    for (int u = 0; u < ke; u++) {
                        uint8_t v = src[(ptrdiff_t)(k0 + u) * cs] ^ flip;
                        d[u] = v;
                        sum += dst_s8 ? (int32_t)(int8_t)v : (int32_t)v;
                    }
                    d += (size_t)w * ku;
                }
            } else {
                int16_t *d = (int16_t *)panel + (size_t)r * ku;
                for (int k0 = 0; k0 < K; k0 += ku) {
                    int ke = K - k0 < ku ? K - k0 : ku;
                    for (int u = 0; u < ke; u++) {
                        uint8_t v = src[(ptrdiff_t)(k0 + u) * cs] ^ flip;
                        int32_t x = dst_s8 ? (int32_t)(int8_t)v : (int32_t)v;
                        d[u] = (int16_t)x;
                        sum += x;
                    }
                    d += (size_t)w * ku;
                }
            }
            sums[q + r] = sum;
        }
    }
}

size_t ok_qgemm_packed_a_size(int M, int K) {
    return 64 + panels_bytes_max(M, K) + 2 * OK_QALIGN64(sizeof(int32_t) * (size_t)(M + OK_QNR_MAX));
}
size_t ok_qgemm_packed_b_size(int K, int N) { return ok_qgemm_packed_a_size(N, K); }

// Layout of a packed buffer after the header: panels, then two int32 arrays (za, ra)
// or (zb, cb) of `padded` entries each.
static void *pk_panels(const ok_qpack_header *h) { return (char *)h + 64; }
static int32_t *pk_arr(const ok_qpack_header *h, int which) {
    size_t pb = panels_bytes(h->rows, h->depth, h->is_b ? h->nr : h->mr, h->ku, h->es);
    return (int32_t *)((char *)h + 64 + pb + (size_t)which * OK_QALIGN64(sizeof(int32_t) * (size_t)h->padded));
}

static void fill_header(ok_qpack_header *h, const ok_qgemm_kernel_desc *k, int is_b, int rows, int K) {
    memset(h, 0, 64);
    h->magic = OK_QPACK_MAGIC;
    h->isa = k->isa; h->mr = k->mr; h->nr = k->nr; h->ku = k->ku; h->es = k->es; h->a_s8 = k->a_s8;
    h->is_b = is_b; h->rows = rows; h->depth = K;
    h->padded = ok_q_round_up(rows > 0 ? rows : 1, is_b ? k->nr : k->mr);
    h->kgroups = ok_q_round_up(K > 0 ? K : 1, k->ku) / k->ku;
}

/// Packs A (M x K) for kernel k: panels + za (domain) + ra (row sums, domain).
static void pack_a_into(const ok_qgemm_kernel_desc *k, int M, int K, const void *A, int ta, ptrdiff_t rsa,
                        ptrdiff_t csa, const int32_t *za, int za_per, void *panels, int32_t *zd, int32_t *ra) {
    ok_qpack_panels(A, ta, rsa, csa, 0, M, K, k->mr, k->ku, k->es, k->a_s8, panels, ra);
    int pad = ok_q_round_up(M, k->mr);
    for (int i = 0; i < pad; i++) {
        int32_t z = za ? za[za_per == OK_QPER_ROW ? (i < M ? i : 0) : 0] : 0;
        zd[i] = i < M ? ok_q_domain_zp(z, ta, k->a_s8) : 0;
        if (i >= M) ra[i] = 0;
    }
}

/// Packs B (K x N) for kernel k: panels + zb (domain s8) + cb = K*zb - colsum.
static void pack_b_into(const ok_qgemm_kernel_desc *k, int K, int N, const void *B, int tb, ptrdiff_t rsb,
                        ptrdiff_t csb, const int32_t *zb, int zb_per, void *panels, int32_t *zd, int32_t *cb) {
    ok_qpack_panels(B, tb, csb, rsb, 0, N, K, k->nr, k->ku, k->es, 1, panels, cb);
    int pad = ok_q_round_up(N, k->nr);
    for (int j = 0; j < pad; j++) {
        int32_t z = zb ? zb[zb_per == OK_QPER_COL ? (j < N ? j : 0) : 0] : 0;
        zd[j] = j < N ? ok_q_domain_zp(z, tb, 1) : 0;
        cb[j] = j < N ? (int32_t)((uint32_t)K * (uint32_t)zd[j] - (uint32_t)cb[j]) : 0;
    }
}

OK_SETUP void ok_qgemm_pack_a(int M, int K, const void *A, int ta, ptrdiff_t rsa, ptrdiff_t csa, const int32_t *za, int za_per,
                     void *packed) {
    const ok_qgemm_kernel_desc *k = ok_qgemm_kernel_current();
    ok_qpack_header *h = packed;
    fill_header(h, k, 0, M, K);
    pack_a_into(k, M, K, A, ta, rsa, csa, za, za_per, pk_panels(h), pk_arr(h, 0), pk_arr(h, 1));
}

void ok_qgemm_pack_b(int K, int N, const void *B, int tb, ptrdiff_t rsb, ptrdiff_t csb, const int32_t *zb, int zb_per,
                     void *packed) {
    const ok_qgemm_kernel_desc *k = ok_qgemm_kernel_current();
    ok_qpack_header *h = packed;
    fill_header(h, k, 1, N, K);
    pack_b_into(k, K, N, B, tb, rsb, csb, zb, zb_per, pk_panels(h), pk_arr(h, 0), pk_arr(h, 1));
}

// ---------------------------------------------------------------- driver

static size_t arr_bytes(int n) { return OK_QALIGN64(sizeof(int32_t) * (size_t)(n + OK_QNR_MAX)); }

size_t ok_qgemm_workspace_size(int M, int N, int K, int threads) {
    (void)threads;  // tiles live on the stack; only the packed operands need memory
    return panels_bytes_max(M, K) + 2 * arr_bytes(M) + panels_bytes_max(N, K) + 2 * arr_bytes(N);
}

typedef struct {
    const ok_qgemm_kernel_desc *k;
    int M, N, kg, mc, nc, mgroups, mrange;
    const char *pa, *pb;
    size_t a_panel, b_panel;  // bytes per panel
    ok_qepi e;
    int fuse;                 // full tiles through k->fused
    int sat;                  // ok_qfuse.sat
    int pack;                 // ok_qfuse.pack
    // Fused tiles row panel by row panel: when output rows are a multiple of 4 KB apart
    // they fall in one L1 set, and column panel by column panel a tile's half-lines
    // (32 u8 columns) were evicted before the next panel wrote the other halves: a
    // 48 x 4096 (64x64 pixels) pointwise layer took 29 us, 13 us at a 4608-byte stride.
    int rows_first;
    size_t out_es;            // bytes per output element
} qjob;

// Fused-epilogue constants: per column panel (correction za0*cb[n] + column bias,
// column scales / float biases) and per row panel (bias - zb0*ra[m], row scales).
static void init_fuse(const qjob *g, ok_qfuse *f) {
    const ok_qepilogue *ep = g->e.ep;
    memset(f, 0, sizeof *f);
    f->out = ep->out;
    f->col_scale = ep->scale && ep->scale_per == OK_QPER_COL;
    f->has_fb = ep->out == OK_QOUT_F32 && ep->fbias != NULL;
    f->col_fb = ep->bias_per == OK_QPER_COL;
    f->lo = (float)(ep->qmin - ep->out_zero_point);
    f->hi = (float)(ep->qmax - ep->out_zero_point);
    f->zp = ep->out_zero_point;
    f->sat = g->sat;
    f->pack = g->pack;
    f->qlo = ep->qmin;
    f->qhi = ep->qmax;
    f->colc = f->colc_buf;
    f->cols = f->cols_buf;
    f->colfb = f->colfb_buf;
}

/// Column constants of columns [j0, j0 + nr) into colc / cols / colfb (from index 0;
/// cols and colfb only when the epilogue has them per column).
static void fuse_cols_to(const qjob *g, const ok_qfuse *f, int j0, int nr, int32_t *colc, float *cols, float *colfb) {
    const ok_qepilogue *ep = g->e.ep;
    int colb = ep->bias && ep->bias_per == OK_QPER_COL;
    uint32_t za = (uint32_t)g->e.za0;
    // (Columns past nr are never stored.) One branch-free loop per array, which the
    // compiler vectorizes: the per-element conditions were ~2% of kws int8.
    const int32_t *cb = g->e.cb + j0;
    if (colb) {
        const int32_t *b = ep->bias + j0;
        for (int j = 0; j < nr; j++) colc[j] = (int32_t)(za * (uint32_t)cb[j] + (uint32_t)b[j]);
    } else {
        for (int j = 0; j < nr; j++) colc[j] = (int32_t)(za * (uint32_t)cb[j]);
    }
    if (f->col_scale)
        for (int j = 0; j < nr; j++) cols[j] = ep->scale[j0 + j];
    if (f->has_fb && f->col_fb)
        for (int j = 0; j < nr; j++) colfb[j] = ep->fbias[j0 + j];
}

/// The same into the tile's own buffers, pointed to.
static void fuse_cols(const qjob *g, ok_qfuse *f, int j0, int nr) {
    fuse_cols_to(g, f, j0, nr, f->colc_buf, f->cols_buf, f->colfb_buf);
    f->colc = f->colc_buf;
    f->cols = f->cols_buf;
    f->colfb = f->colfb_buf;
}

/// Row constants of rows [i0, i0 + n) into rowc / rows / rowfb (from index 0).
static void fuse_rows(const qjob *g, const ok_qfuse *f, int i0, int n, int32_t *rowc, float *rows, float *rowfb) {
    const ok_qepilogue *ep = g->e.ep;
    const uint32_t zb = (uint32_t)g->e.zb0;
    const int32_t *ra = g->e.ra + i0;
    // One branch-free loop per array and case, which the compiler vectorizes (the
    // per-element conditions made this a scalar loop: ~1/3 of qtask on MobileNet).
    if (ep->bias && ep->bias_per != OK_QPER_COL) {
        const int32_t *b = ep->bias + i0;
        for (int i = 0; i < n; i++) rowc[i] = (int32_t)((uint32_t)b[i] - zb * (uint32_t)ra[i]);
    } else {
        for (int i = 0; i < n; i++) rowc[i] = (int32_t)(0u - zb * (uint32_t)ra[i]);
    }
    if (f->col_scale) {
        for (int i = 0; i < n; i++) rows[i] = 0.0f;
    } else if (ep->scale && ep->scale_per == OK_QPER_ROW) {
        const float *sc = ep->scale + i0;
        for (int i = 0; i < n; i++) rows[i] = sc[i];
    } else {
        const float v = ep->scale ? ep->scale[0] : 1.0f;
        for (int i = 0; i < n; i++) rows[i] = v;
    }
    if (f->has_fb && !f->col_fb) {
        const float *fb = ep->fbias + i0;
        for (int i = 0; i < n; i++) rowfb[i] = fb[i];
    } else {
        for (int i = 0; i < n; i++) rowfb[i] = 0.0f;
    }
}

/// Points a tile's row constants (rows [ir, ir + mr) of the block starting at ic) into
/// the block's cache, or, for a block larger than the cache, computes them into the
/// cache's first entries.
static inline void tile_rows(const qjob *g, ok_qfuse *f, int cached, int ic, int ir, int mr, int32_t *rc, float *rs,
                             float *rfb) {
    if (cached) {
        f->rowc = rc + (ir - ic); f->rows = rs + (ir - ic); f->rowfb = rfb + (ir - ic);
        return;
    }
    fuse_rows(g, f, ir, mr, rc, rs, rfb);
    memset(rc + mr, 0, sizeof(int32_t) * 16);  // (rows past mr: read by the kernel, unused)
    f->rowc = rc; f->rows = rs; f->rowfb = rfb;
}

/// Rows of a block whose fused-epilogue row constants are computed once per block
/// (instead of once per tile: fuse_rows per 12x32 tile was ~6% of kws int8, whose
/// GEMMs are 64 x 125).
enum { QROW_CACHE = 256, QCOL_CACHE = 512 };

OK_X86_HOT static void qtask(void *raw, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const qjob *g = raw;
    const ok_qgemm_kernel_desc *k = g->k;
    const int MR = k->mr, NR = k->nr;
    int32_t tile[OK_QMR_MAX * OK_QNR_MAX] __attribute__((aligned(64)));
    ok_qfuse fz;
    // Row constants of the current block, rows [ic, ic + QROW_CACHE), as fuse_rows makes them.
    // (16 more: a tile's kernel reads 16 entries through its pointer; rows past mr unused.)
    int32_t rc[QROW_CACHE + 16];
    float rs[QROW_CACHE + 16], rfb[QROW_CACHE + 16];
    // Column constants of the current column block [jc, j1), rows-first order only.
    // (64-byte aligned: the kernels load a tile's entries, at multiples of NR, as vectors.)
    int32_t cc[QCOL_CACHE + OK_QNR_MAX] __attribute__((aligned(64)));
    float cs[QCOL_CACHE + OK_QNR_MAX] __attribute__((aligned(64))), cfb[QCOL_CACHE + OK_QNR_MAX] __attribute__((aligned(64)));
    if (g->fuse) init_fuse(g, &fz);
    for (int64_t t = begin; t < end; t++) {
        int mg = (int)(t % g->mgroups), nb = (int)(t / g->mgroups);
        int m0 = mg * g->mrange, m1 = m0 + g->mrange < g->M ? m0 + g->mrange : g->M;
        int jc = nb * g->nc, j1 = jc + g->nc < g->N ? jc + g->nc : g->N;
        for (int ic = m0; ic < m1; ic += g->mc) {
            int ie = ic + g->mc < m1 ? ic + g->mc : m1;
            // Blocks of more rows than the cache: constants per tile, into its first entries.
            const int cached = g->fuse && ie - ic <= QROW_CACHE;
            if (cached) {
                fuse_rows(g, &fz, ic, ie - ic, rc, rs, rfb);
                memset(rc + (ie - ic), 0, sizeof(int32_t) * 16);
                memset(rs + (ie - ic), 0, sizeof(float) * 16);
                memset(rfb + (ie - ic), 0, sizeof(float) * 16);
            }
            // Column constants of the block, once (rows first: every row panel reads them).
            const int ccached = g->rows_first && j1 - jc <= QCOL_CACHE;
            if (ccached)
                for (int jr = jc; jr < j1; jr += NR) {
                    int nr = j1 - jr < NR ? j1 - jr : NR;
                    fuse_cols_to(g, &fz, jr, nr, cc + (jr - jc), cs + (jr - jc), cfb + (jr - jc));
                }
            if (g->rows_first) {
                // Fused tiles row panel by row panel (see qjob.rows_first).
                for (int ir = ic; ir < ie; ir += MR) {
                    int mr = ie - ir < MR ? ie - ir : MR;
                    tile_rows(g, &fz, cached, ic, ir, mr, rc, rs, rfb);
                    const char *ap = g->pa + (size_t)(ir / MR) * g->a_panel;
                    char *crow = (char *)g->e.C + (ptrdiff_t)ir * g->e.ldc * (ptrdiff_t)g->out_es;
                    for (int jr = jc; jr < j1; jr += NR) {
                        int nr = j1 - jr < NR ? j1 - jr : NR;
                        if (ccached) {
                            fz.colc = cc + (jr - jc);
                            fz.cols = cs + (jr - jc);
                            fz.colfb = cfb + (jr - jc);
                        } else {
                            fuse_cols(g, &fz, jr, nr);
                        }
                        k->fused(g->kg, ap, g->pb + (size_t)(jr / NR) * g->b_panel, &fz, crow + (size_t)jr * g->out_es,
                                 g->e.ldc, mr, nr);
                    }
                }
                continue;
            }
            for (int jr = jc; jr < j1; jr += NR) {
                int nr = j1 - jr < NR ? j1 - jr : NR;
                const char *bp = g->pb + (size_t)(jr / NR) * g->b_panel;
                int fuse = g->fuse;
                if (fuse) fuse_cols(g, &fz, jr, nr);
                for (int ir = ic; ir < ie; ir += MR) {
                    int mr = ie - ir < MR ? ie - ir : MR;
                    if (fuse) {
                        tile_rows(g, &fz, cached, ic, ir, mr, rc, rs, rfb);
                        char *c = (char *)g->e.C + ((ptrdiff_t)ir * g->e.ldc + jr) * g->out_es;
                        k->fused(g->kg, g->pa + (size_t)(ir / MR) * g->a_panel, bp, &fz, c, g->e.ldc, mr, nr);
                        continue;
                    }
                    k->fn(g->kg, g->pa + (size_t)(ir / MR) * g->a_panel, bp, tile);
#ifndef OK_Q_NOEPI
                    k->epi(&g->e, tile, NR, mr, nr, ir, jr);
#endif
                }
            }
        }
    }
}

OK_X86_DRIVER void ok_qgemm_packed_run(ok_pool *pool, const ok_qgemm_kernel_desc *k, int M, int N, int K, const void *pa,
                         const int32_t *za, const int32_t *ra, const void *pb, const int32_t *zb,
                         const int32_t *cb, void *C, ptrdiff_t ldc, const ok_qepilogue *ep) {
    qjob g;
    memset(&g, 0, sizeof g);
    g.k = k; g.M = M; g.N = N;
    g.kg = ok_q_round_up(K, k->ku) / k->ku;
    g.pa = pa; g.pb = pb;
    g.a_panel = (size_t)k->mr * g.kg * k->ku * k->es;
    g.b_panel = (size_t)k->nr * g.kg * k->ku * k->es;
    g.e.za = za; g.e.ra = ra; g.e.zb = zb; g.e.cb = cb; g.e.ep = ep; g.e.C = C; g.e.ldc = ldc;
    g.e.za_uni = 1; g.e.zb_uni = 1; g.e.za0 = za[0]; g.e.zb0 = zb[0];
    // (No early exit: the compiler vectorizes these.)
    for (int i = 1; i < M; i++) g.e.za_uni &= za[i] == za[0];
    for (int j = 1; j < N; j++) g.e.zb_uni &= zb[j] == zb[0];
    g.fuse = k->fused != NULL && g.e.za_uni && g.e.zb_uni;
    // Saturating narrowing in the fused epilogue (ok_qfuse.sat): the output's whole type
    // range, and every scale within [-0.5, 0.5] (false for NaN / inf), so that
    // |acc * scale| <= 2^30 and round + zp cannot overflow.
    // The same scale bound lets full tiles narrow by saturating packs (ok_qfuse.pack),
    // whatever the clamp bounds.
    if (g.fuse && ep->scale && (ep->out == OK_QOUT_U8 || ep->out == OK_QOUT_S8)) {
        int ns = ep->scale_per == OK_QPER_ROW ? M : ep->scale_per == OK_QPER_COL ? N : 1, ok = 1;
        for (int i = 0; i < ns && ok; i++) ok = ep->scale[i] <= 0.5f && ep->scale[i] >= -0.5f;
        int full = ep->out == OK_QOUT_U8 ? ep->qmin == 0 && ep->qmax == 255 : ep->qmin == -128 && ep->qmax == 127;
        g.sat = ok && full ? (ep->out == OK_QOUT_U8 ? 1 : 2) : 0;
        g.pack = ok ? (ep->out == OK_QOUT_U8 ? 1 : 2) : 0;
    }
    g.out_es = ep->out == OK_QOUT_I32 || ep->out == OK_QOUT_F32 ? 4 : 1;
    g.rows_first = g.fuse && M > k->mr && ((size_t)ldc * g.out_es) % 4096 == 0;
    // Row block: the A block (mc x K) stays in L2 while the B panels stream past it.
    int mc = (int)((192 * 1024) / (g.a_panel / k->mr + 1));
    mc = mc / k->mr * k->mr;
    if (mc < k->mr) mc = k->mr;
    if (mc > ok_q_round_up(M, k->mr)) mc = ok_q_round_up(M, k->mr);
    g.mc = mc;
    int nc = ok_q_round_up(N, k->nr);
    if (nc > QCOL_CACHE) nc = QCOL_CACHE;  // (qtask caches a block's column constants)
    int threads = ok_pool_threads(pool);
    // Small products stay on the calling thread: handing half of a product to a worker
    // (publishing the job, the worker's chunk, waiting for it) costs about as much as
    // the half itself below ~0.25M multiply-adds (~0.5-1 us on the VNNI kernel). It was
    // 1M: at 2 threads perf showed two thirds of MobileNet's GEMM time on the calling
    // thread; 512K: int8 mobilenet 0.177-0.178 -> 0.170-0.174 ms at 2 threads, kws and
    // yolo unchanged. 256K (2026-11-29, session 9, 8 rounds alternating, the VM's second
    // vCPU checked healthy before and after): kws int8 at 2 threads 0.0153 -> 0.0142 ms
    // (its four 512,000-MAC pointwise layers and conv1 now split), mobilenet 0.162 ->
    // 0.159 ms, tiny and yolo unchanged; 128K no better. (Earlier trials of 256K that
    // found kws slower ran in the VM's phases where a second thread gains nothing.)
    if ((int64_t)M * N * K < OK_QGEMM_MIN_PARALLEL_MACS) threads = 1;
    int nblocks = (N + nc - 1) / nc;
    g.mgroups = 1;
    if (threads > 1 && nblocks < threads * 2) {
        int want = threads * 2;
        int c2 = ok_q_round_up((N + want - 1) / want, k->nr);
        if (c2 < 2 * k->nr) c2 = 2 * k->nr;
        if (c2 < nc) nc = c2;
        nblocks = (N + nc - 1) / nc;
        if (nblocks < want) {
            int mgs = (want + nblocks - 1) / nblocks;
            int max_mg = (M + k->mr - 1) / k->mr;
            g.mgroups = mgs < max_mg ? mgs : max_mg;
        }
    }
    g.nc = nc;
    g.mrange = ok_q_round_up((M + g.mgroups - 1) / g.mgroups, k->mr);
    g.mgroups = (M + g.mrange - 1) / g.mrange;
    int64_t tasks = (int64_t)g.mgroups * nblocks;
    ok_pool_parallel_for(threads > 1 ? pool : NULL, tasks, 1, qtask, &g);
}

typedef struct {
    const ok_qgemm_kernel_desc *k;
    int rows, K, w, dst_s8, t, is_b;
    const void *S;
    ptrdiff_t rs, cs;
    char *panels;
    int32_t *sums;
    size_t pbytes;
} qpack_job;

/// The ragged block's rows: d[k][0 .. n) = src[k * ld ..], d[k][n .. w) = flip.
static void ragged_rows(const uint8_t *src, ptrdiff_t ld, int K, int n, int w, uint8_t flip, uint8_t *blk) {
    for (int k = 0; k < K; k++) {
        uint8_t *d = blk + (size_t)k * w;
        memcpy(d, src + (ptrdiff_t)k * ld, (size_t)n);
        memset(d + n, flip, (size_t)(w - n));
    }
}

#if OK_Q_X86
#include <immintrin.h>
/// The same for w <= 64 (VNNI: 32-wide panels): one masked load over the flip byte and
/// one masked store per row instead of two libc calls (~1.5% of kws int8).
__attribute__((target("avx512f,avx512bw"))) static void ragged_rows__avx512(const uint8_t *src, ptrdiff_t ld, int K,
                                                                           int n, int w, uint8_t flip, uint8_t *blk) {
    const __mmask64 kn = n >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1);
    const __mmask64 kw = w >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << w) - 1);
    const __m512i f = _mm512_set1_epi8((char)flip);
    for (int k = 0; k < K; k++)
        _mm512_mask_storeu_epi8(blk + (size_t)k * w, kw, _mm512_mask_loadu_epi8(f, kn, src + (ptrdiff_t)k * ld));
}
#endif

static void qpack_task(void *raw, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const qpack_job *j = raw;
    int r0 = (int)begin * j->w, r1 = (int)end * j->w;
    if (r1 > j->rows) r1 = j->rows;
    if (j->is_b && j->k->pack_b_panel && j->rs == 1) {
        // Row-major B: whole panels through the ISA's interleaving packer.
        int flip = j->t == OK_QTYPE_U8 ? 0x80 : 0;
#if OK_Q_X86 && OK_AVX512_BUILT
        if (j->k->pack_b_panel == ok_qpack_b_panel__avx512vnni)  // two panels per 512-bit pass
            for (; r0 + 2 * j->w <= r1; r0 += 2 * j->w) {
                char *pa = j->panels + (size_t)(r0 / j->w) * j->pbytes;
                ok_qpack_b_pair__avx512vnni((const uint8_t *)j->S + r0, j->cs, j->K, flip, pa, pa + j->pbytes,
                                            j->sums + r0);
            }
#endif
        for (; r0 + j->w <= r1; r0 += j->w)
            j->k->pack_b_panel((const uint8_t *)j->S + r0, j->cs, j->K, flip, j->panels + (size_t)(r0 / j->w) * j->pbytes,
                               j->sums + r0);
        if (r0 >= r1) return;
        // The ragged last panel (kws: 29 of 125 columns) went column by column through
        // the generic packer, 14% of kws int8. Copy it into a full-width row-major
        // block whose missing columns are `flip` bytes (0 after the flip, so they pack
        // as zeros and sum to 0, as the generic packer leaves them) and use the ISA
        // packer; the sums array has the padded length.
        if ((size_t)j->K * j->w <= 32768) {
            uint8_t blk[32768] __attribute__((aligned(64)));
            int n = r1 - r0;
            const uint8_t *src = (const uint8_t *)j->S + r0;
#if OK_Q_X86
            if (j->w <= 64 && ok_isa_enabled(OK_ISA_AVX512))
                ragged_rows__avx512(src, j->cs, j->K, n, j->w, (uint8_t)flip, blk);
            else
#endif
                ragged_rows(src, j->cs, j->K, n, j->w, (uint8_t)flip, blk);
            j->k->pack_b_panel(blk, j->w, j->K, flip, j->panels + (size_t)(r0 / j->w) * j->pbytes, j->sums + r0);
            return;
        }
    }
    ok_qpack_panels(j->S, j->t, j->rs, j->cs, r0, r1 - r0, j->K, j->w, j->k->ku, j->k->es, j->dst_s8,
                    j->panels + (size_t)(r0 / j->w) * j->pbytes, j->sums + r0);
}

/// Packs in parallel (by panels) when the operand is big enough to pay for it: from 32 KB,
/// chunks of ~16 KB (was 64 KB / 64 KB: MobileNet's 64x64 pointwise layers packed their
/// 64 KB of activations (K = 16, 2.8 us of features.1.project's 6.8) on one thread).
static void pack_parallel(ok_pool *pool, const ok_qgemm_kernel_desc *k, const void *S, int t, ptrdiff_t rs,
                          ptrdiff_t cs, int rows, int K, int w, int dst_s8, int is_b, void *panels, int32_t *sums) {
    qpack_job j = {k, rows, K, w, dst_s8, t, is_b, S, rs, cs, panels, sums,
                   (size_t)w * ok_q_round_up(K, k->ku) * k->es};
    int64_t npanels = (rows + w - 1) / w;
    int64_t grain = (int64_t)(16384 / ((size_t)w * K + 1)) + 1;
    ok_pool_parallel_for((size_t)rows * K >= 32768 ? pool : NULL, npanels, grain, qpack_task, &j);
}

OK_X86_DRIVER void ok_qgemm(ok_pool *pool, int M, int N, int K, const void *A, int ta, ptrdiff_t rsa, ptrdiff_t csa,
              const int32_t *za, int za_per, const void *packed_a, const void *B, int tb, ptrdiff_t rsb,
              ptrdiff_t csb, const int32_t *zb, int zb_per, const void *packed_b, void *C, ptrdiff_t ldc,
              const ok_qepilogue *ep, void *workspace) {
    if (M <= 0 || N <= 0) return;
    const ok_qpack_header *ha = packed_a, *hb = packed_b;
    const ok_qgemm_kernel_desc *k;
    if (ha) k = ok_qgemm_kernel_for(ha->isa);
    else if (hb) k = ok_qgemm_kernel_for(hb->isa);
    else k = ok_qgemm_kernel_current();
    if (ha && hb && ha->isa != hb->isa) return;  // both pre-packs must come from the same dispatch
    if (K <= 0) K = 0;
    void *owned = NULL;
    if (!workspace && (!ha || !hb)) {
        if (posix_memalign(&owned, 64, ok_qgemm_workspace_size(M, N, K, ok_pool_threads(pool))) != 0) return;
        workspace = owned;
    }
    char *ws = workspace;
    const void *pa, *pb;
    const int32_t *zad, *ra, *zbd, *cb;
    if (ha) {
        pa = pk_panels(ha); zad = pk_arr(ha, 0); ra = pk_arr(ha, 1);
    } else {
        char *panels = ws;
        ws += panels_bytes_max(M, K);
        int32_t *z = (int32_t *)ws, *s = (int32_t *)(ws + arr_bytes(M));
        ws += 2 * arr_bytes(M);
        pack_parallel(pool, k, A, ta, rsa, csa, M, K, k->mr, k->a_s8, 0, panels, s);
        // (Bounds hoisted: the stores below may alias *k for the compiler, which then
        // redid the division every element: 40% of ok_qgemm on MobileNet's layers.)
        const int mpad = ok_q_round_up(M, k->mr);
        for (int i = 0; i < mpad; i++) {
            int32_t zz = za ? za[za_per == OK_QPER_ROW ? (i < M ? i : 0) : 0] : 0;
            z[i] = i < M ? ok_q_domain_zp(zz, ta, k->a_s8) : 0;
            if (i >= M) s[i] = 0;
        }
        pa = panels; zad = z; ra = s;
    }
    if (hb) {
        pb = pk_panels(hb); zbd = pk_arr(hb, 0); cb = pk_arr(hb, 1);
    } else {
        char *panels = ws;
        ws += panels_bytes_max(N, K);
        int32_t *z = (int32_t *)ws, *s = (int32_t *)(ws + arr_bytes(N));
        pack_parallel(pool, k, B, tb, csb, rsb, N, K, k->nr, 1, 1, panels, s);
        const int npad = ok_q_round_up(N, k->nr);
        const int32_t zb0 = zb ? ok_q_domain_zp(zb[0], tb, 1) : ok_q_domain_zp(0, tb, 1);
        if (zb_per != OK_QPER_COL || !zb) {
            // One zero point: a loop the compiler vectorizes.
            for (int j = 0; j < N; j++) {
                z[j] = zb0;
                s[j] = (int32_t)((uint32_t)K * (uint32_t)zb0 - (uint32_t)s[j]);
            }
        } else {
            for (int j = 0; j < N; j++) {
                z[j] = ok_q_domain_zp(zb[j], tb, 1);
                s[j] = (int32_t)((uint32_t)K * (uint32_t)z[j] - (uint32_t)s[j]);
            }
        }
        for (int j = N; j < npad; j++) z[j] = s[j] = 0;
        pb = panels; zbd = z; cb = s;
    }
    if (K == 0) {
        // No products: acc = bias only; the kernels need at least one group.
        ok_qepi e = {zad, ra, zbd, cb, ep, C, ldc, 0, 0, 0, 0};
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                int32_t t0 = 0;
                ok_qepi__scalar(&e, &t0, 1, 1, 1, i, j);
            }
    } else {
        ok_qgemm_packed_run(pool, k, M, N, K, pa, zad, ra, pb, zbd, cb, C, ldc, ep);
    }
    free(owned);
}
