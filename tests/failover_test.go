package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// failoverNode is a node of the failover test and the id it was started
// with (the primary's standby list names standbys by id).
type failoverNode struct {
	*nodeProc
	id string
}

// failoverCluster is three nodes: a primary in sync mode, its sync standby
// and an async standby. Each trial kills the primary, promotes the sync
// standby and brings the killed node back as the new sync standby, so the
// two sync-capable nodes swap roles every trial.
type failoverCluster struct {
	t       *testing.T
	primary *failoverNode
	syncSb  *failoverNode
	asyncSb *failoverNode
	rng     *rand.Rand
	nextID  atomic.Int64 // ids are unique across trials

	trials, acked, lost      int
	reseeds, asyncReseeds    int
	tailTrials               int // trials where the killed node had an unreplicated tail
	maxPromote, totalPromote time.Duration
	maxRejoin                time.Duration
}

// failoverTable lists the test table's rows in order (one row per id,
// never updated), for comparing nodes.
const failoverTable = "SELECT id FROM fo ORDER BY id"

func TestFailoverKill9PromoteSyncStandby(t *testing.T) {
	trials := failoverTrials(t)
	seed := uint64(time.Now().UnixNano())
	c := startFailoverCluster(t, seed)
	start := time.Now()
	for i := 1; i <= trials; i++ {
		c.trial(i)
	}
	if c.lost > 0 {
		t.Fatalf("%d of %d acknowledged rows lost", c.lost, c.acked)
	}
	t.Logf("kill -9 failover, sync mode, 4 writers, seed %d: %d trials in %s; %d acknowledged rows checked, %d lost; "+
		"killed node had an unreplicated tail in %d trials, re-seeded from a base backup in %d (async standby re-seeded in %d); "+
		"promote took max %s, mean %s; rejoin (restart, demote, caught up, sync) max %s",
		seed, c.trials, time.Since(start).Round(time.Millisecond), c.acked, c.lost, c.tailTrials, c.reseeds, c.asyncReseeds,
		c.maxPromote.Round(time.Microsecond), (c.totalPromote / time.Duration(c.trials)).Round(time.Microsecond),
		c.maxRejoin.Round(time.Millisecond))
}

// failoverTrials is HELIOSDB_FAILOVER_TRIALS, or 20 (5 with -short).
func failoverTrials(t *testing.T) int {
	if s := os.Getenv("HELIOSDB_FAILOVER_TRIALS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("HELIOSDB_FAILOVER_TRIALS=%q: want a positive number", s)
		}
		return n
	}
	if testing.Short() {
		return 5
	}
	return 20
}

func startFailoverCluster(t *testing.T, seed uint64) *failoverCluster {
	flags := []string{"--advertise-host", "127.0.0.1", "--sync-timeout", "2s"}
	p := newPrimary(t, "n1", "sync", flags...)
	s := newStandby(t, "n2", p, "sync", flags...)
	a := newStandby(t, "n3", p, "async", flags...)
	waitStreaming(t, p, "n2", "n3")
	conn := p.connect(t)
	mustExec(t, conn, "CREATE TABLE fo (id BIGINT PRIMARY KEY)")
	conn.Close(context.Background())
	waitCaughtUp(t, p, s, a)
	return &failoverCluster{t: t, primary: &failoverNode{p, "n1"}, syncSb: &failoverNode{s, "n2"},
		asyncSb: &failoverNode{a, "n3"}, rng: rand.New(rand.NewPCG(seed, seed>>1))}
}

