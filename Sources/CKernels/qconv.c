// Int8 convolution (NCHW, 1-3 spatial axes) on ok_qgemm: the packed weights are A
// (M = Cout/group, K = Cin/group * kernel volume), B is the input itself (pointwise)
// or its im2col with padding = the input zero point; depthwise 2-D runs a direct kernel.
#include "ok_qconv.h"
#include "qgemm_internal.h"
#include "ok_portable.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int id, ih, iw, od, oh, ow, kd, kh, kw, sd, sh, sw, dd, dh, dw, pd, ph, pw;
    size_t in_sp, out_sp, kv;
} qgeom;

static size_t narrow_bytes(const qgeom *g, int cig);  // the narrow im2col's padded planes

// 1-D and 2-D convolutions as 3-D with leading axes of size 1.
OK_X86_DRIVER static qgeom to3(const ok_conv_params *p) {  // per call: O(1)
    int in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, pb[3] = {0, 0, 0};
    int off = 3 - p->ndim;
    for (int i = 0; i < p->ndim; i++) {
        in[off + i] = p->in_shape[i]; out[off + i] = p->out_shape[i]; k[off + i] = p->kernel[i];
        s[off + i] = p->stride[i]; d[off + i] = p->dilation[i]; pb[off + i] = p->pad_begin[i];
    }
    qgeom g = {in[0], in[1], in[2], out[0], out[1], out[2], k[0], k[1], k[2], s[0], s[1], s[2], d[0], d[1], d[2],
               pb[0], pb[1], pb[2], 0, 0, 0};
    g.in_sp = (size_t)in[0] * in[1] * in[2];
    g.out_sp = (size_t)out[0] * out[1] * out[2];
    g.kv = (size_t)k[0] * k[1] * k[2];
    return g;
}

static size_t out_elem(int out) { return out == OK_QOUT_I32 || out == OK_QOUT_F32 ? 4 : 1; }

int ok_qconv_algorithm(const ok_conv_params *p) {
    if (p->ndim == 2 && p->group == p->cin && p->group == p->cout && p->group > 1) return 2;
    for (int i = 0; i < p->ndim; i++)
        if (p->kernel[i] != 1 || p->stride[i] != 1 || p->pad_begin[i] != 0 || p->pad_end[i] != 0 ||
            p->in_shape[i] != p->out_shape[i])
            return 0;
    return 1;
}

// ---------------------------------------------------------------- reference

void ok_qconv_reference(const ok_conv_params *p, const void *x, int tx, int32_t zx, const void *w, int tw,
                        const int32_t *zw, int zw_per, void *y, const ok_qepilogue *ep) {
    qgeom g = to3(p);
    int cig = p->cin / p->group, cog = p->cout / p->group;
    int32_t *row = malloc(sizeof(int32_t) * (g.out_sp ? g.out_sp : 1));
    ok_qepi e = {NULL, NULL, NULL, NULL, ep, NULL, (ptrdiff_t)g.out_sp, 0, 0, 0, 0};
    for (int b = 0; b < p->batch; b++)
        for (int co = 0; co < p->cout; co++) {
            int grp = co / cog;
            int32_t z = zw ? zw[zw_per == OK_QPER_ROW ? co : 0] : 0;
            size_t n = 0;
            for (int od = 0; od < g.od; od++)
                for (int oh = 0; oh < g.oh; oh++)
                    for (int ow = 0; ow < g.ow; ow++, n++) {
                        int64_t s = 0;
                        for (int ci = 0; ci < cig; ci++)
                            for (int kd = 0; kd < g.kd; kd++)
                                for (int kh = 0; kh < g.kh; kh++)
                                    for (int kw = 0; kw < g.kw; kw++) {
                                        int id = od * g.sd - g.pd + kd * g.dd, ih = oh * g.sh - g.ph + kh * g.dh;
                                        int iw = ow * g.sw - g.pw + kw * g.dw;
                                        int32_t xv = zx;
                                        if (id >= 0 && id < g.id && ih >= 0 && ih < g.ih && iw >= 0 && iw < g.iw) {
                                            size_t xi = ((size_t)b * p->cin + grp * cig + ci) * g.in_sp +
                                                        ((size_t)id * g.ih + ih) * g.iw + iw;
                                            xv = tx == OK_QTYPE_S8 ? ((const int8_t *)x)[xi] : ((const uint8_t *)x)[xi];
                                        }
                                        size_t wi = (((size_t)co * cig + ci) * g.kd + kd) * g.kh * g.kw + kh * g.kw + kw;
                                        int32_t wv = tw == OK_QTYPE_S8 ? ((const int8_t *)w)[wi] : ((const uint8_t *)w)[wi];
                                        s += (int64_t)(xv - zx) * (wv - z);
                                    }
                        row[n] = (int32_t)(uint32_t)(uint64_t)s;
                    }
            e.C = (char *)y + (size_t)b * p->cout * g.out_sp * out_elem(ep->out);
            ok_qepi__scalar(&e, row, 0, 1, (int)g.out_sp, co, 0);
        }
    free(row);
}

// ---------------------------------------------------------------- packed weights

typedef struct {
    uint32_t magic;
    int32_t algo, group_bytes;
    int32_t dw_q8;  // depthwise: 1 if the s8 copy of w - zw (VNNI kernel) follows the floats
    int32_t direct_q8;  // 1 if the direct kernel's s8 weights follow the GEMM's (qconv_direct_vnni.c)
    int32_t dw_channels;  // depthwise: 1 if the channel blocks' float weights are packed (x86-64)
    int64_t dw_channels_at;  // their byte offset after the header
} qconv_header;
#define OK_QCONV_MAGIC 0x4b435130u

static void gemm_dims(const ok_conv_params *p, int *M, int *K, int *N) {
    qgeom g = to3(p);
    *M = p->cout / p->group;
    *K = (int)((size_t)(p->cin / p->group) * g.kv);
    *N = (int)g.out_sp;
}

/// Depthwise packed weights: floats w - zw [c][kh][kw], then (VNNI kernel) the same as
/// s8 in groups of 4 taps along kw, [c][kh][ceil(KW/4)] int32 words, then int32 sums per c.
static size_t dw_q8_words(const qgeom *g) { return (size_t)g->kh * ((g->kw + 3) / 4); }

/// Depthwise packed weights before the channel blocks: the floats, the s8 copy, the sums.
static size_t dw_base_bytes(const ok_conv_params *p) {
    qgeom g = to3(p);
    return OK_QALIGN64(sizeof(float) * (size_t)p->cout * g.kv) +
           OK_QALIGN64(sizeof(int32_t) * (size_t)p->cout * dw_q8_words(&g)) + OK_QALIGN64(sizeof(int32_t) * (size_t)p->cout);
}

/// The 2-D plane geometry the direct and depthwise kernels take.
static inline ok_qdw_geom dw_geom2(const qgeom *g) {
    ok_qdw_geom d = {g->ih, g->iw, g->oh, g->ow, g->kh, g->kw, g->sh, g->sw, g->dh, g->dw, g->ph, g->pw};
    return d;
}

/// The direct kernels' epilogues are per output channel (ROW) or per tensor: nothing
/// per column, which is what convolutions pass.
static inline int epilogue_per_channel(const ok_qepilogue *ep) {
    return !ep || !(ep->bias_per == OK_QPER_COL || (ep->scale && ep->scale_per == OK_QPER_COL));
}

/// The VNNI kernels pad with the input zero point as a byte of the input's type.
static inline int zero_point_is_byte(int tx, int32_t zx) {
    return tx == OK_QTYPE_S8 ? zx >= -128 && zx <= 127 : zx >= 0 && zx <= 255;
}

/// Widest output rows for which depthwise layers take the channel-vectorised kernels
/// (float: qconv_dw_channels_avx512.c; integer: qconv_dw_channels_vnni.c).
enum { OK_QDWC_MAX_OW = 8, OK_QDWCV_MAX_OW = 16 };

