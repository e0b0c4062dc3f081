#!/usr/bin/env bash
# End-to-end test of the HA tutorial's Part 1 Docker cluster
# (docker-compose.ha-cluster.yml) on the heliosdb-nano:ha image; `make
# docker-e2e` builds the image and runs this.
#
#   1. brings the cluster up under a project name of its own and waits until
#      its four containers are healthy;
#   2. runs the tutorial's Step 5 psql commands on 15400 (proxy), 15432
#      (primary) and 15442 (sync standby);
#   3. TWR: creates a table and inserts a row through the proxy, and reads the
#      row on the sync standby;
#   4. write timeout: stops the primary container, sends a write through the
#      proxy, starts the primary again DOWN seconds later, and checks that the
#      write waited and then succeeded and that the row reached the standby;
#   5. failover (shortened test_failover.sh): the primary stops for
#      FAILOVER_DOWN seconds (longer than the proxy's failover_timeout_secs,
#      10) under pg_workload.sh through the proxy; every operation must
#      succeed, standby-sync must be promoted, and the old primary, started
#      again, must rejoin as a standby;
#   6. switchover.sh back to the original primary (through the proxy);
#   7. continuity (shortened app_continuity_test.sh with the Part 9
#      disruptions of continuity_disruptions.sh): 100% success and every
#      acknowledged order on all three nodes;
#   8. tears everything down (containers, network, volumes), also on failure,
#      after printing every container's log when a step failed.
#
# Needs a Docker engine, `docker compose` or `docker-compose`, and psql. The
# compose file fixes container names and host ports, so a tutorial cluster
# that is already running must be stopped first (or E2E_REPLACE_EXISTING=1
# removes its containers: CI sets it, since a cluster left running on the
# machine would otherwise fail the run).
#   IMAGE (default heliosdb-nano:ha)   DOWN (default 5, seconds the primary
#   is stopped; under the proxy's failover_timeout_secs = 10, so the write
#   waits for the same primary)
#   HEALTHY_TIMEOUT (default 120 s)   FAILOVER_DOWN (default 20)
#   SKIP_SCENARIOS=1 runs steps 1–4 only
set -euo pipefail
cd "$(dirname "$0")"

IMAGE=${IMAGE:-heliosdb-nano:ha}
DOWN=${DOWN:-5}
FAILOVER_DOWN=${FAILOVER_DOWN:-20}
HEALTHY_TIMEOUT=${HEALTHY_TIMEOUT:-120}
FILE=docker-compose.ha-cluster.yml
PROJECT=heliosdb-e2e-$(date +%s)-$$
SUBNET=$(awk '/subnet:/ {print $NF; exit}' "$FILE")
CONTAINERS=(heliosdb-primary heliosdb-standby-sync heliosdb-standby-async heliosdb-proxy)
export PGPASSWORD=helios PGCONNECT_TIMEOUT=5

log() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
fail() {
  log "FAIL: $*" >&2
  exit 1
}

# shellcheck source=lib.sh
. ./lib.sh
compose_cmd || exit 1
compose() { "${COMPOSE[@]}" -p "$PROJECT" -f "$FILE" "$@"; }

preflight() {
  command -v psql >/dev/null || fail "psql is not installed"
  docker info >/dev/null 2>&1 || fail "no Docker engine (docker info failed)"
  docker image inspect "$IMAGE" >/dev/null 2>&1 || fail "image $IMAGE not found; run 'make docker'"
  local c
  for c in "${CONTAINERS[@]}"; do
    docker container inspect "$c" >/dev/null 2>&1 || continue
    if [ "${E2E_REPLACE_EXISTING:-0}" = 1 ]; then
      log "removing existing container $c (E2E_REPLACE_EXISTING=1)"
      docker rm -f -v "$c" >/dev/null || fail "cannot remove container $c"
    else
      fail "container $c already exists (a tutorial cluster?); remove it first or set E2E_REPLACE_EXISTING=1"
    fi
  done
  # The compose file fixes the network's subnet; a network left behind by
  # another project with the same subnet would make `up` fail.
  local n
  for n in $(docker network ls -q); do
    docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{end}}' "$n" 2>/dev/null | grep -qwF "$SUBNET" || continue
    if [ "${E2E_REPLACE_EXISTING:-0}" = 1 ] && docker network rm "$n" >/dev/null 2>&1; then
      log "removed existing network $n on $SUBNET (E2E_REPLACE_EXISTING=1)"
    else
      fail "network $n already uses $SUBNET (a tutorial cluster?); remove it first or set E2E_REPLACE_EXISTING=1"
    fi
  done
}

