// Spatial pooling (float32). ok_pool_ref_f32 is the readable reference for every
// kind; ok_pool_f32 adds fast 2-D paths (interior/border split, 2x2 stride-2 and
// 3x3 max without per-tap bounds checks) and splits planes over the thread pool.
#include <float.h>
#include <math.h>
#include <string.h>
#include "ok_pool2d.h"

// ---- reference ----------------------------------------------------------------

static float pool_window_ref(const ok_pool_params *prm, const float *x, int64_t od, int64_t oh, int64_t ow) {
    const int64_t o[3] = {od, oh, ow};
    int64_t lo[3], n[3];
    for (int k = 0; k < 3; k++) {
        lo[k] = o[k] * prm->stride[k] - prm->pad_begin[k];
        n[k] = prm->kernel[k];
    }
    float acc = prm->kind == OK_POOL_MAX ? -INFINITY : 0.0f;
    int64_t valid = 0, padded = 0;
    for (int64_t a = 0; a < n[0]; a++) {
        int64_t d = lo[0] + a * prm->dilation[0];
        for (int64_t b = 0; b < n[1]; b++) {
            int64_t h = lo[1] + b * prm->dilation[1];
            for (int64_t c = 0; c < n[2]; c++) {
                int64_t w = lo[2] + c * prm->dilation[2];
                int inside = d >= 0 && d < prm->in[0] && h >= 0 && h < prm->in[1] && w >= 0 && w < prm->in[2];
                if (!inside) {
                    // Positions in the explicit padding count for count_include_pad;
                    // positions past it (ceil_mode's extra window) never do.
                    if (d >= -prm->pad_begin[0] && d < prm->in[0] + prm->pad_end[0] &&
                        h >= -prm->pad_begin[1] && h < prm->in[1] + prm->pad_end[1] &&
                        w >= -prm->pad_begin[2] && w < prm->in[2] + prm->pad_end[2])
                        padded++;
                    continue;
                }
                float v = x[(d * prm->in[1] + h) * prm->in[2] + w];
                valid++;
                switch (prm->kind) {
                case OK_POOL_MAX: acc = v > acc ? v : acc; break;
                case OK_POOL_AVG: acc += v; break;
                default: acc += powf(fabsf(v), prm->p); break;
                }
            }
        }
    }
    switch (prm->kind) {
    case OK_POOL_MAX: return acc;
    case OK_POOL_AVG: {
        int64_t count = prm->count_include_pad ? valid + padded : valid;
        return count > 0 ? acc / (float)count : 0.0f;
    }
    default: return powf(acc, 1.0f / prm->p);
    }
}

static void pool_planes_ref(const ok_pool_params *prm, const float *x, float *y, int64_t p0, int64_t p1) {
    int64_t in_plane = prm->in[0] * prm->in[1] * prm->in[2];
    int64_t out_plane = prm->out[0] * prm->out[1] * prm->out[2];
    for (int64_t p = p0; p < p1; p++) {
        const float *xp = x + p * in_plane;
        float *yp = y + p * out_plane;
        for (int64_t od = 0; od < prm->out[0]; od++)
            for (int64_t oh = 0; oh < prm->out[1]; oh++)
                for (int64_t ow = 0; ow < prm->out[2]; ow++)
                    *yp++ = pool_window_ref(prm, xp, od, oh, ow);
    }
}

void ok_pool_ref_f32(const ok_pool_params *prm, const float *x, float *y) {
    pool_planes_ref(prm, x, y, 0, prm->planes);
}

// ---- fast 2-D paths -------------------------------------------------------------

// True for a 2-D max or average pool (D = 1) without dilation: the fast paths apply.
static int is_plain_2d(const ok_pool_params *prm) {
    return (prm->kind == OK_POOL_MAX || prm->kind == OK_POOL_AVG) && prm->in[0] == 1 && prm->out[0] == 1 && prm->kernel[0] == 1 &&
           prm->pad_begin[0] == 0 && prm->dilation[1] == 1 && prm->dilation[2] == 1;
}

// Average pool of one plane: interior windows sum without bounds checks and
// divide by the full window (both count_include_pad rules agree there).
static void avg_plane_2d(const ok_pool_params *prm, const float *x, float *y) {
    const int64_t H = prm->in[1], W = prm->in[2], OH = prm->out[1], OW = prm->out[2];
    const int64_t KH = prm->kernel[1], KW = prm->kernel[2], SH = prm->stride[1], SW = prm->stride[2];
    const int64_t PH = prm->pad_begin[1], PW = prm->pad_begin[2];
    const float count = (float)(KH * KW);
    for (int64_t oh = 0; oh < OH; oh++) {
        int64_t h0 = oh * SH - PH;
        int rows_inside = h0 >= 0 && h0 + KH <= H;
        for (int64_t ow = 0; ow < OW; ow++) {
            int64_t w0 = ow * SW - PW;
            if (!rows_inside || w0 < 0 || w0 + KW > W) {
                y[oh * OW + ow] = pool_window_ref(prm, x, 0, oh, ow);
                continue;
            }
            const float *r0 = x + h0 * W + w0;
            float acc = 0.0f;
            for (int64_t i = 0; i < KH; i++)
                for (int64_t j = 0; j < KW; j++) acc += r0[i * W + j];
            y[oh * OW + ow] = acc / count;
        }
    }
}