/// Depthwise, x86-64: the channel-vectorised kernel's weights, w - zw as float in
/// blocks of 16 channels, [block][kh][kw][16] (qconv_dw_channels_avx512.c), packed
/// for 2-D layers within its kernel volume.
static size_t dw_channel_bytes(const ok_conv_params *p) {
#if OK_Q_X86
    qgeom g = to3(p);
    if (p->ndim != 2 || g.kv > OK_QDWC_MAX_TAPS) return 0;
    return OK_QALIGN64(sizeof(float) * (size_t)(p->cout + 15) / 16 * 16 * g.kv);
#else
    (void)p;
    return 0;
#endif
}

/// The direct VNNI kernel's geometry (x86-64 builds): 2-D, group 1, few input
/// channels (C_in * KH * ceil(KW/4) tap groups, see OK_QDIRECT_MAX_TAPGROUPS), a
/// geometry the kernel takes. Whether it runs is decided again per call (VNNI
/// enabled, weights that fit s8, the input zero point, the epilogue).
static int direct_geometry(const ok_conv_params *p) {
#if OK_Q_X86 && OK_AVX512_BUILT
    if (ok_qconv_algorithm(p) != 0 || p->ndim != 2 || p->group != 1 || p->cout > OK_QDIRECT_MAX_COUT) return 0;
    qgeom g = to3(p);
    ok_qdw_geom d = dw_geom2(&g);
    return ok_qconv_direct_plan__vnni(&d, p->cin);
#else
    (void)p;
    return 0;
#endif
}

/// Tap groups (ci, kh, 4 taps along kw) of the direct kernel's packed weights.
static size_t direct_taps(const ok_conv_params *p) {
    qgeom g = to3(p);
    return (size_t)p->cin * g.kh * ((g.kw + 3) / 4);
}

static size_t direct_weight_bytes(const ok_conv_params *p) {
#if OK_Q_X86 && OK_AVX512_BUILT
    size_t cp = (size_t)ok_qconv_direct_coutp(p->cout);
    return OK_QALIGN64(sizeof(int32_t) * direct_taps(p) * cp) + OK_QALIGN64(sizeof(int32_t) * cp);
#else
    (void)p;
    return 0;
#endif
}

size_t ok_qconv_packed_weights_size(const ok_conv_params *p) {
    if (ok_qconv_algorithm(p) == 2) {
        qgeom g = to3(p);
        return 64 + dw_base_bytes(p) + dw_channel_bytes(p);
    }
    int M, K, N;
    gemm_dims(p, &M, &K, &N);
    return 64 + OK_QALIGN64(ok_qgemm_packed_a_size(M, K)) * (size_t)p->group +
           (direct_geometry(p) ? direct_weight_bytes(p) : 0);
}

/// The direct kernel's weights after the GEMM's: wq[t][coutp], t = (ci, kh, g), four
/// s8 taps w - zw per int32 (kw = 4g .. 4g + 3, past KW 0), then wsum[coutp]; written
/// only when every w - zw fits s8 (h->direct_q8).
static void pack_direct(const ok_conv_params *p, const void *w, int tw, const int32_t *zw, int zw_per,
                        qconv_header *h, char *dst) {
#if OK_Q_X86
    qgeom g = to3(p);
    const int G = (g.kw + 3) / 4, cp = ok_qconv_direct_coutp(p->cout);
    const size_t per_co = (size_t)p->cin * g.kv, taps = direct_taps(p);
    for (int co = 0; co < p->cout; co++) {
        int32_t z = zw ? zw[zw_per == OK_QPER_ROW ? co : 0] : 0;
        for (size_t i = 0; i < per_co; i++) {
            size_t wi = (size_t)co * per_co + i;
            int32_t v = (tw == OK_QTYPE_S8 ? ((const int8_t *)w)[wi] : ((const uint8_t *)w)[wi]) - z;
            if (v < -128 || v > 127) return;
        }
    }
    int8_t *q = (int8_t *)dst;
    int32_t *sums = (int32_t *)(dst + OK_QALIGN64(sizeof(int32_t) * taps * cp));
    memset(dst, 0, direct_weight_bytes(p));
    for (int co = 0; co < p->cout; co++) {
        int32_t z = zw ? zw[zw_per == OK_QPER_ROW ? co : 0] : 0, sum = 0;
        for (int ci = 0; ci < p->cin; ci++)
            for (int kh = 0; kh < g.kh; kh++)
                for (int kw = 0; kw < g.kw; kw++) {
                    size_t wi = (((size_t)co * p->cin + ci) * g.kh + kh) * g.kw + kw;
                    int32_t v = (tw == OK_QTYPE_S8 ? ((const int8_t *)w)[wi] : ((const uint8_t *)w)[wi]) - z;
                    size_t t = ((size_t)ci * g.kh + kh) * G + kw / 4;
                    q[(t * cp + co) * 4 + kw % 4] = (int8_t)v;
                    sum += v;
                }
        sums[co] = sum;
    }
    h->direct_q8 = 1;
#else
    (void)p; (void)w; (void)tw; (void)zw; (void)zw_per; (void)h; (void)dst;
#endif
}

OK_SETUP void ok_qconv_pack_weights(const ok_conv_params *p, const void *w, int tw, const int32_t *zw, int zw_per,
                           void *packed) {
    qconv_header *h = packed;
    memset(h, 0, 64);
    h->magic = OK_QCONV_MAGIC;
    h->algo = ok_qconv_algorithm(p);
    char *data = (char *)packed + 64;
    if (h->algo == 2) {
        // Depthwise: w - zw as float (exact integers), [c][kh][kw].
        qgeom g = to3(p);
        float *d = (float *)data;
        for (int c = 0; c < p->cout; c++) {
            int32_t z = zw ? zw[zw_per == OK_QPER_ROW ? c : 0] : 0;
            for (size_t k = 0; k < g.kv; k++) {
                size_t i = (size_t)c * g.kv + k;
                int32_t v = tw == OK_QTYPE_S8 ? ((const int8_t *)w)[i] : ((const uint8_t *)w)[i];
                d[i] = (float)(v - z);
            }
        }
        if (dw_channel_bytes(p)) {
            h->dw_channels = 1;
            h->dw_channels_at = (int64_t)dw_base_bytes(p);
            float *wb = (float *)(data + h->dw_channels_at);
            memset(wb, 0, dw_channel_bytes(p));
            for (int c = 0; c < p->cout; c++)
                for (size_t k = 0; k < g.kv; k++) wb[((size_t)(c / 16) * g.kv + k) * 16 + c % 16] = d[(size_t)c * g.kv + k];
        }
        // The s8 copy for the VNNI kernel, when every w - zw fits in s8.
        size_t nw = (size_t)p->cout * g.kv;
        int fits = 1;
        for (size_t i = 0; i < nw; i++) fits &= d[i] >= -128.0f && d[i] <= 127.0f;
        if (!fits) return;
        h->dw_q8 = 1;
        size_t words = dw_q8_words(&g);
        int G = (g.kw + 3) / 4;
        int8_t *q = (int8_t *)(data + OK_QALIGN64(sizeof(float) * nw));
        int32_t *sums = (int32_t *)((char *)q + OK_QALIGN64(sizeof(int32_t) * (size_t)p->cout * words));
        memset(q, 0, sizeof(int32_t) * (size_t)p->cout * words);
        for (int c = 0; c < p->cout; c++) {
            int32_t sum = 0;
            for (int kh = 0; kh < g.kh; kh++)
                for (int kw = 0; kw < g.kw; kw++) {
                    int32_t v = (int32_t)d[(size_t)c * g.kv + (size_t)kh * g.kw + kw];
                    q[((size_t)c * words + (size_t)kh * G + kw / 4) * 4 + kw % 4] = (int8_t)v;
                    sum += v;
                }
            sums[c] = sum;
        }
        return;
    }
    int M, K, N;
    gemm_dims(p, &M, &K, &N);
    h->group_bytes = (int32_t)OK_QALIGN64(ok_qgemm_packed_a_size(M, K));
    for (int grp = 0; grp < p->group; grp++) {
        const char *wg = (const char *)w + (size_t)grp * M * K;
        const int32_t *zg = zw ? (zw_per == OK_QPER_ROW ? zw + grp * M : zw) : NULL;
        ok_qgemm_pack_a(M, K, wg, tw, K, 1, zg, zw_per, data + (size_t)grp * h->group_bytes);
    }
    if (direct_geometry(p)) pack_direct(p, w, tw, zw, zw_per, h, data + (size_t)p->group * h->group_bytes);
}

