// Float32 GEMM driver: blocking, packing, threading, dispatch, epilogue.
// See SGEMM.md for the design and measured figures.
#include "sgemm_internal.h"
#include "ok_portable.h"
#include "ok_elementwise.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// Blocking per kernel (KC, MC rows, NC columns); the AVX-512 one is tuned for the
// Xeon here (32 KB L1d, 1 MB L2): see SGEMM.md. Overridable for tuning runs.
#ifndef OK_AVX512_KC
#define OK_AVX512_KC 256
#endif
#ifndef OK_AVX512_MC
#define OK_AVX512_MC 144
#endif
#ifndef OK_AVX512_NC
#define OK_AVX512_NC 512
#endif
// Every kernel's NC must stay <= OK_SGEMM_NC (the im2col packer's row buffer).
_Static_assert(OK_AVX512_NC <= OK_SGEMM_NC, "NC above the conv packer's buffer");
#define OK_PACK_MAGIC 0x4b504753u  // "SGPK"

typedef struct {
    uint32_t magic;
    int32_t isa, mr, nr;
    int32_t rows;    // M (A) or N (B)
    int32_t depth;   // K
    int32_t padded;  // rows rounded up to MR (A) or NR (B)
    int32_t is_b;
} ok_pack_header;  // followed by data at offset 64

// ---------------------------------------------------------------- dispatch

static const ok_sgemm_kernel_desc k_scalar = {OK_ISA_SCALAR, 4, 8, ok_sgemm_kernel_4x8__scalar,
                                              "ok_sgemm_kernel_4x8__scalar", NULL, 0, 256, 48, 512};
#if OK_HAVE_X86
static const ok_sgemm_kernel_desc k_avx2 = {OK_ISA_AVX2_FMA, 6, 16, ok_sgemm_kernel_6x16__avx2_fma,
                                            "ok_sgemm_kernel_6x16__avx2_fma",
                                            ok_sgemm_kernel_6x16__avx2_fma_rowa, 1, 256, 72, 512};
#if OK_AVX512_BUILT
static const ok_sgemm_kernel_desc k_avx512 = {OK_ISA_AVX512, 12, 32, ok_sgemm_kernel_12x32__avx512,
                                              "ok_sgemm_kernel_12x32__avx512",
                                              ok_sgemm_kernel_12x32__avx512_rowa, 1,
                                              OK_AVX512_KC, OK_AVX512_MC, OK_AVX512_NC,
                                              ok_sgemm_kernel_12x32_edge__avx512,
                                              ok_sgemm_kernel_12x32__avx512_rowb};
#endif
#endif
#if OK_HAVE_NEON
#if defined(__aarch64__)
static const ok_sgemm_kernel_desc k_neon = {OK_ISA_NEON, 8, 8, ok_sgemm_kernel_8x8__neon, "ok_sgemm_kernel_8x8__neon", NULL, 0, 256, 96, 512};
#else
static const ok_sgemm_kernel_desc k_neon = {OK_ISA_NEON, 4, 8, ok_sgemm_kernel_4x8__neon, "ok_sgemm_kernel_4x8__neon", NULL, 0, 256, 48, 512};
#endif
#endif

const ok_sgemm_kernel_desc *ok_sgemm_kernel_for(int isa) {
#if OK_HAVE_X86
#if OK_AVX512_BUILT
    if (isa == OK_ISA_AVX512) return &k_avx512;
#endif
    if (isa == OK_ISA_AVX2_FMA) return &k_avx2;
#endif
#if OK_HAVE_NEON
    if (isa == OK_ISA_NEON || isa == OK_ISA_NEON_DOT || isa == OK_ISA_NEON_I8MM) return &k_neon;
#endif
    (void)isa;
    return &k_scalar;
}

const ok_sgemm_kernel_desc *ok_sgemm_kernel_current(void) {
#if OK_HAVE_X86
#if OK_AVX512_BUILT
    if (ok_isa_enabled(OK_ISA_AVX512)) return &k_avx512;
#endif
    if (ok_isa_enabled(OK_ISA_AVX2_FMA)) return &k_avx2;
#endif
#if OK_HAVE_NEON
    if (ok_isa_enabled(OK_ISA_NEON)) return &k_neon;
#endif
    return &k_scalar;
}

