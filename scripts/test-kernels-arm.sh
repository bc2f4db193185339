#!/usr/bin/env bash
# Cross-compiles the CKernels C sources with the standalone driver
# Tests/ckernels-c/test_kernels.c for aarch64 and armv7 (NEON) and runs it under
# qemu-user, checking the NEON SGEMM / convolution paths and the int8 GEMM /
# convolution paths (NEON, sdot and i8mm under -cpu max, NEON fallback under
# cortex-a72, armv7 NEON under cortex-a7) bit-exactly against the scalar
# reference twins. Needs: gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf qemu-user
# (apt-get install -y ...). Also runs the host build of the driver.
#   scripts/test-kernels-arm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-arm-kernels
mkdir -p "$out"
srcs=(Sources/CKernels/*.c Tests/ckernels-c/test_kernels.c)
incs=(-ISources/CKernels/include -ISources/CKernels)
flags=(-O2 -std=gnu11 -Wall -Wno-unused-function -fno-math-errno -ffp-contract=off)

echo "== host ($(uname -m))"
cc "${flags[@]}" "${incs[@]}" "${srcs[@]}" -o "$out/test_kernels-host" -lm -lpthread
"$out/test_kernels-host"

echo "== aarch64"
aarch64-linux-gnu-gcc "${flags[@]}" -static "${incs[@]}" "${srcs[@]}" -o "$out/test_kernels-aarch64" -lm -lpthread
for cpu in max cortex-a72; do
    echo "-- qemu-aarch64 -cpu $cpu"
    qemu-aarch64 -cpu "$cpu" "$out/test_kernels-aarch64"
done

echo "== armv7 (NEON, hard float)"
arm-linux-gnueabihf-gcc "${flags[@]}" -static -march=armv7-a -mfpu=neon -mfloat-abi=hard "${incs[@]}" "${srcs[@]}" \
    -o "$out/test_kernels-armv7" -lm -lpthread
echo "-- qemu-arm -cpu cortex-a7"
qemu-arm -cpu cortex-a7 "$out/test_kernels-armv7"
echo "ARM kernel tests passed"
