package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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
// heliosdb-proxy with automatic failover, all real processes.
type pauseCluster struct {
	t         *testing.T
	nodes     []*pauseNode
	byID      map[string]*pauseNode
	proxy     *exec.Cmd
	proxyLog  *tailBuffer
	proxyPort int
	adminPort int
	nextID    atomic.Int64
}

type pauseNode struct {
	*nodeProc
	id string
}

func startPauseCluster(t *testing.T) *pauseCluster {
	flags := []string{"--advertise-host", "127.0.0.1", "--sync-timeout", pauseSyncTimeout.String()}
	p := newPrimary(t, "n1", "sync", flags...)
	s := newStandby(t, "n2", p, "sync", flags...)
	a := newStandby(t, "n3", p, "async", flags...)
	waitStreaming(t, p, "n2", "n3")
	conn := p.connect(t)
	// No primary key: a write applied twice would show as two rows.
	mustExec(t, conn, "CREATE TABLE pz (id BIGINT NOT NULL, w INT NOT NULL)")
	conn.Close(context.Background())
	waitCaughtUp(t, p, s, a)
	c := &pauseCluster{t: t, byID: map[string]*pauseNode{}}
	for _, n := range []*pauseNode{{p, "n1"}, {s, "n2"}, {a, "n3"}} {
		c.nodes = append(c.nodes, n)
		c.byID[n.id] = n
	}
	c.startProxy()
	return c
}

func (c *pauseCluster) startProxy() {
	t := c.t
	c.proxyPort, c.adminPort = freePort(t), freePort(t)
	var b strings.Builder
	fmt.Fprintf(&b, "[proxy]\nlisten_addr = \"127.0.0.1:%d\"\nadmin_addr = \"127.0.0.1:%d\"\n", c.proxyPort, c.adminPort)
	fmt.Fprintf(&b, "health_check_interval_secs = 0.2\nfailure_threshold = 2\nwrite_timeout_secs = 30\n")
	fmt.Fprintf(&b, "auto_failover = true\nfailover_timeout_secs = %g\n", pauseFailover.Seconds())
	for i, n := range c.nodes {
		role := "standby"
		if i == 0 {
			role = "primary"
		}
		fmt.Fprintf(&b, "\n[[nodes]]\nname = %q\nhost = \"127.0.0.1\"\nport = %d\nrole = %q\nhttp_port = %d\nnative_port = %d\n",
			n.id, n.pgPort, role, n.httpPort, n.nativePort)
	}
	path := filepath.Join(t.TempDir(), "proxy.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	c.proxyLog = &tailBuffer{}
	c.proxy = exec.Command(buildProxy(t), "--config", path, "--log-level", "info")
	c.proxy.Stdout, c.proxy.Stderr = c.proxyLog, c.proxyLog
	if err := c.proxy.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.proxy.Process.Signal(syscall.SIGKILL)
		c.proxy.Wait()
	})
	// Writable through the proxy, and the primary under its lease.
	eventually(t, 20*time.Second, "the proxy's lease on the primary", func() (bool, string) {
		fs, err := c.failover()
		return err == nil && fs.Primary == "n1" && fs.SyncState == "sync", fmt.Sprintf("%+v %v\n%s", fs, err, c.proxyLog.tail(20))
	})
}

// proxyFailover is the part of the proxy's GET /failover the test reads.
type proxyFailover struct {
	Primary   string     `json:"primary"`
	Term      uint64     `json:"term"`
	SyncState string     `json:"sync_state"`
	DownSince *time.Time `json:"down_since"`
	Blocked   string     `json:"blocked"`
}

var quickHTTP = &http.Client{Timeout: 2 * time.Second}

// quickGet GETs url as the test clusters' user (helios/helios).
func quickGet(url string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth("helios", "helios")
	return quickHTTP.Do(req)
}

func (c *pauseCluster) failover() (proxyFailover, error) {
	var fs proxyFailover
	resp, err := quickGet(fmt.Sprintf("http://127.0.0.1:%d/failover", c.adminPort))
	if err != nil {
		return fs, err
	}
	defer resp.Body.Close()
	return fs, json.NewDecoder(resp.Body).Decode(&fs)
}

