// Standalone C driver for the CKernels SGEMM/convolution paths: every ISA path
// the CPU supports is checked against the scalar reference twins. Used for the
// ARM cross builds under qemu (scripts/test-kernels-arm.sh) where the Swift test
// suite cannot run. Exit code 0 = all good.
//   test_kernels [--bench]
#include "ckernels.h"
#include "ok_qelementwise.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint32_t rng = 12345;
static float frand(void) {
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) & 0xffff) / 32768.0f - 1.0f;
}
static int irand(int lo, int hi) {
    rng = rng * 1664525u + 1013904223u;
    return lo + (int)((rng >> 8) % (uint32_t)(hi - lo + 1));
}
static void *xalloc(size_t bytes) {
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) abort();
    return p;
}

static int failures = 0;

static int compare(const char *what, const float *got, const float *want, size_t n, float tol) {
    for (size_t i = 0; i < n; i++) {
        float d = fabsf(got[i] - want[i]);
        if (!(d <= tol * (1.0f + fabsf(want[i])))) {
            printf("FAIL %s: [%zu] got %g want %g\n", what, i, got[i], want[i]);
            failures++;
            return 0;
        }
    }
    return 1;
}

static void test_sgemm(int isa, ok_pool *pool) {
    for (int trial = 0; trial < 60; trial++) {
        int M = irand(1, 70), N = irand(1, 90), K = irand(1, 300);
        if (trial == 0) { M = 1; N = 1; K = 1; }
        if (trial == 1) { K = 600; }
        int ta = irand(0, 1), tb = irand(0, 1), act = irand(0, 8), bias = irand(0, 2), acc = irand(0, 1);
        int prepack = irand(0, 3);
        float alpha = trial % 3 == 0 ? 0.5f : 1.0f;
        float *A = xalloc(sizeof(float) * M * K), *B = xalloc(sizeof(float) * K * N);
        float *C = xalloc(sizeof(float) * M * N), *R = xalloc(sizeof(float) * M * N);
        float *bv = xalloc(sizeof(float) * (M > N ? M : N));
        for (int i = 0; i < M * K; i++) A[i] = frand();
        for (int i = 0; i < K * N; i++) B[i] = frand();
        for (int i = 0; i < M * N; i++) C[i] = R[i] = frand();
        for (int i = 0; i < (M > N ? M : N); i++) bv[i] = frand();
        ok_epilogue ep = {bias ? bv : NULL, bias, act, -0.3f, 0.4f, acc};
        if (act == OK_ACT_HARD_SIGMOID) { ep.p0 = 0.2f; ep.p1 = 0.5f; }
        if (act == OK_ACT_LEAKY_RELU) ep.p0 = 0.1f;
        ptrdiff_t rsa = ta ? 1 : K, csa = ta ? M : 1, rsb = tb ? 1 : N, csb = tb ? K : 1;
        ok_sgemm_reference(M, N, K, alpha, A, rsa, csa, B, rsb, csb, R, N, &ep);
        void *pa = NULL, *pb = NULL;
        if (prepack & 1) { pa = xalloc(ok_sgemm_packed_a_size(M, K)); ok_sgemm_pack_a(M, K, alpha, A, rsa, csa, pa); }
        if (prepack & 2) { pb = xalloc(ok_sgemm_packed_b_size(K, N)); ok_sgemm_pack_b(K, N, B, rsb, csb, pb); }
        ok_sgemm(pool, M, N, K, alpha, A, rsa, csa, pa, B, rsb, csb, pb, C, N, &ep, NULL);
        char what[160];
        snprintf(what, sizeof what, "sgemm %s M=%d N=%d K=%d ta=%d tb=%d act=%d bias=%d acc=%d pack=%d threads=%d",
                 ok_isa_name(isa), M, N, K, ta, tb, act, bias, acc, prepack, ok_pool_threads(pool));
        compare(what, C, R, (size_t)M * N, 2e-5f * (1 + K / 64.0f));
        free(A); free(B); free(C); free(R); free(bv); free(pa); free(pb);
    }
}

