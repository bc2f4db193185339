#!/usr/bin/env bash
# Builds the device libraries, the device CLI `outpost` and the developer tools
# `outpost-dev` as Embedded Swift for the host (x86-64 Linux). This proves device
# code stays Embedded-clean: no Foundation, no untyped throws, no existentials of
# non-class protocols... It is `cross-compile/build.sh x86_64` (same flags and size
# settings as the ARM builds, scratch folder .build-cross-x86_64); this prints the
# path of the `outpost` binary, then of `outpost-dev`.
#   scripts/build-embedded.sh [debug|release]
set -euo pipefail
cd "$(dirname "$0")/.."
bins="$(cross-compile/build.sh x86_64 "${1:-release}")"
grep '/outpost$' <<<"$bins"
grep '/outpost-dev$' <<<"$bins"
