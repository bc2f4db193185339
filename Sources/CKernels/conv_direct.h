// Direct convolution (AVX-512), see conv_direct.c. Internal to CKernels: ok_conv
// picks it (algorithm 3) when ok_conv_direct_applies says so at pack time.
#ifndef OUTPOST_CONV_DIRECT_H
#define OUTPOST_CONV_DIRECT_H
#include "ok_conv.h"

/// 2-D, group 1, KH x KW with 2..64 taps, stride 1 or 2 (same on both axes),
/// dilation 1, pads smaller than the kernel, Cout a multiple of 8, output rows
/// that fill >= 80% of the padded rows, and AVX-512 enabled.
int ok_conv_direct_applies(const ok_conv_params *p);
size_t ok_conv_direct_packed_size(const ok_conv_params *p);
/// Weights [cout, cin, KH, KW] -> [cout/8][cin][KH*KW][8].
void ok_conv_direct_pack(const ok_conv_params *p, const float *w, float *packed);
/// Bytes for the zero-padded copy of one image's input.
size_t ok_conv_direct_workspace_size(const ok_conv_params *p);
void ok_conv_direct(ok_pool *pool, const ok_conv_params *p, const float *x, const float *packed, float *y,
                    const ok_epilogue *ep, void *workspace);

#endif
