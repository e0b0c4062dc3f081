#!/usr/bin/env bash
# Select-only pgbench through heliosdb-proxy vs. directly against the node,
# next to pgbouncer (session pooling) in front of the same node, in one run
# on this machine. Not a timed test: it prints tps and latency.
#   DURATION (10) CLIENTS (8) ROWS (100000) BASE_PORT (56400)
# pgbouncer runs only when installed (apt-get install pgbouncer).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/bench-accounts.sh
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-8}
ROWS=${ROWS:-100000}
P=${BASE_PORT:-56400}
NODE=$P PROXY=$((P + 10)) ADMIN=$((P + 11)) BOUNCER=$((P + 20))
work=$(mktemp -d /tmp/heliosdb-proxy-bench.XXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -f "$work/pgbouncer.pid" ]; then kill "$(cat "$work/pgbouncer.pid")" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export PGPASSWORD=helios

make -s build
bin/heliosdb-nano start --data-dir "$work/nano" --pg-port "$NODE" --native-port $((NODE + 1)) \
  --http-port 0 --listen 127.0.0.1 --node-id bench --log-level warn &
pids+=($!)
for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p "$NODE" && break; sleep 0.1; done

cat > "$work/proxy.toml" <<TOML
[proxy]
listen_addr = "127.0.0.1:$PROXY"
admin_addr = "127.0.0.1:$ADMIN"

[[nodes]]
name = "bench"
host = "127.0.0.1"
port = $NODE
role = "primary"
TOML
bin/heliosdb-proxy --config "$work/proxy.toml" --log-level warn &
pids+=($!)
for _ in $(seq 100); do bin/heliosdb-proxy health --url "http://127.0.0.1:$ADMIN/health" >/dev/null 2>&1 && break; sleep 0.1; done

bench_accounts_sql "$ROWS" >"$work/load.sql"
psql -q -h 127.0.0.1 -p "$NODE" -U helios -d heliosdb -f "$work/load.sql" >/dev/null
cat > "$work/select.sql" <<SQL
\set aid random(1, $ROWS)
SELECT abalance FROM bench_accounts WHERE aid = :aid;
SQL

targets=("direct:$NODE" "heliosdb-proxy:$PROXY")
if command -v pgbouncer >/dev/null; then
  echo '"helios" "helios"' > "$work/userlist.txt"
  cat > "$work/pgbouncer.ini" <<INI
[databases]
heliosdb = host=127.0.0.1 port=$NODE dbname=heliosdb
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER
auth_type = scram-sha-256
auth_file = $work/userlist.txt
pool_mode = session
max_client_conn = 200
default_pool_size = $((CLIENTS + 2))
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
INI
  chown -R postgres "$work" 2>/dev/null || true
  # pgbouncer refuses to run as root; -d daemonizes and writes the pidfile.
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "pgbouncer -d $work/pgbouncer.ini"; else pgbouncer -d "$work/pgbouncer.ini"; fi
  for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p "$BOUNCER" && break; sleep 0.1; done
  targets+=("pgbouncer:$BOUNCER")
else
  echo "pgbouncer not installed (apt-get install pgbouncer): skipped"
fi

echo "machine: $(nproc) cores; $DURATION s per run, $CLIENTS clients, $ROWS rows, select by primary key"
for mode in simple prepared; do
  for t in "${targets[@]}"; do
    name=${t%%:*} port=${t##*:}
    out=$(timeout $((DURATION + 30)) pgbench -n -M "$mode" -c "$CLIENTS" -j 2 -T "$DURATION" -f "$work/select.sql" -h 127.0.0.1 -p "$port" -U helios heliosdb 2>&1)
    printf "%-15s %-9s tps=%-10s latency_ms=%s\n" "$name" "$mode" \
      "$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')" \
      "$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')"
  done
done
