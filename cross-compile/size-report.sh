#!/usr/bin/env bash
# Size and memory budget report for the Embedded device builds.
#   cross-compile/size-report.sh [--no-build] [ARCH...]     (default: arm64 armhf x86_64)
# For each architecture: the stripped size of every binary — the device CLI `outpost`
# (budget: <= 1 MB) and the developer tools `outpost-dev` (no budget: not installed on
# devices) —, the largest sections and the NEEDED libraries; then peak RSS of
#   outpost run models/mobilenet --input-dir models/mobilenet/test_data_set_0 --threads 1
# (budget: model size + 8 MB). x86_64 runs natively: /usr/bin/time's max RSS is the
# process's own. Under qemu-user the max RSS includes qemu itself (its code, heap and
# translation cache, 17-21 MB), so for the ARM builds we report that raw figure and
# the guest's own peak (cross-compile/guest-rss.py: the Rss of the guest's address
# range, sampled; the larger of `outpost run` and `outpost bench … --iterations 20`,
# which holds its peak), and check the budget on the guest's peak.
# Exit status non-zero when a budget is exceeded.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
cd "$cross_root"
build=1
[[ ${1:-} == --no-build ]] && { build=0; shift; }
archs=("$@"); [[ ${#archs[@]} -gt 0 ]] || archs=(arm64 armhf x86_64)

budget_bin=$((1024 * 1024))
model=models/mobilenet
model_bytes=$(stat -c %s "$model/model.onnx")
budget_rss_kb=$(( (model_bytes + 8 * 1024 * 1024) / 1024 ))
over=0
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

maxrss() {  # maxrss CMD...: prints the max RSS in KB
  /usr/bin/time -f '%M' -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; echo 0; return 1; }
  cat "$tmp/rss"
}

# x86_64 first (its figures lead the report).
ordered=()
for a in "${archs[@]}"; do [[ $a == x86_64 ]] && ordered+=("$a"); done
for a in "${archs[@]}"; do [[ $a != x86_64 ]] && ordered+=("$a"); done

for a in "${ordered[@]}"; do
  arch_vars "$a"
  if [[ $build -eq 1 ]]; then
    list="$("$here/build.sh" "$a" release)" || { echo "build $a failed"; over=1; continue; }
  else
    list="$(ls -d "$scratch"/*/release/* "$scratch"/release/* 2>/dev/null | while read -r f; do
      # $scratch/release is a symlink to $scratch/TRIPLE/release: list each file once.
      f="$(readlink -f "$f")"
      [[ -f $f && -x $f ]] && file "$f" | grep -q ELF && echo "${f#"$cross_root/"}"; done | sort -u)"
  fi
  echo "== $a"
  for bin in $list; do
    strip_to "$bin" "$tmp/stripped"
    s=$(stat -c %s "$tmp/stripped")
    mark=""; [[ $(basename "$bin") == outpost && $s -gt $budget_bin ]] && { mark="  OVER BUDGET (1 MB)"; over=1; }
    printf '  %-14s %9d bytes stripped (%d KB)%s\n' "$(basename "$bin")" "$s" $((s / 1024)) "$mark"
    echo "    sections: $(sections "$tmp/stripped" | awk '$2 > 4096 {printf "%s %d KB  ", $1, $2/1024}')"
    echo "    NEEDED: $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd' ' -)"
  done
  outpost="$(grep '/outpost$' <<<"$list")"
  run=(run "$model" --input-dir "$model/test_data_set_0" --threads 1)
  if [[ -z $qemu ]]; then
    base=$(maxrss "$outpost" version); rss=$(maxrss "$outpost" "${run[@]}")
    mark=""; [[ $rss -gt $budget_rss_kb ]] && { mark="  OVER BUDGET"; over=1; }
    echo "  peak RSS (native) outpost ${run[*]}: $rss KB (outpost version: $base KB); budget model $((model_bytes / 1024)) KB + 8 MB = $budget_rss_kb KB$mark"
  else
    for cpu in $([[ $a == arm64 ]] && echo max || echo cortex-a7); do
      q=("$qemu" -cpu "$cpu" -L "$sysroot" "$outpost")
      raw=$(maxrss "${q[@]}" "${run[@]}")
      g_run=$(python3 "$here/guest-rss.py" "${q[@]}" "${run[@]}") || g_run=0
      g_bench=$(python3 "$here/guest-rss.py" "${q[@]}" bench "$model" --iterations 20 --threads 1) || g_bench=0
      guest=$(( g_run > g_bench ? g_run : g_bench ))
      mark=""; [[ $guest -eq 0 || $guest -gt $budget_rss_kb ]] && { mark="  OVER BUDGET"; over=1; }
      echo "  peak RSS under $qemu -cpu $cpu: the guest's own $guest KB (run $g_run KB, bench $g_bench KB; with qemu itself $raw KB); budget $budget_rss_kb KB$mark"
    done
  fi
done
[[ $over -eq 0 ]] && echo "size-report: within budgets" || echo "size-report: OVER BUDGET"
[[ $over -eq 0 ]]
