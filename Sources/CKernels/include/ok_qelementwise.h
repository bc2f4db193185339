// Quantized element-wise helpers for the quantized operators (QuantizeLinear,
// DequantizeLinear, DynamicQuantizeLinear, com.microsoft QLinearAdd / QLinearMul /
// QLinearSigmoid / QLinearLeakyRelu ...). Broadcasting is the Swift caller's job:
// these loops see contiguous runs (stride 1) or one repeated value (stride 0).
//
// Element types are given as int codes with the values of ok_qtype (ok_qgemm.h):
// 0 = uint8, 1 = int8.
//
// Rounding: every float -> integer step is round-half-to-even (rintf / cvtps in the
// default FP mode), then + zero point, then saturation to the type's range, as the
// ONNX reference does. NaN saturates to the type's minimum (what numpy's
// rint(nan).astype(int32) + clip gives on x86). Every dispatched function has a
// `_reference` twin (plain C, no SIMD) and the two are bit-identical (tests).
#ifndef OUTPOST_OK_QELEMENTWISE_H
#define OUTPOST_OK_QELEMENTWISE_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// y[i] = saturate(rint(x[i] / scale) + zero_point); y is uint8 (ty 0) or int8 (ty 1).
/// qmin/qmax narrow the range further (pass the type's range for plain quantization).
void ok_quantize_f32(const float *x, void *y, int ty, size_t n, float scale, int32_t zero_point,
                     int32_t qmin, int32_t qmax);
void ok_quantize_f32_reference(const float *x, void *y, int ty, size_t n, float scale, int32_t zero_point,
                               int32_t qmin, int32_t qmax);

/// y[i] = (float)((int32)x[i] - zero_point) * scale; x is uint8 (tx 0) or int8 (tx 1).
void ok_dequantize_f32(const void *x, int tx, float *y, size_t n, float scale, int32_t zero_point);
void ok_dequantize_f32_reference(const void *x, int tx, float *y, size_t n, float scale, int32_t zero_point);

/// min and max of x[0..n) (n >= 1; NaNs are ignored unless every value is NaN).
void ok_minmax_f32(const float *x, size_t n, float *min_out, float *max_out);
void ok_minmax_f32_reference(const float *x, size_t n, float *min_out, float *max_out);

/// Parameters of a quantized binary element-wise op; a, b and c share the element type.
typedef struct {
    float a_scale;      // QLinearAdd: a_scale / c_scale; QLinearMul: a_scale * b_scale / c_scale
    float b_scale;      // QLinearAdd: b_scale / c_scale; QLinearMul: unused
    int32_t a_zero_point, b_zero_point, c_zero_point;
    int32_t qmin, qmax; // output clamp (the type's range, or narrower for a fused Relu)
} ok_qbinary_params;

/// QLinearAdd: c[i] = saturate(rint((float)(a - za) * a_scale + (float)(b - zb) * b_scale) + zc)
/// (the two products rounded to float separately, then added: no FMA).
/// sa / sb are element strides of a / b: 1 (a run) or 0 (one repeated value).
void ok_qadd(const void *a, ptrdiff_t sa, const void *b, ptrdiff_t sb, void *c, int type, size_t n,
             const ok_qbinary_params *p);
void ok_qadd_reference(const void *a, ptrdiff_t sa, const void *b, ptrdiff_t sb, void *c, int type, size_t n,
                       const ok_qbinary_params *p);

/// QLinearMul: c[i] = saturate(rint((float)((a - za) * (b - zb)) * a_scale) + zc)
/// (the integer product is exact in int32).
void ok_qmul(const void *a, ptrdiff_t sa, const void *b, ptrdiff_t sb, void *c, int type, size_t n,
             const ok_qbinary_params *p);
void ok_qmul_reference(const void *a, ptrdiff_t sa, const void *b, ptrdiff_t sb, void *c, int type, size_t n,
                       const ok_qbinary_params *p);

/// Lookup-table functions of one 8-bit input (QLinearSigmoid, QLinearLeakyRelu):
/// table[v] for every byte pattern v (for int8, index by the byte: table[(uint8_t)x]).
/// The table value is quantize(f(dequantize(x))) computed in float (expf from libm for
/// sigmoid), with the rounding rule above.
enum { OK_QLUT_SIGMOID = 0, OK_QLUT_LEAKY_RELU = 1 };
void ok_qlut_build(int function, float alpha, int type, float x_scale, int32_t x_zero_point,
                   float y_scale, int32_t y_zero_point, uint8_t table[256]);
