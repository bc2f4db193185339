// Float32 convolution, NCHW (1-D, 2-D, 3-D spatial), see conv*.c.
// General path: im2col + SGEMM with the weights pre-packed as A (M = Cout/group,
// K = Cin/group * kernel volume, N = output spatial size). Fast paths: 1x1 stride-1
// unpadded (the input is B directly) and depthwise (direct kernel, AVX2 / NEON).
// Bias (per output channel, OK_BIAS_PER_ROW) and activation come from the epilogue.
#ifndef OUTPOST_OK_CONV_H
#define OUTPOST_OK_CONV_H
#include <stddef.h>
#include "ok_pool.h"
#include "ok_sgemm.h"

typedef struct {
    int ndim;                 // spatial rank, 1..3
    int batch, cin, cout, group;
    int in_shape[3];          // input spatial sizes
    int out_shape[3];         // output spatial sizes (the caller computes them)
    int kernel[3], stride[3], dilation[3];
    int pad_begin[3], pad_end[3];
} ok_conv_params;

/// Which algorithm ok_conv uses for these parameters: 0 im2col+GEMM, 1 pointwise GEMM, 2 depthwise direct.
int ok_conv_algorithm(const ok_conv_params *p);

/// Weights W[cout, cin/group, k...] are packed once (64-byte aligned buffer).
size_t ok_conv_packed_weights_size(const ok_conv_params *p);
void ok_conv_pack_weights(const ok_conv_params *p, const float *w, void *packed);
/// Workspace bytes for ok_conv with up to `threads` threads.
size_t ok_conv_workspace_size(const ok_conv_params *p, int threads);
/// y[batch, cout, out...] = epilogue(conv(x, w)). ep may be NULL; ep->bias is per output channel.
void ok_conv(ok_pool *pool, const ok_conv_params *p, const float *x, const void *packed_w, float *y,
             const ok_epilogue *ep, void *workspace);
/// Reference twin: direct loops over every index.
void ok_conv_reference(const ok_conv_params *p, const float *x, const float *w, float *y, const ok_epilogue *ep);

/// Transposed convolution (ONNX ConvTranspose). W[cin, cout/group, k...]; out_shape
/// given by the caller (output_padding / output_shape already resolved); output
/// position o = i*stride - pad_begin + k*dilation. GEMM (W_g^T . X_g) + col2im.
size_t ok_conv_transpose_packed_weights_size(const ok_conv_params *p);
void ok_conv_transpose_pack_weights(const ok_conv_params *p, const float *w, void *packed);
size_t ok_conv_transpose_workspace_size(const ok_conv_params *p, int threads);
void ok_conv_transpose(ok_pool *pool, const ok_conv_params *p, const float *x, const void *packed_w, float *y,
                       const ok_epilogue *ep, void *workspace);
void ok_conv_transpose_reference(const ok_conv_params *p, const float *x, const float *w, float *y,
                                 const ok_epilogue *ep);

/// Depthwise direct kernel (group == cin == cout, 2-D), exposed for tests/benchmarks.
/// Weights raw [c, 1, kh, kw].
void ok_conv_depthwise(ok_pool *pool, const ok_conv_params *p, const float *x, const float *w, float *y,
                       const ok_epilogue *ep);

#endif
