// Quantized element-wise loops: portable reference twins and run-time dispatch
// (see include/ok_qelementwise.h for the contract; AVX2 paths in
// ok_qelementwise_avx2.c are bit-identical to these loops).
#include <math.h>
#include "ok_qelementwise_internal.h"
#include "include/ok_cpu.h"
#include "ok_portable.h"

/// The one rounding rule: rint, + zero point, saturate (NaN -> lo).
static inline int32_t q_saturate(float v, float zp, float lo, float hi) {
    float r = rintf(v) + zp;
    if (!(r >= lo)) r = lo;
    if (r > hi) r = hi;
    return (int32_t)r;
}

static inline int32_t q_load(const void *p, int type, size_t i) {
    return type ? (int32_t)((const int8_t *)p)[i] : (int32_t)((const uint8_t *)p)[i];
}

static inline void q_store(void *p, int type, size_t i, int32_t v) {
    if (type) ((int8_t *)p)[i] = (int8_t)v; else ((uint8_t *)p)[i] = (uint8_t)v;
}

OK_X86_PORTABLE void ok_quantize_f32_reference(const float *x, void *y, int ty, size_t n, float scale, int32_t zero_point,
                               int32_t qmin, int32_t qmax) {
    const float zp = (float)zero_point, lo = (float)qmin, hi = (float)qmax;
    for (size_t i = 0; i < n; i++) q_store(y, ty, i, q_saturate(x[i] / scale, zp, lo, hi));
}

OK_X86_PORTABLE void ok_dequantize_f32_reference(const void *x, int tx, float *y, size_t n, float scale, int32_t zero_point) {
    for (size_t i = 0; i < n; i++) y[i] = (float)(q_load(x, tx, i) - zero_point) * scale;
}

OK_X86_PORTABLE void ok_minmax_f32_reference(const float *x, size_t n, float *min_out, float *max_out) {
    float mn = INFINITY, mx = -INFINITY;
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        const float v = x[i];
        if (v != v) continue;
        any = 1;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
    }
    *min_out = any ? mn : NAN;
    *max_out = any ? mx : NAN;
}

OK_X86_PORTABLE void ok_qadd_reference(const void *a, ptrdiff_t sa, const void *b, ptrdiff_t sb, void *c, int type, size_t n,
                       const ok_qbinary_params *p) {
    const float zc = (float)p->c_zero_point, lo = (float)p->qmin, hi = (float)p->qmax;
    for (size_t i = 0; i < n; i++) {
        const float va = (float)(q_load(a, type, i * sa) - p->a_zero_point) * p->a_scale;
        const float vb = (float)(q_load(b, type, i * sb) - p->b_zero_point) * p->b_scale;
        q_store(c, type, i, q_saturate(va + vb, zc, lo, hi));
    }
}

OK_X86_PORTABLE void ok_qmul_reference(const void *a, ptrdiff_t sa, const void *b, ptrdiff_t sb, void *c, int type, size_t n,
                       const ok_qbinary_params *p) {
    const float zc = (float)p->c_zero_point, lo = (float)p->qmin, hi = (float)p->qmax;
    for (size_t i = 0; i < n; i++) {
        const int32_t prod = (q_load(a, type, i * sa) - p->a_zero_point) * (q_load(b, type, i * sb) - p->b_zero_point);
        q_store(c, type, i, q_saturate((float)prod * p->a_scale, zc, lo, hi));
    }
}

// ---- dispatch -----------------------------------------------------------------

static int q_isa_cap = -1;   // ok_qelementwise_limit_isa
void ok_qelementwise_limit_isa(int isa) { q_isa_cap = isa; }

#if defined(__x86_64__)
#define OK_Q_AVX2 (q_isa_cap != OK_ISA_SCALAR && ok_isa_enabled(OK_ISA_AVX2_FMA))
#define OK_Q_AVX512 ((q_isa_cap < 0 || q_isa_cap == OK_ISA_AVX512) && ok_isa_enabled(OK_ISA_AVX512))
#else
#define OK_Q_AVX2 0
#define OK_Q_AVX512 0
#endif

const char *ok_qelementwise_isa(void) { return OK_Q_AVX512 ? "avx512" : OK_Q_AVX2 ? "avx2" : "scalar"; }

