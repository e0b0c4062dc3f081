#!/usr/bin/env bash
# heliosdb-nano and PostgreSQL 15 side by side on this machine, interleaved
# (each point runs nano then PostgreSQL, so both see the same background
# noise), written to docs/benchmarks.md and printed:
#
#   pgbench select-only, simple-update and tpcb-like (pgbench -i -s SCALE),
#   -M simple and prepared, 1 and 8 clients, DURATION s each, REPS times
#   (the median is reported) — TPS and failed transactions;
#   select-only through heliosdb-proxy (nano) and through pgbouncer in
#   session mode (PostgreSQL), 8 clients, prepared and simple, each round
#   running proxy, pgbouncer and both systems direct in turn — TPS, p50
#   latency (from pgbench's per-transaction log) and the p50 each proxy adds;
#   a bulk load: ROWS rows in 1000-row INSERT statements, and by COPY;
#   peak memory (proportional set size, summed over PostgreSQL's processes).
#
# Both systems keep fsync on. PostgreSQL gets a fresh cluster with default
# settings. Installs PostgreSQL 15, pgbench and pgbouncer from Debian when
# missing. Runs as root (PostgreSQL and pgbouncer run as postgres).
#
# BULK_ONLY=1 runs only the bulk load (BULK_REPS rounds, median) and prints
# it (docs/benchmarks.md is left alone).
# PROXY_ONLY=1 runs only the proxy comparison and prints it (docs/benchmarks.md
# is left alone); PROXY_BASE=path/to/an/older/heliosdb-proxy adds that build
# to each round (before/after a change, same moment, same node).
# PROXY_MAX_PROCS=N sets the proxy's max_procs (GOMAXPROCS; PROXY_BASE's
# stays the default): PROXY_BASE=bin/heliosdb-proxy PROXY_MAX_PROCS=2
# compares two scheduler threads with the default in the same rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-5}
REPS=${REPS:-1}
SCALE=${SCALE:-5}
ROWS=${ROWS:-100000}
OUT=${OUT:-docs/benchmarks.md}
BASE_PORT=${BASE_PORT:-29480} # below the ephemeral range (32768-60999): an outgoing connection cannot take one mid-run
N_PG=$((BASE_PORT + 1)) N_NATIVE=$((BASE_PORT + 2)) N_HTTP=$((BASE_PORT + 3))
PX_PORT=$((BASE_PORT + 4)) PX_ADMIN=$((BASE_PORT + 5))
PG_PORT=$((BASE_PORT + 11)) BOUNCER_PORT=$((BASE_PORT + 12))
PROXY_ONLY=${PROXY_ONLY:-0}
BULK_ONLY=${BULK_ONLY:-0}
BULK_REPS=${BULK_REPS:-1}
PROXY_BASE=${PROXY_BASE:-}
PROXY_MAX_PROCS=${PROXY_MAX_PROCS:-0} # the proxy's max_procs (not PROXY_BASE's)
PX_BASE_PORT=$((BASE_PORT + 6)) PX_BASE_ADMIN=$((BASE_PORT + 7))
NANO=(helios helios heliosdb) # user password database
PG=(postgres "" postgres)

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
scripts/install-test-deps.sh
if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends pgbouncer
fi
BOUNCER=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
PGBIN=/usr/lib/postgresql/15/bin
make -s build

