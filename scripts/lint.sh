#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
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

shell_files=(scripts/*.sh .ci/run tests/pg/*.sh tests/demo/*.sh bench/*.sh)
gate shellcheck shellcheck "${shell_files[@]}"
# qmllint over every QML file of the dashboard (needs the debug build of
# connpool-demo for the modules it imports; it builds it).
gate qmllint bash scripts/qmllint.sh

# The license line: every source, build and script file names it (SPDX).
# shellcheck disable=SC2317 # called indirectly, through gate()
spdx_missing() {
  local missing=0 f
  while IFS= read -r f; do
    head -n 3 "$f" | grep -q 'SPDX-License-Identifier: MIT' || { echo "$f: no SPDX-License-Identifier line"; missing=1; }
  done < <(git ls-files '*.cpp' '*.h' '*.cppm' '*.qml' '*.js' '*.sh' '*.cmake' '*.txt' '*.pro' '*.supp' ':!tests/fuzz/corpus/*' && echo .ci/run)
  return "$missing"
}
gate spdx spdx_missing

exit "$status"
