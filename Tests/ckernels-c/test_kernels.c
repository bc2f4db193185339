// Standalone C driver for the CKernels SGEMM/convolution paths: every ISA path
// the CPU supports is checked against the scalar reference twins. Used for the
// ARM cross builds under qemu (scripts/test-kernels-arm.sh) where the Swift test
// suite cannot run. Exit code 0 = all good.
//   test_kernels [--bench]
#include "ckernels.h"

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
    ok_cpu_restrict(0xffffffffu);
    ok_pool_destroy(pool2);
    printf(failures ? "%d FAILURES\n" : "all passed\n", failures);
    return failures ? 1 : 0;
}