int ok_qconv_direct_packed(const void *packed_w) {
    const qconv_header *h = packed_w;
    return h->algo == 0 && h->direct_q8;
}

// ---------------------------------------------------------------- workspace

/// Channels per float depthwise call (amortizes the kernel's tile setup; ~256 KB of planes).
static int dw_chunk(const qgeom *g) {
    size_t per = sizeof(float) * (g->in_sp + g->out_sp);
    int c = (int)((256 * 1024) / (per ? per : 1));
    return c < 1 ? 1 : c > 16 ? 16 : c;
}

static size_t dw_plane_bytes(const qgeom *g, int *hp, int *wp) {
    int H = (g->oh - 1) * g->sh + (g->kh - 1) * g->dh + 1, W = (g->ow - 1) * g->sw + (g->kw - 1) * g->dw + 1;
    if (H < g->ih + g->ph) H = g->ih + g->ph;
    if (W < g->iw + g->pw) W = g->iw + g->pw;
    W = (W + 15) / 16 * 16 + 16;  // vector overreach
    *hp = H; *wp = W;
    // int16 padded plane (generic path), int32 sums, float input and output planes.
    return OK_QALIGN64(sizeof(int16_t) * (size_t)H * W) + OK_QALIGN64(sizeof(int32_t) * (g->out_sp + 16)) +
           OK_QALIGN64(sizeof(float) * g->in_sp * dw_chunk(g)) + OK_QALIGN64(sizeof(float) * g->out_sp * dw_chunk(g));
}

/// Largest kernel volume for which the float path is exact: every partial sum is an
/// integer of magnitude <= kv * 255 * 255 < 2^24, so float adds / FMAs are exact.
enum { OK_QDW_FLOAT_KV_MAX = 256 };

/// 1 when the AVX-512 direct kernel runs this depthwise convolution: AVX-512 enabled,
/// a geometry it takes, and an epilogue with nothing per column (per channel or per
/// tensor only, which is what convolutions pass).
static int dw_direct_avx512(const qgeom *g, const ok_qepilogue *ep) {
#if OK_Q_X86
    if (!ok_isa_enabled(OK_ISA_AVX512)) return 0;
    if (!epilogue_per_channel(ep)) return 0;
    ok_qdw_geom d = dw_geom2(g);
    int th, tw;
    return g->id == 1 && g->kd == 1 && ok_qdw_tile_plan__avx512(&d, &th, &tw);
#else
    (void)g; (void)ep;
    return 0;
#endif
}

/// 1 when the VNNI kernel runs this depthwise convolution: VNNI enabled, the s8
/// weights packed, an input zero point that is a byte of its type, a geometry it
/// takes, and (as for the AVX-512 kernel) nothing per column in the epilogue.
static int dw_direct_vnni(const qgeom *g, const qconv_header *h, int tx, int32_t zx, const ok_qepilogue *ep) {
#if OK_Q_X86
    if (!ok_isa_enabled(OK_ISA_AVX512_VNNI) || !h->dw_q8) return 0;
    if (!epilogue_per_channel(ep) || !zero_point_is_byte(tx, zx)) return 0;
    ok_qdw_geom d = dw_geom2(g);
    return g->id == 1 && g->kd == 1 && ok_qdw_plan__vnni(&d);
#else
    (void)g; (void)h; (void)tx; (void)zx; (void)ep;
    return 0;
#endif
}

/// Per-thread depthwise workspace: the portable path's planes or the AVX-512 / VNNI tiles.
static size_t dw_thread_bytes(const qgeom *g, int *hp, int *wp) {
    size_t b = dw_plane_bytes(g, hp, wp);
#if OK_Q_X86 && OK_AVX512_BUILT
    ok_qdw_geom d = dw_geom2(g);
    size_t t = ok_qdw_tile_bytes__avx512(&d);
    if (t > b) b = t;
    t = ok_qdw_tile_bytes__vnni(&d);
    if (t > b) b = t;
    if (ok_qdw_channels_fits__avx512(&d) && ok_qdw_channels_bytes__avx512() > b) b = ok_qdw_channels_bytes__avx512();
    if (ok_qdw_channels_fits__vnni(&d) && ok_qdw_channels_bytes__vnni() > b) b = ok_qdw_channels_bytes__vnni();
#endif
    return b;
}

OK_SETUP size_t ok_qconv_workspace_size(const ok_conv_params *p, int threads) {
    if (threads < 1) threads = 1;
    qgeom g = to3(p);
    if (ok_qconv_algorithm(p) == 2) {
        int hp, wp;
        return dw_thread_bytes(&g, &hp, &wp) * (size_t)threads;
    }
    int M, K, N;
    gemm_dims(p, &M, &K, &N);
    size_t col = ok_qconv_algorithm(p) == 1 ? 0 : OK_QALIGN64((size_t)K * N) + narrow_bytes(&g, p->cin / p->group);
    size_t gemm = col + ok_qgemm_workspace_size(M, N, K, threads);
#if OK_Q_X86 && OK_AVX512_BUILT
    if (direct_geometry(p)) {
        ok_qdw_geom d = dw_geom2(&g);
        size_t direct = ok_qconv_direct_bytes__vnni(&d, p->cin);
        if (direct > gemm) return direct;
    }
#endif
    return gemm;
}

// ---------------------------------------------------------------- im2col

#if OK_Q_X86
#include <immintrin.h>
/// dst[i] = src[2i] for i < n (n >= 1), 32 at a time: the 64 source bytes as 32 words,
/// vpmovwb keeps the low (even) bytes. The last chunk is a masked load that stops at
/// src[2n - 2], the last byte used (src[2n - 1] may lie past the input).
__attribute__((target("avx512f,avx512bw,avx512vl"))) static void even_bytes__avx512(const uint8_t *src, uint8_t *dst,
                                                                                   int n) {
    int i = 0;
    for (; i + 32 < n; i += 32)
        _mm256_storeu_si256((__m256i *)(dst + i), _mm512_cvtepi16_epi8(_mm512_loadu_si512(src + 2 * i)));
    int m = n - i;  // 1..32
    __m512i v = _mm512_maskz_loadu_epi8(((__mmask64)1 << (2 * m - 1)) - 1, src + 2 * i);
    _mm256_mask_storeu_epi8(dst + i, m == 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << m) - 1u),
                            _mm512_cvtepi16_epi8(v));
}
#endif

/// A few pad bytes: an inline loop (the libc call per row and tap was a large part of
/// kws' conv1, 5-wide output rows).
static inline void pad_bytes(uint8_t *d, uint8_t v, int n) {
    if (n >= 32) {
        memset(d, v, (size_t)n);
        return;
    }
    for (int i = 0; i < n; i++) d[i] = v;
}

