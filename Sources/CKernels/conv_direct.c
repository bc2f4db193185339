// Direct convolution, NCHW, AVX-512 (no im2col): KH x KW kernels (up to 64 taps),
// stride 1 or 2, group 1. Written for 3x3 stride 1 first (below), then
// generalised: other kernel sizes only change the tap offsets and the padding.
//
// im2col + GEMM copies every input value nine times into packed B panels, and
// each panel is then reused by only Cout/12 micro-kernel calls: with the small
// Cout of detector backbones (16-64 channels) the copying costs more than the
// multiply-adds (yolo's 3x3 layers ran at ~40 GFLOPS against the GEMM's 117).
//
// Here the input is copied once into a zero-padded buffer whose rows are the
// output width + 2 (the pads), S floats apart. Output (oh, ow) then reads padded
// (oh + kh, ow + kw), i.e. flat index q + kh*S + kw with q = oh*S + ow, so the
// kernel walks q in whole vectors across row ends: the two columns per row past
// the output width are computed and dropped (OW/(OW+2) of the lanes are useful,
// 83% even for 10-wide rows), and no vector is ever masked or ragged. A block of
// 8 output channels x 48 flat positions accumulates in 24 zmm registers: per
// input channel and tap, 3 unaligned loads and 8 weight broadcasts feed 24 FMAs.
// Bias and activation are applied to the block, then its valid columns are
// copied to the output rows. The readable twin is ok_conv_reference.
#include "conv_direct.h"
#include "sgemm_internal.h"

#include <string.h>

#if OK_HAVE_X86 && OK_AVX512_BUILT  // AVX-512 only (OK_NO_AVX512: the stubs below)
#include <immintrin.h>

enum {
    D3_OCB = 8,    // output channels per block (weights packed [block][ic][tap][8])
    D3_Q = 48,     // flat output positions per kernel call (3 vectors)
    D3_SLACK = 128,  // floats after the last plane: the last block reads up to ~96 past it
    D3_TAPS = 64     // kernel taps at most (kws's 10x4 first layer: 40)
};

/// Padded geometry. Stride 1: one plane per input channel, rows S = OW + KW - 1
/// floats apart, OH + KH - 1 rows. Stride 2: the padded input split into its four
/// phases (even/odd row x even/odd column), each a plane of OH + (KH-1)/2 rows,
/// S = OW + (KW-1)/2; output (oh, ow) reads phase (kh&1, kw&1) at
/// (oh + kh/2, ow + kw/2), i.e. a stride-1 walk over the phases (no strided gather).
typedef struct {
    int s;          // stride (1 or 2)
    int S;          // floats per padded row
    int taps;       // KH * KW
    size_t plane;   // floats per padded plane (one phase for stride 2), multiple of 16
    size_t chan;    // floats per input channel (1 or 4 planes)
    int nb;         // 48-position blocks covering OH * S flat positions
    int tap[D3_TAPS];  // offset of tap (kh, kw) from the channel's base at position 0
} d3_geom;

static d3_geom d3_geometry(const ok_conv_params *p) {
    d3_geom g;
    int OH = p->out_shape[0], OW = p->out_shape[1], KH = p->kernel[0], KW = p->kernel[1];
    g.s = p->stride[0];
    g.S = g.s == 1 ? OW + KW - 1 : OW + (KW - 1) / 2;
    int rows = g.s == 1 ? OH + KH - 1 : OH + (KH - 1) / 2;
    g.taps = KH * KW;
    g.plane = ((size_t)rows * g.S + 15) / 16 * 16;
    g.chan = g.plane * (size_t)(g.s * g.s);
    g.nb = (OH * g.S + D3_Q - 1) / D3_Q;
    for (int kh = 0; kh < KH; kh++)
        for (int kw = 0; kw < KW; kw++)
            g.tap[kh * KW + kw] = g.s == 1 ? kh * g.S + kw
                                           : (int)(((kh & 1) * 2 + (kw & 1)) * g.plane) + (kh >> 1) * g.S + (kw >> 1);
    return g;
}