static void test_conv(int isa, ok_pool *pool) {
    for (int trial = 0; trial < 60; trial++) {
        ok_conv_params p;
        memset(&p, 0, sizeof p);
        p.ndim = irand(1, 3) == 3 ? 1 : 2;
        if (trial % 10 == 9) p.ndim = 3;
        p.batch = irand(1, 2);
        int kind = irand(0, 3);  // 0 general, 1 depthwise, 2 pointwise, 3 grouped
        p.group = 1;
        int cin = irand(1, 12), cout = irand(1, 12);
        if (kind == 1) { cin = cout = irand(1, 20); p.group = cin; }
        if (kind == 3) { p.group = irand(2, 3); cin = p.group * irand(1, 4); cout = p.group * irand(1, 4); }
        p.cin = cin; p.cout = cout;
        for (int d = 0; d < p.ndim; d++) {
            p.in_shape[d] = irand(1, p.ndim == 3 ? 6 : 17);
            p.kernel[d] = kind == 2 ? 1 : (kind == 1 && trial % 2 ? 3 : irand(1, 4));
            p.stride[d] = kind == 2 ? 1 : irand(1, 2);
            p.dilation[d] = kind == 2 || (kind == 1 && trial % 2) ? 1 : irand(1, 2);
            p.pad_begin[d] = kind == 2 ? 0 : irand(0, 2);
            p.pad_end[d] = kind == 2 ? 0 : irand(0, 2);
            int ext = (p.kernel[d] - 1) * p.dilation[d] + 1;
            int span = p.in_shape[d] + p.pad_begin[d] + p.pad_end[d];
            if (span < ext) p.pad_end[d] += ext - span;
            span = p.in_shape[d] + p.pad_begin[d] + p.pad_end[d];
            p.out_shape[d] = (span - ext) / p.stride[d] + 1;
        }
        size_t in_sp = 1, out_sp = 1, kv = 1;
        for (int d = 0; d < p.ndim; d++) { in_sp *= p.in_shape[d]; out_sp *= p.out_shape[d]; kv *= p.kernel[d]; }
        size_t nx = p.batch * cin * in_sp, nw = cout * (cin / p.group) * kv, ny = p.batch * cout * out_sp;
        float *x = xalloc(4 * nx), *w = xalloc(4 * nw), *y = xalloc(4 * ny), *r = xalloc(4 * ny), *b = xalloc(4 * cout);
        for (size_t i = 0; i < nx; i++) x[i] = frand();
        for (size_t i = 0; i < nw; i++) w[i] = frand();
        for (int i = 0; i < cout; i++) b[i] = frand();
        int act = irand(0, 8);
        ok_epilogue ep = {irand(0, 1) ? b : NULL, OK_BIAS_PER_ROW, act, -0.3f, 0.4f, 0};
        if (act == OK_ACT_HARD_SIGMOID) { ep.p0 = 0.2f; ep.p1 = 0.5f; }
        ok_conv_reference(&p, x, w, r, &ep);
        void *pw = xalloc(ok_conv_packed_weights_size(&p));
        ok_conv_pack_weights(&p, w, pw);
        void *ws = xalloc(ok_conv_workspace_size(&p, ok_pool_threads(pool)));
        ok_conv(pool, &p, x, pw, y, &ep, ws);
        char what[200];
        snprintf(what, sizeof what, "conv %s nd=%d kind=%d cin=%d cout=%d g=%d in0=%d k0=%d s0=%d d0=%d act=%d threads=%d",
                 ok_isa_name(isa), p.ndim, kind, cin, cout, p.group, p.in_shape[0], p.kernel[0], p.stride[0],
                 p.dilation[0], act, ok_pool_threads(pool));
        compare(what, y, r, ny, 1e-4f);
        free(x); free(w); free(y); free(r); free(b); free(pw); free(ws);
    }
}

