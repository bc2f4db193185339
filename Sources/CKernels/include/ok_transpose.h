// Data-movement kernels for shape operators (see transpose.c): element-size
// generic (1, 2, 4 or 8 bytes), no knowledge of dtypes beyond their size.
#ifndef OUTPOST_OK_TRANSPOSE_H
#define OUTPOST_OK_TRANSPOSE_H
#include <stddef.h>
#include <stdint.h>

/// dst[b][c][r] = src[b][r][c] for b < batch, r < rows, c < cols (cache-blocked).
/// A 2-D transpose is batch = 1; NCHW -> NHWC is batch = N, rows = C, cols = H*W.
void ok_transpose2d_batched(void *dst, const void *src, int64_t batch, int64_t rows, int64_t cols,
                            size_t elem_size);

/// count blocks of `bytes` bytes: block i from src + i*src_stride to dst + i*dst_stride
/// (byte strides). Split and Concat along an inner axis: one call per part, e.g.
/// yolo's head splits [1,3,20,20,85] along the last axis into 2/2/1/80 floats,
/// 1,200 blocks of 4-8 bytes per part (small sizes copied without a memcpy call).
void ok_copy_blocks(void *dst, ptrdiff_t dst_stride, const void *src, ptrdiff_t src_stride, size_t bytes,
                    int64_t count);

/// The general N-D gather behind Transpose, Slice, Expand, Tile, Pad, nearest
/// Resize, DepthToSpace...: for every index (i0..i{rank-1}) of the dense,
/// row-major `out_shape`,
///     dst[i] = src + sum_k offsets[k][i_k]   (byte offsets)
/// or `fill` (elem_size bytes) when any offsets[k][i_k] is negative (padding).
/// `inner_contiguous` != 0 promises offsets[rank-1][j] = offsets[rank-1][0] + j*elem_size
/// with no negative entries, which lets rows be copied with memcpy.
/// rank 0 copies one element.
void ok_gather_axes(void *dst, const void *src, int rank, const int64_t *out_shape,
                    const int64_t *const *offsets, size_t elem_size, const void *fill,
                    int inner_contiguous);

/// Separable interpolation (float32) for Resize, linear (taps = 2) or cubic
/// (taps = 4): for each output index i,
///     dst[i] = sum over tap tuples of prod_k coef[k][taps*i_k + t_k] * src[sum_k idx[k][taps*i_k + t_k]]
/// idx holds element offsets (already clamped to the input). Axes whose `interp`
/// flag is 0 use tap 0 only, with weight 1. When `outside` is not NULL and
/// outside[k][i_k] is set for some axis, the element is `extrapolation`
/// (tf_crop_and_resize outside the image).
void ok_resize_taps_f32(float *dst, const float *src, int rank, const int64_t *out_shape, int taps,
                        const int64_t *const *idx, const float *const *coef, const uint8_t *interp,
                        const uint8_t *const *outside, float extrapolation);

#endif
