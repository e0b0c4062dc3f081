#!/bin/bash
# Failover testing script with workload (the HA tutorial's Part 8): runs
# pg_workload.sh through the proxy, stops the primary for PRIMARY_DOWNTIME
# seconds, starts it again, and reports. Exit status: pg_workload.sh's (0
# only when every operation succeeded).
#   WORKLOAD_DURATION (90)  PRIMARY_DOWNTIME (40)  NORMAL_SECS (20: before the failure)
#   LOG (/tmp/failover_test.log)  and lib.sh's settings (compose file, ports)
cd "$(dirname "$0")"
. ./lib.sh

WORKLOAD_DURATION=${WORKLOAD_DURATION:-90}
PRIMARY_DOWNTIME=${PRIMARY_DOWNTIME:-40}
NORMAL_SECS=${NORMAL_SECS:-20}
LOG=${LOG:-/tmp/failover_test.log}

echo "╔════════════════════════════════════════════════════════════════╗"
echo "║              HeliosDB Nano Failover Test                       ║"
echo "╚════════════════════════════════════════════════════════════════╝"
echo ""
echo "Test Parameters:"
echo "  Workload duration: ${WORKLOAD_DURATION}s"
echo "  Primary downtime: ${PRIMARY_DOWNTIME}s"
echo "  Write timeout: 30s"
echo ""

# Step 1: Start workload
echo "[$(now)] Starting workload..."
./pg_workload.sh --duration "$WORKLOAD_DURATION" --interval 1 --host "$PROXY_HOST" --port "$PROXY_PORT" > "$LOG" 2>&1 &
WORKLOAD_PID=$!

# Step 2: Let it run normally
echo "[$(now)] Running normal operations for ${NORMAL_SECS}s..."
sleep "$NORMAL_SECS"

# Step 3: Stop primary (simulate failure)
echo "[$(now)] SIMULATING PRIMARY FAILURE..."
cluster stop primary
echo "[$(now)] Primary stopped"

# Step 4: Wait during outage
echo "[$(now)] Waiting ${PRIMARY_DOWNTIME}s (primary down)..."
sleep "$PRIMARY_DOWNTIME"

# Step 5: Restart primary (recovery)
echo "[$(now)] RECOVERING PRIMARY..."
cluster start primary
echo "[$(now)] Primary restarted"

# Step 6: Wait for workload to complete
echo "[$(now)] Waiting for workload to complete..."
WORKLOAD_RC=0
wait $WORKLOAD_PID || WORKLOAD_RC=$?

# Step 7: Analyze results
echo ""
echo "╔════════════════════════════════════════════════════════════════╗"
echo "║                      TEST RESULTS                              ║"
echo "╚════════════════════════════════════════════════════════════════╝"
echo ""
tail -10 "$LOG"

echo ""
echo "Detailed Analysis:"
echo "─────────────────────────────────────────────────────────────────"
SLOW_OPS=$(grep -cE '\[[0-9]{4,}ms\]' "$LOG")
TOTAL_OPS=$(grep -c 'SELECT=\[ok\]' "$LOG")
echo "Total operations: $TOTAL_OPS"
echo "Operations with write timeout: $SLOW_OPS"
echo ""
echo "Longest operation (write timeout):"
grep -E '\[[0-9]{4,}ms\]' "$LOG" | tail -1
echo ""
echo "Full log: $LOG"
if [ "$WORKLOAD_RC" -ne 0 ] || ! summary_ok "$LOG"; then
  echo "FAILED: not every operation succeeded (pg_workload.sh status $WORKLOAD_RC)" >&2
  exit 1
fi
