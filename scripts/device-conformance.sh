#!/usr/bin/env bash
# Runs the fixture models with the device binary `outpost` itself and checks its
# outputs: `outpost run TEST --input-dir SET --output-dir OUT/TEST/SET` for every test
# data set under ROOT, then `outpost-dev conformance ROOT --outputs-from OUT` compares
# them with the references (same tolerances, tolerance.txt included). The conformance
# runner lives in outpost-dev, but each binary is linked on its own (and Embedded
# builds once miscompiled in one binary only: docs/size-budget.md), so the device
# binary is checked, not just the code it shares.
#   scripts/device-conformance.sh OUTPOST OUTPOST_DEV [ROOT]      (ROOT default: models)
# OUTPOST_RUNNER, if set, prefixes both programs (e.g. "qemu-aarch64 -cpu max -L SYSROOT").
# Prints outpost-dev's report ("N passed, N failed, N skipped" last); non-zero exit on
# any failure.
set -uo pipefail
bin="${1:?usage: device-conformance.sh OUTPOST OUTPOST_DEV [ROOT]}"
dev="${2:?usage: device-conformance.sh OUTPOST OUTPOST_DEV [ROOT]}"
root="${3:-models}"
root="${root%/}"
runner=()
[[ -n ${OUTPOST_RUNNER:-} ]] && read -ra runner <<<"$OUTPOST_RUNNER"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
rc=0
while read -r set; do
  test="${set%/test_data_set_*}"
  # conformance's test names: the path under ROOT (ROOT's own name if ROOT is a test)
  if [[ $test == "$root" ]]; then name="$(basename "$root")"; else name="${test#"$root"/}"; fi
  ${runner[@]+"${runner[@]}"} "$bin" run "$test" --input-dir "$set" --output-dir "$out/$name/$(basename "$set")" >/dev/null ||
    { echo "FAIL $name: outpost run on $(basename "$set") failed"; rc=1; }
done < <(find "$root" -name 'test_data_set_*' -type d | sort)
${runner[@]+"${runner[@]}"} "$dev" conformance "$root" --quiet --outputs-from "$out" || rc=1
exit $rc
