#!/usr/bin/env bash
# Side-by-side pgbench of heliosdb-nano and PostgreSQL on this machine.
# Workloads: point select by primary key (prepared) and single-row update,
# on a 100k-row table, 8 clients, DURATION seconds each.
# PostgreSQL runs only when its server binaries are installed
# (apt-get install postgresql); it gets a fresh cluster with default
# durability settings (fsync=on, synchronous_commit=on).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/bench-accounts.sh
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-8}
ROWS=${ROWS:-100000}
NANO_PORT=${NANO_PORT:-55431}
NANO_NATIVE_PORT=${NANO_NATIVE_PORT:-55430} # not NANO_PORT+1: that is PG_PORT
PG_PORT=${PG_PORT:-55432}
work=$(mktemp -d /tmp/heliosdb-bench.XXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "${PGBIN:-}" ] && [ -d "$work/pg" ]; then su postgres -c "$PGBIN/pg_ctl -D $work/pg -m immediate stop" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/select.sql" <<SQL
\set aid random(1, $ROWS)
SELECT abalance FROM bench_accounts WHERE aid = :aid;
SQL
cat > "$work/update.sql" <<SQL
\set aid random(1, $ROWS)
\set delta random(-5000, 5000)
UPDATE bench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SQL
{ echo "DROP TABLE IF EXISTS bench_accounts;"; bench_accounts_sql "$ROWS"; } >"$work/load.sql"

run() { # name port user password
  local name=$1 port=$2
  export PGPASSWORD=$4
  psql -q -h 127.0.0.1 -p "$port" -U "$3" -d "$5" -f "$work/load.sql" >/dev/null
  for w in select update; do
    local out
    out=$(pgbench -n -M prepared -c "$CLIENTS" -j 2 -T "$DURATION" -f "$work/$w.sql" -h 127.0.0.1 -p "$port" -U "$3" "$5" 2>&1)
    printf "%-14s %-7s tps=%-10s latency_ms=%s\n" "$name" "$w" \
      "$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')" \
      "$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')"
  done
}

make -s build
bin/heliosdb-nano start --data-dir "$work/nano" --pg-port "$NANO_PORT" --native-port "$NANO_NATIVE_PORT" \
  --http-port 0 --listen 127.0.0.1 --node-id bench --log-level warn &
pids+=($!)
for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p "$NANO_PORT" && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $DURATION s per run, $CLIENTS clients, $ROWS rows"
run heliosdb-nano "$NANO_PORT" helios helios heliosdb

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ]; then
  mkdir -p "$work/pg" && touch "$work/pg.log" && chown postgres "$work/pg" "$work/pg.log"
  su postgres -c "$PGBIN/initdb -D $work/pg -U postgres --auth=trust" >/dev/null
  su postgres -c "$PGBIN/pg_ctl -D $work/pg -o '-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1' -l $work/pg.log start" >/dev/null
  for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.1; done
  run "postgresql-$($PGBIN/postgres --version | awk '{print $3}')" "$PG_PORT" postgres "" postgres
else
  echo "PostgreSQL server not installed (apt-get install postgresql): skipped the comparison"
fi