int ok_conv_direct_applies(const ok_conv_params *p) {
    if (!ok_isa_enabled(OK_ISA_AVX512)) return 0;
    if (p->ndim != 2 || p->group != 1 || p->cout % D3_OCB != 0) return 0;
    int s = p->stride[0];
    if ((s != 1 && s != 2) || p->stride[1] != s) return 0;
    int taps = p->kernel[0] * p->kernel[1];
    // 1x1 stride 1 is a plain GEMM (algorithm 1); 1x1 stride 2 was not measured here.
    if (taps < 2 || taps > D3_TAPS) return 0;
    for (int i = 0; i < 2; i++)
        if (p->dilation[i] != 1 || p->pad_begin[i] >= p->kernel[i] || p->pad_end[i] < 0) return 0;
    if (s == 1 && (p->pad_end[0] >= p->kernel[0] || p->pad_end[1] >= p->kernel[1])) return 0;
    // At least 80% of each padded row must be outputs (the dropped columns are
    // computed too): 3x3 stride 1 needs rows of >= 8 outputs, stride 2 of >= 4.
    // Half-used 48-position blocks still win at stride 2 (im2col's strided gather is
    // slow): yolo's 10x10 -> 5x5 layer uses 25 of 48.
    d3_geom g = d3_geometry(p);
    return p->out_shape[1] * 5 >= g.S * 4;
}

size_t ok_conv_direct_packed_size(const ok_conv_params *p) {
    return sizeof(float) * (size_t)p->cout * p->cin * p->kernel[0] * p->kernel[1];
}

void ok_conv_direct_pack(const ok_conv_params *p, const float *w, float *packed) {
    int cin = p->cin, taps = p->kernel[0] * p->kernel[1];
    for (int oc = 0; oc < p->cout; oc++)
        for (int ic = 0; ic < cin; ic++)
            for (int t = 0; t < taps; t++)
                packed[(((size_t)(oc / D3_OCB) * cin + ic) * taps + t) * D3_OCB + oc % D3_OCB] =
                    w[((size_t)oc * cin + ic) * taps + t];
}

size_t ok_conv_direct_workspace_size(const ok_conv_params *p) {
    d3_geom g = d3_geometry(p);
    return sizeof(float) * ((size_t)p->cin * g.chan + D3_SLACK);
}

typedef struct {
    const ok_conv_params *p;
    d3_geom g;
    const float *x;   // this image
    const float *w;   // packed
    float *y;         // this image
    float *xp;        // padded input
    const ok_epilogue *ep;
} d3_job;

/// Stride 2: input row `src` (W floats) into the even- and odd-column phase rows
/// (pw = left padding; columns past S - 1 are not needed and not written).
static void d3_split_row(const float *src, int W, int pw, int S, float *even, float *odd);

static void d3_fill(void *raw, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const d3_job *j = raw;
    const ok_conv_params *p = j->p;
    const d3_geom *g = &j->g;
    int H = p->in_shape[0], W = p->in_shape[1], S = g->S;
    int ph = p->pad_begin[0], pw = p->pad_begin[1];
    for (int64_t ic = begin; ic < end; ic++) {
        float *dst = j->xp + (size_t)ic * g->chan;
        const float *src = j->x + (size_t)ic * H * W;
        memset(dst, 0, sizeof(float) * g->chan);
        if (g->s == 1) {
            int R = p->out_shape[0] + p->kernel[0] - 1;
            for (int ih = 0; ih < H && ih + ph < R; ih++)
                memcpy(dst + (size_t)(ih + ph) * S + pw, src + (size_t)ih * W, sizeof(float) * (size_t)W);
            // W + pw <= S always: OW = W + pw + pe - KW + 1 and S = OW + KW - 1.
        } else {
            int R = 2 * (p->out_shape[0] - 1) + p->kernel[0];  // padded rows read
            for (int ih = 0; ih < H && ih + ph < R; ih++) {
                int r = ih + ph;
                float *row = dst + (size_t)((r & 1) * 2) * g->plane + (size_t)(r >> 1) * S;
                d3_split_row(src + (size_t)ih * W, W, pw, S, row, row + g->plane);
            }
        }
    }
    if (end == p->cin) memset(j->xp + (size_t)p->cin * g->chan, 0, sizeof(float) * D3_SLACK);
}

