#!/usr/bin/env bash
# Controlled switchover (the HA tutorial's Part 7 switchover.sh), doing the
# real work: moves the primary role from the node at OLD_PG_PORT to the
# standby at NEW_PG_PORT. Prefers heliosdb-proxy's POST /switchover (the
# proxy holds writes, so clients see no errors); falls back to
# `heliosdb-nano switchover` when the proxy's admin API does not answer.
# Each step prints ✓ only after it was checked; exit status 0 only when
# every step succeeded.
set -uo pipefail

usage() {
  cat <<TXT
Usage: $(basename "$0") [OLD_PG_PORT [NEW_PG_PORT]]
  OLD_PG_PORT  PG port of the current primary (default \$PRIMARY_PORT)
  NEW_PG_PORT  PG port of the standby to promote (default \$STANDBY_SYNC_PORT)

Ports come from the environment (defaults: the Docker cluster; the local
cluster of scripts/local-cluster.sh in brackets):
  HOST=localhost
  PROXY_ADMIN_PORT=19090 [9090]
  PRIMARY_PORT=15432 [5432]        PRIMARY_HTTP_PORT=18080 [8080]
  STANDBY_SYNC_PORT=15442 [5442]   STANDBY_SYNC_HTTP_PORT=18081 [8081]
  STANDBY_ASYNC_PORT=15462 [5452]  STANDBY_ASYNC_HTTP_PORT=18084 [8082]
Other settings:
  SWITCHOVER_VIA=auto|proxy|cli  (auto: proxy when its admin API answers, else CLI)
  HELIOSDB_BIN   heliosdb-nano binary for the CLI path (default: bin/heliosdb-nano
                 of this repository, else heliosdb-nano on PATH)
  SYNC_TIMEOUT=30  seconds to wait for replication / role changes
Needs psql, curl and jq.
TXT
}

case ${1:-} in -h|--help) usage; exit 0 ;; esac
if [ $# -gt 2 ]; then usage >&2; exit 2; fi

HOST=${HOST:-localhost}
PROXY_ADMIN_PORT=${PROXY_ADMIN_PORT:-19090}
PRIMARY_PORT=${PRIMARY_PORT:-15432}
PRIMARY_HTTP_PORT=${PRIMARY_HTTP_PORT:-18080}
STANDBY_SYNC_PORT=${STANDBY_SYNC_PORT:-15442}
STANDBY_SYNC_HTTP_PORT=${STANDBY_SYNC_HTTP_PORT:-18081}
STANDBY_ASYNC_PORT=${STANDBY_ASYNC_PORT:-15462}
STANDBY_ASYNC_HTTP_PORT=${STANDBY_ASYNC_HTTP_PORT:-18084}
SWITCHOVER_VIA=${SWITCHOVER_VIA:-auto}
SYNC_TIMEOUT=${SYNC_TIMEOUT:-30}
export PGUSER=${PGUSER:-helios} PGPASSWORD=${PGPASSWORD:-helios} PGDATABASE=${PGDATABASE:-heliosdb}
export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-5}
# The nodes' and the proxy's HTTP APIs need the database's credentials
# (heliosdb-nano switchover reads the same variables).
export HELIOSDB_USER=${HELIOSDB_USER:-$PGUSER} HELIOSDB_PASSWORD=${HELIOSDB_PASSWORD:-$PGPASSWORD}

OLD_PORT=${1:-$PRIMARY_PORT}
NEW_PORT=${2:-$STANDBY_SYNC_PORT}

for tool in psql curl jq; do
  command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }
done
case $SWITCHOVER_VIA in auto|proxy|cli) ;; *) echo "SWITCHOVER_VIA must be auto, proxy or cli" >&2; exit 2 ;; esac
if [ "$OLD_PORT" = "$NEW_PORT" ]; then echo "old and new port are the same" >&2; exit 2; fi

