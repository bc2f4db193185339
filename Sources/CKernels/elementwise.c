// Element-wise float32 kernels (see ok_elementwise.h).
//
// The loops are written once as always-inline bodies and instantiated twice:
// a portable reference build and, on x86-64, an AVX2+FMA build chosen at run
// time. Plain loops over contiguous memory let the compiler vectorise them (8
// lanes under AVX2). Transcendentals that matter for speed (exp, and sigmoid
// built on it) use ok_expf_inline, a branch-free Cephes-style polynomial that
// vectorises; the rest call libm. With -ffp-contract=off both builds perform the
// same float operations, so they agree bit for bit.
#include "ok_elementwise.h"
#include "ok_cpu.h"
#include "ok_elementwise_internal.h"
#include "ok_portable.h"
#include <math.h>
#include <string.h>

#define OK_INLINE static inline __attribute__((always_inline))

OK_INLINE float bits_to_float(int32_t b) { float f; memcpy(&f, &b, 4); return f; }

// exp(x): n = round(x / ln2), r = x - n ln2 (two-part ln2), exp(r) by a degree-6
// polynomial on [-ln2/2, ln2/2], scaled by 2^n built in the exponent bits.
// Max relative error about 2 ulp for normal results; above 88.72 gives +inf.
OK_INLINE float ok_expf_inline(float x) {
    float xc = x < -104.0f ? -104.0f : x;
    xc = xc > 88.5f ? 88.5f : xc;
    float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round to nearest
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float e = p * (r * r) + r + 1.0f;
    // 2^n in two normal factors, 2^(n+k) * 2^-k with k = +-32, so n in [-150, 128]
    // (denormal results, and results up to FLT_MAX) never builds a bad exponent.
    int32_t ni = (int32_t)n;
    int32_t k = ni < 0 ? 32 : -32;
    float y = e * bits_to_float((ni + k + 127) << 23) * bits_to_float((127 - k) << 23);
    y = x > 88.72283f ? INFINITY : y;
    y = x != x ? x : y;
    return y;
}

float ok_expf(float x) { return ok_expf_inline(x); }
float ok_exp_scalar(float x) { return ok_expf_inline(x); }

OK_INLINE float sigmoid1(float x) {
    // 1 / (1 + e^-x), written so large |x| never forms inf/inf.
    float e = ok_expf_inline(-(x < 0 ? -x : x));  // in (0, 1]
    float s = 1.0f / (1.0f + e);
    return x >= 0 ? s : e * s;
}

// tanh: odd polynomial for |x| < 0.625, else 1 - 2 / (e^(2|x|) + 1) (Cephes
// tanhf; about 2 ulp). Both branches are computed and one is selected, so the
// loop vectorises.
OK_INLINE float tanh1(float x) {
    float ax = x < 0 ? -x : x;
    float z = x * x;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    float small = p * z * x + x;
    float e = ok_expf_inline(ax + ax);
    float big = 1.0f - 2.0f / (e + 1.0f);
    big = x < 0 ? -big : big;
    return ax < 0.625f ? small : big;
}

// GELU's erf: Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7), branch-free.
// The Erf operator itself uses libm's erff.
// 0.5 x (1 + erf(x / sqrt 2)), written with erfc(|z|) = p t e^(-z²)
// so the negative tail (1 + erf ≈ 0) keeps its relative accuracy.
OK_INLINE float gelu1(float x) {
    float z = x * 0.70710678118654752f;
    float az = z < 0 ? -z : z;
    float t = 1.0f / (1.0f + 0.3275911f * az);
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    float c = p * t * ok_expf_inline(-az * az);
    return 0.5f * x * (z < 0 ? c : 2.0f - c);
}

float ok_sigmoid_scalar(float x) { return sigmoid1(x); }
float ok_tanh_scalar(float x) { return tanh1(x); }
float ok_gelu_scalar(float x) { return gelu1(x); }
float ok_gelu_tanh_scalar(float x) {
    float inner = 0.79788456080286536f * (x + 0.044715f * x * x * x);
    return x * sigmoid1(inner + inner);
}

