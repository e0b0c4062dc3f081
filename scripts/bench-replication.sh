#!/usr/bin/env bash
# Replication cost of heliosdb-nano and PostgreSQL, side by side on this
# machine in one run. Workload: bench.sh's single-row UPDATE (pgbench -M
# prepared) on a 100k-row table. Both systems keep fsync on.
#
#   no-standby     CLIENTS clients, DURATION s, primary alone (reference)
#   sync-commit    the same with ONE synchronous standby: nano primary and
#                  standby --replication-mode sync; PostgreSQL
#                  synchronous_standby_names='*', synchronous_commit=on, a
#                  pg_basebackup -R standby streaming over 127.0.0.1
#   async-lag      RATE tps (pgbench --rate) for DURATION s with an async
#                  standby; the lag is sampled every 200 ms: nano on the
#                  standby (helios_replication_status.replication_lag_bytes
#                  and _ms), PostgreSQL on the primary (pg_stat_replication:
#                  pg_wal_lsn_diff(sent_lsn, replay_lsn) and replay_lag)
#   async-catchup  after the load stops: how far the standby was behind
#                  the primary's flushed LSN and how long until it had
#                  replayed up to it (polled every ~5 ms; 0 when it was
#                  already there at the first look)
#
# WORKLOAD=tpcb-like runs pgbench's built-in tpcb-like transaction
# (pgbench -i -s SCALE) instead of the single-row UPDATE. SYNC_ONLY=1 runs
# only the sync-commit point. NANO_BASE=path/to/an/older/heliosdb-nano
# runs the sync-commit point with that build too, right before this one
# (before/after a change, same moment, same data).
#
# Workloads run nano then PostgreSQL, workload by workload, so both see
# the same background noise. Lag bytes are each system's own WAL bytes
# (record formats differ); milliseconds are the comparable figure.
# PostgreSQL runs only when its server binaries are installed (newest
# /usr/lib/postgresql/*/bin, or PG_BINDIR; PG_BINDIR=none skips it).
# Runs as root (PostgreSQL is run through su postgres), like bench.sh.
# Node logs go to the temp dir; on failure their tails are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/bench-accounts.sh
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-8}
ROWS=${ROWS:-100000}
RATE=${RATE:-1000}
WORKLOAD=${WORKLOAD:-update}
SCALE=${SCALE:-5}
SYNC_ONLY=${SYNC_ONLY:-0}
NANO_BASE=${NANO_BASE:-}
NANO_BIN=bin/heliosdb-nano
BASE_PORT=${BASE_PORT:-29560} # below the ephemeral range (32768-60999), clear of bench-compare.sh (29480-29492)
NP_PG=$((BASE_PORT + 1)) NP_NATIVE=$((BASE_PORT + 2)) # nano primary
NS_PG=$((BASE_PORT + 3)) NS_NATIVE=$((BASE_PORT + 4)) # nano standby
PGP_PORT=$((BASE_PORT + 11)) PGS_PORT=$((BASE_PORT + 12))
NANO_AUTH=(helios helios heliosdb) # user password database
PG_AUTH=(postgres "" postgres)

work=$(mktemp -d /tmp/heliosdb-bench-repl.XXXX)
chmod 755 "$work"
pids=()
declare -A NANO_PID=() SESS_PID=()
PGBIN="" # set below, once there is a PostgreSQL cluster to stop
# ours: only a live child of this shell is killed (no stale, reused pids).
ours() { [ "$(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ')" = "$$" ]; }
cleanup() {
  set +e
  local live=()
  for p in "${pids[@]}" "${NANO_PID[@]}"; do ours "$p" && live+=("$p"); done
  for p in "${live[@]}"; do kill "$p" 2>/dev/null; done
  for d in pgs pg; do
    if [ -n "$PGBIN" ] && [ -f "$work/$d/postmaster.pid" ]; then
      su postgres -c "$PGBIN/pg_ctl -D $work/$d -m immediate stop" >/dev/null 2>&1
    fi
  done
  for p in "${live[@]}"; do
    for _ in $(seq 50); do ours "$p" || break; sleep 0.1; done
    ours "$p" && kill -9 "$p" 2>/dev/null
  done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

note() { echo "# $*" >&2; }

# fail prints why and the tail of every log, then exits (cleanup runs).
fail() {
  echo "FAILED: $*" >&2
  for f in "$work"/*.log "$work"/*.err; do
    [ -s "$f" ] || continue
    echo "---- tail of $(basename "$f")" >&2
    tail -n 25 "$f" >&2
  done
  exit 1
}

# lsn2num turns a pg_lsn text (X/Y) into a number of bytes.
lsn2num() { echo $(((16#${1%/*} << 32) + 16#${1#*/})); }

