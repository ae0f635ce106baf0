#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The benchmark matrix, three interleaved repeats, then the medians:
#  - hold 0 (spinning): T in {1,2,8,64} x M in {4,64}, plus T=64 M=4 hold=2000 ns;
#  - I/O-like (each lease held by sleeping 200 us): T in {16,64}, M=4.
# Each cell runs the naive baseline, connpool (default fairness: bounded) and
# connpool --fairness=strict. Prints every run, then per cell the medians of
# ops/s, p99 and max acquire latency, utilisation and CPU ns per op, and the
# ratios the targets are stated in.
#   bench/run.sh [seconds-per-run]        (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-1}
bin=build/release/bench/connpool-bench
cmake --preset release >/dev/null
cmake --build --preset release --target connpool-bench >/dev/null
# threads max hold (a leading "s": sleep that many ns instead of spinning)
cells=("1 4 0" "1 64 0" "2 4 0" "2 64 0" "8 4 0" "8 64 0" "64 4 0" "64 64 0" "64 4 2000" "16 4 s200000" "64 4 s200000")
pools=(naive bounded strict)
log=$(mktemp)
extra=$(mktemp)
trap 'rm -f "$log" "$extra"' EXIT
echo "# $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%F), load $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in 1 2 3; do # three repeats
  for cell in "${cells[@]}"; do
    read -r t m h <<<"$cell"
    hold=(--hold="$h")
    [[ $h == s* ]] && hold=(--hold-sleep="${h#s}")
    for pool in "${pools[@]}"; do
      args=(--pool=connpool --fairness="$pool")
      [ "$pool" = naive ] && args=(--pool=naive)
      line=$("$bin" "${args[@]}" --threads="$t" --max="$m" --seconds="$secs" --warmup=0.3 "${hold[@]}" 2>"$extra")
      echo "$line hold=$h $(sed 's/^extra: //' "$extra")" | tee -a "$log"
    done
  done
done

med() { # cell-pool field -> median of the three runs
  local t=$1 m=$2 h=$3 pool=$4 field=$5 sel
  if [ "$pool" = naive ]; then sel="^peer=naive "; else sel="^peer=connpool .* fairness=$pool "; fi
  grep -E "$sel" "$log" | grep " threads=$t max=$m " | grep " hold=$h " | grep -o " $field=[0-9.]*" | cut -d= -f2 |
    sort -g | sed -n 2p
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo
echo "# medians of 3: ops/s, acquire latency p99 and max (ns), utilisation, CPU ns per op"
printf '%-7s %-4s %-8s %-8s %11s %9s %10s %6s %8s %7s\n' threads max hold pool ops_per_sec p99_ns max_ns util cpu_ns x_naive
for cell in "${cells[@]}"; do
  read -r t m h <<<"$cell"
  naive_ops=$(med "$t" "$m" "$h" naive ops_per_sec)
  for pool in "${pools[@]}"; do
    ops=$(med "$t" "$m" "$h" "$pool" ops_per_sec)
    printf '%-7s %-4s %-8s %-8s %11.0f %9s %10s %6s %8s %7s\n' "$t" "$m" "$h" "$pool" "$ops" \
      "$(med "$t" "$m" "$h" "$pool" p99_ns)" "$(med "$t" "$m" "$h" "$pool" max_ns)" \
      "$(med "$t" "$m" "$h" "$pool" utilisation)" "$(med "$t" "$m" "$h" "$pool" cpu_ns_per_op)" \
      "$(ratio "$ops" "$naive_ops")"
  done
done

echo
echo "# the I/O-like cells against the targets (bounded vs strict and naive, same run)"
printf '%-7s %8s %14s %16s %14s\n' threads util p99/strict max-strict_us cpu/naive
for t in 16 64; do
  h=s200000
  printf '%-7s %8s %14s %16s %14s\n' "$t" "$(med "$t" 4 "$h" bounded utilisation)" \
    "$(ratio "$(med "$t" 4 "$h" bounded p99_ns)" "$(med "$t" 4 "$h" strict p99_ns)")" \
    "$(awk -v a="$(med "$t" 4 "$h" bounded max_ns)" -v b="$(med "$t" 4 "$h" strict max_ns)" 'BEGIN { printf "%.0f", (a - b) / 1000 }')" \
    "$(ratio "$(med "$t" 4 "$h" bounded cpu_ns_per_op)" "$(med "$t" 4 "$h" naive cpu_ns_per_op)")"
done
grep -o 'allocs_per_cycle=[0-9.]*' "$log" | sort | uniq -c | sed 's/^/# runs with /'