OK_INLINE void unary_body(int op, const float *restrict x, float *restrict y, size_t n, float alpha, float beta) {
    switch (op) {
    case OK_UNARY_RELU:
        for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case OK_UNARY_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) y[i] = x[i] >= 0.0f ? x[i] : x[i] * alpha;
        break;
    case OK_UNARY_SIGMOID:
        for (size_t i = 0; i < n; i++) y[i] = sigmoid1(x[i]);
        break;
    case OK_UNARY_HARD_SIGMOID:
        for (size_t i = 0; i < n; i++) {
            float v = x[i] * alpha + beta;
            v = v < 0.0f ? 0.0f : v;
            y[i] = v > 1.0f ? 1.0f : v;
        }
        break;
    case OK_UNARY_HARD_SWISH:
        for (size_t i = 0; i < n; i++) {
            float v = x[i] * (1.0f / 6.0f) + 0.5f;
            v = v < 0.0f ? 0.0f : v;
            v = v > 1.0f ? 1.0f : v;
            y[i] = x[i] * v;
        }
        break;
    case OK_UNARY_TANH:
        for (size_t i = 0; i < n; i++) y[i] = tanh1(x[i]);
        break;
    case OK_UNARY_EXP:
        for (size_t i = 0; i < n; i++) y[i] = ok_expf_inline(x[i]);
        break;
    case OK_UNARY_LOG:
        for (size_t i = 0; i < n; i++) y[i] = logf(x[i]);
        break;
    case OK_UNARY_SQRT:
        for (size_t i = 0; i < n; i++) y[i] = sqrtf(x[i]);
        break;
    case OK_UNARY_ABS:
        for (size_t i = 0; i < n; i++) y[i] = fabsf(x[i]);
        break;
    case OK_UNARY_NEG:
        for (size_t i = 0; i < n; i++) y[i] = -x[i];
        break;
    case OK_UNARY_RECIPROCAL:
        for (size_t i = 0; i < n; i++) y[i] = 1.0f / x[i];
        break;
    case OK_UNARY_ERF:
        for (size_t i = 0; i < n; i++) y[i] = erff(x[i]);
        break;
    case OK_UNARY_GELU:
        for (size_t i = 0; i < n; i++) y[i] = gelu1(x[i]);
        break;
    case OK_UNARY_GELU_TANH:
        for (size_t i = 0; i < n; i++) {
            float v = x[i];
            float inner = 0.79788456080286536f * (v + 0.044715f * v * v * v);
            y[i] = v * sigmoid1(inner + inner);  // 0.5 v (1 + tanh u) = v sigmoid(2u)
        }
        break;
    case OK_UNARY_SOFTPLUS:
        for (size_t i = 0; i < n; i++) {
            float v = x[i];
            y[i] = v > 0.0f ? v + log1pf(expf(-v)) : log1pf(expf(v));
        }
        break;
    case OK_UNARY_ELU:
        for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : alpha * expm1f(x[i]);
        break;
    case OK_UNARY_SELU:
        for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? beta * x[i] : beta * (alpha * expm1f(x[i]));
        break;
    case OK_UNARY_FLOOR:
        for (size_t i = 0; i < n; i++) y[i] = floorf(x[i]);
        break;
    case OK_UNARY_CEIL:
        for (size_t i = 0; i < n; i++) y[i] = ceilf(x[i]);
        break;
    case OK_UNARY_ROUND:
        for (size_t i = 0; i < n; i++) y[i] = nearbyintf(x[i]);
        break;
    case OK_UNARY_SIGN:
        for (size_t i = 0; i < n; i++) {
            float v = x[i];
            y[i] = v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : (v == 0.0f ? 0.0f : v));
        }
        break;
    case OK_UNARY_SIN:
        for (size_t i = 0; i < n; i++) y[i] = sinf(x[i]);
        break;
    case OK_UNARY_COS:
        for (size_t i = 0; i < n; i++) y[i] = cosf(x[i]);
        break;
    case OK_UNARY_SOFTSIGN:
        for (size_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + fabsf(x[i]));
        break;
    case OK_UNARY_THRESHOLDED_RELU:
        for (size_t i = 0; i < n; i++) y[i] = x[i] > alpha ? x[i] : 0.0f;
        break;
    case OK_UNARY_CELU:
        for (size_t i = 0; i < n; i++) {
            float v = x[i];
            float neg = alpha * expm1f(v / alpha);
            y[i] = (v > 0.0f ? v : 0.0f) + (neg < 0.0f ? neg : 0.0f);
        }
        break;
    case OK_UNARY_MISH:
        for (size_t i = 0; i < n; i++) {
            float v = x[i];
            float sp = v > 0.0f ? v + log1pf(expf(-v)) : log1pf(expf(v));
            y[i] = v * tanhf(sp);
        }
        break;
    case OK_UNARY_TAN: for (size_t i = 0; i < n; i++) y[i] = tanf(x[i]); break;
    case OK_UNARY_ATAN: for (size_t i = 0; i < n; i++) y[i] = atanf(x[i]); break;
    case OK_UNARY_ASIN: for (size_t i = 0; i < n; i++) y[i] = asinf(x[i]); break;
    case OK_UNARY_ACOS: for (size_t i = 0; i < n; i++) y[i] = acosf(x[i]); break;
    case OK_UNARY_SINH: for (size_t i = 0; i < n; i++) y[i] = sinhf(x[i]); break;
    case OK_UNARY_COSH: for (size_t i = 0; i < n; i++) y[i] = coshf(x[i]); break;
    case OK_UNARY_ASINH: for (size_t i = 0; i < n; i++) y[i] = asinhf(x[i]); break;
    case OK_UNARY_ACOSH: for (size_t i = 0; i < n; i++) y[i] = acoshf(x[i]); break;
    case OK_UNARY_ATANH: for (size_t i = 0; i < n; i++) y[i] = atanhf(x[i]); break;
    case OK_UNARY_SWISH:
        for (size_t i = 0; i < n; i++) y[i] = x[i] * sigmoid1(alpha * x[i]);
        break;
    case OK_UNARY_SHRINK:
        for (size_t i = 0; i < n; i++) {
            float v = x[i];
            y[i] = v < -alpha ? v + beta : (v > alpha ? v - beta : 0.0f);
        }
        break;
    default:
        break;
    }
}

