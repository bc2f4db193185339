// Depthwise 2-D convolution on narrow planes, vectorised across channels.
//
// The plane path (conv_depthwise.c) puts one output row in a vector. When a row
// is shorter than the vector (keyword-spotting and audio models: 25x5 planes;
// the 7x7 and 4x4 tails of image CNNs) most lanes compute padding and the
// per-row overhead (copy, ragged store) dominates: kws's four 64-channel
// depthwise layers took half of its run time that way. Here a block of V
// channels (16 for AVX-512, 8 for AVX2) is transposed into a zero-padded
// [Hp][Wp][V] tile, every output pixel is KH*KW fused multiply-adds of whole
// vectors (one lane per channel, no waste), and the [OH*OW][V] result is
// transposed back. The readable twin is ok_conv_reference (tests compare with it).
#include "conv_depthwise_internal.h"
#include "sgemm_internal.h"
#include "ok_act_simd.h"
#include "ok_elementwise.h"
#include "ok_transpose16.h"

#include <string.h>

#if OK_HAVE_X86
#include <immintrin.h>

enum { DWC_TILE_FLOATS = 8192 };  // 32 KB of stack per tile (input and output)

/// Padded input extent the kernel reads: rows [0, Hp), columns [0, Wp).
static void dwc_extent(const ok_conv_params *p, int *Hp, int *Wp) {
    int hp = (p->out_shape[0] - 1) * p->stride[0] + (p->kernel[0] - 1) * p->dilation[0] + 1;
    int wp = (p->out_shape[1] - 1) * p->stride[1] + (p->kernel[1] - 1) * p->dilation[1] + 1;
    if (hp < p->in_shape[0] + p->pad_begin[0]) hp = p->in_shape[0] + p->pad_begin[0];
    if (wp < p->in_shape[1] + p->pad_begin[1]) wp = p->in_shape[1] + p->pad_begin[1];
    *Hp = hp;
    *Wp = wp;
}

int ok_depthwise_channels_fits(const ok_conv_params *p, int vw) {
    if (p->ndim != 2 || p->kernel[0] * p->kernel[1] > 49) return 0;
    int Hp, Wp;
    dwc_extent(p, &Hp, &Wp);
    return (size_t)Hp * Wp * vw <= DWC_TILE_FLOATS &&
           (size_t)p->out_shape[0] * p->out_shape[1] * vw <= DWC_TILE_FLOATS;
}

typedef struct {
    const ok_conv_params *p;
    const float *x, *w;
    float *y;
    const ok_epilogue *ep;  // bias per channel; activation
    int vw;                 // channels per block: 16 (AVX-512) or 8 (AVX2)
    int blocks;             // channel blocks per image
} dwc_job;

/// Channels [c0, c0+nc) of image n into the tile (lanes >= nc and padding stay 0).
static void dwc_fill(const dwc_job *j, int n, int c0, int nc, int Wp, float *tile) {
    const ok_conv_params *p = j->p;
    int H = p->in_shape[0], W = p->in_shape[1], vw = j->vw;
    for (int c = 0; c < nc; c++) {
        const float *x = j->x + ((size_t)n * p->cout + c0 + c) * H * W;
        for (int ih = 0; ih < H; ih++) {
            float *t = tile + ((size_t)(ih + p->pad_begin[0]) * Wp + p->pad_begin[1]) * vw + c;
            for (int iw = 0; iw < W; iw++) t[(size_t)iw * vw] = x[(size_t)ih * W + iw];
        }
    }
}

/// The [OH*OW][vw] result back to planes y[n, c0 + c, :, :].
static void dwc_store(const dwc_job *j, int n, int c0, int nc, const float *out) {
    const ok_conv_params *p = j->p;
    size_t P = (size_t)p->out_shape[0] * p->out_shape[1];
    for (int c = 0; c < nc; c++) {
        float *y = j->y + ((size_t)n * p->cout + c0 + c) * P;
        for (size_t i = 0; i < P; i++) y[i] = out[i * j->vw + c];
    }
}

/// Activations that are a few vector instructions run in registers; Sigmoid, Tanh
/// and SiLU run afterwards over the finished planes (vectorised element-wise kernels).
static int dwc_post_activation(int act) { return act == OK_ACT_SIGMOID || act == OK_ACT_TANH || act == OK_ACT_SILU; }

#define OK_DWC_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))
#define OK_DWC_AVX2 __attribute__((target("avx2,fma")))