/// y[i] = table[x[i]] (bytes; works for uint8 and int8 alike). SIMD: 16 vpshufb lookups
/// of 16-byte sub-tables selected by the high nibble.
void ok_qlut_apply(const uint8_t table[256], const uint8_t *x, uint8_t *y, size_t n);
/// rows rows of n bytes: row r of x (contiguous) through the table into y + r * y_stride
/// (QLinearConcat's requantized parts, one call for the whole part).
void ok_qlut_apply_rows(const uint8_t table[256], const uint8_t *x, size_t n, size_t rows, uint8_t *y,
                        ptrdiff_t y_stride);
void ok_qlut_apply_reference(const uint8_t table[256], const uint8_t *x, uint8_t *y, size_t n);

/// QLinearSoftmax: table[d] = expf(-d * x_scale) for d = 0..255 (the exponential of an
/// input d steps below the row maximum; the zero point cancels out).
void ok_qsoftmax_table(float x_scale, float table[256]);
/// y = saturate(rint((e / sum(e)) / y_scale) + y_zero_point) with e = table[max - x] along
/// the middle axis of [outer, n, inner] (x and y uint8 (type 0) or int8 (type 1)).
void ok_qsoftmax(const void *x, void *y, int type, size_t outer, size_t n, size_t inner,
                 const float table[256], float y_scale, int32_t y_zero_point);

/// QLinearGlobalAveragePool over [batch, channels, spatial] (channels_last = 0) or
/// [batch, spatial, channels] (1): y = saturate(rint((float)(sum(x) - x_zero_point * spatial)
/// * multiplier) + y_zero_point), multiplier = x_scale / y_scale / spatial.
void ok_qglobal_avgpool(const void *x, void *y, int type, size_t batch, size_t channels, size_t spatial,
                        int channels_last, int32_t x_zero_point, float multiplier, int32_t y_zero_point);
void ok_qglobal_avgpool_reference(const void *x, void *y, int type, size_t batch, size_t channels, size_t spatial,
                                  int channels_last, int32_t x_zero_point, float multiplier, int32_t y_zero_point);

/// The same loops split over a thread pool (`pool` is an ok_pool *, NULL = this thread)
/// when n is large; results are identical to the single-threaded calls.
void ok_quantize_f32_pool(void *pool, const float *x, void *y, int ty, size_t n, float scale, int32_t zero_point,
                          int32_t qmin, int32_t qmax);
void ok_dequantize_f32_pool(void *pool, const void *x, int tx, float *y, size_t n, float scale, int32_t zero_point);
/// mul = 0: ok_qadd, 1: ok_qmul.
void ok_qbinary_pool(void *pool, int mul, const void *a, ptrdiff_t sa, const void *b, ptrdiff_t sb, void *c, int type,
                     size_t n, const ok_qbinary_params *p);
void ok_qlut_apply_pool(void *pool, const uint8_t table[256], const uint8_t *x, uint8_t *y, size_t n);
/// Broadcasting rows in one call: output row r (n elements at c + r * n) from the rows
/// at a + offsets[2r] and b + offsets[2r + 1] (bytes), inner strides sa, sb (0 or 1),
/// as `rows` ok_qbinary_pool calls would compute them (a call per row from Swift cost
/// more than YOLO's 20-element rows themselves).
void ok_qbinary_rows_pool(void *pool, int mul, const void *a, ptrdiff_t sa, const void *b, ptrdiff_t sb,
                          const int64_t *offsets, size_t rows, void *c, int type, size_t n, const ok_qbinary_params *p);

/// Name of the ISA path ok_quantize_f32 and friends dispatch to ("avx512", "avx2" or "scalar").
const char *ok_qelementwise_isa(void);
/// Tests: cap the ISA these loops dispatch to (an ok_isa value: OK_ISA_SCALAR,
/// OK_ISA_AVX2_FMA, OK_ISA_AVX512), -1 = the best enabled one. Only this family.
void ok_qelementwise_limit_isa(int isa);

#ifdef __cplusplus
}
#endif
#endif
