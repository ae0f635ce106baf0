#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What config.fairness_bound trades: the I/O-like cells (M=4, each lease held
# by sleeping 200 us; T in {16, 64}) for strict, bounded at several bounds
# and the naive baseline, three interleaved repeats, medians (the run with
# the median utilisation) of utilisation, p99 and max wait, CPU per op.
#   bench/fairness-bound.sh [seconds-per-run] [bounds-in-us...]   (defaults: 1; 250 1000 3000)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-1}
shift || true
bounds=("$@")
[ ${#bounds[@]} -gt 0 ] || bounds=(250 1000 3000)
bin=build/release/bench/connpool-bench
cmake --preset release >/dev/null
cmake --build --preset release --target connpool-bench >/dev/null
log=$(mktemp)
trap 'rm -f "$log"' EXIT
variants=(naive strict "${bounds[@]}")
for _ in 1 2 3; do
  for t in 16 64; do
    for v in "${variants[@]}"; do
      case $v in
        naive) args=(--pool=naive) ;;
        strict) args=(--pool=connpool --fairness=strict) ;;
        *) args=(--pool=connpool --fairness=bounded --fairness-bound-us="$v") ;;
      esac
      line=$("$bin" "${args[@]}" --threads="$t" --max=4 --seconds="$secs" --warmup=0.3 --hold-sleep=200000 2>/dev/null)
      echo "$line variant=$v" | tee -a "$log"
    done
  done
done
echo
echo "# medians of 3, M=4, holds of 200 us sleeping (bound in us; latencies in us)"
printf '%-7s %-8s %6s %9s %9s %8s\n' threads variant util p99_us max_us cpu_ns
for t in 16 64; do
  for v in "${variants[@]}"; do
    grep " threads=$t " "$log" | grep " variant=$v\$" |
      awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
             print f["utilisation"], f["p99_ns"], f["max_ns"], f["cpu_ns_per_op"] }' |
      sort -g | sed -n 2p |
      awk -v t="$t" -v v="$v" '{ printf "%-7s %-8s %6s %9.0f %9.0f %8s\n", t, v, $1, $2 / 1000, $3 / 1000, $4 }'
  done
done
