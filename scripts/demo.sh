#!/usr/bin/env bash
# Sets up the machine, builds the release preset and runs the project's main
# program: the quick-start example (a pool against its own loopback server).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release --target connpool-example
exec ./build/release/examples/connpool-example "$@"