// trial kills the primary under write load, promotes the sync standby,
// checks that every acknowledged row survived, and brings the cluster back
// to three identical nodes with the killed node as the new sync standby.
func (c *failoverCluster) trial(i int) {
	t := c.t
	old, next := c.primary, c.syncSb
	acked := c.writeAndKill(old)
	took, res := c.promote(next)
	missing := c.missing(next, acked)
	c.trials++
	c.acked += len(acked)
	c.lost += missing
	if missing > 0 {
		t.Fatalf("trial %d: %d of %d acknowledged rows missing on the promoted sync standby %s (promote answered %+v)\nold primary's log:\n%s\npromoted node's log:\n%s",
			i, missing, len(acked), next.id, res, old.logs, next.logs)
	}
	c.maxPromote = max(c.maxPromote, took)
	c.totalPromote += took

	rejoinStart := time.Now()
	c.repointAsync(next)
	tail, reseeded := c.rejoin(old, next, res.LSN)
	c.waitSynced(next, old)
	c.maxRejoin = max(c.maxRejoin, time.Since(rejoinStart))
	if tail > 0 {
		c.tailTrials++
	}
	if reseeded {
		c.reseeds++
	}
	t.Logf("trial %d: killed %s, promoted %s (term %d, %s, %d bytes behind) in %s; %d acknowledged, 0 lost; %s's tail %d bytes, re-seeded %v",
		i, old.id, next.id, res.Term, res.LSN, res.BehindBytes, took.Round(time.Microsecond), len(acked), old.id, tail, reseeded)
	c.primary, c.syncSb = next, old
}

// writeAndKill runs 4 writers against p and kills p with SIGKILL at a
// random moment after the first acknowledgement; it returns the ids whose
// INSERT was acknowledged.
func (c *failoverCluster) writeAndKill(p *failoverNode) []int64 {
	c.t.Helper()
	w := &ackLog{first: make(chan struct{})}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(p.nodeProc, &c.nextID)
		}()
	}
	select {
	case <-w.first:
	case <-time.After(10 * time.Second):
		w.killed.Store(true)
		p.kill()
		wg.Wait()
		c.t.Fatalf("no insert acknowledged by %s within 10s (first error: %v); log:\n%s", p.id, w.err, p.logs)
	}
	time.Sleep(time.Duration(c.rng.Int64N(int64(300 * time.Millisecond))))
	w.killed.Store(true)
	p.kill()
	wg.Wait()
	if w.err != nil {
		c.t.Fatalf("a writer failed before %s was killed: %v", p.id, w.err)
	}
	return w.ids
}

// ackLog records the ids acknowledged to a trial's writers.
type ackLog struct {
	killed    atomic.Bool
	firstOnce sync.Once
	first     chan struct{} // closed at the first acknowledgement

	mu  sync.Mutex
	ids []int64
	err error // the first failure seen before the kill
}

// run inserts fresh ids on n until a statement fails (the kill breaks the
// connection). An id whose INSERT failed is never retried: its outcome is
// unknown and it is not counted as acknowledged.
func (w *ackLog) run(n *nodeProc, next *atomic.Int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, n.dsn())
	if err != nil {
		w.fail(err)
		return
	}
	defer conn.Close(context.Background())
	for {
		id := next.Add(1)
		if _, err := conn.Exec(ctx, "INSERT INTO fo VALUES ($1)", id); err != nil {
			w.fail(err)
			return
		}
		w.mu.Lock()
		w.ids = append(w.ids, id)
		w.mu.Unlock()
		w.firstOnce.Do(func() { close(w.first) })
	}
}

func (w *ackLog) fail(err error) {
	if w.killed.Load() {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

// promoteResult is the part of POST /admin/promote's answer the test reads.
type promoteResult struct {
	Term        uint64 `json:"term"`
	LSN         string `json:"lsn"`
	BehindBytes int64  `json:"behind_bytes"`
}

// promote promotes n over HTTP; it must answer ok.
func (c *failoverCluster) promote(n *failoverNode) (time.Duration, promoteResult) {
	c.t.Helper()
	var ans struct {
		Status string        `json:"status"`
		Result promoteResult `json:"result"`
	}
	start := time.Now()
	body := c.admin(n, "promote", "{}")
	took := time.Since(start)
	if err := json.Unmarshal([]byte(body), &ans); err != nil || ans.Status != "ok" {
		c.t.Fatalf("promote %s: %v: %s\nlog:\n%s", n.id, err, body, n.logs)
	}
	return took, ans.Result
}

// demote points n at primary's native port over HTTP; it must answer ok.
func (c *failoverCluster) demote(n, primary *failoverNode) {
	c.t.Helper()
	body := c.admin(n, "demote", fmt.Sprintf(`{"primary_host":"127.0.0.1","primary_port":%d}`, primary.nativePort))
	var ans struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil || ans.Status != "ok" {
		c.t.Fatalf("demote %s: %v: %s\nlog:\n%s", n.id, err, body, n.logs)
	}
}

// admin POSTs body to /admin/<what> on n, with a deadline so a hang fails
// the test instead of stalling it.
func (c *failoverCluster) admin(n *failoverNode, what, body string) string {
	c.t.Helper()
	client := http.Client{Timeout: 30 * time.Second}
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/admin/%s", n.httpPort, what), strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("helios", "helios")
	resp, err := client.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v\nlog:\n%s", what, n.id, err, n.logs)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return b.String()
}

// missing counts the acknowledged ids that n does not hold.
func (c *failoverCluster) missing(n *failoverNode, acked []int64) int {
	c.t.Helper()
	ctx := context.Background()
	conn := n.connect(c.t)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT id FROM fo")
	if err != nil {
		c.t.Fatalf("read fo on %s: %v", n.id, err)
	}
	have := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			c.t.Fatal(err)
		}
		have[id] = true
	}
	if err := rows.Err(); err != nil {
		c.t.Fatalf("read fo on %s: %v", n.id, err)
	}
	lost := 0
	for _, id := range acked {
		if !have[id] {
			lost++
		}
	}
	return lost
}

