#!/usr/bin/env bash
# Runs every Outpost test on this machine (the README's test command; .ci/run
# calls exactly this). Installs what is missing first (scripts/setup.sh).
#
# Stages, each reported as PASS/FAIL, closing with "stages: N passed, N failed":
#   unit         swift test (kernels vs scalar references, loader, operators, planner, CLI)
#   embedded     the device libraries + both CLIs (outpost, outpost-dev) built as Embedded
#                Swift; the fixture models run by outpost-dev conformance and by the device
#                binary outpost itself (scripts/device-conformance.sh)
#   conformance  ONNX backend tests (node, pytorch-converted, pytorch-operator, light) with the
#                release outpost-dev
#   models       the repository's fixture models (float, and int8 under models/int8 with
#                their tolerance.txt) against onnxruntime reference outputs
#   cross        ARM: the C kernels (NEON, dot product, i8mm) and the Embedded CLIs
#                cross-compiled for aarch64/armv7 and run on the fixture models under
#                qemu-user (cortex-a72, max, cortex-a7); .deb packages built and checked
#                (cross-compile/check.sh)
#   fleet        the fleet manager (fleet/): swift test against SQLite and a local PostgreSQL 15
#                started by fleet/scripts/start-postgres.sh, then the dashboard driven in
#                headless Chromium (fleet/scripts/dashboard-browser-test.py)
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh || { echo "setup failed"; exit 1; }

passed=0
failed=0
failures=()
stage() {
  local name="$1"; shift
  echo "=== stage $name: $*"
  local start=$SECONDS
  if "$@"; then
    echo "=== PASS $name ($((SECONDS - start)) s)"
    passed=$((passed + 1))
  else
    echo "=== FAIL $name ($((SECONDS - start)) s)"
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

onnx_data="$(python3 -c 'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data"))')"

unit() { swift build --build-tests && swift test --skip-build; }

# all_fixtures_pass OUTPOST OUTPOST_DEV: `OUTPOST_DEV conformance models` (it recurses:
# the float fixtures and models/int8), then the same fixtures run by the device binary
# OUTPOST (scripts/device-conformance.sh: `outpost run` per test data set, compared by
# `outpost-dev conformance --outputs-from`). Every fixture must pass: a skip
# ("unsupported") counts as a failure.
all_fixtures_pass() {
  local n summary
  n="$(find models -name 'test_data_set_*' -type d | sed 's|/test_data_set_[^/]*$||' | sort -u | wc -l)"
  summary="$("$2" conformance models --quiet)" || { echo "$summary"; return 1; }
  echo "$summary"
  grep -q "^$n passed, 0 failed, 0 skipped" <<<"$summary" || { echo "expected $n passed, 0 skipped"; return 1; }
  summary="$(scripts/device-conformance.sh "$1" "$2")" || { echo "$summary"; return 1; }
  echo "$summary" | tail -1
  grep -q "^$n passed, 0 failed, 0 skipped" <<<"$summary" || { echo "outpost: expected $n passed, 0 skipped"; return 1; }
}

embedded() {
  local bins bin dev
  bins="$(scripts/build-embedded.sh release)" || return 1
  bin="$(grep '/outpost$' <<<"$bins")"; dev="$(grep '/outpost-dev$' <<<"$bins")"
  ls -l "$bin" "$dev"
  "$bin" --help >/dev/null && "$dev" --help >/dev/null || return 1
  all_fixtures_pass "$bin" "$dev"
}

conformance() {
  swift build -c release --product outpost-dev || return 1
  local cli=.build/release/outpost-dev ok=0
  "$cli" conformance "$onnx_data/node" --quiet --known-failures conformance/known-failures.txt || ok=1
  "$cli" conformance "$onnx_data/pytorch-converted" --quiet --known-failures conformance/known-failures.txt || ok=1
  "$cli" conformance "$onnx_data/pytorch-operator" --quiet --known-failures conformance/known-failures.txt || ok=1
  "$cli" conformance "$onnx_data/light" --known-failures conformance/known-failures.txt || ok=1
  return $ok
}

models() {
  swift build -c release --product outpost || return 1
  all_fixtures_pass .build/release/outpost .build/release/outpost-dev && \
  .build/release/outpost run models/tiny --input-dir models/tiny/test_data_set_0 >/dev/null
}

cross() { cross-compile/check.sh; }

fleet() {
  local url
  url="$(fleet/scripts/start-postgres.sh | tail -n 1)" || { echo "cannot start PostgreSQL"; return 1; }
  echo "PostgreSQL: $url"
  (cd fleet && swift build --build-tests && OUTPOST_TEST_POSTGRES_URL="$url" swift test --skip-build) || return 1
  # The dashboard in headless Chromium (packages signed with outpost-dev).
  swift build --product outpost && swift build --product outpost-dev &&
    /usr/bin/python3 fleet/scripts/dashboard-browser-test.py
}

stage unit unit
stage embedded embedded
stage conformance conformance
stage models models
stage cross cross
stage fleet fleet

echo
if [[ $failed -gt 0 ]]; then echo "failed stages: ${failures[*]}"; fi
echo "stages: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
