package tests

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The pause test's timings. The proxy's lease is failover timeout − 2 s,
// at least half of it: 1.5 s; a promotion comes at the earliest
// pauseFailover after the first failed renewal. The nodes degrade to
// async after pauseSyncTimeout without a sync standby, shorter than most
// pauses, so that the degradation paths run.
const (
	pauseFailover    = 3 * time.Second
	pauseLease       = 1500 * time.Millisecond
	pauseSyncTimeout = time.Second
)

// pauseBuckets are the pause lengths, around the lease and the failover
// timeout: shorter than the lease, between lease and failover timeout,
// longer than the failover timeout, much longer.
var pauseBuckets = [][2]time.Duration{
	{300 * time.Millisecond, 1200 * time.Millisecond},
	{1700 * time.Millisecond, 2800 * time.Millisecond},
	{5 * time.Second, 8 * time.Second},
	{10 * time.Second, 16 * time.Second},
}

// failoverAfter: a pause at least this long always ends in a failover
// (renewals time out after 1 s, then the failover timeout runs).
const failoverAfter = 8 * time.Second

// Issue 18: with 4 writers going through heliosdb-proxy (automatic
// failover, sync mode), the primary is paused with SIGSTOP and resumed
// with SIGCONT, for lengths around its lease and the failover timeout.
// Every write acknowledged to a client must be on the cluster's primary
// once it has settled, exactly once. Before the fix, a primary paused
// past the failover acknowledged its in-flight commits on waking (its
// demotion lifted the lease and released them) and they were lost.
func TestSyncFailoverPausedPrimaryLosesNoAcknowledgedWrite(t *testing.T) {
	cycles := pauseCycles(t)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	c := startPauseCluster(t)
	var total pauseTally
	start := time.Now()
	for i := 0; i < cycles; i++ {
		b := pauseBuckets[i%len(pauseBuckets)]
		pause := b[0] + time.Duration(rng.Int64N(int64(b[1]-b[0])))
		r := c.cycle(i+1, pause)
		total.add(r)
		t.Logf("cycle %d: paused %s for %s; %d acknowledged, %d failed or unknown (%v), %d present, %d lost, %d duplicated; primary now %s (term %d)",
			i+1, r.paused, pause.Round(time.Millisecond), r.acked, r.unknown, r.errs, r.present, r.lost, r.dups, r.primary, r.term)
		if r.lost > 0 || r.dups > 0 {
			t.Fatalf("cycle %d (pause %s): %d of %d acknowledged writes lost, %d duplicated\nproxy log:\n%s\n%s's log:\n%s",
				i+1, pause.Round(time.Millisecond), r.lost, r.acked, r.dups, c.proxyLog.tail(200), r.paused, c.byID[r.paused].logs)
		}
		if pause >= failoverAfter && r.failovers == 0 {
			t.Fatalf("cycle %d: %s paused for %s but no standby was promoted\nproxy log:\n%s", i+1, r.paused, pause.Round(time.Millisecond), c.proxyLog.tail(100))
		}
	}
	t.Logf("SIGSTOP/SIGCONT of the primary under 4 writers through heliosdb-proxy, seed %d: %d cycles in %s, %d failovers; "+
		"%d writes acknowledged, %d present on the primary, %d lost, %d duplicated; %d failed or unknown",
		seed, cycles, time.Since(start).Round(time.Second), total.failovers, total.acked, total.present, total.lost, total.dups, total.unknown)
}

// pauseCycles is HELIOSDB_PAUSE_CYCLES, or 4 (one per pause bucket).
func pauseCycles(t *testing.T) int {
	if s := os.Getenv("HELIOSDB_PAUSE_CYCLES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("HELIOSDB_PAUSE_CYCLES=%q: want a positive number", s)
		}
		return n
	}
	return len(pauseBuckets)
}

type pauseTally struct {
	paused                              string
	primary                             string
	term                                uint64
	acked, unknown, present, lost, dups int
	failovers                           int
	errs                                map[string]int // the writers' errors, by SQLSTATE and message
}

func (a *pauseTally) add(r pauseTally) {
	a.acked += r.acked
	a.unknown += r.unknown
	a.present += r.present
	a.lost += r.lost
	a.dups += r.dups
	a.failovers += r.failovers
}

// pauseCluster is a sync primary, a sync standby, an async standby and
// heliosdb-proxy with automatic failover, all real processes (the HA
// harness, hacluster_test.go, without fault proxies).
type pauseCluster struct {
	*haCluster
	nextID atomic.Int64
}

