#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sets up the machine, builds the release preset and runs the project's main
# program: connpool-demo, a live dashboard of a connection pool under load
# against its own loopback echo server. Extra arguments go to connpool-demo
# (e.g. --host H --port P, --fault-drill).
#
#   scripts/demo.sh --watch URL [--interval S]   the dashboard of another
#                     program's pools, read from its /metrics
#   scripts/demo.sh --watch-example              the same against
#                     connpool-watched-app (examples/watched_app.cpp, two
#                     pools under load), started here and stopped on exit
#
# With no display ($DISPLAY and $WAYLAND_DISPLAY empty) it runs the
# dashboard's screenshot mode instead and writes build/dashboard.png
# (build/watch.png when watching; the "watch: pool=..." lines are printed).
set -euo pipefail
cd "$(dirname "$0")/.."
example=0
watching=0
args=()
for a in "$@"; do
  case "$a" in
    --watch-example) example=1 watching=1 ;;
    --watch | --watch=*) watching=1 args+=("$a") ;;
    *) args+=("$a") ;;
  esac
done
bash scripts/bootstrap.sh
# CONNPOOL_DEMO_BUILD: another build directory for the release preset.
build="${CONNPOOL_DEMO_BUILD:-build/release}"
cmake --preset release -B "$build" >/dev/null
targets=(connpool-demo)
[ "$example" = 1 ] && targets+=(connpool-watched-app)
cmake --build "$build" --target "${targets[@]}"
demo="$build/demo/connpool-demo"

if [ "$example" = 1 ]; then
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
  [ -n "$url" ] || { echo "demo: connpool-watched-app did not start" >&2; exit 1; }
  echo "demo: connpool-watched-app serves $url (pools orders and sessions)"
  args+=(--watch "$url")
fi

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  png=build/dashboard.png
  [ "$watching" = 1 ] && png=build/watch.png
  echo "demo: no display (\$DISPLAY and \$WAYLAND_DISPLAY are empty): running the dashboard offscreen" \
    "for 10 s and saving it to $png"
  "$demo" --screenshot "$png" --after 10 "${args[@]}"
  echo "demo: wrote $png (open it with any image viewer)"
elif [ "$example" = 1 ]; then
  "$demo" "${args[@]}" # not exec: the trap stops the example app afterwards
else
  exec "$demo" "${args[@]}"
fi
