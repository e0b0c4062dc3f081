#!/usr/bin/env bash
# HeliosDB Nano cluster monitor (the HA tutorial's Part 6 monitor_cluster.sh):
# per node the PG protocol (SELECT 1), the HTTP API (/health), its current
# role and replication lag (helios_replication_status); the proxy's admin
# API and which node it routes writes to. Refreshes every --interval
# seconds until Ctrl-C; --once prints one frame and exits 0 when every
# check passed, 1 otherwise.
set -uo pipefail

usage() {
  cat <<TXT
Usage: $(basename "$0") [--once] [--interval S]
  --once         print one frame (no screen clearing) and exit: 0 all ✓, 1 otherwise
  --interval S   refresh period (default 2)
  -h, --help     this help

Ports come from the environment (defaults: the Docker cluster; the local
cluster of scripts/local-cluster.sh in brackets):
  HOST=localhost   PROXY_PORT=15400 [5400]   PROXY_ADMIN_PORT=19090 [9090]
  PRIMARY_PORT=15432 [5432]        PRIMARY_HTTP_PORT=18080 [8080]
  STANDBY_SYNC_PORT=15442 [5442]   STANDBY_SYNC_HTTP_PORT=18081 [8081]
  STANDBY_ASYNC_PORT=15462 [5452]  STANDBY_ASYNC_HTTP_PORT=18084 [8082]
Needs psql and curl (jq optional: the proxy's write target).
TXT
}

ONCE=0
INTERVAL=2
while [ $# -gt 0 ]; do
  case $1 in
    --once) ONCE=1; shift ;;
    --interval)
      [[ ${2:-} =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "--interval needs a number" >&2; exit 2; }
      INTERVAL=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

HOST=${HOST:-localhost}
PROXY_PORT=${PROXY_PORT:-15400}
PROXY_ADMIN_PORT=${PROXY_ADMIN_PORT:-19090}
PRIMARY_PORT=${PRIMARY_PORT:-15432}
PRIMARY_HTTP_PORT=${PRIMARY_HTTP_PORT:-18080}
STANDBY_SYNC_PORT=${STANDBY_SYNC_PORT:-15442}
STANDBY_SYNC_HTTP_PORT=${STANDBY_SYNC_HTTP_PORT:-18081}
STANDBY_ASYNC_PORT=${STANDBY_ASYNC_PORT:-15462}
STANDBY_ASYNC_HTTP_PORT=${STANDBY_ASYNC_HTTP_PORT:-18084}
export PGUSER=${PGUSER:-helios} PGPASSWORD=${PGPASSWORD:-helios} PGDATABASE=${PGDATABASE:-heliosdb}
# The proxy's GET /nodes needs credentials (sent through a config file on a
# pipe, not the command line).
HELIOSDB_USER=${HELIOSDB_USER:-$PGUSER} HELIOSDB_PASSWORD=${HELIOSDB_PASSWORD:-$PGPASSWORD}
export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-3}

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  RED='\033[0;31m' GREEN='\033[0;32m' YELLOW='\033[0;33m' BLUE='\033[0;34m' NC='\033[0m'
else
  RED='' GREEN='' YELLOW='' BLUE='' NC=''
fi
YES="${GREEN}✓${NC}" NO="${RED}✗${NC}"
FAILS=0

