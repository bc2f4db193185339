// AVX2 2-D transpose of 32-bit elements: 8x8 register blocks (unpack / shuffle /
// permute2f128), walked in 32x32 tiles for cache locality. Edges are scalar.
// Called by ok_transpose2d_batched when AVX2 is enabled; the scalar blocked loop
// in transpose.c is its reference (the tests compare them).
#include <stdint.h>
#include "ok_transpose.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#define OK_AVX2 __attribute__((target("avx2,fma")))

OK_AVX2 static inline void transpose8x8(float *dst, int64_t ld_dst, const float *src, int64_t ld_src) {
    __m256 r0 = _mm256_loadu_ps(src + 0 * ld_src), r1 = _mm256_loadu_ps(src + 1 * ld_src);
    __m256 r2 = _mm256_loadu_ps(src + 2 * ld_src), r3 = _mm256_loadu_ps(src + 3 * ld_src);
    __m256 r4 = _mm256_loadu_ps(src + 4 * ld_src), r5 = _mm256_loadu_ps(src + 5 * ld_src);
    __m256 r6 = _mm256_loadu_ps(src + 6 * ld_src), r7 = _mm256_loadu_ps(src + 7 * ld_src);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    _mm256_storeu_ps(dst + 0 * ld_dst, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + 1 * ld_dst, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * ld_dst, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * ld_dst, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * ld_dst, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * ld_dst, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * ld_dst, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * ld_dst, _mm256_permute2f128_ps(u3, u7, 0x31));
}

OK_AVX2 void ok_transpose2d_u32__avx2(uint32_t *dst, const uint32_t *src, int64_t rows, int64_t cols) {
    const int64_t R8 = rows & ~(int64_t)7, C8 = cols & ~(int64_t)7;
    for (int64_t r0 = 0; r0 < R8; r0 += 32) {
        int64_t r1 = r0 + 32 < R8 ? r0 + 32 : R8;
        for (int64_t c0 = 0; c0 < C8; c0 += 32) {
            int64_t c1 = c0 + 32 < C8 ? c0 + 32 : C8;
            for (int64_t r = r0; r < r1; r += 8)
                for (int64_t c = c0; c < c1; c += 8)
                    transpose8x8((float *)(dst + c * rows + r), rows, (const float *)(src + r * cols + c), cols);
        }
    }
    // Edges: the last cols % 8 columns of every row, and the last rows % 8 rows.
    for (int64_t r = 0; r < R8; r++)
        for (int64_t c = C8; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
    for (int64_t r = R8; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
}
#endif
