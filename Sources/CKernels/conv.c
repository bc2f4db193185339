// Convolution driver: algorithm choice, weight packing, im2col, depthwise,
// transposed convolution and the reference twins.
#include "ok_conv.h"
#include "conv_direct.h"
#include "sgemm_internal.h"
#include "ok_portable.h"

#include <stdlib.h>
#include <string.h>

#define OK_CONV_MAGIC 0x564e4f43u  // "CONV"

typedef struct {
    uint32_t magic;
    int32_t algorithm;
    int32_t group;
    int32_t pad;
    uint64_t group_bytes;  // bytes per group's packed A (64-aligned)
} ok_conv_header;          // data at +64

/// The parameters as 3-D (missing leading spatial axes have size 1).
typedef struct {
    int in[3], out[3], k[3], s[3], d[3], pb[3];
    size_t in_sp, out_sp, kv;
} geom3;

static geom3 to3(const ok_conv_params *p) {
    geom3 g;
    int off = 3 - p->ndim;
    for (int i = 0; i < 3; i++) {
        int j = i - off;
        if (j < 0) {
            g.in[i] = g.out[i] = g.k[i] = g.s[i] = g.d[i] = 1;
            g.pb[i] = 0;
        } else {
            g.in[i] = p->in_shape[j]; g.out[i] = p->out_shape[j]; g.k[i] = p->kernel[j];
            g.s[i] = p->stride[j]; g.d[i] = p->dilation[j] > 0 ? p->dilation[j] : 1; g.pb[i] = p->pad_begin[j];
        }
    }
    g.in_sp = (size_t)g.in[0] * g.in[1] * g.in[2];
    g.out_sp = (size_t)g.out[0] * g.out[1] * g.out[2];
    g.kv = (size_t)g.k[0] * g.k[1] * g.k[2];
    return g;
}

int ok_conv_algorithm(const ok_conv_params *p) {
    if (p->ndim == 2 && p->group == p->cin && p->group == p->cout && p->group > 1) return 2;
    if (ok_conv_direct_applies(p)) return 3;
    for (int i = 0; i < p->ndim; i++)
        if (p->kernel[i] != 1 || p->stride[i] != 1 || p->pad_begin[i] != 0 || p->pad_end[i] != 0 ||
            p->in_shape[i] != p->out_shape[i])
            return 0;
    return 1;
}

static void gemm_dims(const ok_conv_params *p, int *M, int *K, int *N) {
    geom3 g = to3(p);
    *M = p->cout / p->group;
    *K = (int)((size_t)(p->cin / p->group) * g.kv);
    *N = (int)g.out_sp;
}

size_t ok_conv_packed_weights_size(const ok_conv_params *p) {
    int alg = ok_conv_algorithm(p);
    if (alg == 2) {
        geom3 g = to3(p);
        return 64 + OK_ALIGN64(sizeof(float) * (size_t)p->cout * g.kv);
    }
    if (alg == 3) return 64 + OK_ALIGN64(ok_conv_direct_packed_size(p));
    int M, K, N;
    gemm_dims(p, &M, &K, &N);
    return 64 + OK_ALIGN64(ok_sgemm_packed_a_size(M, K)) * (size_t)p->group;
}

void ok_conv_pack_weights(const ok_conv_params *p, const float *w, void *packed) {
    ok_conv_header *h = packed;
    memset(h, 0, 64);
    h->magic = OK_CONV_MAGIC;
    h->algorithm = ok_conv_algorithm(p);
    h->group = p->group;
    char *data = (char *)packed + 64;
    if (h->algorithm == 2) {
        geom3 g = to3(p);
        memcpy(data, w, sizeof(float) * (size_t)p->cout * g.kv);
        return;
    }
    if (h->algorithm == 3) {
        ok_conv_direct_pack(p, w, (float *)data);
        return;
    }
    int M, K, N;
    gemm_dims(p, &M, &K, &N);
    h->group_bytes = OK_ALIGN64(ok_sgemm_packed_a_size(M, K));
    for (int gi = 0; gi < p->group; gi++)
        ok_sgemm_pack_a(M, K, 1.0f, w + (size_t)gi * M * K, K, 1, data + gi * h->group_bytes);
}