psql_q() { psql -X -h "$HOST" -p "$1" -tA -v ON_ERROR_STOP=1 -F '|' -c "$2" 2>/dev/null; }
check_pg() { # port
  local out
  if out=$(psql_q "$1" "SELECT 1") && [ "$out" = 1 ]; then echo "$YES"; else echo "$NO"; fi
}
check_http() { # base url
  if curl -fsS --max-time 3 -o /dev/null "$1/health" 2>/dev/null; then echo "$YES"; else echo "$NO"; fi
}
node_info() { # port -> "role|lag" (role ? and lag N/A when unknown)
  local out role lag
  if out=$(psql_q "$1" "SELECT role, replication_lag_bytes FROM helios_replication_status LIMIT 1") && [ -n "$out" ]; then
    role=${out%%|*} lag=${out#*|}
    if [ "$role" = primary ]; then echo "primary|N/A (primary)"; else echo "$role|$lag bytes"; fi
  else
    echo "?|N/A"
  fi
}

frame() {
  FAILS=0
  local out=() name pg http pgs https info role lag
  out+=("${BLUE}╔════════════════════════════════════════════════════════════════════════╗${NC}")
  out+=("${BLUE}║                       HeliosDB Nano Cluster Monitor                    ║${NC}")
  out+=("${BLUE}╚════════════════════════════════════════════════════════════════════════╝${NC}")
  out+=("")
  out+=(" Time: $(date '+%Y-%m-%d %H:%M:%S')")
  out+=("")
  out+=(" ${YELLOW}Node Status:${NC}")
  out+=(" ┌────────────────┬──────────┬──────────┬─────────┬─────────────────┐")
  out+=(" │ Node           │ PG Proto │ HTTP API │ Role    │ Replication Lag │")
  out+=(" ├────────────────┼──────────┼──────────┼─────────┼─────────────────┤")
  for spec in "Primary $PRIMARY_PORT $PRIMARY_HTTP_PORT" \
              "Standby-Sync $STANDBY_SYNC_PORT $STANDBY_SYNC_HTTP_PORT" \
              "Standby-Async $STANDBY_ASYNC_PORT $STANDBY_ASYNC_HTTP_PORT"; do
    read -r name pg http <<<"$spec"
    pgs=$(check_pg "$pg")
    https=$(check_http "http://$HOST:$http")
    [ "$pgs" = "$YES" ] || FAILS=$((FAILS + 1))
    [ "$https" = "$YES" ] || FAILS=$((FAILS + 1))
    info=$(node_info "$pg")
    role=${info%%|*} lag=${info#*|}
    out+=("$(printf ' │ %-14s │    %b     │    %b     │ %-7s │ %-15s │' "$name" "$pgs" "$https" "$role" "$lag")")
  done
  out+=(" └────────────────┴──────────┴──────────┴─────────┴─────────────────┘")
  out+=("")
  out+=(" ${YELLOW}Proxy Status:${NC}")
  out+=(" ┌────────────────┬──────────┬──────────────────────────────────────┐")
  out+=(" │ Component      │ Status   │ Detail                               │")
  out+=(" ├────────────────┼──────────┼──────────────────────────────────────┤")
  local admin pgp nodes detail=""
  admin=$(check_http "http://$HOST:$PROXY_ADMIN_PORT")
  [ "$admin" = "$YES" ] || FAILS=$((FAILS + 1))
  if [ "$admin" = "$YES" ] && command -v jq >/dev/null &&
     nodes=$(curl -K <(printf 'user = "%s:%s"\n' "$HELIOSDB_USER" "$HELIOSDB_PASSWORD") -fsS --max-time 3 "http://$HOST:$PROXY_ADMIN_PORT/nodes" 2>/dev/null); then
    detail=$(jq -r '"writes -> " + ([.[] | select(.role == "primary" and .healthy) | .name][0] // "none") +
      ", " + ([.[] | select(.healthy)] | length | tostring) + "/" + (length | tostring) + " healthy"' <<<"$nodes" 2>/dev/null)
  fi
  out+=("$(printf ' │ %-14s │    %b     │ %-36s │' "HeliosProxy" "$admin" "${detail:-admin :$PROXY_ADMIN_PORT}")")
  pgp=$(check_pg "$PROXY_PORT")
  [ "$pgp" = "$YES" ] || FAILS=$((FAILS + 1))
  out+=("$(printf ' │ %-14s │    %b     │ %-36s │' "Proxy PG" "$pgp" "SELECT 1 via :$PROXY_PORT")")
  out+=(" └────────────────┴──────────┴──────────────────────────────────────┘")
  out+=("")
  if [ $ONCE -eq 0 ]; then out+=(" ${BLUE}Press Ctrl+C to exit${NC}"); fi
  # Draw the frame at once, after all checks, so the screen does not flicker.
  [ $ONCE -eq 0 ] && [ -t 1 ] && clear
  printf '%b\n' "${out[@]}"
}

if [ $ONCE -eq 1 ]; then
  frame
  [ $FAILS -eq 0 ]
  exit
fi
trap 'echo; exit 0' INT TERM
while :; do
  frame
  sleep "$INTERVAL"
done
