// CPU feature detection: cpuid on x86-64, getauxval(AT_HWCAP) on ARM Linux.
#include "ok_cpu.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
static int vbmi_supported;  // AVX512_VBMI (vpermb, vpermt2b), set by detect() with AVX-512

static uint32_t detect(void) {
    uint32_t mask = 1u << OK_ISA_SCALAR;
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return mask;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!(fma && osxsave && avx)) return mask;
    // The OS must save YMM state (XCR0 bits 1 and 2).
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return mask;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return mask;
    if (!((b >> 5) & 1)) return mask;
    mask |= 1u << OK_ISA_AVX2_FMA;
    // AVX-512: F (ebx 16), DQ (17), BW (30), VL (31), and the OS saving opmask and
    // ZMM state (XCR0 bits 5, 6, 7) besides SSE/AVX (bits 1, 2).
    int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    if (OK_AVX512_BUILT && f && dq && bw && vl && (lo & 0xe6) == 0xe6) {
        mask |= 1u << OK_ISA_AVX512;
        if ((c >> 11) & 1) mask |= 1u << OK_ISA_AVX512_VNNI;  // cpuid.7.0 ECX bit 11: AVX512_VNNI
        vbmi_supported = (c >> 1) & 1;                         // cpuid.7.0 ECX bit 1: AVX512_VBMI
    }
    return mask;
}
#elif defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#ifndef HWCAP2_I8MM
#define HWCAP2_I8MM (1 << 13)
#endif
static uint32_t detect(void) {
    uint32_t mask = 1u << OK_ISA_SCALAR;
    unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
    if (hw & HWCAP_ASIMD) mask |= 1u << OK_ISA_NEON;
    if (hw & HWCAP_ASIMDDP) mask |= 1u << OK_ISA_NEON_DOT;
    if (hw2 & HWCAP2_I8MM) mask |= 1u << OK_ISA_NEON_I8MM;
    return mask;
}
#elif defined(__arm__)
#include <sys/auxv.h>
#ifndef HWCAP_NEON
#define HWCAP_NEON (1 << 12)
#endif
static uint32_t detect(void) {
    uint32_t mask = 1u << OK_ISA_SCALAR;
    if (getauxval(AT_HWCAP) & HWCAP_NEON) mask |= 1u << OK_ISA_NEON;
    return mask;
}
#else
static uint32_t detect(void) { return 1u << OK_ISA_SCALAR; }
#endif

static uint32_t supported_mask;  // 0 = not yet detected
static uint32_t allowed_mask = 0xffffffffu;
static int env_read;

static uint32_t mask_up_to(ok_isa top) {
    uint32_t m = 0;
    for (int i = 0; i <= (int)top; i++) m |= 1u << i;
    // x86 and ARM levels are separate chains: AVX512 > AVX2 > scalar, I8MM > DOT > NEON > scalar.
    if (top == OK_ISA_AVX2_FMA) m = (1u << OK_ISA_SCALAR) | (1u << OK_ISA_AVX2_FMA);
    if (top == OK_ISA_AVX512) m = (1u << OK_ISA_SCALAR) | (1u << OK_ISA_AVX2_FMA) | (1u << OK_ISA_AVX512);
    if (top == OK_ISA_AVX512_VNNI)
        m = (1u << OK_ISA_SCALAR) | (1u << OK_ISA_AVX2_FMA) | (1u << OK_ISA_AVX512) | (1u << OK_ISA_AVX512_VNNI);
    if (top >= OK_ISA_NEON && top <= OK_ISA_NEON_I8MM) m &= ~(1u << OK_ISA_AVX2_FMA);
    return m;
}

static void read_env(void) {
    if (env_read) return;
    env_read = 1;
    const char *v = getenv("OUTPOST_ISA");
    if (!v || !*v) return;
    if (!strcmp(v, "scalar")) allowed_mask = mask_up_to(OK_ISA_SCALAR);
    else if (!strcmp(v, "avx2")) allowed_mask = mask_up_to(OK_ISA_AVX2_FMA);
    else if (!strcmp(v, "avx512")) allowed_mask = mask_up_to(OK_ISA_AVX512);
    else if (!strcmp(v, "vnni")) allowed_mask = mask_up_to(OK_ISA_AVX512_VNNI);
    else if (!strcmp(v, "neon")) allowed_mask = mask_up_to(OK_ISA_NEON);
    else if (!strcmp(v, "dot")) allowed_mask = mask_up_to(OK_ISA_NEON_DOT);
    else if (!strcmp(v, "i8mm")) allowed_mask = mask_up_to(OK_ISA_NEON_I8MM);
}

uint32_t ok_cpu_supported_isas(void) {
    if (!supported_mask) supported_mask = detect();
    return supported_mask;
}

uint32_t ok_cpu_enabled_isas(void) {
    read_env();
    return ok_cpu_supported_isas() & allowed_mask;
}

void ok_cpu_restrict(uint32_t mask) {
    read_env();
    allowed_mask = mask | (1u << OK_ISA_SCALAR);
}

// The name in parentheses: with OK_NO_AVX512, ok_cpu.h defines a macro of that name.
int (ok_isa_enabled)(ok_isa isa) { return (ok_cpu_enabled_isas() >> isa) & 1; }

int ok_cpu_has_avx512_vbmi(void) {
#if defined(__x86_64__) || defined(__i386__)
    ok_cpu_supported_isas();
    return vbmi_supported;
#else
    return 0;
#endif
}

const char *ok_isa_name(ok_isa isa) {
    switch (isa) {
    case OK_ISA_SCALAR: return "scalar";
    case OK_ISA_AVX2_FMA: return "avx2+fma";
    case OK_ISA_NEON: return "neon";
    case OK_ISA_NEON_DOT: return "neon-dot";
    case OK_ISA_NEON_I8MM: return "neon-i8mm";
    case OK_ISA_AVX512: return "avx512";
    case OK_ISA_AVX512_VNNI: return "avx512-vnni";
    }
    return "unknown";
}
