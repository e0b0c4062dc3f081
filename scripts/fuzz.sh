#!/usr/bin/env bash
# make fuzz: every fuzz target for FUZZTIME, FUZZ_JOBS targets at a time.
#
#   scripts/fuzz.sh ./pkg:FuzzName ...
#
# FUZZTIME (default 10m) is each target's fuzzing time (go test -fuzztime;
# the clock starts after its instrumented build). FUZZ_JOBS (default 4)
# targets run at once, each with FUZZ_PARALLEL fuzzing workers (go test
# -parallel; default 2; empty = GOMAXPROCS, as go test). FUZZ_JOBS=1
# FUZZ_PARALLEL= is a serial run where every target has every core (21
# targets x 10 min = 3.5 h); the default finishes 21 targets in about
# 6 x FUZZTIME. Every target runs under a 1.5 MB C stack (ulimit -s 1536:
# the parser's pg_query recursion limit must fire before the stack ends).
#
# With one job the output streams; with more, each target's output is
# printed whole when it ends. A summary follows: per target, its time,
# execs and new interesting inputs (from go test's last progress line)
# and PASS/FAIL. A crasher is written by go test to the package's
# testdata/fuzz/<target>/ (fix it and commit it: make test replays it).
# Exit status 1 when any target failed.
set -uo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10m}
FUZZ_JOBS=${FUZZ_JOBS:-4}
FUZZ_PARALLEL=${FUZZ_PARALLEL-2}
GO=${GO:-go}
logs=$(mktemp -d "${TMPDIR:-/tmp}/heliosdb-fuzz.XXXXXX")
export FUZZTIME FUZZ_JOBS FUZZ_PARALLEL GO logs

run_one() {
	local t=$1 pkg=${1%%:*} name=${1##*:} log par=() start rc
	log=$logs/$(printf '%s' "$t" | tr '/:.' '___').log
	[ -n "$FUZZ_PARALLEL" ] && par=(-parallel "$FUZZ_PARALLEL")
	start=$(date +%s)
	if [ "$FUZZ_JOBS" -le 1 ]; then
		echo "== $pkg $name ($FUZZTIME)"
		(ulimit -s 1536 && exec "$GO" test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" "${par[@]}" "$pkg") 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
	else
		(ulimit -s 1536 && exec "$GO" test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" "${par[@]}" "$pkg") >"$log" 2>&1
		rc=$?
		{ echo "== $pkg $name ($FUZZTIME)"; cat "$log"; } | flock "$logs" cat
	fi
	if [ "$rc" = 0 ] && ! grep -q '^fuzz: elapsed: ' "$log"; then
		rc=nofuzz # go test passes when -fuzz matches no target
	fi
	echo "$t $(($(date +%s) - start)) $rc" >"$log.rc"
	[ "$rc" = 0 ]
}
export -f run_one

printf '%s\n' "$@" | xargs -P "$FUZZ_JOBS" -I{} bash -c 'run_one "$1"' _ {}
status=$?

echo
echo "fuzz summary (FUZZTIME=$FUZZTIME, FUZZ_JOBS=$FUZZ_JOBS, FUZZ_PARALLEL=${FUZZ_PARALLEL:-GOMAXPROCS}; logs in $logs):"
printf '%-40s %8s %12s %16s  %s\n' target seconds execs 'new interesting' result
for t in "$@"; do
	log=$logs/$(printf '%s' "$t" | tr '/:.' '___').log
	read -r _ secs rc <"$log.rc" 2>/dev/null || { secs=- rc=missing; }
	last=$(grep -E '^fuzz: elapsed: .*execs: ' "$log" 2>/dev/null | tail -1)
	execs=$(printf '%s' "$last" | sed -nE 's/.*execs: ([0-9]+).*/\1/p')
	newi=$(printf '%s' "$last" | sed -nE 's/.*new interesting: ([0-9]+ \(total: [0-9]+\)).*/\1/p')
	result=PASS
	case $rc in
	0) ;;
	nofuzz) result="FAIL (no fuzz target $t ran)" ;;
	*) result="FAIL (see $log)"
		# Go's fuzzing worker panics "deadlocked!" (its output is discarded)
		# when one input runs 10 s: a slow input, or a starved machine.
		grep -q 'fuzzing process hung or terminated unexpectedly' "$log" &&
			result="FAIL (a worker hung 10 s on one input or died; re-run the input written: see $log)" ;;
	esac
	printf '%-40s %8s %12s %16s  %s\n' "$t" "$secs" "${execs:--}" "${newi:--}" "$result"
done
[ $status -eq 0 ] || exit 1