// Max pool of one plane: windows fully inside the input skip bounds checks (with
// unrolled 2x2 and 3x3 kernels); border windows use the reference.
static void max_plane_2d(const ok_pool_params *prm, const float *x, float *y) {
    const int64_t H = prm->in[1], W = prm->in[2], OH = prm->out[1], OW = prm->out[2];
    const int64_t KH = prm->kernel[1], KW = prm->kernel[2], SH = prm->stride[1], SW = prm->stride[2];
    const int64_t PH = prm->pad_begin[1], PW = prm->pad_begin[2];
    for (int64_t oh = 0; oh < OH; oh++) {
        int64_t h0 = oh * SH - PH;
        int rows_inside = h0 >= 0 && h0 + KH <= H;
        for (int64_t ow = 0; ow < OW; ow++) {
            int64_t w0 = ow * SW - PW;
            if (!rows_inside || w0 < 0 || w0 + KW > W) {
                y[oh * OW + ow] = pool_window_ref(prm, x, 0, oh, ow);
                continue;
            }
            const float *r0 = x + h0 * W + w0;
            float m;
            if (KH == 2 && KW == 2) {
                const float *r1 = r0 + W;
                float a = r0[0] > r0[1] ? r0[0] : r0[1];
                float b = r1[0] > r1[1] ? r1[0] : r1[1];
                m = a > b ? a : b;
            } else if (KH == 3 && KW == 3) {
                const float *r1 = r0 + W, *r2 = r1 + W;
                float a = fmaxf(fmaxf(r0[0], r0[1]), r0[2]);
                float b = fmaxf(fmaxf(r1[0], r1[1]), r1[2]);
                float c = fmaxf(fmaxf(r2[0], r2[1]), r2[2]);
                m = fmaxf(fmaxf(a, b), c);
            } else {
                m = -INFINITY;
                for (int64_t i = 0; i < KH; i++)
                    for (int64_t j = 0; j < KW; j++) {
                        float v = r0[i * W + j];
                        m = v > m ? v : m;
                    }
            }
            y[oh * OW + ow] = m;
        }
    }
}


// ---- AVX2 rows for the separable path ---------------------------------------------
// Same operations in the same order as the portable loops below (max as
// `a > b ? a : b` == _mm256_max_ps(a, b); sums left to right), so the results
// are bit-identical to them.
#if defined(__x86_64__)
#include <immintrin.h>
#include "ok_cpu.h"
#define OK_POOL_AVX2 __attribute__((target("avx2,fma")))

static int pool_use_avx2(void) { return ok_isa_enabled(OK_ISA_AVX2_FMA); }

// col[w] = reduce over `rows` input rows (stride W) of x[.. + w].
OK_POOL_AVX2 static void pool_cols_avx2(const float *x, int64_t W, int64_t rows, int is_max, float *col) {
    int64_t w = 0;
    for (; w + 8 <= W; w += 8) {
        __m256 acc = _mm256_loadu_ps(x + w);
        for (int64_t h = 1; h < rows; h++) {
            const __m256 v = _mm256_loadu_ps(x + h * W + w);
            acc = is_max ? _mm256_max_ps(v, acc) : _mm256_add_ps(acc, v);
        }
        _mm256_storeu_ps(col + w, acc);
    }
    for (; w < W; w++) {
        float acc = x[w];
        for (int64_t h = 1; h < rows; h++) {
            const float v = x[h * W + w];
            acc = is_max ? (v > acc ? v : acc) : acc + v;
        }
        col[w] = acc;
    }
}

// Even (lanes 0,2,..) or odd elements of p[0..16).
OK_POOL_AVX2 static inline __m256 pool_even8(const float *p) {
    const __m256 s = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(s), _MM_SHUFFLE(3, 1, 2, 0)));
}
OK_POOL_AVX2 static inline __m256 pool_odd8(const float *p) {
    const __m256 s = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), _MM_SHUFFLE(3, 1, 3, 1));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(s), _MM_SHUFFLE(3, 1, 2, 0)));
}

// Interior outputs lo.. of one row from the column reductions: 8 outputs per step
// for stride 1 (any width) and stride 2 (width 2 or 3), while every load stays
// inside col[0..W). Returns the first output not written (the caller finishes).
OK_POOL_AVX2 __attribute__((always_inline)) static inline void pool_block8_avx2(const float *col, int64_t ow, int64_t KW, int64_t SW, int64_t PW,
                                                 int is_max, __m256 vc, float *yr) {
    __m256 acc;
    if (SW == 1) {
        const float *c = col + ow - PW;
        acc = _mm256_loadu_ps(c);
        for (int64_t k = 1; k < KW; k++) {
            const __m256 v = _mm256_loadu_ps(c + k);
            acc = is_max ? _mm256_max_ps(v, acc) : _mm256_add_ps(acc, v);
        }
    } else {
        const float *c = col + 2 * ow - PW;
        const __m256 e = pool_even8(c), o = pool_odd8(c);
        acc = is_max ? _mm256_max_ps(o, e) : _mm256_add_ps(e, o);
        if (KW == 3) {
            const __m256 e2 = pool_even8(c + 2);
            acc = is_max ? _mm256_max_ps(e2, acc) : _mm256_add_ps(acc, e2);
        }
    }
    _mm256_storeu_ps(yr + ow, is_max ? acc : _mm256_div_ps(acc, vc));
}

// Interior outputs lo.. of one row from the column reductions: 8 outputs per step
// for stride 1 (any width) and stride 2 (width 2 or 3), while every load stays
// inside col[0..W); a last partial block is redone as the 8 outputs ending at
// hi (overlapping outputs get the same bits). Returns the first output not
// written (the caller finishes the row).
OK_POOL_AVX2 static int64_t pool_row_avx2(const float *col, int64_t W, int64_t lo, int64_t hi, int64_t KW, int64_t SW,
                                          int64_t PW, int is_max, float count, float *yr) {
    if (!(SW == 1 || (SW == 2 && (KW == 2 || KW == 3))) || hi - lo < 8) return lo;
    const __m256 vc = _mm256_set1_ps(count);
    // Last column read by the block starting at ow, + 1.
#define POOL_BLOCK_END(ow) (SW == 1 ? (ow) - PW + KW - 1 + 8 : 2 * (ow) - PW + (KW == 3 ? 18 : 16))
    // Constant stride and kind per loop, so each specialises.
#define POOL_ROW_LOOP(S, MAX)                                                                      \
    do {                                                                                           \
        for (; ow + 8 <= hi && POOL_BLOCK_END(ow) <= W; ow += 8)                                   \
            pool_block8_avx2(col, ow, KW, S, PW, MAX, vc, yr);                                     \
        if (ow < hi && POOL_BLOCK_END(hi - 8) <= W) {                                              \
            pool_block8_avx2(col, hi - 8, KW, S, PW, MAX, vc, yr);                                 \
            ow = hi;                                                                               \
        }                                                                                          \
    } while (0)
    int64_t ow = lo;
    if (SW == 1) {
        if (is_max) POOL_ROW_LOOP(1, 1); else POOL_ROW_LOOP(1, 0);
    } else {
        if (is_max) POOL_ROW_LOOP(2, 1); else POOL_ROW_LOOP(2, 0);
    }
#undef POOL_ROW_LOOP
#undef POOL_BLOCK_END
    return ow;
}
#else
static int pool_use_avx2(void) { return 0; }
static void pool_cols_avx2(const float *x, int64_t W, int64_t rows, int is_max, float *col) {
    (void)x; (void)W; (void)rows; (void)is_max; (void)col;
}
static int64_t pool_row_avx2(const float *col, int64_t W, int64_t lo, int64_t hi, int64_t KW, int64_t SW, int64_t PW,
                             int is_max, float count, float *yr) {
    (void)col; (void)W; (void)hi; (void)KW; (void)SW; (void)PW; (void)is_max; (void)count; (void)yr;
    return lo;
}
#endif