size_t ok_conv_workspace_size(const ok_conv_params *p, int threads) {
    int alg = ok_conv_algorithm(p);
    if (alg == 2) return 64;
    if (alg == 3) return ok_conv_direct_workspace_size(p) + 64;
    int M, K, N;
    gemm_dims(p, &M, &K, &N);
    (void)alg;  // im2col happens block by block inside the GEMM (no column buffer)
    return ok_sgemm_workspace_size(M, N, K, threads) + 64;
}

typedef struct {
    const geom3 *g;
    const float *x;  // this group's input channels
    int N;           // output spatial size
} im2col_ctx;

/// The GEMM's B-block packer for convolution: im2col of rows [p0, p0+kc) (channel,
/// kernel offset) x output positions [j0, j0+ncp) written straight into the
/// NR-column panels of the block, 8 rows at a time (built in an L1 buffer, then
/// each panel receives 8*NR contiguous floats). The [K, N] matrix never exists.
OK_X86_HOT static void im2col_block(void *raw, float *dst, int nr, int p0, int kc, int j0, int ncp) {
    const im2col_ctx *c = raw;
    const geom3 *g = c->g;
    const int N = c->N, OW = g->out[2], OH = g->out[1];
    float tmp[8 * OK_SGEMM_NC];
    const int same2d = g->in[0] == 1 && g->out[0] == 1 && g->k[0] == 1 && g->pb[0] == 0 && g->s[1] == 1 &&
                       g->s[2] == 1 && g->in[2] == g->out[2];
    const ptrdiff_t plane = (ptrdiff_t)g->in[1] * g->in[2];
    for (int pr = 0; pr < kc; pr += 8) {
        int rows = kc - pr < 8 ? kc - pr : 8;
        for (int r = 0; r < rows; r++) {
            int p = p0 + pr + r;
            int kw = p % g->k[2], t = p / g->k[2];
            int kh = t % g->k[1];
            t /= g->k[1];
            int kd = t % g->k[0], ch = t / g->k[0];
            const float *xc = c->x + (size_t)ch * g->in_sp;
            float *o = tmp + (size_t)r * ncp;
            int n = j0, end = j0 + ncp < N ? j0 + ncp : N;
            if (same2d) {
                // 2-D, stride 1, output rows as wide as the input: column n reads
                // x[n + delta] (delta = tap offset), so the block row is one memcpy
                // clamped to the plane (that clamp is exactly the ih range), then the
                // pad columns of each output row zeroed.
                const int W = g->in[2];
                ptrdiff_t delta = (ptrdiff_t)(-g->pb[1] + kh * g->d[1]) * W - g->pb[2] + kw * g->d[2];
                ptrdiff_t c0 = j0 > -delta ? j0 : -delta, c1 = end < plane - delta ? end : plane - delta;
                if (c0 > end) c0 = end;
                if (c1 < c0) c1 = c0;
                memset(o, 0, sizeof(float) * (size_t)(c0 - j0));
                if (c1 > c0) memcpy(o + (c0 - j0), xc + c0 + delta, sizeof(float) * (size_t)(c1 - c0));
                memset(o + (c1 - j0), 0, sizeof(float) * (size_t)(j0 + ncp - c1));
                int base = -g->pb[2] + kw * g->d[2];
                int lo = base < 0 ? -base : 0, hi = W - base < W ? W - base : W;
                if (lo > W) lo = W;
                if (hi < lo) hi = lo;
                if (lo > 0 || hi < W) {
                    for (int row0 = j0 - j0 % W; row0 < end; row0 += W) {
                        for (int i = row0; i < row0 + lo; i++)
                            if (i >= j0 && i < end) o[i - j0] = 0;
                        for (int i = row0 + hi; i < row0 + W; i++)
                            if (i >= j0 && i < end) o[i - j0] = 0;
                    }
                }
                continue;
            }
            int ow = n % OW, rest = n / OW, oh = rest % OH, od = rest / OH;
            int base = -g->pb[2] + kw * g->d[2], sw = g->s[2];
            while (n < end) {
                int len = OW - ow < end - n ? OW - ow : end - n;
                int id = od * g->s[0] - g->pb[0] + kd * g->d[0];
                int ih = oh * g->s[1] - g->pb[1] + kh * g->d[1];
                if (id < 0 || id >= g->in[0] || ih < 0 || ih >= g->in[1]) {
                    memset(o, 0, sizeof(float) * (size_t)len);
                } else {
                    const float *src = xc + ((size_t)id * g->in[1] + ih) * g->in[2];
                    if (sw == 1) {
                        // valid ow: 0 <= ow + base < W
                        int lo = -base > ow ? -base : ow;
                        int hi = g->in[2] - base < ow + len ? g->in[2] - base : ow + len;
                        if (lo > ow + len) lo = ow + len;
                        if (hi < lo) hi = lo;
                        for (int i = ow; i < lo; i++) o[i - ow] = 0;
                        if (hi > lo) memcpy(o + (lo - ow), src + lo + base, sizeof(float) * (size_t)(hi - lo));
                        for (int i = hi; i < ow + len; i++) o[i - ow] = 0;
                    } else {
                        // valid i: 0 <= (ow+i)*sw + base < W; zeros outside, no checks inside.
                        int b0 = ow * sw + base;
                        int lo = b0 < 0 ? (-b0 + sw - 1) / sw : 0;
                        int hi = g->in[2] - b0 <= 0 ? 0 : (g->in[2] - b0 + sw - 1) / sw;
                        if (hi > len) hi = len;
                        if (lo > hi) lo = hi;
                        for (int i = 0; i < lo; i++) o[i] = 0;
                        const float *sp = src + b0;
                        // Stride 2 with a constant stride: the compiler vectorises it
                        // (deinterleaving loads: vld2 on NEON, where stride-2 layers
                        // have no direct kernel).
                        if (sw == 2)
                            for (int i = lo; i < hi; i++) o[i] = sp[2 * i];
                        else
                            for (int i = lo; i < hi; i++) o[i] = sp[i * sw];
                        for (int i = hi; i < len; i++) o[i] = 0;
                    }
                }
                o += len;
                n += len;
                ow = 0;
                if (++oh == OH) { oh = 0; od++; }
            }
            for (int i = end; i < j0 + ncp; i++) *o++ = 0.0f;  // zero padding past N
        }
        for (int q = 0; q < ncp / nr; q++) {
            float *d = dst + (size_t)q * nr * kc + (size_t)pr * nr;
            const float *s = tmp + (size_t)q * nr;
            if (nr == 16)
                for (int r = 0; r < rows; r++) memcpy(d + r * 16, s + (size_t)r * ncp, 16 * sizeof(float));
            else if (nr == 8)
                for (int r = 0; r < rows; r++) memcpy(d + r * 8, s + (size_t)r * ncp, 8 * sizeof(float));
            else
                for (int r = 0; r < rows; r++) memcpy(d + r * nr, s + (size_t)r * ncp, (size_t)nr * sizeof(float));
        }
    }
}