now_us() { NOW=${EPOCHREALTIME/./}; }

# pct reads numbers on stdin and prints "p50 p99 max" (nearest rank).
pct() {
  sort -g | awk '{ v[NR] = $1 }
    function rank(q,  r) { r = q * NR; return (r == int(r)) ? r : int(r) + 1 }
    END { if (NR == 0) { print "n/a n/a n/a"; exit } print v[rank(0.5)], v[rank(0.99)], v[NR] }'
}

# --- persistent psql sessions over fifos (no reconnect per query) ---------
# sess_open SLOT PORT USER PASSWORD DB: SLOT is a free fd number N; the
# session writes to fd N and reads answers from fd N+1.
sess_open() {
  local s=$1
  mkfifo "$work/sess$s.in" "$work/sess$s.out"
  # The other sessions' fds are closed in the child: a psql holding another
  # session's input open would keep that session from ever seeing EOF.
  PGPASSWORD=$4 psql -XAtq -h 127.0.0.1 -p "$2" -U "$3" -d "$5" 3>&- 4<&- 5>&- 6<&- 7>&- 8<&- \
    <"$work/sess$s.in" >"$work/sess$s.out" 2>>"$work/psql.err" &
  SESS_PID[$s]=$!
  pids+=($!)
  eval "exec $s>\"\$work/sess$s.in\" $((s + 1))<\"\$work/sess$s.out\""
}
# sess_q SLOT SQL: one row, one line, into R.
sess_q() {
  echo "$2;" >&"$1"
  IFS= read -r -t 10 R <&"$(($1 + 1))" || fail "no answer within 10 s to: $2"
}
sess_close() {
  echo '\q' >&"$1"
  eval "exec $1>&- $(($1 + 1))<&-"
  wait "${SESS_PID[$1]}" || true
  rm -f "$work/sess$1.in" "$work/sess$1.out"
}

# q PORT USER PASSWORD DB SQL: one-off query, answer into R.
q() { R=$(PGPASSWORD=$3 psql -XAtq -h 127.0.0.1 -p "$1" -U "$2" -d "$4" -c "$5" 2>>"$work/psql.err") || fail "query on port $1 failed: $5"; }

# wait_for WHAT SECONDS PORT USER PASSWORD DB SQL EXPECTED
wait_for() {
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs)) got=""
  while ((SECONDS < deadline)); do
    got=$(PGPASSWORD=$3 psql -XAtq -h 127.0.0.1 -p "$1" -U "$2" -d "$4" -c "$5" 2>/dev/null || true)
    [ "$got" = "$6" ] && return 0
    sleep 0.2
  done
  fail "$what: not reached in $secs s (last answer: '${got}', wanted '$6')"
}

wait_ready() { # PORT WHAT
  for _ in $(seq 200); do pg_isready -q -h 127.0.0.1 -p "$1" -U postgres && return 0; sleep 0.1; done
  fail "$2 did not accept connections on port $1 within 20 s"
}

# --- workload -------------------------------------------------------------
cat >"$work/update.sql" <<SQL
\set aid random(1, $ROWS)
\set delta random(-5000, 5000)
UPDATE bench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SQL
bench_accounts_sql "$ROWS" >"$work/load.sql"

