// CKernels: the compute core of Outpost. Plain C, no graph knowledge.
//
// Every optimised kernel has a readable scalar reference twin; the tests hold
// each ISA path to its twin. ISA paths live in per-function
// __attribute__((target(...))) code so one binary holds them all; the choice is
// made at run time from the CPU features (cpuid / getauxval).
#ifndef OUTPOST_CKERNELS_H
#define OUTPOST_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "ok_cpu.h"
#include "ok_pool.h"
#include "ok_sgemm.h"
#include "ok_conv.h"
#include "ok_elementwise.h"
#include "ok_pool2d.h"
#include "ok_qgemm.h"
#include "ok_qconv.h"

#ifdef __cplusplus
}
#endif
#endif
