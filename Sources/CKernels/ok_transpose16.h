// In-register 16x16 transposes: floats (AVX-512F), shared by the channel-vectorised
// depthwise kernels (conv_depthwise_channels.c, qconv_dw_channels_avx512.c), and bytes
// (AVX-512 VBMI: qconv_dw_channels_vnni.c, the u8 2-D transpose in transpose.c).
#ifndef OUTPOST_OK_TRANSPOSE16_H
#define OUTPOST_OK_TRANSPOSE16_H
#if defined(__x86_64__)
#include <immintrin.h>

/// r[i] lane j <- r[j] lane i: unpack 32-bit, then 64-bit, then two 128-bit lane shuffles.
__attribute__((target("avx512f"))) static inline void ok_transpose16x16_ps(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], _MM_SHUFFLE(2, 0, 2, 0));
        t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], _MM_SHUFFLE(3, 1, 3, 1));
        t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], _MM_SHUFFLE(2, 0, 2, 0));
        t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], _MM_SHUFFLE(3, 1, 3, 1));
    }
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], _MM_SHUFFLE(2, 0, 2, 0));
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], _MM_SHUFFLE(3, 1, 3, 1));
    }
}

#include <stdint.h>
/// idx[k] byte 16a + b = ((b / 4) & 1) * 64 + 16 * (b % 4) + 4k + a: with vpermt2b over
/// (Z0, Z1) and over (Z2, Z3), where Zq holds rows 4q .. 4q+3 of a 16x16 byte matrix
/// (16 bytes each), and a blend on b >= 8, output k holds columns 4k .. 4k+3 as rows:
/// the transpose, 64 bytes at a time. (Constants: filled per call they cost ~0.2 us.) Shared by
/// qconv_dw_channels_vnni.c and the u8 2-D transpose (transpose.c).
static const uint8_t OK_TRANSPOSE16_U8[4][64] = {
    {
     0, 16, 32, 48, 64, 80, 96, 112, 0, 16, 32, 48, 64, 80, 96, 112,
     1, 17, 33, 49, 65, 81, 97, 113, 1, 17, 33, 49, 65, 81, 97, 113,
     2, 18, 34, 50, 66, 82, 98, 114, 2, 18, 34, 50, 66, 82, 98, 114,
     3, 19, 35, 51, 67, 83, 99, 115, 3, 19, 35, 51, 67, 83, 99, 115},
    {
     4, 20, 36, 52, 68, 84, 100, 116, 4, 20, 36, 52, 68, 84, 100, 116,
     5, 21, 37, 53, 69, 85, 101, 117, 5, 21, 37, 53, 69, 85, 101, 117,
     6, 22, 38, 54, 70, 86, 102, 118, 6, 22, 38, 54, 70, 86, 102, 118,
     7, 23, 39, 55, 71, 87, 103, 119, 7, 23, 39, 55, 71, 87, 103, 119},
    {
     8, 24, 40, 56, 72, 88, 104, 120, 8, 24, 40, 56, 72, 88, 104, 120,
     9, 25, 41, 57, 73, 89, 105, 121, 9, 25, 41, 57, 73, 89, 105, 121,
     10, 26, 42, 58, 74, 90, 106, 122, 10, 26, 42, 58, 74, 90, 106, 122,
     11, 27, 43, 59, 75, 91, 107, 123, 11, 27, 43, 59, 75, 91, 107, 123},
    {
     12, 28, 44, 60, 76, 92, 108, 124, 12, 28, 44, 60, 76, 92, 108, 124,
     13, 29, 45, 61, 77, 93, 109, 125, 13, 29, 45, 61, 77, 93, 109, 125,
     14, 30, 46, 62, 78, 94, 110, 126, 14, 30, 46, 62, 78, 94, 110, 126,
     15, 31, 47, 63, 79, 95, 111, 127, 15, 31, 47, 63, 79, 95, 111, 127}};

/// z[q] = rows 4q .. 4q+3 of a 16x16 byte matrix -> o[k] = its columns 4k .. 4k+3
/// (AVX-512 VBMI: two vpermt2b and a blend per 64 bytes).
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static inline void ok_transpose16x16_u8(const __m512i z[4],
                                                                                            __m512i o[4]) {
    const __mmask64 hi = 0xff00ff00ff00ff00ull;  // rows 8 .. 15 come from (z2, z3)
    for (int k = 0; k < 4; k++) {
        const __m512i idx = _mm512_loadu_si512(OK_TRANSPOSE16_U8[k]);
        o[k] = _mm512_mask_blend_epi8(hi, _mm512_permutex2var_epi8(z[0], idx, z[1]),
                                      _mm512_permutex2var_epi8(z[2], idx, z[3]));
    }
}
#endif
#endif
