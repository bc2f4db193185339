// Data-movement kernels: blocked 2-D transpose and the per-axis offset gather
// that Transpose, Slice, Expand, Tile, Pad, nearest Resize... all reduce to.
// Plain C: these are memory-bound, the compiler's vectorisation is enough.
#include <string.h>
#include "ok_transpose.h"

#define OK_MAX_RANK 16

// ---- 2-D transpose ----------------------------------------------------------

#define TBLOCK 32

#define DEFINE_TRANSPOSE(NAME, T)                                                        \
    static void NAME(T *dst, const T *src, int64_t rows, int64_t cols) {                 \
        for (int64_t r0 = 0; r0 < rows; r0 += TBLOCK) {                                  \
            int64_t r1 = r0 + TBLOCK < rows ? r0 + TBLOCK : rows;                        \
            for (int64_t c0 = 0; c0 < cols; c0 += TBLOCK) {                              \
                int64_t c1 = c0 + TBLOCK < cols ? c0 + TBLOCK : cols;                    \
                for (int64_t r = r0; r < r1; r++)                                        \
                    for (int64_t c = c0; c < c1; c++) dst[c * rows + r] = src[r * cols + c]; \
            }                                                                            \
        }                                                                                \
    }

DEFINE_TRANSPOSE(transpose_u8, uint8_t)
DEFINE_TRANSPOSE(transpose_u16, uint16_t)
DEFINE_TRANSPOSE(transpose_u32, uint32_t)
DEFINE_TRANSPOSE(transpose_u64, uint64_t)

#if defined(__x86_64__) || defined(_M_X64)
#include "ok_cpu.h"
#include "ok_transpose16.h"
void ok_transpose2d_u32__avx2(uint32_t *dst, const uint32_t *src, int64_t rows, int64_t cols);

/// Bytes, AVX-512 VBMI: 16x16 tiles through the in-register byte transpose (masked
/// loads and stores at the ragged edges). YOLO's int8 head transposes ([3][25][400] ->
/// [3][400][25] bytes) ran 3x slower than the float ones through the scalar blocked
/// loop (transpose_u8, the readable twin).
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi"))) static void
transpose_u8__vbmi(uint8_t *dst, const uint8_t *src, int64_t rows, int64_t cols) {
    for (int64_t r0 = 0; r0 < rows; r0 += 16) {
        const int nr = rows - r0 < 16 ? (int)(rows - r0) : 16;
        const __mmask16 mr = (__mmask16)((1u << nr) - 1u);
        for (int64_t c0 = 0; c0 < cols; c0 += 16) {
            const int nc = cols - c0 < 16 ? (int)(cols - c0) : 16;
            const __mmask16 mc = (__mmask16)((1u << nc) - 1u);
            __m512i z[4], o[4];
            for (int q = 0; q < 4; q++) {
                __m128i row[4];
                for (int i = 0; i < 4; i++) {
                    const int r = 4 * q + i;
                    row[i] = r < nr ? _mm_maskz_loadu_epi8(mc, src + (r0 + r) * cols + c0) : _mm_setzero_si128();
                }
                __m512i v = _mm512_castsi128_si512(row[0]);
                v = _mm512_inserti32x4(v, row[1], 1);
                v = _mm512_inserti32x4(v, row[2], 2);
                z[q] = _mm512_inserti32x4(v, row[3], 3);
            }
            ok_transpose16x16_u8(z, o);
            // o[k] holds columns c0 + 4k .. + 3, each as 16 bytes (rows r0 ..).
            for (int c = 0; c < nc; c++) {
                __m128i v;
                switch (c & 3) {
                case 0: v = _mm512_castsi512_si128(o[c >> 2]); break;
                case 1: v = _mm512_extracti32x4_epi32(o[c >> 2], 1); break;
                case 2: v = _mm512_extracti32x4_epi32(o[c >> 2], 2); break;
                default: v = _mm512_extracti32x4_epi32(o[c >> 2], 3); break;
                }
                _mm_mask_storeu_epi8(dst + (c0 + c) * rows + r0, mr, v);
            }
        }
    }
}
#endif

