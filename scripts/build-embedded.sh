#!/usr/bin/env bash
# Builds the device libraries and the `outpost` CLI as Embedded Swift for the host
# (x86-64 Linux). This proves device code stays Embedded-clean: no Foundation, no
# untyped throws, no existentials of non-class protocols... The binary is
# .build-embedded/release/outpost.
#   scripts/build-embedded.sh [debug|release]
set -euo pipefail
cd "$(dirname "$0")/.."
config="${1:-release}"
swift_bin="$(dirname "$(readlink -f "$(command -v swift)")")"
embedded_lib="$swift_bin/../lib/swift/embedded/x86_64-unknown-linux-gnu"
OUTPOST_EMBEDDED=1 swift build -c "$config" --product outpost --scratch-path .build-embedded \
  -Xswiftc -Xfrontend -Xswiftc -clang-target -Xswiftc -Xfrontend -Xswiftc x86_64-unknown-linux-gnu \
  -Xlinker "$embedded_lib/libswiftUnicodeDataTables.a" -Xlinker -lm >&2
# Device modules the CLI does not link yet (OutpostProtocol: fleet sync wire types).
OUTPOST_EMBEDDED=1 swift build -c "$config" --target OutpostProtocol --scratch-path .build-embedded \
  -Xswiftc -Xfrontend -Xswiftc -clang-target -Xswiftc -Xfrontend -Xswiftc x86_64-unknown-linux-gnu >&2
echo ".build-embedded/$config/outpost"