// Separable 2-D max/average pool of one plane (any stride, no dilation): for each
// output row, the window's input rows are reduced column by column into `col`
// (contiguous, vectorised), then each output reduces its columns of `col`.
// Max is exact in any order; average sums in another order than the reference
// (within float rounding). Divisors follow the reference's rules per dimension.
#define POOL_COL_CAP 4096

static void plane_2d_separable(const ok_pool_params *prm, const float *x, float *y, int avx2) {
    const int64_t H = prm->in[1], W = prm->in[2], OH = prm->out[1], OW = prm->out[2];
    const int64_t KH = prm->kernel[1], KW = prm->kernel[2], SH = prm->stride[1], SW = prm->stride[2];
    const int64_t PH = prm->pad_begin[1], PW = prm->pad_begin[2], EH = prm->pad_end[1], EW = prm->pad_end[2];
    const int is_max = prm->kind == OK_POOL_MAX;
    float col[POOL_COL_CAP];
    for (int64_t oh = 0; oh < OH; oh++) {
        int64_t h0 = oh * SH - PH;
        int64_t hs = h0 > 0 ? h0 : 0, he = h0 + KH < H ? h0 + KH : H;
        if (hs >= he) {
            for (int64_t ow = 0; ow < OW; ow++) y[oh * OW + ow] = pool_window_ref(prm, x, 0, oh, ow);
            continue;
        }
        const float *r = x + hs * W;
        if (avx2) {
            pool_cols_avx2(x + hs * W, W, he - hs, is_max, col);
        } else {
            for (int64_t w = 0; w < W; w++) col[w] = r[w];
            for (int64_t h = hs + 1; h < he; h++) {
                r = x + h * W;
                if (is_max)
                    for (int64_t w = 0; w < W; w++) col[w] = r[w] > col[w] ? r[w] : col[w];
                else
                    for (int64_t w = 0; w < W; w++) col[w] += r[w];
            }
        }
        int64_t rows_valid = he - hs;
        int64_t ph0 = h0 > -PH ? h0 : -PH, ph1 = h0 + KH < H + EH ? h0 + KH : H + EH;
        int64_t rows_padded = ph1 - ph0;
        // Interior outputs (window inside the row): no clamping, unrolled 2/3 wide.
        int64_t lo = (PW + SW - 1) / SW, hi = W - KW + PW >= 0 ? (W - KW + PW) / SW + 1 : 0;
        if (hi > OW) hi = OW;
        if (lo > hi) lo = hi;
        float *yr = y + oh * OW;
        int64_t vlo = lo;  // outputs lo..vlo-1 done by the AVX2 row
        if (avx2 && lo < hi) {
            const float count = (float)((prm->count_include_pad ? rows_padded : rows_valid) * KW);
            vlo = pool_row_avx2(col, W, lo, hi, KW, SW, PW, is_max, count, yr);
        }
        if (is_max) {
            if (KW == 2)
                for (int64_t ow = vlo; ow < hi; ow++) {
                    const float *c = col + ow * SW - PW;
                    yr[ow] = c[1] > c[0] ? c[1] : c[0];
                }
            else if (KW == 3)
                for (int64_t ow = vlo; ow < hi; ow++) {
                    const float *c = col + ow * SW - PW;
                    float m = c[1] > c[0] ? c[1] : c[0];
                    yr[ow] = c[2] > m ? c[2] : m;
                }
            else
                for (int64_t ow = vlo; ow < hi; ow++) {
                    const float *c = col + ow * SW - PW;
                    float m = c[0];
                    for (int64_t k = 1; k < KW; k++) m = c[k] > m ? c[k] : m;
                    yr[ow] = m;
                }
        } else {
            const float count = (float)((prm->count_include_pad ? rows_padded : rows_valid) * KW);
            for (int64_t ow = vlo; ow < hi; ow++) {
                const float *c = col + ow * SW - PW;
                float acc = c[0];
                for (int64_t k = 1; k < KW; k++) acc += c[k];
                yr[ow] = acc / count;
            }
        }
        for (int64_t ow = 0; ow < OW; ow++) {
            if (ow == lo) ow = hi;  // skip the interior done above
            if (ow >= OW) break;
            int64_t w0 = ow * SW - PW;
            int64_t ws = w0 > 0 ? w0 : 0, we = w0 + KW < W ? w0 + KW : W;
            if (ws >= we) {
                y[oh * OW + ow] = pool_window_ref(prm, x, 0, oh, ow);
                continue;
            }
            float acc = col[ws];
            if (is_max) {
                for (int64_t w = ws + 1; w < we; w++) acc = col[w] > acc ? col[w] : acc;
            } else {
                for (int64_t w = ws + 1; w < we; w++) acc += col[w];
                int64_t count;
                if (prm->count_include_pad) {
                    int64_t pw0 = w0 > -PW ? w0 : -PW, pw1 = w0 + KW < W + EW ? w0 + KW : W + EW;
                    count = rows_padded * (pw1 - pw0);
                } else {
                    count = rows_valid * (we - ws);
                }
                acc = acc / (float)count;
            }
            y[oh * OW + ow] = acc;
        }
    }
}

#if defined(__x86_64__)
// 2x2 stride-2 max pool without padding (detector backbones' downsampling), AVX-512:
// per 16 outputs, each input row's 32 columns split into even and odd ones (one
// permutex2var each) and the four taps compared in registers. The separable path
// above wrote the row maxima to `col` and re-read them (yolo's 16x160x160 pool:
// 0.05 ms, onnxruntime 0.02). Same comparisons as the reference, in its order:
// the same bits, signed zeros included (the separable paths reduce columns first,
// so for 0 vs -0 ties they may return the other zero).
#define OK_POOL_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))