OK_INLINE float fmax_nan(float a, float b) { return (a > b || a != a) ? a : b; }
OK_INLINE float fmin_nan(float a, float b) { return (a < b || a != a) ? a : b; }
OK_INLINE float pymod(float a, float b) {
    float r = fmodf(a, b);
    return (r != 0.0f && ((r < 0.0f) != (b < 0.0f))) ? r + b : r;
}

// One op over the contiguous and broadcast stride patterns (1,1), (0,1), (1,0) (the
// AVX2 copy below has only these), then any other strides; (0,0) is n copies of one value.
#define OK_BINARY_LOOPS_BROADCAST(EXPR)                                                    \
    if (sa == 1 && sb == 1) {                                                              \
        for (size_t i = 0; i < n; i++) { float av = a[i], bv = b[i]; y[i] = (EXPR); }      \
    } else if (sa == 0 && sb == 1) {                                                       \
        float av = a[0];                                                                   \
        for (size_t i = 0; i < n; i++) { float bv = b[i]; y[i] = (EXPR); }                 \
    } else if (sa == 1 && sb == 0) {                                                       \
        float bv = b[0];                                                                   \
        for (size_t i = 0; i < n; i++) { float av = a[i]; y[i] = (EXPR); }                 \
    }
#define OK_BINARY_LOOPS(EXPR)                                                              \
    OK_BINARY_LOOPS_BROADCAST(EXPR) else {                                                 \
        for (size_t i = 0; i < n; i++) { float av = a[i * sa], bv = b[i * sb]; y[i] = (EXPR); } \
    }