const char *ok_sgemm_kernel_name(void) { return ok_sgemm_kernel_current()->name; }

// ---------------------------------------------------------------- epilogue

float ok_activation_scalar(float x, int activation, float p0, float p1) {
    switch (activation) {
    case OK_ACT_RELU: return x > 0 ? x : 0;
    case OK_ACT_CLIP: return x < p0 ? p0 : (x > p1 ? p1 : x);
    case OK_ACT_LEAKY_RELU: return x < 0 ? x * p0 : x;
    case OK_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case OK_ACT_HARD_SIGMOID: {
        float v = p0 * x + p1;
        return v < 0 ? 0 : (v > 1 ? 1 : v);
    }
    case OK_ACT_HARD_SWISH: {
        float v = x / 6.0f + 0.5f;
        v = v < 0 ? 0 : (v > 1 ? 1 : v);
        return x * v;
    }
    case OK_ACT_TANH: return tanhf(x);
    case OK_ACT_SILU: return x / (1.0f + expf(-x));
    default: return x;
    }
}

// Below this many multiply-adds an operator runs on the calling thread. Handing work
// to a worker that is still spinning after the previous operator costs about a
// microsecond; 120k multiply-adds are ~1 us at this machine's ~120 GMAC/s (AMD EPYC,
// AVX-512). It was 600k, set on a slower Xeon: at 2 threads kws's layers then all ran
// on one thread (kws 0.040 -> 0.033 ms, mobilenet 0.36 -> 0.335 ms with 120k;
// 40k-150k measured alike).
static _Atomic int64_t min_parallel_macs = 120000;
void ok_set_min_parallel_macs(int64_t macs) { min_parallel_macs = macs; }
int64_t ok_min_parallel_macs(void) { return min_parallel_macs; }

void ok_apply_epilogue(float *c, ptrdiff_t ldc, int rows, int cols, int row0, int col0, const ok_epilogue *ep) {
    if (!ep) return;
    const float *rb = ep->bias && ep->bias_kind == OK_BIAS_PER_ROW ? ep->bias + row0 : NULL;
    const float *cb = ep->bias && ep->bias_kind == OK_BIAS_PER_COL ? ep->bias + col0 : NULL;
    if (!rb && !cb && ep->activation == OK_ACT_NONE) return;
    for (int i = 0; i < rows; i++) {
        float *row = c + i * ldc;
        float b = rb ? rb[i] : 0.0f;
        if (rb) for (int j = 0; j < cols; j++) row[j] += b;
        if (cb) for (int j = 0; j < cols; j++) row[j] += cb[j];
        switch (ep->activation) {
        case OK_ACT_NONE: break;
        case OK_ACT_RELU: for (int j = 0; j < cols; j++) row[j] = row[j] > 0 ? row[j] : 0; break;
        // Transcendental activations: the vectorised element-wise kernels
        // (same approximations as the standalone Sigmoid/Tanh/Swish operators).
        case OK_ACT_SIGMOID: ok_unary_f32(OK_UNARY_SIGMOID, row, row, (size_t)cols, 0, 0); break;
        case OK_ACT_TANH: ok_unary_f32(OK_UNARY_TANH, row, row, (size_t)cols, 0, 0); break;
        case OK_ACT_SILU: ok_unary_f32(OK_UNARY_SWISH, row, row, (size_t)cols, 1.0f, 0); break;
        default:
            for (int j = 0; j < cols; j++) row[j] = ok_activation_scalar(row[j], ep->activation, ep->p0, ep->p1);
        }
    }
}