void ok_depthwise_planes(ok_pool *pool, const ok_conv_params *p, const float *x, const float *w, float *y,
                         const ok_epilogue *ep);

OK_X86_DRIVER void ok_conv(ok_pool *pool, const ok_conv_params *p, const float *x, const void *packed_w, float *y,
             const ok_epilogue *ep, void *workspace) {
    const ok_conv_header *h = packed_w;
    const char *data = (const char *)packed_w + 64;
    if (h->algorithm == 2) {
        ok_depthwise_planes(pool, p, x, (const float *)data, y, ep);
        return;
    }
    if (h->algorithm == 3) {
        ok_conv_direct(pool, p, x, (const float *)data, y, ep, workspace);
        return;
    }
    geom3 g = to3(p);
    int M, K, N;
    gemm_dims(p, &M, &K, &N);
    int cin_g = p->cin / p->group;
    char *ws = workspace;
    for (int n = 0; n < p->batch; n++) {
        for (int gi = 0; gi < p->group; gi++) {
            const float *xg = x + ((size_t)n * p->cin + (size_t)gi * cin_g) * g.in_sp;
            float *yg = y + ((size_t)n * p->cout + (size_t)gi * M) * g.out_sp;
            im2col_ctx ictx = {&g, xg, N};
            ok_epilogue e = {0};
            if (ep) e = *ep;
            e.accumulate = 0;
            if (e.bias) { e.bias += (size_t)gi * M; e.bias_kind = OK_BIAS_PER_ROW; }
            if (h->algorithm == 0)
                ok_sgemm_with_b_packer(pool, M, N, K, data + gi * h->group_bytes, im2col_block, &ictx, yg, N, &e, ws);
            else  // pointwise: the input is B as it is
                ok_sgemm(pool, M, N, K, 1.0f, NULL, 0, 0, data + gi * h->group_bytes, xg, N, 1, NULL, yg, N, &e, ws);
        }
    }
}