func startPauseCluster(t *testing.T) *pauseCluster {
	c := startHACluster(t, haOptions{mode: "sync", settleProxySync: true,
		nodeFlags: []string{"--advertise-host", "127.0.0.1", "--sync-timeout", pauseSyncTimeout.String()},
		proxyConf: fmt.Sprintf("write_timeout_secs = 30\nfailover_timeout_secs = %g\n", pauseFailover.Seconds())})
	p, s, a := c.nodes[0], c.nodes[1], c.nodes[2]
	waitStreaming(t, p.nodeProc, "n2", "n3")
	conn := p.connect(t)
	// No primary key: a write applied twice would show as two rows.
	mustExec(t, conn, "CREATE TABLE pz (id BIGINT NOT NULL, w INT NOT NULL)")
	conn.Close(context.Background())
	waitCaughtUp(t, p.nodeProc, s.nodeProc, a.nodeProc)
	return &pauseCluster{haCluster: c}
}

// cycle pauses the current primary for pause under 4 writers, resumes it,
// lets the cluster settle and checks every acknowledged write.
func (c *pauseCluster) cycle(i int, pause time.Duration) pauseTally {
	t := c.t
	t.Helper()
	primary := c.settled(t, 60*time.Second)
	before, _ := primary.status()
	w := &pauseWriters{dsn: c.proxyDSN(), next: &c.nextID}
	w.start(4)
	w.waitAcks(t, 20, 20*time.Second)
	if err := primary.signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(pause)
	if err := primary.signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	// Writes go on until some are acknowledged after the resume.
	w.waitAcks(t, w.ackCount()+20, 60*time.Second)
	w.stop()
	now := c.settled(t, 90*time.Second)
	after, _ := now.status()
	r := c.check(now, w)
	r.paused, r.primary, r.term, r.errs = primary.id, now.id, after.Term, w.errSample()
	if after.Term != before.Term {
		r.failovers = 1
	}
	return r
}

// check compares the writers' acknowledgements with the primary's rows.
func (c *pauseCluster) check(primary *haNode, w *pauseWriters) pauseTally {
	t := c.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, primary.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, "SELECT id FROM pz")
	if err != nil {
		t.Fatal(err)
	}
	have := map[int64]int{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		have[id]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	r := pauseTally{acked: len(w.acked), unknown: len(w.unknown)}
	var lost []int64
	for _, id := range w.acked {
		switch have[id] {
		case 0:
			lost = append(lost, id)
		case 1:
			r.present++
		}
	}
	for _, n := range have {
		if n > 1 {
			r.dups++
		}
	}
	r.lost = len(lost)
	if len(lost) > 0 {
		slices.Sort(lost)
		t.Logf("lost ids: %v; errors seen: %v", lost[:min(len(lost), 20)], w.errSample())
	}
	return r
}

// pauseWriters are 4 clients inserting fresh ids through the proxy. An id
// whose INSERT failed is never retried (its outcome is unknown).
type pauseWriters struct {
	dsn  string
	next *atomic.Int64
	quit atomic.Bool
	wg   sync.WaitGroup

	mu      sync.Mutex
	acked   []int64
	unknown []int64
	errs    map[string]int
}

func (w *pauseWriters) start(n int) {
	w.errs = map[string]int{}
	for i := range n {
		w.wg.Go(func() { w.run(i) })
	}
}

func (w *pauseWriters) run(i int) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for !w.quit.Load() {
		if conn == nil || conn.IsClosed() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			c, err := pgx.Connect(ctx, w.dsn)
			cancel()
			if err != nil {
				w.noteErr(err)
				time.Sleep(50 * time.Millisecond)
				continue
			}
			conn = c
		}
		id := w.next.Add(1)
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		_, err := conn.Exec(ctx, "INSERT INTO pz VALUES ($1, $2)", id, i)
		cancel()
		w.mu.Lock()
		if err == nil {
			w.acked = append(w.acked, id)
		} else {
			w.unknown = append(w.unknown, id)
		}
		w.mu.Unlock()
		if err != nil {
			w.noteErr(err)
		}
	}
}

func (w *pauseWriters) noteErr(err error) {
	key := err.Error()
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		key = pe.Code + " " + pe.Message
	}
	w.mu.Lock()
	w.errs[key]++
	w.mu.Unlock()
}

func (w *pauseWriters) errSample() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.errs)
}

func (w *pauseWriters) ackCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

func (w *pauseWriters) waitAcks(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, fmt.Sprintf("%d acknowledged writes", n), func() (bool, string) {
		return w.ackCount() >= n, fmt.Sprintf("%d acknowledged; errors %v", w.ackCount(), w.errSample())
	})
}

func (w *pauseWriters) stop() {
	w.quit.Store(true)
	w.wg.Wait()
}