static void test_conv_transpose(int isa, ok_pool *pool) {
    for (int trial = 0; trial < 24; trial++) {
        ok_conv_params p;
        memset(&p, 0, sizeof p);
        p.ndim = trial % 3 == 0 ? 1 : 2;
        p.batch = irand(1, 2);
        p.group = trial % 4 == 3 ? 2 : 1;
        p.cin = p.group * irand(1, 4);
        p.cout = p.group * irand(1, 4);
        for (int d = 0; d < p.ndim; d++) {
            p.in_shape[d] = irand(1, 7); p.kernel[d] = irand(1, 4); p.stride[d] = irand(1, 3);
            p.dilation[d] = irand(1, 2); p.pad_begin[d] = irand(0, 1);
            int outpad = irand(0, p.stride[d] - 1);
            p.out_shape[d] = (p.in_shape[d] - 1) * p.stride[d] + (p.kernel[d] - 1) * p.dilation[d] + 1 - 2 * p.pad_begin[d] + outpad;
            if (p.out_shape[d] < 1) { p.pad_begin[d] = 0; p.out_shape[d] = (p.in_shape[d] - 1) * p.stride[d] + (p.kernel[d] - 1) * p.dilation[d] + 1; }
        }
        size_t in_sp = 1, out_sp = 1, kv = 1;
        for (int d = 0; d < p.ndim; d++) { in_sp *= p.in_shape[d]; out_sp *= p.out_shape[d]; kv *= p.kernel[d]; }
        size_t nx = p.batch * p.cin * in_sp, nw = p.cin * (p.cout / p.group) * kv, ny = p.batch * p.cout * out_sp;
        float *x = xalloc(4 * nx), *w = xalloc(4 * nw), *y = xalloc(4 * ny), *r = xalloc(4 * ny), *b = xalloc(4 * p.cout);
        for (size_t i = 0; i < nx; i++) x[i] = frand();
        for (size_t i = 0; i < nw; i++) w[i] = frand();
        for (int i = 0; i < p.cout; i++) b[i] = frand();
        ok_epilogue ep = {b, OK_BIAS_PER_ROW, trial % 9, -0.3f, 0.4f, 0};
        ok_conv_transpose_reference(&p, x, w, r, &ep);
        void *pw = xalloc(ok_conv_transpose_packed_weights_size(&p));
        ok_conv_transpose_pack_weights(&p, w, pw);
        void *ws = xalloc(ok_conv_transpose_workspace_size(&p, ok_pool_threads(pool)));
        ok_conv_transpose(pool, &p, x, pw, y, &ep, ws);
        char what[160];
        snprintf(what, sizeof what, "convT %s trial=%d threads=%d", ok_isa_name(isa), trial, ok_pool_threads(pool));
        compare(what, y, r, ny, 1e-4f);
        free(x); free(w); free(y); free(r); free(b); free(pw); free(ws);
    }
}


// ---------------------------------------------------------------- int8 (ok_qgemm / ok_qconv)

static uint8_t qrand(int extreme) {
    static const uint8_t ends[6] = {0, 255, 128, 127, 1, 254};
    return extreme ? ends[irand(0, 5)] : (uint8_t)irand(0, 255);
}
static int32_t qzp(int t, int extreme) {
    int v = extreme ? (int[]){0, 255, 128}[irand(0, 2)] : irand(0, 255);
    return t == OK_QTYPE_U8 ? v : v - 128;
}
static size_t qout_bytes(int out) { return out == OK_QOUT_I32 || out == OK_QOUT_F32 ? 4 : 1; }

typedef struct {
    ok_qepilogue ep;
    int32_t bias[512];
    float scale[512], fbias[512];
} qep_data;

static void qep_random(qep_data *d, int out, int K, int conv) {
    memset(&d->ep, 0, sizeof d->ep);
    d->ep.out = out;
    for (int i = 0; i < 512; i++) {
        d->bias[i] = irand(-40000, 40000);
        d->fbias[i] = frand() * 3;
    }
    float base = 1.0f / (float)(K > 0 ? K : 1) / (float)irand(8, 200);
    for (int i = 0; i < 512; i++) d->scale[i] = base * (0.25f + (float)irand(0, 1000) / 250.0f);
    d->ep.bias = irand(0, 2) ? d->bias : NULL;
    d->ep.bias_per = conv || irand(0, 1) ? OK_QPER_ROW : OK_QPER_COL;
    d->ep.scale = irand(0, 4) ? d->scale : NULL;
    d->ep.scale_per = irand(0, conv ? 1 : 2);
    d->ep.fbias = out == OK_QOUT_F32 && irand(0, 1) ? d->fbias : NULL;
    if (out == OK_QOUT_U8) {
        int zp = (int[]){0, 255, irand(0, 255)}[irand(0, 2)];
        d->ep.out_zero_point = zp;
        d->ep.qmin = irand(0, 3) == 0 ? zp : 0;
        d->ep.qmax = irand(0, 3) == 0 ? (zp + 60 < 255 ? zp + 60 : 255) : 255;
    } else {
        int zp = (int[]){-128, 127, irand(-128, 127)}[irand(0, 2)];
        d->ep.out_zero_point = zp;
        d->ep.qmin = irand(0, 3) == 0 ? zp : -128;
        d->ep.qmax = irand(0, 3) == 0 ? (zp + 60 < 127 ? zp + 60 : 127) : 127;
    }
    if (d->ep.qmax < d->ep.qmin) d->ep.qmax = d->ep.qmin;
}

