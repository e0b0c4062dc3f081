#!/usr/bin/env bash
# Starts the tutorial's Part 2 cluster on this machine: a primary, a sync
# and an async standby and heliosdb-proxy, with the tutorial's ports, data
# dirs and proxy.toml, and stops them all on Ctrl-C. Logs go to
# $BASE/<node>.log.
#   BASE (default /tmp/heliosdb-ha)   HELIOSDB_BIN (default bin/heliosdb-nano)
#   HELIOSPROXY_BIN (default bin/heliosdb-proxy)
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${BASE:-/tmp/heliosdb-ha}
BIN=${HELIOSDB_BIN:-bin/heliosdb-nano}
PROXY_BIN=${HELIOSPROXY_BIN:-bin/heliosdb-proxy}
mkdir -p "$BASE"/{primary,standby-sync,standby-async}
names=()    # each started process's name (its log is $BASE/<name>.log)
pids=()     # the process itself: what stop() signals
keepers=()  # the subshell that started it and records its exit status
# spawn NAME CMD...: starts CMD in the background. A keeper subshell waits
# for it and writes its exit status to $BASE/.NAME.exit, so the status
# reported at the end does not depend on this shell's job table: bash 5.2's
# `wait PID` here returned -1 now and then for a process that exited in the
# instant a Ctrl-C's trap ran, and a clean shutdown was reported as "exited
# with status -1". The keeper ignores SIGTERM (and, being asynchronous,
# SIGINT) and only waits; the process installs its own handlers.
spawn() {
  local name=$1
  shift
  rm -f "$BASE/.$name.exit" "$BASE/.$name.pid"
  (
    trap '' TERM
    "$@" >>"$BASE/$name.log" 2>&1 &
    echo $! >"$BASE/.$name.pid"
    st=0
    wait $! || st=$?
    echo "$st" >"$BASE/.$name.exit"
  ) &
  keepers+=($!)
  names+=("$name")
  until [ -s "$BASE/.$name.pid" ]; do sleep 0.01; done
  pids+=("$(cat "$BASE/.$name.pid")")
}

# stop: one graceful shutdown of everything started. Ctrl-C has already
# sent SIGINT to every process of the group; the SIGTERM sent here (for a
# kill of this script alone) is a second signal the binaries ignore while
# they shut down. Each process's exit is reported.
stop() {
  trap - INT TERM EXIT
  local rc=${1:-0} i status
  echo
  echo "stopping..."
  for p in "${pids[@]}" ${sleeper:-}; do kill -TERM "$p" 2>/dev/null || true; done
  for k in "${keepers[@]}" ${sleeper:-}; do wait "$k" 2>/dev/null || true; done
  for i in "${!names[@]}"; do
    status=$(cat "$BASE/.${names[$i]}.exit" 2>/dev/null || echo unknown)
    if [ "$status" = 0 ]; then
      echo "  ${names[$i]}: shut down cleanly"
    else
      echo "  ${names[$i]}: exited with status $status; see $BASE/${names[$i]}.log"
      rc=1
    fi
  done
  echo "stopped; data kept in $BASE (remove it to start afresh)"
  exit "$rc"
}
trap stop INT TERM EXIT

start() { # name pg native http extra...
  local name=$1 pg=$2 native=$3 http=$4
  shift 4
  spawn "$name" "$BIN" start --data-dir "$BASE/$name" --pg-port "$pg" --native-port "$native" --http-port "$http" \
    --node-id "$name" "$@"
  wait_healthy "$name" "http://127.0.0.1:$http/health"
}

wait_healthy() { # name url
  local name=$1 url=$2
  for _ in $(seq 100); do
    if "$BIN" health --url "$url" >/dev/null 2>&1; then return; fi
    if [ -e "$BASE/.$name.exit" ]; then
      echo "$name failed to start; last log lines:" >&2
      tail -n 20 "$BASE/$name.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "$name did not become healthy; see $BASE/$name.log" >&2
  exit 1
}

start primary 5432 5433 8080 --replication-role primary --replication-mode sync
start standby-sync 5442 5443 8081 --replication-role standby --primary-host localhost --primary-port 5433 --replication-mode sync
start standby-async 5452 5453 8082 --replication-role standby --primary-host localhost --primary-port 5433 --replication-mode async

# The tutorial's Step 4 proxy.toml as printed, written unless one is
# already there. The proxy learns each node's HTTP API and replication
# address from the node itself (helios_node), so switchover, automatic
# failover and leases need no more keys.
if [ ! -f "$BASE/proxy.toml" ]; then
  cat > "$BASE/proxy.toml" <<'TOML'
[proxy]
listen_addr = "0.0.0.0:5400"
admin_addr = "0.0.0.0:9090"
health_check_interval_secs = 5
failure_threshold = 3
write_timeout_secs = 30

[[nodes]]
name = "primary"
host = "localhost"
port = 5432
role = "primary"
enabled = true

[[nodes]]
name = "standby-sync"
host = "localhost"
port = 5442
role = "standby"
enabled = true

[[nodes]]
name = "standby-async"
host = "localhost"
port = 5452
role = "standby"
enabled = true
TOML
fi
spawn proxy "$PROXY_BIN" --config "$BASE/proxy.toml"
wait_healthy proxy "http://127.0.0.1:9090/health"

cat <<TXT
HeliosDB Nano cluster running (logs: $BASE/*.log)
  primary        psql -h localhost -p 5432 -U helios -d heliosdb   http://localhost:8080
  standby-sync   psql -h localhost -p 5442 -U helios -d heliosdb   http://localhost:8081
  standby-async  psql -h localhost -p 5452 -U helios -d heliosdb   http://localhost:8082
  proxy          psql -h localhost -p 5400 -U helios -d heliosdb   http://localhost:9090/nodes
  password: helios (PGPASSWORD=helios); the HTTP APIs take the same: curl -u helios:helios http://localhost:9090/nodes
  try: SELECT * FROM helios_standby_nodes;  (on the primary)   SHOW TOPOLOGY;
Ctrl-C stops them all.
TXT
# Until Ctrl-C (or a kill of this script), or until a process exits by
# itself. The signal only sets a flag; stop() runs from here.
signalled=
trap 'signalled=1' INT TERM
while [ -z "$signalled" ]; do
  sleep 1 &
  sleeper=$!
  wait "$sleeper" || true
  for n in "${names[@]}"; do
    if [ -z "$signalled" ] && [ -e "$BASE/.$n.exit" ]; then
      echo "$n exited; see $BASE/$n.log" >&2
      stop 1
    fi
  done
done
stop 0