OK_X86_PORTABLE void ok_quantize_f32(const float *x, void *y, int ty, size_t n, float scale, int32_t zero_point,
                     int32_t qmin, int32_t qmax) {
#if defined(__x86_64__)
    if (OK_Q_AVX512) { ok_quantize_f32_avx512(x, y, ty, n, scale, zero_point, qmin, qmax); return; }
    if (OK_Q_AVX2) { ok_quantize_f32_avx2(x, y, ty, n, scale, zero_point, qmin, qmax); return; }
#endif
    ok_quantize_f32_reference(x, y, ty, n, scale, zero_point, qmin, qmax);
}

OK_X86_PORTABLE void ok_dequantize_f32(const void *x, int tx, float *y, size_t n, float scale, int32_t zero_point) {
#if defined(__x86_64__)
    if (OK_Q_AVX512) { ok_dequantize_f32_avx512(x, tx, y, n, scale, zero_point); return; }
    if (OK_Q_AVX2) { ok_dequantize_f32_avx2(x, tx, y, n, scale, zero_point); return; }
#endif
    ok_dequantize_f32_reference(x, tx, y, n, scale, zero_point);
}

#if defined(__aarch64__)
#include <arm_neon.h>
/// aarch64 (Advanced SIMD is part of every aarch64 CPU): FMINNM / FMAXNM return the
/// number when one operand is a NaN, so NaNs are skipped as the reference skips them;
/// four independent chains of 4 lanes. (The reference loop's NaN test and flag keep
/// the compiler from vectorising it: one branchy scalar step per float.)
static void minmax_f32_neon(const float *x, size_t n, float *mn, float *mx) {
    float32x4_t n0 = vdupq_n_f32(INFINITY), x0 = vdupq_n_f32(-INFINITY);
    float32x4_t n1 = n0, n2 = n0, n3 = n0, x1 = x0, x2 = x0, x3 = x0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const float32x4_t v0 = vld1q_f32(x + i), v1 = vld1q_f32(x + i + 4);
        const float32x4_t v2 = vld1q_f32(x + i + 8), v3 = vld1q_f32(x + i + 12);
        n0 = vminnmq_f32(n0, v0); x0 = vmaxnmq_f32(x0, v0);
        n1 = vminnmq_f32(n1, v1); x1 = vmaxnmq_f32(x1, v1);
        n2 = vminnmq_f32(n2, v2); x2 = vmaxnmq_f32(x2, v2);
        n3 = vminnmq_f32(n3, v3); x3 = vmaxnmq_f32(x3, v3);
    }
    ok_minmax_finish_f32(vminnmvq_f32(vminnmq_f32(vminnmq_f32(n0, n1), vminnmq_f32(n2, n3))),
                         vmaxnmvq_f32(vmaxnmq_f32(vmaxnmq_f32(x0, x1), vmaxnmq_f32(x2, x3))), x, i, n, mn, mx);
}
#endif

OK_X86_PORTABLE void ok_minmax_f32(const float *x, size_t n, float *min_out, float *max_out) {
#if defined(__aarch64__)
    minmax_f32_neon(x, n, min_out, max_out);
    return;
#endif
#if defined(__x86_64__)
    if (OK_Q_AVX512) { ok_minmax_f32_avx512(x, n, min_out, max_out); return; }
    if (OK_Q_AVX2) { ok_minmax_f32_avx2(x, n, min_out, max_out); return; }
#endif
    ok_minmax_f32_reference(x, n, min_out, max_out);
}

OK_X86_PORTABLE void ok_qadd(const void *a, ptrdiff_t sa, const void *b, ptrdiff_t sb, void *c, int type, size_t n,
             const ok_qbinary_params *p) {
#if defined(__x86_64__)
    if (OK_Q_AVX512) { ok_qbinary_avx512(0, a, sa, b, sb, c, type, n, p); return; }
    if (OK_Q_AVX2) { ok_qbinary_avx2(0, a, sa, b, sb, c, type, n, p); return; }
#endif
    ok_qadd_reference(a, sa, b, sb, c, type, n, p);
}