static void apply_epilogue_isa(int isa, float *c, ptrdiff_t ldc, int rows, int cols, int row0, int col0,
                               const ok_epilogue *ep) {
    if (!ep || (!ep->bias && ep->activation == OK_ACT_NONE)) return;
#if OK_HAVE_X86
    if (OK_ISA_IS_AVX512(isa)) {
        ok_apply_epilogue__avx512(c, ldc, rows, cols, row0, col0, ep);
        return;
    }
    if (isa == OK_ISA_AVX2_FMA) {
        ok_apply_epilogue__avx2(c, ldc, rows, cols, row0, col0, ep);
        return;
    }
#endif
    (void)isa;
    ok_apply_epilogue(c, ldc, rows, cols, row0, col0, ep);
}

// ---------------------------------------------------------------- reference

void ok_sgemm_reference(int M, int N, int K, float alpha, const float *A, ptrdiff_t rsa, ptrdiff_t csa,
                        const float *B, ptrdiff_t rsb, ptrdiff_t csb, float *C, ptrdiff_t ldc,
                        const ok_epilogue *ep) {
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            double acc = 0;
            for (int p = 0; p < K; p++) acc += (double)A[i * rsa + p * csa] * (double)B[p * rsb + j * csb];
            float v = alpha * (float)acc;
            if (ep && ep->accumulate) v += C[i * ldc + j];
            if (ep && ep->bias) v += ep->bias_kind == OK_BIAS_PER_ROW ? ep->bias[i] : ep->bias[j];
            C[i * ldc + j] = ep ? ok_activation_scalar(v, ep->activation, ep->p0, ep->p1) : v;
        }
    }
}

// ---------------------------------------------------------------- packing

/// Packs rows [i0, i0+mc) x depth [p0, p0+kc) of alpha*A into MR-row panels:
/// panel r holds kc groups of MR values (rows past M are zero).
static void pack_a_block(float *dst, int mr, const float *A, ptrdiff_t rsa, ptrdiff_t csa, int M, int i0, int mc,
                         int p0, int kc, float alpha) {
    for (int ir = 0; ir < mc; ir += mr) {
        int rows = mc - ir < mr ? mc - ir : mr;
        if (i0 + ir + rows > M) rows = M - (i0 + ir);
        if (rows < 0) rows = 0;
        float *panel = dst + (ptrdiff_t)(ir / mr) * mr * kc;
        const float *src = A + (ptrdiff_t)(i0 + ir) * rsa + (ptrdiff_t)p0 * csa;
        if (rows == mr && csa == 1 && mr == 6) {
            // The common case (AVX2 tile): six row streams in, one contiguous stream out.
            const float *s0 = src, *s1 = src + rsa, *s2 = src + 2 * rsa, *s3 = src + 3 * rsa, *s4 = src + 4 * rsa,
                        *s5 = src + 5 * rsa;
            for (int p = 0; p < kc; p++) {
                float *o = panel + p * 6;
                o[0] = alpha * s0[p]; o[1] = alpha * s1[p]; o[2] = alpha * s2[p];
                o[3] = alpha * s3[p]; o[4] = alpha * s4[p]; o[5] = alpha * s5[p];
            }
        } else if (rows == mr && csa == 1) {
            for (int p = 0; p < kc; p++)
                for (int r = 0; r < mr; r++) panel[p * mr + r] = alpha * src[r * rsa + p];
        } else if (rows == mr && rsa == 1) {
            for (int p = 0; p < kc; p++)
                for (int r = 0; r < mr; r++) panel[p * mr + r] = alpha * src[p * csa + r];
        } else {
            for (int p = 0; p < kc; p++) {
                for (int r = 0; r < mr; r++)
                    panel[p * mr + r] = r < rows ? alpha * src[r * rsa + p * csa] : 0.0f;
            }
        }
    }
}