// No `restrict` here: the variadic operators accumulate in place (a == y).
OK_INLINE void binary_body(int op, const float *a, ptrdiff_t sa, const float *b, ptrdiff_t sb, float *y, size_t n) {
    switch (op) {
    case OK_BINARY_ADD: OK_BINARY_LOOPS(av + bv) break;
    case OK_BINARY_SUB: OK_BINARY_LOOPS(av - bv) break;
    case OK_BINARY_MUL: OK_BINARY_LOOPS(av * bv) break;
    case OK_BINARY_DIV: OK_BINARY_LOOPS(av / bv) break;
    case OK_BINARY_MAX: OK_BINARY_LOOPS(fmax_nan(av, bv)) break;
    case OK_BINARY_MIN: OK_BINARY_LOOPS(fmin_nan(av, bv)) break;
    case OK_BINARY_POW: OK_BINARY_LOOPS(powf(av, bv)) break;
    case OK_BINARY_PRELU: OK_BINARY_LOOPS(av < 0.0f ? av * bv : av) break;
    case OK_BINARY_FMOD: OK_BINARY_LOOPS(fmodf(av, bv)) break;
    case OK_BINARY_MOD: OK_BINARY_LOOPS(pymod(av, bv)) break;
    default: break;
    }
}

void ok_unary_f32_ref(int op, const float *x, float *y, size_t n, float alpha, float beta) {
    unary_body(op, x, y, n, alpha, beta);
}

void ok_binary_f32_ref(int op, const float *a, ptrdiff_t sa, const float *b, ptrdiff_t sb, float *y, size_t n) {
    binary_body(op, a, sa, b, sb, y, n);
}

#if defined(__x86_64__)
// The AVX2 copy of the unary loops: only the ops whose loops vectorise (no libm call
// per element), each case inlining unary_body for its constant op; Exp, Sigmoid,
// Tanh and Gelu have hand-written AVX2 kernels, the rest (libm) the portable body.
// All 40 cases in a second copy were 13 KB of code. Returns 0 when not handled.
__attribute__((target("avx2,fma")))
static int unary_avx2(int op, const float *x, float *y, size_t n, float alpha, float beta) {
#define OK_UNARY_AVX2_CASE(OP) case OP: unary_body(OP, x, y, n, alpha, beta); return 1;
    switch (op) {
    OK_UNARY_AVX2_CASE(OK_UNARY_RELU)
    OK_UNARY_AVX2_CASE(OK_UNARY_LEAKY_RELU)
    OK_UNARY_AVX2_CASE(OK_UNARY_HARD_SIGMOID)
    OK_UNARY_AVX2_CASE(OK_UNARY_HARD_SWISH)
    OK_UNARY_AVX2_CASE(OK_UNARY_SQRT)
    OK_UNARY_AVX2_CASE(OK_UNARY_ABS)
    OK_UNARY_AVX2_CASE(OK_UNARY_NEG)
    OK_UNARY_AVX2_CASE(OK_UNARY_RECIPROCAL)
    OK_UNARY_AVX2_CASE(OK_UNARY_FLOOR)
    OK_UNARY_AVX2_CASE(OK_UNARY_CEIL)
    OK_UNARY_AVX2_CASE(OK_UNARY_ROUND)
    OK_UNARY_AVX2_CASE(OK_UNARY_SIGN)
    OK_UNARY_AVX2_CASE(OK_UNARY_SOFTSIGN)
    OK_UNARY_AVX2_CASE(OK_UNARY_THRESHOLDED_RELU)
    OK_UNARY_AVX2_CASE(OK_UNARY_SWISH)
    OK_UNARY_AVX2_CASE(OK_UNARY_SHRINK)
    default: return 0;
    }
#undef OK_UNARY_AVX2_CASE
}

// The AVX2 copy covers what vectorises: the arithmetic ops over the contiguous and
// broadcast stride patterns. Pow, Fmod, Mod (libm calls per element) and other
// strides take the portable body: a second vectorised copy of all 40 loops was
// 20 KB of code (issue 5's size budget) for no speed.
static int binary_avx2_handles(int op, ptrdiff_t sa, ptrdiff_t sb) {
    int strides = (sa == 1 && sb == 1) || (sa == 0 && sb == 1) || (sa == 1 && sb == 0);
    return strides && op != OK_BINARY_POW && op != OK_BINARY_FMOD && op != OK_BINARY_MOD;
}

