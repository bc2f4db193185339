// Direct 3x3 stride-1 convolution, NCHW, AVX-512 (no im2col).
//
// im2col + GEMM copies every input value nine times into packed B panels, and
// each panel is then reused by only Cout/12 micro-kernel calls: with the small
// Cout of detector backbones (16-64 channels) the copying costs more than the
// multiply-adds (yolo's 3x3 layers ran at ~40 GFLOPS against the GEMM's 117).
// Here the input is copied once into a zero-padded buffer (one padding row and
// column around each plane, rows rounded up to whole vectors), and each output
// row segment of up to 48 pixels for 8 output channels is accumulated in 24
// registers straight from that buffer: per input channel and tap, NV unaligned
// loads and 8 weight broadcasts feed 8*NV FMAs. Bias and activation run after
// each row through the GEMM's epilogue. The readable twin is ok_conv_reference.
#include "conv_direct3x3.h"
#include "sgemm_internal.h"

#include <string.h>

#if OK_HAVE_X86
#include <immintrin.h>

enum { D3_OCB = 8 };  // output channels per block (weights packed [block][ic][tap][8])

/// Padded plane geometry: output (oh, ow) reads padded rows oh..oh+2, columns ow..ow+2+.
static int d3_row_stride(const ok_conv_params *p) { return (p->out_shape[1] + 15) / 16 * 16 + 2; }
static int d3_rows(const ok_conv_params *p) { return p->out_shape[0] + 2; }

int ok_conv3x3_direct_applies(const ok_conv_params *p) {
    if (!ok_isa_enabled(OK_ISA_AVX512)) return 0;
    if (p->ndim != 2 || p->group != 1 || p->cout % D3_OCB != 0) return 0;
    for (int i = 0; i < 2; i++)
        if (p->kernel[i] != 3 || p->stride[i] != 1 || p->dilation[i] != 1 || p->pad_begin[i] > 1 ||
            p->pad_end[i] > 1)
            return 0;
    // Rows that leave many lanes of their last vector idle (20 of 32, or shorter
    // than one vector) run better through im2col + GEMM.
    int ow = p->out_shape[1], lanes = (ow + 15) / 16 * 16;
    return ow >= 16 && ow * 5 >= lanes * 4;
}

size_t ok_conv3x3_direct_packed_size(const ok_conv_params *p) { return sizeof(float) * (size_t)p->cout * p->cin * 9; }

void ok_conv3x3_direct_pack(const ok_conv_params *p, const float *w, float *packed) {
    int cin = p->cin;
    for (int oc = 0; oc < p->cout; oc++)
        for (int ic = 0; ic < cin; ic++)
            for (int t = 0; t < 9; t++)
                packed[(((size_t)(oc / D3_OCB) * cin + ic) * 9 + t) * D3_OCB + oc % D3_OCB] =
                    w[((size_t)oc * cin + ic) * 9 + t];
}

size_t ok_conv3x3_direct_workspace_size(const ok_conv_params *p) {
    return sizeof(float) * (size_t)p->cin * d3_rows(p) * d3_row_stride(p);
}

typedef struct {
    const ok_conv_params *p;
    const float *x;   // this image
    const float *w;   // packed
    float *y;         // this image
    float *xp;        // padded input
    const ok_epilogue *ep;
} d3_job;

static void d3_fill(void *raw, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const d3_job *j = raw;
    const ok_conv_params *p = j->p;
    int H = p->in_shape[0], W = p->in_shape[1], R = d3_rows(p), S = d3_row_stride(p);
    int ph = p->pad_begin[0], pw = p->pad_begin[1];
    for (int64_t ic = begin; ic < end; ic++) {
        float *dst = j->xp + (size_t)ic * R * S;
        const float *src = j->x + (size_t)ic * H * W;
        for (int r = 0; r < R; r++) {
            float *row = dst + (size_t)r * S;
            int ih = r - ph;
            if (ih < 0 || ih >= H) {
                memset(row, 0, sizeof(float) * (size_t)S);
                continue;
            }
            int n = W < S - pw ? W : S - pw;
            memset(row, 0, sizeof(float) * (size_t)pw);
            memcpy(row + pw, src + (size_t)ih * W, sizeof(float) * (size_t)n);
            memset(row + pw + n, 0, sizeof(float) * (size_t)(S - pw - n));
        }
    }
}

#define OK_D3 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))