/// cols[k][n] (k = (ci, kd, kh, kw), n = output position among output rows
/// [oh0, oh1) of every output depth), padding = zx (as a byte); only the rows of
/// input channels [ci0, ci1) (threads split the channels: their rows are disjoint).
OK_X86_HOT static void im2col(const qgeom *g, const uint8_t *x, uint8_t zx, uint8_t *cols, int oh0, int oh1, int ci0,
                   int ci1) {
    uint8_t *dst = cols + (size_t)ci0 * g->kd * g->kh * g->kw * g->od * (size_t)(oh1 - oh0) * g->ow;
    const int same = g->od == 1 && g->id == 1 && g->kd == 1 && g->sw == 1 && g->sh == 1 && g->ow == g->iw;
#if OK_Q_X86
    const int even512 = g->sw == 2 && ok_isa_enabled(OK_ISA_AVX512);
#endif
    for (int ci = ci0; ci < ci1; ci++)
        for (int kd = 0; kd < g->kd; kd++)
            for (int kh = 0; kh < g->kh; kh++)
                for (int kw = 0; kw < g->kw; kw++) {
                    // Output columns whose input column is in bounds: [ow0, ow1).
                    int off = kw * g->dw - g->pw;
                    int ow0 = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw;
                    int ow1 = g->iw - off <= 0 ? 0 : (g->iw - off + g->sw - 1) / g->sw;
                    if (ow1 > g->ow) ow1 = g->ow;
                    if (ow0 > ow1) ow0 = ow1;
                    if (same) {
                        // 2-D, stride 1, output rows as wide as the input: column n of this
                        // tap row reads plane[n + delta], so the valid rows are one memcpy
                        // clamped to the plane, then the few pad columns per row are reset.
                        const uint8_t *plane = x + (size_t)ci * g->ih * g->iw;
                        int dr = kh * g->dh - g->ph;  // input row = output row + dr
                        int ra = oh0, rb = oh1;
                        if (ra + dr < 0) ra = -dr;
                        if (rb + dr > g->ih) rb = g->ih - dr;
                        if (rb < ra) rb = ra;
                        size_t nrow = (size_t)(oh1 - oh0) * g->ow;
                        if (ra > oh0) memset(dst, zx, (size_t)(ra - oh0) * g->ow);
                        if (rb < oh1) memset(dst + (size_t)(rb - oh0) * g->ow, zx, (size_t)(oh1 - rb) * g->ow);
                        if (rb > ra) {
                            ptrdiff_t s0 = (ptrdiff_t)(ra + dr) * g->iw + off, n = (ptrdiff_t)(rb - ra) * g->ow;
                            uint8_t *d = dst + (size_t)(ra - oh0) * g->ow;
                            ptrdiff_t lo = s0 < 0 ? -s0 : 0, hi = s0 + n > (ptrdiff_t)g->ih * g->iw ? (ptrdiff_t)g->ih * g->iw - s0 : n;
                            // A tap entirely outside the plane (e.g. dilation past the end of a
                            // 1-wide input) made hi negative: memset(d + hi) then wrote before d,
                            // into the previous tap's row. Keep 0 <= lo <= hi <= n.
                            if (lo > n) lo = n;
                            if (hi < lo) hi = lo;
                            if (lo > 0) memset(d, zx, (size_t)lo);
                            if (hi > lo) memcpy(d + lo, plane + s0 + lo, (size_t)(hi - lo));
                            if (hi < n) memset(d + hi, zx, (size_t)(n - hi));
                            for (int r = ra; r < rb; r++, d += g->ow) {
                                for (int c = 0; c < ow0; c++) d[c] = zx;
                                for (int c = ow1; c < g->ow; c++) d[c] = zx;
                            }
                        }
                        dst += nrow;
                        continue;
                    }
                    for (int od = 0; od < g->od; od++) {
                        int id = od * g->sd - g->pd + kd * g->dd;
                        for (int oh = oh0; oh < oh1; oh++, dst += g->ow) {
                            int ih = oh * g->sh - g->ph + kh * g->dh;
                            if (id < 0 || id >= g->id || ih < 0 || ih >= g->ih) {
                                pad_bytes(dst, zx, g->ow);
                                continue;
                            }
                            const uint8_t *src = x + ((size_t)ci * g->id + id) * g->ih * g->iw + (size_t)ih * g->iw;
                            pad_bytes(dst, zx, ow0);
                            if (g->sw == 1) {
                                if (ow1 > ow0) memcpy(dst + ow0, src + ow0 + off, (size_t)(ow1 - ow0));
                            } else if (g->sw == 2) {
                                // Constant stride: vectorized (even-byte shuffles); the stride-2
                                // stem of MobileNet spent 5% of the model in the generic loop.
                                const uint8_t *s2 = src + off;
#if OK_Q_X86
                                // AVX-512BW: 32 outputs per vpmovwb.
                                if (even512 && ow1 - ow0 >= 16) {
                                    if (ow1 > ow0) even_bytes__avx512(s2 + 2 * ow0, dst + ow0, ow1 - ow0);
                                } else
#endif
                                for (int ow = ow0; ow < ow1; ow++) dst[ow] = s2[2 * ow];
                            } else {
                                for (int ow = ow0; ow < ow1; ow++) dst[ow] = src[ow * g->sw + off];
                            }
                            pad_bytes(dst + ow1, zx, g->ow - ow1);
                        }
                    }
                }
}

typedef struct {
    const qgeom *g;
    const uint8_t *x;
    uint8_t zx;
    uint8_t *cols;
    int oh0, oh1;
} im2col_job;

static void im2col_task(void *raw, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const im2col_job *j = raw;
    im2col(j->g, j->x, j->zx, j->cols, j->oh0, j->oh1, (int)begin, (int)end);
}

/// im2col of a block, its input channels split across the pool when the block is
/// large (>= 64 KB of columns): done on the calling thread, it was a serial part
/// of every int8 3x3 convolution (yolo's 16->32 @ 80x80 layer: 0.103 ms at 1 thread,
/// 0.085 at 2).
static void im2col_block_pool(ok_pool *pool, const qgeom *g, int cig, const uint8_t *x, uint8_t zx, uint8_t *cols,
                              int oh0, int oh1, size_t bytes) {
    if (!pool || ok_pool_threads(pool) < 2 || cig < 2 || bytes < 64 * 1024) {
        im2col(g, x, zx, cols, oh0, oh1, 0, cig);
        return;
    }
    im2col_job j = {g, x, zx, cols, oh0, oh1};
    ok_pool_parallel_for(pool, cig, 1, im2col_task, &j);
}

// ---------------------------------------------------------------- narrow im2col

/// Narrow 2-D outputs (OW <= 8, a row's inputs within 16 bytes: (OW - 1) * sw < 16)
/// with few input bytes: im2col from a zero-point-padded copy of the input planes,
/// so every (tap, output row) is one 16-byte load, one vpshufb (the stride) and one
/// 8-byte store, with no bounds checks. kws' conv1 (1 channel 49x10, 10x4 taps,
/// stride 2, 25x5 outputs) spent most of its time in the generic loop's per-row pad
/// logic and byte copies. Exact: the same bytes as im2col (the readable twin).
typedef struct {
    int hp, wp;  // padded plane rows and row stride
} narrow_geom;

enum { OK_QNARROW_MAX_BYTES = 64 * 1024 };

/// Rows of up to 8 outputs within 16 input bytes (vpshufb, AVX2 or the scalar loop).
static int narrow_rows8(const qgeom *g) { return g->ow <= 8 && (g->ow - 1) * g->sw < 16; }

/// Rows of up to 32 outputs within 64 input bytes (vpermb): YOLO's stride-2
/// downsamplers (20- and 10-wide outputs) spent 13% of the int8 model in the generic
/// loop's per-row bounds logic, and its stride-1 3x3 layers on 10x10 and 20x20 planes
/// copied one 10- or 20-byte row per memcpy (48 -> 48 channels on 10x10: 4320 rows,
/// ~4.5 us of the layer's 12.6).
static int narrow_rows32(const qgeom *g) { return g->ow <= 32 && (g->ow - 1) * g->sw < 64; }

static int narrow_wide_enabled(void) {
#if OK_Q_X86
    return ok_isa_enabled(OK_ISA_AVX512) && ok_cpu_has_avx512_vbmi();
#else
    return 0;
#endif
}

/// wide: whether the 32-output rows may take it (the workspace is sized with 1, a run
/// asks narrow_wide_enabled()).
static int narrow_plan(const qgeom *g, int cig, narrow_geom *ng, int wide) {
    if (g->od != 1 || g->id != 1 || g->kd != 1) return 0;
    if (!narrow_rows8(g) && !(wide && narrow_rows32(g))) return 0;
    int H = (g->oh - 1) * g->sh + (g->kh - 1) * g->dh + 1, W = (g->ow - 1) * g->sw + (g->kw - 1) * g->dw + 1;
    if (H < g->ih + g->ph) H = g->ih + g->ph;
    if (W < g->iw + g->pw) W = g->iw + g->pw;
    ng->hp = H;
    ng->wp = W;
    return (size_t)cig * H * W + 16 <= OK_QNARROW_MAX_BYTES;
}

