#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Instructions per get+put cycle (uncontended: T=1, --no-latency), counted by
# callgrind over the benchmark's cycle_once() only: both pools at M=4, and
# connpool at M=10,000 (cost independent of pool size).
# Instruction counts are repeatable whatever else the machine does.
#   bench/callgrind.sh [build-dir]     (default build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
bin=$build/bench/connpool-bench
if [ ! -x "$bin" ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target connpool-bench >/dev/null
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for run in "naive 4" "connpool 4" "connpool 10000"; do
  read -r pool max <<<"$run"
  valgrind --tool=callgrind --callgrind-out-file="$out/$pool.out" --toggle-collect='*cycle_once*' \
    "$bin" --pool="$pool" --threads=1 --max="$max" --seconds=0.5 --warmup=0 --no-latency >/dev/null 2>"$out/$pool.err"
  ir=$(grep -E '^(summary|totals):' "$out/$pool.out" | head -1 | awk '{print $2}')
  cycles=$(grep -o 'cycles_total=[0-9]*' "$out/$pool.err" | cut -d= -f2)
  awk -v p="$pool" -v m="$max" -v ir="$ir" -v c="$cycles" \
    'BEGIN { printf "peer=%s max=%d instructions=%.0f cycles=%.0f instructions_per_cycle=%.1f\n", p, m, ir, c, ir / c }'
done
