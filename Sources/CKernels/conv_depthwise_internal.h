// Depthwise convolution paths shared inside CKernels (see conv_depthwise*.c).
#ifndef OUTPOST_CONV_DEPTHWISE_INTERNAL_H
#define OUTPOST_CONV_DEPTHWISE_INTERNAL_H
#include "ok_conv.h"

/// Whether the channel-vectorised path (conv_depthwise_channels.c) can take these
/// 2-D parameters with `vw` channels per vector (its tiles live on the stack).
int ok_depthwise_channels_fits(const ok_conv_params *p, int vw);
/// Channel-vectorised depthwise convolution, x86 only: vw = 16 (AVX-512) or 8 (AVX2).
/// Weights raw [c, 1, kh, kw]; ep->bias per channel (may be NULL).
void ok_depthwise_channels(ok_pool *pool, const ok_conv_params *p, const float *x, const float *w, float *y,
                           const ok_epilogue *ep, int vw);

#endif