static size_t narrow_bytes(const qgeom *g, int cig) {
    narrow_geom ng;
    return narrow_plan(g, cig, &ng, 1) ? OK_QALIGN64((size_t)cig * ng.hp * ng.wp + 16) : 0;
}

/// The padded planes: zx everywhere, the input at (ph, pw); 16 bytes of slack after
/// when `slack` (the last planes: a pool task's slack would be the next task's plane).
static void narrow_fill(const qgeom *g, const narrow_geom *ng, int cig, const uint8_t *x, uint8_t zx, uint8_t *P,
                        int slack) {
    size_t plane = (size_t)ng->hp * ng->wp;
    memset(P, zx, plane * cig + (slack ? 16 : 0));
    for (int ci = 0; ci < cig; ci++)
        for (int ih = 0; ih < g->ih; ih++)
            memcpy(P + ci * plane + (size_t)(ih + g->ph) * ng->wp + g->pw, x + ((size_t)ci * g->ih + ih) * g->iw,
                   (size_t)g->iw);
}

/// Scalar: cols[tap][(oh - oh0) * OW + ow] = P[ci][oh * sh + kh * dh][ow * sw + kw * dw].
static void narrow_cols_scalar(const qgeom *g, const narrow_geom *ng, int cig, const uint8_t *P, uint8_t *cols,
                               int oh0, int oh1) {
    size_t plane = (size_t)ng->hp * ng->wp;
    uint8_t *dst = cols;
    for (int ci = 0; ci < cig; ci++)
        for (int kh = 0; kh < g->kh; kh++)
            for (int kw = 0; kw < g->kw; kw++)
                for (int oh = oh0; oh < oh1; oh++, dst += g->ow) {
                    const uint8_t *src = P + ci * plane + (size_t)(oh * g->sh + kh * g->dh) * ng->wp + kw * g->dw;
                    for (int ow = 0; ow < g->ow; ow++) dst[ow] = src[ow * g->sw];
                }
}

#if OK_Q_X86
/// The same with one vpshufb per row: 8-byte stores while 8 bytes remain in cols
/// (the bytes past the row are rewritten by the next row), the last row by bytes.
__attribute__((target("avx2,ssse3"))) static void narrow_cols__avx2(const qgeom *g, const narrow_geom *ng, int cig,
                                                                     const uint8_t *P, uint8_t *cols, int oh0,
                                                                     int oh1) {
    size_t plane = (size_t)ng->hp * ng->wp;
    char idx[16];
    for (int i = 0; i < 16; i++) idx[i] = (char)(i < g->ow ? i * g->sw : 0x80);
    const __m128i pat = _mm_loadu_si128((const __m128i *)idx);
    uint8_t *dst = cols, *end = cols + (size_t)cig * g->kh * g->kw * (oh1 - oh0) * g->ow;
    const size_t rstep = (size_t)g->sh * ng->wp;
    for (int ci = 0; ci < cig; ci++)
        for (int kh = 0; kh < g->kh; kh++)
            for (int kw = 0; kw < g->kw; kw++) {
                const uint8_t *src = P + ci * plane + (size_t)(oh0 * g->sh + kh * g->dh) * ng->wp + kw * g->dw;
                for (int oh = oh0; oh < oh1; oh++, dst += g->ow, src += rstep) {
                    __m128i v = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)src), pat);
                    if (end - dst >= 8) {
                        _mm_storel_epi64((__m128i *)dst, v);
                    } else {
                        uint8_t t[16];
                        _mm_storeu_si128((__m128i *)t, v);
                        for (int ow = 0; ow < g->ow; ow++) dst[ow] = t[ow];
                    }
                }
            }
}
#endif

#if OK_Q_X86
/// The low n bits (n <= 64).
static inline uint64_t low_bits(int n) { return n >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1); }

/// Rows of up to 32 outputs: per (tap, group of R output rows) one masked 64-byte load
/// (only the bytes the rows read: nothing past the planes), one vpermb (the rows'
/// stride and the columns' stride) and one masked store of the R rows, which are
/// contiguous in cols. R is as many rows as fit in 64 input and 64 output bytes: 5 on a
/// 10x10 plane (padded rows 12 apart), 3 on 20x20, 2 for YOLO's stride-2 10-wide rows.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi"))) static void
narrow_cols__vbmi(const qgeom *g, const narrow_geom *ng, int cig, const uint8_t *P, uint8_t *cols, int oh0, int oh1) {
    const size_t plane = (size_t)ng->hp * ng->wp, rstep = (size_t)g->sh * ng->wp;
    const int span = (g->ow - 1) * g->sw + 1;  // input bytes of one output row
    int R = 1;
    while ((R + 1) * g->ow <= 64 && (size_t)R * rstep + (size_t)span <= 64) R++;
    uint8_t idx[64];
    for (int i = 0; i < 64; i++) idx[i] = (uint8_t)(i < R * g->ow ? (size_t)(i / g->ow) * rstep + (size_t)(i % g->ow) * g->sw : 0);
    const __m512i pat = _mm512_loadu_si512(idx);
    const int rows = oh1 - oh0, groups = rows / R, rest = rows % R;
    const __mmask64 kin = low_bits((int)((size_t)(R - 1) * rstep) + span), kout = low_bits(R * g->ow);
    const __mmask64 kin_rest = rest ? low_bits((int)((size_t)(rest - 1) * rstep) + span) : 0;
    const __mmask64 kout_rest = low_bits(rest * g->ow);
    uint8_t *dst = cols;
    for (int ci = 0; ci < cig; ci++)
        for (int kh = 0; kh < g->kh; kh++)
            for (int kw = 0; kw < g->kw; kw++) {
                const uint8_t *src = P + ci * plane + (size_t)(oh0 * g->sh + kh * g->dh) * ng->wp + kw * g->dw;
                for (int q = 0; q < groups; q++, dst += R * g->ow, src += R * rstep)
                    _mm512_mask_storeu_epi8(dst, kout, _mm512_permutexvar_epi8(pat, _mm512_maskz_loadu_epi8(kin, src)));
                if (rest) {
                    _mm512_mask_storeu_epi8(dst, kout_rest,
                                            _mm512_permutexvar_epi8(pat, _mm512_maskz_loadu_epi8(kin_rest, src)));
                    dst += rest * g->ow;
                }
            }
}
#endif

static void narrow_cols(const qgeom *g, const narrow_geom *ng, int cig, const uint8_t *P, uint8_t *cols, int oh0,
                        int oh1) {
#if OK_Q_X86
    if (narrow_rows8(g) && ok_isa_enabled(OK_ISA_AVX2_FMA)) {
        narrow_cols__avx2(g, ng, cig, P, cols, oh0, oh1);
        return;
    }
    if (!narrow_rows8(g) && narrow_wide_enabled()) {
        narrow_cols__vbmi(g, ng, cig, P, cols, oh0, oh1);
        return;
    }
#endif
    narrow_cols_scalar(g, ng, cig, P, cols, oh0, oh1);
}

/// Narrow im2col of a whole layer (one row block) over the pool: each task pads and
/// copies its channels' planes and writes their rows of cols (a channel's taps are
/// contiguous rows there). YOLO's stride-1 10x10 / 20x20 layers ran it on one thread
/// at 2 threads. Small layers (under 16 KB of columns) stay on the calling thread.
typedef struct {
    const qgeom *g;
    const narrow_geom *ng;
    const uint8_t *x;
    uint8_t zx;
    uint8_t *P, *cols;
    int cig;
} narrow_job;

