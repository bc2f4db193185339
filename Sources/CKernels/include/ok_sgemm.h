// Float32 GEMM: C[M,N] = epilogue(alpha * A[M,K] . B[K,N] (+ C)).
// BLIS-style: A and B are packed into MR-row / NR-column panels, blocked by
// KC (depth) and MC x NC (cache), and multiplied by a register-tiled
// micro-kernel chosen at run time (see SGEMM.md next to the sources).
#ifndef OUTPOST_OK_SGEMM_H
#define OUTPOST_OK_SGEMM_H
#include <stddef.h>
#include <stdint.h>
#include "ok_pool.h"

/// Activation applied after the bias (ONNX semantics).
typedef enum {
    OK_ACT_NONE = 0,
    OK_ACT_RELU = 1,
    OK_ACT_CLIP = 2,          // p0 = min, p1 = max
    OK_ACT_LEAKY_RELU = 3,    // p0 = alpha
    OK_ACT_SIGMOID = 4,
    OK_ACT_HARD_SIGMOID = 5,  // p0 = alpha, p1 = beta: max(0, min(1, alpha*x + beta))
    OK_ACT_HARD_SWISH = 6,    // x * max(0, min(1, x/6 + 1/2))
    OK_ACT_TANH = 7,
    OK_ACT_SILU = 8,          // x * sigmoid(x) (Swish), fused from Sigmoid + Mul
} ok_activation;

typedef enum {
    OK_BIAS_NONE = 0,
    OK_BIAS_PER_ROW = 1,  // bias[i] added to row i (conv: per output channel)
    OK_BIAS_PER_COL = 2,  // bias[j] added to column j (Gemm's C of shape [N])
} ok_bias_kind;

/// What happens to each output after the product: C = act(product (+ C_old) + bias).
typedef struct {
    const float *bias;   // NULL: no bias
    int bias_kind;       // ok_bias_kind
    int activation;      // ok_activation
    float p0, p1;        // activation parameters
    int accumulate;      // 1: add the product to the existing C (beta = 1)
} ok_epilogue;

/// Applies bias + activation to a rows x cols block (row stride ldc). row0/col0
/// index the bias. Also used by convolution paths that do not run through GEMM.
void ok_apply_epilogue(float *c, ptrdiff_t ldc, int rows, int cols, int row0, int col0, const ok_epilogue *ep);
/// Scalar activation (reference semantics).
float ok_activation_scalar(float x, int activation, float p0, float p1);

/// Below this many multiply-adds the float GEMM and convolution kernels run on the
/// calling thread (default 120k, ~1 us of GEMM on an AVX-512 core; see sgemm.c):
/// handing work to a pool worker that is still spinning costs about that much.
/// Depthwise convolution, ~6x fewer multiply-adds per microsecond, uses a sixth of
/// it. Tests set 0 to exercise the threaded paths.
void ok_set_min_parallel_macs(int64_t macs);
int64_t ok_min_parallel_macs(void);

/// Readable reference twin: triple loop, same epilogue. A(i,p) = A[i*rsa + p*csa],
/// B(p,j) = B[p*rsb + j*csb].
void ok_sgemm_reference(int M, int N, int K, float alpha,
                        const float *A, ptrdiff_t rsa, ptrdiff_t csa,
                        const float *B, ptrdiff_t rsb, ptrdiff_t csb,
                        float *C, ptrdiff_t ldc, const ok_epilogue *ep);

/// Pre-packing (weights). The packed layout depends on the ISA selected at pack
/// time; it is recorded in the packed header and GEMM uses the matching kernel.
/// Sizes are bytes; packed buffers must be 64-byte aligned.
size_t ok_sgemm_packed_a_size(int M, int K);
/// Packs alpha * A (A(i,p) = A[i*rsa + p*csa]).
void ok_sgemm_pack_a(int M, int K, float alpha, const float *A, ptrdiff_t rsa, ptrdiff_t csa, void *packed);
size_t ok_sgemm_packed_b_size(int K, int N);
void ok_sgemm_pack_b(int K, int N, const float *B, ptrdiff_t rsb, ptrdiff_t csb, void *packed);
/// ISA a packed buffer was made for.
int ok_sgemm_packed_isa(const void *packed);

/// Workspace bytes ok_sgemm needs for up to `threads` threads (64-byte aligned buffer).
size_t ok_sgemm_workspace_size(int M, int N, int K, int threads);

/// C = epilogue(alpha * A . B). packed_a / packed_b (from ok_sgemm_pack_*) replace
/// A / B when not NULL (alpha is then the one given at pack time for A). `workspace`
/// may be NULL (allocated internally) or hold ok_sgemm_workspace_size(.., threads
/// of pool) bytes. pool NULL: single thread.
void ok_sgemm(ok_pool *pool, int M, int N, int K, float alpha,
              const float *A, ptrdiff_t rsa, ptrdiff_t csa, const void *packed_a,
              const float *B, ptrdiff_t rsb, ptrdiff_t csb, const void *packed_b,
              float *C, ptrdiff_t ldc, const ok_epilogue *ep, void *workspace);

/// Name of the micro-kernel the current dispatch would use (e.g. "ok_sgemm_kernel_6x16__avx2_fma").
const char *ok_sgemm_kernel_name(void);

#endif
