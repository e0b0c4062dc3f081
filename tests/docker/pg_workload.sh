#!/usr/bin/env bash
# Continuous SELECT + UPDATE workload through heliosdb-proxy (the HA
# tutorial's pg_workload.sh, Parts 7-10). Each iteration runs one SELECT and
# one UPDATE (separate psql sessions) and logs
#   [ts] [OK] #N: SELECT=[ok] UPDATE=[ok] [NNNms]
# (FAIL variants and an "error:" line when a statement fails), then prints a
# "=== Workload Summary ===" block. Exit status: 0 when every iteration
# succeeded, 1 when any failed (or none ran), 2 on bad usage / setup failure.
set -uo pipefail

usage() {
  cat <<TXT
Usage: $(basename "$0") [--duration N] [--interval S] [--host H] [--port P] [--row ID]

  --duration N   seconds to run (default \$DURATION or 60)
  --interval S   seconds between iterations, may be fractional (default \$INTERVAL or 1)
  --host H       proxy host (default \$PROXY_HOST or localhost)
  --port P       proxy PG port (default \$PROXY_PORT or 15400; local cluster: 5400)
  --row ID       row of the workload table this run updates (default \$WORKLOAD_ROW or 1)
  -h, --help     this help

Environment: PGUSER (helios), PGPASSWORD (helios), PGDATABASE (heliosdb),
WORKLOAD_TABLE (pg_workload). The table is created if missing.
TXT
}

DURATION=${DURATION:-60}
INTERVAL=${INTERVAL:-1}
HOST=${PROXY_HOST:-localhost}
PORT=${PROXY_PORT:-15400}
ROW=${WORKLOAD_ROW:-1}
TABLE=${WORKLOAD_TABLE:-pg_workload}
export PGUSER=${PGUSER:-helios} PGPASSWORD=${PGPASSWORD:-helios} PGDATABASE=${PGDATABASE:-heliosdb}
export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-10}

need_arg() { if [ $# -lt 2 ] || [ -z "$2" ]; then echo "$1 needs a value" >&2; usage >&2; exit 2; fi; }
while [ $# -gt 0 ]; do
  case $1 in
    --duration) need_arg "$@"; DURATION=$2; shift 2 ;;
    --interval) need_arg "$@"; INTERVAL=$2; shift 2 ;;
    --host) need_arg "$@"; HOST=$2; shift 2 ;;
    --port) need_arg "$@"; PORT=$2; shift 2 ;;
    --row) need_arg "$@"; ROW=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $DURATION =~ ^[0-9]+$ ]] || { echo "--duration must be whole seconds" >&2; exit 2; }
[[ $INTERVAL =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "--interval must be a number" >&2; exit 2; }
[[ $PORT =~ ^[0-9]+$ ]] || { echo "--port must be a number" >&2; exit 2; }
[[ $ROW =~ ^[0-9]+$ ]] || { echo "--row must be a number" >&2; exit 2; }
[[ $TABLE =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { echo "bad WORKLOAD_TABLE" >&2; exit 2; }

# psql with errors as a non-zero exit status; output (rows / command tags)
# and errors both land on stdout so the caller can log them.
sql() { psql -X -h "$HOST" -p "$PORT" -tA -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
now_ms() { date +%s%3N; }
ts() { date '+%Y-%m-%d %H:%M:%S'; }

# Setup: create the table and this run's row (retried: concurrent runs may
# race on the CREATE, and the cluster may be starting).
setup_ok=0
for _ in 1 2 3 4 5; do
  out=$(sql "CREATE TABLE IF NOT EXISTS $TABLE (id INTEGER PRIMARY KEY, counter INTEGER, updated_at TEXT)")
  rc=$?
  if [ $rc -eq 0 ]; then
    out=$(sql "INSERT INTO $TABLE (id, counter, updated_at) VALUES ($ROW, 0, '$(ts)') ON CONFLICT (id) DO NOTHING")
    rc=$?
    if [ $rc -eq 0 ]; then setup_ok=1; break; fi
  fi
  sleep 1
done
if [ $setup_ok -ne 1 ]; then
  echo "[$(ts)] setup failed on $HOST:$PORT: $out" >&2
  exit 2
fi

echo "[$(ts)] Workload: ${DURATION}s, interval ${INTERVAL}s, via $HOST:$PORT, table $TABLE row $ROW"

TOTAL=0 OK=0 FAILED=0 MAX_MS=0
summary() {
  local rate
  if [ $TOTAL -eq 0 ]; then rate=0
  elif [ $FAILED -eq 0 ]; then rate=100
  else rate=$(awk -v s=$OK -v t=$TOTAL 'BEGIN { printf "%.2f", s * 100 / t }')
  fi
  echo ""
  echo "=== Workload Summary ==="
  echo "Total iterations: $TOTAL"
  echo "Successful: $OK"
  echo "Failed: $FAILED"
  echo "Success rate: ${rate}%"
  echo "Max latency: ${MAX_MS}ms"
}
finish() {
  summary
  if [ $TOTAL -gt 0 ] && [ $FAILED -eq 0 ]; then exit 0; fi
  exit 1
}
trap 'echo "[$(ts)] interrupted"; finish' INT TERM

START=$(date +%s)
while [ $(( $(date +%s) - START )) -lt "$DURATION" ]; do
  TOTAL=$((TOTAL + 1))
  t0=$(now_ms)
  errs=()

  sel_out=$(sql "SELECT counter FROM $TABLE WHERE id = $ROW")
  sel_rc=$?
  if [ $sel_rc -eq 0 ] && [[ $sel_out =~ ^[0-9]+$ ]]; then sel=ok
  else sel=FAIL; errs+=("SELECT (rc=$sel_rc): ${sel_out//$'\n'/ }")
  fi

  upd_out=$(sql "UPDATE $TABLE SET counter = counter + 1, updated_at = '$(ts)' WHERE id = $ROW")
  upd_rc=$?
  if [ $upd_rc -eq 0 ] && [ "$upd_out" = "UPDATE 1" ]; then upd=ok
  else upd=FAIL; errs+=("UPDATE (rc=$upd_rc): ${upd_out//$'\n'/ }")
  fi

  ms=$(( $(now_ms) - t0 ))
  [ $ms -gt $MAX_MS ] && MAX_MS=$ms
  if [ $sel = ok ] && [ $upd = ok ]; then
    OK=$((OK + 1)); status=OK
  else
    FAILED=$((FAILED + 1)); status=FAIL
  fi
  echo "[$(ts)] [$status] #$TOTAL: SELECT=[$sel] UPDATE=[$upd] [${ms}ms]"
  for e in "${errs[@]+"${errs[@]}"}"; do echo "    error: $e"; done

  sleep "$INTERVAL"
done
finish
