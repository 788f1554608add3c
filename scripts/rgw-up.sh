#!/usr/bin/env bash
# Starts a throwaway one-node Ceph cluster (mon + OSD + radosgw) serving S3 on 127.0.0.1, for tests. Every daemon
# listens on 127.0.0.1 only (`ss -ltnp` shows no ceph socket on another address).
#
#   export "$(scripts/rgw-up.sh)"      # RGW_ENDPOINT=http://127.0.0.1:7480
#   scripts/rgw-down.sh                # stops it (same RGW_PORT / RGW_STATE_DIR)
#
# S3 credentials: access key "test", secret key "testsecret" (region: any, e.g. us-east-1; path-style URLs).
# Idempotent: if the cluster for this state folder already answers, it only prints the endpoint.
# Quiet on success: the only output is the RGW_ENDPOINT line.
#
# Environment:
#   RGW_PORT       S3 port (default 7480)
#   MON_PORT       monitor v1 port (default 6789 for RGW_PORT 7480, else 20000 + RGW_PORT, clear of the OSD range);
#                  the v2 port is MON_PORT - 3489 (default 3300)
#   RGW_STATE_DIR  state folder: config, pid files, logs, data (default ${TMPDIR:-/tmp}/effect-iconik-rgw-$RGW_PORT)
#   RGW_STORE      memstore (default: data in RAM, fastest start) or bluestore (data on a sparse file)
#   RGW_NO_INSTALL set to 1 to fail instead of installing missing Debian packages
set -euo pipefail

RGW_PORT=${RGW_PORT:-7480}
# Monitor ports stay clear of 6800-7300, where Ceph's OSDs bind: 6789 for the default cluster, else 20000 + RGW_PORT.
if [ "$RGW_PORT" = 7480 ]; then MON_PORT=${MON_PORT:-6789}; else MON_PORT=${MON_PORT:-$((20000 + RGW_PORT))}; fi
MON_V2_PORT=$((MON_PORT - 3489))
STATE=${RGW_STATE_DIR:-${TMPDIR:-/tmp}/effect-iconik-rgw-$RGW_PORT}
STORE=${RGW_STORE:-memstore}
ENDPOINT="http://127.0.0.1:$RGW_PORT"

fail() {
  echo "rgw-up: $*" >&2
  exit 1
}

# Shows the end of a daemon's log, so a failed start explains itself.
log_tail() {
  local f="$STATE/log/$1.log"
  [ -f "$f" ] && { echo "--- last lines of $f:" >&2; tail -n 15 "$f" >&2; }
  return 0
}

pid_alive() {
  [ -f "$STATE/run/$1.pid" ] && kill -0 "$(cat "$STATE/run/$1.pid")" 2>/dev/null
}

answers() {
  curl -s -o /dev/null --max-time 1 "$ENDPOINT/"
}

install_packages() {
  local missing=()
  for bin in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool; do
    command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
  done
  command -v curl >/dev/null 2>&1 || fail "curl is required"
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "${RGW_NO_INSTALL:-0}" = 1 ] && fail "missing ${missing[*]} (install: radosgw ceph-mon ceph-osd ceph-common)"
  [ "$(id -u)" = 0 ] || fail "missing ${missing[*]}; run as root or: sudo apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd ceph-common"
  command -v apt-get >/dev/null 2>&1 || fail "missing ${missing[*]} and no apt-get to install radosgw ceph-mon ceph-osd ceph-common"
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd ceph-common
  } >"${TMPDIR:-/tmp}/effect-iconik-rgw-apt.log" 2>&1 ||
    fail "apt-get install failed, see ${TMPDIR:-/tmp}/effect-iconik-rgw-apt.log"
}

install_packages
mkdir -p "$STATE"

# One start at a time per state folder (parallel test runs share the cluster). The daemons are started with fd 9
# closed, so they do not inherit (and keep) the lock.
exec 9>"$STATE/lock"
flock 9

if pid_alive client.rgw && pid_alive osd.0 && pid_alive mon.a && answers; then
  echo "RGW_ENDPOINT=$ENDPOINT"
  exit 0
fi

# Leftovers of an earlier, broken start: stop them by pid before starting afresh.
for n in client.rgw osd.0 mon.a; do
  if pid_alive "$n"; then kill -9 "$(cat "$STATE/run/$n.pid")" 2>/dev/null || true; fi
done
answers && fail "port $RGW_PORT already answers but not from the cluster in $STATE (set RGW_PORT or stop the other server)"