static void test_qgemm(ok_pool *pool) {
    for (int trial = 0; trial < 60; trial++) {
        int M = irand(1, 40), N = irand(1, 70), K = irand(1, 300);
        if (trial == 0) { M = 1; N = 1; K = 1; }
        if (trial == 1) K = 1;
        if (trial == 2) { M = irand(1, 20); N = irand(1, 40); K = 4099; }
        if (trial == 3) { M = 24; N = 64; }
        int ta = irand(0, 1), tb = irand(0, 1), transA = irand(0, 1), transB = irand(0, 1);
        int za_per = irand(0, 1) ? OK_QPER_ROW : OK_QPER_TENSOR, zb_per = irand(0, 1) ? OK_QPER_COL : OK_QPER_TENSOR;
        int prepack = irand(0, 3), extreme = irand(0, 2) == 0, out = irand(0, 3);
        uint8_t *A = xalloc((size_t)M * K), *B = xalloc((size_t)K * N);
        int32_t *za = xalloc(4 * (size_t)M), *zb = xalloc(4 * (size_t)N);
        for (int i = 0; i < M * K; i++) A[i] = qrand(extreme);
        for (int i = 0; i < K * N; i++) B[i] = qrand(extreme);
        for (int i = 0; i < M; i++) za[i] = qzp(ta, extreme);
        for (int i = 0; i < N; i++) zb[i] = qzp(tb, extreme);
        ptrdiff_t rsa = transA ? 1 : K, csa = transA ? M : 1, rsb = transB ? 1 : N, csb = transB ? K : 1;
        qep_data d;
        qep_random(&d, out, K, 0);
        size_t bytes = (size_t)M * N * qout_bytes(out);
        uint8_t *C = xalloc(bytes), *R = xalloc(bytes);
        memset(C, 0xcd, bytes);
        memset(R, 0xcd, bytes);
        ok_qgemm_reference(M, N, K, A, ta, rsa, csa, za, za_per, B, tb, rsb, csb, zb, zb_per, R, N, &d.ep);
        void *pa = NULL, *pb = NULL;
        if (prepack & 1) {
            pa = xalloc(ok_qgemm_packed_a_size(M, K));
            ok_qgemm_pack_a(M, K, A, ta, rsa, csa, za, za_per, pa);
        }
        if (prepack & 2) {
            pb = xalloc(ok_qgemm_packed_b_size(K, N));
            ok_qgemm_pack_b(K, N, B, tb, rsb, csb, zb, zb_per, pb);
        }
        void *ws = xalloc(ok_qgemm_workspace_size(M, N, K, ok_pool_threads(pool)));
        ok_qgemm(pool, M, N, K, A, ta, rsa, csa, za, za_per, pa, B, tb, rsb, csb, zb, zb_per, pb, C, N, &d.ep, ws);
        if (memcmp(C, R, bytes) != 0) {
            printf("FAIL qgemm %s M=%d N=%d K=%d ta=%d tb=%d tA=%d tB=%d za=%d zb=%d pack=%d out=%d extreme=%d\n",
                   ok_qgemm_kernel_name(), M, N, K, ta, tb, transA, transB, za_per, zb_per, prepack, out, extreme);
            failures++;
        }
        free(A); free(B); free(za); free(zb); free(C); free(R); free(pa); free(pb); free(ws);
    }
}

