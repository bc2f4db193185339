#!/usr/bin/env bash
# Cross-compiles every executable product of Package.swift (the `outpost` CLI, and
# the agent once it exists) as Embedded Swift for one architecture:
#   cross-compile/build.sh ARCH [debug|release]     ARCH = arm64 | armhf | x86_64
# arm64/armhf: builds (once, cached) a Debian bookworm sysroot in .cross/sysroot-ARCH
# and a Swift SDK bundle in .cross/swift-sdks, then
#   swift build --swift-sdk outpost-ARCH --scratch-path .build-cross-ARCH
# x86_64: the Embedded flavour for the host (no sysroot needed).
# Prints the path of each binary on stdout (build output goes to stderr).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
arch_vars "${1:?usage: build.sh ARCH [debug|release]}"
config="${2:-release}"
cd "$cross_root"

sdk_args=()
swiftc_args=()
if [[ $arch == x86_64 ]]; then
  swiftc_args=(-Xswiftc -Xfrontend -Xswiftc -clang-target -Xswiftc -Xfrontend -Xswiftc "$clang_triple"
               -Xswiftc -use-ld=lld -Xlinker "$embedded_dir/libswiftUnicodeDataTables.a" -Xlinker -lm)
  for o in "${size_swift[@]}"; do swiftc_args+=(-Xswiftc "$o"); done
  for o in "${arch_cflags[@]}" "${size_c[@]}"; do swiftc_args+=(-Xcc "$o"); done
  for o in "${size_ld[@]}"; do swiftc_args+=(-Xlinker "$o"); done
else
  ensure_sysroot
  ensure_sdk
  sdk_args=(--swift-sdks-path "$cross_dir/swift-sdks" --swift-sdk "$sdk_name")
fi

products=()
while read -r p; do products+=("$p"); done < <(executables)
[[ ${#products[@]} -gt 0 ]] || { echo "build.sh: no executable products found" >&2; exit 1; }

export OUTPOST_EMBEDDED=1
for p in "${products[@]}"; do
  swift build -c "$config" --product "$p" --scratch-path "$scratch" "${size_build[@]}" \
    ${sdk_args[@]+"${sdk_args[@]}"} ${swiftc_args[@]+"${swiftc_args[@]}"} >&2
done
bindir="$(swift build -c "$config" --scratch-path "$scratch" ${sdk_args[@]+"${sdk_args[@]}"} \
  ${swiftc_args[@]+"${swiftc_args[@]}"} --show-bin-path)"
for p in "${products[@]}"; do echo "${bindir#"$cross_root/"}/$p"; done
