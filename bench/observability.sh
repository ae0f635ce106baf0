#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Overhead of connpool's per-lease bookkeeping (histograms, observer, leak tracking), against the default
# run in the same session:
#  1. instructions per get+put cycle (callgrind over cycle_once(), T=1 M=4,
#     --no-latency, as bench/callgrind.sh) for the default and each option;
#  2. throughput for T in {1,2,8} x M in {4,64}, hold 0, default vs
#     --hold-time vs --observer vs --leak-threshold-ms 1000, variants
#     interleaved, three repeats; medians and ratios to the default.
#   bench/observability.sh [seconds-per-run] [build-dir]   (defaults: 1, build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-1}
build=${2:-build/release}
bin=$build/bench/connpool-bench
if [ ! -x "$bin" ]; then
  cmake --preset release -B "$build" >/dev/null
  cmake --build "$build" -j2 --target connpool-bench >/dev/null
fi
variants=("default:" "hold-time:--hold-time" "observer:--observer" "leak:--leak-threshold-ms 1000")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "# $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%F), load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "# instructions per get+put cycle (callgrind, T=1 M=4 --no-latency)"
base_ipc=
for v in "${variants[@]}"; do
  name=${v%%:*} flags=${v#*:}
  # shellcheck disable=SC2086
  valgrind --tool=callgrind --callgrind-out-file="$out/$name.out" --toggle-collect='*cycle_once*' \
    "$bin" --pool=connpool --threads=1 --max=4 --seconds=0.5 --warmup=0 --no-latency $flags >/dev/null 2>"$out/$name.err"
  ir=$(grep -E '^(summary|totals):' "$out/$name.out" | head -1 | awk '{print $2}')
  cycles=$(grep -o 'cycles_total=[0-9]*' "$out/$name.err" | cut -d= -f2)
  ipc=$(awk -v ir="$ir" -v c="$cycles" 'BEGIN { printf "%.1f", ir / c }')
  base_ipc=${base_ipc:-$ipc}
  printf 'variant=%-9s instructions=%d cycles=%d instructions_per_cycle=%s ratio=%.2f\n' "$name" "$ir" "$cycles" \
    "$ipc" "$(awk -v a="$ipc" -v b="$base_ipc" 'BEGIN { print a / b }')"
done

echo "# throughput runs (hold 0, ${secs}s each, warm-up 0.3 s)"
cells=("1 4" "1 64" "2 4" "2 64" "8 4" "8 64")
log=$out/runs
for _ in 1 2 3; do  # three repeats
  for cell in "${cells[@]}"; do
    read -r t m <<<"$cell"
    for v in "${variants[@]}"; do
      name=${v%%:*} flags=${v#*:}
      # shellcheck disable=SC2086
      line=$("$bin" --pool=connpool --threads="$t" --max="$m" --seconds="$secs" --warmup=0.3 --hold=0 $flags \
        2>"$out/extra")
      echo "variant=$name $line $(sed 's/^extra: //' "$out/extra")" | tee -a "$log"
    done
  done
done
echo
echo "# medians of 3: ops/s (ratio to default in the same run), p99 acquire latency ns"
printf '%-7s %-4s' threads max
for v in "${variants[@]}"; do printf ' %22s' "${v%%:*}"; done
printf '   p99: default/hold-time/observer/leak\n'
for cell in "${cells[@]}"; do
  read -r t m <<<"$cell"
  med() { # variant field
    grep "^variant=$1 peer=connpool threads=$t max=$m " "$log" | grep -o " $2=[0-9.]*" | cut -d= -f2 | sort -g | sed -n 2p
  }
  base=$(med default ops_per_sec)
  printf '%-7s %-4s' "$t" "$m"
  p99s=
  for v in "${variants[@]}"; do
    name=${v%%:*}
    ops=$(med "$name" ops_per_sec)
    printf ' %14.0f (%5.2f)' "$ops" "$(awk -v a="$ops" -v b="$base" 'BEGIN { print a / b }')"
    p99s="$p99s/$(med "$name" p99_ns)"
  done
  printf '   %s\n' "${p99s#/}"
done
