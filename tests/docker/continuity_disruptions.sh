#!/bin/bash
# The HA tutorial's Part 9 "Terminal 2": three disruptions while
# app_continuity_test.sh runs. Durations (seconds) are overridable for
# shortened runs: FIRST_DELAY (30), PRIMARY_DOWN (35), GAP (30),
# SYNC_DOWN (20), STANDBYS_DOWN (15); lib.sh's settings pick the cluster.
cd "$(dirname "$0")"
. ./lib.sh
set -e

sleep "${FIRST_DELAY:-30}"
echo "=== First disruption: Stop primary ==="
cluster stop primary
sleep "${PRIMARY_DOWN:-35}"
cluster start primary

sleep "${GAP:-30}"
echo "=== Second disruption: Stop standby-sync ==="
cluster stop standby-sync
sleep "${SYNC_DOWN:-20}"
cluster start standby-sync

sleep "${GAP:-30}"
echo "=== Third disruption: Network partition (stop all standbys) ==="
cluster stop standby-sync standby-async
sleep "${STANDBYS_DOWN:-15}"
cluster start standby-sync standby-async
