#!/bin/bash
# Cascading failure test (the HA tutorial's Part 10, Scenario 1): the
# standbys, then the primary, fail one after the other (a total outage),
# then recover in reverse order, under pg_workload.sh through the proxy.
# STEP (15: seconds between failures), OUTAGE (20), DURATION (120),
# LOG (/tmp/cascade_test.log). Exit status: the workload's (0 = every
# operation succeeded; the tutorial expects the outage to surface as write
# timeouts when it outlasts write_timeout_secs).
cd "$(dirname "$0")"
. ./lib.sh
STEP=${STEP:-15}
OUTAGE=${OUTAGE:-20}
LOG=${LOG:-/tmp/cascade_test.log}

echo "Starting cascading failure test..."
# Start workload
./pg_workload.sh --duration "${DURATION:-120}" --interval 1 --host "$PROXY_HOST" --port "$PROXY_PORT" > "$LOG" 2>&1 &
WORKLOAD_PID=$!

sleep "$STEP"
echo "[$(now)] Stopping standby-async..."
cluster stop standby-async
sleep "$STEP"
echo "[$(now)] Stopping standby-sync..."
cluster stop standby-sync
sleep "$STEP"
echo "[$(now)] Stopping primary (total outage)..."
cluster stop primary
sleep "$OUTAGE"
echo "[$(now)] Recovering primary..."
cluster start primary
sleep 10
echo "[$(now)] Recovering standby-sync..."
cluster start standby-sync
sleep 10
echo "[$(now)] Recovering standby-async..."
cluster start standby-async

RC=0
wait $WORKLOAD_PID || RC=$?
echo ""
tail -20 "$LOG"
exit $RC
