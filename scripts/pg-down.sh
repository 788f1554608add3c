#!/usr/bin/env bash
# Stops the PostgreSQL started by scripts/pg-up.sh (same PGPORT / PG_STATE_DIR) by its pid, and removes its folder.
set -uo pipefail

PGPORT=${PGPORT:-55432}
STATE=${PG_STATE_DIR:-${TMPDIR:-/tmp}/effect-iconik-pg-$PGPORT}

[ -d "$STATE" ] || exit 0
pidfile="$STATE/data/postmaster.pid"
if [ -f "$pidfile" ]; then
  pid=$(head -1 "$pidfile")
  # SIGINT: PostgreSQL's fast shutdown (it ends its own children).
  if kill -INT "$pid" 2>/dev/null; then
    for _ in $(seq 1 500); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
    kill -9 "$pid" 2>/dev/null || true
  fi
fi
rm -rf "$STATE"
