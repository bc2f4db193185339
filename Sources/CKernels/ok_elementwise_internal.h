// Internal to the element-wise kernels (elementwise.c, elementwise_avx2.c):
// scalar helpers shared by the ISA paths. Not part of the public API.
#ifndef OUTPOST_OK_ELEMENTWISE_INTERNAL_H
#define OUTPOST_OK_ELEMENTWISE_INTERNAL_H
#include <stddef.h>

float ok_exp_scalar(float x);
float ok_sigmoid_scalar(float x);
float ok_tanh_scalar(float x);
float ok_gelu_scalar(float x);
float ok_gelu_tanh_scalar(float x);

#if defined(__x86_64__)
void ok_exp_f32_avx2(const float *x, float *y, size_t n);
void ok_sigmoid_f32_avx2(const float *x, float *y, size_t n);
void ok_tanh_f32_avx2(const float *x, float *y, size_t n);
void ok_gelu_f32_avx2(const float *x, float *y, size_t n);
void ok_gelu_tanh_f32_avx2(const float *x, float *y, size_t n);
float ok_softmax_exp_avx2(const float *x, float *y, size_t n, float m);
float ok_sum_f32_avx2(const float *x, size_t n);
float ok_sumsq_f32_avx2(const float *x, size_t n, float shift);
float ok_max_f32_avx2(const float *x, size_t n);
float ok_min_f32_avx2(const float *x, size_t n);
#endif
#endif
