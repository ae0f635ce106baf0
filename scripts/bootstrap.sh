#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs everything connpool needs to build, test, run the demo and the
# benchmarks on Debian 12 (bookworm). Idempotent: when every package is
# present it only checks and returns (well under a second).
#
# Usage: scripts/bootstrap.sh        (as root, or with sudo available)
set -euo pipefail

packages=(
  # compiler and module scanner (clang-tools gives clang-scan-deps-19),
  # sanitizer runtimes, symbolizer, formatter and linter
  clang-19 clang-tools-19 libclang-rt-19-dev llvm-19 clang-format-19 clang-tidy-19
  ninja-build git ca-certificates openssl
  # Qt 6.4 and the QML runtime modules the demo and the QML tests import
  # (qtqml-models: ListModel's type description, which qmllint reads)
  qt6-base-dev qt6-declarative-dev
  qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-layouts
  qml6-module-qtquick-window qml6-module-qtqml-workerscript qml6-module-qtqml-models
  qml6-module-qtquick-templates qml6-module-qtqml qml6-module-qttest
  qml6-module-qtquick-shapes
  # Qt private headers: tst_qt_SocketPoolCycles counts Qt's posted-event list
  qt6-base-private-dev
  # the downstream tests' other consumers: the system g++ with Unix Makefiles,
  # Debian's qmake6 through pkg-config (pkgconf gives pkg-config)
  g++ make qmake6 pkgconf
  # benchmarks and tools (prometheus gives promtool, for tst_qt_MetricsEndpoint)
  libbenchmark-dev valgrind prometheus
  # the lint gates (scripts/lint.sh)
  shellcheck
  # Qt SQL's SQLite and PostgreSQL drivers: SqlPool's tests and example
  libqt6sql6-sqlite libqt6sql6-psql
  # real servers the tests start on loopback: the libpq example and
  # tst_libpq_pool (a throwaway PostgreSQL 15), tst_qt_SocketPoolRedis
  postgresql libpq-dev redis-server
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
cmake_ok=0
if command -v cmake >/dev/null; then
  v=$(cmake --version | awk 'NR==1{print $3}')
  [ "$(printf '%s\n3.28\n' "$v" | sort -V | head -n1)" = "3.28" ] && cmake_ok=1
fi
if [ ${#missing[@]} -eq 0 ] && [ $cmake_ok -eq 1 ]; then
  echo "bootstrap: all present (cmake $v)"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
apt_get() { $SUDO apt-get -o DPkg::Lock::Timeout=600 "$@"; }

# CMake >= 3.28 comes from bookworm-backports: add it on the machine's own
# Debian mirror, with the same keyring.
if [ $cmake_ok -eq 0 ]; then
  bp=/etc/apt/sources.list.d/connpool-backports.sources
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | grep -v security | awk '{print $2}' | grep debian | head -n1 || true)
    [ -n "$uri" ] || uri=$(grep -hsE '^deb .*debian' /etc/apt/sources.list | grep -v security | awk '{print $2}' | head -n1 || true)
    [ -n "$uri" ] || uri=http://deb.debian.org/debian
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" |
      $SUDO tee "$bp" >/dev/null
  fi
fi

apt_get update -q
apt_get install -y -q --no-install-recommends "${missing[@]}"
if [ $cmake_ok -eq 0 ]; then
  apt_get install -y -q --no-install-recommends -t bookworm-backports cmake cmake-data
fi
echo "bootstrap: done ($(cmake --version | head -n1))"
