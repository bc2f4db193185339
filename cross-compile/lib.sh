# Shared helpers for the cross-compile scripts (sourced, not run).
# Everything generated lives in .cross/ (git-ignored); build trees in .build-cross-ARCH.

cross_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cross_dir="$cross_root/.cross"
swift_bin="$(dirname "$(readlink -f "$(command -v swift)")")"
swift_usr="$(cd "$swift_bin/.." && pwd)"

# Debian packages unpacked into each sysroot: headers + libraries for everything
# device code links (libc, libgcc, sqlite3, curl, OpenSSL).
sysroot_packages=(libc6-dev libgcc-12-dev libsqlite3-dev libcurl4-openssl-dev libssl-dev)

# arch_vars ARCH: sets deb_arch, gnu_triple, swift_triple, embedded_dir, extra flags.
arch_vars() {
  case "$1" in
    arm64|aarch64)
      arch=arm64; deb_arch=arm64; gnu_triple=aarch64-linux-gnu; clang_triple=aarch64-unknown-linux-gnu
      swift_triple=aarch64-none-none-elf; qemu=qemu-aarch64
      arch_cflags=(-march=armv8-a); arch_swift_cc=() ;;
    armhf|armv7)
      arch=armhf; deb_arch=armhf; gnu_triple=arm-linux-gnueabihf; clang_triple=armv7-unknown-linux-gnueabihf
      swift_triple=armv7-none-none-eabi; qemu=qemu-arm
      # Swift code in Thumb-2 (-mthumb: the clang importer's target features decide
      # the instruction set of the Swift code too): 16/32-bit instructions instead of
      # A32's fixed 32, about a third less code. The C kernels stay A32 (arch_cflags):
      # their speed is not traded; calls between the two interwork (BLX).
      arch_cflags=(-march=armv7-a -mfloat-abi=hard -mfpu=neon); arch_swift_cc=(-mfloat-abi=hard -mfpu=neon -mthumb) ;;
    x86_64|amd64)
      arch=x86_64; deb_arch=amd64; gnu_triple=x86_64-linux-gnu; clang_triple=x86_64-unknown-linux-gnu
      swift_triple=x86_64-unknown-linux-gnu; qemu=
      # The x86-64 device build carries the portable and AVX2(+FMA) kernel tiers only:
      # OK_NO_AVX512 leaves the AVX-512 / AVX-512-VNNI tiers out (edge x86 gateways,
      # Atom/Celeron/N100 and Ryzen Embedded, have no AVX-512; −150 KB towards the
      # 1 MB budget, docs/size-budget.md footprint6). Detection then never reports them,
      # so dispatch cannot pick a tier that is not there. Host builds (`swift build`:
      # tests, benchmarks, outpost-dev) keep every tier.
      # -DOK_X86_DEVICE: the GEMM / convolution drivers (per call, not per element)
      # compiled for size, the hottest AVX2 kernels 64-byte aligned
      # (Sources/CKernels/ok_portable.h: OK_X86_DRIVER, OK_X86_HOT).
      arch_cflags=(-DOK_NO_AVX512 -DOK_X86_DEVICE); arch_swift_cc=() ;;
    *) echo "unknown architecture '$1' (arm64, armhf, x86_64)" >&2; return 1 ;;
  esac
  sysroot="$cross_dir/sysroot-$arch"
  embedded_dir="$swift_usr/lib/swift/embedded/$swift_triple"
  scratch="$cross_root/.build-cross-$arch"
}

# ensure_sysroot: Debian bookworm packages for $deb_arch fetched with a private apt
# state (the host's source lists, an empty dpkg status, never the host's dpkg
# architectures) and unpacked with dpkg -x. Cached: a stamp records the package
# list; a second run downloads nothing.
ensure_sysroot() {
  local stamp="$sysroot/.outpost-sysroot" want="${sysroot_packages[*]}"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  local state="$cross_dir/apt-$deb_arch"
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
  : > "$state/status"
  local opts=(-q -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache"
              -o "Dir::State::status=$state/status" -o "APT::Architecture=$deb_arch"
              -o "APT::Architectures=$deb_arch" -o "Debug::NoLocking=1"
              -o "APT::Sandbox::User=root")
  echo "sysroot $arch: apt-get update + download (${sysroot_packages[*]})" >&2
  if ! ls "$state/lists/"*Packages* >/dev/null 2>&1; then
    # A mirror caught mid-sync can fail one index (seen for bookworm-security armhf):
    # retry once, then go on with the indexes that did arrive (older but consistent
    # package versions are fine for a build sysroot).
    apt-get "${opts[@]}" update >&2 || apt-get "${opts[@]}" update >&2 ||
      echo "sysroot $arch: some apt indexes failed; using those that downloaded" >&2
    ls "$state/lists/"*Packages* >/dev/null 2>&1 || return 1
  fi
  apt-get "${opts[@]}" install -y --download-only --no-install-recommends \
    "${sysroot_packages[@]}" >&2 || return 1
  rm -rf "$sysroot.tmp" && mkdir -p "$sysroot.tmp"
  local deb
  for deb in "$state/cache/archives/"*.deb; do dpkg -x "$deb" "$sysroot.tmp" || return 1; done
  # Absolute symlinks inside the sysroot (e.g. usr/lib/…/libm.so -> /lib/…) must
  # point into the sysroot, not to the host: make them relative.
  find "$sysroot.tmp" -type l -lname '/*' | while read -r l; do
    ln -sfnr "$sysroot.tmp$(readlink "$l")" "$l"
  done
  rm -rf "$sysroot" && mv "$sysroot.tmp" "$sysroot"
  echo "$want" > "$stamp"
}