void ok_transpose2d_batched(void *dst, const void *src, int64_t batch, int64_t rows, int64_t cols,
                            size_t elem_size) {
#if defined(__x86_64__) || defined(_M_X64)
    if (elem_size == 4 && rows >= 8 && cols >= 8 && ok_isa_enabled(OK_ISA_AVX2_FMA)) {
        int64_t plane = rows * cols;
        for (int64_t b = 0; b < batch; b++)
            ok_transpose2d_u32__avx2((uint32_t *)dst + b * plane, (const uint32_t *)src + b * plane, rows, cols);
        return;
    }
    if (elem_size == 1 && rows >= 4 && cols >= 4 && ok_isa_enabled(OK_ISA_AVX512) && ok_cpu_has_avx512_vbmi()) {
        const int64_t plane = rows * cols;
        for (int64_t b = 0; b < batch; b++)
            transpose_u8__vbmi((uint8_t *)dst + b * plane, (const uint8_t *)src + b * plane, rows, cols);
        return;
    }
#endif
    int64_t plane = rows * cols * (int64_t)elem_size;
    for (int64_t b = 0; b < batch; b++) {
        char *d = (char *)dst + b * plane;
        const char *s = (const char *)src + b * plane;
        switch (elem_size) {
        case 1: transpose_u8((uint8_t *)d, (const uint8_t *)s, rows, cols); break;
        case 2: transpose_u16((uint16_t *)d, (const uint16_t *)s, rows, cols); break;
        case 4: transpose_u32((uint32_t *)d, (const uint32_t *)s, rows, cols); break;
        case 8: transpose_u64((uint64_t *)d, (const uint64_t *)s, rows, cols); break;
        default:
            for (int64_t r = 0; r < rows; r++)
                for (int64_t c = 0; c < cols; c++)
                    memcpy(d + (c * rows + r) * elem_size, s + (r * cols + c) * elem_size, elem_size);
        }
    }
}

// ---- strided block copy (Split, Concat) ------------------------------------

#define COPY_FIXED(N)                                                                     \
    for (int64_t i = 0; i < count; i++) memcpy(d + i * dst_stride, s + i * src_stride, N); \
    return;

void ok_copy_blocks(void *dst, ptrdiff_t dst_stride, const void *src, ptrdiff_t src_stride, size_t bytes,
                    int64_t count) {
    char *d = (char *)dst;
    const char *s = (const char *)src;
    if (count <= 0 || bytes == 0) return;
    if (dst_stride == (ptrdiff_t)bytes && src_stride == (ptrdiff_t)bytes) {
        memcpy(d, s, bytes * (size_t)count);  // contiguous on both sides: one copy
        return;
    }
    // Constant sizes become single moves; the general case is one memcpy per block.
    switch (bytes) {
    case 1: COPY_FIXED(1)
    case 2: COPY_FIXED(2)
    case 4: COPY_FIXED(4)
    case 8: COPY_FIXED(8)
    case 12: COPY_FIXED(12)
    case 16: COPY_FIXED(16)
    case 32: COPY_FIXED(32)
    default:
        for (int64_t i = 0; i < count; i++) memcpy(d + i * dst_stride, s + i * src_stride, bytes);
    }
}
#undef COPY_FIXED

// ---- per-axis offset gather -------------------------------------------------

static void fill_elems(char *d, int64_t n, const void *fill, size_t es) {
    for (int64_t j = 0; j < n; j++) memcpy(d + j * es, fill, es);
}

// One output row (the innermost axis) from `base` with per-element offsets.
static void gather_row(char *d, const char *base, const int64_t *off, int64_t n, size_t es,
                       const void *fill) {
    switch (es) {
    case 1:
        for (int64_t j = 0; j < n; j++) d[j] = off[j] < 0 ? *(const char *)fill : base[off[j]];
        break;
    case 2:
        for (int64_t j = 0; j < n; j++) {
            uint16_t v;
            memcpy(&v, off[j] < 0 ? fill : base + off[j], 2);
            memcpy(d + 2 * j, &v, 2);
        }
        break;
    case 4:
        for (int64_t j = 0; j < n; j++) {
            uint32_t v;
            memcpy(&v, off[j] < 0 ? fill : base + off[j], 4);
            memcpy(d + 4 * j, &v, 4);
        }
        break;
    case 8:
        for (int64_t j = 0; j < n; j++) {
            uint64_t v;
            memcpy(&v, off[j] < 0 ? fill : base + off[j], 8);
            memcpy(d + 8 * j, &v, 8);
        }
        break;
    default:
        for (int64_t j = 0; j < n; j++) memcpy(d + j * es, off[j] < 0 ? fill : base + off[j], es);
    }
}