static void test_qconv(ok_pool *pool) {
    for (int trial = 0; trial < 64; trial++) {
        int kind = trial % 4;
        ok_conv_params p;
        memset(&p, 0, sizeof p);
        p.ndim = kind == 2 ? 2 : irand(1, 2);
        p.batch = irand(1, 2);
        size_t in_sp = 1, out_sp = 1, kv = 1;
        for (int i = 0; i < p.ndim; i++) {
            p.in_shape[i] = irand(1, 13);
            p.kernel[i] = irand(1, 3);
            p.stride[i] = irand(1, 2);
            p.dilation[i] = irand(1, 2);
            p.pad_begin[i] = irand(0, 2);
            p.pad_end[i] = irand(0, 2);
            if (kind == 1) { p.kernel[i] = 1; p.stride[i] = 1; p.pad_begin[i] = p.pad_end[i] = 0; }
            if (kind == 2) { p.in_shape[i] = irand(3, 30); if (trial & 4) { p.kernel[i] = 3; p.dilation[i] = 1; p.pad_begin[i] = p.pad_end[i] = 1; } }
            int eff = (p.kernel[i] - 1) * p.dilation[i] + 1;
            if (p.in_shape[i] + p.pad_begin[i] + p.pad_end[i] < eff) p.in_shape[i] = eff;
            p.out_shape[i] = (p.in_shape[i] + p.pad_begin[i] + p.pad_end[i] - eff) / p.stride[i] + 1;
            in_sp *= p.in_shape[i]; out_sp *= p.out_shape[i]; kv *= p.kernel[i];
        }
        if (trial % 8 == 7) {
            // Narrow 2-D outputs with tall kernels and asymmetric pads (kws' conv1: 1x49x10,
            // 10x4 taps, stride 2, pads 4,1,5,2 -> 25x5): the narrow im2col path.
            p.ndim = 2;
            in_sp = out_sp = kv = 1;
            for (int i = 0; i < 2; i++) {
                p.in_shape[i] = i == 0 ? irand(8, 60) : irand(1, 16);
                p.kernel[i] = i == 0 ? irand(1, 10) : irand(1, 5);
                p.stride[i] = irand(1, 3);
                p.dilation[i] = irand(0, 3) == 0 ? 2 : 1;
                p.pad_begin[i] = irand(0, 4);
                p.pad_end[i] = irand(0, 5);
                int eff = (p.kernel[i] - 1) * p.dilation[i] + 1;
                if (p.in_shape[i] + p.pad_begin[i] + p.pad_end[i] < eff) p.in_shape[i] = eff;
                p.out_shape[i] = (p.in_shape[i] + p.pad_begin[i] + p.pad_end[i] - eff) / p.stride[i] + 1;
                in_sp *= p.in_shape[i]; out_sp *= p.out_shape[i]; kv *= p.kernel[i];
            }
            p.group = 1; p.cin = irand(1, 3); p.cout = irand(1, 70);
        } else if (kind == 0) { p.group = irand(1, 3); p.cin = p.group * irand(1, 5); p.cout = p.group * irand(1, 7); }
        else if (kind == 1) { p.group = 1; p.cin = irand(1, 40); p.cout = irand(1, 40); }
        else if (kind == 2) { p.cin = p.cout = p.group = irand(2, 9); }
        else { p.group = 1; p.cin = irand(8, 40); p.cout = irand(1, 30); }
        int tx = irand(0, 1), tw = irand(0, 1), extreme = irand(0, 3) == 0, out = irand(0, 3);
        int zw_per = irand(0, 1) ? OK_QPER_ROW : OK_QPER_TENSOR;
        size_t nx = (size_t)p.batch * p.cin * in_sp, nw = (size_t)p.cout * (p.cin / p.group) * kv;
        uint8_t *x = xalloc(nx), *w = xalloc(nw);
        int32_t *zw = xalloc(4 * (size_t)p.cout);
        for (size_t i = 0; i < nx; i++) x[i] = qrand(extreme);
        for (size_t i = 0; i < nw; i++) w[i] = qrand(extreme);
        for (int i = 0; i < p.cout; i++) zw[i] = qzp(tw, extreme);
        int32_t zx = qzp(tx, extreme);
        qep_data d;
        qep_random(&d, out, (int)((p.cin / p.group) * kv), 1);
        size_t bytes = (size_t)p.batch * p.cout * out_sp * qout_bytes(out);
        uint8_t *y = xalloc(bytes), *r = xalloc(bytes);
        memset(y, 0xcd, bytes);
        memset(r, 0xcd, bytes);
        ok_qconv_reference(&p, x, tx, zx, w, tw, zw, zw_per, r, &d.ep);
        void *pw = xalloc(ok_qconv_packed_weights_size(&p));
        ok_qconv_pack_weights(&p, w, tw, zw, zw_per, pw);
        void *ws = xalloc(ok_qconv_workspace_size(&p, ok_pool_threads(pool)));
        ok_qconv(pool, &p, x, tx, zx, pw, y, &d.ep, ws);
        if (memcmp(y, r, bytes) != 0) {
            printf("FAIL qconv %s alg=%d ndim=%d cin=%d cout=%d group=%d k=%d s=%d d=%d out=%d\n", ok_qgemm_kernel_name(),
                   ok_qconv_algorithm(&p), p.ndim, p.cin, p.cout, p.group, p.kernel[0], p.stride[0], p.dilation[0], out);
            failures++;
        }
        free(x); free(w); free(zw); free(y); free(r); free(pw); free(ws);
    }
}

