#!/bin/bash
# Rolling restart (the HA tutorial's Part 10, Scenario 2): restart the
# standbys one at a time, then the primary (writes wait meanwhile, up to
# write_timeout_secs). With WORKLOAD=1 a pg_workload.sh runs through the
# proxy for the whole restart and the exit status is its own (0 = no
# operation failed). PAUSE (10 s between restarts), LOG
# (/tmp/rolling_restart.log).
cd "$(dirname "$0")"
. ./lib.sh
PAUSE=${PAUSE:-10}
LOG=${LOG:-/tmp/rolling_restart.log}

if [ "${WORKLOAD:-0}" = 1 ]; then
  ./pg_workload.sh --duration $((3 * PAUSE + 15)) --interval 0.5 --host "$PROXY_HOST" --port "$PROXY_PORT" > "$LOG" 2>&1 &
  WORKLOAD_PID=$!
  sleep 3
fi

echo "Starting rolling restart..."
# Restart standbys first (one at a time)
echo "[$(now)] Restarting standby-async..."
cluster restart standby-async
sleep "$PAUSE"
echo "[$(now)] Restarting standby-sync..."
cluster restart standby-sync
sleep "$PAUSE"
# Restart primary last (writes will use write timeout)
echo "[$(now)] Restarting primary..."
cluster restart primary
sleep "$PAUSE"
echo "[$(now)] Rolling restart complete"

if [ -n "${WORKLOAD_PID:-}" ]; then
  RC=0
  wait $WORKLOAD_PID || RC=$?
  tail -7 "$LOG"
  exit $RC
fi
