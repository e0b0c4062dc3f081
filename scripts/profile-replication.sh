#!/usr/bin/env bash
# make profile-replication: where a sync commit's time and CPU go, on both
# sides. Starts a heliosdb-nano primary and one standby, both in
# --replication-mode sync, loads the data, runs pgbench against the primary
# and reports per transaction: tps, CPU of each process (utime+stime from
# /proc, all threads), context switches of each, and from the metrics
# diffed around the run the commit groups, WAL fsyncs, standby acks and
# their averages. With PPROF=1 it writes profiles/replication-{primary,
# standby}-{cpu,allocs}.pprof; with STRACE=1 it prints strace -c -f of both
# (slow: the counts per transaction are what it is for).
#
#   WORKLOAD=update|tpcb-like  (update: bench.sh's single-row UPDATE on
#                               100k rows; tpcb-like: pgbench -i -s SCALE)
#   CLIENTS=8 SECONDS_=10 SCALE=5 RATE= (pgbench --rate)  LAG=1 samples the
#   standby's replication_lag_ms every 200 ms during the run.
#   BIN=bin/heliosdb-nano (an older build to compare), BASE_PORT=57320
#   (uses BASE_PORT .. BASE_PORT+5).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/bench-accounts.sh
WORKLOAD=${WORKLOAD:-update}
CLIENTS=${CLIENTS:-8}
SECS=${SECONDS_:-10}
SCALE=${SCALE:-5}
BIN=${BIN:-bin/heliosdb-nano}
BASE_PORT=${BASE_PORT:-57320}
PP=$BASE_PORT PN=$((BASE_PORT + 1)) PH=$((BASE_PORT + 2)) SP=$((BASE_PORT + 3)) SN=$((BASE_PORT + 4)) SH=$((BASE_PORT + 5))
[ "$BIN" = bin/heliosdb-nano ] && make -s build
work=$(mktemp -d /tmp/heliosdb-profile-repl.XXXX)
pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
start() { # NAME PG NATIVE HTTP ARGS...
  local name=$1 pg=$2 native=$3 http=$4
  shift 4
  "$BIN" start --data-dir "$work/$name" --http-port "$http" --listen 127.0.0.1 --node-id "$name" --log-level warn \
    --pg-port "$pg" --native-port "$native" --replication-mode sync "$@" 2>"$work/$name.log" &
  pids+=($!)
  for _ in $(seq 300); do pg_isready -q -h 127.0.0.1 -p "$pg" && return 0; sleep 0.1; done
  echo "FAILED: $name did not start" >&2; tail -20 "$work/$name.log" >&2; exit 1
}
start primary $PP $PN $PH --replication-role primary
P=${pids[-1]}
start standby $SP $SN $SH --replication-role standby --primary-host 127.0.0.1 --primary-port $PN
S=${pids[-1]}
export PGPASSWORD=helios
psqlp() { psql -XAtq -h 127.0.0.1 -p "$1" -U helios heliosdb -c "$2"; }
for _ in $(seq 600); do
  [ "$(psqlp $PP "SELECT state FROM helios_standby_nodes WHERE node_id = 'standby'" 2>/dev/null)" = streaming ] && break
  sleep 0.2
done
if [ "$WORKLOAD" = tpcb-like ]; then
  pgbench -i -q -s "$SCALE" -h 127.0.0.1 -p $PP -U helios heliosdb >/dev/null 2>&1
  script=(-b tpcb-like)
else
  bench_accounts_sql 100000 | psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PP -U helios heliosdb >/dev/null
  cat >"$work/update.sql" <<SQL
\set aid random(1, 100000)
\set delta random(-5000, 5000)
UPDATE bench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SQL
  script=(-f "$work/update.sql")
