// Private declarations shared by qgemm*.c and qconv*.c (int8 GEMM / convolution).
#ifndef OUTPOST_QGEMM_INTERNAL_H
#define OUTPOST_QGEMM_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include "ok_qgemm.h"
#include "ok_cpu.h"
#include "ok_portable.h"

#if defined(__x86_64__) || defined(__i386__)
#define OK_Q_X86 1
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
#define OK_Q_NEON 1
#endif
#if defined(__aarch64__)
#define OK_Q_A64 1
#endif

/// Packed layout (per ISA): K is split in groups of `ku` consecutive k; a panel of
/// MR rows (A) or NR columns (B) stores, for each group g, for each row/column r of
/// the panel, its ku elements: elem(g, r, u) at ((g * MR + r) * ku + u). Elements are
/// `es` bytes: 1 = the int8 domain value, 2 = int16 (AVX2 / NEON widen at pack time).
/// Rows/columns/k beyond the matrix are 0. A's domain is u8 (a_s8 = 0) or, for the
/// sdot kernel, s8 = u8 - 128 (a_s8 = 1); B's domain is always s8.
/// Kernel: tile[MR x NR] (row stride NR) = sum over kg groups of a_panel . b_panel
/// (raw products, no zero-point correction; the driver's epilogue does that).
typedef void (*ok_qgemm_ukernel)(int kg, const void *a, const void *b, int32_t *tile);

/// Epilogue over a rows x cols int32 block (row stride ldt), see ok_qepi.
struct ok_qepi;
typedef void (*ok_qepi_fn)(const struct ok_qepi *e, const int32_t *acc, ptrdiff_t ldt, int rows, int cols,
                           int row0, int col0);

/// Packs one full panel (w columns) of a row-major B: src points at (k = 0, first
/// column), ld bytes between k rows; flip = 0x80 for u8 sources (to s8), else 0.
/// Writes the panel (K tail zero-padded) and the w column sums (domain values).
typedef void (*ok_qpack_b_panel_fn)(const uint8_t *src, ptrdiff_t ld, int K, int flip, void *panel, int32_t *sums);

/// Fused epilogue of a full tile (uniform zero points): the kernel starts its
/// accumulators at colc[j] + rowc[i] (zero-point correction + bias), then scales,
/// rounds, clamps and stores C straight from the registers.
typedef struct {
    /// Row constants of the tile's rows (16 readable; rows past mr unused): pointers into
    /// the driver's per-row-block cache, not copies (three 64-byte copies per tile were a
    /// part of the driver's cost on MobileNet's many small tiles).
    const int32_t *rowc;
    const float *rows, *rowfb;
    /// Column constants of the tile's columns (32 readable, 64-byte aligned; columns past
    /// nr unused): pointers into the driver's per-block cache or into the buffers below,
    /// not copies (rows first, three 128-byte copies per tile were ~a third of the
    /// driver's cost on MobileNet's 64x64 pointwise layers).
    const int32_t *colc;
    const float *cols, *colfb;
    int32_t colc_buf[32] __attribute__((aligned(64)));
    float cols_buf[32] __attribute__((aligned(64)));
    float colfb_buf[32] __attribute__((aligned(64)));
    int out, col_scale, has_fb, col_fb;
    float lo, hi;
    int32_t zp;
    /// u8 / s8 outputs over the type's whole range with every scale |s| <= 0.5 (finite):
    /// 1 (u8) / 2 (s8) lets the VNNI kernel round, add zp and saturate while narrowing
    /// instead of clamping in float (same bytes); 0 otherwise.
    int sat;
    /// u8 / s8 outputs with every scale |s| <= 0.5 (finite): 1 (u8) / 2 (s8) lets the VNNI
    /// kernel narrow full 32-column tiles two rows at a time with saturating packs (round,
    /// + zp in int16, pack, then clamp to [qlo, qhi] as bytes: same bytes, since clamping
    /// to integer bounds commutes with rounding and the saturations keep each side of
    /// the bounds); 0 otherwise.
    int pack, qlo, qhi;
} ok_qfuse;
/// Stores the first mr rows and nr columns of the tile.
typedef void (*ok_qgemm_fused_fn)(int kg, const void *a, const void *b, const ok_qfuse *f, void *C, ptrdiff_t ldc,
                                  int mr, int nr);