static void narrow_task(void *raw, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const narrow_job *j = raw;
    const qgeom *g = j->g;
    const size_t plane = (size_t)j->ng->hp * j->ng->wp, in_plane = (size_t)g->ih * g->iw;
    const size_t per_channel = (size_t)g->kh * g->kw * g->oh * g->ow;
    const int c0 = (int)begin, n = (int)(end - begin);
    narrow_fill(g, j->ng, n, j->x + (size_t)c0 * in_plane, j->zx, j->P + (size_t)c0 * plane, end == j->cig);
    narrow_cols(g, j->ng, n, j->P + (size_t)c0 * plane, j->cols + (size_t)c0 * per_channel, 0, g->oh);
}

static void narrow_im2col_pool(ok_pool *pool, const qgeom *g, const narrow_geom *ng, int cig, const uint8_t *x,
                               uint8_t zx, uint8_t *P, uint8_t *cols) {
    const size_t bytes = (size_t)cig * g->kh * g->kw * g->oh * g->ow;
    if (!pool || ok_pool_threads(pool) < 2 || cig < 2 || bytes < 16 * 1024) {
        narrow_fill(g, ng, cig, x, zx, P, 1);
        narrow_cols(g, ng, cig, P, cols, 0, g->oh);
        return;
    }
    narrow_job j = {g, ng, x, zx, P, cols, cig};
    ok_pool_parallel_for(pool, cig, (cig + 2 * ok_pool_threads(pool) - 1) / (2 * ok_pool_threads(pool)), narrow_task, &j);
}

// ---------------------------------------------------------------- depthwise

typedef struct {
    const ok_conv_params *p;
    qgeom g;
    const uint8_t *x;
    int tx;
    int32_t zx;
    const float *w;
    void *y;
    const ok_qepilogue *ep;
    char *ws;
    size_t ws_stride;
    int hp, wp;
    ok_qepi_fn epi;
} dw_job;

/// acc[oh][ow] = sum_taps w * P[(oh*sh + kh*dh) * wp + ow*sw + kw*dw] over the padded
/// plane P of x - zx (int16). Plain C: the compiler vectorizes the stride-1 rows.
static void dw_plane_generic(const qgeom *g, const int16_t *P, int wp, const float *w, int32_t *acc) {
    for (int oh = 0; oh < g->oh; oh++) {
        int32_t *a = acc + (size_t)oh * g->ow;
        for (int ow = 0; ow < g->ow; ow++) a[ow] = 0;
        for (int kh = 0; kh < g->kh; kh++)
            for (int kw = 0; kw < g->kw; kw++) {
                int32_t wv = (int32_t)w[kh * g->kw + kw];
                const int16_t *src = P + (size_t)(oh * g->sh + kh * g->dh) * wp + kw * g->dw;
                if (g->sw == 1)
                    for (int ow = 0; ow < g->ow; ow++) a[ow] += wv * src[ow];
                else
                    for (int ow = 0; ow < g->ow; ow++) a[ow] += wv * src[ow * g->sw];
            }
    }
}

OK_X86_HOT static void dw_task(void *raw, int64_t begin, int64_t end, int thread) {
    const dw_job *j = raw;
    const qgeom *g = &j->g;
    char *base = j->ws + (size_t)thread * j->ws_stride;
    int16_t *P = (int16_t *)base;
    int32_t *acc = (int32_t *)(base + OK_QALIGN64(sizeof(int16_t) * (size_t)j->hp * j->wp));
    const int chunk = dw_chunk(g);
    float *xf = (float *)((char *)acc + OK_QALIGN64(sizeof(int32_t) * (g->out_sp + 16)));
    float *yf = (float *)((char *)xf + OK_QALIGN64(sizeof(float) * g->in_sp * chunk));
    const int C = j->p->cout, nchunks = (C + chunk - 1) / chunk;
    const int flt = g->kv <= OK_QDW_FLOAT_KV_MAX;
    const int s8 = j->tx == OK_QTYPE_S8;
    const int32_t zx = j->zx;
    if (!flt) memset(P, 0, sizeof(int16_t) * (size_t)j->hp * j->wp);
    for (int64_t t = begin; t < end; t++) {
        int b = (int)(t / nchunks), c0 = (int)(t % nchunks) * chunk;
        int nc = C - c0 < chunk ? C - c0 : chunk;
        char *yb = (char *)j->y + (size_t)b * C * g->out_sp * out_elem(j->ep->out);
        ok_qepi e = {NULL, NULL, NULL, NULL, j->ep, yb, (ptrdiff_t)g->out_sp, 0, 0, 0, 0};
        const uint8_t *xs = j->x + ((size_t)b * C + c0) * g->in_sp;
        if (flt) {
            // nc channels at once through the float depthwise kernels (exact, see above).
            size_t n = g->in_sp * (size_t)nc;
            if (s8)
                for (size_t i = 0; i < n; i++) xf[i] = (float)((int32_t)(int8_t)xs[i] - zx);
            else
                for (size_t i = 0; i < n; i++) xf[i] = (float)((int32_t)xs[i] - zx);
            ok_conv_params pc = *j->p;
            pc.batch = 1; pc.cin = pc.cout = pc.group = nc;
            ok_conv_depthwise(NULL, &pc, xf, j->w + (size_t)c0 * g->kv, yf, NULL);
            for (int c = 0; c < nc; c++) {
                const float *yc = yf + (size_t)c * g->out_sp;
                for (size_t i = 0; i < g->out_sp; i++) acc[i] = (int32_t)yc[i];
                j->epi(&e, acc, 0, 1, (int)g->out_sp, c0 + c, 0);
            }
            continue;
        }
        for (int c = 0; c < nc; c++) {
            const uint8_t *xc = xs + (size_t)c * g->in_sp;
            for (int ih = 0; ih < g->ih; ih++) {
                int16_t *d = P + (size_t)(ih + g->ph) * j->wp + g->pw;
                const uint8_t *sr = xc + (size_t)ih * g->iw;
                if (s8)
                    for (int iw = 0; iw < g->iw; iw++) d[iw] = (int16_t)((int32_t)(int8_t)sr[iw] - zx);
                else
                    for (int iw = 0; iw < g->iw; iw++) d[iw] = (int16_t)((int32_t)sr[iw] - zx);
            }
            dw_plane_generic(g, P, j->wp, j->w + (size_t)(c0 + c) * g->kv, acc);
            j->epi(&e, acc, 0, 1, (int)g->out_sp, c0 + c, 0);
        }
    }
}

/// Planes per task of the int8 depthwise kernels: two tasks per thread, at least
/// ~2K outputs each; layers under 4K outputs stay on one thread (grain = all). It was
/// a fixed ~16K outputs per task: mobilenet's 288 x 8x8 layers split 257 + 31 planes
/// and its 480 x 4x4 ones did not split at all, so 2 threads ran them at the speed of one.
static int64_t dw_plane_grain(int64_t planes, int64_t out_sp, int threads) {
    if (out_sp < 1) out_sp = 1;
    if (threads <= 1 || planes * out_sp < 4096) return planes > 0 ? planes : 1;
    int64_t grain = (planes + 2 * threads - 1) / (2 * threads);
    int64_t min_grain = (2048 + out_sp - 1) / out_sp;
    return grain > min_grain ? grain : min_grain;
}

/// Blocks of 16 channels per task of the channel-vectorised kernels: layers under 4K
/// outputs stay on one thread, else an equal share per thread. With dw_plane_grain's
/// two tasks per thread, 96-channel layers (6 blocks) ran as 3 tasks of 2 blocks, 2 on
/// one thread and 1 on the other; one block per task paid the kernel's setup (tile
/// padding, cell offsets: ~1 us on 32x32 inputs) once per block.
static int64_t dw_block_grain(int64_t blocks, int64_t per_block, int threads) {
    if (threads <= 1 || blocks * per_block < 4096) return blocks > 0 ? blocks : 1;
    return (blocks + threads - 1) / threads;
}

#if OK_Q_X86
typedef struct {
    ok_qdw_geom g;
    const uint8_t *x;
    int tx, cout;
    int32_t zx;
    const float *w;
    void *y;
    const ok_qepilogue *ep;
    char *ws;
    size_t ws_stride;
} dw512_job;

