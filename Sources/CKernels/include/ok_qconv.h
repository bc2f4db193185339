// Int8 convolution, NCHW (1-D, 2-D, 3-D spatial), on the int8 GEMM (ok_qgemm.h).
// Fast paths: pointwise (1x1, stride 1, no pad: x is B directly), depthwise direct
// kernel (2-D), else im2col (padding filled with the input zero point) + qgemm.
#ifndef OUTPOST_OK_QCONV_H
#define OUTPOST_OK_QCONV_H
#include "ok_conv.h"
#include "ok_qgemm.h"

/// Weights W[cout, cin/group, k...] (type tw, zero point zw per tensor or per output
/// channel = OK_QPER_ROW) are packed once. x has type tx and one zero point zx:
/// padding reads as zx (so it contributes 0 after the zero-point correction).
size_t ok_qconv_packed_weights_size(const ok_conv_params *p);
void ok_qconv_pack_weights(const ok_conv_params *p, const void *w, int tw, const int32_t *zw, int zw_per, void *packed);
size_t ok_qconv_workspace_size(const ok_conv_params *p, int threads);
/// y[batch, cout, out...] = epilogue(conv(x - zx, w - zw)); ep per-row = per output channel.
void ok_qconv(ok_pool *pool, const ok_conv_params *p, const void *x, int tx, int32_t zx,
              const void *packed_w, void *y, const ok_qepilogue *ep, void *workspace);
void ok_qconv_reference(const ok_conv_params *p, const void *x, int tx, int32_t zx,
                        const void *w, int tw, const int32_t *zw, int zw_per,
                        void *y, const ok_qepilogue *ep);
/// Which algorithm ok_qconv uses: 0 im2col+GEMM, 1 pointwise GEMM, 2 depthwise direct.
int ok_qconv_algorithm(const ok_conv_params *p);
/// 1 when packed weights (algorithm 0) carry the direct VNNI kernel's copy (x86-64,
/// few input channels, every w - zw within s8): on a CPU with AVX-512 VNNI such a layer
/// runs without im2col (a u8 / s8 input zero point of its type, epilogue per channel).
int ok_qconv_direct_packed(const void *packed_w);
/// The depthwise kernel ok_qconv runs for these packed weights, input and epilogue on
/// this CPU and ISA restriction: "channels-vnni", "channels-avx512", "planes-vnni",
/// "planes-avx512", "generic" (portable), or "none" (not a depthwise layer). For tests
/// and profiles.
const char *ok_qconv_depthwise_kernel(const ok_conv_params *p, const void *packed_w, int tx, int32_t zx,
                                      const ok_qepilogue *ep);

#endif