/// Packs depth [p0, p0+kc) x columns [j0, j0+nc) of B into NR-column panels.
OK_X86_HOT static void pack_b_block(float *dst, int nr, const float *B, ptrdiff_t rsb, ptrdiff_t csb, int N, int j0, int nc,
                         int p0, int kc) {
    if (csb == 1 && (nr == 32 || nr == 16 || nr == 8)) {
        // Row-major B: walk each source row once (sequential reads), scattering
        // NR-float pieces to the panels; the ragged last panel is zero-padded.
        int full = (N - j0) < nc ? (N - j0) : nc;
        if (full < 0) full = 0;
        int panels_full = full / nr;
        int rest = full - panels_full * nr;
        int panels = (nc + nr - 1) / nr;
        // Rows go in groups of 8 so each panel receives 8*NR contiguous floats at a
        // time: writing one row to every panel would hit panels NR*kc*4 bytes apart,
        // the same L1 set for all of them.
        for (int pb = 0; pb < kc; pb += 8) {
            int pe = kc - pb < 8 ? kc - pb : 8;
            for (int q = 0; q < panels; q++) {
                float *o = dst + (ptrdiff_t)q * nr * kc + (ptrdiff_t)pb * nr;
                const float *src = B + (ptrdiff_t)(p0 + pb) * rsb + j0 + (ptrdiff_t)q * nr;
                // Constant-size memcpy: inlined as vector moves (a plain loop stays
                // scalar because the compiler cannot rule out aliasing).
                if (q < panels_full && nr == 32) {
                    for (int p = 0; p < pe; p++) memcpy(o + p * 32, src + p * rsb, 32 * sizeof(float));
                } else if (q < panels_full && nr == 16) {
                    for (int p = 0; p < pe; p++) memcpy(o + p * 16, src + p * rsb, 16 * sizeof(float));
                } else if (q < panels_full) {
                    for (int p = 0; p < pe; p++) memcpy(o + p * 8, src + p * rsb, 8 * sizeof(float));
                } else {
                    int cols = q == panels_full ? rest : 0;
                    for (int p = 0; p < pe; p++) {  // the ragged panel: copy, then zero the padding
                        if (cols > 0) memcpy(o + p * nr, src + p * rsb, sizeof(float) * (size_t)cols);
                        memset(o + p * nr + cols, 0, sizeof(float) * (size_t)(nr - cols));
                    }
                }
            }
        }
        return;
    }
    for (int jr = 0; jr < nc; jr += nr) {
        int cols = nc - jr < nr ? nc - jr : nr;
        if (j0 + jr + cols > N) cols = N - (j0 + jr);
        if (cols < 0) cols = 0;
        float *panel = dst + (ptrdiff_t)(jr / nr) * nr * kc;
        const float *src = B + (ptrdiff_t)p0 * rsb + (ptrdiff_t)(j0 + jr) * csb;
        if (cols == nr && csb == 1 && nr == 16) {
            for (int p = 0; p < kc; p++)
                for (int c = 0; c < 16; c++) panel[p * 16 + c] = src[p * rsb + c];
        } else if (cols == nr && csb == 1 && nr == 8) {
            for (int p = 0; p < kc; p++)
                for (int c = 0; c < 8; c++) panel[p * 8 + c] = src[p * rsb + c];
        } else if (cols == nr && csb == 1) {
            for (int p = 0; p < kc; p++) memcpy(panel + p * nr, src + p * rsb, sizeof(float) * (size_t)nr);
        } else if (cols == nr && rsb == 1) {
            for (int c = 0; c < nr; c++) {
                const float *s = src + c * csb;
                for (int p = 0; p < kc; p++) panel[p * nr + c] = s[p];
            }
        } else {
            for (int p = 0; p < kc; p++)
                for (int c = 0; c < nr; c++) panel[p * nr + c] = c < cols ? src[p * rsb + c * csb] : 0.0f;
        }
    }
}

static int round_up(int x, int m) { return (x + m - 1) / m * m; }

/// Depth of the K blocks: K split into equal blocks of at most KC (multiple of 8),
/// e.g. K = 576 -> 2 x 288 rather than 256 + 256 + 64 (a short last block pays the
/// C load/store of a full one). Packing and the driver use the same split.
static int block_kc(int K, int KC) {
    if (K <= KC) return K > 0 ? K : 1;
    int nb = (K + KC - 1) / KC;
    int kc = round_up((K + nb - 1) / nb, 8);
    return kc < KC ? kc : KC;
}

