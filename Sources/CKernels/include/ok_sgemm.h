// Float32 GEMM (see sgemm_*.c). Filled in by the kernels work.
#ifndef OUTPOST_OK_SGEMM_H
#define OUTPOST_OK_SGEMM_H
#endif
