#!/usr/bin/env bash
# Starts a throwaway PostgreSQL on 127.0.0.1 for the durable-workflow tests and benchmarks (installs Debian's
# postgresql if missing). Listens on TCP 127.0.0.1 only, and on a Unix socket inside its state folder.
#
#   export "$(scripts/pg-up.sh)"      # DATABASE_URL=postgres://postgres@127.0.0.1:55432/postgres
#   scripts/pg-down.sh                # stops it by pid (same PGPORT / PG_STATE_DIR) and removes its folder
#
# Quiet on success: the only output is the DATABASE_URL line. Durability is off (fsync=off): test data only.
#
# Environment:
#   PGPORT        port (default 55432)
#   PG_STATE_DIR  state folder (default ${TMPDIR:-/tmp}/effect-iconik-pg-$PGPORT)
#   PG_NO_INSTALL set to 1 to fail instead of installing the missing Debian package
set -euo pipefail

PGPORT=${PGPORT:-55432}
STATE=${PG_STATE_DIR:-${TMPDIR:-/tmp}/effect-iconik-pg-$PGPORT}
URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"

fail() {
  echo "pg-up: $*" >&2
  [ -f "$STATE/log" ] && tail -20 "$STATE/log" >&2
  exit 1
}

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
BIN=$(bindir || true)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  [ "${PG_NO_INSTALL:-}" = 1 ] && fail "postgresql is not installed (apt-get install postgresql)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql) >&2 ||
    fail "could not install postgresql"
  BIN=$(bindir)
fi

# The server refuses to run as root: as root, it runs as the postgres user Debian's package made.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ -f "$STATE/data/postmaster.pid" ] && kill -0 "$(head -1 "$STATE/data/postmaster.pid")" 2>/dev/null; then
  echo "DATABASE_URL=$URL"
  exit 0
fi

rm -rf "$STATE"
mkdir -p "$STATE"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$STATE"
as_owner "$BIN/initdb" -D "$STATE/data" -A trust -U postgres --no-sync >"$STATE/initdb.log" 2>&1 || fail "initdb failed"
as_owner "$BIN/pg_ctl" -D "$STATE/data" -l "$STATE/log" -w -t 30 \
  -o "-p $PGPORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$STATE -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200" \
  start >/dev/null || fail "the server did not start"
echo "DATABASE_URL=$URL"