/// 8 output channels x NV vectors of 16 pixels starting at (oh, ow0); the last
/// vector's store is masked to `tail` lanes.
#define D3_KERNEL(NV)                                                                                           \
    OK_D3 static void d3_kernel_##NV(const d3_job *j, int ob, int oh, int ow0, __mmask16 tail) {               \
        const ok_conv_params *p = j->p;                                                                         \
        int cin = p->cin, R = d3_rows(p), S = d3_row_stride(p), OW = p->out_shape[1];                           \
        size_t OHW = (size_t)p->out_shape[0] * OW;                                                              \
        __m512 acc[D3_OCB][NV];                                                                                 \
        for (int o = 0; o < D3_OCB; o++)                                                                        \
            for (int v = 0; v < NV; v++) acc[o][v] = _mm512_setzero_ps();                                      \
        const float *wb = j->w + (size_t)ob * cin * 9 * D3_OCB;                                                 \
        for (int ic = 0; ic < cin; ic++) {                                                                      \
            const float *xr = j->xp + ((size_t)ic * R + oh) * S + ow0;                                          \
            const float *wt = wb + (size_t)ic * 9 * D3_OCB;                                                     \
            for (int kh = 0; kh < 3; kh++) {                                                                    \
                for (int kw = 0; kw < 3; kw++) {                                                                \
                    __m512 xv[NV];                                                                              \
                    for (int v = 0; v < NV; v++) xv[v] = _mm512_loadu_ps(xr + (size_t)kh * S + kw + 16 * v);  \
                    const float *wk = wt + (kh * 3 + kw) * D3_OCB;                                              \
                    for (int o = 0; o < D3_OCB; o++) {                                                          \
                        __m512 wv = _mm512_set1_ps(wk[o]);                                                      \
                        for (int v = 0; v < NV; v++) acc[o][v] = _mm512_fmadd_ps(wv, xv[v], acc[o][v]);       \
                    }                                                                                           \
                }                                                                                               \
            }                                                                                                   \
        }                                                                                                       \
        for (int o = 0; o < D3_OCB; o++) {                                                                      \
            float *yr = j->y + (size_t)(ob * D3_OCB + o) * OHW + (size_t)oh * OW + ow0;                        \
            for (int v = 0; v < NV - 1; v++) _mm512_storeu_ps(yr + 16 * v, acc[o][v]);                         \
            _mm512_mask_storeu_ps(yr + 16 * (NV - 1), tail, acc[o][NV - 1]);                                   \
        }                                                                                                       \
    }
D3_KERNEL(1)
D3_KERNEL(2)
D3_KERNEL(3)

/// One task = one output row of one block of 8 channels.
static void d3_rows_task(void *raw, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const d3_job *j = raw;
    const ok_conv_params *p = j->p;
    int OH = p->out_shape[0], OW = p->out_shape[1];
    for (int64_t t = begin; t < end; t++) {
        int ob = (int)(t / OH), oh = (int)(t % OH);
        for (int ow0 = 0; ow0 < OW; ow0 += 48) {
            int n = OW - ow0 < 48 ? OW - ow0 : 48;
            int nv = (n + 15) / 16;
            __mmask16 tail = (__mmask16)(n % 16 ? (1u << (n % 16)) - 1u : 0xffffu);
            if (nv == 3) d3_kernel_3(j, ob, oh, ow0, tail);
            else if (nv == 2) d3_kernel_2(j, ob, oh, ow0, tail);
            else d3_kernel_1(j, ob, oh, ow0, tail);
        }
        if (j->ep) {
            size_t OHW = (size_t)OH * OW;
            ok_apply_epilogue__avx512(j->y + (size_t)ob * D3_OCB * OHW + (size_t)oh * OW, (ptrdiff_t)OHW, D3_OCB, OW,
                              ob * D3_OCB, 0, j->ep);
        }
    }
}

void ok_conv3x3_direct(ok_pool *pool, const ok_conv_params *p, const float *x, const float *packed, float *y,
                       const ok_epilogue *ep, void *workspace) {
    ok_epilogue e;
    if (ep) {
        e = *ep;
        e.bias_kind = OK_BIAS_PER_ROW;
        e.accumulate = 0;
    }
    size_t in_sp = (size_t)p->in_shape[0] * p->in_shape[1], out_sp = (size_t)p->out_shape[0] * p->out_shape[1];
    for (int n = 0; n < p->batch; n++) {
        d3_job j = {p, x + (size_t)n * p->cin * in_sp, packed, y + (size_t)n * p->cout * out_sp, workspace,
                    ep ? &e : NULL};
        ok_pool_parallel_for(pool, p->cin, 4, d3_fill, &j);
        ok_pool_parallel_for(pool, (int64_t)(p->cout / D3_OCB) * p->out_shape[0], 1, d3_rows_task, &j);
    }
}
#else
int ok_conv3x3_direct_applies(const ok_conv_params *p) { (void)p; return 0; }
size_t ok_conv3x3_direct_packed_size(const ok_conv_params *p) { (void)p; return 0; }
void ok_conv3x3_direct_pack(const ok_conv_params *p, const float *w, float *packed) { (void)p; (void)w; (void)packed; }
size_t ok_conv3x3_direct_workspace_size(const ok_conv_params *p) { (void)p; return 0; }
void ok_conv3x3_direct(ok_pool *pool, const ok_conv_params *p, const float *x, const float *packed, float *y,
                       const ok_epilogue *ep, void *workspace) {
    (void)pool; (void)p; (void)x; (void)packed; (void)y; (void)ep; (void)workspace;
}
#endif