__attribute__((target("avx2,fma")))
static void binary_avx2(int op, const float *a, ptrdiff_t sa, const float *b, ptrdiff_t sb, float *y, size_t n) {
    switch (op) {
    case OK_BINARY_ADD: OK_BINARY_LOOPS_BROADCAST(av + bv) break;
    case OK_BINARY_SUB: OK_BINARY_LOOPS_BROADCAST(av - bv) break;
    case OK_BINARY_MUL: OK_BINARY_LOOPS_BROADCAST(av * bv) break;
    case OK_BINARY_DIV: OK_BINARY_LOOPS_BROADCAST(av / bv) break;
    case OK_BINARY_MAX: OK_BINARY_LOOPS_BROADCAST(fmax_nan(av, bv)) break;
    case OK_BINARY_MIN: OK_BINARY_LOOPS_BROADCAST(fmin_nan(av, bv)) break;
    case OK_BINARY_PRELU: OK_BINARY_LOOPS_BROADCAST(av < 0.0f ? av * bv : av) break;
    default: break;
    }
}
#endif

OK_X86_PORTABLE void ok_unary_f32(int op, const float *x, float *y, size_t n, float alpha, float beta) {
#if defined(__x86_64__)
    if (ok_isa_enabled(OK_ISA_AVX2_FMA)) {
        switch (op) {
        case OK_UNARY_EXP: ok_exp_f32_avx2(x, y, n); return;
        case OK_UNARY_SIGMOID: ok_sigmoid_f32_avx2(x, y, n); return;
        case OK_UNARY_TANH: ok_tanh_f32_avx2(x, y, n); return;
        case OK_UNARY_GELU: ok_gelu_f32_avx2(x, y, n); return;
        case OK_UNARY_GELU_TANH: ok_gelu_tanh_f32_avx2(x, y, n); return;
        default:
            if (unary_avx2(op, x, y, n, alpha, beta)) return;
        }
    }
#endif
    unary_body(op, x, y, n, alpha, beta);
}

OK_X86_PORTABLE void ok_binary_f32(int op, const float *a, ptrdiff_t sa, const float *b, ptrdiff_t sb, float *y, size_t n) {
#if defined(__x86_64__)
    if (ok_isa_enabled(OK_ISA_AVX2_FMA) && binary_avx2_handles(op, sa, sb)) {
        binary_avx2(op, a, sa, b, sb, y, n);
        return;
    }
#endif
    binary_body(op, a, sa, b, sb, y, n);
}

// ---- softmax ---------------------------------------------------------------

// Sum with 8 independent partial sums (vectorises without reassociation flags).
OK_INLINE float sum8(const float *v, size_t n) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += v[i + j];
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += v[i];
    return s;
}

// Max/min with 8 independent lanes: a plain `m = v > m ? v : m` chain does not
// vectorise without fast-math flags; 8 lanes do (NaNs are skipped, as before).
OK_INLINE float max8(const float *v, size_t n) {
    float acc[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] = v[i + j] > acc[j] ? v[i + j] : acc[j];
    float m = -INFINITY;
    for (int j = 0; j < 8; j++) m = acc[j] > m ? acc[j] : m;
    for (; i < n; i++) m = v[i] > m ? v[i] : m;
    return m;
}

OK_INLINE float min8(const float *v, size_t n) {
    float acc[8] = {INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] = v[i + j] < acc[j] ? v[i + j] : acc[j];
    float m = INFINITY;
    for (int j = 0; j < 8; j++) m = acc[j] < m ? acc[j] : m;
    for (; i < n; i++) m = v[i] < m ? v[i] : m;
    return m;
}

OK_INLINE void softmax_row(const float *restrict x, float *restrict y, size_t n, int log_mode) {
    float m = max8(x, n);
    if (m == -INFINITY || m != m) m = 0.0f;  // all -inf (or NaN): avoid inf - inf
    for (size_t i = 0; i < n; i++) y[i] = ok_expf_inline(x[i] - m);
    float sum = sum8(y, n);
    if (log_mode) {
        float ls = logf(sum);
        for (size_t i = 0; i < n; i++) y[i] = (x[i] - m) - ls;
    } else {
        float inv = 1.0f / sum;
        for (size_t i = 0; i < n; i++) y[i] *= inv;
    }
}