size_t ok_sgemm_packed_a_size(int M, int K) {
    const ok_sgemm_kernel_desc *k = ok_sgemm_kernel_current();
    return 64 + sizeof(float) * (size_t)round_up(M > 0 ? M : 1, k->mr) * (size_t)(K > 0 ? K : 1);
}

size_t ok_sgemm_packed_b_size(int K, int N) {
    const ok_sgemm_kernel_desc *k = ok_sgemm_kernel_current();
    return 64 + sizeof(float) * (size_t)round_up(N > 0 ? N : 1, k->nr) * (size_t)(K > 0 ? K : 1);
}

// Full packed layout: for each KC block starting at p0 (length kc), the block's
// panels start at data + p0 * padded, panel q at + q * MR * kc.
void ok_sgemm_pack_a(int M, int K, float alpha, const float *A, ptrdiff_t rsa, ptrdiff_t csa, void *packed) {
    const ok_sgemm_kernel_desc *k = ok_sgemm_kernel_current();
    ok_pack_header *h = packed;
    memset(h, 0, 64);
    h->magic = OK_PACK_MAGIC;
    h->isa = k->isa; h->mr = k->mr; h->nr = k->nr;
    h->rows = M; h->depth = K; h->padded = round_up(M, k->mr); h->is_b = 0;
    float *data = (float *)((char *)packed + 64);
    const int KB = block_kc(K, k->kc);
    for (int p0 = 0; p0 < K; p0 += KB) {
        int kc = K - p0 < KB ? K - p0 : KB;
        pack_a_block(data + (ptrdiff_t)p0 * h->padded, k->mr, A, rsa, csa, M, 0, h->padded, p0, kc, alpha);
    }
}

void ok_sgemm_pack_b(int K, int N, const float *B, ptrdiff_t rsb, ptrdiff_t csb, void *packed) {
    const ok_sgemm_kernel_desc *k = ok_sgemm_kernel_current();
    ok_pack_header *h = packed;
    memset(h, 0, 64);
    h->magic = OK_PACK_MAGIC;
    h->isa = k->isa; h->mr = k->mr; h->nr = k->nr;
    h->rows = N; h->depth = K; h->padded = round_up(N, k->nr); h->is_b = 1;
    float *data = (float *)((char *)packed + 64);
    const int KB = block_kc(K, k->kc);
    for (int p0 = 0; p0 < K; p0 += KB) {
        int kc = K - p0 < KB ? K - p0 : KB;
        pack_b_block(data + (ptrdiff_t)p0 * h->padded, k->nr, B, rsb, csb, N, 0, h->padded, p0, kc);
    }
}

int ok_sgemm_packed_isa(const void *packed) { return ((const ok_pack_header *)packed)->isa; }

// ---------------------------------------------------------------- driver

static size_t per_thread_floats(int M, int N, int K) {
    // Bounds for every kernel (the one used is known only at run time: packed
    // buffers carry their ISA).
    int kc = K < OK_KC_MAX ? (K > 0 ? K : 1) : OK_KC_MAX;
    int mc = round_up(M > 0 ? M : 1, OK_MR_MAX) + OK_MR_MAX;
    if (mc > OK_MC_MAX + OK_MR_MAX) mc = OK_MC_MAX + OK_MR_MAX;
    int nc = round_up(N < OK_NC_MAX ? (N > 0 ? N : 1) : OK_NC_MAX, OK_NR_MAX);
    size_t floats = (size_t)mc * kc + (size_t)nc * kc + OK_MR_MAX * OK_NR_MAX;
    return OK_ALIGN64(floats * sizeof(float)) / sizeof(float);
}

size_t ok_sgemm_workspace_size(int M, int N, int K, int threads) {
    if (threads < 1) threads = 1;
    return per_thread_floats(M, N, K) * sizeof(float) * (size_t)threads;
}

typedef struct {
    const ok_sgemm_kernel_desc *k;
    int M, N, K, mc_max, nc_max, mgroups, mrange;
    float alpha;
    const float *A; ptrdiff_t rsa, csa; const float *pa; int pa_padded;
    const float *B; ptrdiff_t rsb, csb; const float *pb; int pb_padded;
    float *C; ptrdiff_t ldc;
    const ok_epilogue *ep;
    int accumulate;
    float *ws; size_t ws_stride;
    ok_sgemm_pack_b_fn pack_b; void *pack_b_ctx;
} gemm_job;

