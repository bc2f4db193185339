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
#endif