static void dw512_task(void *raw, int64_t begin, int64_t end, int thread) {
    const dw512_job *j = raw;
    ok_qdw_planes__avx512(&j->g, j->x, j->tx, j->zx, j->w, j->y, j->ep, (int)begin, (int)end, j->cout,
                          (float *)(j->ws + (size_t)thread * j->ws_stride));
}

typedef struct {
    ok_qdw_geom g;
    const uint8_t *x;
    int tx, cout;
    int32_t zx;
    const int32_t *wq, *wsum;
    void *y;
    const ok_qepilogue *ep;
    char *ws;
    size_t ws_stride;
} dwvnni_job;

static void dwvnni_task(void *raw, int64_t begin, int64_t end, int thread) {
    const dwvnni_job *j = raw;
    ok_qdw_planes__vnni(&j->g, j->x, j->tx, j->zx, j->wq, j->wsum, j->y, j->ep, (int)begin, (int)end, j->cout,
                        j->ws + (size_t)thread * j->ws_stride);
}

/// The channel-vectorised kernel's tasks: blocks of 16 channels (w = its per-block weights).
static void dwch_task(void *raw, int64_t begin, int64_t end, int thread) {
    const dw512_job *j = raw;
    ok_qdw_channels__avx512(&j->g, j->x, j->tx, j->zx, j->w, j->y, j->ep, (int)begin, (int)end, j->cout,
                            j->ws + (size_t)thread * j->ws_stride);
}

/// The integer channel-vectorised kernel's tasks: blocks of 16 channels.
static void dwchv_task(void *raw, int64_t begin, int64_t end, int thread) {
    const dwvnni_job *j = raw;
    ok_qdw_channels__vnni(&j->g, j->x, j->tx, j->zx, j->wq, j->wsum, j->y, j->ep, (int)begin, (int)end, j->cout,
                          j->ws + (size_t)thread * j->ws_stride);
}

/// 1 when the integer channel-vectorised kernel runs this depthwise layer: VNNI
/// enabled and VBMI present, the s8 weights packed, a zero point that is a byte of its
/// type, narrow output rows, a tile that holds the plane, nothing per column.
static int dw_channels_vnni(const qgeom *g, const qconv_header *h, int tx, int32_t zx, const ok_qepilogue *ep) {
    if (!h->dw_q8 || !ok_isa_enabled(OK_ISA_AVX512_VNNI) || !ok_cpu_has_avx512_vbmi()) return 0;
    if (!epilogue_per_channel(ep) || !zero_point_is_byte(tx, zx)) return 0;
    ok_qdw_geom d = dw_geom2(g);
    return g->id == 1 && g->kd == 1 && g->ow <= OK_QDWCV_MAX_OW && ok_qdw_channels_fits__vnni(&d);
}

/// 1 when the channel-vectorised kernel runs this depthwise layer: AVX-512, its
/// weights packed, a tile that holds the plane, narrow output rows (where the plane
/// kernels' fixed cost per plane dominates), nothing per column in the epilogue.
static int dw_channels_avx512(const qgeom *g, const qconv_header *h, const ok_qepilogue *ep) {
    if (!h->dw_channels || !ok_isa_enabled(OK_ISA_AVX512)) return 0;
    if (!epilogue_per_channel(ep)) return 0;
    ok_qdw_geom d = dw_geom2(g);
    return g->ow <= OK_QDWC_MAX_OW && ok_qdw_channels_fits__avx512(&d);
}

/// The depthwise kernel ok_qconv runs, in order of preference (the first that takes
/// the layer).
enum { DW_GENERIC = 0, DW_CHANNELS_VNNI, DW_CHANNELS_AVX512, DW_PLANES_VNNI, DW_PLANES_AVX512 };
static int dw_kernel(const qgeom *g, const qconv_header *h, int tx, int32_t zx, const ok_qepilogue *ep) {
    if (dw_channels_vnni(g, h, tx, zx, ep)) return DW_CHANNELS_VNNI;
    if (dw_channels_avx512(g, h, ep)) return DW_CHANNELS_AVX512;
    if (dw_direct_vnni(g, h, tx, zx, ep)) return DW_PLANES_VNNI;
    if (dw_direct_avx512(g, ep)) return DW_PLANES_AVX512;
    return DW_GENERIC;
}
#endif

const char *ok_qconv_depthwise_kernel(const ok_conv_params *p, const void *packed_w, int tx, int32_t zx,
                                      const ok_qepilogue *ep) {
    const qconv_header *h = packed_w;
    if (h->algo != 2) return "none";
#if OK_Q_X86
    qgeom g = to3(p);
    switch (dw_kernel(&g, h, tx, zx, ep)) {
    case DW_CHANNELS_VNNI: return "channels-vnni";
    case DW_CHANNELS_AVX512: return "channels-avx512";
    case DW_PLANES_VNNI: return "planes-vnni";
    case DW_PLANES_AVX512: return "planes-avx512";
    default: break;
    }
#else
    (void)p; (void)tx; (void)zx; (void)ep;
#endif
    return "generic";
}

#if OK_Q_X86
// The direct kernel (qconv_direct_vnni.c) on one image: phase 1 builds the input
// channels' planes (tasks = channels), phase 2 the outputs (tasks = blocks of output
// rows' vectors, or, on flat planes, whose vector stores overrun into the next
// vector's outputs, blocks of 16 output channels).
typedef struct {
    ok_qdw_geom g;
    int cin, cout, tx, coutp, flat, nvec, vgrain;
    int32_t zx;
    const uint8_t *x;
    const int32_t *wq, *wsum;
    void *y;
    const ok_qepilogue *ep;
    void *ws;
} direct_job;

static void direct_fill_task(void *raw, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const direct_job *j = raw;
    ok_qconv_direct_fill__vnni(&j->g, j->cin, j->x, j->tx, j->zx, (int)begin, (int)end, j->ws);
}

static void direct_run_task(void *raw, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const direct_job *j = raw;
    for (int64_t t = begin; t < end; t++) {
        int co0 = 0, co1 = j->coutp, v0 = 0, v1 = j->nvec;
        if (j->flat) {
            co0 = (int)t * 16;
            co1 = co0 + 16 < j->coutp ? co0 + 16 : j->coutp;
        } else {
            v0 = (int)t * j->vgrain;
            v1 = v0 + j->vgrain < j->nvec ? v0 + j->vgrain : j->nvec;
        }
        ok_qconv_direct_run__vnni(&j->g, j->cin, j->cout, j->tx, j->zx, j->wq, j->wsum, j->y, j->ep, co0, co1, v0, v1,
                                  j->ws);
    }
}

/// Runs the direct kernel when it applies (returns 0 otherwise: im2col + GEMM).
static int direct_conv(ok_pool *pool, const ok_conv_params *p, const qgeom *g, const qconv_header *h,
                       const char *wdata, const void *x, int tx, int32_t zx, void *y, const ok_qepilogue *ep,
                       void *ws) {
    if (!h->direct_q8 || !ok_isa_enabled(OK_ISA_AVX512_VNNI)) return 0;
    if (!epilogue_per_channel(ep) || !zero_point_is_byte(tx, zx)) return 0;
    direct_job j;
    memset(&j, 0, sizeof j);
    j.g = dw_geom2(g);
    j.nvec = ok_qconv_direct_vectors__vnni(&j.g, &j.flat);
    if (j.nvec < 1) return 0;
    j.cin = p->cin; j.cout = p->cout; j.tx = tx; j.zx = zx; j.ep = ep; j.ws = ws;
    j.coutp = ok_qconv_direct_coutp(p->cout);
    j.wq = (const int32_t *)(wdata + (size_t)p->group * h->group_bytes);
    j.wsum = j.wq + OK_QALIGN64(sizeof(int32_t) * direct_taps(p) * (size_t)j.coutp) / 4;
    const int threads = ok_pool_threads(pool);
    // Below ~16K vpdpbusd (~2 us on one core) a second thread costs more than it saves:
    // tiny's 3->8 layer (4.6K) ran slower on two threads than on one.
    const int par = threads > 1 && (size_t)j.nvec * direct_taps(p) * (size_t)j.coutp >= 16384;
    const int64_t tasks = j.flat ? (j.coutp + 15) / 16 : (par ? 2 * threads : 1);
    j.vgrain = (int)((j.nvec + tasks - 1) / tasks);
    const size_t es = out_elem(ep->out);
    for (int b = 0; b < p->batch; b++) {
        j.x = (const uint8_t *)x + (size_t)b * p->cin * g->in_sp;
        j.y = (char *)y + (size_t)b * p->cout * g->out_sp * es;
        if (par && p->cin > 1) ok_pool_parallel_for(pool, p->cin, 1, direct_fill_task, &j);
        else direct_fill_task(&j, 0, p->cin, 0);
        if (par) ok_pool_parallel_for(pool, j.flat ? tasks : (j.nvec + j.vgrain - 1) / j.vgrain, 1, direct_run_task, &j);
        else direct_run_task(&j, 0, j.flat ? tasks : 1, 0);
    }
    return 1;
}
#endif

