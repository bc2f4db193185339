// ARM NEON micro-kernels. aarch64: 8x8 with vfmaq_laneq_f32 (16 q accumulators,
// A as 2 q registers, B as 2 q registers per k step). armv7: 4x8 with
// vmlaq_lane_f32 (8 accumulators; VFPv3 NEON has no fused multiply-add).
#include "sgemm_internal.h"
#if OK_HAVE_NEON
#include <arm_neon.h>

#if defined(__aarch64__)
void ok_sgemm_kernel_8x8__neon(int kc, const float *a, const float *b, float *c, ptrdiff_t ldc, int load_c,
                               const ok_epilogue *ep, int row0, int col0) {
    (void)ep; (void)row0; (void)col0;  // the driver applies the epilogue after this kernel
    float32x4_t acc[8][2];
    for (int i = 0; i < 8; i++) {
        if (load_c) {
            acc[i][0] = vld1q_f32(c + i * ldc);
            acc[i][1] = vld1q_f32(c + i * ldc + 4);
        } else {
            acc[i][0] = vdupq_n_f32(0);
            acc[i][1] = vdupq_n_f32(0);
        }
    }
    for (int p = 0; p < kc; p++) {
        float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);
        float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4);
        acc[0][0] = vfmaq_laneq_f32(acc[0][0], b0, a0, 0); acc[0][1] = vfmaq_laneq_f32(acc[0][1], b1, a0, 0);
        acc[1][0] = vfmaq_laneq_f32(acc[1][0], b0, a0, 1); acc[1][1] = vfmaq_laneq_f32(acc[1][1], b1, a0, 1);
        acc[2][0] = vfmaq_laneq_f32(acc[2][0], b0, a0, 2); acc[2][1] = vfmaq_laneq_f32(acc[2][1], b1, a0, 2);
        acc[3][0] = vfmaq_laneq_f32(acc[3][0], b0, a0, 3); acc[3][1] = vfmaq_laneq_f32(acc[3][1], b1, a0, 3);
        acc[4][0] = vfmaq_laneq_f32(acc[4][0], b0, a1, 0); acc[4][1] = vfmaq_laneq_f32(acc[4][1], b1, a1, 0);
        acc[5][0] = vfmaq_laneq_f32(acc[5][0], b0, a1, 1); acc[5][1] = vfmaq_laneq_f32(acc[5][1], b1, a1, 1);
        acc[6][0] = vfmaq_laneq_f32(acc[6][0], b0, a1, 2); acc[6][1] = vfmaq_laneq_f32(acc[6][1], b1, a1, 2);
        acc[7][0] = vfmaq_laneq_f32(acc[7][0], b0, a1, 3); acc[7][1] = vfmaq_laneq_f32(acc[7][1], b1, a1, 3);
        a += 8;
        b += 8;
    }
    for (int i = 0; i < 8; i++) {
        vst1q_f32(c + i * ldc, acc[i][0]);
        vst1q_f32(c + i * ldc + 4, acc[i][1]);
    }
}
#else
void ok_sgemm_kernel_4x8__neon(int kc, const float *a, const float *b, float *c, ptrdiff_t ldc, int load_c,
                               const ok_epilogue *ep, int row0, int col0) {
    (void)ep; (void)row0; (void)col0;  // the driver applies the epilogue after this kernel
    float32x4_t acc[4][2];
    for (int i = 0; i < 4; i++) {
        if (load_c) {
            acc[i][0] = vld1q_f32(c + i * ldc);
            acc[i][1] = vld1q_f32(c + i * ldc + 4);
        } else {
            acc[i][0] = vdupq_n_f32(0);
            acc[i][1] = vdupq_n_f32(0);
        }
    }
    for (int p = 0; p < kc; p++) {
        float32x4_t av = vld1q_f32(a);
        float32x2_t alo = vget_low_f32(av), ahi = vget_high_f32(av);
        float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4);
        acc[0][0] = vmlaq_lane_f32(acc[0][0], b0, alo, 0); acc[0][1] = vmlaq_lane_f32(acc[0][1], b1, alo, 0);
        acc[1][0] = vmlaq_lane_f32(acc[1][0], b0, alo, 1); acc[1][1] = vmlaq_lane_f32(acc[1][1], b1, alo, 1);
        acc[2][0] = vmlaq_lane_f32(acc[2][0], b0, ahi, 0); acc[2][1] = vmlaq_lane_f32(acc[2][1], b1, ahi, 0);
        acc[3][0] = vmlaq_lane_f32(acc[3][0], b0, ahi, 1); acc[3][1] = vmlaq_lane_f32(acc[3][1], b1, ahi, 1);
        a += 4;
        b += 8;
    }
    for (int i = 0; i < 4; i++) {
        vst1q_f32(c + i * ldc, acc[i][0]);
        vst1q_f32(c + i * ldc + 4, acc[i][1]);
    }
}
#endif
#endif