// Depthwise 2-D convolutions against the reference twin: narrow and wide planes
// (ragged 16-lane tails), 3x3 / other kernels up to the float bound 16x16 and past
// it, strides 1-3, dilations, asymmetric pads, extreme values, every output type.
static void test_qdepthwise(ok_pool *pool) {
    for (int trial = 0; trial < 160; trial++) {
        ok_conv_params p;
        memset(&p, 0, sizeof p);
        p.ndim = 2;
        p.batch = irand(1, 2);
        p.cin = p.cout = p.group = irand(2, 40);
        int big = trial % 16 == 15;
        for (int i = 0; i < 2; i++) {
            p.in_shape[i] = irand(1, trial % 3 == 0 ? 6 : 45);
            p.kernel[i] = trial & 1 ? 3 : irand(1, 5);
            if (big) p.kernel[i] = irand(14, 17);
            p.stride[i] = irand(0, 5) == 0 ? 3 : irand(1, 2);
            p.dilation[i] = irand(0, 3) == 0 ? 2 : 1;
            p.pad_begin[i] = irand(0, 2);
            p.pad_end[i] = irand(0, 2);
            if (big) p.pad_begin[i] = p.pad_end[i] = p.kernel[i] / 2;
            int eff = (p.kernel[i] - 1) * p.dilation[i] + 1;
            if (p.in_shape[i] + p.pad_begin[i] + p.pad_end[i] < eff) p.in_shape[i] = eff;
            p.out_shape[i] = (p.in_shape[i] + p.pad_begin[i] + p.pad_end[i] - eff) / p.stride[i] + 1;
        }
        size_t in_sp = (size_t)p.in_shape[0] * p.in_shape[1], out_sp = (size_t)p.out_shape[0] * p.out_shape[1];
        size_t kv = (size_t)p.kernel[0] * p.kernel[1];
        int tx = irand(0, 1), tw = irand(0, 1), extreme = irand(0, 2) == 0, out = irand(0, 3);
        int zw_per = irand(0, 1) ? OK_QPER_ROW : OK_QPER_TENSOR;
        size_t nx = (size_t)p.batch * p.cin * in_sp, nw = (size_t)p.cout * kv;
        uint8_t *x = xalloc(nx), *w = xalloc(nw);
        int32_t *zw = xalloc(4 * (size_t)p.cout);
        for (size_t i = 0; i < nx; i++) x[i] = qrand(extreme);
        for (size_t i = 0; i < nw; i++) w[i] = qrand(extreme);
        for (int i = 0; i < p.cout; i++) zw[i] = qzp(tw, extreme);
        if (trial % 2 == 0) {
            // Every w - zw within s8 (the VNNI kernel's packed weights; ends included):
            // w = zw + d clamped to the type.
            for (size_t i = 0; i < nw; i++) {
                int32_t z = zw[zw_per == OK_QPER_ROW ? (int)(i / kv) : 0];
                int32_t dv = extreme ? (int[]){-128, 127, 0, -1}[irand(0, 3)] : irand(-128, 127);
                int32_t v = z + dv, lo = tw == OK_QTYPE_S8 ? -128 : 0, hi = lo + 255;
                w[i] = (uint8_t)(v < lo ? lo : v > hi ? hi : v);
            }
        }
        int32_t zx = qzp(tx, extreme);
        qep_data d;
        qep_random(&d, out, (int)kv, 1);
        size_t bytes = (size_t)p.batch * p.cout * out_sp * qout_bytes(out);
        uint8_t *y = xalloc(bytes), *r = xalloc(bytes);
        memset(y, 0xcd, bytes);
        memset(r, 0xcd, bytes);
        ok_qconv_reference(&p, x, tx, zx, w, tw, zw, zw_per, r, &d.ep);
        void *pw = xalloc(ok_qconv_packed_weights_size(&p));
        ok_qconv_pack_weights(&p, w, tw, zw, zw_per, pw);
        void *ws = xalloc(ok_qconv_workspace_size(&p, ok_pool_threads(pool)));
        ok_qconv(pool, &p, x, tx, zx, pw, y, &d.ep, ws);
        if (memcmp(y, r, bytes) != 0) {
            printf("FAIL qdepthwise %s c=%d in=%dx%d k=%dx%d s=%dx%d d=%dx%d pad=%d,%d/%d,%d out=%d tx=%d tw=%d\n",
                   ok_qgemm_kernel_name(), p.cin, p.in_shape[0], p.in_shape[1], p.kernel[0], p.kernel[1], p.stride[0],
                   p.stride[1], p.dilation[0], p.dilation[1], p.pad_begin[0], p.pad_begin[1], p.pad_end[0],
                   p.pad_end[1], out, tx, tw);
            failures++;
        }
        free(x); free(w); free(zw); free(y); free(r); free(pw); free(ws);
    }
}

