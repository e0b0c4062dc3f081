#!/bin/bash
# Application Continuity Test (the HA tutorial's Part 9)
# Simulates a real application with mixed read/write workload through the
# proxy: 70% reads, 30% writes of app_orders. Every acknowledged order id is
# recorded; at the end (VERIFY=1, the default) each node must hold every one
# of them. Exit status 0 only with 100% success and nothing missing.
#   TEST_DURATION (180)  SLEEP (0.5 between operations)
#   ACKED_FILE (/tmp/app_continuity_acked.txt)  VERIFY (1)  VERIFY_TIMEOUT (60 s)
#   and lib.sh's settings (ports)
cd "$(dirname "$0")"
. ./lib.sh

TEST_DURATION=${TEST_DURATION:-180} # 3 minutes
SLEEP=${SLEEP:-0.5}
ACKED_FILE=${ACKED_FILE:-/tmp/app_continuity_acked.txt}
VERIFY=${VERIFY:-1}
VERIFY_TIMEOUT=${VERIFY_TIMEOUT:-60}
ITERATIONS=0
SUCCESS=0
FAILED=0
WRITES=0
READS=0
: > "$ACKED_FILE"

q() { psql -X -h "$PROXY_HOST" -p "$PROXY_PORT" -t "$@"; }

# Setup
echo "Setting up test environment..."
q -v ON_ERROR_STOP=1 <<SQL || { echo "setup failed" >&2; exit 2; }
DROP TABLE IF EXISTS app_orders;
CREATE TABLE app_orders (
    id INTEGER PRIMARY KEY,
    customer TEXT,
    amount REAL,
    status TEXT DEFAULT 'pending',
    created_at TEXT DEFAULT CURRENT_TIMESTAMP
);
SQL

echo "Starting application continuity test (${TEST_DURATION}s)..."
echo "Press Ctrl+C to stop"
echo ""

START_TIME=$(date +%s)
while true; do
    CURRENT_TIME=$(date +%s)
    ELAPSED=$((CURRENT_TIME - START_TIME))
    if [ $ELAPSED -ge "$TEST_DURATION" ]; then
        break
    fi
    ITERATIONS=$((ITERATIONS + 1))

    # Simulate mixed workload (70% reads, 30% writes)
    RANDOM_OP=$((RANDOM % 10))
    if [ $RANDOM_OP -lt 7 ]; then
        # READ operation
        RESULT=$(q -c "SELECT COUNT(*) FROM app_orders WHERE status = 'completed'" 2>&1)
        if [[ "$RESULT" =~ ^[[:space:]]*[0-9]+[[:space:]]*$ ]]; then
            SUCCESS=$((SUCCESS + 1))
            READS=$((READS + 1))
            echo -ne "\r[$(now)] Iter $ITERATIONS: READ ✓ (${READS} reads, ${WRITES} writes, ${FAILED} failed)"
        else
            FAILED=$((FAILED + 1))
            echo -e "\n[$(now)] Iter $ITERATIONS: READ ✗ - $RESULT"
        fi
    else
        # WRITE operation
        ORDER_ID=$ITERATIONS
        CUSTOMER="customer_$((RANDOM % 100))"
        AMOUNT="$((RANDOM % 1000)).$((RANDOM % 100))"
        RESULT=$(q -c "INSERT INTO app_orders (id, customer, amount) VALUES ($ORDER_ID, '$CUSTOMER', $AMOUNT) ON CONFLICT (id) DO UPDATE SET amount = $AMOUNT" 2>&1)
        if [[ "$RESULT" == *"INSERT"* ]] || [[ "$RESULT" == *"UPDATE"* ]] || [[ -z "$(echo $RESULT | tr -d '[:space:]')" ]]; then
            SUCCESS=$((SUCCESS + 1))
            WRITES=$((WRITES + 1))
            echo "$ORDER_ID" >> "$ACKED_FILE"
            echo -ne "\r[$(now)] Iter $ITERATIONS: WRITE ✓ (${READS} reads, ${WRITES} writes, ${FAILED} failed)"
        else
            FAILED=$((FAILED + 1))
            echo -e "\n[$(now)] Iter $ITERATIONS: WRITE ✗ - $RESULT"
        fi
    fi
    # Small delay between operations
    sleep "$SLEEP"
done

echo ""
echo ""
echo "╔════════════════════════════════════════════════════════════════╗"
echo "║          Application Continuity Test Results                   ║"
echo "╚════════════════════════════════════════════════════════════════╝"
echo ""
echo "Duration: ${TEST_DURATION}s"
echo "Total ops: $ITERATIONS"
echo "Successful: $SUCCESS"
echo "Failed: $FAILED"
echo "Read ops: $READS"
echo "Write ops: $WRITES"
echo "Success rate: $(awk -v s=$SUCCESS -v t=$ITERATIONS 'BEGIN { if (t == 0) print "0.00"; else printf "%.2f", s * 100 / t }')%"

RC=0
[ "$FAILED" -eq 0 ] && [ "$ITERATIONS" -gt 0 ] || RC=1
if [ "$VERIFY" = 1 ] && [ "$WRITES" -gt 0 ]; then
    # Every acknowledged order on every node (after replication catches up).
    echo ""
    echo "Acknowledged orders present on every node:"
    for port in "$PRIMARY_PORT" "$STANDBY_SYNC_PORT" "$STANDBY_ASYNC_PORT"; do
        deadline=$((SECONDS + VERIFY_TIMEOUT))
        while :; do
            missing=$(psql -X -h "$PROXY_HOST" -p "$port" -tA -c "SELECT id FROM app_orders" 2>/dev/null |
                sort | comm -13 - <(sort -u "$ACKED_FILE") | wc -l)
            [ "$missing" -eq 0 ] && break
            [ $SECONDS -ge $deadline ] && break
            sleep 1
        done
        echo "  port $port: $(sort -u "$ACKED_FILE" | wc -l) acknowledged, $missing missing"
        [ "$missing" -eq 0 ] || RC=1
    done
fi
exit $RC