void ok_conv_reference(const ok_conv_params *p, const float *x, const float *w, float *y, const ok_epilogue *ep) {
    geom3 g = to3(p);
    int cin_g = p->cin / p->group, cout_g = p->cout / p->group;
    for (int n = 0; n < p->batch; n++)
        for (int oc = 0; oc < p->cout; oc++) {
            int gi = oc / cout_g;
            for (int od = 0; od < g.out[0]; od++)
                for (int oh = 0; oh < g.out[1]; oh++)
                    for (int ow = 0; ow < g.out[2]; ow++) {
                        double acc = 0;
                        for (int ic = 0; ic < cin_g; ic++)
                            for (int kd = 0; kd < g.k[0]; kd++)
                                for (int kh = 0; kh < g.k[1]; kh++)
                                    for (int kw = 0; kw < g.k[2]; kw++) {
                                        int id = od * g.s[0] - g.pb[0] + kd * g.d[0];
                                        int ih = oh * g.s[1] - g.pb[1] + kh * g.d[1];
                                        int iw = ow * g.s[2] - g.pb[2] + kw * g.d[2];
                                        if (id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1] || iw < 0 ||
                                            iw >= g.in[2])
                                            continue;
                                        float xv = x[(((size_t)n * p->cin + gi * cin_g + ic) * g.in[0] + id) *
                                                         g.in[1] * g.in[2] +
                                                     (size_t)ih * g.in[2] + iw];
                                        float wv = w[(((size_t)oc * cin_g + ic) * g.k[0] + kd) * g.k[1] * g.k[2] +
                                                     (size_t)kh * g.k[2] + kw];
                                        acc += (double)xv * wv;
                                    }
                        float v = (float)acc;
                        if (ep && ep->bias) v += ep->bias[oc];
                        if (ep) v = ok_activation_scalar(v, ep->activation, ep->p0, ep->p1);
                        y[(((size_t)n * p->cout + oc) * g.out[0] + od) * g.out[1] * g.out[2] + (size_t)oh * g.out[2] +
                          ow] = v;
                    }
        }
}

// ---------------------------------------------------------------- transposed

static void convtr_dims(const ok_conv_params *p, int *M, int *K, int *N) {
    geom3 g = to3(p);
    *M = (int)((size_t)(p->cout / p->group) * g.kv);
    *K = p->cin / p->group;
    *N = (int)g.in_sp;
}

size_t ok_conv_transpose_packed_weights_size(const ok_conv_params *p) {
    int M, K, N;
    convtr_dims(p, &M, &K, &N);
    return 64 + OK_ALIGN64(ok_sgemm_packed_a_size(M, K)) * (size_t)p->group;
}

void ok_conv_transpose_pack_weights(const ok_conv_params *p, const float *w, void *packed) {
    ok_conv_header *h = packed;
    memset(h, 0, 64);
    h->magic = OK_CONV_MAGIC;
    h->algorithm = 3;
    h->group = p->group;
    int M, K, N;
    convtr_dims(p, &M, &K, &N);
    h->group_bytes = OK_ALIGN64(ok_sgemm_packed_a_size(M, K));
    char *data = (char *)packed + 64;
    // A_g(m, k) = W[g*K + k][m]: rows of A are columns of W_g.
    for (int gi = 0; gi < p->group; gi++)
        ok_sgemm_pack_a(M, K, 1.0f, w + (size_t)gi * K * M, 1, M, data + gi * h->group_bytes);
}

size_t ok_conv_transpose_workspace_size(const ok_conv_params *p, int threads) {
    int M, K, N;
    convtr_dims(p, &M, &K, &N);
    return OK_ALIGN64(sizeof(float) * (size_t)M * N) + ok_sgemm_workspace_size(M, N, K, threads) + 64;
}

