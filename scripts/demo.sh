#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sets up the machine, builds the release preset and runs the project's main
# program: connpool-demo, a live dashboard of a connection pool under load
# against its own loopback echo server. Extra arguments go to connpool-demo
# (e.g. --host H --port P, --fault-drill).
#
# With no display ($DISPLAY and $WAYLAND_DISPLAY empty) it runs the
# dashboard's screenshot mode instead and writes build/dashboard.png.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# CONNPOOL_DEMO_BUILD: another build directory for the release preset.
build="${CONNPOOL_DEMO_BUILD:-build/release}"
cmake --preset release -B "$build" >/dev/null
cmake --build "$build" --target connpool-demo
demo="$build/demo/connpool-demo"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "demo: no display (\$DISPLAY and \$WAYLAND_DISPLAY are empty): running the dashboard offscreen" \
    "for 10 s and saving it to build/dashboard.png"
  "$demo" --screenshot build/dashboard.png --after 10 "$@"
  echo "demo: wrote build/dashboard.png (open it with any image viewer)"
else
  exec "$demo" "$@"
fi
