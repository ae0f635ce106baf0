#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The benchmark matrix: T in {1,2,8,64} x M in {4,64} at hold=0, plus
# T=64 M=4 hold=2000 ns; connpool and the naive baseline interleaved, three
# repeats each; prints every run, then the medians and connpool/naive ratios.
#   bench/run.sh [seconds-per-run]        (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-1}
bin=build/release/bench/connpool-bench
cmake --preset release >/dev/null
cmake --build --preset release --target connpool-bench >/dev/null
cells=("1 4 0" "1 64 0" "2 4 0" "2 64 0" "8 4 0" "8 64 0" "64 4 0" "64 64 0" "64 4 2000")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "# $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%F)"
for _ in 1 2 3; do  # three repeats
  for cell in "${cells[@]}"; do
    read -r t m h <<<"$cell"
    for pool in naive connpool; do
      line=$("$bin" --pool="$pool" --threads="$t" --max="$m" --seconds="$secs" --warmup=0.3 --hold="$h" 2>/tmp/bench-extra.$$)
      extra=$(sed 's/^extra: //' /tmp/bench-extra.$$)
      echo "$line hold=$h $extra" | tee -a "$log"
    done
  done
done
rm -f /tmp/bench-extra.$$
echo
echo "# medians of 3 (ops/s, p99 and max acquire latency in ns)"
printf '%-8s %-5s %-6s %12s %12s %7s %9s %9s %11s %11s\n' threads max hold naive connpool ratio p99_naive p99_conn max_naive max_conn
for cell in "${cells[@]}"; do
  read -r t m h <<<"$cell"
  med() { # pool field
    grep "^peer=$1 threads=$t max=$m " "$log" | grep " hold=$h " | grep -o " $2=[0-9.]*" | cut -d= -f2 | sort -g | sed -n 2p
  }
  n=$(med naive ops_per_sec); c=$(med connpool ops_per_sec)
  printf '%-8s %-5s %-6s %12.0f %12.0f %7.2f %9s %9s %11s %11s\n' "$t" "$m" "$h" "$n" "$c" "$(awk -v c="$c" -v n="$n" 'BEGIN { print c / n }')" \
    "$(med naive p99_ns)" "$(med connpool p99_ns)" "$(med naive max_ns)" "$(med connpool max_ns)"
done
