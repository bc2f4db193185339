#!/usr/bin/env bash
# Installs what building and testing Outpost needs on a fresh Debian 12 machine.
# Idempotent: installs only what is missing. Needs root (or sudo) for apt.
#   scripts/setup.sh            everything the tests need
#   scripts/setup.sh --minimal  only what building and running the CLI needs
set -euo pipefail

minimal=0
[[ "${1:-}" == "--minimal" ]] && minimal=1

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: need root to run: $*" >&2; exit 1; fi
}

command -v swift >/dev/null || { echo "setup: the Swift 6 toolchain must be on PATH (swift.org)" >&2; exit 1; }

apt_packages=(libsqlite3-dev libssl-dev)
if [[ $minimal -eq 0 ]]; then
  # Cross compilers and qemu-user run the ARM kernel tests (NEON, dot product).
  # The cross libcs are only Recommends of the compilers, which
  # --no-install-recommends skips: without them <stdint.h> is not found.
  apt_packages+=(qemu-user gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf
                 libc6-dev-arm64-cross libc6-dev-armhf-cross)
  # The fleet dashboard's browser test (fleet/scripts/dashboard-browser-test.py):
  # headless Chromium driven by selenium, all from Debian.
  apt_packages+=(chromium chromium-driver python3-selenium)
fi
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "setup: apt-get install ${missing[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ $minimal -eq 0 ]]; then
  # onnx 1.22.0 ships the ONNX backend conformance test data (later wheels do not).
  if ! python3 -c 'import onnx, sys; sys.exit(onnx.__version__ != "1.22.0")' 2>/dev/null; then
    echo "setup: pip install onnx==1.22.0" >&2
    python3 -m pip install -q --disable-pip-version-check onnx==1.22.0 >&2
  fi
fi