OK_X86_PORTABLE void ok_qmul(const void *a, ptrdiff_t sa, const void *b, ptrdiff_t sb, void *c, int type, size_t n,
             const ok_qbinary_params *p) {
#if defined(__x86_64__)
    if (OK_Q_AVX512) { ok_qbinary_avx512(1, a, sa, b, sb, c, type, n, p); return; }
    if (OK_Q_AVX2) { ok_qbinary_avx2(1, a, sa, b, sb, c, type, n, p); return; }
#endif
    ok_qmul_reference(a, sa, b, sb, c, type, n, p);
}

// ---- lookup tables ------------------------------------------------------------

OK_SETUP void ok_qlut_build(int function, float alpha, int type, float x_scale, int32_t x_zero_point,
                   float y_scale, int32_t y_zero_point, uint8_t table[256]) {
    const float lo = type ? -128.0f : 0.0f, hi = type ? 127.0f : 255.0f, zy = (float)y_zero_point;
    for (int v = 0; v < 256; v++) {
        const int32_t q = type ? (int32_t)(int8_t)(uint8_t)v : v;
        const float x = (float)(q - x_zero_point) * x_scale;
        float f;
        if (function == OK_QLUT_SIGMOID) {
            f = 1.0f / (1.0f + expf(-x));
        } else {
            f = x >= 0.0f ? x : x * alpha;
        }
        table[v] = (uint8_t)q_saturate(f / y_scale, zy, lo, hi);
    }
}

OK_X86_PORTABLE void ok_qlut_apply(const uint8_t table[256], const uint8_t *x, uint8_t *y, size_t n) {
#if defined(__x86_64__)
    if (OK_Q_AVX512) { ok_qlut_apply_avx512(table, x, y, n); return; }
    if (OK_Q_AVX2) { ok_qlut_apply_avx2(table, x, y, n); return; }
#endif
    ok_qlut_apply_reference(table, x, y, n);
}

void ok_qlut_apply_rows(const uint8_t table[256], const uint8_t *x, size_t n, size_t rows, uint8_t *y,
                        ptrdiff_t y_stride) {
    if (n >= 64) {
        for (size_t r = 0; r < rows; r++) ok_qlut_apply(table, x + r * n, y + (ptrdiff_t)r * y_stride, n);
        return;
    }
    // Short rows (a concat along the last axis of a few bytes): a lookup per byte.
    for (size_t r = 0; r < rows; r++, x += n, y += y_stride)
        for (size_t i = 0; i < n; i++) y[i] = table[x[i]];
}

OK_X86_PORTABLE void ok_qlut_apply_reference(const uint8_t table[256], const uint8_t *x, uint8_t *y, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint8_t a = table[x[i]], b = table[x[i + 1]], c = table[x[i + 2]], d = table[x[i + 3]];
        y[i] = a; y[i + 1] = b; y[i + 2] = c; y[i + 3] = d;
    }
    for (; i < n; i++) y[i] = table[x[i]];
}

// ---- softmax and global average pooling -----------------------------------------

void ok_qsoftmax_table(float x_scale, float table[256]) {
    for (int d = 0; d < 256; d++) table[d] = expf(-(float)d * x_scale);
}

void ok_qsoftmax(const void *x, void *y, int type, size_t outer, size_t n, size_t inner,
                 const float table[256], float y_scale, int32_t y_zero_point) {
    const float lo = type ? -128.0f : 0.0f, hi = type ? 127.0f : 255.0f, zy = (float)y_zero_point;
    for (size_t o = 0; o < outer; o++) {
        for (size_t j = 0; j < inner; j++) {
            const size_t base = o * n * inner + j;
            int32_t mx = -1000;
            for (size_t k = 0; k < n; k++) {
                const int32_t q = q_load(x, type, base + k * inner);
                if (q > mx) mx = q;
            }
            float sum = 0.0f;
            for (size_t k = 0; k < n; k++) sum += table[mx - q_load(x, type, base + k * inner)];
            const float inv = 1.0f / sum;
            for (size_t k = 0; k < n; k++) {
                const float v = table[mx - q_load(x, type, base + k * inner)] * inv;
                q_store(y, type, base + k * inner, q_saturate(v / y_scale, zy, lo, hi));
            }
        }
    }
}