# Size flags for every device target (kept here, not in Package.swift, so modules and
# executables added later get them too). In Embedded Swift each client module
# re-emits the generic and class code it uses as weak definitions; without one
# section per function the linker keeps every duplicate copy (and all dead code).
# -enforce-exclusivity=unchecked drops the run-time exclusivity checks (a call to
# swift_beginAccess per class-property/global access, ~2.5% of the Swift code); the
# compile-time checks stay, and host builds (`swift test`) keep the run-time ones.
# The machine outliner folds the instruction sequences Swift repeats everywhere
# (string interpolation, retain/release pairs, error construction) into shared
# functions: ~7.5% of the Swift code. It is on for Swift only: the C kernels keep -O3
# code untouched.
#
# -sil-disable-pass=object-outliner works around a miscompile: in Embedded mode a
# client module (OutpostPackage, outpost) re-emits the constant arrays of another
# module's class methods as weak symbols "outlined read-only object #N of F", but
# numbers them differently; the linker keeps the first definition, so
# PoolOperator.plan got [.float32] where it wrote [.float32, .uint8, .int8] and the
# Embedded binary refused int8 MaxPool (6 conformance skips the host build passes).
#
# -mergeable-traps: in optimised builds every run-time check (overflow, bounds,
# unwrap) gets a trap of its own, kept apart so a crash points at its check; with
# it LLVM may share one trap per function (≈1.3% of the code). A crash still
# stops at a trap in the right function, not always at the right check in it.
#
# -sil-inline-caller-benefit-reduction-factor 64 (default 2): at -Osize the SIL
# inliner divides the benefit it credits for removing a call by this factor; at 64
# it inlines a function only where that removes more code than it copies (constant
# arguments, closures, callees smaller than the call). The device code's hot loops
# are C kernels; the Swift that runs per step (operators' run, Session.run) was
# measured unchanged (kws, mlp, tiny, int8 mobilenet: outpost bench, alternating),
# model load within noise (int8 mobilenet 2.79 -> 2.89 ms min of 20). x86-64
# -19.6 KB at 8, -31.9 KB at 64 (docs/size-budget.md).
size_swift=(-Osize -Xfrontend -function-sections -enforce-exclusivity=unchecked
            -Xllvm -enable-machine-outliner=always -Xllvm -sil-disable-pass=object-outliner
            -Xfrontend -mergeable-traps
            -Xfrontend -sil-inline-caller-benefit-reduction-factor -Xfrontend 64)
# C without unwind tables (.eh_frame, ≈9 KB on aarch64): the Swift code has none
# either, and nothing unwinds through C frames at run time (no C++, no exceptions,
# no pthread_cancel). Cost: a debugger or profiler may not walk the stack through
# a C frame from its unwind info. Code generation is the same.
#
# Link-time optimisation of the Swift code (size_build: `swift build
# --experimental-lto-mode=full`; the modules are compiled to bitcode and optimised
# and code-generated as one module when linking): the generic and stdlib code every
# Embedded client module re-emits is merged before code generation, cross-module
# calls inline or vanish, and the machine outliner sees the whole program (hence
# -mllvm -enable-machine-outliner=always for the linker's code generation). x86-64
# −89.8 KB, aarch64 −118.0 KB, armv7 −86.4 KB (docs/size-budget.md, footprint5).
# (`-lto=llvm-full` in size_swift is not enough: SwiftPM's output file map then
# names .o files the compiler does not write.) SwiftPM's LTO mode passes -flto=full
# to clang as well; -ffat-lto-objects keeps the C code out of it: each C object
# carries its native -O3 code next to the bitcode, and lld, without
# --fat-lto-objects, links the native code. So the kernels are neither re-optimised
# at link time, nor inlined into Swift callers (which are minsize), nor outlined.
# -outliner-benefit-threshold=16: the whole-program outliner only takes sequences
# that save at least 16 bytes. With the default (1) it also split small sequences
# out of load-path loops (protobuf decoding, hashing): model load 20% slower on
# x86-64 (int8 mobilenet 2.9 -> 3.5 ms); at 8, 6% slower (3.05 ms); at 16 it is
# main's (2.85 ms). Cost against the default: 29 KB on x86-64.
# -inline-call-penalty=0 (default 25) for the link-time inliner: LLVM counts a call
# as 25 units of work saved when it inlines, so it inlined Embedded Swift's
# swift_retain (a null/immortal check and a locked increment, ~17 bytes) at 1,765
# call sites where the call is 8 bytes. With no credit for the call itself, small
# callees are inlined only where that shrinks the code: x86-64 -18.7 KB, run and
# load speed unchanged (the C kernels are not in the LTO, see above).
size_c=(-ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables -ffat-lto-objects)
size_ld=(--gc-sections --icf=all -z pack-relative-relocs -mllvm -enable-machine-outliner=always -mllvm -outliner-benefit-threshold=16
         -mllvm -inline-call-penalty=0)