load() { # PORT USER PASSWORD DB
  if [ "$WORKLOAD" = tpcb-like ]; then
    PGPASSWORD=$3 pgbench -i -q -s "$SCALE" -h 127.0.0.1 -p "$1" -U "$2" "$4" >/dev/null \
      2>>"$work/psql.err" || fail "pgbench -i on port $1"
    return
  fi
  PGPASSWORD=$3 psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U "$2" -d "$4" -f "$work/load.sql" >/dev/null \
    2>>"$work/psql.err" || fail "loading the table on port $1"
}
script=(-f "$work/update.sql")
[ "$WORKLOAD" = tpcb-like ] && script=(-b tpcb-like)

# pgb TAG PORT USER PASSWORD DB [pgbench args]: runs the update workload;
# sets TPS, LAT (average), P50 and P99 (ms, from the per-transaction log).
pgb() {
  local tag=$1 port=$2 user=$3 pass=$4 db=$5 out rc=0
  shift 5
  out=$(PGPASSWORD=$pass pgbench -n -M prepared -c "$CLIENTS" -j 2 -T "$DURATION" "${script[@]}" \
    -l --log-prefix="$work/txlog-$tag" -h 127.0.0.1 -p "$port" -U "$user" "$@" "$db" 2>&1) || rc=$?
  if [ "$rc" -ne 0 ] || grep -q aborted <<<"$out"; then
    echo "$out" >"$work/pgbench-$tag.err"
    fail "pgbench $tag exited $rc"
  fi
  TPS=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out")
  LAT=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out")
  FAILED=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out")
  SCHED=$(sed -n 's/^rate limit schedule lag: avg \([0-9.]*\).*/\1/p' <<<"$out")
  read -r P50 P99 _ < <(cat "$work/txlog-$tag".* | awk '{ printf "%.3f\n", $3 / 1000 }' | pct)
  rm -f "$work/txlog-$tag".*
}

report() { printf "%-13s %-18s %s\n" "$@"; }

# sampler OUT PORT USER PASSWORD DB SQL: runs SQL (one row "bytes|ms")
# every 200 ms until $work/stop exists, appending the rows to OUT.
sampler() {
  local out=$1 sql=$6 next
  sess_open 7 "$2" "$3" "$4" "$5"
  now_us
  next=$NOW
  while [ ! -e "$work/stop" ]; do
    sess_q 7 "$sql"
    echo "$R" >>"$out"
    next=$((next + 200000))
    now_us
    if ((next > NOW)); then sleep "$(printf '0.%06d' $((next - NOW)))"; else next=$NOW; fi
  done
  sess_close 7
}