// pauseStatus is the part of a node's GET /status the test reads.
type pauseStatus struct {
	Role        string `json:"role"`
	Term        uint64 `json:"term"`
	CurrentLSN  string `json:"current_lsn"`
	AppliedLSN  string `json:"applied_lsn"`
	Replication struct {
		SyncState string `json:"sync_state"`
	} `json:"replication"`
	Standbys []struct {
		NodeID          string `json:"node_id"`
		ReplicationMode string `json:"replication_mode"`
		State           string `json:"state"`
		AppliedLSN      string `json:"applied_lsn"`
	} `json:"standbys"`
}

func (n *pauseNode) status() (pauseStatus, error) {
	var st pauseStatus
	resp, err := quickGet(fmt.Sprintf("http://127.0.0.1:%d/status", n.httpPort))
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("GET /status: %s", resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// settled waits until the cluster is whole again: one primary, of the
// highest term, in sync with a sync standby, every other node streaming
// from it and caught up, and the proxy granting it its lease. It returns
// the primary.
func (c *pauseCluster) settled(timeout time.Duration) *pauseNode {
	c.t.Helper()
	var primary *pauseNode
	eventually(c.t, timeout, "the cluster to settle", func() (bool, string) {
		primary = nil
		sts := map[string]pauseStatus{}
		var seen []string
		for _, n := range c.nodes {
			st, err := n.status()
			if err != nil {
				return false, fmt.Sprintf("%s: %v", n.id, err)
			}
			sts[n.id] = st
			seen = append(seen, fmt.Sprintf("%s %s/%d %s", n.id, st.Role, st.Term, st.Replication.SyncState))
			if st.Role == "primary" {
				if primary != nil {
					return false, "two primaries: " + strings.Join(seen, ", ")
				}
				primary = n
			}
		}
		if primary == nil {
			return false, "no primary: " + strings.Join(seen, ", ")
		}
		p := sts[primary.id]
		if p.Replication.SyncState != "sync" {
			return false, "primary not in sync: " + strings.Join(seen, ", ")
		}
		for _, n := range c.nodes {
			if n == primary {
				continue
			}
			state, applied := "", ""
			for _, sb := range p.Standbys {
				if sb.NodeID == n.id {
					state, applied = sb.State, sb.AppliedLSN
				}
			}
			if state != "streaming" || applied != p.CurrentLSN || sts[n.id].AppliedLSN != p.CurrentLSN || sts[n.id].Term != p.Term {
				return false, fmt.Sprintf("%s is %q, applied %s / %s of %s: %s", n.id, state, applied, sts[n.id].AppliedLSN, p.CurrentLSN, strings.Join(seen, ", "))
			}
		}
		fs, err := c.failover()
		if err != nil || fs.Primary != primary.id || fs.Term != p.Term || fs.DownSince != nil || fs.SyncState != "sync" {
			return false, fmt.Sprintf("proxy: %+v %v", fs, err)
		}
		return true, ""
	})
	return primary
}

// cycle pauses the current primary for pause under 4 writers, resumes it,
// lets the cluster settle and checks every acknowledged write.
func (c *pauseCluster) cycle(i int, pause time.Duration) pauseTally {
	t := c.t
	t.Helper()
	primary := c.settled(60 * time.Second)
	before, _ := primary.status()
	w := &pauseWriters{dsn: fmt.Sprintf("postgres://helios:helios@127.0.0.1:%d/heliosdb?sslmode=disable", c.proxyPort), next: &c.nextID}
	w.start(4)
	w.waitAcks(t, 20, 20*time.Second)
	if err := primary.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(pause)
	if err := primary.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	// Writes go on until some are acknowledged after the resume.
	w.waitAcks(t, w.ackCount()+20, 60*time.Second)
	w.stop()
	now := c.settled(90 * time.Second)
	after, _ := now.status()
	r := c.check(now, w)
	r.paused, r.primary, r.term, r.errs = primary.id, now.id, after.Term, w.errSample()
	if after.Term != before.Term {
		r.failovers = 1
	}
	return r
}

// check compares the writers' acknowledgements with the primary's rows.
func (c *pauseCluster) check(primary *pauseNode, w *pauseWriters) pauseTally {
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

// tailBuffer keeps a process's output; tests print its end.
type tailBuffer struct{ syncBuffer }

func (b *tailBuffer) tail(lines int) string {
	s := strings.Split(b.String(), "\n")
	return strings.Join(s[max(0, len(s)-lines):], "\n")
}
