#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tst_demo_watch_screenshot: starts connpool-watched-app (two pools under
# load behind a MetricsEndpoint, a free port) and runs
# `connpool-demo --watch URL --screenshot PNG --after 3`; checks exit 0, a
# real PNG (demo_pngcheck) and one "watch: pool=..." line per pool with
# moving counters. A shell script rather than a Qt Test with QProcess: the
# programs must be spawned by an uninstrumented process, as ThreadSanitizer
# aborts in the clone() that QProcess uses.
#
# Usage: watch_screenshot.sh DEMO WATCHED_APP PNGCHECK PNG
set -euo pipefail
demo="$1" app="$2" check="$3" png="$4"
work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
"$app" --port 0 >"$work/app.out" 2>"$work/app.err" &
pid=$!
# Its URL, once it listens: at most 60 s (sanitizer builds start slowly).
url=""
for _ in $(seq 1 600); do
  url="$(grep -o 'http://[^ ]*/metrics' "$work/app.out" || true)"
  [ -n "$url" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "connpool-watched-app exited:" && cat "$work/app.err"
    exit 1
  fi
  sleep 0.1
done
[ -n "$url" ] || { echo "connpool-watched-app printed no URL"; exit 1; }

rm -f "$png"
if ! out="$("$demo" --watch "$url" --interval 0.5 --screenshot "$png" --after 3 2>"$work/demo.err")"; then
  echo "connpool-demo --watch failed:" && echo "$out" && cat "$work/demo.err"
  exit 1
fi
echo "$out"
for pool in orders sessions; do
  line="$(grep "^watch: pool=$pool " <<<"$out")" || { echo "no watch line for pool $pool"; exit 1; }
  gets="$(sed -E 's/.* gets=([0-9]+) .*/\1/' <<<"$line")"
  [ "$gets" -gt 0 ] || { echo "pool $pool: gets did not move ($line)"; exit 1; }
done
grep -q '^watch: scrapes=[1-9]' <<<"$out" || { echo "no scrape counted"; exit 1; }
"$check" "$png" 1440 900 64 || { echo "$png is not a real picture of the dashboard"; exit 1; }
echo "watch screenshot ok"