/// One block of 16 channels: out[(oh*OW + ow)*16 + c] = act(bias[c] + sum_taps w[c, tap] * tile[...]).
OK_DWC_AVX512 static void dwc_block__avx512(const ok_conv_params *p, int Wp, const float *tile, const float *wt,
                                            const float *bias16, int act, float fp0, float fp1, float *out) {
    const __m512 p0 = _mm512_set1_ps(fp0), p1 = _mm512_set1_ps(fp1), bias = _mm512_load_ps(bias16);
    int OH = p->out_shape[0], OW = p->out_shape[1], KH = p->kernel[0], KW = p->kernel[1];
    int sh = p->stride[0], sw = p->stride[1], dh = p->dilation[0], dw = p->dilation[1];
    if (KH == 3 && KW == 3 && dh == 1 && dw == 1) {  // the common case: nine weights stay in registers
        __m512 w[9];
        for (int i = 0; i < 9; i++) w[i] = _mm512_load_ps(wt + i * 16);
        for (int oh = 0; oh < OH; oh++) {
            for (int ow = 0; ow < OW; ow++) {
                const float *t = tile + ((size_t)(oh * sh) * Wp + ow * sw) * 16;
                __m512 acc = bias;
                for (int kh = 0; kh < 3; kh++) {
                    const float *r = t + (size_t)kh * Wp * 16;
                    acc = _mm512_fmadd_ps(w[kh * 3], _mm512_load_ps(r), acc);
                    acc = _mm512_fmadd_ps(w[kh * 3 + 1], _mm512_load_ps(r + 16), acc);
                    acc = _mm512_fmadd_ps(w[kh * 3 + 2], _mm512_load_ps(r + 32), acc);
                }
                _mm512_store_ps(out + ((size_t)oh * OW + ow) * 16, ok_cheap_act16(acc, act, p0, p1));
            }
        }
        return;
    }
    for (int oh = 0; oh < OH; oh++) {
        for (int ow = 0; ow < OW; ow++) {
            __m512 acc = bias;
            const float *t = tile + ((size_t)(oh * sh) * Wp + ow * sw) * 16;
            for (int kh = 0; kh < KH; kh++) {
                const float *r = t + (size_t)kh * dh * Wp * 16;
                for (int kw = 0; kw < KW; kw++)
                    acc = _mm512_fmadd_ps(_mm512_load_ps(wt + (kh * KW + kw) * 16), _mm512_load_ps(r + kw * dw * 16), acc);
            }
            _mm512_store_ps(out + ((size_t)oh * OW + ow) * 16, ok_cheap_act16(acc, act, p0, p1));
        }
    }
}


/// AVX2 twin of dwc_block__avx512: 8 channels per vector.
OK_X86_HOT OK_DWC_AVX2 static void dwc_block__avx2(const ok_conv_params *p, int Wp, const float *tile, const float *wt,
                                        const float *bias8, int act, float fp0, float fp1, float *out) {
    const __m256 p0 = _mm256_set1_ps(fp0), p1 = _mm256_set1_ps(fp1), bias = _mm256_load_ps(bias8);
    int OH = p->out_shape[0], OW = p->out_shape[1], KH = p->kernel[0], KW = p->kernel[1];
    int sh = p->stride[0], sw = p->stride[1], dh = p->dilation[0], dw = p->dilation[1];
    for (int oh = 0; oh < OH; oh++) {
        for (int ow = 0; ow < OW; ow++) {
            __m256 acc = bias;
            const float *t = tile + ((size_t)(oh * sh) * Wp + ow * sw) * 8;
            for (int kh = 0; kh < KH; kh++) {
                const float *r = t + (size_t)kh * dh * Wp * 8;
                for (int kw = 0; kw < KW; kw++)
                    acc = _mm256_fmadd_ps(_mm256_load_ps(wt + (kh * KW + kw) * 8), _mm256_load_ps(r + kw * dw * 8), acc);
            }
            _mm256_store_ps(out + ((size_t)oh * OW + ow) * 8, ok_cheap_act8(acc, act, p0, p1));
        }
    }
}


/// dwc_fill / dwc_store 16 pixels at a time through ok_transpose16x16_ps instead of
/// 256 strided scalar moves.
OK_DWC_AVX512 static void dwc_fill__avx512(const dwc_job *j, int n, int c0, int nc, int Wp, float *tile) {
    const ok_conv_params *p = j->p;
    int H = p->in_shape[0], W = p->in_shape[1], P = H * W;
    const float *x = j->x + ((size_t)n * p->cout + c0) * P;
    int ih = 0, iw = 0;
    for (int p0 = 0; p0 < P; p0 += 16) {
        int np = P - p0 < 16 ? P - p0 : 16;
        __mmask16 m = (__mmask16)((1u << np) - 1u);
        __m512 r[16];
        for (int c = 0; c < 16; c++)
            r[c] = c < nc ? _mm512_maskz_loadu_ps(m, x + (size_t)c * P + p0) : _mm512_setzero_ps();
        ok_transpose16x16_ps(r);
        // (ih, iw) of pixel p0 + i stepped, not divided (a division per pixel was the
        // largest single cost of the int8 twin on kws' 25x5 planes).
        for (int i = 0; i < np; i++) {
            _mm512_store_ps(tile + ((size_t)(ih + p->pad_begin[0]) * Wp + iw + p->pad_begin[1]) * 16, r[i]);
            if (++iw == W) { iw = 0; ih++; }
        }
    }
}

