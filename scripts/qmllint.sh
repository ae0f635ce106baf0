#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Lints every QML file of the demo with Debian's qmllint, against the QML
# modules of a build tree: ConnPool (BUILD/qml) and the demo's own
# ConnPoolDemo (BUILD/demo, its files mapped through the module's resource
# lists). Builds connpool-demo first, so that those are current. Prints
# nothing and exits 0 when clean.
#
# Usage: scripts/qmllint.sh [BUILD]     (default build/debug)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/debug}"
# A clean clone (CI runs the gates first): configure the debug preset.
[ -f "$build/build.ninja" ] || [ "$build" != build/debug ] || cmake --preset debug >/dev/null
cmake --build "$build" --target connpool-demo >/dev/null
/usr/lib/qt6/bin/qmllint -I "$build/qml" -I "$build/demo" \
  --resource "$build/demo/.rcc/qmake_ConnPoolDemo.qrc" \
  --resource "$build/demo/.rcc/connpool_demo_raw_qml_0.qrc" \
  demo/qml/*.qml
