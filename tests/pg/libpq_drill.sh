#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tst_libpq_pool: runs connpool-libpq-example, then its fault drill, against a
# PostgreSQL 15 server of its own (tests/pg/with_postgres.sh starts it: a
# fresh cluster in a temporary directory on 127.0.0.1 and a free port; no
# system instance is touched). The drill stops and starts that server with
# the commands with_postgres.sh gives it.
#
# Usage: libpq_drill.sh EXAMPLE_BINARY      (exit 77: no PostgreSQL server here)
set -euo pipefail
example=$1
# shellcheck disable=SC2016 # expanded by the inner shell, in the server's environment
exec bash "$(dirname "$0")/with_postgres.sh" bash -c \
  '"$1" "$CONNPOOL_PG_CONNINFO" && "$1" "$CONNPOOL_PG_CONNINFO" --drill "$CONNPOOL_PG_STOP" "$CONNPOOL_PG_START"' \
  tst_libpq_pool "$example"
