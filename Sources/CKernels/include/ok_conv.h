// Float32 convolution helpers (see conv_*.c). Filled in by the kernels work.
#ifndef OUTPOST_OK_CONV_H
#define OUTPOST_OK_CONV_H
#endif