// One task = one column block [jc, jc+nc) x one row range [m0, m1). Loop order
// (BLIS): K blocks (B block packed once, stays in L2/L3), then MC row blocks
// (A block packed, L2), then NR column panels (L1) x MR row panels (registers).
OK_X86_HOT static void gemm_task(void *raw, int64_t begin, int64_t end, int thread) {
    const gemm_job *g = raw;
    const ok_sgemm_kernel_desc *k = g->k;
    const int MR = k->mr, NR = k->nr;
    float *ws = g->ws + (size_t)thread * g->ws_stride;
    const int KC = block_kc(g->K, k->kc);
    int kcap = g->K < KC ? g->K : KC;
    int direct_a = !g->pa && g->csa == 1 && g->alpha == 1.0f && k->fn_rowa != NULL;
    // B read in place (not packed) when it is row-major in memory and A is packed:
    // 1x1 convolutions (B = the input) and MatMul/Gemm with a packed constant A.
    int direct_b = !direct_a && !g->pb && !g->pack_b && g->csb == 1 && k->fn_rowb != NULL && k->fn_edge != NULL;
    // Transcendental activations stay a post-pass over the tile (still in L1): inlined
    // for 24 accumulators in every kernel they tripled the AVX-512 kernels' code
    // (46 -> 17 KB for the three 12x32 kernels without them) for no measurable gain.
    int act = g->ep ? g->ep->activation : OK_ACT_NONE;
    int transcendental = act == OK_ACT_TANH || act == OK_ACT_SIGMOID || act == OK_ACT_SILU;
    int fuse = k->fused_epilogue && g->ep && !transcendental;
    // The three regions stay within the sizes computed in per_thread_floats.
    float *wa = ws;
    float *wb = ws + (size_t)round_up(g->mc_max, OK_MR_MAX) * kcap;
    float *tile = wb + (size_t)round_up(g->nc_max, OK_NR_MAX) * kcap;
    for (int64_t t = begin; t < end; t++) {
        int mg = (int)(t % g->mgroups), nb = (int)(t / g->mgroups);
        int m0 = mg * g->mrange, m1 = m0 + g->mrange < g->M ? m0 + g->mrange : g->M;
        int jc = nb * g->nc_max;
        int nc = g->N - jc < g->nc_max ? g->N - jc : g->nc_max;
        for (int p0 = 0; p0 < g->K; p0 += KC) {
            int kc = g->K - p0 < KC ? g->K - p0 : KC;
            const float *bbase;
            if (g->pb) {
                bbase = g->pb + (ptrdiff_t)p0 * g->pb_padded + (ptrdiff_t)jc * kc;
            } else if (direct_b) {
                bbase = g->B + (ptrdiff_t)p0 * g->rsb + jc;
            } else if (g->pack_b) {
                g->pack_b(g->pack_b_ctx, wb, NR, p0, kc, jc, round_up(nc, NR));
                bbase = wb;
            } else {
                pack_b_block(wb, NR, g->B, g->rsb, g->csb, g->N, jc, round_up(nc, NR), p0, kc);
                bbase = wb;
            }
            int load = p0 > 0 || g->accumulate;
            int last = p0 + kc >= g->K;
            for (int ic = m0; ic < m1; ic += g->mc_max) {
                int mc = m1 - ic < g->mc_max ? m1 - ic : g->mc_max;
                const float *abase;
                if (g->pa) {
                    abase = g->pa + (ptrdiff_t)p0 * g->pa_padded + (ptrdiff_t)ic * kc;
                } else if (direct_a) {
                    // Full panels read A in place; only a ragged last panel is packed
                    // (at its usual place in the block layout).
                    int full = mc / MR * MR;
                    if (full < mc)
                        pack_a_block(wa + (ptrdiff_t)(full / MR) * MR * kc, MR, g->A, g->rsa, g->csa, g->M, ic + full,
                                     MR, p0, kc, g->alpha);
                    abase = wa;
                } else {
                    pack_a_block(wa, MR, g->A, g->rsa, g->csa, g->M, ic, round_up(mc, MR), p0, kc, g->alpha);
                    abase = wa;
                }
                for (int jr = 0; jr < nc; jr += NR) {
                    int nr = nc - jr < NR ? nc - jr : NR;
                    const float *bp = direct_b ? bbase + jr : bbase + (ptrdiff_t)(jr / NR) * NR * kc;
                    const ptrdiff_t ldb = direct_b ? g->rsb : NR;
                    for (int ir = 0; ir < mc; ir += MR) {
                        int mr = mc - ir < MR ? mc - ir : MR;
                        const float *ap = abase + (ptrdiff_t)(ir / MR) * MR * kc;
                        const float *arow = g->A + (ptrdiff_t)(ic + ir) * g->rsa + p0;
                        int rowa = direct_a && mr == MR;
                        float *c = g->C + (ptrdiff_t)(ic + ir) * g->ldc + jc + jr;
                        if (mr == MR && nr == NR) {
                            const ok_epilogue *kep = last && fuse ? g->ep : NULL;
                            if (rowa) k->fn_rowa(kc, arow, g->rsa, bp, c, g->ldc, load, kep, ic + ir, jc + jr);
                            else if (direct_b) k->fn_rowb(kc, ap, bp, ldb, c, g->ldc, load, kep, ic + ir, jc + jr);
                            else k->fn(kc, ap, bp, c, g->ldc, load, kep, ic + ir, jc + jr);
                            if (last && !fuse) apply_epilogue_isa(k->isa, c, g->ldc, mr, nr, ic + ir, jc + jr, g->ep);
                        } else if (k->fn_edge && !rowa) {
                            // Ragged tile, masked kernel: straight into C, only the rows and
                            // column vectors it has.
                            k->fn_edge(kc, ap, bp, ldb, c, g->ldc, load, last && fuse ? g->ep : NULL, ic + ir, jc + jr,
                                       mr, nr);
                            if (last && !fuse) apply_epilogue_isa(k->isa, c, g->ldc, mr, nr, ic + ir, jc + jr, g->ep);
                        } else {
                            // Ragged tile: compute into a full local tile, copy the valid part,
                            // then the epilogue on it (bias must not be read past M / N).
                            if (load)
                                for (int i = 0; i < mr; i++)
                                    for (int j = 0; j < nr; j++) tile[i * NR + j] = c[i * g->ldc + j];
                            if (rowa) k->fn_rowa(kc, arow, g->rsa, bp, tile, NR, load, NULL, 0, 0);
                            else k->fn(kc, ap, bp, tile, NR, load, NULL, 0, 0);
                            for (int i = 0; i < mr; i++)
                                for (int j = 0; j < nr; j++) c[i * g->ldc + j] = tile[i * NR + j];
                            if (last) apply_epilogue_isa(k->isa, c, g->ldc, mr, nr, ic + ir, jc + jr, g->ep);
                        }
                    }
                }
            }
        }
    }
}