OK_INLINE void softmax_body(const float *x, float *y, size_t outer, size_t n, size_t inner, int log_mode) {
    if (inner == 1) {
        for (size_t o = 0; o < outer; o++) softmax_row(x + o * n, y + o * n, n, log_mode);
        return;
    }
    // Strided: for each (o, j) walk the axis with stride `inner`. Vectorise across j.
    for (size_t o = 0; o < outer; o++) {
        const float *xo = x + o * n * inner;
        float *yo = y + o * n * inner;
        // y row 0 holds the running max, then the sums are accumulated in the last pass.
        for (size_t j = 0; j < inner; j++) yo[j] = -INFINITY;
        // use y's first row as max scratch only when n > 0
        if (n == 0) continue;
        float *mx = yo;  // temporary: max per j in y[0, :]
        for (size_t k = 0; k < n; k++)
            for (size_t j = 0; j < inner; j++) { float v = xo[k * inner + j]; mx[j] = v > mx[j] ? v : mx[j]; }
        for (size_t j = 0; j < inner; j++) {
            float m = mx[j];
            if (m == -INFINITY || m != m) m = 0.0f;
            float sum = 0.0f;
            for (size_t k = 0; k < n; k++) sum += ok_expf_inline(xo[k * inner + j] - m);
            if (log_mode) {
                float ls = logf(sum);
                for (size_t k = 0; k < n; k++) yo[k * inner + j] = (xo[k * inner + j] - m) - ls;
            } else {
                float inv = 1.0f / sum;
                for (size_t k = 0; k < n; k++) yo[k * inner + j] = ok_expf_inline(xo[k * inner + j] - m) * inv;
            }
        }
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void softmax_avx2(const float *x, float *y, size_t outer, size_t n, size_t inner, int log_mode) {
    if (inner != 1) { softmax_body(x, y, outer, n, inner, log_mode); return; }
    for (size_t o = 0; o < outer; o++) {
        const float *xr = x + o * n;
        float *yr = y + o * n;
        float m = max8(xr, n);
        if (m == -INFINITY || m != m) m = 0.0f;
        float sum = ok_softmax_exp_avx2(xr, yr, n, m);
        if (log_mode) {
            float ls = logf(sum);
            for (size_t i = 0; i < n; i++) yr[i] = (xr[i] - m) - ls;
        } else {
            float inv = 1.0f / sum;
            for (size_t i = 0; i < n; i++) yr[i] *= inv;
        }
    }
}
#endif

OK_X86_PORTABLE void ok_softmax_f32(const float *x, float *y, size_t outer, size_t n, size_t inner, int log_mode) {
#if defined(__x86_64__)
    if (ok_isa_enabled(OK_ISA_AVX2_FMA)) { softmax_avx2(x, y, outer, n, inner, log_mode); return; }
#endif
    softmax_body(x, y, outer, n, inner, log_mode);
}

double ok_pow_f64(double x, double y) { return pow(x, y); }
float ok_logf(float x) { return logf(x); }
float ok_sqrtf(float x) { return sqrtf(x); }
double ok_exp_f64(double x) { return exp(x); }
double ok_log_f64(double x) { return log(x); }

// ---- thread-pool splits -------------------------------------------------------

#include "ok_pool.h"

#define OK_EW_GRAIN 16384

typedef struct { int op; const float *x; float *y; float alpha, beta; } unary_job;
static void unary_range(void *c, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const unary_job *j = (const unary_job *)c;
    ok_unary_f32(j->op, j->x + begin, j->y + begin, (size_t)(end - begin), j->alpha, j->beta);
}

void ok_unary_f32_pool(void *pool, int op, const float *x, float *y, size_t n, float alpha, float beta) {
    if (pool == NULL || n <= 2 * OK_EW_GRAIN) { ok_unary_f32(op, x, y, n, alpha, beta); return; }
    unary_job j = {op, x, y, alpha, beta};
    ok_pool_parallel_for((ok_pool *)pool, (int64_t)n, OK_EW_GRAIN, unary_range, &j);
}

typedef struct { int op; const float *a; ptrdiff_t sa; const float *b; ptrdiff_t sb; float *y; } binary_job;
static void binary_range(void *c, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const binary_job *j = (const binary_job *)c;
    ok_binary_f32(j->op, j->a + begin * j->sa, j->sa, j->b + begin * j->sb, j->sb, j->y + begin, (size_t)(end - begin));
}

void ok_binary_f32_pool(void *pool, int op, const float *a, ptrdiff_t sa, const float *b, ptrdiff_t sb, float *y, size_t n) {
    if (pool == NULL || n <= 2 * OK_EW_GRAIN) { ok_binary_f32(op, a, sa, b, sb, y, n); return; }
    binary_job j = {op, a, sa, b, sb, y};
    ok_pool_parallel_for((ok_pool *)pool, (int64_t)n, OK_EW_GRAIN, binary_range, &j);
}

// ---- row helpers for reductions and normalisation ------------------------------

OK_INLINE float sumsq_body(const float *v, size_t n, float shift) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) { float d = v[i + j] - shift; acc[j] += d * d; }
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) { float d = v[i] - shift; s += d * d; }
    return s;
}