work=$(mktemp -d /tmp/heliosdb-bench.XXXX)
chmod 755 "$work"
pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  [ -f "$work/bouncer/bouncer.pid" ] && kill "$(cat "$work/bouncer/bouncer.pid")" 2>/dev/null
  [ -f "$work/pg/postmaster.pid" ] && su postgres -c "$PGBIN/pg_ctl -D $work/pg -m immediate stop" >/dev/null 2>&1
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
  echo "FAILED: $*" >&2
  for f in "$work"/*.log "$work"/bouncer/*.log; do [ -s "$f" ] && { echo "---- $(basename "$f")" >&2; tail -n 20 "$f" >&2; }; done
  exit 1
}
ready() { # PORT WHAT
  for _ in $(seq 300); do pg_isready -q -h 127.0.0.1 -p "$1" && return 0; sleep 0.1; done
  fail "$2 did not accept connections on port $1"
}
sql() { # PORT USER PASSWORD DB SQL...
  local port=$1 user=$2 pass=$3 db=$4; shift 4
  PGPASSWORD=$pass psql -XAtq -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$user" -d "$db" "$@"
}

# --- the two systems ------------------------------------------------------
bin/heliosdb-nano start --data-dir "$work/nano" --listen 127.0.0.1 --pg-port "$N_PG" \
  --native-port "$N_NATIVE" --http-port "$N_HTTP" --node-id bench --log-level warn >"$work/nano.log" 2>&1 &
NANO_PID=$!
pids+=($NANO_PID)
ready "$N_PG" heliosdb-nano
mkdir -p "$work/pg" "$work/bouncer" && touch "$work/pg.log" && chown postgres "$work/pg" "$work/pg.log" "$work/bouncer"
su postgres -c "$PGBIN/initdb -D $work/pg -U postgres --auth=trust" >/dev/null
su postgres -c "$PGBIN/pg_ctl -D $work/pg -o '-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1' -l $work/pg.log start" >/dev/null
ready "$PG_PORT" postgresql
PG_VERSION=$($PGBIN/postgres --version | awk '{print $3}')
NANO_VERSION=$(git describe --always --dirty 2>/dev/null || echo unknown)

# Peak memory: proportional set size (shared pages split among the processes
# sharing them), sampled every 0.5 s; PostgreSQL's is the sum over its
# processes. Each is also split: the peak of its anonymous and shared memory
# (nano: the Go heap, stacks and the parser's C heap; PostgreSQL: backends'
# private memory and shared_buffers) apart from file-backed pages (nano's
# mmap'd data file is its page cache; PostgreSQL reads through the kernel's
# page cache, which no process is charged for), and the binaries.
pss() { # FIELD SMAPS_ROLLUP...: the sum of FIELD (kB)
  local f=$1; shift
  [ $# -gt 0 ] || { echo 0; return; }
  awk -v f="$f" '$1 == f ":" {s+=$2} END{print s+0}' "$@" 2>/dev/null || echo 0
}
PG_PID=$(head -1 "$work/pg/postmaster.pid")
peak_sampler() {
  local nano_peak=0 pg_peak=0 nano_anon=0 pg_anon=0 v files
  while :; do
    v=$(pss Pss /proc/$NANO_PID/smaps_rollup)
    ((v > nano_peak)) && nano_peak=$v
    v=$(pss Pss_Anon /proc/$NANO_PID/smaps_rollup)
    ((v > nano_anon)) && nano_anon=$v
    files=$(for p in $PG_PID $(pgrep -P "$PG_PID"); do echo /proc/$p/smaps_rollup; done)
    v=$(pss Pss $files)
    ((v > pg_peak)) && pg_peak=$v
    v=$(($(pss Pss_Anon $files) + $(pss Pss_Shmem $files)))
    ((v > pg_anon)) && pg_anon=$v
    echo "$nano_peak $pg_peak $nano_anon $pg_anon" >"$work/peak.tmp" && mv "$work/peak.tmp" "$work/peak"
    sleep 0.5
  done
}
peak_sampler &
pids+=($!)

# bulk_load: ROWS rows into an existing table (created by an earlier
# statement), by 1000-row INSERT statements and by psql's \\copy; sets
# nbi pbi nbc pbc (rows per second).
bulk_load() {
# --- bulk load ------------------------------------------------------------
{
  echo "DROP TABLE IF EXISTS bulk;"
  echo "CREATE TABLE bulk (id int PRIMARY KEY, v int, s text);"
} >"$work/bulk-ddl.sql"
for ((i = 1; i <= ROWS; i += 1000)); do
  printf "INSERT INTO bulk VALUES "
  for ((j = i; j < i + 1000 && j <= ROWS; j++)); do
    ((j > i)) && printf ","
    printf "(%d,%d,'row %d')" "$j" $((j % 97)) "$j"
  done
  echo ";"
done >"$work/bulk.sql"
seq 1 "$ROWS" | awk '{printf "%d\t%d\trow %d\n", $1, $1 % 97, $1}' >"$work/bulk.tsv"
load() { # PORT USER PASSWORD DB MODE: prints rows/s or n/a
  local port=$1 user=$2 pass=$3 db=$4 mode=$5 t0 t1
  sql "$port" "$user" "$pass" "$db" -f "$work/bulk-ddl.sql" >/dev/null 2>&1 || { echo n/a; return; }
  t0=${EPOCHREALTIME/./}
  if [ "$mode" = insert ]; then
    sql "$port" "$user" "$pass" "$db" -f "$work/bulk.sql" >/dev/null 2>&1 || { echo n/a; return; }
  else
    sql "$port" "$user" "$pass" "$db" -c "\\copy bulk FROM '$work/bulk.tsv'" >/dev/null 2>&1 || { echo n/a; return; }
  fi
  t1=${EPOCHREALTIME/./}
  awk -v n="$ROWS" -v us=$((t1 - t0)) 'BEGIN{printf "%.0f", n / (us / 1e6)}'
}
# BULK_REPS rounds, each running nano then PostgreSQL; the median is kept.
local r a=() b=() c=() d=()
for ((r = 0; r < BULK_REPS; r++)); do
  a+=("$(load "$N_PG" "${NANO[@]}" insert)"); b+=("$(load "$PG_PORT" "${PG[@]}" insert)")
  c+=("$(load "$N_PG" "${NANO[@]}" copy)"); d+=("$(load "$PG_PORT" "${PG[@]}" copy)")
done
nbi=$(median "${a[@]}"); pbi=$(median "${b[@]}"); nbc=$(median "${c[@]}"); pbc=$(median "${d[@]}")
nbi=${nbi%.*} pbi=${pbi%.*} nbc=${nbc%.*} pbc=${pbc%.*}
}
if [ "$BULK_ONLY" = 1 ]; then
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
  median() { printf "%s\n" "$@" | grep -E '^[0-9.]+$' | sort -g | awk '{v[NR]=$1} END{if (NR) printf "%.0f", v[int((NR+1)/2)]; else print "n/a"}'; }
  bulk_load
  echo "Bulk load of $ROWS rows into an existing table (rows per second), median of $BULK_REPS interleaved round(s);"
  echo "$(nproc) cores, load average at the start $LOAD_START, now $(cut -d' ' -f1-3 /proc/loadavg), heliosdb-nano $NANO_VERSION, PostgreSQL $PG_VERSION:"
  echo
  echo "| method | nano | PostgreSQL | ratio |"
  echo "|---|---|---|---|"
  echo "| 1000-row INSERT statements | $nbi | $pbi | $(ratio "$nbi" "$pbi") |"
  echo "| COPY (psql \\copy) | $nbc | $pbc | $(ratio "$nbc" "$pbc") |"
  read -r nano_peak pg_peak <"$work/peak"
  echo
  echo "Peak memory (proportional set size): nano $((nano_peak / 1024)) MiB, PostgreSQL $((pg_peak / 1024)) MiB."
  exit 0
fi

# --- load -----------------------------------------------------------------
# pgbench -i on both; where nano refuses a step of it (older builds without
# COPY), the same tables are made with INSERT statements.
pgbench_tables_sql() {
  local s=$1 n=$((s * 100000)) i j
  cat <<SQL
DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history;
CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22));
CREATE TABLE pgbench_tellers (tid int PRIMARY KEY, bid int, tbalance int, filler char(84));
CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84));
CREATE TABLE pgbench_branches (bid int PRIMARY KEY, bbalance int, filler char(88));
SQL
  for ((i = 1; i <= s; i++)); do echo "INSERT INTO pgbench_branches VALUES ($i, 0, '');"; done
  for ((i = 1; i <= s * 10; i++)); do echo "INSERT INTO pgbench_tellers VALUES ($i, $(((i - 1) / 10 + 1)), 0, '');"; done
  for ((i = 1; i <= n; i += 1000)); do
    printf "INSERT INTO pgbench_accounts VALUES "
    for ((j = i; j < i + 1000 && j <= n; j++)); do
      ((j > i)) && printf ","
      printf "(%d,%d,0,'')" "$j" $(((j - 1) / 100000 + 1))
    done
    echo ";"
  done
}
echo "# loading pgbench tables at scale $SCALE" >&2
PGPASSWORD=${PG[1]} pgbench -i -q -s "$SCALE" -h 127.0.0.1 -p "$PG_PORT" -U "${PG[0]}" "${PG[2]}" >"$work/pg-init.log" 2>&1 ||
  fail "pgbench -i on PostgreSQL"
NANO_INIT="pgbench -i"
if ! PGPASSWORD=${NANO[1]} pgbench -i -q -s "$SCALE" -h 127.0.0.1 -p "$N_PG" -U "${NANO[0]}" "${NANO[2]}" >"$work/nano-init.log" 2>&1; then
  NANO_INIT="INSERT statements (pgbench -i failed: $(grep -m1 -i error "$work/nano-init.log" | cut -c1-120))"
  pgbench_tables_sql "$SCALE" >"$work/pgbench-tables.sql"
  sql "$N_PG" "${NANO[@]}" -f "$work/pgbench-tables.sql" >/dev/null || fail "loading pgbench tables into nano"
fi

# --- pgbench points -------------------------------------------------------
# bench1 PORT USER PASSWORD DB ARGS...: one run; prints "tps failed p50_ms
# transactions" (p50 from pgbench's per-transaction log).
bench1() {
  local port=$1 user=$2 pass=$3 db=$4; shift 4
  local out tps failed p50 n
  rm -rf "$work/lat" && mkdir -p "$work/lat"
  out=$(cd "$work/lat" && PGPASSWORD=$pass pgbench -n -T "$DURATION" -j 2 -l --log-prefix="$work/lat/l" \
    -h 127.0.0.1 -p "$port" -U "$user" "$@" "$db" 2>&1) || true
  tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
  failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' | head -1)
  [ -n "$tps" ] || { echo "$out" | tail -5 >&2; tps=0; }
  p50=$(cat "$work"/lat/l.* 2>/dev/null | awk '{print $3}' | sort -n |
    awk '{v[NR]=$1} END{if (NR) printf "%.3f", v[int((NR+1)/2)]/1000; else print "n/a"}')
  n=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' | head -1)
  echo "$tps ${failed:-0} $p50 ${n:-0}"
}
median() { # of the numeric arguments ("n/a" when none)
  printf "%s\n" "$@" | grep -E '^[0-9.]+$' | sort -g | awk '{v[NR]=$1} END{if (NR) printf "%.3f", v[int((NR+1)/2)]; else print "n/a"}'
}

# bench PORT USER PASSWORD DB ARGS...: prints "tps failed" (median of REPS).
bench() {
  local port=$1 user=$2 pass=$3 db=$4; shift 4
  local out tpss=() fails=()
  for ((r = 0; r < REPS; r++)); do
    out=$(PGPASSWORD=$pass pgbench -n -T "$DURATION" -j 2 -h 127.0.0.1 -p "$port" -U "$user" "$@" "$db" 2>&1) || true
    tpss+=("$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)")
    fails+=("$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' | head -1)")
    [ -n "${tpss[-1]}" ] || { echo "$out" | tail -5 >&2; tpss[-1]=0; }
  done
  printf "%s %s\n" "$(printf "%s\n" "${tpss[@]}" | sort -g | awk '{v[NR]=$1} END{printf "%.0f", v[int((NR+1)/2)]}')" \
    "$(printf "%s\n" "${fails[@]:-0}" | sort -g | tail -1)"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "n/a" }'; }

rows=()
[ "$PROXY_ONLY" = 1 ] || {
point() { # LABEL ARGS...
  local label=$1; shift
  read -r nt nf < <(bench "$N_PG" "${NANO[@]}" "$@")
  read -r pt pf < <(bench "$PG_PORT" "${PG[@]}" "$@")
  rows+=("| $label | $nt | ${nf:-0} | $pt | ${pf:-0} | $(ratio "$nt" "$pt") |")
  echo "${rows[-1]}" >&2
}
for w in select-only simple-update tpcb-like; do
  for m in simple prepared; do
    for c in 1 8; do
      point "$w, -M $m, $c client(s)" -b "$w" -M "$m" -c "$c"
    done
  done
done
}

# --- through the proxies --------------------------------------------------
proxy_toml() { # PORT ADMIN_PORT [MAX_PROCS]
  cat <<TOML
[proxy]
listen_addr = "127.0.0.1:$1"
admin_addr = "127.0.0.1:$2"
health_check_interval_secs = 5
max_procs = ${3:-0}

[[nodes]]
name = "primary"
host = "127.0.0.1"
port = $N_PG
role = "primary"
enabled = true
TOML
}
proxy_toml "$PX_PORT" "$PX_ADMIN" "$PROXY_MAX_PROCS" >"$work/proxy.toml"
bin/heliosdb-proxy --config "$work/proxy.toml" >"$work/proxy.log" 2>&1 &
pids+=($!)
declare -A pid_of=([proxy]=$!)
ready "$PX_PORT" heliosdb-proxy
if [ -n "$PROXY_BASE" ]; then
  proxy_toml "$PX_BASE_PORT" "$PX_BASE_ADMIN" >"$work/proxy-base.toml"
  "$PROXY_BASE" --config "$work/proxy-base.toml" >"$work/proxy-base.log" 2>&1 &
  pids+=($!)
  pid_of[base]=$!
  ready "$PX_BASE_PORT" "heliosdb-proxy ($PROXY_BASE)"
fi
cat >"$work/bouncer.ini" <<INI
[databases]
postgres = host=127.0.0.1 port=$PG_PORT dbname=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $work/userlist.txt
pool_mode = session
max_client_conn = 200
default_pool_size = 20
pidfile = $work/bouncer/bouncer.pid
logfile = $work/bouncer/bouncer.log
INI
echo '"postgres" ""' >"$work/userlist.txt"
chown postgres "$work/bouncer.ini" "$work/userlist.txt"
su postgres -c "$BOUNCER -d $work/bouncer.ini" >/dev/null 2>&1 || fail "pgbouncer did not start"
ready "$BOUNCER_PORT" pgbouncer
pid_of[bouncer]=$(cat "$work/bouncer/bouncer.pid")
# cpu_ticks PID: user+system CPU time of the process so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Each round runs every path once, in turn, for each -M mode: ratios come
# from runs minutes apart at most, whatever else the machine does.
paths=(proxy bouncer nano pg)
[ -n "$PROXY_BASE" ] && paths=(proxy base bouncer nano pg)
declare -A port_of=([proxy]=$PX_PORT [base]=$PX_BASE_PORT [bouncer]=$BOUNCER_PORT [nano]=$N_PG [pg]=$PG_PORT)
# A proxy's CPU per transaction (its process's user+system time over the
# run) is the figure least moved by what else runs on the machine, with
# its system calls per transaction (counted by perf's raw_syscalls
# tracepoint when perf can attach here; n/a otherwise), which the load
# does not move at all.
declare -A tps_of lat_of cpu_of sys_of
PERF=
command -v perf >/dev/null && perf stat -x, -e raw_syscalls:sys_enter -o /dev/null -- true 2>/dev/null && PERF=perf
for ((r = 0; r < REPS; r++)); do
  for m in prepared simple; do
    for p in "${paths[@]}"; do
      if [ "$p" = bouncer ] || [ "$p" = pg ]; then who=("${PG[@]}"); else who=("${NANO[@]}"); fi
      c0=0; [ -n "${pid_of[$p]:-}" ] && c0=$(cpu_ticks "${pid_of[$p]}")
      perf_pid=
      if [ -n "$PERF" ] && [ -n "${pid_of[$p]:-}" ]; then
        rm -f "$work/perf.out"
        $PERF stat -x, -e raw_syscalls:sys_enter -p "${pid_of[$p]}" -o "$work/perf.out" &
        perf_pid=$!
      fi
      read -r t _ l n < <(bench1 "${port_of[$p]}" "${who[@]}" -b select-only -M "$m" -c 8)
      c=n/a sc=n/a
      [ -n "${pid_of[$p]:-}" ] && c=$(awk -v t=$(($(cpu_ticks "${pid_of[$p]}") - c0)) -v hz="$(getconf CLK_TCK)" -v n="$n" \
        'BEGIN{ if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "n/a" }')
      if [ -n "$perf_pid" ]; then
        kill -INT "$perf_pid" 2>/dev/null; wait "$perf_pid" 2>/dev/null || true
        sc=$(awk -F, -v n="$n" '$3 ~ /raw_syscalls/ && n > 0 {printf "%.2f", $1 / n; f=1} END{if (!f) print "n/a"}' "$work/perf.out" 2>/dev/null || echo n/a)
      fi
      tps_of[$m,$p]+="$t " lat_of[$m,$p]+="$l " cpu_of[$m,$p]+="$c " sys_of[$m,$p]+="$sc "
      echo "# proxy round $((r + 1)), -M $m, $p: tps $t, p50 $l ms, proxy CPU $c us/transaction, $sc system calls/transaction" >&2
    done
  done
done
# ptable: the markdown table of the proxy comparison.
ptable() {
  local m p t l direct
  echo "| path | -M | tps | share of direct | p50 ms | p50 added by the proxy, ms | proxy CPU, us per transaction | proxy system calls per transaction |"
  echo "|---|---|---|---|---|---|---|---|"
  for m in prepared simple; do
    for p in "${paths[@]}"; do
      t=$(median ${tps_of[$m,$p]}) l=$(median ${lat_of[$m,$p]})
      direct=nano; [ "$p" = bouncer ] || [ "$p" = pg ] && direct=pg
      local dt dl label
      dt=$(median ${tps_of[$m,$direct]}) dl=$(median ${lat_of[$m,$direct]})
      case $p in
      proxy) label="nano through heliosdb-proxy" ;;
      base) label="nano through heliosdb-proxy ($(basename "$PROXY_BASE"))" ;;
      bouncer) label="PostgreSQL through pgbouncer (session)" ;;
      nano) label="nano direct" ;;
      pg) label="PostgreSQL direct" ;;
      esac
      if [ "$p" = "$direct" ]; then
        echo "| $label | $m | ${t%.*} | 1.00 | $l | | | |"
      else
        echo "| $label | $m | ${t%.*} | $(ratio "$t" "$dt") | $l | $(awk -v a="$l" -v b="$dl" 'BEGIN{if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/) printf "%.3f", a - b; else print "n/a"}') | $(median ${cpu_of[$m,$p]} | awk '{if ($1 ~ /^[0-9.]+$/) printf "%.1f", $1; else print $1}') | $(median ${sys_of[$m,$p]} | awk '{if ($1 ~ /^[0-9.]+$/) printf "%.2f", $1; else print $1}') |"
      fi
    done
  done
  echo
  for m in prepared simple; do
    echo "-M $m: heliosdb-proxy / pgbouncer TPS $(ratio "$(median ${tps_of[$m,proxy]})" "$(median ${tps_of[$m,bouncer]})");" \
      "share of direct, heliosdb-proxy / pgbouncer $(ratio "$(ratio "$(median ${tps_of[$m,proxy]})" "$(median ${tps_of[$m,nano]})")" \
      "$(ratio "$(median ${tps_of[$m,bouncer]})" "$(median ${tps_of[$m,pg]})")")."
  done
}
if [ "$PROXY_ONLY" = 1 ]; then
  echo "Through a proxy, select-only, 8 clients (-j 2), $DURATION s per run, median of $REPS interleaved round(s);"
  echo "$(nproc) cores, load average at the start $LOAD_START, heliosdb-nano $NANO_VERSION, PostgreSQL $PG_VERSION:"
  echo
  ptable
  exit 0
fi

bulk_load

read -r nano_peak pg_peak nano_anon pg_anon <"$work/peak"
# With one sync standby (scripts/bench-replication.sh, same DURATION).
repl=""
if [ "${WITH_REPLICATION:-1}" = 1 ]; then
  echo "# scripts/bench-replication.sh" >&2
  repl=$(DURATION=$DURATION scripts/bench-replication.sh 2>"$work/repl.log") || repl="bench-replication.sh failed: $(tail -3 "$work/repl.log")"
fi
{
  echo "# Benchmarks: heliosdb-nano and PostgreSQL side by side"
  echo
  echo "Written by \`make bench\` (scripts/bench-compare.sh) on $(date -u +%Y-%m-%d): $(nproc) cores,"
  echo "$(free -g | awk '/Mem:/{print $2}') GiB, load average at the start $LOAD_START."
  echo "heliosdb-nano $NANO_VERSION; PostgreSQL $PG_VERSION with default settings; both fsync every"
  echo "commit. pgbench scale $SCALE (nano loaded by $NANO_INIT), $DURATION s per point, median of"
  echo "$REPS run(s), each point run on nano then PostgreSQL. Ratio = nano / PostgreSQL."
  echo
  echo "| workload | nano tps | nano failed | PostgreSQL tps | PostgreSQL failed | ratio |"
  echo "|---|---|---|---|---|---|"
  printf "%s\n" "${rows[@]}"
  echo
  echo "Through a proxy, select-only, 8 clients, each round running every path in turn:"
  echo
  ptable
  echo
  echo "Bulk load of $ROWS rows (rows per second):"
  echo
  echo "| method | nano | PostgreSQL | ratio |"
  echo "|---|---|---|---|"
  echo "| 1000-row INSERT statements | $nbi | $pbi | $(ratio "$nbi" "$pbi") |"
  echo "| COPY (psql \\copy) | $nbc | $pbc | $(ratio "$nbc" "$pbc") |"
  echo
  echo "Peak memory over the run (proportional set size): nano $((nano_peak / 1024)) MiB,"
  echo "PostgreSQL $((pg_peak / 1024)) MiB (all its processes). Anonymous and shared memory alone"
  echo "(the rest is file-backed: nano's mmap'd data file, i.e. its page cache, and the binaries):"
  echo "nano $((nano_anon / 1024)) MiB (Go heap, stacks, the parser's C heap),"
  echo "PostgreSQL $((pg_anon / 1024)) MiB (private memory and shared_buffers)."
  if [ -n "$repl" ]; then
    echo
    echo "With one synchronous standby (scripts/bench-replication.sh, single-row updates):"
    echo
    echo '```'
    echo "$repl"
    echo '```'
  fi
} >"$OUT"
cat "$OUT"
