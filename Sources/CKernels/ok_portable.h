// Internal to the kernels: OK_X86_PORTABLE marks a portable C instantiation that
// x86-64 runs only on CPUs without AVX2 (the Atom-class fallback) or for the cases
// its AVX2 twin leaves to it (libm calls per element, unusual strides): there it is
// compiled for size (minsize: no auto-vectorised SSE2 copies of the loops, no
// unrolling), about a fifth of its -O3 code (issue 5's size budget,
// docs/size-budget.md). The float operations are the same, so results stay bit for
// bit those of the SIMD twins (-ffp-contract=off; no reassociation either way).
// On ARM the same code is the NEON-vectorised main path and keeps -O3.
#ifndef OUTPOST_OK_PORTABLE_H
#define OUTPOST_OK_PORTABLE_H
#if defined(__x86_64__)
#define OK_X86_PORTABLE __attribute__((minsize))
#else
#define OK_X86_PORTABLE
#endif

// OK_SETUP marks code that runs once per model load or plan, never per element of a
// run: weight packing, lookup-table builds, workspace sizes. Compiled for size on
// every architecture (its -O3 vectorised copies were code for no measurable time).
#define OK_SETUP __attribute__((minsize))

// The x86-64 device build (-DOK_X86_DEVICE, cross-compile/lib.sh; issue 5's 1 MB
// budget, docs/size-budget.md footprint6); host and ARM builds are as before:
// - OK_X86_DRIVER marks the GEMM / convolution drivers: per call, they choose the
//   kernel, split the product into tasks and hand them to the pool (the tasks,
//   packers and kernels they start are separate functions and keep -O3). Compiled
//   for size there.
// - OK_X86_HOT marks the functions that take most of a run (the AVX2 kernels, the
//   GEMM / depthwise tasks and the packers and im2col they call; perf of `outpost
//   bench`): they start on a 64-byte boundary there, so their loops sit at the same
//   offsets within cache lines whatever the size work moves around them
//   (ok_qepi__avx2 at an address ≡ 16 mod 64 instead of 48 made int8 mobilenet
//   3.5% slower, code unchanged).
#if defined(__x86_64__) && defined(OK_X86_DEVICE)
#define OK_X86_DRIVER __attribute__((minsize))
#define OK_X86_HOT __attribute__((aligned(64)))
#else
#define OK_X86_DRIVER
#define OK_X86_HOT
#endif
#endif
