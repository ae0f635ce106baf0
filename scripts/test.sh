#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sets up the machine (scripts/bootstrap.sh), then configures, builds and runs
# every test with the given CMake workflow presets (default: debug).
#   scripts/test.sh                 # debug
#   scripts/test.sh asan tsan       # sanitizer builds
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(debug)
for p in "${presets[@]}"; do
  start=$(date +%s)
  echo "== workflow preset: $p"
  cmake --workflow --preset "$p" --fresh
  echo "== $p: passed in $(( $(date +%s) - start )) s"
done