void ok_conv_transpose(ok_pool *pool, const ok_conv_params *p, const float *x, const void *packed_w, float *y,
                       const ok_epilogue *ep, void *workspace) {
    const ok_conv_header *h = packed_w;
    const char *data = (const char *)packed_w + 64;
    geom3 g = to3(p);
    int M, K, N;
    convtr_dims(p, &M, &K, &N);
    int cout_g = p->cout / p->group;
    float *col = workspace;
    char *ws = (char *)workspace + OK_ALIGN64(sizeof(float) * (size_t)M * N);
    memset(y, 0, sizeof(float) * (size_t)p->batch * p->cout * g.out_sp);
    for (int n = 0; n < p->batch; n++) {
        for (int gi = 0; gi < p->group; gi++) {
            const float *xg = x + ((size_t)n * p->cin + (size_t)gi * K) * g.in_sp;
            ok_sgemm(pool, M, N, K, 1.0f, NULL, 0, 0, data + gi * h->group_bytes, xg, N, 1, NULL, col, N, NULL, ws);
            // col2im: scatter-add every (channel, kernel offset) row into the output.
            const float *src = col;
            for (int oc = 0; oc < cout_g; oc++) {
                float *yc = y + ((size_t)n * p->cout + (size_t)gi * cout_g + oc) * g.out_sp;
                for (int kd = 0; kd < g.k[0]; kd++)
                    for (int kh = 0; kh < g.k[1]; kh++)
                        for (int kw = 0; kw < g.k[2]; kw++) {
                            for (int id = 0; id < g.in[0]; id++) {
                                int od = id * g.s[0] - g.pb[0] + kd * g.d[0];
                                for (int ih = 0; ih < g.in[1]; ih++) {
                                    int oh = ih * g.s[1] - g.pb[1] + kh * g.d[1];
                                    const float *srow = src + ((size_t)id * g.in[1] + ih) * g.in[2];
                                    if (od < 0 || od >= g.out[0] || oh < 0 || oh >= g.out[1]) continue;
                                    float *yrow = yc + ((size_t)od * g.out[1] + oh) * g.out[2];
                                    for (int iw = 0; iw < g.in[2]; iw++) {
                                        int ow = iw * g.s[2] - g.pb[2] + kw * g.d[2];
                                        if (ow >= 0 && ow < g.out[2]) yrow[ow] += srow[iw];
                                    }
                                }
                            }
                            src += N;
                        }
            }
        }
        if (ep) {
            ok_epilogue e = *ep;
            e.bias_kind = OK_BIAS_PER_ROW;
            e.accumulate = 0;
            ok_apply_epilogue(y + (size_t)n * p->cout * g.out_sp, (ptrdiff_t)g.out_sp, p->cout, (int)g.out_sp, 0, 0,
                              &e);
        }
    }
}

void ok_conv_transpose_reference(const ok_conv_params *p, const float *x, const float *w, float *y,
                                 const ok_epilogue *ep) {
    geom3 g = to3(p);
    int cin_g = p->cin / p->group, cout_g = p->cout / p->group;
    size_t ny = (size_t)p->batch * p->cout * g.out_sp;
    double *acc = calloc(ny, sizeof(double));
    for (int n = 0; n < p->batch; n++)
        for (int ic = 0; ic < p->cin; ic++) {
            int gi = ic / cin_g;
            for (int id = 0; id < g.in[0]; id++)
                for (int ih = 0; ih < g.in[1]; ih++)
                    for (int iw = 0; iw < g.in[2]; iw++) {
                        float xv = x[((size_t)n * p->cin + ic) * g.in_sp + ((size_t)id * g.in[1] + ih) * g.in[2] + iw];
                        for (int oc = 0; oc < cout_g; oc++)
                            for (int kd = 0; kd < g.k[0]; kd++)
                                for (int kh = 0; kh < g.k[1]; kh++)
                                    for (int kw = 0; kw < g.k[2]; kw++) {
                                        int od = id * g.s[0] - g.pb[0] + kd * g.d[0];
                                        int oh = ih * g.s[1] - g.pb[1] + kh * g.d[1];
                                        int ow = iw * g.s[2] - g.pb[2] + kw * g.d[2];
                                        if (od < 0 || od >= g.out[0] || oh < 0 || oh >= g.out[1] || ow < 0 ||
                                            ow >= g.out[2])
                                            continue;
                                        float wv = w[(((size_t)ic * cout_g + oc) * g.k[0] + kd) * g.k[1] * g.k[2] +
                                                     (size_t)kh * g.k[2] + kw];
                                        acc[((size_t)n * p->cout + gi * cout_g + oc) * g.out_sp +
                                            ((size_t)od * g.out[1] + oh) * g.out[2] + ow] += (double)xv * wv;
                                    }
                    }
        }
    for (size_t i = 0; i < ny; i++) {
        float v = (float)acc[i];
        int oc = (int)((i / g.out_sp) % (size_t)p->cout);
        if (ep && ep->bias) v += ep->bias[oc];
        if (ep) v = ok_activation_scalar(v, ep->activation, ep->p0, ep->p1);
        y[i] = v;
    }
    free(acc);
}