static int pool_is_max2x2s2(const ok_pool_params *prm) {
    return prm->kind == OK_POOL_MAX && is_plain_2d(prm) && prm->kernel[1] == 2 && prm->kernel[2] == 2 &&
           prm->stride[1] == 2 && prm->stride[2] == 2 && prm->pad_begin[1] == 0 && prm->pad_begin[2] == 0 &&
           prm->out[1] * 2 <= prm->in[1] && prm->out[2] * 2 <= prm->in[2];
}

OK_POOL_AVX512 static void max2x2s2_plane__avx512(const float *x, int64_t W, int64_t OH, int64_t OW, float *y) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    for (int64_t oh = 0; oh < OH; oh++) {
        const float *r0 = x + 2 * oh * W, *r1 = r0 + W;
        float *yr = y + oh * OW;
        for (int64_t ow = 0; ow < OW; ow += 16) {
            int64_t n = OW - ow < 16 ? OW - ow : 16;  // outputs; inputs 2n
            __mmask16 mo = (__mmask16)((1u << n) - 1u);
            __mmask16 mlo = n >= 8 ? (__mmask16)0xffff : (__mmask16)((1u << (2 * n)) - 1u);
            __mmask16 mhi = n > 8 ? (__mmask16)((1u << (2 * n - 16)) - 1u) : 0;
            const float *a = r0 + 2 * ow, *b = r1 + 2 * ow;
            __m512 a0 = _mm512_maskz_loadu_ps(mlo, a), a1 = _mm512_maskz_loadu_ps(mhi, a + 16);
            __m512 b0 = _mm512_maskz_loadu_ps(mlo, b), b1 = _mm512_maskz_loadu_ps(mhi, b + 16);
            // The reference's order, x00 x01 x10 x11, each `v > m ? v : m`
            // (max_ps(v, m)): the first of equal values wins (-0 vs 0).
            __m512 m = _mm512_max_ps(_mm512_permutex2var_ps(a0, odd, a1), _mm512_permutex2var_ps(a0, even, a1));
            m = _mm512_max_ps(_mm512_permutex2var_ps(b0, even, b1), m);
            m = _mm512_max_ps(_mm512_permutex2var_ps(b0, odd, b1), m);
            _mm512_mask_storeu_ps(yr + ow, mo, m);
        }
    }
}
#endif

typedef struct {
    const ok_pool_params *prm;
    const float *x;
    float *y;
} pool_job;

static void pool_range(void *ctx, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const pool_job *job = (const pool_job *)ctx;
    const ok_pool_params *prm = job->prm;
#if defined(__x86_64__)
    if (pool_is_max2x2s2(prm) && ok_isa_enabled(OK_ISA_AVX512)) {
        int64_t in_plane = prm->in[1] * prm->in[2], out_plane = prm->out[1] * prm->out[2];
        for (int64_t p = begin; p < end; p++)
            max2x2s2_plane__avx512(job->x + p * in_plane, prm->in[2], prm->out[1], prm->out[2], job->y + p * out_plane);
        return;
    }
#endif
    if (is_plain_2d(prm)) {
        const int avx2 = pool_use_avx2();
        int64_t in_plane = prm->in[1] * prm->in[2], out_plane = prm->out[1] * prm->out[2];
        for (int64_t p = begin; p < end; p++) {
            if (prm->in[2] <= POOL_COL_CAP)
                plane_2d_separable(prm, job->x + p * in_plane, job->y + p * out_plane, avx2);
            else if (prm->kind == OK_POOL_MAX)
                max_plane_2d(prm, job->x + p * in_plane, job->y + p * out_plane);
            else
                avg_plane_2d(prm, job->x + p * in_plane, job->y + p * out_plane);
        }
    } else {
        pool_planes_ref(prm, job->x, job->y, begin, end);
    }
}

/// A window that is the whole unpadded input (kws's AveragePool 25x5 over 25x5) is a
/// global pool: one contiguous reduction per plane instead of column sums of
/// 5-wide rows.
static int pool_is_global(const ok_pool_params *prm) {
    if (prm->kind != OK_POOL_MAX && prm->kind != OK_POOL_AVG) return 0;
    for (int i = 0; i < 3; i++)
        if (prm->out[i] != 1 || prm->kernel[i] != prm->in[i] || prm->pad_begin[i] != 0 || prm->pad_end[i] != 0 ||
            (prm->kernel[i] > 1 && prm->dilation[i] != 1))
            return 0;
    return 1;
}

/// Planes per task when a pool's planes are split over threads: at least ~32K window
/// positions per task (float and 8-bit pools alike).
static int64_t pool_plane_grain(const ok_pool_params *prm) {
    int64_t work = prm->out[0] * prm->out[1] * prm->out[2] * prm->kernel[0] * prm->kernel[1] * prm->kernel[2];
    return work > 0 ? 1 + 32768 / work : prm->planes;
}

void ok_pool_f32(const ok_pool_params *prm, const float *x, float *y, ok_pool *pool) {
    if (pool_is_global(prm)) {
        int64_t n = prm->in[0] * prm->in[1] * prm->in[2];
        if (prm->kind == OK_POOL_AVG) ok_global_avg_pool_f32(x, y, prm->planes, n, pool);
        else ok_global_max_pool_f32(x, y, prm->planes, n, pool);
        return;
    }
    pool_job job = {prm, x, y};
    ok_pool_parallel_for(pool, prm->planes, pool_plane_grain(prm), pool_range, &job);
}

// ---- global pooling ---------------------------------------------------------------

typedef struct {
    const float *x;
    float *y;
    int64_t n;
} global_job;

static void global_avg_range(void *ctx, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const global_job *job = (const global_job *)ctx;
    const int64_t n = job->n;
    for (int64_t p = begin; p < end; p++) {
        const float *x = job->x + p * n;
        // Eight partial sums: vectorisable and a little more accurate than one.
        float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t i = 0;
        for (; i + 8 <= n; i += 8)
            for (int l = 0; l < 8; l++) s[l] += x[i + l];
        float acc = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
        for (; i < n; i++) acc += x[i];
        job->y[p] = n > 0 ? acc / (float)n : 0.0f;
    }
}

