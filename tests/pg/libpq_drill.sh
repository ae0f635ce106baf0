#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tst_libpq_pool: runs connpool-libpq-example's fault drill against a
# PostgreSQL 15 server of its own: a fresh cluster (initdb) in a temporary
# directory, listening on 127.0.0.1 on a free port, with its socket in that
# directory too. No system instance is touched. As root, the server runs as
# the `postgres` user (PostgreSQL refuses root) and the directory is theirs.
#
# Usage: libpq_drill.sh EXAMPLE_BINARY      (exit 77: no PostgreSQL server here)
set -euo pipefail
example=$1
bin=${CONNPOOL_PG_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
  echo "tst_libpq_pool: SKIP: no PostgreSQL server binaries in $bin"
  exit 77
fi

as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "tst_libpq_pool: SKIP: running as root and no postgres user"; exit 77; }
  as_pg=(runuser -u postgres --)
fi
dir=$(mktemp -d /tmp/connpool-pg.XXXXXX)
[ ${#as_pg[@]} -eq 0 ] || chown postgres: "$dir"
data=$dir/data
pg_ctl=("${as_pg[@]}" "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60)
cleanup() {
  "${pg_ctl[@]}" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir" # the postgres user can read its working directory

# A random password (scram-sha-256; nothing is trusted), given to libpq in
# the environment rather than on a command line.
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
# A port taken between the choice and the start: try another (bounded).
port=
for attempt in 1 2 3 4 5; do
  p=$(free_port)
  "${as_pg[@]}" sh -c "cat >>'$data/postgresql.conf'" <<CONF
listen_addresses = '127.0.0.1'
port = $p
unix_socket_directories = '$dir'
max_connections = 20
fsync = off
CONF
  if "${pg_ctl[@]}" start >/dev/null; then
    port=$p
    break
  fi
  echo "tst_libpq_pool: port $p: server did not start (attempt $attempt)"
  tail -n 5 "$dir/server.log" || true
done
[ -n "$port" ] || { echo "tst_libpq_pool: no server"; exit 1; }

export PGPASSWORD=$password
conninfo="hostaddr=127.0.0.1 host=127.0.0.1 port=$port user=postgres dbname=postgres sslmode=disable gssencmode=disable connect_timeout=10"
printf -v stop_cmd '%q ' "${pg_ctl[@]}" -m fast stop
printf -v start_cmd '%q ' "${pg_ctl[@]}" start
stop_cmd="$stop_cmd >/dev/null"
start_cmd="$start_cmd >/dev/null"
echo "tst_libpq_pool: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $data"
"$example" "$conninfo"
"$example" "$conninfo" --drill "$stop_cmd" "$start_cmd"
