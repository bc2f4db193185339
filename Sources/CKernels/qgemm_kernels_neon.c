// ARM int8 micro-kernels: NEON (aarch64 + armv7: int16 widened at pack time,
// vmlal_lane_s16), sdot (aarch64 ARMv8.2 dotprod: A shifted to s8, vdotq_laneq_s32)
// and i8mm (ARMv8.6: vusmmlaq_s32, u8 x s8 2x8 . 8x2 blocks). All exact in int32.
#include "qgemm_internal.h"

#if OK_Q_NEON
#include <arm_neon.h>
#include <string.h>

#if defined(__clang__)
#define OK_DOT_TARGET __attribute__((target("dotprod")))
#define OK_I8MM_TARGET __attribute__((target("i8mm")))
#else
#define OK_DOT_TARGET __attribute__((target("arch=armv8.2-a+dotprod")))
#define OK_I8MM_TARGET __attribute__((target("arch=armv8.6-a+i8mm")))
#endif

// 4 x 8 tile: per k, 4 int16 of A (one d), 8 int16 of B (one q), 8 vmlal_lane_s16.
void ok_qgemm_u8s8_4x8__neon(int kg, const void *a, const void *b, int32_t *tile) {
    const int16_t *pa = a, *pb = b;
    int32x4_t c00 = vdupq_n_s32(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    for (int g = 0; g < kg; g++) {
        int16x4_t av = vld1_s16(pa);
        int16x8_t bv = vld1q_s16(pb);
        int16x4_t bl = vget_low_s16(bv), bh = vget_high_s16(bv);
        c00 = vmlal_lane_s16(c00, bl, av, 0); c01 = vmlal_lane_s16(c01, bh, av, 0);
        c10 = vmlal_lane_s16(c10, bl, av, 1); c11 = vmlal_lane_s16(c11, bh, av, 1);
        c20 = vmlal_lane_s16(c20, bl, av, 2); c21 = vmlal_lane_s16(c21, bh, av, 2);
        c30 = vmlal_lane_s16(c30, bl, av, 3); c31 = vmlal_lane_s16(c31, bh, av, 3);
        pa += 4;
        pb += 8;
    }
    vst1q_s32(tile + 0, c00); vst1q_s32(tile + 4, c01);
    vst1q_s32(tile + 8, c10); vst1q_s32(tile + 12, c11);
    vst1q_s32(tile + 16, c20); vst1q_s32(tile + 20, c21);
    vst1q_s32(tile + 24, c30); vst1q_s32(tile + 28, c31);
}

#if OK_Q_A64
// 8 x 8 tile, groups of 4 k: A (s8 domain) 2 q = rows 0-3 / 4-7, B 2 q = columns
// 0-3 / 4-7; 16 sdot by lane into 16 accumulators.
OK_DOT_TARGET void ok_qgemm_u8s8_8x8__neondot(int kg, const void *a, const void *b, int32_t *tile) {
    const int8_t *pa = a, *pb = b;
    int32x4_t c[8][2];
    for (int i = 0; i < 8; i++) c[i][0] = c[i][1] = vdupq_n_s32(0);
    for (int g = 0; g < kg; g++) {
        int8x16_t a0 = vld1q_s8(pa), a1 = vld1q_s8(pa + 16);
        int8x16_t b0 = vld1q_s8(pb), b1 = vld1q_s8(pb + 16);
        c[0][0] = vdotq_laneq_s32(c[0][0], b0, a0, 0); c[0][1] = vdotq_laneq_s32(c[0][1], b1, a0, 0);
        c[1][0] = vdotq_laneq_s32(c[1][0], b0, a0, 1); c[1][1] = vdotq_laneq_s32(c[1][1], b1, a0, 1);
        c[2][0] = vdotq_laneq_s32(c[2][0], b0, a0, 2); c[2][1] = vdotq_laneq_s32(c[2][1], b1, a0, 2);
        c[3][0] = vdotq_laneq_s32(c[3][0], b0, a0, 3); c[3][1] = vdotq_laneq_s32(c[3][1], b1, a0, 3);
        c[4][0] = vdotq_laneq_s32(c[4][0], b0, a1, 0); c[4][1] = vdotq_laneq_s32(c[4][1], b1, a1, 0);
        c[5][0] = vdotq_laneq_s32(c[5][0], b0, a1, 1); c[5][1] = vdotq_laneq_s32(c[5][1], b1, a1, 1);
        c[6][0] = vdotq_laneq_s32(c[6][0], b0, a1, 2); c[6][1] = vdotq_laneq_s32(c[6][1], b1, a1, 2);
        c[7][0] = vdotq_laneq_s32(c[7][0], b0, a1, 3); c[7][1] = vdotq_laneq_s32(c[7][1], b1, a1, 3);
        pa += 32;
        pb += 32;
    }
    for (int i = 0; i < 8; i++) {
        vst1q_s32(tile + i * 8, c[i][0]);
        vst1q_s32(tile + i * 8 + 4, c[i][1]);
    }
}

// 8 x 8 tile, groups of 8 k: A 4 q (row pairs, 8 u8 each), B 4 q (column pairs, 8 s8
// each); usmmla gives 2x2 int32 blocks [(2p,2q) (2p,2q+1) (2p+1,2q) (2p+1,2q+1)].
OK_I8MM_TARGET void ok_qgemm_u8s8_8x8__i8mm(int kg, const void *a, const void *b, int32_t *tile) {
    const uint8_t *pa = a;
    const int8_t *pb = b;
    int32x4_t c[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) c[i][j] = vdupq_n_s32(0);
    for (int g = 0; g < kg; g++) {
        uint8x16_t a0 = vld1q_u8(pa), a1 = vld1q_u8(pa + 16), a2 = vld1q_u8(pa + 32), a3 = vld1q_u8(pa + 48);
        int8x16_t b0 = vld1q_s8(pb), b1 = vld1q_s8(pb + 16), b2 = vld1q_s8(pb + 32), b3 = vld1q_s8(pb + 48);
#define ROW(p, av)                              \
    c[p][0] = vusmmlaq_s32(c[p][0], av, b0); \
    c[p][1] = vusmmlaq_s32(c[p][1], av, b1); \
    c[p][2] = vusmmlaq_s32(c[p][2], av, b2); \
    c[p][3] = vusmmlaq_s32(c[p][3], av, b3);
        ROW(0, a0) ROW(1, a1) ROW(2, a2) ROW(3, a3)
#undef ROW
        pa += 64;
        pb += 64;
    }
    for (int p = 0; p < 4; p++)
        for (int q = 0; q < 4; q++) {
            vst1_s32(tile + (2 * p) * 8 + 2 * q, vget_low_s32(c[p][q]));
            vst1_s32(tile + (2 * p + 1) * 8 + 2 * q, vget_high_s32(c[p][q]));
        }
}
#endif
#endif