# async_run TAG PRIMARY_PORT USER PASSWORD DB SAMPLE_PORT SAMPLE_SQL
#           TARGET_SQL APPLIED_SQL
# Rate-limited load with lag sampling, then the catch-up measurement:
# TARGET_SQL runs on session 3 (primary), APPLIED_SQL on session 5
# (standby). Sets LAG_LINE and CATCHUP_LINE.
async_run() {
  local tag=$1 pport=$2 user=$3 pass=$4 db=$5 sample_port=$6 sample_sql=$7 target_sql=$8 applied_sql=$9
  local samples="$work/lag-$tag.txt" t0 target applied first bad
  rm -f "$work/stop" "$samples"
  sampler "$samples" "$sample_port" "$user" "$pass" "$db" "$sample_sql" &
  local spid=$!
  pids+=($spid)
  pgb "$tag-async" "$pport" "$user" "$pass" "$db" --rate "$RATE"
  # The load has stopped (pgbench waited for its last commit): catch up.
  now_us
  t0=$NOW
  sess_q 3 "$target_sql"
  target=$(lsn2num "$R")
  sess_q 5 "$applied_sql"
  first=$(lsn2num "$R")
  applied=$first
  touch "$work/stop"
  while ((applied < target)); do
    now_us
    ((NOW - t0 < 60000000)) || fail "$tag standby did not catch up within 60 s: applied $R, primary at $target (bytes)"
    sleep 0.005
    sess_q 5 "$applied_sql"
    applied=$(lsn2num "$R")
  done
  now_us
  # Already there at the first look: report 0, not the two queries' time.
  local catchup_ms=0
  ((first >= target)) || catchup_ms=$(awk -v us=$((NOW - t0)) 'BEGIN { printf "%.1f", us / 1000 }')
  wait "$spid" || fail "$tag lag sampler failed"
  bad=$(awk -F'|' '$1 < 0' "$samples" | wc -l)
  read -r b50 b99 bmax < <(awk -F'|' '$1 >= 0 { print $1 }' "$samples" | pct)
  read -r m50 m99 mmax < <(awk -F'|' '$1 >= 0 { print $2 }' "$samples" | pct)
  # With --rate, pgbench's latency counts from the scheduled start, so it
  # includes the schedule lag (time queued behind a slow server).
  LAG_LINE="rate=$RATE tps=$TPS latency_ms=$LAT sched_lag_ms=$SCHED samples=$(wc -l <"$samples") bytes_p50=$b50 bytes_p99=$b99 bytes_max=$bmax ms_p50=$m50 ms_p99=$m99 ms_max=$mmax"
  ((bad == 0)) || LAG_LINE+=" no_standby_samples=$bad"
  awk -v t="$TPS" -v r="$RATE" 'BEGIN { exit !(t < 0.95 * r) }' && LAG_LINE+=" RATE_NOT_SUSTAINED"
  CATCHUP_LINE="behind_bytes=$((target > first ? target - first : 0)) catchup_ms=$catchup_ms"
}

# --- heliosdb-nano ----------------------------------------------------------
# nano_start NAME ARGS...: starts a node logging (info) to NAME.log.
nano_start() {
  local name=$1
  shift
  echo "== start $*" >>"$work/nano-$name.log"
  "$NANO_BIN" start --data-dir "$work/nano-$name" --http-port 0 --listen 127.0.0.1 \
    --node-id "$name" --log-level info "$@" 3>&- 4<&- 5>&- 6<&- 7>&- 8<&- 2>>"$work/nano-$name.log" &
  NANO_PID[$name]=$!
}
# nano_stop NAME: SIGTERM and wait for a clean exit.
nano_stop() {
  local pid=${NANO_PID[$1]} rc=0
  kill -TERM "$pid"
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "nano $1 did not exit within 20 s of SIGTERM"
  wait "$pid" || rc=$?
  unset "NANO_PID[$1]"
  ((rc == 0)) || fail "nano $1 exited $rc after SIGTERM"
}
# nano_ready NAME PORT: like wait_ready, but fails at once if the node exits.
nano_ready() {
  local pid=${NANO_PID[$1]} rc=0
  for _ in $(seq 200); do
    pg_isready -q -h 127.0.0.1 -p "$2" -U helios && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" || rc=$?
      unset "NANO_PID[$1]"
      fail "nano $1 exited ($rc) before accepting connections on port $2"
    fi
    sleep 0.1
  done
  fail "nano $1 did not accept connections on port $2 within 20 s"
}
# nano_pair MODE: primary and standby, both in MODE; waits for streaming.
nano_pair() {
  nano_start primary --pg-port "$NP_PG" --native-port "$NP_NATIVE" --replication-role primary --replication-mode "$1"
  nano_ready primary "$NP_PG"
  nano_start standby --pg-port "$NS_PG" --native-port "$NS_NATIVE" --replication-role standby \
    --primary-host 127.0.0.1 --primary-port "$NP_NATIVE" --replication-mode "$1"
  nano_ready standby "$NS_PG"
  wait_for "nano standby streaming ($1)" 120 "$NP_PG" "${NANO_AUTH[@]}" \
    "SELECT state || ' ' || replication_mode FROM helios_standby_nodes WHERE node_id = 'standby'" "streaming $1"
  wait_for "nano primary sync state" 30 "$NP_PG" "${NANO_AUTH[@]}" \
    "SELECT sync_state FROM helios_replication_status" "$1"
}
nano_sync_state() { q "$NP_PG" "${NANO_AUTH[@]}" "SELECT sync_state FROM helios_replication_status"; }