static void global_max_range(void *ctx, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const global_job *job = (const global_job *)ctx;
    const int64_t n = job->n;
    for (int64_t p = begin; p < end; p++) {
        const float *x = job->x + p * n;
        float m = -INFINITY;
        for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
        job->y[p] = m;
    }
}

void ok_global_avg_pool_f32(const float *x, float *y, int64_t planes, int64_t n, ok_pool *pool) {
    global_job job = {x, y, n};
    ok_pool_parallel_for(pool, planes, n > 0 ? 1 + 16384 / n : planes, global_avg_range, &job);
}

void ok_global_max_pool_f32(const float *x, float *y, int64_t planes, int64_t n, ok_pool *pool) {
    global_job job = {x, y, n};
    ok_pool_parallel_for(pool, planes, n > 0 ? 1 + 16384 / n : planes, global_max_range, &job);
}

// ---- max pooling with indices, and 8-bit max pooling ------------------------------

// Max over one window of plane p; returns the flat input index of the first maximum
// (row-major, or column-major over the spatial dims when storage_order is 1).
#define DEFINE_MAX_WINDOW(NAME, T)                                                                  \
    static T NAME(const ok_pool_params *prm, const T *x, int64_t od, int64_t oh, int64_t ow,       \
                  int64_t *where, int storage_order) {                                              \
        int first = 1;                                                                              \
        T best = 0;                                                                                 \
        int64_t at = -1;                                                                            \
        for (int64_t a = 0; a < prm->kernel[0]; a++) {                                              \
            int64_t d = od * prm->stride[0] - prm->pad_begin[0] + a * prm->dilation[0];             \
            if (d < 0 || d >= prm->in[0]) continue;                                                 \
            for (int64_t b = 0; b < prm->kernel[1]; b++) {                                          \
                int64_t h = oh * prm->stride[1] - prm->pad_begin[1] + b * prm->dilation[1];         \
                if (h < 0 || h >= prm->in[1]) continue;                                             \
                for (int64_t c = 0; c < prm->kernel[2]; c++) {                                      \
                    int64_t w = ow * prm->stride[2] - prm->pad_begin[2] + c * prm->dilation[2];     \
                    if (w < 0 || w >= prm->in[2]) continue;                                         \
                    T v = x[(d * prm->in[1] + h) * prm->in[2] + w];                                 \
                    if (first || v > best) {                                                        \
                        first = 0;                                                                  \
                        best = v;                                                                   \
                        at = storage_order ? (w * prm->in[1] + h) * prm->in[0] + d                  \
                                           : (d * prm->in[1] + h) * prm->in[2] + w;                 \
                    }                                                                               \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
        if (where) *where = at;                                                                     \
        return best;                                                                                \
    }

DEFINE_MAX_WINDOW(max_window_f32, float)
DEFINE_MAX_WINDOW(max_window_u8, uint8_t)
DEFINE_MAX_WINDOW(max_window_s8, int8_t)

// AVX-512BW pieces of the 8-bit separable max pool below (64 bytes per vector,
// masked tails; max is exact, so the result is the window loop's): the row max, the
// 2-wide stride-2 column max (pairs of bytes as 16-bit words: max with the word
// shifted right by 8, then vpmovwb keeps the low bytes) and the stride-1 column max
// (kw shifted loads). sgn picks vpmaxsb (s8) or vpmaxub (u8).
#if defined(__x86_64__)
#define OK_POOL_AVX512BW __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
#define OK_POOL_VBMI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi")))
static int pool8_use_avx512(void) { return ok_isa_enabled(OK_ISA_AVX512); }
OK_POOL_AVX512BW static inline __m512i pool8_max(__m512i a, __m512i b, int sgn) {
    return sgn ? _mm512_max_epi8(a, b) : _mm512_max_epu8(a, b);
}
static inline __mmask64 pool8_mask(int64_t n) { return n >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1); }
/// tmp[w] = max(tmp[w], row[w]) for w < W.
OK_POOL_AVX512BW static void pool8_rowmax__avx512bw(uint8_t *tmp, const uint8_t *row, int64_t W, int sgn) {
    for (int64_t w = 0; w < W; w += 64) {
        __mmask64 k = pool8_mask(W - w);
        __m512i m = pool8_max(_mm512_maskz_loadu_epi8(k, tmp + w), _mm512_maskz_loadu_epi8(k, row + w), sgn);
        _mm512_mask_storeu_epi8(tmp + w, k, m);
    }
}
/// y[i] = max(t[2i], t[2i + 1]) for i < n.
OK_POOL_AVX512BW static void pool8_pairs__avx512bw(const uint8_t *t, int64_t n, uint8_t *y, int sgn) {
    for (int64_t i = 0; i < n; i += 32) {
        int64_t m = n - i >= 32 ? 32 : n - i;
        __m512i v = _mm512_maskz_loadu_epi8(pool8_mask(2 * m), t + 2 * i);
        __m512i r = pool8_max(v, _mm512_srli_epi16(v, 8), sgn);
        _mm256_mask_storeu_epi8(y + i, (__mmask32)(m == 32 ? 0xffffffffu : (1u << m) - 1u), _mm512_cvtepi16_epi8(r));
    }
}
/// y[i] = max(t[i .. i + kw)) for i < n (t holds n + kw - 1 bytes).
OK_POOL_AVX512BW static void pool8_s1__avx512bw(const uint8_t *t, int64_t kw, int64_t n, uint8_t *y, int sgn) {
    for (int64_t i = 0; i < n; i += 64) {
        __mmask64 k = pool8_mask(n - i);
        __m512i m = _mm512_maskz_loadu_epi8(k, t + i);
        for (int64_t c = 1; c < kw; c++) m = pool8_max(m, _mm512_maskz_loadu_epi8(k, t + i + c), sgn);
        _mm512_mask_storeu_epi8(y + i, k, m);
    }
}
/// 2x2 stride-2 windows, both rows in bounds: y[i] = max of a[2i], a[2i+1], b[2i],
/// b[2i+1] for i < n, straight from the two input rows (no row buffer).
OK_POOL_AVX512BW static void pool8_2x2__avx512bw(const uint8_t *a, const uint8_t *b, int64_t n, uint8_t *y, int sgn) {
    for (int64_t i = 0; i < n; i += 32) {
        int64_t m = n - i >= 32 ? 32 : n - i;
        __mmask64 k = pool8_mask(2 * m);
        __m512i v = pool8_max(_mm512_maskz_loadu_epi8(k, a + 2 * i), _mm512_maskz_loadu_epi8(k, b + 2 * i), sgn);
        __m512i r = pool8_max(v, _mm512_srli_epi16(v, 8), sgn);
        _mm256_mask_storeu_epi8(y + i, (__mmask32)(m == 32 ? 0xffffffffu : (1u << m) - 1u), _mm512_cvtepi16_epi8(r));
    }
}
/// 2x2 stride-2 windows tiling planes of width W exactly, W a power of two <= 32 (tiny's
/// 32- and 16-wide planes): the input is then a run of R row pairs of 2W bytes (top row,
/// bottom row) and y the R * W/2 outputs in order, so whole 64-byte vectors go through
/// at once instead of one masked half-vector per output row (each 16 outputs: a load,
/// three vpermb, two max, a store). Byte i meets byte i ^ W (the other row), then
/// i ^ 1 (the other column); the window maxima sit on the bytes with bits W and 1
/// clear, which the third vpermb packs into the low 16 bytes in output order.
OK_POOL_VBMI static void pool8_2x2_tiled__vbmi(const uint8_t *x, int64_t R, int64_t W, uint8_t *y, int sgn) {
    // The permutations, made in registers (tables filled byte by byte cost more than
    // tiny's whole pools): output j is byte i = j * 2 with a 0 bit inserted at bit W.
    static const uint8_t iota[64] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                     16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
                                     32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
                                     48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};
    const __m512i io = _mm512_loadu_si512(iota);
    const __m512i ir = _mm512_xor_si512(io, _mm512_set1_epi8((char)W)), ic = _mm512_xor_si512(io, _mm512_set1_epi8(1));
    const __m512i j2 = _mm512_add_epi8(io, io), low = _mm512_set1_epi8((char)(W - 1));
    // (j2 & (W - 1)) | ((j2 & ~(W - 1)) << 1); bytes 16.. are not stored.
    const __m512i ip = _mm512_or_si512(_mm512_and_si512(j2, low),
                                       _mm512_add_epi8(_mm512_andnot_si512(low, j2), _mm512_andnot_si512(low, j2)));
    const int64_t bytes = R * 2 * W, outs = R * W / 2;
    for (int64_t b = 0, o = 0; b < bytes; b += 64, o += 16) {
        __m512i v = _mm512_maskz_loadu_epi8(pool8_mask(bytes - b), x + b);  // the tail: whole row pairs
        v = pool8_max(v, _mm512_permutexvar_epi8(ir, v), sgn);
        v = pool8_max(v, _mm512_permutexvar_epi8(ic, v), sgn);
        __mmask16 k = outs - o >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (outs - o)) - 1u);
        _mm_mask_storeu_epi8(y + o, k, _mm512_castsi512_si128(_mm512_permutexvar_epi8(ip, v)));
    }
}
/// Stride-1 "same" pools (output plane = input plane) on planes of at most 64 bytes
/// (YOLO's SPPF: 5x5 windows, pads 2, on 64 planes of 5x5): k = 64 / (H*W) whole planes
/// per vector, and every window is (kh - 1) + (kw - 1) shifted copies of the vector
/// (vpermb) max-ed in under masks that keep each lane's shifts inside its own row, then
/// its own plane (padding contributes nothing, as the window loop skips it). The
/// separable path paid ~100 ns of row-buffer setup per 25-byte plane.
OK_POOL_VBMI static void pool8_small_planes__vbmi(const uint8_t *x, uint8_t *y, int64_t planes, int H, int W, int kh,
                                                  int kw, int ph, int pw, int sgn) {
    const int P = H * W, per = 64 / P, bytes = per * P;
    uint8_t idx[64];
    // Horizontal pass: lane i (column c = i % W within its plane) takes lane i + d for
    // d in [-pw, kw - 1 - pw] when 0 <= c + d < W; the vertical pass the same with rows.
    __m512i hidx[64], vidx[64];
    __mmask64 hmask[64], vmask[64];
    int nh = 0, nv = 0;
    for (int d = -pw; d <= kw - 1 - pw; d++) {
        if (d == 0) continue;
        __mmask64 m = 0;
        for (int i = 0; i < 64; i++) {
            int c = (i % P) % W, ok = i < bytes && c + d >= 0 && c + d < W;
            idx[i] = (uint8_t)(ok ? i + d : i);
            if (ok) m |= (__mmask64)1 << i;
        }
        if (!m) continue;  // a shift past every row (windows wider than the plane)
        hidx[nh] = _mm512_loadu_si512(idx);
        hmask[nh++] = m;
    }
    for (int d = -ph; d <= kh - 1 - ph; d++) {
        if (d == 0) continue;
        __mmask64 m = 0;
        for (int i = 0; i < 64; i++) {
            int r = (i % P) / W, ok = i < bytes && r + d >= 0 && r + d < H;
            idx[i] = (uint8_t)(ok ? i + d * W : i);
            if (ok) m |= (__mmask64)1 << i;
        }
        if (!m) continue;
        vidx[nv] = _mm512_loadu_si512(idx);
        vmask[nv++] = m;
    }
    for (int64_t p = 0; p < planes; p += per) {
        const int64_t np = planes - p < per ? planes - p : per;
        const __mmask64 k = pool8_mask(np * P);
        const __m512i v = _mm512_maskz_loadu_epi8(k, x + p * P);
        __m512i h = v;
        for (int t = 0; t < nh; t++) {
            const __m512i s = _mm512_permutexvar_epi8(hidx[t], v);
            h = sgn ? _mm512_mask_max_epi8(h, hmask[t], h, s) : _mm512_mask_max_epu8(h, hmask[t], h, s);
        }
        __m512i o = h;
        for (int t = 0; t < nv; t++) {
            const __m512i s = _mm512_permutexvar_epi8(vidx[t], h);
            o = sgn ? _mm512_mask_max_epi8(o, vmask[t], o, s) : _mm512_mask_max_epu8(o, vmask[t], o, s);
        }
        _mm512_mask_storeu_epi8(y + p * P, k, o);
    }
}
#define POOL8_SMALL_OK() ok_cpu_has_avx512_vbmi()
#define POOL8_SMALL(x, planes, H, W, kh, kw, ph, pw, y, sgn)                                                    \
    pool8_small_planes__vbmi((const uint8_t *)(x), (uint8_t *)(y), (planes), (int)(H), (int)(W), (int)(kh), \
                             (int)(kw), (int)(ph), (int)(pw), (sgn))
