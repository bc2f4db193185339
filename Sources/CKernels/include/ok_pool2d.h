// Spatial pooling kernels (float32, NCHW / NCDHW), see pool2d.c. Not to be
// confused with ok_pool.h, the thread pool.
#ifndef OUTPOST_OK_POOL2D_H
#define OUTPOST_OK_POOL2D_H
#include <stddef.h>
#include <stdint.h>
#include "ok_pool.h"
#include "ok_transpose.h"

typedef enum { OK_POOL_MAX = 0, OK_POOL_AVG = 1, OK_POOL_LP = 2 } ok_pool_kind;

/// One pooling problem. 1-D and 2-D pools are 3-D pools with leading spatial
/// dims of size 1 (kernel 1, stride 1, no padding).
typedef struct {
    int64_t planes;        // N * C
    int64_t in[3];         // D, H, W
    int64_t out[3];
    int64_t kernel[3];
    int64_t stride[3];
    int64_t dilation[3];
    int64_t pad_begin[3];
    int64_t pad_end[3];    // explicit end pads (for count_include_pad's divisor)
    int kind;              // ok_pool_kind
    int count_include_pad; // AVG/LP: divide by the window positions inside the padded input
    float p;               // LP: the norm's exponent
} ok_pool_params;

/// Readable reference: one loop nest for every kind and shape.
void ok_pool_ref_f32(const ok_pool_params *prm, const float *x, float *y);
/// Same result; uses fast paths (2x2/s2 and 3x3 max, plain 2-D windows) and the
/// thread pool (over planes) where they apply. pool may be NULL.
void ok_pool_f32(const ok_pool_params *prm, const float *x, float *y, ok_pool *pool);

/// Global pooling: y[p] = mean (or max) of x[p*n .. p*n+n).
void ok_global_avg_pool_f32(const float *x, float *y, int64_t planes, int64_t n, ok_pool *pool);
void ok_global_max_pool_f32(const float *x, float *y, int64_t planes, int64_t n, ok_pool *pool);

/// Max pooling that also reports, per output, the flat input index of the
/// (first) maximum: row-major over N*C planes and spatial dims, or column-major
/// over the spatial dims when storage_order is 1 (MaxPool's Indices output).
/// indices may be NULL. The 8-bit variants serve int8/uint8 MaxPool.
void ok_maxpool_indices_f32(const ok_pool_params *prm, const float *x, float *y, int64_t *indices, int storage_order);
void ok_maxpool_u8(const ok_pool_params *prm, const uint8_t *x, uint8_t *y, int64_t *indices, int storage_order);
void ok_maxpool_s8(const ok_pool_params *prm, const int8_t *x, int8_t *y, int64_t *indices, int storage_order);
/// 8-bit max pooling without indices, its planes split over the thread pool (pool may be
/// NULL): the bytes of ok_maxpool_u8 (s8 = 0) / ok_maxpool_s8 (s8 = 1).
void ok_maxpool8_pool(const ok_pool_params *prm, const void *x, void *y, int s8, ok_pool *pool);

#endif
