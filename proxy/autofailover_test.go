package proxy_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/proxy"
	"github.com/heliosdb/nano/proxy/switchover"
)

// failoverProxy runs a proxy with automatic failover after 2s of silence.
func failoverProxy(t *testing.T, c *clustertest.Cluster, mutate func(*proxy.Config)) *testProxy {
	t.Helper()
	tp := startProxy(t, c, func(cfg *proxy.Config) {
		cfg.FailoverTimeout, cfg.WriteTimeout = 2*time.Second, 20*time.Second
		if mutate != nil {
			mutate(cfg)
		}
	})
	// The first grants make the primary a leased one.
	clustertest.Eventually(t, 10*time.Second, "a lease on the primary", func() bool {
		return strings.Contains(tp.metrics(), `heliosdb_proxy_lease_renewals_total{result="ok"} `) &&
			!strings.Contains(tp.metrics(), `heliosdb_proxy_lease_renewals_total{result="ok"} 0`)
	})
	return tp
}

func (tp *testProxy) metrics() string {
	_, body := tp.admin("GET", "/metrics", nil)
	return body
}

func role(m *clustertest.Member) string {
	if !m.Running() {
		return ""
	}
	r, _, _, _ := m.Status()
	return r
}

// missing counts the ids of acked that m does not have.
func missing(t *testing.T, m *clustertest.Member, acked []int64) int {
	t.Helper()
	conn := m.Conn()
	defer conn.Close(context.Background())
	have := map[int64]bool{}
	rows, err := conn.Query(context.Background(), "SELECT id FROM sw")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		have[id] = true
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	n := 0
	for _, id := range acked {
		if !have[id] {
			n++
		}
	}
	return n
}

// The primary stops under a write load through the proxy: the proxy
// promotes the sync standby once the primary's lease has expired, clients
// see no error, nothing acknowledged is lost, the async standby follows
// the new primary, and the old primary, restarted, is demoted and rejoins.
func TestAutoFailoverUnderLoad(t *testing.T) {
	c := startCluster(t)
	c.Primary.Exec("CREATE TABLE sw (id INT PRIMARY KEY, v TEXT)")
	c.WaitCaughtUp()
	tp := failoverProxy(t, c, nil)
	// Autocommit writers in every pgx mode, and a reader. (An explicit
	// transaction open on the primary when it dies cannot move: its client
	// gets 08006, as it would from PostgreSQL.)
	var ids atomic.Int64
	load := &writeLoad{ids: &ids}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec,
		pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeDescribeExec} {
		load.autocommit(tp.conn(), mode)
	}
	load.reader(tp.conn())
	clustertest.Eventually(t, 10*time.Second, "writes before the failure", func() bool { return load.count() >= 100 })

	stopped := time.Now()
	c.Primary.Stop()
	clustertest.Eventually(t, 20*time.Second, "the sync standby promoted", func() bool { return role(c.Sync) == "primary" })
	promotedAfter := time.Since(stopped)
	pre := load.count()
	clustertest.Eventually(t, 20*time.Second, "writes after the failover", func() bool { return load.count() >= pre+100 })
	load.stop()
	if len(load.errs) > 0 {
		t.Errorf("%d client errors, first: %v", len(load.errs), load.errs[:min(5, len(load.errs))])
	}
	if n := missing(t, c.Sync, load.acked); n > 0 {
		t.Fatalf("%d of %d acknowledged rows missing on the new primary", n, len(load.acked))
	}
	t.Logf("primary stopped; sync standby promoted after %s; longest client wait %s; %d rows acknowledged, none lost",
		promotedAfter.Round(time.Millisecond), load.slowest.Round(time.Millisecond), len(load.acked))
	// Writes resume within failover_timeout + 2s: the new primary, the only
	// sync standby promoted, does not make them wait for a sync standby.
	if promotedAfter > 2*time.Second+2*time.Second || load.slowest > 2*time.Second+2*time.Second {
		t.Errorf("promotion took %s and the longest write %s; failover_timeout is 2s", promotedAfter, load.slowest)
	}
	var fs switchover.FailoverStatus
	clustertest.Eventually(t, 5*time.Second, "GET /failover names the new primary", func() bool {
		tp.admin("GET", "/failover", &fs)
		return fs.Primary == c.Sync.Name && fs.Term == 2 && fs.SyncState != "" && fs.DownSince == nil
	})

	// The old primary comes back claiming term 1: the proxy demotes it.
	c.Primary.Start()
	clustertest.Eventually(t, 20*time.Second, "the old primary demoted", func() bool { return role(c.Primary) == "standby" })
	wantHash, rows := c.Sync.TableHash("sw")
	clustertest.Eventually(t, 20*time.Second, "all nodes equal", func() bool {
		a, _ := c.Async.TableHash("sw")
		p, _ := c.Primary.TableHash("sw")
		return a == wantHash && p == wantHash
	})
	t.Logf("old primary rejoined as a standby; %d rows equal on all three nodes", rows)
}

