// Direct 3x3 stride-1 convolution (AVX-512), see conv_direct3x3.c. Internal to CKernels:
// ok_conv picks it (algorithm 3) when ok_conv3x3_direct_applies says so at pack time.
#ifndef OUTPOST_CONV_DIRECT3X3_H
#define OUTPOST_CONV_DIRECT3X3_H
#include "ok_conv.h"

/// 2-D, group 1, 3x3, stride 1, dilation 1, pads <= 1, Cout a multiple of 8,
/// output rows of >= 8 pixels, and AVX-512 enabled.
int ok_conv3x3_direct_applies(const ok_conv_params *p);
size_t ok_conv3x3_direct_packed_size(const ok_conv_params *p);
/// Weights [cout, cin, 3, 3] -> [cout/8][cin][9][8].
void ok_conv3x3_direct_pack(const ok_conv_params *p, const float *w, float *packed);
/// Bytes for the zero-padded copy of one image's input.
size_t ok_conv3x3_direct_workspace_size(const ok_conv_params *p);
void ok_conv3x3_direct(ok_pool *pool, const ok_conv_params *p, const float *x, const float *packed, float *y,
                       const ok_epilogue *ep, void *workspace);

#endif
