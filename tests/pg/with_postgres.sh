#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs a command (the libpq drill, a SqlPool test or example) against a
# PostgreSQL 15 server of its own, started here before it: a fresh
# cluster (initdb) in a temporary directory, on 127.0.0.1 and a free port,
# scram-sha-256 with a random password, its socket in that directory; as
# root the server runs as the `postgres` user. No system instance is touched.
# The server is started here rather than by the test because QProcess cannot
# start children under ThreadSanitizer.
#
# The command finds, in its environment:
#   CONNPOOL_PG_URL        postgresql://postgres:PASSWORD@127.0.0.1:PORT/postgres?...
#   CONNPOOL_PG_CONNINFO   the same as a libpq conninfo string (password in PGPASSWORD)
#   CONNPOOL_PG_PORT, CONNPOOL_PG_PASSWORD, PGPASSWORD
#   CONNPOOL_PG_STOP       a shell command: stop the server (fast: backends end)
#   CONNPOOL_PG_START      a shell command: start it again, same port; returns when it accepts
#
# Usage: with_postgres.sh COMMAND [ARGS...]   (exit 77: no PostgreSQL server here)
set -euo pipefail
bin=${CONNPOOL_PG_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
  echo "with_postgres: SKIP: no PostgreSQL server binaries in $bin (Debian package postgresql)"
  exit 77
fi
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "with_postgres: SKIP: running as root and no postgres user"; exit 77; }
  as_pg=(runuser -u postgres --)
fi
dir=$(mktemp -d /tmp/connpool-sqlpool-pg.XXXXXX)
[ ${#as_pg[@]} -eq 0 ] || chown postgres: "$dir"
data=$dir/data
pg_ctl=("${as_pg[@]}" "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60)
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  "${pg_ctl[@]}" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir"

password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
(umask 077 && printf '%s\n' "$password" >"$dir/pwfile")
[ ${#as_pg[@]} -eq 0 ] || chown postgres: "$dir/pwfile"
if ! "${as_pg[@]}" "$bin/initdb" -D "$data" -U postgres --auth=scram-sha-256 --pwfile="$dir/pwfile" \
  -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1; then
  cat "$dir/initdb.log"
  exit 1
fi
rm -f "$dir/pwfile"

free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
  else
    shuf -i 20000-60000 -n 1
  fi
}
port=
for attempt in 1 2 3 4 5; do
  p=$(free_port)
  "${as_pg[@]}" sh -c "cat >>'$data/postgresql.conf'" <<CONF
listen_addresses = '127.0.0.1'
port = $p
unix_socket_directories = '$dir'
max_connections = 30
fsync = off
CONF
  if "${pg_ctl[@]}" start >/dev/null; then
    port=$p
    break
  fi
  echo "with_postgres: port $p: server did not start (attempt $attempt)"
  tail -n 5 "$dir/server.log" || true
done
[ -n "$port" ] || { echo "with_postgres: no server"; exit 1; }

printf -v stop_cmd '%q ' "${pg_ctl[@]}" -m fast stop
printf -v start_cmd '%q ' "${pg_ctl[@]}" start
export CONNPOOL_PG_PORT=$port
export CONNPOOL_PG_PASSWORD=$password
export CONNPOOL_PG_URL="postgresql://postgres:$password@127.0.0.1:$port/postgres?sslmode=disable&gssencmode=disable&connect_timeout=5"
export CONNPOOL_PG_CONNINFO="hostaddr=127.0.0.1 host=127.0.0.1 port=$port user=postgres dbname=postgres sslmode=disable gssencmode=disable connect_timeout=10"
export PGPASSWORD=$password
export CONNPOOL_PG_STOP="$stop_cmd >/dev/null"
export CONNPOOL_PG_START="$start_cmd >/dev/null"
echo "with_postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
status=0
"$@" || status=$?
exit "$status"
