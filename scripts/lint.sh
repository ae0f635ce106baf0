#!/usr/bin/env bash
# The fast gates CI runs before the long test runs. Each prints its findings
# and the script fails if any gate found anything.
#   scripts/lint.sh
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
gate() {
  local name=$1
  shift
  echo "== lint: $name"
  if "$@"; then
    echo "== lint: $name: clean"
  else
    echo "== lint: $name: FAILED"
    status=1
  fi
}

# clang-format-19 over every C++ file in git (the repo's .clang-format).
mapfile -t cxx_files < <(git ls-files '*.cpp' '*.h' '*.cppm')
gate clang-format clang-format-19 --dry-run -Werror "${cxx_files[@]}"

shell_files=(scripts/*.sh .ci/run tests/pg/*.sh bench/*.sh)
gate shellcheck shellcheck "${shell_files[@]}"
# qmllint over every QML file of the dashboard (needs the debug build of
# connpool-demo for the modules it imports; it builds it).
gate qmllint bash scripts/qmllint.sh

exit "$status"