void ok_gather_axes(void *dst, const void *src, int rank, const int64_t *out_shape,
                    const int64_t *const *offsets, size_t elem_size, const void *fill,
                    int inner_contiguous) {
    char *d = (char *)dst;
    const char *s = (const char *)src;
    if (rank == 0) {
        memcpy(d, s, elem_size);
        return;
    }
    for (int k = 0; k < rank; k++)
        if (out_shape[k] == 0) return;
    int64_t rows = 1;
    for (int k = 0; k < rank - 1; k++) rows *= out_shape[k];
    int64_t n = out_shape[rank - 1];
    const int64_t *inner = offsets[rank - 1];
    int64_t idx[OK_MAX_RANK] = {0};
    int64_t row_bytes = n * (int64_t)elem_size;
    for (int64_t r = 0; r < rows; r++) {
        // Base offset of this row; a negative outer offset pads the whole row.
        int64_t base = 0;
        int padded = 0;
        for (int k = 0; k < rank - 1; k++) {
            int64_t o = offsets[k][idx[k]];
            if (o < 0) padded = 1;
            base += o;
        }
        if (padded) {
            fill_elems(d, n, fill, elem_size);
        } else if (inner_contiguous) {
            memcpy(d, s + base + inner[0], (size_t)row_bytes);
        } else {
            gather_row(d, s + base, inner, n, elem_size, fill);
        }
        d += row_bytes;
        for (int k = rank - 2; k >= 0; k--) {
            if (++idx[k] < out_shape[k]) break;
            idx[k] = 0;
        }
    }
}

// ---- separable interpolation (Resize linear / cubic) ------------------------

// Fast path: only the last two axes interpolate (images). Separable: each input
// row needed is interpolated horizontally once into a small row cache (reused by
// the following output rows when upscaling), then output rows blend cached rows
// vertically (contiguous, vectorisable). Same weights as the general loop; the
// sums are grouped differently (within float rounding of it).
#define RESIZE_ROW_CAP 2048
#define RESIZE_SLOTS 8

