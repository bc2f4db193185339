// Int8 GEMM: C[M,N] = epilogue(sum_k (A[m][k] - za[m]) * (B[k][n] - zb[n])), exact int32.
// A is packed as u8, B as s8 (s8 A / u8 B are shifted by 0x80 with their zero points);
// micro-kernels per ISA (AVX-512 VNNI, AVX2, NEON, sdot, i8mm, scalar), requantization
// epilogue fused. See docs/int8-kernels.md.
#ifndef OUTPOST_OK_QGEMM_H
#define OUTPOST_OK_QGEMM_H
#include <stddef.h>
#include <stdint.h>
#include "ok_pool.h"

typedef enum { OK_QTYPE_U8 = 0, OK_QTYPE_S8 = 1 } ok_qtype;
typedef enum { OK_QOUT_I32 = 0, OK_QOUT_F32 = 1, OK_QOUT_U8 = 2, OK_QOUT_S8 = 3 } ok_qout;
typedef enum { OK_QPER_TENSOR = 0, OK_QPER_ROW = 1, OK_QPER_COL = 2 } ok_qper;

typedef struct {
    int out;                  // ok_qout
    const int32_t *bias;      // NULL or int32 bias added to acc (bias_per: ROW or COL)
    int bias_per;             // ok_qper (ROW: bias[m], COL: bias[n])
    const float *scale;       // F32/U8/S8 outputs: (float)acc * scale; NULL = 1.0
    int scale_per;            // ok_qper
    const float *fbias;       // F32 output only: float added after scaling (per bias_per), NULL none
    int32_t out_zero_point;   // U8/S8 outputs
    int32_t qmin, qmax;       // U8/S8 outputs: clamp range (e.g. 0..255 / -128..127 or a fused Relu)
} ok_qepilogue;

/// Readable reference twin: direct triple loop over the raw operands, same epilogue.
/// A(i,p) = A[i*rsa + p*csa] (type ta), B(p,j) = B[p*rsb + j*csb] (type tb);
/// za: one value (za_per = TENSOR) or M values (ROW); zb: one or N values (COL).
void ok_qgemm_reference(int M, int N, int K,
    const void *A, int ta, ptrdiff_t rsa, ptrdiff_t csa, const int32_t *za, int za_per,
    const void *B, int tb, ptrdiff_t rsb, ptrdiff_t csb, const int32_t *zb, int zb_per,
    void *C, ptrdiff_t ldc, const ok_qepilogue *ep);

/// Pre-packing (weights, once at load). 64-byte aligned buffers; the layout depends
/// on the ISA chosen at pack time (recorded in the buffer, like ok_sgemm).
size_t ok_qgemm_packed_a_size(int M, int K);
void ok_qgemm_pack_a(int M, int K, const void *A, int ta, ptrdiff_t rsa, ptrdiff_t csa,
                     const int32_t *za, int za_per, void *packed);
size_t ok_qgemm_packed_b_size(int K, int N);
void ok_qgemm_pack_b(int K, int N, const void *B, int tb, ptrdiff_t rsb, ptrdiff_t csb,
                     const int32_t *zb, int zb_per, void *packed);
size_t ok_qgemm_workspace_size(int M, int N, int K, int threads);

/// C[M,N] = epilogue(acc). packed_a / packed_b replace A / B when not NULL (their zero
/// points come from the packed buffer then). C's element type is ep->out; ldc in elements.
/// workspace: ok_qgemm_workspace_size(M, N, K, threads of pool) bytes, 64-byte aligned,
/// or NULL (allocated internally).
void ok_qgemm(ok_pool *pool, int M, int N, int K,
    const void *A, int ta, ptrdiff_t rsa, ptrdiff_t csa, const int32_t *za, int za_per, const void *packed_a,
    const void *B, int tb, ptrdiff_t rsb, ptrdiff_t csb, const int32_t *zb, int zb_per, const void *packed_b,
    void *C, ptrdiff_t ldc, const ok_qepilogue *ep, void *workspace);
const char *ok_qgemm_kernel_name(void);   // e.g. "ok_qgemm_u8s8_12x32__avx512vnni"

/// Benchmark helper: best measured int8 peak (GOPS, 2 ops per multiply-add) over about
/// `seconds` (thread CPU time, so other processes on the machine do not count) of a loop of independent chains of the instruction the `isa` kernel uses
/// (OK_ISA_AVX512_VNNI: vpdpbusd zmm; OK_ISA_AVX2_FMA: vpmaddwd ymm). 0 if unsupported.
double ok_qgemm_peak_gops(int isa, double seconds);
/// Float32 FMA peak of one core (GFLOPS, 2 per FMA lane) for OK_ISA_AVX512 (zmm) or
/// OK_ISA_AVX2_FMA (ymm): the best of repeated runs of independent FMA chains over
/// `seconds` of thread CPU time; 0 when the CPU lacks the ISA.
double ok_fma_peak_gflops(int isa, double seconds);
/// Benchmark helper: CPU time (ns) of the calling thread (single-thread rates on a
/// shared machine, comparable with ok_qgemm_peak_gops).
uint64_t ok_thread_cpu_ns(void);

#endif