// repointAsync makes the async standby follow the new primary and counts
// whether it had to re-seed (it may have received WAL the sync standby
// never got).
func (c *failoverCluster) repointAsync(primary *failoverNode) {
	before := strings.Count(c.asyncSb.logs.String(), "re-seeded from a base backup")
	c.demote(c.asyncSb, primary)
	c.waitStandby(primary, c.asyncSb)
	if strings.Count(c.asyncSb.logs.String(), "re-seeded from a base backup") > before {
		c.asyncReseeds++
	}
}

// rejoin restarts the killed node on its data dir (it comes back as a
// primary of the old term), demotes it to follow primary, and reports its
// unreplicated tail (bytes past the promoted node's term start) and whether
// it re-seeded. A node with a tail must re-seed: its WAL diverged.
func (c *failoverCluster) rejoin(old, primary *failoverNode, termStart string) (tail int64, reseeded bool) {
	t := c.t
	t.Helper()
	old.start()
	st := old.mustStatus(t)
	if st.Role != "primary" {
		t.Fatalf("restarted %s is %s; its data dir records primary", old.id, st.Role)
	}
	start, err := lsnOf(termStart)
	if err != nil {
		t.Fatal(err)
	}
	tail = int64(st.current()) - int64(start)
	c.demote(old, primary)
	c.waitStandby(primary, old)
	reseeded = strings.Contains(old.logs.String(), "re-seeded from a base backup")
	if tail > 0 && !reseeded {
		t.Fatalf("%s had %d bytes past the new term's start %s but did not re-seed; log:\n%s", old.id, tail, termStart, old.logs)
	}
	return tail, reseeded
}

// waitStandby waits until primary reports n streaming.
func (c *failoverCluster) waitStandby(primary, n *failoverNode) {
	c.t.Helper()
	eventually(c.t, 20*time.Second, n.id+" streaming from "+primary.id, func() (bool, string) {
		st, err := primary.status()
		if err != nil {
			return false, err.Error()
		}
		state, _ := st.standby(n.id)
		return state == "streaming", fmt.Sprintf("%s is %q; its log:\n%s", n.id, state, n.logs)
	})
}

// waitSynced waits until primary runs in sync with syncSb as its sync
// standby and all three nodes hold the same rows.
func (c *failoverCluster) waitSynced(primary, syncSb *failoverNode) {
	c.t.Helper()
	eventually(c.t, 20*time.Second, primary.id+" in sync with "+syncSb.id, func() (bool, string) {
		st, err := primary.status()
		if err != nil {
			return false, err.Error()
		}
		state, mode := st.standby(syncSb.id)
		return st.Replication.SyncState == "sync" && state == "streaming" && mode == "sync",
			fmt.Sprintf("sync_state %s, %s is %q in mode %q", st.Replication.SyncState, syncSb.id, state, mode)
	})
	waitCaughtUp(c.t, primary.nodeProc, syncSb.nodeProc, c.asyncSb.nodeProc)
	assertSameTable(c.t, failoverTable, c.acked, primary.nodeProc, syncSb.nodeProc, c.asyncSb.nodeProc)
}
