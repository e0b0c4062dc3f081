#!/usr/bin/env bash
# make profile: CPU and allocation profiles of heliosdb-nano under one
# pgbench workload. WORKLOAD is a pgbench builtin (tpcb-like,
# simple-update, select-only); CLIENTS, MODE (-M), SECONDS, SCALE.
# Writes profiles/cpu.pprof and profiles/allocs.pprof; read them with
# `go tool pprof -top bin/heliosdb-nano profiles/cpu.pprof`.
set -euo pipefail
cd "$(dirname "$0")/.."
WORKLOAD=${WORKLOAD:-tpcb-like}
CLIENTS=${CLIENTS:-8}
MODE=${MODE:-prepared}
SECONDS_=${SECONDS_:-15}
SCALE=${SCALE:-5}
PORT=${PORT:-57301} NATIVE=${NATIVE:-57302} HTTP=${HTTP:-57303}
make -s build
work=$(mktemp -d /tmp/heliosdb-profile.XXXX)
bin/heliosdb-nano start --data-dir "$work/data" --listen 127.0.0.1 --pg-port "$PORT" --native-port "$NATIVE" \
  --http-port "$HTTP" --node-id profile --log-level warn >"$work/node.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 300); do pg_isready -q -h 127.0.0.1 -p "$PORT" && break; sleep 0.1; done
export PGPASSWORD=helios
pgbench -i -q -s "$SCALE" -h 127.0.0.1 -p "$PORT" -U helios heliosdb >/dev/null
mkdir -p profiles
pgbench -n -b "$WORKLOAD" -M "$MODE" -c "$CLIENTS" -j 2 -T $((SECONDS_ + 2)) -h 127.0.0.1 -p "$PORT" -U helios heliosdb >"$work/pgbench.out" 2>&1 &
bench=$!
sleep 1
curl -sf -u helios:helios -o profiles/cpu.pprof "http://127.0.0.1:$HTTP/debug/pprof/profile?seconds=$SECONDS_"
curl -sf -u helios:helios -o profiles/allocs.pprof "http://127.0.0.1:$HTTP/debug/pprof/allocs"
wait $bench
grep -E '^(tps|number of failed)' "$work/pgbench.out"
go tool pprof -top -nodecount=25 bin/heliosdb-nano profiles/cpu.pprof 2>/dev/null | head -35
echo "profiles/cpu.pprof, profiles/allocs.pprof written"