# --- PostgreSQL ---------------------------------------------------------------
PGBIN=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)}
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_basebackup" ]; then PGBIN=""; fi
pg_start() { # DIR PORT
  touch "$work/$1.log" && chown postgres "$work/$1.log"
  su postgres -c "$PGBIN/pg_ctl -D $work/$1 -o '-p $2 -k /tmp -c listen_addresses=127.0.0.1' -l $work/$1.log start" >/dev/null ||
    fail "PostgreSQL ($1) did not start"
  wait_ready "$2" "PostgreSQL ($1)"
}
pg_sync_names() { # VALUE EXPECTED_SYNC_STATE
  q "$PGP_PORT" "${PG_AUTH[@]}" "ALTER SYSTEM SET synchronous_standby_names = '$1'"
  q "$PGP_PORT" "${PG_AUTH[@]}" "SELECT pg_reload_conf()"
  wait_for "PostgreSQL standby $2" 30 "$PGP_PORT" "${PG_AUTH[@]}" \
    "SELECT state || ' ' || sync_state FROM pg_stat_replication" "streaming $2"
}

# --- run ----------------------------------------------------------------------
make -s build
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg);" \
  "$DURATION s per run, $CLIENTS clients, workload $WORKLOAD ($([ "$WORKLOAD" = tpcb-like ] && echo "scale $SCALE" || echo "$ROWS rows")), async load $RATE tps"
if [ -n "$PGBIN" ]; then
  PGNAME="postgresql-$("$PGBIN/postgres" --version | awk '{print $3}')"
else
  PGNAME=""
  echo "PostgreSQL server not found (apt-get install postgresql, or set PG_BINDIR): skipped the comparison, heliosdb-nano only"
fi

note "setting up: nano primary alone${PGBIN:+; PostgreSQL primary alone}"
nano_start primary --pg-port "$NP_PG" --native-port "$NP_NATIVE" --replication-role primary --replication-mode async
nano_ready primary "$NP_PG"
load "$NP_PG" "${NANO_AUTH[@]}"
if [ -n "$PGBIN" ]; then
  mkdir -p "$work/pg" && chown postgres "$work/pg"
  su postgres -c "$PGBIN/initdb -D $work/pg -U postgres --auth=trust" >"$work/initdb.err" 2>&1 || fail "initdb"
  rm "$work/initdb.err"
  cat >>"$work/pg/postgresql.conf" <<CONF
fsync = on
synchronous_commit = on
wal_level = replica
max_wal_senders = 4
hot_standby = on
CONF
  pg_start pg "$PGP_PORT"
  load "$PGP_PORT" "${PG_AUTH[@]}"
fi

# 1a. no standby (reference)
note "no-standby: $CLIENTS clients, $DURATION s each"
[ "$SYNC_ONLY" = 1 ] || pgb nano-alone "$NP_PG" "${NANO_AUTH[@]}"
[ "$SYNC_ONLY" = 1 ] || report no-standby heliosdb-nano "tps=$TPS latency_ms=$LAT p50_ms=$P50 p99_ms=$P99 failed=$FAILED"
if [ -n "$PGBIN" ] && [ "$SYNC_ONLY" != 1 ]; then
  pgb pg-alone "$PGP_PORT" "${PG_AUTH[@]}"
  report no-standby "$PGNAME" "tps=$TPS latency_ms=$LAT p50_ms=$P50 p99_ms=$P99 failed=$FAILED"
fi

# 1b. one sync standby
note "sync-commit: restarting the nano primary in sync mode, seeding a sync standby${PGBIN:+; pg_basebackup -R}"
nano_stop primary
nano_pair sync
if [ -n "$PGBIN" ]; then
  mkdir -p "$work/pgs" && chown postgres "$work/pgs" && chmod 700 "$work/pgs"
  su postgres -c "$PGBIN/pg_basebackup -h 127.0.0.1 -p $PGP_PORT -U postgres -D $work/pgs -R -X stream -c fast" \
    >"$work/basebackup.err" 2>&1 || fail "pg_basebackup"
  rm "$work/basebackup.err"
  pg_start pgs "$PGS_PORT"
  pg_sync_names '*' sync
