# Shared helpers for the tutorial's scenario scripts (sourced, not run).
#
# Nodes are stopped and started with the tutorial's commands:
#   docker compose -f docker-compose.ha-cluster.yml stop primary
# using `docker compose` when available, else `docker-compose`.
# Environment:
#   COMPOSE_FILE     compose file (default: docker-compose.ha-cluster.yml next
#                    to these scripts)
#   COMPOSE_PROJECT  compose project name (default: compose's own)
#   CLUSTER_CTL      a command run as `$CLUSTER_CTL stop|start|restart SERVICE...`
#                    instead of compose, for a cluster that is not in Docker
#   PROXY_HOST (localhost), PROXY_PORT (15400), PRIMARY_PORT (15432),
#   STANDBY_SYNC_PORT (15442), STANDBY_ASYNC_PORT (15462)
#   PGUSER/PGPASSWORD/PGDATABASE (helios/helios/heliosdb)

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
COMPOSE_FILE=${COMPOSE_FILE:-$LIB_DIR/docker-compose.ha-cluster.yml}
PROXY_HOST=${PROXY_HOST:-localhost}
PROXY_PORT=${PROXY_PORT:-15400}
PRIMARY_PORT=${PRIMARY_PORT:-15432}
STANDBY_SYNC_PORT=${STANDBY_SYNC_PORT:-15442}
STANDBY_ASYNC_PORT=${STANDBY_ASYNC_PORT:-15462}
export PGUSER=${PGUSER:-helios} PGPASSWORD=${PGPASSWORD:-helios} PGDATABASE=${PGDATABASE:-heliosdb}
# psql's connect_timeout covers the proxy's session start, which opens a
# backend: 30 s (the write timeout) like an application would allow.
export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-30}

# compose_cmd: sets COMPOSE to `docker compose` (v2) or `docker-compose`.
compose_cmd() {
  if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null; then
    COMPOSE=(docker-compose)
  else
    echo "neither 'docker compose' nor 'docker-compose' is installed" >&2
    return 2
  fi
}

# cluster ACTION SERVICE...: stop, start or restart services.
cluster() {
  if [ -n "${CLUSTER_CTL:-}" ]; then
    $CLUSTER_CTL "$@"
    return
  fi
  compose_cmd || { echo "(or set CLUSTER_CTL)" >&2; return 2; }
  local cmd=("${COMPOSE[@]}")
  if [ -n "${COMPOSE_PROJECT:-}" ]; then
    cmd+=(-p "$COMPOSE_PROJECT")
  fi
  "${cmd[@]}" -f "$COMPOSE_FILE" "$@"
}

now() { date +%H:%M:%S; }

# summary_ok LOG: true when a pg_workload.sh log reports 100% success.
summary_ok() {
  grep -q '^Success rate: 100%' "$1" && grep -q '^Failed: 0$' "$1"
}
