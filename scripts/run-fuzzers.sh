#!/usr/bin/env bash
# Builds the libFuzzer targets of the ONNX loader and the tensor file decoders
# (fuzz/targets/*.swift) with coverage + AddressSanitizer, runs each for the given
# number of seconds, and prints executions and crashes per target.
#
#   scripts/run-fuzzers.sh [seconds-per-target] [target...]     (default 60 s, all targets)
#
# Targets: onnx (ONNXLoader.load(buffer:)), tensorproto (TensorProtoFile.decode),
# npy (NpyFile.decode), package (package container parser + verification),
# manifest (JSON reader + manifest decoder). Seeds: fuzz/corpus/<target>/ (committed, small). New inputs
# found go to fuzz/corpus-work/<target>/, crash reproducers to fuzz/out/crashes/<target>/
# (both git-ignored). Reproduce a crash: fuzz/out/fuzz-<target> <crash-file>
# The build uses swiftc/clang directly (no SwiftPM): the C modules are compiled with
# -fsanitize=fuzzer-no-link,address, the Swift modules with -sanitize=fuzzer,address.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
all_targets=(onnx tensorproto npy package manifest)
if [ ${#targets[@]} -eq 0 ]; then targets=("${all_targets[@]}"); fi

swift_bin="$(dirname "$(readlink -f "$(command -v swiftc)")")"
clang="$swift_bin/clang"
out=fuzz/out
obj="$out/obj"
mkdir -p "$obj"

sanitize=(-sanitize=fuzzer,address)
swift_flags=(-O -g -parse-as-library -swift-version 5 "${sanitize[@]}"
             -I Sources/COutpostSystem/include -I Sources/CKernels/include -I Sources/COutpostCrypto/include -I "$obj")
c_flags=(-O2 -g -fsanitize=fuzzer-no-link,address -fno-math-errno -ffp-contract=off)

# Rebuild only when a source is newer than the last build.
stamp="$obj/.stamp"
if [ ! -f "$stamp" ] || [ -n "$(find Sources fuzz/targets scripts/run-fuzzers.sh -newer "$stamp" -type f | head -1)" ]; then
    echo "building fuzz targets (log: $out/build.log)..." >&2
    exec 3>&2 2>"$out/build.log"
    trap 'exec 2>&3; echo "build failed, see $out/build.log" >&2; tail -20 "$out/build.log" >&2' ERR
    c_objs=()
    rm -f "$obj"/c_*.o
    while IFS= read -r c; do
        o="$obj/c_$(echo "${c#Sources/}" | tr '/' '_' | sed 's/\.c$//').o"
        "$clang" "${c_flags[@]}" -I Sources/CKernels/include -I Sources/COutpostSystem/include -I Sources/COutpostCrypto/include -c "$c" -o "$o"
        c_objs+=("$o")
    done < <(find Sources/COutpostSystem Sources/CKernels Sources/COutpostCrypto -name '*.c' | sort)
    for module in OutpostJSON OutpostDrift OutpostRuntime OutpostONNX OutpostPackage; do
        mapfile -t files < <(find "Sources/$module" -name '*.swift' | sort)
        swiftc "${swift_flags[@]}" -wmo -module-name "$module" -emit-module \
            -emit-module-path "$obj/$module.swiftmodule" -c -o "$obj/$module.o" "${files[@]}"
    done
    for t in "${all_targets[@]}"; do
        swiftc "${swift_flags[@]}" -module-name "Fuzz_$t" "fuzz/targets/$t.swift" \
            "$obj/OutpostJSON.o" "$obj/OutpostDrift.o" "$obj/OutpostRuntime.o" "$obj/OutpostONNX.o" "$obj/OutpostPackage.o" "${c_objs[@]}" \
            -use-ld=lld -Xlinker -lpthread -Xlinker -lm -Xlinker -lcrypto -o "$out/fuzz-$t"
    done
    exec 2>&3
    trap - ERR
    touch "$stamp"
fi

status=0
printf '\n%-12s %12s %10s %8s %8s  %s\n' target executions exec/s coverage crashes notes
for t in "${targets[@]}"; do
    work="fuzz/corpus-work/$t"
    crashes="$out/crashes/$t"
    mkdir -p "$work" "$crashes"
    log="$out/fuzz-$t.log"
    set +e
    "$out/fuzz-$t" -max_total_time="$seconds" -print_final_stats=1 -detect_leaks=0 -timeout=10 \
        -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 \
        -artifact_prefix="$crashes/" "$work" "fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    set -e
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    found=$(find "$crashes" -type f | wc -l)
    note=""
    if [ $rc -ne 0 ]; then
        note="libFuzzer exited $rc: $(grep -m1 -E 'ERROR|Fatal error|SUMMARY' "$log" || true) (see $log)"
        status=1
    fi
    cov=$(grep -o 'DONE *cov: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    printf '%-12s %12s %10s %8s %8s  %s\n' "$t" "${execs:-?}" "${speed:-?}" "${cov:-?}" "$found" "$note"
done
exit $status
