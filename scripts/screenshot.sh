#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerates docs/dashboard.png: connpool-demo's screenshot mode (offscreen)
# after SECONDS (default 45) of the embedded load, with the fault drill
# (reset, kill, restart, slow down) so the event log and alarms show.
#
# Usage: scripts/screenshot.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-45}"
# CONNPOOL_DEMO_BUILD: another build directory for the release preset.
build="${CONNPOOL_DEMO_BUILD:-build/release}"
cmake --preset release -B "$build" >/dev/null
cmake --build "$build" --target connpool-demo
"$build/demo/connpool-demo" --screenshot docs/dashboard.png --after "$seconds" --fault-drill
echo "screenshot: docs/dashboard.png"