// ---------------------------------------------------------------- driver

OK_X86_DRIVER void ok_qconv(ok_pool *pool, const ok_conv_params *p, const void *x, int tx, int32_t zx, const void *packed_w,
              void *y, const ok_qepilogue *ep, void *workspace) {
    const qconv_header *h = packed_w;
    const char *wdata = (const char *)packed_w + 64;
    qgeom g = to3(p);
    int threads = ok_pool_threads(pool);
    void *owned = NULL;
    if (!workspace) {
        if (posix_memalign(&owned, 64, ok_qconv_workspace_size(p, threads)) != 0) return;
        workspace = owned;
    }
    if (h->algo == 2) {
        int hp, wp;
        size_t stride = dw_thread_bytes(&g, &hp, &wp);
#if OK_Q_X86
        const int kernel = dw_kernel(&g, h, tx, zx, ep);
        if (kernel == DW_CHANNELS_VNNI || kernel == DW_PLANES_VNNI) {
            size_t nw = (size_t)p->cout * g.kv;
            const int32_t *wq = (const int32_t *)(wdata + OK_QALIGN64(sizeof(float) * nw));
            const int32_t *wsum = wq + OK_QALIGN64(sizeof(int32_t) * (size_t)p->cout * dw_q8_words(&g)) / 4;
            dwvnni_job j = {dw_geom2(&g), x, tx, p->cout, zx, wq, wsum, y, ep, workspace, stride};
            if (kernel == DW_CHANNELS_VNNI) {
                int64_t blocks = (int64_t)p->batch * ((p->cout + 15) / 16);
                ok_pool_parallel_for(pool, blocks, dw_block_grain(blocks, 16 * (int64_t)g.out_sp, threads), dwchv_task,
                                     &j);
            } else {
                int64_t planes = (int64_t)p->batch * p->cout;
                ok_pool_parallel_for(pool, planes, dw_plane_grain(planes, (int64_t)g.out_sp, threads), dwvnni_task, &j);
            }
            free(owned);
            return;
        }
        if (kernel == DW_CHANNELS_AVX512) {
            dw512_job j = {dw_geom2(&g), x, tx, p->cout, zx, (const float *)(wdata + h->dw_channels_at), y, ep,
                           workspace, stride};
            int64_t blocks = (int64_t)p->batch * ((p->cout + 15) / 16);
            ok_pool_parallel_for(pool, blocks, dw_block_grain(blocks, 16 * (int64_t)g.out_sp, threads), dwch_task, &j);
            free(owned);
            return;
        }
        if (kernel == DW_PLANES_AVX512) {
            dw512_job j = {dw_geom2(&g), x, tx, p->cout, zx, (const float *)wdata, y, ep, workspace, stride};
            int64_t planes = (int64_t)p->batch * p->cout;
            ok_pool_parallel_for(pool, planes, dw_plane_grain(planes, (int64_t)g.out_sp, threads), dw512_task, &j);
            free(owned);
            return;
        }
#endif
        dw_job j = {p, g, x, tx, zx, (const float *)wdata, y, ep, workspace, stride, 0, 0,
                    ok_qepi_current()};
        j.hp = hp; j.wp = wp;
        int chunk = dw_chunk(&g);
        ok_pool_parallel_for(pool, (int64_t)p->batch * ((p->cout + chunk - 1) / chunk), 1, dw_task, &j);
        free(owned);
        return;
    }
#if OK_Q_X86
    if (h->algo == 0 && direct_conv(pool, p, &g, h, wdata, x, tx, zx, y, ep, workspace)) {
        free(owned);
        return;
    }
#endif
    int M, K, N;
    gemm_dims(p, &M, &K, &N);
    int cig = p->cin / p->group;
    size_t es = out_elem(ep->out);
    char *ws = workspace;
    uint8_t *cols = NULL, *padded = NULL;
    narrow_geom ngeo = {0, 0};
    if (h->algo == 0) {
        cols = (uint8_t *)ws;
        ws += OK_QALIGN64((size_t)K * N);
        if (narrow_plan(&g, cig, &ngeo, narrow_wide_enabled())) {
            padded = (uint8_t *)ws;
            ws += narrow_bytes(&g, cig);
        }
    }
    for (int b = 0; b < p->batch; b++)
        for (int grp = 0; grp < p->group; grp++) {
            const uint8_t *xg = (const uint8_t *)x + ((size_t)b * p->cin + (size_t)grp * cig) * g.in_sp;
            const void *B = xg;
            // Per-output-channel epilogue arrays start at this group's first channel.
            ok_qepilogue eg = *ep;
            int row = eg.bias_per != OK_QPER_COL;
            if (eg.bias && row) eg.bias += grp * M;
            if (eg.fbias && row) eg.fbias += grp * M;
            if (eg.scale && eg.scale_per == OK_QPER_ROW) eg.scale += grp * M;
            void *C = (char *)y + (((size_t)b * p->cout + (size_t)grp * M) * N) * es;
            const void *pw = wdata + (size_t)grp * h->group_bytes;
            if (h->algo == 1) {
                ok_qgemm(pool, M, N, K, NULL, 0, 0, 0, NULL, 0, pw, B, tx, N, 1, &zx, OK_QPER_TENSOR, NULL, C, N, &eg, ws);
                continue;
            }
            // im2col by blocks of output rows (~256 KB of columns) so the column block,
            // its packed copy and the GEMM stay in L2; each block is a GEMM on the
            // output columns [oh0 * OW, oh1 * OW). 3-D convolutions: one block.
            int rows = g.od == 1 ? (int)((256 * 1024) / ((size_t)K * g.ow + 1)) : g.oh;
            // Up to 512 KB in one block: splitting a small layer left a short second GEMM
            // (YOLO's neck.n3, K = 864, 20 rows: 15 + 5 rows, 81 -> 74 us as one).
            if ((size_t)K * N <= 512 * 1024) rows = g.oh;
            if (rows < 1) rows = 1;
            // One row block (small planes): padding and columns together, over the pool.
            const int whole = rows >= g.oh;
            if (padded && !whole) narrow_fill(&g, &ngeo, cig, xg, (uint8_t)zx, padded, 1);
            for (int oh0 = 0; oh0 < g.oh; oh0 += rows) {
                int oh1 = oh0 + rows < g.oh ? oh0 + rows : g.oh;
                int nb = g.od == 1 ? (oh1 - oh0) * g.ow : N;
                if (padded && whole) narrow_im2col_pool(pool, &g, &ngeo, cig, xg, (uint8_t)zx, padded, cols);
                else if (padded) narrow_cols(&g, &ngeo, cig, padded, cols, oh0, oh1);
                else im2col_block_pool(pool, &g, cig, xg, (uint8_t)zx, cols, oh0, oh1, (size_t)K * nb);
                ok_qgemm(pool, M, nb, K, NULL, 0, 0, 0, NULL, 0, pw, cols, tx, nb, 1, &zx, OK_QPER_TENSOR, NULL,
                         (char *)C + (size_t)oh0 * g.ow * es, N, &eg, ws);
            }
        }
    free(owned);
}