OK_X86_DRIVER static void sgemm_run(ok_pool *pool, int M, int N, int K, float alpha, const float *A, ptrdiff_t rsa, ptrdiff_t csa,
                      const void *packed_a, const float *B, ptrdiff_t rsb, ptrdiff_t csb, const void *packed_b,
                      ok_sgemm_pack_b_fn pack_b, void *pack_b_ctx, float *C, ptrdiff_t ldc, const ok_epilogue *ep,
                      void *workspace) {
    if (M <= 0 || N <= 0) return;
    int accumulate = ep && ep->accumulate;
    if (K <= 0) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                if (!accumulate) C[i * ldc + j] = 0;
        if (ep) ok_apply_epilogue(C, ldc, M, N, 0, 0, ep);
        return;
    }
    const ok_pack_header *ha = packed_a, *hb = packed_b;
    const ok_sgemm_kernel_desc *k;
    if (ha) k = ok_sgemm_kernel_for(ha->isa);
    else if (hb) k = ok_sgemm_kernel_for(hb->isa);
    else k = ok_sgemm_kernel_current();
    if (ha && hb && ha->isa != hb->isa) return;  // both pre-packs must come from the same dispatch
    gemm_job g;
    memset(&g, 0, sizeof g);
    g.k = k;
    g.M = M; g.N = N; g.K = K; g.alpha = alpha;
    g.A = A; g.rsa = rsa; g.csa = csa;
    g.B = B; g.rsb = rsb; g.csb = csb;
    if (ha) { g.pa = (const float *)((const char *)ha + 64); g.pa_padded = ha->padded; }
    if (hb) { g.pb = (const float *)((const char *)hb + 64); g.pb_padded = hb->padded; }
    g.C = C; g.ldc = ldc; g.ep = ep; g.accumulate = accumulate;
    g.pack_b = pack_b; g.pack_b_ctx = pack_b_ctx;

    int threads = ok_pool_threads(pool);
    // Small products stay on the calling thread: handing half of a few-microsecond
    // product to a worker costs about what it saves (kws's layers are 0.3-0.5M
    // multiply-adds); same rule as ok_qgemm.
    if ((int64_t)M * N * K < ok_min_parallel_macs()) threads = 1;
    g.mc_max = k->mc;
    if (g.mc_max > round_up(M, k->mr)) g.mc_max = round_up(M, k->mr);
    g.nc_max = k->nc;
    if (g.nc_max > round_up(N, k->nr)) g.nc_max = round_up(N, k->nr);
    int nblocks = (N + g.nc_max - 1) / g.nc_max;
    g.mgroups = 1;
    if (threads > 1 && nblocks < threads * 2) {
        // Split N finer (down to 4 panels per block), then M, so every thread gets work.
        int want = threads * 2;
        int nc = round_up((N + want - 1) / want, k->nr);
        if (nc < 4 * k->nr) nc = 4 * k->nr;
        if (nc < g.nc_max) g.nc_max = nc;
        nblocks = (N + g.nc_max - 1) / g.nc_max;
        if (nblocks < want) {
            int mg = (want + nblocks - 1) / nblocks;
            int max_mg = (M + k->mr - 1) / k->mr;
            g.mgroups = mg < max_mg ? mg : max_mg;
        }
    }
    g.mrange = round_up((M + g.mgroups - 1) / g.mgroups, k->mr);
    g.mgroups = (M + g.mrange - 1) / g.mrange;
    void *owned = NULL;
    g.ws_stride = per_thread_floats(M, N, K);
    if (!workspace) {
        size_t bytes = g.ws_stride * sizeof(float) * (size_t)threads;
        if (posix_memalign(&owned, 64, bytes) != 0) return;
        workspace = owned;
    }
    g.ws = workspace;
    int64_t tasks = (int64_t)g.mgroups * nblocks;
    ok_pool_parallel_for(threads > 1 ? pool : NULL, tasks, 1, gemm_task, &g);
    free(owned);
}

void ok_sgemm(ok_pool *pool, int M, int N, int K, float alpha, const float *A, ptrdiff_t rsa, ptrdiff_t csa,
              const void *packed_a, const float *B, ptrdiff_t rsb, ptrdiff_t csb, const void *packed_b, float *C,
              ptrdiff_t ldc, const ok_epilogue *ep, void *workspace) {
    sgemm_run(pool, M, N, K, alpha, A, rsa, csa, packed_a, B, rsb, csb, packed_b, NULL, NULL, C, ldc, ep, workspace);
}

void ok_sgemm_with_b_packer(ok_pool *pool, int M, int N, int K, const void *packed_a, ok_sgemm_pack_b_fn pack_b,
                            void *pack_b_ctx, float *C, ptrdiff_t ldc, const ok_epilogue *ep, void *workspace) {
    sgemm_run(pool, M, N, K, 1.0f, NULL, 0, 0, packed_a, NULL, 0, 0, NULL, pack_b, pack_b_ctx, C, ldc, ep, workspace);
}