#define OK_D3 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))

/// Readable twin of the vector loop below (and its tail): padded column c = iw + pw
/// goes to phase c & 1 at c / 2, for c < 2 * S.
static void d3_split_row_scalar(const float *src, int iw0, int W, int pw, int S, float *even, float *odd) {
    for (int iw = iw0; iw < W; iw++) {
        int c = iw + pw;
        if (c >= 2 * S) break;
        (c & 1 ? odd : even)[c >> 1] = src[iw];
    }
}

/// 32 input columns per step: two loads, one vpermt2ps per phase.
OK_D3 static void d3_split_row(const float *src, int W, int pw, int S, float *even, float *odd) {
    const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    // Input column iw lands at padded column c = iw + pw, i.e. in phase c & 1 at c / 2:
    // even iw in phase pw & 1 at iw/2 + pw/2, odd iw in the other phase at
    // iw/2 + (pw+1)/2. Whole steps only while every store stays within S.
    float *de = pw & 1 ? odd : even, *dodd = pw & 1 ? even : odd;
    const int oe = pw >> 1, oo = (pw + 1) >> 1;
    int iw = 0;
    for (; iw + 32 <= W && iw / 2 + oo + 16 <= S; iw += 32) {
        __m512 a = _mm512_loadu_ps(src + iw), b = _mm512_loadu_ps(src + iw + 16);
        _mm512_storeu_ps(de + iw / 2 + oe, _mm512_permutex2var_ps(a, ie, b));
        _mm512_storeu_ps(dodd + iw / 2 + oo, _mm512_permutex2var_ps(a, io, b));
    }
    d3_split_row_scalar(src, iw, W, pw, S, even, odd);
}

/// 8 output channels x 16*NV flat positions from q0, raw sums into out[8][48]
/// (columns 16*NV.. untouched).
OK_D3 __attribute__((always_inline)) static inline void d3_kernel_body(const d3_job *j, int ob, int q0, float *out,
                                                                     const int NV) {
    const ok_conv_params *p = j->p;
    const d3_geom *g = &j->g;
    int cin = p->cin;
    __m512 acc[D3_OCB][3];
    for (int o = 0; o < D3_OCB; o++)
        for (int v = 0; v < NV; v++) acc[o][v] = _mm512_setzero_ps();
    const int taps = g->taps;
    const float *wb = j->w + (size_t)ob * cin * taps * D3_OCB;
    for (int ic = 0; ic < cin; ic++) {
        const float *xr = j->xp + (size_t)ic * g->chan + q0;
        const float *wt = wb + (size_t)ic * taps * D3_OCB;
        for (int t = 0; t < taps; t++) {
            const float *xs = xr + g->tap[t];
            __m512 xv[3];
            for (int v = 0; v < NV; v++) xv[v] = _mm512_loadu_ps(xs + 16 * v);
            const float *wk = wt + t * D3_OCB;
            for (int o = 0; o < D3_OCB; o++) {
                __m512 wv = _mm512_set1_ps(wk[o]);
                for (int v = 0; v < NV; v++) acc[o][v] = _mm512_fmadd_ps(wv, xv[v], acc[o][v]);
            }
        }
    }
    for (int o = 0; o < D3_OCB; o++)
        for (int v = 0; v < NV; v++) _mm512_store_ps(out + o * D3_Q + 16 * v, acc[o][v]);
}

/// The last block of a plane covers only the 16-position vectors it needs: with
/// 48 always, yolo's 20x20 layer (440 flat positions) computed 480, its 5x5 one
/// (30) 48.
OK_D3 static void d3_kernel48(const d3_job *j, int ob, int q0, float *out) { d3_kernel_body(j, ob, q0, out, 3); }
OK_D3 static void d3_kernel32(const d3_job *j, int ob, int q0, float *out) { d3_kernel_body(j, ob, q0, out, 2); }
OK_D3 static void d3_kernel16(const d3_job *j, int ob, int q0, float *out) { d3_kernel_body(j, ob, q0, out, 1); }

