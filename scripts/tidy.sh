#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# clang-tidy-19 over the library (every unit of the connpool module) with the
# checks in .clang-tidy, two units at a time. Needs a configured and built
# tree for compile_commands.json and the module's BMIs (default build/debug).
# Zero findings, or the gate fails.
#   scripts/tidy.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/debug}
[ -f "$build/compile_commands.json" ] || { echo "tidy: no $build/compile_commands.json: build first" >&2; exit 2; }
start=$(date +%s)
mapfile -t units < <(git ls-files 'modules/*.cppm' 'modules/*.cpp')
out=$(mktemp)
trap 'rm -f "$out"' EXIT
printf '%s\n' "${units[@]}" | xargs -P 2 -n 1 clang-tidy-19 -p "$build" --quiet >"$out" 2>&1 || true
findings=$(grep -cE '(warning|error): ' "$out" || true)
if [ "$findings" -ne 0 ]; then
  grep -E -A3 '(warning|error): ' "$out"
  echo "tidy: $findings finding(s) in ${#units[@]} units ($(($(date +%s) - start)) s)" >&2
  exit 1
fi
echo "tidy: ${#units[@]} units, no findings ($(($(date +%s) - start)) s)"
