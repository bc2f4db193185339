// Private declarations shared by sgemm_*.c and conv_*.c.
#ifndef OUTPOST_SGEMM_INTERNAL_H
#define OUTPOST_SGEMM_INTERNAL_H
#include <stddef.h>
#include "ok_sgemm.h"
#include "ok_cpu.h"
#include "ok_portable.h"

#if defined(__x86_64__) || defined(__i386__)
#define OK_HAVE_X86 1
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
#define OK_HAVE_NEON 1
#endif


/// C[MR x NR] (+)= a_panel(MR x kc) . b_panel(kc x NR); load_c: add to C's contents.
/// Kernels with fused_epilogue apply `ep` (bias indexed from row0/col0 + the cheap
/// activations) in registers before the store when ep is not NULL; the driver only
/// passes ep for full tiles of the last K block.
typedef void (*ok_sgemm_ukernel)(int kc, const float *a, const float *b, float *c, ptrdiff_t ldc, int load_c,
                                 const ok_epilogue *ep, int row0, int col0);

/// Variant reading A in place: row i of the tile at a + i*lda (row-major A, alpha 1).
typedef void (*ok_sgemm_ukernel_rowa)(int kc, const float *a, ptrdiff_t lda, const float *b, float *c, ptrdiff_t ldc,
                                      int load_c, const ok_epilogue *ep, int row0, int col0);

/// Ragged tile of a packed A panel x B (a packed panel, ldb = NR, or in place):
/// reads B columns < ncols only and writes only rows < mrows and columns < ncols of
/// C (masked), epilogue fused like the full kernel.
typedef void (*ok_sgemm_ukernel_edge)(int kc, const float *a, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                                      int load_c, const ok_epilogue *ep, int row0, int col0, int mrows, int ncols);
/// Full tile, packed A panel, B read in place (row p at b + p*ldb).
typedef void (*ok_sgemm_ukernel_rowb)(int kc, const float *a, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                                      int load_c, const ok_epilogue *ep, int row0, int col0);

typedef struct {
    int isa;
    int mr, nr;
    ok_sgemm_ukernel fn;
    const char *name;
    ok_sgemm_ukernel_rowa fn_rowa;  // NULL: A is always packed
    int fused_epilogue;             // 1: the kernel applies bias + cheap activations itself
    int kc, mc, nc;                 // blocking: depth (KC), rows per A block (MC), columns per B block (NC)
    ok_sgemm_ukernel_edge fn_edge;  // NULL: ragged tiles go through a full tile in a local buffer
    ok_sgemm_ukernel_rowb fn_rowb;  // NULL: B is always packed (needs fn_edge too)
} ok_sgemm_kernel_desc;

// Upper bounds of the per-kernel blocking (workspace sizing).
enum { OK_KC_MAX = 384, OK_MC_MAX = 192, OK_NC_MAX = 1024, OK_MR_MAX = 16, OK_NR_MAX = 32 };

// Micro-kernels (sgemm_kernels_*.c).
void ok_sgemm_kernel_4x8__scalar(int kc, const float *a, const float *b, float *c, ptrdiff_t ldc, int load_c,
    const ok_epilogue *ep, int row0, int col0);
#if OK_HAVE_X86
void ok_sgemm_kernel_6x16__avx2_fma(int kc, const float *a, const float *b, float *c, ptrdiff_t ldc, int load_c,
    const ok_epilogue *ep, int row0, int col0);
void ok_sgemm_kernel_6x16__avx2_fma_rowa(int kc, const float *a, ptrdiff_t lda, const float *b, float *c,
                                         ptrdiff_t ldc, int load_c, const ok_epilogue *ep, int row0, int col0);
void ok_apply_epilogue__avx2(float *c, ptrdiff_t ldc, int rows, int cols, int row0, int col0, const ok_epilogue *ep);
void ok_apply_epilogue__avx512(float *c, ptrdiff_t ldc, int rows, int cols, int row0, int col0, const ok_epilogue *ep);
void ok_sgemm_kernel_12x32__avx512(int kc, const float *a, const float *b, float *c, ptrdiff_t ldc, int load_c,
    const ok_epilogue *ep, int row0, int col0);
void ok_sgemm_kernel_12x32_edge__avx512(int kc, const float *a, const float *b, ptrdiff_t ldb, float *c,
                                        ptrdiff_t ldc, int load_c, const ok_epilogue *ep, int row0, int col0,
                                        int mrows, int ncols);
void ok_sgemm_kernel_12x32__avx512_rowb(int kc, const float *a, const float *b, ptrdiff_t ldb, float *c,
                                        ptrdiff_t ldc, int load_c, const ok_epilogue *ep, int row0, int col0);
void ok_sgemm_kernel_12x32__avx512_rowa(int kc, const float *a, ptrdiff_t lda, const float *b, float *c,
                                        ptrdiff_t ldc, int load_c, const ok_epilogue *ep, int row0, int col0);
#endif
#if OK_HAVE_NEON
#if defined(__aarch64__)
void ok_sgemm_kernel_8x8__neon(int kc, const float *a, const float *b, float *c, ptrdiff_t ldc, int load_c,
    const ok_epilogue *ep, int row0, int col0);
#else
void ok_sgemm_kernel_4x8__neon(int kc, const float *a, const float *b, float *c, ptrdiff_t ldc, int load_c,
    const ok_epilogue *ep, int row0, int col0);
#endif
#endif

/// The kernel for `isa` (falls back to scalar when that ISA has no kernel here).
const ok_sgemm_kernel_desc *ok_sgemm_kernel_for(int isa);
/// The best kernel enabled for dispatch now.
const ok_sgemm_kernel_desc *ok_sgemm_kernel_current(void);

enum { OK_SGEMM_KC = 256, OK_SGEMM_NC = 512 };

/// Produces B's packed block on the fly (convolution: im2col of rows [p0, p0+kc) x
/// columns [j0, j0+nc_padded) straight into NR-column panels: panel q at
/// dst + q*nr*kc, row p at + (p-p0)*nr; columns >= N must be zero). nc_padded <= OK_SGEMM_NC.
typedef void (*ok_sgemm_pack_b_fn)(void *ctx, float *dst, int nr, int p0, int kc, int j0, int nc_padded);

/// ok_sgemm with B given by a packing callback instead of memory.
void ok_sgemm_with_b_packer(ok_pool *pool, int M, int N, int K, const void *packed_a, ok_sgemm_pack_b_fn pack_b,
                            void *pack_b_ctx, float *C, ptrdiff_t ldc, const ok_epilogue *ep, void *workspace);

#define OK_ALIGN64(x) (((x) + 63) & ~(size_t)63)
#endif
