#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What watching costs, against connpool-watched-app (two pools,
# examples/watched_app.cpp) in the release preset:
#  - the watched program: bytes per scrape (OpenMetrics and the classic
#    format) and CPU time per scrape it serves (N scrapes in a row, minus the
#    same wall time without scrapes), with its load stopped (--no-load) so
#    that only serving /metrics is counted;
#  - the dashboard: CPU time per scrape of reading the text and updating
#    its views (connpool-demo --watch's "watch: scrapes=..." line).
#
# Usage: scripts/watch_cost.sh [N]     (default 1000 scrapes)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
build="${CONNPOOL_DEMO_BUILD:-build/release}"
cmake --preset release -B "$build" >/dev/null
cmake --build "$build" --target connpool-demo connpool-watched-app >/dev/null
log="$(mktemp)"
"$build/examples/connpool-watched-app" --port 0 --no-load >"$log" &
app=$!
trap 'kill "$app" 2>/dev/null || true; rm -f "$log"' EXIT
url=""
for _ in $(seq 1 100); do
  url="$(grep -o 'http://[^ ]*/metrics' "$log" || true)"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "watch_cost: connpool-watched-app did not start" >&2; exit 1; }
port="${url#http://127.0.0.1:}"
port="${port%%/*}"
# One GET /metrics over bash's /dev/tcp (no HTTP client needed): the body on
# stdout. $1: the Accept header's value (empty: none, the classic format).
scrape() {
  local accept=""
  [ -n "${1:-}" ] && accept="Accept: $1"$'\r\n'
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n' "$accept" >&3
  sed '1,/^\r$/d' <&3
  exec 3<&-
}
# The load burst is over when gets stop moving.
gets() { scrape | awk '/^connpool_gets_total/ {s += $2} END {print s}'; }
previous=-1
for _ in $(seq 1 50); do
  now="$(gets)"
  [ "$now" = "$previous" ] && break
  previous="$now"
  sleep 0.5
done
ticks() { awk '{print $14 + $15}' "/proc/$app/stat"; }
hz="$(getconf CLK_TCK)"
om="application/openmetrics-text;version=1.0.0"
om_bytes="$(scrape "$om" | wc -c)"
classic_bytes="$(scrape | wc -c)"

t0="$(ticks)"
start="$(date +%s.%N)"
for _ in $(seq 1 "$n"); do scrape "$om" >/dev/null; done
wall="$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')"
t1="$(ticks)"
sleep "$wall" # the same time idle: its health checks and timers
t2="$(ticks)"
per="$(awk -v s=$(((t1 - t0) - (t2 - t1))) -v hz="$hz" -v n="$n" 'BEGIN {printf "%.1f", s * 1e6 / hz / n}')"
echo "watched app: ${om_bytes} bytes per scrape (OpenMetrics), ${classic_bytes} bytes (classic text)"
echo "watched app: ${per} us CPU per scrape served ($n scrapes in ${wall} s: $((t1 - t0)) ticks, idle $((t2 - t1)) ticks, ${hz} ticks/s)"
"$build/demo/connpool-demo" --watch "$url" --interval 0.1 --screenshot "$(mktemp --suffix=.png)" --after 10 |
  grep '^watch: scrapes=' | sed 's/^watch:/dashboard:/'
