package proxy_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliosdb/nano/proxy"
	"github.com/heliosdb/nano/proxy/config"
)

// causalPairs is HELIOSDB_CAUSAL_PAIRS, or 1000 (make faults runs 10000).
func causalPairs(t *testing.T) int {
	if s := os.Getenv("HELIOSDB_CAUSAL_PAIRS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("HELIOSDB_CAUSAL_PAIRS=%q: want a positive number", s)
		}
		return n
	}
	return 1000
}

// pairResult is what one mode's run measured.
type pairResult struct {
	pairs, stale, onStandby int
	reads                   []time.Duration
}

func (r pairResult) String() string {
	slices.Sort(r.reads)
	var sum time.Duration
	for _, d := range r.reads {
		sum += d
	}
	q := func(f float64) time.Duration { return r.reads[int(f*float64(len(r.reads)-1))] }
	return fmt.Sprintf("%d pairs: %d stale (%.1f%%), %.0f%% of reads on standbys, read latency mean %s p50 %s p99 %s",
		r.pairs, r.stale, 100*float64(r.stale)/float64(r.pairs), 100*float64(r.onStandby)/float64(r.pairs),
		(sum / time.Duration(len(r.reads))).Round(time.Microsecond), q(0.5).Round(time.Microsecond), q(0.99).Round(time.Microsecond))
}

// TestCausalReadsAcrossSessions: with standbys under write load, a row
// one session committed through the proxy is read by another session
// right after the commit was acknowledged. read_consistency = "causal"
// must never miss it; eventual and session (the default, read-your-writes
// within a session only) are measured next to it.
func TestCausalReadsAcrossSessions(t *testing.T) {
	c := startCluster(t)
	pairs := causalPairs(t)
	results := map[string]pairResult{}
	for _, mode := range []string{config.ConsistencyEventual, config.ConsistencySession, config.ConsistencyCausal} {
		tp := startProxy(t, c, func(cfg *proxy.Config) {
			cfg.ReadConsistency = mode
			cfg.HealthCheckInterval = time.Second
		})
		r := runPairs(t, tp, mode, pairs)
		results[mode] = r
		t.Logf("read_consistency = %q: %s", mode, r)
		for _, l := range strings.Split(tp.metrics(), "\n") {
			if strings.HasPrefix(l, "heliosdb_proxy_queries_total") && strings.Contains(l, `kind="read"`) {
				t.Log(l)
			}
		}
		tp.stop()
	}
	if r := results[config.ConsistencyCausal]; r.stale > 0 {
		t.Errorf("causal: %d of %d reads missed a commit acknowledged before they began", r.stale, r.pairs)
	}
	if r := results[config.ConsistencyCausal]; r.onStandby == 0 {
		t.Errorf("causal: no read was served by a standby")
	}
}

// runPairs runs pairs write-then-read pairs (6 workers, each with a writer
// and a separate reader session) while 3 sessions write a load table.
func runPairs(t *testing.T, tp *testProxy, mode string, pairs int) pairResult {
	ctx := context.Background()
	table := "pairs_" + mode
	setup := tp.conn()
	mustExec(t, setup, fmt.Sprintf("CREATE TABLE %s (id INTEGER PRIMARY KEY, v TEXT)", table))
	mustExec(t, setup, fmt.Sprintf("CREATE TABLE load_%s (id INTEGER PRIMARY KEY, v TEXT)", mode))
	var primaryID string
	if err := setup.QueryRow(ctx, "SELECT node_id FROM helios_node WHERE role = 'primary' AND pg_is_in_recovery() = false").Scan(&primaryID); err != nil {
		// the read may have gone to a standby: ask in a transaction (primary)
		tx, _ := setup.Begin(ctx)
		if err := tx.QueryRow(ctx, "SELECT node_id FROM helios_node").Scan(&primaryID); err != nil {
			t.Fatal(err)
		}
		tx.Rollback(ctx)
	}

	stop := make(chan struct{})
	var loadWG sync.WaitGroup
	var loadID atomic.Int64
	payload := fmt.Sprintf("%0512d", 0)
	for range 3 {
		conn := tp.conn()
		loadWG.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				conn.Exec(ctx, fmt.Sprintf("INSERT INTO load_%s VALUES ($1, $2)", mode), loadID.Add(1), payload)
			}
		})
	}

	const workers = 6
	var mu sync.Mutex
	res := pairResult{pairs: pairs}
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		w, r := tp.conn(), tp.conn()
		wg.Go(func() {
			for {
				id := next.Add(1)
				if id > int64(pairs) {
					return
				}
				if _, err := w.Exec(ctx, fmt.Sprintf("INSERT INTO %s VALUES ($1, 'x')", table), id); err != nil {
					t.Errorf("write %d: %v", id, err)
					return
				}
				start := time.Now()
				var node string
				var got *int64
				// One statement, so one node answers both: who served it, and the row (NULL when missing).
				err := r.QueryRow(ctx, fmt.Sprintf("SELECT (SELECT node_id FROM helios_node), (SELECT id FROM %s WHERE id = $1)", table), id).Scan(&node, &got)
				took := time.Since(start)
				if err != nil {
					t.Errorf("read %d: %v", id, err)
					return
				}
				mu.Lock()
				res.reads = append(res.reads, took)
				if got == nil {
					res.stale++
				}
				if node != primaryID {
					res.onStandby++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(stop)
	loadWG.Wait()
	if len(res.reads) != pairs {
		t.Fatalf("%s: %d of %d pairs completed", mode, len(res.reads), pairs)
	}
	_ = pgx.ErrNoRows
	return res
}