ALL_PG=("$PRIMARY_PORT" "$STANDBY_SYNC_PORT" "$STANDBY_ASYNC_PORT")
ALL_HTTP=("$PRIMARY_HTTP_PORT" "$STANDBY_SYNC_HTTP_PORT" "$STANDBY_ASYNC_HTTP_PORT")
http_port_of() { # pg_port -> http port of the same node
  local i
  for i in 0 1 2; do
    if [ "${ALL_PG[$i]}" = "$1" ]; then echo "${ALL_HTTP[$i]}"; return 0; fi
  done
  return 1
}

ok() { echo "      $* ✓"; }
fail() { echo "      $* ✗" >&2; echo "" >&2; echo "=== Switchover FAILED ===" >&2; exit 1; }

# curl helpers: body on stdout; non-zero status on a transport error or a
# non-2xx answer.
# The credentials go to curl through a config file on a pipe, not the
# command line (visible in ps).
curl_auth() { curl -K <(printf 'user = "%s:%s"\n' "$HELIOSDB_USER" "$HELIOSDB_PASSWORD") "$@"; }
http_get() { curl_auth -fsS --max-time 5 "$1"; }
node_status() { http_get "http://$HOST:$1/status"; }
pg_ping() { # port -> 0 when SELECT 1 returns 1
  local out
  out=$(psql -X -h "$HOST" -p "$1" -tA -v ON_ERROR_STOP=1 -c "SELECT 1" 2>&1) || return 1
  [ "$out" = "1" ]
}
lsn_num() { # "HI/LO" (hex) -> integer
  local hi=${1%/*} lo=${1#*/}
  [[ $hi =~ ^[0-9A-Fa-f]+$ && $lo =~ ^[0-9A-Fa-f]+$ ]] || return 1
  echo $(( (16#$hi << 32) + 16#$lo ))
}

OLD_HTTP=$(http_port_of "$OLD_PORT") || { echo "PG port $OLD_PORT is none of PRIMARY_PORT/STANDBY_SYNC_PORT/STANDBY_ASYNC_PORT (${ALL_PG[*]})" >&2; exit 2; }
NEW_HTTP=$(http_port_of "$NEW_PORT") || { echo "PG port $NEW_PORT is none of PRIMARY_PORT/STANDBY_SYNC_PORT/STANDBY_ASYNC_PORT (${ALL_PG[*]})" >&2; exit 2; }
OTHER_HTTP=()
for i in 0 1 2; do
  if [ "${ALL_PG[$i]}" != "$OLD_PORT" ] && [ "${ALL_PG[$i]}" != "$NEW_PORT" ]; then OTHER_HTTP+=("${ALL_HTTP[$i]}"); fi
done

echo "=== HeliosDB Nano Switchover ==="
echo "Old Primary: $HOST:$OLD_PORT (HTTP $OLD_HTTP)"
echo "New Primary: $HOST:$NEW_PORT (HTTP $NEW_HTTP)"
echo ""

# Step 1: both nodes answer SQL and HTTP, with the expected roles.
echo "[1/5] Verifying node health..."
pg_ping "$OLD_PORT" || fail "old primary $HOST:$OLD_PORT does not answer SELECT 1"
pg_ping "$NEW_PORT" || fail "new primary $HOST:$NEW_PORT does not answer SELECT 1"
old_status=$(node_status "$OLD_HTTP") || fail "old primary HTTP API $HOST:$OLD_HTTP/status unreachable"
new_status=$(node_status "$NEW_HTTP") || fail "new primary HTTP API $HOST:$NEW_HTTP/status unreachable"
old_role=$(jq -r .role <<<"$old_status")
new_role=$(jq -r .role <<<"$new_status")
OLD_ID=$(jq -r .node_id <<<"$old_status")
NEW_ID=$(jq -r .node_id <<<"$new_status")
OLD_TERM=$(jq -r .term <<<"$old_status")
[ "$old_role" = primary ] || fail "$OLD_ID ($HOST:$OLD_PORT) is $old_role, not primary"
[ "$new_role" = standby ] || fail "$NEW_ID ($HOST:$NEW_PORT) is $new_role, not standby"
ok "Both nodes healthy ($OLD_ID: primary, term $OLD_TERM; $NEW_ID: standby)"

# Step 2: choose the method; check the target streams from the old primary.
echo "[2/5] Preparing old primary for demotion..."
VIA=cli
if [ "$SWITCHOVER_VIA" != cli ] && http_get "http://$HOST:$PROXY_ADMIN_PORT/health" >/dev/null 2>&1; then
  VIA=proxy
elif [ "$SWITCHOVER_VIA" = proxy ]; then
  fail "proxy admin API $HOST:$PROXY_ADMIN_PORT does not answer (SWITCHOVER_VIA=proxy)"
fi
if [ $VIA = proxy ]; then
  nodes=$(http_get "http://$HOST:$PROXY_ADMIN_PORT/nodes") || fail "GET /nodes on the proxy failed"
  # Node name by PG port (local cluster: addresses are host:port); else by
  # the node_id (Docker: addresses are service:5432 inside the network).
  TARGET=$(jq -r --arg p ":$NEW_PORT" '[.[] | select(.address | endswith($p)) | .name][0] // empty' <<<"$nodes")
  if [ -z "$TARGET" ]; then
    TARGET=$(jq -r --arg n "$NEW_ID" '[.[] | select(.name == $n) | .name][0] // empty' <<<"$nodes")
  fi
  [ -n "$TARGET" ] || fail "the proxy has no node for $HOST:$NEW_PORT ($NEW_ID)"
  healthy=$(jq -r --arg n "$TARGET" '.[] | select(.name == $n) | .healthy' <<<"$nodes")
  [ "$healthy" = true ] || fail "the proxy does not see $TARGET as healthy"
else
  BIN=${HELIOSDB_BIN:-}
  if [ -z "$BIN" ]; then
    repo_bin="$(cd "$(dirname "$0")/../.." && pwd)/bin/heliosdb-nano"
    if [ -x "$repo_bin" ]; then BIN=$repo_bin; else BIN=$(command -v heliosdb-nano || true); fi
  fi
  [ -n "$BIN" ] && [ -x "$BIN" ] || fail "no proxy admin API and no heliosdb-nano binary (set HELIOSDB_BIN)"
fi
state=$(jq -r --arg n "$NEW_ID" '[.standbys[]? | select(.node_id == $n) | .state][0] // "not attached"' <<<"$old_status")
[ "$state" = streaming ] || fail "$NEW_ID is $state on $OLD_ID (must be streaming)"
if [ $VIA = proxy ]; then
  ok "$NEW_ID streams from $OLD_ID; proxy ($HOST:$PROXY_ADMIN_PORT) will hold writes and drain $OLD_ID (target \"$TARGET\")"
else
  ok "$NEW_ID streams from $OLD_ID; CLI path: $(basename "$BIN") switchover will fence and drain $OLD_ID"
fi

# Step 3: the target has applied everything the old primary had written
# when this step started (writes may go on until the switch itself).
echo "[3/5] Verifying replication sync..."
old_status=$(node_status "$OLD_HTTP") || fail "old primary HTTP API unreachable"
want_lsn=$(jq -r .current_lsn <<<"$old_status")
want=$(lsn_num "$want_lsn") || fail "cannot parse the old primary's LSN '$want_lsn'"
deadline=$(( $(date +%s) + SYNC_TIMEOUT ))
while :; do
  new_status=$(node_status "$NEW_HTTP") || fail "new primary HTTP API unreachable"
  have_lsn=$(jq -r .applied_lsn <<<"$new_status")
  have=$(lsn_num "$have_lsn") || fail "cannot parse $NEW_ID's applied LSN '$have_lsn'"
  [ "$have" -ge "$want" ] && break
  [ "$(date +%s)" -ge $deadline ] && fail "$NEW_ID applied $have_lsn, $OLD_ID is at $want_lsn after ${SYNC_TIMEOUT}s"
  sleep 0.2
done
ok "Replication synchronized ($NEW_ID applied $have_lsn, $OLD_ID at $want_lsn)"

# Step 4: the switch itself (demote, catch up, promote, re-point).
echo "[4/5] Promoting standby to primary..."
if [ $VIA = proxy ]; then
  body=$(curl_auth -sS --max-time $((SYNC_TIMEOUT + 60)) -w '\n%{http_code}' -X POST \
    -H 'Content-Type: application/json' -d "{\"target\":\"$TARGET\"}" \
    "http://$HOST:$PROXY_ADMIN_PORT/switchover" 2>&1)
  rc=$?
  code=${body##*$'\n'}
  body=${body%$'\n'*}
  body=${body//$'\n'/ }
  [ $rc -eq 0 ] || fail "POST /switchover failed: $body"
  [ "$code" = 200 ] && [ "$(jq -r '.status // empty' <<<"$body" 2>/dev/null)" = ok ] ||
    fail "POST /switchover answered HTTP $code: $body"
  detail="via proxy, write pause $(jq -r '.write_pause_ms' <<<"$body")ms"
  jq -r '.warnings[]? | "      warning: " + .' <<<"$body"
else
  standby_args=()
  for h in "${OTHER_HTTP[@]+"${OTHER_HTTP[@]}"}"; do
    if http_get "http://$HOST:$h/health" >/dev/null 2>&1; then standby_args+=(--standby "http://$HOST:$h"); fi
  done
  out=$("$BIN" switchover --from "http://$HOST:$OLD_HTTP" --to "http://$HOST:$NEW_HTTP" \
    "${standby_args[@]+"${standby_args[@]}"}" --timeout "${SYNC_TIMEOUT}s" 2>&1)
  rc=$?
  sed 's/^/      | /' <<<"$out"
  [ $rc -eq 0 ] || fail "heliosdb-nano switchover exited with status $rc"
  detail="via heliosdb-nano switchover"
fi
deadline=$(( $(date +%s) + SYNC_TIMEOUT ))
while :; do
  new_status=$(node_status "$NEW_HTTP") && [ "$(jq -r .role <<<"$new_status")" = primary ] && break
  [ "$(date +%s)" -ge $deadline ] && fail "$NEW_ID did not report role primary"
  sleep 0.2
done
NEW_TERM=$(jq -r .term <<<"$new_status")
[ "$NEW_TERM" -gt "$OLD_TERM" ] 2>/dev/null || fail "$NEW_ID is primary but its term $NEW_TERM is not above $OLD_TERM"
ok "New primary promoted ($NEW_ID, term $NEW_TERM, $detail)"

# Step 5: the old primary is a standby streaming from the new one.
echo "[5/5] Demoting old primary to standby..."
deadline=$(( $(date +%s) + SYNC_TIMEOUT ))
while :; do
  old_status=$(node_status "$OLD_HTTP")
  role=$(jq -r .role <<<"${old_status:-{\}}" 2>/dev/null)
  new_status=$(node_status "$NEW_HTTP")
  state=$(jq -r --arg n "$OLD_ID" '[.standbys[]? | select(.node_id == $n) | .state][0] // "not attached"' <<<"${new_status:-{\}}" 2>/dev/null)
  [ "$role" = standby ] && [ "$state" = streaming ] && break
  [ "$(date +%s)" -ge $deadline ] && fail "$OLD_ID is '$role', and '$state' on $NEW_ID (want standby, streaming)"
  sleep 0.2
done
pg_ping "$OLD_PORT" || fail "$OLD_ID does not answer SELECT 1 after its demotion"
ok "Old primary demoted ($OLD_ID: standby, streaming from $NEW_ID)"

echo ""
echo "=== Switchover Complete ==="
echo "New Primary: $HOST:$NEW_PORT ($NEW_ID)"
echo "New Standby: $HOST:$OLD_PORT ($OLD_ID)"
