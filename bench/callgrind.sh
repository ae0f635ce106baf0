#!/usr/bin/env bash
# Instructions per get+put cycle (uncontended: T=1, M=4, --no-latency),
# counted by callgrind over the benchmark's cycle_once() only, for both pools.
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
for pool in naive connpool; do
  valgrind --tool=callgrind --callgrind-out-file="$out/$pool.out" --toggle-collect='*cycle_once*' \
    "$bin" --pool=$pool --threads=1 --max=4 --seconds=0.5 --warmup=0 --no-latency >/dev/null 2>"$out/$pool.err"
  ir=$(grep -E '^(summary|totals):' "$out/$pool.out" | head -1 | awk '{print $2}')
  cycles=$(grep -o 'cycles_total=[0-9]*' "$out/$pool.err" | cut -d= -f2)
  awk -v p=$pool -v ir="$ir" -v c="$cycles" \
    'BEGIN { printf "peer=%s instructions=%d cycles=%d instructions_per_cycle=%.1f\n", p, ir, c, ir / c }'
done