typedef struct {
    int isa;
    int mr, nr, ku, es, a_s8;
    ok_qgemm_ukernel fn;
    ok_qepi_fn epi;
    const char *name;
    ok_qpack_b_panel_fn pack_b_panel;  // NULL: generic packer only
    ok_qgemm_fused_fn fused;           // NULL: always tile + epilogue function
} ok_qgemm_kernel_desc;

/// Everything the epilogue needs: zero-point correction sums (packed domain) and the
/// user's ok_qepilogue. acc_true = acc + za[m] * cb[n] - zb[n] * ra[m] (+ bias), with
/// cb[n] = K * zb[n] - colsum_b[n], ra[m] = rowsum_a[m].
typedef struct ok_qepi {
    const int32_t *za, *ra;   // per row (indexed by global row); za NULL: no correction (acc exact already)
    const int32_t *zb, *cb;   // per column (indexed by global column)
    const ok_qepilogue *ep;
    void *C;
    ptrdiff_t ldc;
    int za_uni, zb_uni;       // 1: every za (zb) equals za0 (zb0): no per-element multiply
    int32_t za0, zb0;
} ok_qepi;

/// The epilogue of the best ISA enabled now (depthwise convolution uses it directly).
ok_qepi_fn ok_qepi_current(void);
void ok_qepi__scalar(const ok_qepi *e, const int32_t *acc, ptrdiff_t ldt, int rows, int cols, int row0, int col0);
/// The reference rounding rule for one value (acc already corrected, bias added).
static inline float ok_q_scale_at(const ok_qepilogue *ep, int m, int n) {
    if (!ep->scale) return 1.0f;
    return ep->scale[ep->scale_per == OK_QPER_ROW ? m : ep->scale_per == OK_QPER_COL ? n : 0];
}

void ok_qgemm_u8s8_4x8__scalar(int kg, const void *a, const void *b, int32_t *tile);
#if OK_Q_X86
void ok_qgemm_u8s8_12x32__avx512vnni(int kg, const void *a, const void *b, int32_t *tile);
void ok_qgemm_u8s8_6x16__avx2(int kg, const void *a, const void *b, int32_t *tile);
void ok_qepi__avx512(const ok_qepi *e, const int32_t *acc, ptrdiff_t ldt, int rows, int cols, int row0, int col0);
void ok_qepi__avx2(const ok_qepi *e, const int32_t *acc, ptrdiff_t ldt, int rows, int cols, int row0, int col0);
void ok_qgemm_u8s8_12x32__avx512vnni_fused(int kg, const void *a, const void *b, const ok_qfuse *f, void *C,
                                           ptrdiff_t ldc, int mr, int nr);
void ok_qgemm_u8s8_6x16__avx2_fused(int kg, const void *a, const void *b, const ok_qfuse *f, void *C, ptrdiff_t ldc,
                                    int mr, int nr);
void ok_qpack_b_panel__avx512vnni(const uint8_t *src, ptrdiff_t ld, int K, int flip, void *panel, int32_t *sums);
/// Two adjacent full panels (64 columns) of the same layout, into panel_a and panel_b.
void ok_qpack_b_pair__avx512vnni(const uint8_t *src, ptrdiff_t ld, int K, int flip, void *panel_a, void *panel_b,
                                 int32_t *sums);
void ok_qpack_b_panel__avx2(const uint8_t *src, ptrdiff_t ld, int K, int flip, void *panel, int32_t *sums);
#endif
#if OK_Q_NEON
void ok_qgemm_u8s8_4x8__neon(int kg, const void *a, const void *b, int32_t *tile);
#if OK_Q_A64
void ok_qgemm_u8s8_8x8__neondot(int kg, const void *a, const void *b, int32_t *tile);
void ok_qgemm_u8s8_8x8__i8mm(int kg, const void *a, const void *b, int32_t *tile);
#endif
#endif