# teardown runs on every exit: on failure it first prints the logs.
teardown() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$rc" -ne 0 ]; then
    log "failed (status $rc); container status and logs follow" >&2
    compose ps >&2 || true
    local c
    for c in "${CONTAINERS[@]}"; do
      echo "===== docker logs $c =====" >&2
      docker logs --timestamps "$c" >&2 2>&1 || true
    done
  fi
  log "tearing down project $PROJECT"
  compose down -v --remove-orphans || true
  exit "$rc"
}

# psql_at PORT SQL: one statement, unaligned output without headers.
psql_at() {
  timeout 60 psql -h localhost -p "$1" -U helios -d heliosdb -v ON_ERROR_STOP=1 -tA -c "$2"
}

health_of() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$1" 2>/dev/null || echo missing; }

# wait_healthy NAME...: until every named container reports healthy.
wait_healthy() {
  local deadline=$((SECONDS + HEALTHY_TIMEOUT)) c pending
  while :; do
    pending=()
    for c in "$@"; do
      [ "$(health_of "$c")" = healthy ] || pending+=("$c")
    done
    [ ${#pending[@]} -eq 0 ] && return 0
    [ $SECONDS -ge $deadline ] && fail "not healthy after ${HEALTHY_TIMEOUT}s: ${pending[*]}"
    sleep 1
  done
}

# wait_row PORT SQL WANT: until the query on PORT prints WANT (10 s at most).
wait_row() {
  local got="" _
  for _ in $(seq 50); do
    got=$(psql_at "$1" "$2" 2>/dev/null) || true
    [ "$got" = "$3" ] && return 0
    sleep 0.2
  done
  fail "on port $1, '$2' gave '$got', want '$3'"
}

step_up() {
  log "starting project $PROJECT with ${COMPOSE[*]}"
  local t0=$SECONDS
  compose up -d
  wait_healthy "${CONTAINERS[@]}"
  log "4 containers healthy after $((SECONDS - t0))s"
  compose ps
}

step_connectivity() {
  local port
  for port in 15400 15432 15442; do
    # The tutorial's Part 1 Step 5 command.
    [ "$(psql_at "$port" "SELECT 1")" = 1 ] || fail "SELECT 1 on $port"
    log "SELECT 1 on $port: ok"
  done
}

step_twr() {
  psql_at 15400 "CREATE TABLE twr_test (id INTEGER PRIMARY KEY, data TEXT, created_at TEXT DEFAULT CURRENT_TIMESTAMP)" >/dev/null
  psql_at 15400 "INSERT INTO twr_test (id, data) VALUES (1, 'test data')" >/dev/null
  wait_row 15432 "SELECT data FROM twr_test WHERE id = 1" "test data"
  wait_row 15442 "SELECT data FROM twr_test WHERE id = 1" "test data"
  log "TWR: row inserted through 15400 is on the primary (15432) and the sync standby (15442)"
}

step_write_timeout() {
  log "stopping the primary"
  compose stop primary
  local out rc t0 took
  out=$(mktemp)
  t0=$(date +%s%N)
  psql_at 15400 "INSERT INTO twr_test (id, data) VALUES (2, 'written while the primary was down')" >"$out" 2>&1 &
  local writer=$!
  sleep "$DOWN"
  kill -0 "$writer" 2>/dev/null || {
    cat "$out" >&2
    fail "the write returned while the primary was down; it should have waited"
  }
  log "the write is waiting; starting the primary after ${DOWN}s"
  compose start primary
  rc=0
  wait "$writer" || rc=$?
  took=$((($(date +%s%N) - t0) / 1000000))
  cat "$out"
  rm -f "$out"
  [ "$rc" -eq 0 ] || fail "the write through the proxy failed (psql status $rc)"
  log "write through the proxy succeeded after ${took}ms (primary down ${DOWN}s)"
  wait_healthy heliosdb-primary
  wait_row 15432 "SELECT count(*) FROM twr_test" 2
  wait_row 15442 "SELECT data FROM twr_test WHERE id = 2" "written while the primary was down"
  wait_healthy "${CONTAINERS[@]}"
  log "both rows on the primary and the sync standby; all containers healthy"
}

# role_at PORT: the node's role as it reports it.
role_at() { psql_at "$1" "SELECT role FROM helios_replication_status" 2>/dev/null || true; }

wait_role() { # PORT ROLE
  local _
  for _ in $(seq 120); do
    [ "$(role_at "$1")" = "$2" ] && return 0
    sleep 0.5
  done
  fail "the node on port $1 is $(role_at "$1"), want $2"
}

step_failover() {
  local out=/tmp/e2e-failover-$$.log
  log "failover: primary down ${FAILOVER_DOWN}s under pg_workload.sh (test_failover.sh)"
  if ! COMPOSE_PROJECT=$PROJECT WORKLOAD_DURATION=$((FAILOVER_DOWN + 25)) NORMAL_SECS=5 \
    PRIMARY_DOWNTIME=$FAILOVER_DOWN LOG=$out ./test_failover.sh; then
    fail "test_failover.sh: not every operation succeeded"
  fi
  grep -E '^(Total iterations|Successful|Failed|Success rate|Max latency)' "$out" | sed 's/^/    /'
  rm -f "$out"
  wait_role 15442 primary
  wait_healthy "${CONTAINERS[@]}"
  wait_role 15432 standby
  log "failover: standby-sync promoted, the old primary rejoined as a standby"
}

step_switchover_back() {
  log "switchover back to the original primary (switchover.sh via the proxy)"
  SWITCHOVER_VIA=proxy ./switchover.sh 15442 15432 || fail "switchover.sh failed"
  wait_role 15432 primary
  wait_role 15442 standby
}

step_continuity() {
  local out=/tmp/e2e-continuity-$$.log acked=/tmp/e2e-acked-$$.txt rc=0
  log "continuity: app_continuity_test.sh with the three Part 9 disruptions (shortened)"
  COMPOSE_PROJECT=$PROJECT TEST_DURATION=100 SLEEP=0.3 ACKED_FILE=$acked ./app_continuity_test.sh >"$out" 2>&1 &
  local app=$!
  COMPOSE_PROJECT=$PROJECT FIRST_DELAY=10 PRIMARY_DOWN=$FAILOVER_DOWN GAP=12 SYNC_DOWN=15 STANDBYS_DOWN=12 \
    ./continuity_disruptions.sh || fail "continuity_disruptions.sh failed"
  wait "$app" || rc=$?
  tr '\r' '\n' <"$out" | grep -vE 'READ ✓|WRITE ✓' | grep -v '^$' | sed 's/^/    /'
  rm -f "$out" "$acked"
  [ "$rc" -eq 0 ] || fail "app_continuity_test.sh: failed operations or missing orders"
  wait_healthy "${CONTAINERS[@]}"
  log "continuity: 100% success, every acknowledged order on all three nodes"
}

main() {
  preflight
  trap teardown EXIT
  trap 'exit 130' INT TERM
  local t0=$SECONDS
  step_up
  step_connectivity
  step_twr
  step_write_timeout
  if [ "${SKIP_SCENARIOS:-0}" != 1 ]; then
    step_failover
    step_switchover_back
    step_continuity
  fi
  log "PASS in $((SECONDS - t0))s"
}

main "$@"