void ok_qglobal_avgpool(const void *x, void *y, int type, size_t batch, size_t channels, size_t spatial,
                        int channels_last, int32_t x_zero_point, float multiplier, int32_t y_zero_point) {
#if defined(__x86_64__)
    // Channel-major planes of fewer than 2^22 bytes (the int32 sums and their float
    // conversion are then exactly the reference's int64 ones).
    if (OK_Q_AVX512 && !channels_last && spatial < ((size_t)1 << 22)) {
        ok_qglobal_avgpool_avx512(x, y, type, batch * channels, spatial, x_zero_point, multiplier, y_zero_point);
        return;
    }
#endif
    ok_qglobal_avgpool_reference(x, y, type, batch, channels, spatial, channels_last, x_zero_point, multiplier,
                                 y_zero_point);
}

OK_X86_PORTABLE void ok_qglobal_avgpool_reference(const void *x, void *y, int type, size_t batch, size_t channels,
                                                  size_t spatial, int channels_last, int32_t x_zero_point,
                                                  float multiplier, int32_t y_zero_point) {
    const float lo = type ? -128.0f : 0.0f, hi = type ? 127.0f : 255.0f, zy = (float)y_zero_point;
    const int64_t bias = (int64_t)x_zero_point * (int64_t)spatial;
    for (size_t b = 0; b < batch; b++) {
        const size_t at = b * channels * spatial;
        for (size_t c = 0; c < channels; c++) {
            int64_t sum = 0;
            if (channels_last) {
                for (size_t s = 0; s < spatial; s++) sum += q_load(x, type, at + s * channels + c);
            } else if (type) {
                const int8_t *p = (const int8_t *)x + at + c * spatial;
                for (size_t s = 0; s < spatial; s++) sum += p[s];
            } else {
                const uint8_t *p = (const uint8_t *)x + at + c * spatial;
                for (size_t s = 0; s < spatial; s++) sum += p[s];
            }
            q_store(y, type, b * channels + c, q_saturate((float)(sum - bias) * multiplier, zy, lo, hi));
        }
    }
}

// ---- pool-parallel entry points ---------------------------------------------------
// (OK_X86_DRIVER, x86-64 device build: split into pool tasks, per call; the loops
// are the dispatchers' kernels, separate functions. At -O3 q_range and
// ok_qbinary_pool each inlined -O3 copies of the minsize portable twins, 3 KB each.)

#include "include/ok_pool.h"
/// Elements per pool task; calls of at most two grains run inline. 16384 (was 32768):
/// MobileNet's input QuantizeLinear (49152 floats, 2.7 us, division-bound) ran on one
/// thread at 2 threads.
#define OK_Q_GRAIN 16384

typedef struct {
    int kind;  // 0 quantize, 1 dequantize, 2 add, 3 mul, 4 lut
    const void *x; ptrdiff_t sx; const void *x2; ptrdiff_t sx2; void *y; int type;
    float scale; int32_t zp, qmin, qmax;
    const ok_qbinary_params *p;
    const uint8_t *table;
} q_job;

OK_X86_DRIVER static void q_range(void *c, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const q_job *j = (const q_job *)c;
    const size_t n = (size_t)(end - begin);
    switch (j->kind) {
    case 0: ok_quantize_f32((const float *)j->x + begin, (uint8_t *)j->y + begin, j->type, n, j->scale, j->zp, j->qmin, j->qmax); break;
    case 1: ok_dequantize_f32((const uint8_t *)j->x + begin, j->type, (float *)j->y + begin, n, j->scale, j->zp); break;
    case 2: ok_qadd((const uint8_t *)j->x + begin * j->sx, j->sx, (const uint8_t *)j->x2 + begin * j->sx2, j->sx2,
                    (uint8_t *)j->y + begin, j->type, n, j->p); break;
    case 3: ok_qmul((const uint8_t *)j->x + begin * j->sx, j->sx, (const uint8_t *)j->x2 + begin * j->sx2, j->sx2,
                    (uint8_t *)j->y + begin, j->type, n, j->p); break;
    default: ok_qlut_apply(j->table, (const uint8_t *)j->x + begin, (uint8_t *)j->y + begin, n); break;
    }
}