fi
sleep 2 # the standby applies the load
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
ctxsw() { cat /proc/"$1"/task/*/status | awk '/^(non)?voluntary_ctxt_switches/ { s += $2 } END { print s }'; }
metrics() { curl -sf -u helios:helios "http://127.0.0.1:$1/metrics" >"$2"; }
if [ -n "${STRACE:-}" ]; then
  strace -c -f -p "$P" -o "$work/strace-primary.txt" 2>/dev/null &
  st1=$!
  strace -c -f -p "$S" -o "$work/strace-standby.txt" 2>/dev/null &
  st2=$!
  sleep 1
fi
if [ -n "${PPROF:-}" ]; then
  mkdir -p profiles
  curl -sf -u helios:helios -o profiles/replication-primary-cpu.pprof "http://127.0.0.1:$PH/debug/pprof/profile?seconds=$((SECS - 1))" &
  pp1=$!
  curl -sf -u helios:helios -o profiles/replication-standby-cpu.pprof "http://127.0.0.1:$SH/debug/pprof/profile?seconds=$((SECS - 1))" &
  pp2=$!
fi
if [ -n "${LAG:-}" ]; then
  (end=$((SECONDS + SECS)); while [ $SECONDS -lt $end ]; do
    psqlp $SP "SELECT replication_lag_ms FROM helios_replication_status" 2>/dev/null; sleep 0.2
  done >"$work/lag.txt") &
  lagpid=$!
fi
metrics $PH "$work/m0p"
metrics $SH "$work/m0s"
cp0=$(cpu $P) cs0=$(cpu $S) xp0=$(ctxsw $P) xs0=$(ctxsw $S)
out=$(pgbench -n -M prepared -c "$CLIENTS" -j 2 -T "$SECS" ${RATE:+--rate "$RATE"} "${script[@]}" -h 127.0.0.1 -p $PP -U helios heliosdb 2>&1)
cp1=$(cpu $P) cs1=$(cpu $S) xp1=$(ctxsw $P) xs1=$(ctxsw $S)
metrics $PH "$work/m1p"
metrics $SH "$work/m1s"
n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out")
[ -n "$n" ] && [ "$n" -gt 0 ] || { echo "FAILED: pgbench: $out" >&2; exit 1; }
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $WORKLOAD, $CLIENTS clients, $SECS s${RATE:+, --rate $RATE}; sync state $(psqlp $PP "SELECT sync_state FROM helios_replication_status")"
awk -v n="$n" -v tps="$tps" -v p=$((cp1 - cp0)) -v s=$((cs1 - cs0)) -v xp=$((xp1 - xp0)) -v xs=$((xs1 - xs0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {
  printf "txns=%d tps=%s cpu_us_per_txn primary=%.0f standby=%.0f ctxsw_per_txn primary=%.1f standby=%.1f\n", n, tps, p * 1e6 / hz / n, s * 1e6 / hz / n, xp / n, xs / n }'
# per transaction: the counters and histogram counts of both sides, diffed
for side in primary standby; do
  f=${side:0:1}
  awk -v n="$n" -v side="$side" '
    FNR == NR { if ($0 !~ /^#/ && NF == 2) a[$1] = $2; next }
    $0 !~ /^#/ && NF == 2 && $1 ~ /^helios_(wal_fsync|commit_group|replication|storage_apply)/ {
      d = $2 - a[$1]
      if ($1 ~ /_count$/ && d > 0) { base = substr($1, 1, length($1) - 6); cnt[base] = d }
      else if ($1 ~ /_sum$/) { base = substr($1, 1, length($1) - 4); sum[base] = d }
      else if ($1 ~ /_total$/ && d > 0) printf "%s %s: %.3f per txn\n", side, $1, d / n
    }
    END { for (b in cnt) printf "%s %s: %.3f per txn, avg %.3f%s\n", side, b, cnt[b] / n, (b ~ /seconds/ ? 1000 : 1) * sum[b] / cnt[b], (b ~ /seconds/ ? " ms" : "") }
  ' "$work/m0$f" "$work/m1$f" | sort
done
if [ -n "${LAG:-}" ]; then
  wait "$lagpid"
  sort -g "$work/lag.txt" | awk '{ v[NR] = $1 } END { if (NR) printf "standby lag_ms: samples=%d p50=%s p90=%s max=%s\n", NR, v[int(NR * 0.5) + 1], v[int(NR * 0.9) + 1], v[NR] }'
fi
if [ -n "${PPROF:-}" ]; then
  wait "$pp1" "$pp2"
  curl -sf -u helios:helios -o profiles/replication-primary-allocs.pprof "http://127.0.0.1:$PH/debug/pprof/allocs"
  curl -sf -u helios:helios -o profiles/replication-standby-allocs.pprof "http://127.0.0.1:$SH/debug/pprof/allocs"
  echo "profiles/replication-{primary,standby}-{cpu,allocs}.pprof written (go tool pprof -top $BIN FILE)"
fi
if [ -n "${STRACE:-}" ]; then
  kill -INT "$st1" "$st2" 2>/dev/null
  wait "$st1" "$st2" 2>/dev/null || true
  for side in primary standby; do echo "--- $side syscalls ($n transactions)"; head -15 "$work/strace-$side.txt"; done
fi