OK_INLINE float max_body(const float *v, size_t n) { return max8(v, n); }
OK_INLINE float min_body(const float *v, size_t n) { return min8(v, n); }

OK_INLINE void norm_row_body(const float *restrict x, float *restrict y, size_t n, float mean, float inv,
                             const float *restrict scale, const float *restrict bias) {
    if (scale && bias) {
        for (size_t i = 0; i < n; i++) y[i] = (x[i] - mean) * inv * scale[i] + bias[i];
    } else if (scale) {
        for (size_t i = 0; i < n; i++) y[i] = (x[i] - mean) * inv * scale[i];
    } else if (bias) {
        for (size_t i = 0; i < n; i++) y[i] = (x[i] - mean) * inv + bias[i];
    } else {
        for (size_t i = 0; i < n; i++) y[i] = (x[i] - mean) * inv;
    }
}

OK_INLINE void affine_body(const float *restrict x, float *restrict y, size_t n, float a, float b) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] * a + b;
}

#if defined(__x86_64__)
#define OK_T __attribute__((target("avx2,fma")))
OK_T static void norm_row_avx2(const float *x, float *y, size_t n, float m, float inv, const float *sc, const float *b) {
    norm_row_body(x, y, n, m, inv, sc, b);
}
OK_T static void affine_avx2(const float *x, float *y, size_t n, float a, float b) { affine_body(x, y, n, a, b); }
#define sum_avx2 ok_sum_f32_avx2
#define sumsq_avx2 ok_sumsq_f32_avx2
#define max_avx2 ok_max_f32_avx2
#define min_avx2 ok_min_f32_avx2
#define OK_USE_AVX2 ok_isa_enabled(OK_ISA_AVX2_FMA)
#else
#define OK_USE_AVX2 0
#define sum_avx2(x, n) sum8(x, n)
#define sumsq_avx2(x, n, s) sumsq_body(x, n, s)
#define max_avx2(x, n) max_body(x, n)
#define min_avx2(x, n) min_body(x, n)
#define norm_row_avx2(x, y, n, m, inv, sc, b) norm_row_body(x, y, n, m, inv, sc, b)
#define affine_avx2(x, y, n, a, b) affine_body(x, y, n, a, b)
#endif

float ok_sum_f32(const float *x, size_t n) { return OK_USE_AVX2 ? sum_avx2(x, n) : sum8(x, n); }
float ok_sumsq_f32(const float *x, size_t n, float shift) {
    return OK_USE_AVX2 ? sumsq_avx2(x, n, shift) : sumsq_body(x, n, shift);
}
float ok_max_f32(const float *x, size_t n) { return OK_USE_AVX2 ? max_avx2(x, n) : max_body(x, n); }
float ok_min_f32(const float *x, size_t n) { return OK_USE_AVX2 ? min_avx2(x, n) : min_body(x, n); }
void ok_norm_row_f32(const float *x, float *y, size_t n, float mean, float inv, const float *scale, const float *bias) {
    if (OK_USE_AVX2) norm_row_avx2(x, y, n, mean, inv, scale, bias);
    else norm_row_body(x, y, n, mean, inv, scale, bias);
}
void ok_affine_f32(const float *x, float *y, size_t n, float a, float b) {
    if (OK_USE_AVX2) affine_avx2(x, y, n, a, b);
    else affine_body(x, y, n, a, b);
}