size_build=(--experimental-lto-mode=full)

# ensure_sdk: a Swift SDK bundle (Embedded Swift over the sysroot) in
# .cross/swift-sdks/outpost-$arch.artifactbundle; sdk_name is what --swift-sdk takes.
ensure_sdk() {
  sdk_name="outpost-$arch"
  local bundle="$cross_dir/swift-sdks/$sdk_name.artifactbundle"
  local dir="$bundle/$sdk_name"
  mkdir -p "$dir"
  local host_triple; host_triple="$(uname -m)-unknown-linux-gnu"
  cat > "$bundle/info.json" <<JSON
{
  "schemaVersion": "1.0",
  "artifacts": {
    "$sdk_name": {
      "type": "swiftSDK",
      "version": "1.0",
      "variants": [ { "path": "$sdk_name", "supportedTriples": ["$host_triple"] } ]
    }
  }
}
JSON
  cat > "$dir/swift-sdk.json" <<JSON
{
  "schemaVersion": "4.0",
  "targetTriples": {
    "$swift_triple": {
      "sdkRootPath": "$sysroot",
      "swiftResourcesPath": "$swift_usr/lib/swift",
      "swiftStaticResourcesPath": "$swift_usr/lib/swift",
      "toolsetPaths": ["toolset.json"]
    }
  }
}
JSON
  local swift_opts=(-enable-experimental-feature Embedded -wmo "${size_swift[@]}"
    -Xfrontend -clang-target -Xfrontend "$clang_triple"
    -Xcc "--target=$clang_triple")
  local o; for o in "${arch_swift_cc[@]}"; do swift_opts+=(-Xcc "$o"); done
  swift_opts+=(-Xclang-linker "--target=$clang_triple" -Xclang-linker "--sysroot=$sysroot" -use-ld=lld)
  local c_opts=("--target=$clang_triple" "${arch_cflags[@]}" "${size_c[@]}")
  local l_opts=("$embedded_dir/libswiftUnicodeDataTables.a" -lm "${size_ld[@]}")
  json_list() { local s="" x; for x in "$@"; do s+="${s:+, }\"$x\""; done; echo "[$s]"; }
  cat > "$dir/toolset.json" <<JSON
{
  "schemaVersion": "1.0",
  "rootPath": "$swift_bin",
  "swiftCompiler": { "extraCLIOptions": $(json_list "${swift_opts[@]}") },
  "cCompiler": { "extraCLIOptions": $(json_list "${c_opts[@]}") },
  "cxxCompiler": { "extraCLIOptions": $(json_list "${c_opts[@]}") },
  "linker": { "extraCLIOptions": $(json_list "${l_opts[@]}") }
}
JSON
}

# executables: names of the executable products in Package.swift (Embedded flavour),
# so new device executables (the agent…) are built without editing these scripts.
executables() {
  (cd "$cross_root" && OUTPOST_EMBEDDED=1 swift package --scratch-path "${scratch:-.build-cross}" dump-package 2>/dev/null) | python3 -c '
import json, sys
d = json.load(sys.stdin)
for p in d["products"]:
    if "executable" in p["type"]: print(p["name"])'
}

# strip_to IN OUT: the toolchain's llvm-objcopy strips every architecture (no
# binutils per target needed).
strip_to() { "$swift_bin/llvm-objcopy" --strip-all "$1" "$2"; }

# sections BIN: "name size" of each section (any architecture).
sections() {
  "$swift_bin/llvm-objdump" -h "$1" | python3 -c '
import sys
for l in sys.stdin:
    p = l.split()
    if len(p) >= 3 and p[1].startswith("."): print(p[1], int(p[2], 16))'
}
