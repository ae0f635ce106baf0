#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fuzzes the pool against its reference model for longer than CI does.
#   scripts/fuzz.sh [seconds]     # default 600
# Configures the `fuzz` preset (build/fuzz: clang-19, -fsanitize=fuzzer,address,
# undefined), builds fuzz_pool and runs it from the committed seed corpus
# (tests/fuzz/corpus, read only); new inputs go to build/fuzz/corpus-long,
# crashes to build/fuzz/crash-*.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
cmake --preset fuzz
cmake --build --preset fuzz --target fuzz_pool
mkdir -p build/fuzz/corpus-long
build/fuzz/tests/fuzz/fuzz_pool -max_total_time="$seconds" -print_final_stats=1 -max_len=4096 -timeout=30 \
  -artifact_prefix=build/fuzz/ build/fuzz/corpus-long tests/fuzz/corpus
