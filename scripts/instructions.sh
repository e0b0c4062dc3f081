#!/usr/bin/env bash
# Instructions per transaction of heliosdb-nano under a pgbench workload,
# counted by valgrind's callgrind: the same number however loaded the
# machine is, so two builds can be compared without interleaving (their
# difference is the change's cost or gain; repeat runs agree within ~2%).
#
#   scripts/instructions.sh [BIN...]        default bin/heliosdb-nano
#
# For each binary: a fresh data directory loaded by pgbench -i -s SCALE
# (natively), then the node under callgrind, a warm-up of WARMUP
# transactions, and two measured windows of SMALL and LARGE transactions
# (one pgbench connection each, -c 1). Per transaction =
# (instructions in LARGE - instructions in SMALL) / (LARGE - SMALL), so a
# connection's start-up and statement preparation cancel out. The storage
# flush and the checkpoint are pushed out of the windows
# (--storage-flush-interval/--checkpoint-interval 1h): under valgrind a run
# lasts ~50x longer, and time-driven work would otherwise be charged to
# fewer transactions than natively. WORKLOAD is a pgbench builtin
# (simple-update, tpcb-like, select-only), MODE -M (prepared, simple).
# PORT (and PORT+1) must be free. Needs valgrind and pgbench.
set -euo pipefail
cd "$(dirname "$0")/.."
WORKLOAD=${WORKLOAD:-simple-update}
MODE=${MODE:-prepared}
SCALE=${SCALE:-1}
WARMUP=${WARMUP:-300}
SMALL=${SMALL:-500}
LARGE=${LARGE:-1500}
PORT=${PORT:-57311}
export PGPASSWORD=helios
for tool in valgrind callgrind_control pgbench pg_isready; do
  command -v "$tool" >/dev/null || { echo "scripts/instructions.sh needs $tool (apt-get install valgrind postgresql-client)" >&2; exit 1; }
done
bins=("$@")
[ ${#bins[@]} -gt 0 ] || { make -s build; bins=(bin/heliosdb-nano); }

pgb() { pgbench -n -b "$WORKLOAD" -M "$MODE" -c 1 -h 127.0.0.1 -p "$PORT" -U helios "$@" heliosdb >/dev/null; }
ready() { for _ in $(seq 1200); do pg_isready -q -h 127.0.0.1 -p "$PORT" && return 0; sleep 0.25; done; return 1; }
summary() { awk '/^summary:/ {print $2}' "$1"; }

for bin in "${bins[@]}"; do
  work=$(mktemp -d /tmp/heliosdb-instructions.XXXX)
  args=(start --data-dir "$work/data" --listen 127.0.0.1 --pg-port "$PORT" --native-port $((PORT + 1))
    --http-port 0 --node-id instr --log-level warn --storage-flush-interval 1h --checkpoint-interval 1h)
  "$bin" "${args[@]}" >>"$work/node.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
  ready
  pgbench -i -q -s "$SCALE" -h 127.0.0.1 -p "$PORT" -U helios heliosdb >/dev/null 2>&1
  kill "$pid"; wait "$pid" || true
  # Asynchronous preemption signals trip callgrind (an assertion in its
  # signal handling); the measure does not depend on them.
  GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
    "$bin" "${args[@]}" >>"$work/node.log" 2>&1 &
  pid=$!
  ready
  pgb -t "$WARMUP"
  for n in "$SMALL" "$LARGE"; do
    callgrind_control -z "$pid" >/dev/null 2>&1
    pgb -t "$n"
    callgrind_control -d "$pid" >/dev/null 2>&1
  done
  kill "$pid"; wait "$pid" || true
  s1=$(summary "$work/cg.out.1") s2=$(summary "$work/cg.out.2")
  echo "$bin $WORKLOAD -M $MODE: $(( (s2 - s1) / (LARGE - SMALL) )) instructions per transaction"
  rm -rf "$work"
  trap - EXIT
done
