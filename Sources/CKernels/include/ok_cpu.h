// CPU feature detection and ISA selection for run-time dispatch.
#ifndef OUTPOST_OK_CPU_H
#define OUTPOST_OK_CPU_H
#include <stdint.h>

/// ISA levels a kernel family may be dispatched to. A CPU supports a set of them.
typedef enum {
    OK_ISA_SCALAR = 0,     // portable C reference
    OK_ISA_AVX2_FMA = 1,   // x86-64: AVX2 + FMA3
    OK_ISA_NEON = 2,       // ARM: Advanced SIMD (aarch64 or armv7 with NEON)
    OK_ISA_NEON_DOT = 3,   // ARMv8.2 dot product (sdot/udot)
    OK_ISA_NEON_I8MM = 4,  // ARMv8.6 int8 matrix multiply (smmla)
    OK_ISA_AVX512 = 5,     // x86-64: AVX-512 F+BW+VL+DQ (+ AVX2/FMA), OS saves ZMM state
    OK_ISA_AVX512_VNNI = 6, // x86-64: AVX512 + AVX-512 VNNI (vpdpbusd)
} ok_isa;

/// Bit mask (1 << ok_isa) of the ISAs this CPU supports. Scalar is always set.
uint32_t ok_cpu_supported_isas(void);
/// Bit mask of the ISAs dispatch may use: supported & allowed (see ok_cpu_restrict).
uint32_t ok_cpu_enabled_isas(void);
/// Restricts dispatch to `mask & supported` (tests use this to run every path);
/// pass 0xffffffff to lift the restriction. Also read from OUTPOST_ISA at start
/// ("scalar", "avx2", "avx512", "vnni", "neon", "dot", "i8mm": the highest level allowed;
/// "avx2" excludes AVX-512, "avx512" keeps AVX2 for the kernels without an AVX-512 path).
void ok_cpu_restrict(uint32_t mask);
/// Human-readable name of an ISA ("scalar", "avx2+fma", "neon", "neon-dot", "neon-i8mm", "avx512", "avx512-vnni").
const char *ok_isa_name(ok_isa isa);
/// 1 if `isa` is enabled for dispatch.
int ok_isa_enabled(ok_isa isa);
/// 1 if the CPU has AVX-512 VBMI (byte permutes: vpermb, vpermt2b). Not an ISA level of
/// its own (Cascade Lake has VNNI without it): kernels that need it check it on top of
/// their level, so OUTPOST_ISA still restricts them.
int ok_cpu_has_avx512_vbmi(void);

/// OK_NO_AVX512: set only by the x86-64 device build's C flags (cross-compile/lib.sh,
/// the Embedded `outpost` of the amd64 .deb): the AVX-512 and AVX-512-VNNI tiers are
/// not compiled in (edge x86 gateways have no AVX-512; issue 5's 1 MB budget,
/// docs/size-budget.md). Detection then never reports them (ok_cpu_supported_isas),
/// and in C ok_isa_enabled(OK_ISA_AVX512 / _VNNI) is the constant 0, so dispatch
/// cannot select them and their code is dropped; OK_ISA_IS_AVX512(isa) is the same
/// test for an ISA chosen earlier. Host builds (`swift build`, tests, benchmarks,
/// outpost-dev) keep every tier.
#if defined(OK_NO_AVX512) && (defined(__x86_64__) || defined(__i386__))
#define OK_AVX512_BUILT 0
#define ok_isa_enabled(isa) ((isa) != OK_ISA_AVX512 && (isa) != OK_ISA_AVX512_VNNI && ok_isa_enabled(isa))
#else
#define OK_AVX512_BUILT 1
#endif
#define OK_ISA_IS_AVX512(isa) (OK_AVX512_BUILT && (isa) == OK_ISA_AVX512)

#endif