/// Depthwise 2-D geometry (one plane): input H x W, output OH x OW, kernel, strides,
/// dilations, leading pads.
typedef struct {
    int H, W, OH, OW, KH, KW, sh, sw, dh, dw, ph, pw;
} ok_qdw_geom;
#if OK_Q_X86
/// The AVX-512 direct depthwise kernel (qconv_dw_avx512.c): 0 if it does not take
/// this geometry (stride > 2, kernel volume > 256), else the tile rows / row stride.
int ok_qdw_tile_plan__avx512(const ok_qdw_geom *g, int *th, int *tw);
/// Workspace per thread (0 if not taken).
size_t ok_qdw_tile_bytes__avx512(const ok_qdw_geom *g);
/// Planes [c0, c1) of batch x cout (plane pc is channel pc % cout): y = epilogue(conv(x - zx, w)),
/// w = (w - zw) as float [c][kh][kw]; ep bias / scale / fbias per channel (ROW) or per tensor.
void ok_qdw_planes__avx512(const ok_qdw_geom *g, const uint8_t *x, int tx, int32_t zx, const float *w, void *y,
                           const ok_qepilogue *ep, int c0, int c1, int cout, float *tile);
/// The AVX-512 VNNI depthwise kernel (qconv_dw_vnni.c): 1 if it takes this geometry
/// (strides sw 1 or 2, dw 1); workspace per thread (0 if not taken).
int ok_qdw_plan__vnni(const ok_qdw_geom *g);
size_t ok_qdw_tile_bytes__vnni(const ok_qdw_geom *g);
/// Planes [c0, c1) of batch x cout: wq = (w - zw) as s8, [c][kh][ceil(KW/4)] groups of
/// 4 taps (taps beyond KW 0), wsum[c] = sum of w - zw; ep per channel or per tensor.
void ok_qdw_planes__vnni(const ok_qdw_geom *g, const uint8_t *x, int tx, int32_t zx, const int32_t *wq,
                         const int32_t *wsum, void *y, const ok_qepilogue *ep, int c0, int c1, int cout, void *ws);
/// The AVX-512 depthwise kernel vectorised across channels, for narrow planes
/// (qconv_dw_channels_avx512.c): 1 if its tiles hold the geometry (kernel volume <=
/// OK_QDWC_MAX_TAPS); workspace per thread.
enum { OK_QDWC_MAX_TAPS = 49 };
int ok_qdw_channels_fits__avx512(const ok_qdw_geom *g);
size_t ok_qdw_channels_bytes__avx512(void);
/// Blocks [b0, b1) of 16 channels of batch x ceil(cout / 16) (block t: image t / blocks,
/// channels 16 * (t % blocks) ..): wblocks = (w - zw) as float, [block][kh][kw][16]
/// (channels past cout 0); ep per channel or per tensor.
void ok_qdw_channels__avx512(const ok_qdw_geom *g, const uint8_t *x, int tx, int32_t zx, const float *wblocks,
                             void *y, const ok_qepilogue *ep, int b0, int b1, int cout, void *ws);
/// The VNNI + VBMI depthwise kernel vectorised across channels with integer dot
/// products (qconv_dw_channels_vnni.c): 1 if its tile holds the geometry (dw 1, at
/// most 16 tap groups KH * ceil(KW/4)); workspace per thread.
int ok_qdw_channels_fits__vnni(const ok_qdw_geom *g);
size_t ok_qdw_channels_bytes__vnni(void);
/// Blocks [b0, b1) of 16 channels of batch x ceil(cout / 16), as ok_qdw_channels__avx512;
/// wq / wsum as for ok_qdw_planes__vnni ([c][kh][ceil(KW/4)] s8 tap groups, sums of w - zw).
void ok_qdw_channels__vnni(const ok_qdw_geom *g, const uint8_t *x, int tx, int32_t zx, const int32_t *wq,
                           const int32_t *wsum, void *y, const ok_qepilogue *ep, int b0, int b1, int cout, void *ws);