OK_DWC_AVX512 static void dwc_store__avx512(const dwc_job *j, int n, int c0, int nc, const float *out) {
    const ok_conv_params *p = j->p;
    int P = p->out_shape[0] * p->out_shape[1];
    float *y = j->y + ((size_t)n * p->cout + c0) * P;
    for (int p0 = 0; p0 < P; p0 += 16) {
        int np = P - p0 < 16 ? P - p0 : 16;
        __mmask16 m = (__mmask16)((1u << np) - 1u);
        __m512 r[16];
        for (int i = 0; i < 16; i++) r[i] = i < np ? _mm512_load_ps(out + (size_t)(p0 + i) * 16) : _mm512_setzero_ps();
        ok_transpose16x16_ps(r);
        for (int c = 0; c < nc; c++) _mm512_mask_storeu_ps(y + (size_t)c * P + p0, m, r[c]);
    }
}

OK_X86_HOT static void dwc_task(void *raw, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const dwc_job *j = raw;
    const ok_conv_params *p = j->p;
    int Hp, Wp;
    dwc_extent(p, &Hp, &Wp);
    int vw = j->vw, taps = p->kernel[0] * p->kernel[1];
    float tile[DWC_TILE_FLOATS] __attribute__((aligned(64)));
    float out[DWC_TILE_FLOATS] __attribute__((aligned(64)));
    float wt[49 * 16] __attribute__((aligned(64)));
    float bias[16] __attribute__((aligned(64)));
    const ok_epilogue *ep = j->ep;
    int act = ep ? ep->activation : OK_ACT_NONE;
    int post = dwc_post_activation(act);
    for (int64_t b = begin; b < end; b++) {
        int n = (int)(b / j->blocks), c0 = (int)(b % j->blocks) * vw;
        int nc = p->cout - c0 < vw ? p->cout - c0 : vw;
        // Weights [c, tap] -> [tap][lane]; missing lanes 0 (their outputs are never stored).
        memset(wt, 0, sizeof(float) * (size_t)taps * vw);
        memset(bias, 0, sizeof bias);
        for (int c = 0; c < nc; c++) {
            for (int t = 0; t < taps; t++) wt[t * vw + c] = j->w[(size_t)(c0 + c) * taps + t];
            if (ep && ep->bias) bias[c] = ep->bias[c0 + c];
        }
        memset(tile, 0, sizeof(float) * (size_t)Hp * Wp * vw);
        if (OK_AVX512_BUILT && vw == 16) dwc_fill__avx512(j, n, c0, nc, Wp, tile);
        else dwc_fill(j, n, c0, nc, Wp, tile);
        int a = post ? OK_ACT_NONE : act;
        float fp0 = ep ? ep->p0 : 0, fp1 = ep ? ep->p1 : 0;
        if (OK_AVX512_BUILT && vw == 16) dwc_block__avx512(p, Wp, tile, wt, bias, a, fp0, fp1, out);
        else dwc_block__avx2(p, Wp, tile, wt, bias, a, fp0, fp1, out);
        if (OK_AVX512_BUILT && vw == 16) dwc_store__avx512(j, n, c0, nc, out);
        else dwc_store(j, n, c0, nc, out);
        if (post) {
            size_t P = (size_t)p->out_shape[0] * p->out_shape[1];
            float *y = j->y + ((size_t)n * p->cout + c0) * P;
            if (act == OK_ACT_SIGMOID) ok_unary_f32(OK_UNARY_SIGMOID, y, y, P * nc, 0, 0);
            else if (act == OK_ACT_TANH) ok_unary_f32(OK_UNARY_TANH, y, y, P * nc, 0, 0);
            else ok_unary_f32(OK_UNARY_SWISH, y, y, P * nc, 1.0f, 0);
        }
    }
}

void ok_depthwise_channels(ok_pool *pool, const ok_conv_params *p, const float *x, const float *w, float *y,
                           const ok_epilogue *ep, int vw) {
    dwc_job j = {p, x, w, y, ep, vw, (p->cout + vw - 1) / vw};
    ok_pool_parallel_for(pool, (int64_t)p->batch * j.blocks, 1, dwc_task, &j);
}
#endif