// Int8 ISA chains as on a real CPU: VNNI keeps AVX-512/AVX2, i8mm keeps sdot and NEON.
// AVX-512 without VNNI: the AVX2 int8 GEMM with the AVX-512 depthwise kernel.
static const int qisas_to_test[7] = {OK_ISA_SCALAR, OK_ISA_AVX2_FMA, OK_ISA_AVX512, OK_ISA_AVX512_VNNI, OK_ISA_NEON,
                                     OK_ISA_NEON_DOT, OK_ISA_NEON_I8MM};
static uint32_t qrestrict_mask(int isa) {
    uint32_t m = 1u << isa | 1u;
    if (isa == OK_ISA_AVX512_VNNI) m |= 1u << OK_ISA_AVX512 | 1u << OK_ISA_AVX2_FMA;
    if (isa == OK_ISA_AVX512) m |= 1u << OK_ISA_AVX2_FMA;
    if (isa == OK_ISA_NEON_DOT || isa == OK_ISA_NEON_I8MM) m |= 1u << OK_ISA_NEON;
    if (isa == OK_ISA_NEON_I8MM) m |= 1u << OK_ISA_NEON_DOT;
    return m;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// Every ISA path with a kernel; AVX-512 runs as on a real CPU (AVX2 stays enabled
// for the kernels without an AVX-512 variant).
static const int isas_to_test[4] = {OK_ISA_SCALAR, OK_ISA_AVX2_FMA, OK_ISA_NEON, OK_ISA_AVX512};
static uint32_t restrict_mask(int isa) {
    uint32_t m = 1u << isa | 1u;
    if (isa == OK_ISA_AVX512) m |= 1u << OK_ISA_AVX2_FMA;
    return m;
}

static void bench(void) {
    int n = 256;
    float *A = xalloc(4 * n * n), *B = xalloc(4 * n * n), *C = xalloc(4 * n * n);
    for (int i = 0; i < n * n; i++) { A[i] = frand(); B[i] = frand(); }
    void *ws = xalloc(ok_sgemm_workspace_size(n, n, n, 1));
    for (int ii = 0; ii < 4; ii++) {
        int isa = isas_to_test[ii];
        if (!(ok_cpu_supported_isas() & (1u << isa))) continue;
        ok_cpu_restrict(restrict_mask(isa));
        int reps = isa == 0 ? 5 : 50;
        ok_sgemm(NULL, n, n, n, 1, A, n, 1, NULL, B, n, 1, NULL, C, n, NULL, ws);
        double best = 1e9;
        for (int r = 0; r < 5; r++) {
            double t0 = now_s();
            for (int i = 0; i < reps; i++) ok_sgemm(NULL, n, n, n, 1, A, n, 1, NULL, B, n, 1, NULL, C, n, NULL, ws);
            double t = (now_s() - t0) / reps;
            if (t < best) best = t;
        }
        printf("sgemm 256^3 %-10s %-34s %.1f GFLOPS\n", ok_isa_name(isa), ok_sgemm_kernel_name(), 2.0 * n * n * n / best / 1e9);
    }
    ok_cpu_restrict(0xffffffffu);
}

/// ok_minmax_f32 (the dispatched path: AVX2 / AVX-512 on x86-64, NEON on aarch64) against
/// its reference twin: lengths around every vector and unroll width, NaNs skipped
/// wherever they fall, extremes in the tail, all-NaN input.
static void test_minmax(void) {
    const size_t lengths[] = {1, 3, 4, 7, 15, 16, 17, 31, 63, 64, 65, 100, 1000};
    float *x = xalloc(sizeof(float) * 1000);
    for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
        const size_t n = lengths[li];
        for (int trial = 0; trial < 4; trial++) {
            for (size_t i = 0; i < n; i++) x[i] = frand() * 50.0f;
            if (trial >= 1) x[(size_t)irand(0, (int)n - 1)] = NAN;
            if (trial >= 2) x[n - 1] = trial == 2 ? 75.0f : -75.0f;
            if (trial == 3) for (size_t i = 0; i < n; i += 5) x[i] = NAN;
            float a, b, ra, rb;
            ok_minmax_f32(x, n, &a, &b);
            ok_minmax_f32_reference(x, n, &ra, &rb);
            int same = (a == ra || (a != a && ra != ra)) && (b == rb || (b != b && rb != rb));
            if (!same) {
                printf("FAIL minmax n=%zu trial %d: got [%g, %g] want [%g, %g]\n", n, trial, a, b, ra, rb);
                failures++;
            }
        }
    }
    // A NaN, then the minimum and the maximum in the same lane of the same chain one and
    // two 16 / 32 / 64-float steps later: a chain that let the NaN through loses them.
    for (int p = 0; p < 64; p++) {
        for (int step = 16; step <= 64; step *= 2) {
            const size_t n = 200;
            for (size_t i = 0; i < n; i++) x[i] = frand();
            x[p] = NAN;
            x[p + step] = -9.0f;
            x[p + 2 * step] = 9.0f;
            float a, b;
            ok_minmax_f32(x, n, &a, &b);
            if (a != -9.0f || b != 9.0f) {
                printf("FAIL minmax NaN at %d, extremes %d and %d later: got [%g, %g]\n", p, step, 2 * step, a, b);
                failures++;
            }
        }
    }
    x[0] = NAN; x[1] = NAN;
    float a, b;
    ok_minmax_f32(x, 2, &a, &b);
    if (a == a || b == b) { printf("FAIL minmax of NaNs only: got [%g, %g]\n", a, b); failures++; }
    free(x);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--bench") == 0) { bench(); return 0; }
    ok_pool *pool2 = ok_pool_create(2);
    for (int ii = 0; ii < 4; ii++) {
        int isa = isas_to_test[ii];
        if (!(ok_cpu_supported_isas() & (1u << isa))) continue;
        ok_cpu_restrict(restrict_mask(isa));
        printf("testing %s (sgemm kernel %s)\n", ok_isa_name(isa), ok_sgemm_kernel_name());
        test_sgemm(isa, NULL);
        test_sgemm(isa, pool2);
        test_conv(isa, NULL);
        test_conv(isa, pool2);
        test_conv_transpose(isa, NULL);
        test_conv_transpose(isa, pool2);
    }
    for (int ii = 0; ii < 7; ii++) {
        int isa = qisas_to_test[ii];
        if (!(ok_cpu_supported_isas() & (1u << isa))) continue;
        ok_cpu_restrict(qrestrict_mask(isa));
        printf("testing int8 %s (qgemm kernel %s)\n", ok_isa_name(isa), ok_qgemm_kernel_name());
        test_qgemm(NULL);
        test_qgemm(pool2);
        test_qconv(NULL);
        test_qconv(pool2);
        test_qdepthwise(NULL);
        test_qdepthwise(pool2);
    }
    ok_cpu_restrict(0xffffffffu);
    test_minmax();
    ok_pool_destroy(pool2);
    printf(failures ? "%d FAILURES\n" : "all passed\n", failures);
    return failures ? 1 : 0;
}
