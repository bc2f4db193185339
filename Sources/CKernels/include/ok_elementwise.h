// Element-wise float32 kernels: unary math/activations, binary ops with the
// innermost broadcast run (stride 0 or 1 per operand), softmax rows.
// Each function has a scalar reference path and an AVX2+FMA build of the same
// loop (same operations, no FMA contraction, so both give identical bits).
#ifndef OUTPOST_OK_ELEMENTWISE_H
#define OUTPOST_OK_ELEMENTWISE_H
#include <stddef.h>
#include <stdint.h>

typedef enum {
    OK_UNARY_RELU = 0,
    OK_UNARY_LEAKY_RELU,   // alpha
    OK_UNARY_SIGMOID,
    OK_UNARY_HARD_SIGMOID, // alpha, beta
    OK_UNARY_HARD_SWISH,
    OK_UNARY_TANH,
    OK_UNARY_EXP,
    OK_UNARY_LOG,
    OK_UNARY_SQRT,
    OK_UNARY_ABS,
    OK_UNARY_NEG,
    OK_UNARY_RECIPROCAL,
    OK_UNARY_ERF,
    OK_UNARY_GELU,         // exact (erf)
    OK_UNARY_GELU_TANH,    // tanh approximation
    OK_UNARY_SOFTPLUS,
    OK_UNARY_ELU,          // alpha
    OK_UNARY_SELU,         // alpha, beta = gamma
    OK_UNARY_FLOOR,
    OK_UNARY_CEIL,
    OK_UNARY_ROUND,        // half to even
    OK_UNARY_SIGN,
    OK_UNARY_SIN,
    OK_UNARY_COS,
    OK_UNARY_SOFTSIGN,
    OK_UNARY_THRESHOLDED_RELU, // alpha
    OK_UNARY_CELU,         // alpha
    OK_UNARY_MISH,
    OK_UNARY_TAN,
    OK_UNARY_ATAN,
    OK_UNARY_ASIN,
    OK_UNARY_ACOS,
    OK_UNARY_SINH,
    OK_UNARY_COSH,
    OK_UNARY_ASINH,
    OK_UNARY_ACOSH,
    OK_UNARY_ATANH,
    OK_UNARY_SWISH,        // x * sigmoid(alpha * x)
    OK_UNARY_SHRINK,       // alpha = lambd, beta = bias
    OK_UNARY_BITWISE_NOT,  // integers only (handled outside the float kernel)
} ok_unary_op;

typedef enum {
    OK_BINARY_ADD = 0,
    OK_BINARY_SUB,
    OK_BINARY_MUL,
    OK_BINARY_DIV,
    OK_BINARY_MAX,
    OK_BINARY_MIN,
    OK_BINARY_POW,
    OK_BINARY_PRELU,   // a < 0 ? a * b : a
    OK_BINARY_FMOD,    // C fmod (sign of the dividend)
    OK_BINARY_MOD,     // Python-style mod (sign of the divisor)
} ok_binary_op;

/// y[i] = f(x[i]) for i < n. alpha/beta are the op's attributes (see ok_unary_op).
void ok_unary_f32(int op, const float *x, float *y, size_t n, float alpha, float beta);
/// Scalar reference of ok_unary_f32 (tests hold the dispatched path to it).
void ok_unary_f32_ref(int op, const float *x, float *y, size_t n, float alpha, float beta);

/// y[i] = a[i*sa] (op) b[i*sb] for i < n; sa, sb are 0 (broadcast scalar) or 1.
void ok_binary_f32(int op, const float *a, ptrdiff_t sa, const float *b, ptrdiff_t sb, float *y, size_t n);
void ok_binary_f32_ref(int op, const float *a, ptrdiff_t sa, const float *b, ptrdiff_t sb, float *y, size_t n);

/// The same split over a thread pool (ok_pool *, may be NULL) in chunks of at
/// least 16K elements; small arrays run inline.
void ok_unary_f32_pool(void *pool, int op, const float *x, float *y, size_t n, float alpha, float beta);
void ok_binary_f32_pool(void *pool, int op, const float *a, ptrdiff_t sa, const float *b, ptrdiff_t sb, float *y, size_t n);

/// Softmax (log_mode 0) or LogSoftmax (log_mode 1) over the middle axis of a
/// [outer, n, inner] float32 array. Numerically stable (subtracts the max).
void ok_softmax_f32(const float *x, float *y, size_t outer, size_t n, size_t inner, int log_mode);

/// libm pow in double precision (mixed-type Pow: integer bases or exponents).
double ok_pow_f64(double x, double y);
/// libm helpers for reductions and normalisation code written in Swift.
float ok_logf(float x);
float ok_sqrtf(float x);
double ok_exp_f64(double x);
double ok_log_f64(double x);

/// Row helpers for reductions and normalisation (contiguous float32 rows).
/// Sums use 8 independent partial sums (vectorised, deterministic).
float ok_sum_f32(const float *x, size_t n);
/// Σ (x[i] - shift)².
float ok_sumsq_f32(const float *x, size_t n, float shift);
float ok_max_f32(const float *x, size_t n);  // -inf for n == 0
float ok_min_f32(const float *x, size_t n);  // +inf for n == 0
/// y = (x - mean) * inv * scale[i] + bias[i]; scale and/or bias may be NULL.
void ok_norm_row_f32(const float *x, float *y, size_t n, float mean, float inv, const float *scale, const float *bias);
/// y = x * a + b.
void ok_affine_f32(const float *x, float *y, size_t n, float a, float b);

/// The fast exp used by the kernels (relative error ~2 ulp), exposed for tests.
float ok_expf(float x);

#endif