fi
if [ -n "$NANO_BASE" ]; then
  note "sync-commit with the base build $NANO_BASE"
  nano_stop standby
  nano_stop primary
  NANO_BIN=$NANO_BASE nano_pair sync
  pgb nano-base-sync "$NP_PG" "${NANO_AUTH[@]}"
  nano_sync_state
  report sync-commit "heliosdb-nano-base" "tps=$TPS latency_ms=$LAT p50_ms=$P50 p99_ms=$P99 failed=$FAILED sync_state_after=$R"
  nano_stop standby
  nano_stop primary
  nano_pair sync
fi
pgb nano-sync "$NP_PG" "${NANO_AUTH[@]}"
nano_sync_state
report sync-commit heliosdb-nano "tps=$TPS latency_ms=$LAT p50_ms=$P50 p99_ms=$P99 failed=$FAILED sync_state_after=$R"
[ "$R" = sync ] || note "WARNING: the nano primary left sync mode during the run (log: $(grep -c degrading "$work/nano-primary.log" || true) degradations)"
if [ -n "$PGBIN" ]; then
  pgb pg-sync "$PGP_PORT" "${PG_AUTH[@]}"
  q "$PGP_PORT" "${PG_AUTH[@]}" "SELECT sync_state FROM pg_stat_replication"
  report sync-commit "$PGNAME" "tps=$TPS latency_ms=$LAT p50_ms=$P50 p99_ms=$P99 failed=$FAILED sync_state_after=$R"
fi

if [ "$SYNC_ONLY" = 1 ]; then
  nano_stop standby
  nano_stop primary
  exit 0
fi

# 2. async standby under a fixed-rate load
note "async-lag: restarting nano primary and standby in async mode${PGBIN:+; PostgreSQL synchronous_standby_names=''}"
nano_stop standby
nano_stop primary
nano_pair async
[ -z "$PGBIN" ] || pg_sync_names '' async

sess_open 3 "$NP_PG" "${NANO_AUTH[@]}"
sess_open 5 "$NS_PG" "${NANO_AUTH[@]}"
async_run nano "$NP_PG" "${NANO_AUTH[@]}" "$NS_PG" \
  "SELECT replication_lag_bytes, replication_lag_ms FROM helios_replication_status" \
  "SELECT pg_current_wal_lsn()" "SELECT applied_lsn FROM helios_replication_status"
sess_close 3
sess_close 5
report async-lag heliosdb-nano "$LAG_LINE"
nano_catchup=$CATCHUP_LINE
if [ -n "$PGBIN" ]; then
  sess_open 3 "$PGP_PORT" "${PG_AUTH[@]}"
  sess_open 5 "$PGS_PORT" "${PG_AUTH[@]}"
  async_run pg "$PGP_PORT" "${PG_AUTH[@]}" "$PGP_PORT" \
    "SELECT coalesce(max(pg_wal_lsn_diff(sent_lsn, replay_lsn)), -1)::bigint, coalesce(max(round(extract(epoch FROM replay_lag) * 1000, 1)), 0) FROM pg_stat_replication" \
    "SELECT pg_current_wal_flush_lsn()" "SELECT pg_last_wal_replay_lsn()"
  sess_close 3
  sess_close 5
  report async-lag "$PGNAME" "$LAG_LINE"
fi
report async-catchup heliosdb-nano "$nano_catchup"
[ -z "$PGBIN" ] || report async-catchup "$PGNAME" "$CATCHUP_LINE"

nano_stop standby
nano_stop primary
if grep -h 'level=\(WARN\|ERROR\)' "$work"/nano-*.log | grep -v 'wal: reset' >"$work/warnings.txt"; then
  note "nano logged warnings or errors during the run:"
  sed 's/^/#   /' "$work/warnings.txt" >&2
fi