// A partition cuts the primary off from the proxy but not from a client
// connected to it directly (sync mode). The primary stops acknowledging
// writes when its lease lapses, before the proxy promotes the sync
// standby; every write it acknowledged is on the new primary.
func TestAutoFailoverPartitionedPrimary(t *testing.T) {
	c := startCluster(t)
	c.Primary.Exec("CREATE TABLE sw (id INT PRIMARY KEY, v TEXT)")
	c.WaitCaughtUp()
	pgFwd := newForwarder(t, hostPortString(t, c.Primary))
	httpFwd := newForwarder(t, strings.TrimPrefix(c.Primary.HTTPURL(), "http://"))
	tp := failoverProxy(t, c, func(cfg *proxy.Config) {
		cfg.Nodes[0].Port, cfg.Nodes[0].HTTPPort = pgFwd.port(), httpFwd.port()
	})

	direct := c.Primary.Conn() // the client the partition does not cut off
	var ids atomic.Int64
	ids.Store(1 << 24)
	type ack struct {
		id int64
		at time.Time
	}
	var (
		mu      sync.Mutex
		acked   []ack
		refused []string
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			id := ids.Add(1)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := direct.Exec(ctx, "INSERT INTO sw VALUES ($1, 'direct')", id)
			cancel()
			mu.Lock()
			if err == nil {
				acked = append(acked, ack{id, time.Now()})
			} else {
				var pe *pgconn.PgError
				if !errors.As(err, &pe) {
					mu.Unlock()
					t.Errorf("direct write %d: %v", id, err)
					return
				}
				refused = append(refused, pe.Code+" "+pe.Message+" — "+pe.Hint)
			}
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	})
	time.Sleep(500 * time.Millisecond)
	cut := time.Now()
	pgFwd.cut()
	httpFwd.cut()
	clustertest.Eventually(t, 20*time.Second, "the sync standby promoted", func() bool { return role(c.Sync) == "primary" })
	promoted := time.Now()
	time.Sleep(3 * time.Second) // longer than sync_timeout: a degraded old primary would acknowledge now
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	var afterCut, afterPromotion int
	ackedIDs := make([]int64, len(acked))
	for i, a := range acked {
		ackedIDs[i] = a.id
		if a.at.After(cut) {
			afterCut++
		}
		if a.at.After(promoted) {
			afterPromotion++
		}
	}
	if afterCut == 0 {
		t.Fatalf("no direct write was acknowledged after the cut: the lease should still have been valid for a while")
	}
	if afterPromotion > 0 {
		t.Errorf("%d direct writes acknowledged by the old primary after the promotion", afterPromotion)
	}
	if len(refused) == 0 || !strings.HasPrefix(refused[0], "25006") || !strings.Contains(refused[0], "lease") {
		t.Fatalf("the old primary should refuse writes with 25006 naming its lease; refusals: %v", refused[:min(3, len(refused))])
	}
	if n := missing(t, c.Sync, ackedIDs); n > 0 {
		t.Fatalf("%d of %d writes the partitioned primary acknowledged are missing on the new primary", n, len(ackedIDs))
	}
	t.Logf("partition: %d direct writes acknowledged (%d after the cut, 0 after the promotion %s after the cut), %d refused, first: %s",
		len(acked), afterCut, promoted.Sub(cut).Round(time.Millisecond), len(refused), refused[0])

	// Writes through the proxy go to the new primary.
	mustExec(t, tp.conn(), "INSERT INTO sw VALUES (1, 'after')")
}

func hostPortString(t *testing.T, m *clustertest.Member) string {
	host, port := hostPort(t, m)
	return net.JoinHostPort(host, fmt.Sprint(port))
}

// forwarder relays TCP connections to a target until cut, which closes
// the listener and every relayed connection: a network partition between
// whoever dials it and the target.
type forwarder struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	closed bool
}

func newForwarder(t *testing.T, target string) *forwarder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &forwarder{ln: ln, target: target}
	go f.serve()
	t.Cleanup(f.cut)
	return f
}

func (f *forwarder) port() int { return f.ln.Addr().(*net.TCPAddr).Port }

func (f *forwarder) serve() {
	for {
		in, err := f.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", f.target)
		if err != nil {
			in.Close()
			continue
		}
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			in.Close()
			out.Close()
			return
		}
		f.conns = append(f.conns, in, out)
		f.mu.Unlock()
		go func() { io.Copy(out, in); out.Close() }()
		go func() { io.Copy(in, out); in.Close() }()
	}
}

func (f *forwarder) cut() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	f.closed = true
	f.ln.Close()
	for _, c := range f.conns {
		c.Close()
	}
}
