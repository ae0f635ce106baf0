#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# connpool beside the pools users would otherwise pick, through the shared
# peer harness (../shared/bench-peers/run.sh: HikariCP, Go's database/sql, a
# naive C++ pool, all driven by the same loop as connpool-bench):
#  - hold 0: T in {8, 64}, M=4;
#  - I/O-like: each lease held by sleeping 200 us (HOLD_SLEEP=200000), T in {16, 64}, M=4.
# Three interleaved repeats of each matrix, then the medians per peer and cell.
#   bench/peers.sh [seconds-per-cell] [peer-harness-dir]   (defaults: 1, ../shared/bench-peers)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-1}
harness=${2:-../shared/bench-peers}
cmake --preset release >/dev/null
cmake --build --preset release --target connpool-bench >/dev/null
export CONNPOOL_BENCH=$PWD/build/release/bench/connpool-bench
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
peers="proj-connpool proj-connpool-strict proj-naive cpp-naive java-hikari go-sql"
for r in 1 2 3; do
  SECS=$secs REPEAT="" THREADS="8 64" MAXES=4 PEERS=$peers bash "$harness/run.sh" 2>/dev/null |
    grep '^peer=' | sed 's/$/ hold=0/' >>"$out/all"
  SECS=$secs REPEAT="" THREADS="16 64" MAXES=4 HOLD_SLEEP=200000 PEERS=$peers bash "$harness/run.sh" 2>/dev/null |
    grep '^peer=' | sed 's/$/ hold=s200000/' >>"$out/all"
  echo "# repeat $r done: $(grep -c . "$out/all") lines" >&2
done
cat "$out/all"
echo
echo "# medians of 3: per peer and cell, the run with the median ops/s (connpool-bounded: the default"
echo "# fairness; connpool-strict: FIFO hand-over; naive: connpool-bench's own baseline; cpp-naive: the harness's)"
echo "# Go's time.Sleep rounds short sleeps up to ~1 ms: go-sql is not comparable in the sleeping cells"
printf '%-22s %-4s %-8s %11s %9s %11s %6s %8s %6s\n' peer T hold ops_per_sec p99_ns max_ns util cpu_ns other
awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
       if (f["fairness"] != "") f["peer"] = f["peer"] "-" f["fairness"]
       print f["peer"], f["threads"], f["hold"], f["ops_per_sec"], f["p99_ns"], f["max_ns"],
             (f["utilisation"] == "" ? "-" : f["utilisation"]), (f["cpu_ns_per_op"] == "" ? "-" : f["cpu_ns_per_op"]),
             f["other_cpu"]; delete f }' "$out/all" |
  sort -k1,1 -k3,3 -k2,2n -k4,4g |
  awk '{ k = $1 " " $2 " " $3; n[k]++; row[k, n[k]] = $0 }
       END { for (k in n) { split(row[k, int((n[k] + 1) / 2)], c, " ")
               printf "%-22s %-4s %-8s %11.0f %9s %11s %6s %8s %6s\n", c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9] } }' |
  sort -k3,3 -k2,2n -k1,1
