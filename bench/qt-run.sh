#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Qt layer comparison: SocketPool against one dedicated QTcpSocket per
# thread, in the blocking acquire -> 16-byte echo -> release loop of
# connpool-qt-bench. Cells: dedicated T=1, pool T=1 M=1, dedicated T=4,
# pool T=4 M=4; each for 1 s, then each for 60 s. Prints every run's own
# output, then a markdown table with the ratio pooled/dedicated at the same
# T and duration.
#   bench/qt-run.sh [--quick]      (--quick: the 1 s runs only)
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C # awk and printf read and write "827.5", whatever the locale

durations=(1 60)
case "${1:-}" in
"") ;;
--quick) durations=(1) ;;
-h | --help)
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
  ;;
*)
  echo "usage: bench/qt-run.sh [--quick]" >&2
  exit 2
  ;;
esac

bin=build/release/bench/connpool-qt-bench
if [[ ! -f build/release/build.ninja ]]; then
  cmake --preset release >/dev/null
fi
cmake --build build/release --target connpool-qt-bench >/dev/null

# mode threads max
cells=("dedicated 1 1" "pool 1 1" "dedicated 4 4" "pool 4 4")
declare -A result # "secs mode threads" -> the run's qtbench: line

echo "# $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)," \
  "$(date -u '+%F %H:%M') UTC, $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
for secs in "${durations[@]}"; do
  for cell in "${cells[@]}"; do
    read -r mode t m <<<"$cell"
    out=$("$bin" --mode="$mode" --threads "$t" --max "$m" --seconds "$secs") || {
      echo "connpool-qt-bench --mode=$mode --threads $t --max $m --seconds $secs failed ($?)" >&2
      out=""
    }
    [[ -n "$out" ]] && echo "$out"
    result["$secs $mode $t"]=$(grep '^qtbench: ' <<<"$out" || true)
  done
done

field() { # line name
  sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"
}

echo
echo "| run | mode | T | M | round trips/s | acquire µs | round trip µs | release µs | RSS start→end kB (growth) | errors | pooled/dedicated |"
echo "|---|---|---|---|---:|---:|---:|---:|---|---:|---:|"
for secs in "${durations[@]}"; do
  for cell in "${cells[@]}"; do
    read -r mode t m <<<"$cell"
    line=${result["$secs $mode $t"]}
    [[ "$mode" == dedicated ]] && m="—"
    if [[ -z "$line" ]]; then
      echo "| ${secs} s | $mode | $t | $m | failed | | | | | | |"
      continue
    fi
    rt=$(field "$line" rt_per_s)
    errors=$(($(field "$line" acquire_errors) + $(field "$line" echo_errors)))
    ratio="—"
    if [[ "$mode" == pool ]]; then
      base=${result["$secs dedicated $t"]}
      if [[ -n "$base" ]]; then
        ratio=$(awk -v p="$rt" -v d="$(field "$base" rt_per_s)" 'BEGIN { if (d > 0) printf "%.3f", p / d; else print "—" }')
      fi
    fi
    printf '| %s s | %s | %s | %s | %.0f | %s | %s | %s | %s→%s (%+d) | %s | %s |\n' "$secs" "$mode" "$t" "$m" "$rt" \
      "$(field "$line" acquire_us)" "$(field "$line" roundtrip_us)" "$(field "$line" release_us)" \
      "$(field "$line" rss_start_kb)" "$(field "$line" rss_end_kb)" "$(field "$line" rss_growth_kb)" "$errors" "$ratio"
  done
done
