#!/usr/bin/env bash
# Stops the cluster started by scripts/rgw-up.sh (same RGW_PORT / RGW_STATE_DIR), by its pid files, and removes its
# state folder. SIGKILL on purpose: memstore would otherwise write all its data to disk on exit.
set -uo pipefail

RGW_PORT=${RGW_PORT:-7480}
STATE=${RGW_STATE_DIR:-${TMPDIR:-/tmp}/effect-iconik-rgw-$RGW_PORT}

[ -d "$STATE" ] || exit 0
for n in client.rgw osd.0 mon.a; do
  f="$STATE/run/$n.pid"
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  kill -9 "$pid" 2>/dev/null || continue
  for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
done
rm -rf "$STATE"
