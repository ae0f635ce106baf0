#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# How long a downstream translation unit that imports connpool takes to
# compile against the built module (user CPU seconds, best of 3): a one-line
# `import connpool; int main() {}` and tests/downstream/main.cpp (which
# instantiates pool<int>). Uses the BMIs of a release build, with its flags.
#   bench/downstream_tu.sh [build-dir]     (default build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
bmi=$build/modules/CMakeFiles/connpool.dir
[ -f "$bmi/connpool.pcm" ] || { echo "no $bmi/connpool.pcm: build $build first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'import connpool;\nint main() {}\n' >"$tmp/one_line.cpp"
for src in "$tmp/one_line.cpp" tests/downstream/main.cpp; do
  best=
  for _ in 1 2 3; do
    t=$( { /usr/bin/time -f %U clang++-19 -std=c++20 -O2 -g -gdwarf-4 -fprebuilt-module-path="$bmi" \
      -c "$src" -o "$tmp/out.o"; } 2>&1 | tail -1)
    best=$(awk -v a="${best:-$t}" -v b="$t" 'BEGIN { print (b < a) ? b : a }')
  done
  echo "$(basename "$src"): ${best} s user"
done