/// n <= 48 floats with 16-wide (masked) moves: output row pieces are 5-64 floats,
/// where a memcpy call per piece and channel cost more than kws's first layer's
/// multiply-adds.
OK_D3 static inline void d3_copy(float *dst, const float *src, int n) {
    for (int i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(dst + i, m, _mm512_maskz_loadu_ps(m, src + i));
    }
}

/// One task = 48 flat positions of one block of 8 output channels.
OK_D3 static void d3_task(void *raw, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const d3_job *j = raw;
    const ok_conv_params *p = j->p;
    int OH = p->out_shape[0], OW = p->out_shape[1], S = j->g.S, nb = j->g.nb;
    size_t OHW = (size_t)OH * OW;
    float out[D3_OCB * D3_Q] __attribute__((aligned(64)));
    for (int64_t t = begin; t < end; t++) {
        int ob = (int)(t / nb), q0 = (int)(t % nb) * D3_Q;
        int nv = (OH * S - q0 + 15) / 16;
        if (nv >= 3) d3_kernel48(j, ob, q0, out);
        else if (nv == 2) d3_kernel32(j, ob, q0, out);
        else d3_kernel16(j, ob, q0, out);
        int qn = nv >= 3 ? D3_Q : 16 * nv;  // positions computed
        if (j->ep) ok_apply_epilogue__avx512(out, D3_Q, D3_OCB, qn, ob * D3_OCB, 0, j->ep);
        // Copy the valid columns (ow < OW) of each output row the block touches.
        for (int q = q0; q < q0 + qn && q < OH * S;) {
            int oh = q / S, ow = q % S;
            int n = OW - ow;                          // valid columns left in this row
            int span = S - ow;                        // positions to the next row start
            if (span > q0 + qn - q) span = q0 + qn - q;
            if (n > span) n = span;
            if (n > 0)
                for (int o = 0; o < D3_OCB; o++)
                    d3_copy(j->y + (size_t)(ob * D3_OCB + o) * OHW + (size_t)oh * OW + ow, out + o * D3_Q + (q - q0), n);
            q += span;
        }
    }
}

void ok_conv_direct(ok_pool *pool, const ok_conv_params *p, const float *x, const float *packed, float *y,
                       const ok_epilogue *ep, void *workspace) {
    ok_epilogue e;
    if (ep) {
        e = *ep;
        e.bias_kind = OK_BIAS_PER_ROW;
        e.accumulate = 0;
    }
    const d3_geom g = d3_geometry(p);
    size_t in_sp = (size_t)p->in_shape[0] * p->in_shape[1], out_sp = (size_t)p->out_shape[0] * p->out_shape[1];
    if ((int64_t)p->cout * p->cin * g.taps * (int64_t)out_sp < ok_min_parallel_macs()) pool = NULL;
    for (int n = 0; n < p->batch; n++) {
        d3_job j = {p, g, x + (size_t)n * p->cin * in_sp, packed, y + (size_t)n * p->cout * out_sp, workspace,
                    ep ? &e : NULL};
        ok_pool_parallel_for(pool, p->cin, 4, d3_fill, &j);
        ok_pool_parallel_for(pool, (int64_t)(p->cout / D3_OCB) * g.nb, 1, d3_task, &j);
    }
}
#else
int ok_conv_direct_applies(const ok_conv_params *p) { (void)p; return 0; }
size_t ok_conv_direct_packed_size(const ok_conv_params *p) { (void)p; return 0; }
void ok_conv_direct_pack(const ok_conv_params *p, const float *w, float *packed) { (void)p; (void)w; (void)packed; }
size_t ok_conv_direct_workspace_size(const ok_conv_params *p) { (void)p; return 0; }
void ok_conv_direct(ok_pool *pool, const ok_conv_params *p, const float *x, const float *packed, float *y,
                       const ok_epilogue *ep, void *workspace) {
    (void)pool; (void)p; (void)x; (void)packed; (void)y; (void)ep; (void)workspace;
}
#endif
