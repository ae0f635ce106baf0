#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerates docs/dashboard.png: connpool-demo's screenshot mode (offscreen)
# after SECONDS (default 45) of the embedded load, with the fault drill
# (reset, kill, restart, slow down) so the event log and alarms show.
# With --watch: docs/watch.png instead, the watch mode against
# connpool-watched-app (examples/watched_app.cpp) after SECONDS (default 30),
# the pool "sessions" shown (one that waits).
#
# Usage: scripts/screenshot.sh [--watch] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
watch=0
if [ "${1:-}" = --watch ]; then
  watch=1
  shift
fi
# CONNPOOL_DEMO_BUILD: another build directory for the release preset.
build="${CONNPOOL_DEMO_BUILD:-build/release}"
cmake --preset release -B "$build" >/dev/null
if [ "$watch" = 0 ]; then
  seconds="${1:-45}"
  cmake --build "$build" --target connpool-demo
  "$build/demo/connpool-demo" --screenshot docs/dashboard.png --after "$seconds" --fault-drill
  echo "screenshot: docs/dashboard.png"
  exit 0
fi
seconds="${1:-30}"
cmake --build "$build" --target connpool-demo connpool-watched-app
log="$(mktemp)"
"$build/examples/connpool-watched-app" --port 0 >"$log" &
app=$!
trap 'kill "$app" 2>/dev/null || true; rm -f "$log"' EXIT
url=""
for _ in $(seq 1 100); do # its URL once it listens: at most 10 s
  url="$(grep -o 'http://[^ ]*/metrics' "$log" || true)"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "screenshot: connpool-watched-app did not start" >&2; exit 1; }
"$build/demo/connpool-demo" --watch "$url" --pool sessions --screenshot docs/watch.png --after "$seconds"
echo "screenshot: docs/watch.png"