#define POOL8_USE_AVX512() pool8_use_avx512()
#define POOL8_TILED_OK(W) (((W) & ((W) - 1)) == 0 && (W) <= 32 && ok_cpu_has_avx512_vbmi())
#define POOL8_2X2_TILED(x, R, W, y, sgn) pool8_2x2_tiled__vbmi((const uint8_t *)(x), (R), (W), (uint8_t *)(y), (sgn))
#define POOL8_2X2(a, b, n, y, sgn) pool8_2x2__avx512bw((const uint8_t *)(a), (const uint8_t *)(b), (n), (uint8_t *)(y), (sgn))
#define POOL8_ROWMAX(tmp, row, W, sgn) pool8_rowmax__avx512bw((uint8_t *)(tmp), (const uint8_t *)(row), (W), (sgn))
#define POOL8_PAIRS(t, n, y, sgn) pool8_pairs__avx512bw((const uint8_t *)(t), (n), (uint8_t *)(y), (sgn))
#define POOL8_S1(t, kw, n, y, sgn) pool8_s1__avx512bw((const uint8_t *)(t), (kw), (n), (uint8_t *)(y), (sgn))
#else
#define POOL8_USE_AVX512() 0
#define POOL8_SMALL_OK() 0
#define POOL8_SMALL(x, planes, H, W, kh, kw, ph, pw, y, sgn) ((void)(x), (void)(y))
#define POOL8_TILED_OK(W) 0
#define POOL8_2X2_TILED(x, R, W, y, sgn) ((void)(x), (void)(y))
#define POOL8_2X2(a, b, n, y, sgn) ((void)(a), (void)(b), (void)(y))
#define POOL8_ROWMAX(tmp, row, W, sgn) ((void)0)
#define POOL8_PAIRS(t, n, y, sgn) ((void)0)
#define POOL8_S1(t, kw, n, y, sgn) ((void)0)
#endif