/// The AVX-512 VNNI direct convolution for few input channels (qconv_direct_vnni.c):
/// 2-D, group 1, C_in * KH * ceil(KW/4) <= OK_QDIRECT_MAX_TAPGROUPS, cout <=
/// OK_QDIRECT_MAX_COUT, the depthwise VNNI kernel's geometries (sw 1 or 2, dw 1).
enum { OK_QDIRECT_MAX_TAPGROUPS = 32, OK_QDIRECT_MAX_COUT = 256 };
/// Weights are packed tap-major, wq[t][coutp] (t = (ci, kh, g), four s8 taps per
/// int32, channels past cout 0), and wsum[coutp] = sum of w - zw per channel.
static inline int ok_qconv_direct_coutp(int cout) { return (cout + 7) / 8 * 8; }
int ok_qconv_direct_plan__vnni(const ok_qdw_geom *g, int cin);
/// Workspace (P and Q of every input channel; shared by the threads), 0 if not taken.
size_t ok_qconv_direct_bytes__vnni(const ok_qdw_geom *g, int cin);
/// Output vectors (16 positions each) and whether they are flat (then a thread must
/// own every vector of a channel: flat stores write past their outputs).
int ok_qconv_direct_vectors__vnni(const ok_qdw_geom *g, int *flat);
/// Phase 1: P and Q of input channels [ci0, ci1) of one image x.
void ok_qconv_direct_fill__vnni(const ok_qdw_geom *g, int cin, const uint8_t *x, int tx, int32_t zx, int ci0,
                                int ci1, void *ws);
/// Phase 2: output channels [co0, co1) (multiples of 8, co1 <= coutp) of the output
/// vectors [v0, v1) of one image y.
void ok_qconv_direct_run__vnni(const ok_qdw_geom *g, int cin, int cout, int tx, int32_t zx, const int32_t *wq,
                               const int32_t *wsum, void *y, const ok_qepilogue *ep, int co0, int co1, int v0,
                               int v1, const void *ws);
#endif

const ok_qgemm_kernel_desc *ok_qgemm_kernel_for(int isa);
const ok_qgemm_kernel_desc *ok_qgemm_kernel_current(void);

/// Packed buffer header (64 bytes) then panels, then int32 za/ra (A) or zb/cb (B)
/// arrays of `padded` entries.
typedef struct {
    uint32_t magic;
    int32_t isa, mr, nr, ku, es, a_s8, is_b;
    int32_t rows, depth, padded, kgroups;
} ok_qpack_header;
#define OK_QPACK_MAGIC 0x4b505130u

/// Packs rows [r0, r0+rows) of a "row-major view" S(r, k) = S[r*rs + k*cs] (type t)
/// into `panels` (panel width w, ku, es, domain signed/unsigned) and writes the row sums
/// (domain values) into sums[r - r0]. Used for A (rows = M) and for B (rows = N, the
/// view transposed: rs = csb, cs = rsb).
void ok_qpack_panels(const void *S, int t, ptrdiff_t rs, ptrdiff_t cs, int r0, int rows, int K, int w, int ku,
                     int es, int dst_s8, void *panels, int32_t *sums);
/// Domain value of a zero point: source type t into domain dst_s8.
static inline int32_t ok_q_domain_zp(int32_t z, int t, int dst_s8) {
    if (t == OK_QTYPE_U8 && dst_s8) return z - 128;
    if (t == OK_QTYPE_S8 && !dst_s8) return z + 128;
    return z;
}

/// Runs the GEMM on already packed operands (packed panels of the same kernel).
/// pa: A panels (padded rows), za/ra per row; pb: B panels, zb/cb per column.
void ok_qgemm_packed_run(ok_pool *pool, const ok_qgemm_kernel_desc *k, int M, int N, int K, const void *pa,
                         const int32_t *za, const int32_t *ra, const void *pb, const int32_t *zb,
                         const int32_t *cb, void *C, ptrdiff_t ldc, const ok_qepilogue *ep);

#define OK_QALIGN64(x) (((x) + 63) & ~(size_t)63)
static inline int ok_q_round_up(int x, int m) { return (x + m - 1) / m * m; }
#endif