static int q_inline(void *pool, size_t n) { return pool == NULL || n <= 2 * OK_Q_GRAIN || ok_pool_threads((ok_pool *)pool) < 2; }

OK_X86_DRIVER void ok_quantize_f32_pool(void *pool, const float *x, void *y, int ty, size_t n, float scale, int32_t zero_point,
                          int32_t qmin, int32_t qmax) {
    if (q_inline(pool, n)) { ok_quantize_f32(x, y, ty, n, scale, zero_point, qmin, qmax); return; }
    q_job j = {0, x, 1, NULL, 0, y, ty, scale, zero_point, qmin, qmax, NULL, NULL};
    ok_pool_parallel_for((ok_pool *)pool, (int64_t)n, OK_Q_GRAIN, q_range, &j);
}

OK_X86_DRIVER void ok_dequantize_f32_pool(void *pool, const void *x, int tx, float *y, size_t n, float scale, int32_t zero_point) {
    if (q_inline(pool, n)) { ok_dequantize_f32(x, tx, y, n, scale, zero_point); return; }
    q_job j = {1, x, 1, NULL, 0, y, tx, scale, zero_point, 0, 0, NULL, NULL};
    ok_pool_parallel_for((ok_pool *)pool, (int64_t)n, OK_Q_GRAIN, q_range, &j);
}

OK_X86_DRIVER void ok_qbinary_pool(void *pool, int mul, const void *a, ptrdiff_t sa, const void *b, ptrdiff_t sb, void *c, int type,
                     size_t n, const ok_qbinary_params *p) {
    if (q_inline(pool, n)) {
        if (mul) ok_qmul(a, sa, b, sb, c, type, n, p); else ok_qadd(a, sa, b, sb, c, type, n, p);
        return;
    }
    q_job j = {mul ? 3 : 2, a, sa, b, sb, c, type, 0, 0, 0, 0, p, NULL};
    ok_pool_parallel_for((ok_pool *)pool, (int64_t)n, OK_Q_GRAIN, q_range, &j);
}

typedef struct {
    int mul, type;
    const uint8_t *a, *b;
    ptrdiff_t sa, sb;
    const int64_t *offsets;
    uint8_t *c;
    size_t n;
    const ok_qbinary_params *p;
} q_rows_job;

OK_X86_DRIVER static void q_rows_range(void *raw, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const q_rows_job *j = (const q_rows_job *)raw;
    for (int64_t r = begin; r < end; r++) {
        const void *a = j->a + j->offsets[2 * r], *b = j->b + j->offsets[2 * r + 1];
        void *c = j->c + (size_t)r * j->n;
        if (j->mul) ok_qmul(a, j->sa, b, j->sb, c, j->type, j->n, j->p);
        else ok_qadd(a, j->sa, b, j->sb, c, j->type, j->n, j->p);
    }
}

OK_X86_DRIVER void ok_qbinary_rows_pool(void *pool, int mul, const void *a, ptrdiff_t sa, const void *b, ptrdiff_t sb,
                          const int64_t *offsets, size_t rows, void *c, int type, size_t n, const ok_qbinary_params *p) {
    q_rows_job j = {mul, type, (const uint8_t *)a, (const uint8_t *)b, sa, sb, offsets, (uint8_t *)c, n, p};
    // Rows per task: at least OK_Q_GRAIN elements (the element-wise kernels' grain).
    const int64_t grain = n ? (int64_t)((OK_Q_GRAIN + n - 1) / n) : (int64_t)rows;
    if (q_inline(pool, rows * n)) { q_rows_range(&j, 0, (int64_t)rows, 0); return; }
    ok_pool_parallel_for((ok_pool *)pool, (int64_t)rows, grain, q_rows_range, &j);
}

OK_X86_DRIVER void ok_qlut_apply_pool(void *pool, const uint8_t table[256], const uint8_t *x, uint8_t *y, size_t n) {
    if (q_inline(pool, n)) { ok_qlut_apply(table, x, y, n); return; }
    q_job j = {4, x, 1, NULL, 0, y, 0, 0, 0, 0, 0, NULL, table};
    ok_pool_parallel_for((ok_pool *)pool, (int64_t)n, OK_Q_GRAIN, q_range, &j);
}