static int resize_last2(float *dst, const float *src, int rank, const int64_t *out_shape, int taps,
                        const int64_t *const *idx, const float *const *coef,
                        const uint8_t *const *outside, float extrapolation) {
    const int ky = rank - 2, kx = rank - 1;
    const int64_t OH = out_shape[ky], OW = out_shape[kx];
    if (OW > RESIZE_ROW_CAP || taps > RESIZE_SLOTS / 2) return 0;
    float cache[RESIZE_SLOTS][RESIZE_ROW_CAP];
    int64_t key[RESIZE_SLOTS];
    int64_t outer = 1;
    for (int k = 0; k < rank - 2; k++) outer *= out_shape[k];
    int64_t pos[OK_MAX_RANK] = {0};
    const int64_t *ix = idx[kx];
    const float *cx = coef[kx];
    for (int64_t o = 0; o < outer; o++) {
        int64_t base = 0;
        int out_outer = 0;
        for (int k = 0; k < rank - 2; k++) {
            base += idx[k][(int64_t)taps * pos[k]];
            if (outside && outside[k] && outside[k][pos[k]]) out_outer = 1;
        }
        for (int s = 0; s < RESIZE_SLOTS; s++) key[s] = -1;
        int next_slot = 0;
        for (int64_t oh = 0; oh < OH; oh++) {
            const int64_t *iy = idx[ky] + (int64_t)taps * oh;
            const float *cy = coef[ky] + (int64_t)taps * oh;
            float *y = dst + (o * OH + oh) * OW;
            if (out_outer || (outside && outside[ky] && outside[ky][oh])) {
                for (int64_t ow = 0; ow < OW; ow++) y[ow] = extrapolation;
                continue;
            }
            const float *rows[RESIZE_SLOTS / 2];
            for (int ty = 0; ty < taps; ty++) {
                int slot = -1;
                for (int s = 0; s < RESIZE_SLOTS; s++)
                    if (key[s] == iy[ty]) slot = s;
                if (slot < 0) {
                    // Evict round-robin among slots this output row does not use
                    // (2*taps slots, at most taps in use: one is always free).
                    for (int tries = 0; tries < 2 * taps && slot < 0; tries++) {
                        int cand = next_slot;
                        next_slot = (next_slot + 1) % (2 * taps);
                        int used = 0;
                        for (int t2 = 0; t2 < taps; t2++)
                            if (key[cand] >= 0 && key[cand] == iy[t2]) used = 1;
                        if (!used) slot = cand;
                    }
                    key[slot] = iy[ty];
                    const float *row = src + base + iy[ty];
                    float *h = cache[slot];
                    for (int64_t ow = 0; ow < OW; ow++) {
                        float acc = 0.0f;
                        for (int tx = 0; tx < taps; tx++) acc += cx[(int64_t)taps * ow + tx] * row[ix[(int64_t)taps * ow + tx]];
                        h[ow] = acc;
                    }
                }
                rows[ty] = cache[slot];
            }
            if (taps == 2) {
                const float c0 = cy[0], c1 = cy[1];
                const float *h0 = rows[0], *h1 = rows[1];
                for (int64_t ow = 0; ow < OW; ow++) y[ow] = c0 * h0[ow] + c1 * h1[ow];
            } else {
                for (int64_t ow = 0; ow < OW; ow++) {
                    float acc = 0.0f;
                    for (int ty = 0; ty < taps; ty++) acc += cy[ty] * rows[ty][ow];
                    y[ow] = acc;
                }
            }
            if (outside && outside[kx])
                for (int64_t ow = 0; ow < OW; ow++)
                    if (outside[kx][ow]) y[ow] = extrapolation;
        }
        for (int k = rank - 3; k >= 0; k--) {
            if (++pos[k] < out_shape[k]) break;
            pos[k] = 0;
        }
    }
    return 1;
}

void ok_resize_taps_f32(float *dst, const float *src, int rank, const int64_t *out_shape, int taps,
                        const int64_t *const *idx, const float *const *coef, const uint8_t *interp,
                        const uint8_t *const *outside, float extrapolation) {
    if (rank >= 2 && interp[rank - 1] && interp[rank - 2]) {
        int others = 0;
        for (int k = 0; k < rank - 2; k++) others |= interp[k];
        if (!others && resize_last2(dst, src, rank, out_shape, taps, idx, coef, outside, extrapolation)) return;
    }
    if (rank == 0) {
        dst[0] = src[0];
        return;
    }
    int64_t total = 1;
    for (int k = 0; k < rank; k++) total *= out_shape[k];
    if (total == 0) return;
    // The interpolated axes and how many tap tuples they make.
    int axes[OK_MAX_RANK];
    int naxes = 0;
    int64_t tuples = 1;
    for (int k = 0; k < rank; k++)
        if (interp[k]) {
            axes[naxes++] = k;
            tuples *= taps;
        }
    int64_t pos[OK_MAX_RANK] = {0};
    for (int64_t e = 0; e < total; e++) {
        int out = 0;
        int64_t base = 0;
        for (int k = 0; k < rank; k++) {
            if (outside && outside[k] && outside[k][pos[k]]) out = 1;
            if (!interp[k]) base += idx[k][(int64_t)taps * pos[k]];
        }
        if (out) {
            dst[e] = extrapolation;
        } else {
            float acc = 0.0f;
            for (int64_t t = 0; t < tuples; t++) {
                int64_t rest = t, off = base;
                float w = 1.0f;
                for (int a = naxes - 1; a >= 0; a--) {
                    int k = axes[a];
                    int64_t tap = rest % taps;
                    rest /= taps;
                    int64_t at = (int64_t)taps * pos[k] + tap;
                    off += idx[k][at];
                    w *= coef[k][at];
                }
                acc += w * src[off];
            }
            dst[e] = acc;
        }
        for (int k = rank - 1; k >= 0; k--) {
            if (++pos[k] < out_shape[k]) break;
            pos[k] = 0;
        }
    }
}