rm -rf "$STATE"/{mon,osd,run,log,rgw} "$STATE/monmap" "$STATE/keyring"
mkdir -p "$STATE"/{mon,osd/0,run,log,rgw}
fsid=$(cat /proc/sys/kernel/random/uuid)
cat >"$STATE/ceph.conf" <<CONF
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$MON_V2_PORT,v1:127.0.0.1:$MON_PORT
# every daemon binds on loopback only: public_addr for the mon and the OSD's client and front heartbeat ports,
# cluster_addr for the OSD's replication and back heartbeat ports (unset, they listen on all interfaces)
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv6 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
auth_allow_insecure_global_id_reclaim = true
mon_warn_on_insecure_global_id_reclaim_allowed = false
# with auth "none", every connection must be allowed to run in crc mode, or clients fail with EACCES (-13)
ms_mon_client_mode = crc secure
ms_client_mode = crc secure
ms_mon_service_mode = crc secure
ms_service_mode = crc secure
# fail fast instead of waiting 5 minutes when the monitor cannot be reached
client_mount_timeout = 30
mon_data_avail_warn = 1
mon_data_avail_crit = 0
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_max_pg_per_osd = 1000
paxos_propose_interval = 0.05
paxos_min_wait = 0.01
mon_osd_full_ratio = 0.97
osd_crush_chooseleaf_type = 0
run_dir = $STATE/run
admin_socket = $STATE/run/\$name.asok
pid_file = $STATE/run/\$name.pid
log_file = $STATE/log/\$name.log
mon_data = $STATE/mon/\$id
osd_data = $STATE/osd/\$id
osd_objectstore = $STORE
memstore_device_bytes = 8589934592
bluestore_block_path = $STATE/osd/block.\$id
bluestore_block_size = 21474836480
bluestore_block_create = true
bluestore_fsck_on_mkfs = false
bluestore_fsck_on_mount = false
osd_max_object_size = 134217728
osd_memory_target = 939524096
keyring = $STATE/keyring
[client.rgw]
rgw_frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw_data = $STATE/rgw
rgw_enable_usage_log = false
CONF
touch "$STATE/keyring"
conf=(-c "$STATE/ceph.conf")

monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_V2_PORT,v1:127.0.0.1:$MON_PORT]" "$STATE/monmap" >/dev/null
ceph-mon "${conf[@]}" --mkfs -i a --monmap "$STATE/monmap" >"$STATE/log/mkfs.log" 2>&1 ||
  { cat "$STATE/log/mkfs.log" >&2; fail "ceph-mon --mkfs failed"; }
ceph-mon "${conf[@]}" -i a 9>&- || { log_tail mon.a; fail "ceph-mon did not start (is port $MON_PORT free?)"; }
ceph "${conf[@]}" --connect-timeout 20 mon enable-msgr2 >/dev/null 2>&1 || true

osd_uuid=$(cat /proc/sys/kernel/random/uuid)
osd_id=$(ceph "${conf[@]}" --connect-timeout 20 osd new "$osd_uuid" 2>>"$STATE/log/mkfs.log") ||
  { log_tail mon.a; fail "the monitor did not answer (ceph osd new)"; }
ceph-osd "${conf[@]}" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >>"$STATE/log/mkfs.log" 2>&1 ||
  { tail -n 15 "$STATE/log/mkfs.log" >&2; fail "ceph-osd --mkfs failed"; }
ceph-osd "${conf[@]}" -i "$osd_id" 9>&- >>"$STATE/log/mkfs.log" 2>&1 || { log_tail "osd.$osd_id"; fail "ceph-osd did not start"; }

# Create radosgw's pools up front in one CLI session: the first S3 request would otherwise wait for them.
for p in .rgw.root default.rgw.log default.rgw.control default.rgw.meta default.rgw.buckets.index \
  default.rgw.buckets.data default.rgw.buckets.non-ec; do
  echo "osd pool create $p 8 8"
  echo "osd pool application enable $p rgw"
done | ceph "${conf[@]}" --connect-timeout 20 >/dev/null 2>&1 || true

radosgw "${conf[@]}" -n client.rgw 9>&- || { log_tail client.rgw; fail "radosgw did not start"; }
for _ in $(seq 1 3000); do
  answers && break
  pid_alive client.rgw || { log_tail client.rgw; fail "radosgw exited during start-up"; }
  sleep 0.01
done
answers || { log_tail client.rgw; fail "radosgw does not answer on $ENDPOINT after 30 s"; }

radosgw-admin "${conf[@]}" user info --uid=test >/dev/null 2>&1 ||
  radosgw-admin "${conf[@]}" user create --uid=test --display-name=test --access-key=test --secret-key=testsecret \
    >/dev/null 2>>"$STATE/log/mkfs.log" || { tail -n 15 "$STATE/log/mkfs.log" >&2; fail "could not create the S3 user"; }

echo "RGW_ENDPOINT=$ENDPOINT"
