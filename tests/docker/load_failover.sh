#!/bin/bash
# High-load failover test (the HA tutorial's Part 10, Scenario 3):
# CONCURRENCY pg_workload.sh runs (each on its own row) through the proxy
# while the primary is stopped for DOWN seconds. Exit status 0 only when
# every workload reports 100% success.
#   CONCURRENCY (5)  DURATION (60)  BEFORE (20)  DOWN (35)  LOGDIR (/tmp)
cd "$(dirname "$0")"
. ./lib.sh
CONCURRENCY=${CONCURRENCY:-5}
LOGDIR=${LOGDIR:-/tmp}

echo "Starting $CONCURRENCY concurrent workloads..."
# Start multiple concurrent workloads
pids=()
for i in $(seq 1 "$CONCURRENCY"); do
  ./pg_workload.sh --duration "${DURATION:-60}" --interval 0.5 --row "$i" --host "$PROXY_HOST" --port "$PROXY_PORT" > "$LOGDIR/load_test_$i.log" 2>&1 &
  pids+=($!)
  echo "Started workload $i (PID: $!)"
done

sleep "${BEFORE:-20}"
echo "Simulating failover..."
cluster stop primary
sleep "${DOWN:-35}"
cluster start primary

# Wait for all workloads
RC=0
for p in "${pids[@]}"; do
  wait "$p" || RC=1
done

echo ""
echo "Results:"
for i in $(seq 1 "$CONCURRENCY"); do
  echo "Workload $i:"
  tail -5 "$LOGDIR/load_test_$i.log" | grep -E "(Success|Failed)"
done
exit $RC
