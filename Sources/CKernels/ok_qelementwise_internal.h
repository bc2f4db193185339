// Internal to the quantized element-wise kernels (ok_qelementwise.c and
// ok_qelementwise_avx2.c). Not part of the public API.
#ifndef OUTPOST_OK_QELEMENTWISE_INTERNAL_H
#define OUTPOST_OK_QELEMENTWISE_INTERNAL_H
#include "include/ok_qelementwise.h"

/// The end of a vector minmax kernel: folds the scalar tail x[i..n) into its minimum a
/// and maximum b (NaNs skipped, as the reference does); nothing but NaN gives NaN, NaN.
static inline void ok_minmax_finish_f32(float a, float b, const float *x, size_t i, size_t n, float *mn, float *mx) {
    if (i < n) {
        float ta, tb;
        ok_minmax_f32_reference(x + i, n - i, &ta, &tb);
        if (ta < a) a = ta;  // NaN (a tail of NaNs only) compares false
        if (tb > b) b = tb;
    }
    if (a > b) a = b = __builtin_nanf("");  // the lanes' +inf / -inf: nothing but NaN
    *mn = a;
    *mx = b;
}

#if defined(__x86_64__)
void ok_quantize_f32_avx2(const float *x, void *y, int ty, size_t n, float scale, int32_t zp,
                          int32_t qmin, int32_t qmax);
void ok_dequantize_f32_avx2(const void *x, int tx, float *y, size_t n, float scale, int32_t zp);
void ok_minmax_f32_avx2(const float *x, size_t n, float *mn, float *mx);
void ok_minmax_f32_avx512(const float *x, size_t n, float *mn, float *mx);
void ok_qbinary_avx2(int mul, const void *a, ptrdiff_t sa, const void *b, ptrdiff_t sb, void *c, int type,
                     size_t n, const ok_qbinary_params *p);
void ok_qlut_apply_avx2(const uint8_t table[256], const uint8_t *x, uint8_t *y, size_t n);
void ok_qlut_apply_avx512(const uint8_t table[256], const uint8_t *x, uint8_t *y, size_t n);
void ok_quantize_f32_avx512(const float *x, void *y, int ty, size_t n, float scale, int32_t zp,
                            int32_t qmin, int32_t qmax);
void ok_dequantize_f32_avx512(const void *x, int tx, float *y, size_t n, float scale, int32_t zp);
void ok_qglobal_avgpool_avx512(const void *x, void *y, int type, size_t planes, size_t spatial, int32_t x_zero_point,
                               float multiplier, int32_t y_zero_point);
void ok_qbinary_avx512(int mul, const void *a, ptrdiff_t sa, const void *b, ptrdiff_t sb, void *c, int type,
                       size_t n, const ok_qbinary_params *p);
#endif
#endif