// 8-bit max pooling without indices, 2-D, no dilation: separable (column max over
// the window's rows into a row buffer, then the max over each window's columns).
// Same result as the window loop (max is exact); ~10x faster on YOLO's SPPF pools.
#define DEFINE_MAXPOOL_2D_FAST(NAME, T, SGN)                                                        \
    static int NAME(const ok_pool_params *prm, const T *x, T *y) {                                  \
        if (prm->in[0] != 1 || prm->out[0] != 1 || prm->kernel[0] != 1) return 0;                   \
        if (prm->dilation[1] != 1 || prm->dilation[2] != 1) return 0;                               \
        const int64_t H = prm->in[1], W = prm->in[2], OH = prm->out[1], OW = prm->out[2];           \
        const int64_t kh = prm->kernel[1], kw = prm->kernel[2], sh = prm->stride[1];                \
        const int64_t sw = prm->stride[2], ph = prm->pad_begin[1], pw = prm->pad_begin[2];          \
        T tmpbuf[64 + 4096 + 64];                                                                   \
        T *tmp = tmpbuf + 64;                                                                       \
        if (W > 4096 || W <= 0) return 0;                                                           \
        const int64_t in_plane = H * W, out_plane = OH * OW;                                        \
        const int v512 = POOL8_USE_AVX512();                                                        \
        if (v512 && sh == 1 && sw == 1 && OH == H && OW == W && H * W <= 64 && ph < kh && pw < kw &&  \
            kh <= 64 && kw <= 64 &&                                                                 \
            POOL8_SMALL_OK()) {                                                                     \
            POOL8_SMALL(x, prm->planes, H, W, kh, kw, ph, pw, y, SGN);                              \
            return 1;                                                                               \
        }                                                                                           \
        if (v512 && kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && 2 * OH <= H &&  \
            2 * OW <= W && OH > 0 && OW > 0) {                                                      \
            /* Every window whole (no window check needed): one pass over each pair of */           \
            /* rows (YOLO's stem pool, 16 x 160 x 160, went 23 -> ~6 us with no row buffer); */      \
            /* the pairs of all planes in one loop, pointers stepped (tiny's 8- and 16-wide */      \
            /* rows paid a call and the window checks per row). */                                   \
            if (H == 2 * OH && W == 2 * OW && POOL8_TILED_OK(W)) {                                  \
                POOL8_2X2_TILED(x, prm->planes * OH, W, y, SGN);                                    \
                return 1;                                                                           \
            }                                                                                       \
            const T *r0 = x;                                                                        \
            T *yr = y;                                                                              \
            for (int64_t p = 0; p < prm->planes; p++, r0 = x + p * in_plane)                        \
                for (int64_t oh = 0; oh < OH; oh++, r0 += 2 * W, yr += OW)                          \
                    POOL8_2X2(r0, r0 + W, OW, yr, SGN);                                             \
            return 1;                                                                               \
        }                                                                                           \
        for (int64_t oh = 0; oh < OH; oh++) {                                                       \
            int64_t h0 = oh * sh - ph, r0 = h0 < 0 ? 0 : h0, r1 = h0 + kh > H ? H : h0 + kh;         \
            if (r0 >= r1) return 0;                                                                 \
            for (int64_t ow = 0; ow < OW; ow++) {                                                   \
                int64_t w0 = ow * sw - pw, c0 = w0 < 0 ? 0 : w0, c1 = w0 + kw > W ? W : w0 + kw;     \
                if (c0 >= c1) return 0;                                                             \
            }                                                                                       \
        }                                                                                           \
        /* Stride 1: the row buffer gets 64 cells of the type's lowest value on both sides, */      \
        /* so every window, padded ones too, is kw shifted vector loads (max with the */             \
        /* lowest value changes nothing; every window has an input cell, checked above). */         \
        const int padded = v512 && sw == 1 && pw < 64 && kw <= 64;                                  \
        if (padded) {                                                                               \
            memset(tmpbuf, SGN ? 0x80 : 0, 64);                                                     \
            memset(tmp + W, SGN ? 0x80 : 0, 64);                                                    \
        }                                                                                           \
        for (int64_t p = 0; p < prm->planes; p++) {                                                 \
            const T *xp = x + p * in_plane;                                                         \
            T *yp = y + p * out_plane;                                                              \
            for (int64_t oh = 0; oh < OH; oh++) {                                                   \
                int64_t h0 = oh * sh - ph, r0 = h0 < 0 ? 0 : h0, r1 = h0 + kh > H ? H : h0 + kh;     \
                memcpy(tmp, xp + r0 * W, (size_t)W * sizeof(T));                                    \
                for (int64_t r = r0 + 1; r < r1; r++) {                                             \
                    const T *row = xp + r * W;                                                      \
                    if (v512) {                                                                     \
                        POOL8_ROWMAX(tmp, row, W, SGN);                                             \
                        continue;                                                                   \
                    }                                                                               \
                    for (int64_t w = 0; w < W; w++) tmp[w] = row[w] > tmp[w] ? row[w] : tmp[w];     \
                }                                                                                   \
                T *yr = yp + oh * OW;                                                               \
                int64_t ow = 0, vlo = 0, vhi = 0; /* [vlo, vhi): stride-1 windows inside the row */ \
                if (kw == 2 && sw == 2 && pw == 0) {                                                \
                    /* 2-wide stride-2 windows inside the row (YOLO's 2x2 pools): a loop */          \
                    /* the compiler vectorizes; the generic one was 17% of yolo int8. */             \
                    int64_t n = OW < W / 2 ? OW : W / 2;                                            \
                    if (v512) {                                                                     \
                        POOL8_PAIRS(tmp, n, yr, SGN);                                               \
                        ow = n;                                                                     \
                    }                                                                               \
                    for (; ow < n; ow++) {                                                          \
                        T a = tmp[2 * ow], b = tmp[2 * ow + 1];                                     \
                        yr[ow] = b > a ? b : a;                                                     \
                    }                                                                               \
                } else if (padded) {                                                                \
                    vlo = 0;                                                                        \
                    vhi = OW;                                                                       \
                    POOL8_S1(tmp - pw, kw, OW, yr, SGN);                                            \
                } else if (v512 && sw == 1) {                                                       \
                    vlo = pw < OW ? pw : OW;                                                        \
                    vhi = W + pw - kw + 1 < OW ? W + pw - kw + 1 : OW;                              \
                    if (vhi > vlo) POOL8_S1(tmp + (vlo - pw), kw, vhi - vlo, yr + vlo, SGN);        \
                }                                                                                   \
                for (; ow < OW; ow++) {                                                             \
                    if (ow == vlo && vhi > vlo) {                                                   \
                        ow = vhi - 1;                                                               \
                        continue;                                                                   \
                    }                                                                               \
                    int64_t w0 = ow * sw - pw, c0 = w0 < 0 ? 0 : w0, c1 = w0 + kw > W ? W : w0 + kw; \
                    T m = tmp[c0];                                                                  \
                    for (int64_t c = c0 + 1; c < c1; c++) m = tmp[c] > m ? tmp[c] : m;              \
                    yr[ow] = m;                                                                     \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
        return 1;                                                                                   \
    }

DEFINE_MAXPOOL_2D_FAST(maxpool_2d_fast_u8, uint8_t, 0)
DEFINE_MAXPOOL_2D_FAST(maxpool_2d_fast_s8, int8_t, 1)
static int maxpool_2d_fast_f32(const ok_pool_params *prm, const float *x, float *y) {
    (void)prm; (void)x; (void)y;
    return 0;  // float max pooling without indices goes through ok_pool_f32
}

#define DEFINE_MAXPOOL(NAME, WINDOW, T, FAST)                                                       \
    void NAME(const ok_pool_params *prm, const T *x, T *y, int64_t *indices, int storage_order) {   \
        if (!indices && FAST(prm, x, y)) return;                                                    \
        int64_t in_plane = prm->in[0] * prm->in[1] * prm->in[2];                                    \
        int64_t out_plane = prm->out[0] * prm->out[1] * prm->out[2];                                \
        for (int64_t p = 0; p < prm->planes; p++) {                                                 \
            int64_t e = p * out_plane;                                                              \
            for (int64_t od = 0; od < prm->out[0]; od++)                                            \
                for (int64_t oh = 0; oh < prm->out[1]; oh++)                                        \
                    for (int64_t ow = 0; ow < prm->out[2]; ow++, e++) {                             \
                        int64_t at = -1;                                                            \
                        y[e] = WINDOW(prm, x + p * in_plane, od, oh, ow, indices ? &at : NULL,      \
                                      storage_order);                                               \
                        if (indices) indices[e] = at < 0 ? -1 : p * in_plane + at;                  \
                    }                                                                               \
        }                                                                                           \
    }

DEFINE_MAXPOOL(ok_maxpool_indices_f32, max_window_f32, float, maxpool_2d_fast_f32)
DEFINE_MAXPOOL(ok_maxpool_u8, max_window_u8, uint8_t, maxpool_2d_fast_u8)
DEFINE_MAXPOOL(ok_maxpool_s8, max_window_s8, int8_t, maxpool_2d_fast_s8)

typedef struct {
    const ok_pool_params *prm;
    const uint8_t *x;
    uint8_t *y;
    int s8;
} maxpool8_job;

/// Planes [begin, end) as a pool of their own (the same code on fewer planes).
static void maxpool8_range(void *raw, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const maxpool8_job *j = raw;
    ok_pool_params sub = *j->prm;
    sub.planes = end - begin;
    const int64_t in_plane = sub.in[0] * sub.in[1] * sub.in[2], out_plane = sub.out[0] * sub.out[1] * sub.out[2];
    const uint8_t *x = j->x + begin * in_plane;
    uint8_t *y = j->y + begin * out_plane;
    if (j->s8) ok_maxpool_s8(&sub, (const int8_t *)x, (int8_t *)y, NULL, 0);
    else ok_maxpool_u8(&sub, x, y, NULL, 0);
}

void ok_maxpool8_pool(const ok_pool_params *prm, const void *x, void *y, int s8, ok_pool *pool) {
    maxpool8_job j = {prm, (const uint8_t *)x, (uint8_t *)y, s8};
    ok_pool_parallel_for(pool, prm->planes, pool_plane_grain(prm), maxpool8_range, &j);
}
