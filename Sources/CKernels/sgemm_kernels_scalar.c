// Portable scalar micro-kernel (also the fallback on CPUs without SIMD paths).
#include "sgemm_internal.h"

void ok_sgemm_kernel_4x8__scalar(int kc, const float *a, const float *b, float *c, ptrdiff_t ldc, int load_c,
                                 const ok_epilogue *ep, int row0, int col0) {
    (void)ep; (void)row0; (void)col0;  // the driver applies the epilogue after this kernel
    float acc[4][8];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++) acc[i][j] = load_c ? c[i * ldc + j] : 0.0f;
    for (int p = 0; p < kc; p++) {
        const float *bp = b + p * 8;
        const float *ap = a + p * 4;
        for (int i = 0; i < 4; i++) {
            float ai = ap[i];
            for (int j = 0; j < 8; j++) acc[i][j] += ai * bp[j];
        }
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++) c[i * ldc + j] = acc[i][j];
}
