package proxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/proxy"
	"github.com/heliosdb/nano/proxy/admin"
	"github.com/heliosdb/nano/proxy/switchover"
)

// post calls a POST endpoint of the admin API with a JSON body and
// decodes a 2xx answer into out (when not nil).
func (tp *testProxy) post(path string, body any, out any) (int, string) {
	tp.t.Helper()
	data, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, "http://"+tp.p.AdminAddr()+path, bytes.NewReader(data))
	if err != nil {
		tp.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("helios", "helios")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tp.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			tp.t.Fatalf("POST %s: %v in %s", path, err, raw)
		}
	}
	return resp.StatusCode, string(raw)
}

// writeLoad is clients writing through the proxy without pause: each
// records the ids the proxy acknowledged, every error, and its slowest
// statement (the write pause a client saw).
type writeLoad struct {
	ids     *atomic.Int64 // shared across loads: ids are unique per test
	stopped atomic.Bool
	wg      sync.WaitGroup

	mu      sync.Mutex
	acked   []int64
	errs    []string
	reads   int
	slowest time.Duration
	ops     int
}

func (l *writeLoad) record(start time.Time, err error, what string, ids ...int64) {
	took := time.Since(start)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops++
	l.slowest = max(l.slowest, took)
	if err != nil {
		l.errs = append(l.errs, fmt.Sprintf("%s: %v", what, err))
		return
	}
	l.acked = append(l.acked, ids...)
}

// autocommit inserts one row per statement, in the given pgx mode.
func (l *writeLoad) autocommit(conn *pgx.Conn, mode pgx.QueryExecMode) {
	l.wg.Go(func() {
		ctx := context.Background()
		for !l.stopped.Load() {
			id := l.ids.Add(1)
			start := time.Now()
			_, err := conn.Exec(ctx, "INSERT INTO sw VALUES ($1, $2)", mode, id, "autocommit")
			l.record(start, err, fmt.Sprintf("insert %d (%v)", id, mode), id)
		}
	})
}

// transactions inserts two rows per explicit transaction.
func (l *writeLoad) transactions(conn *pgx.Conn) {
	l.wg.Go(func() {
		ctx := context.Background()
		for !l.stopped.Load() {
			a, b := l.ids.Add(1), l.ids.Add(1)
			start := time.Now()
			err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, "INSERT INTO sw VALUES ($1, 'tx')", a); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, "INSERT INTO sw VALUES ($1, 'tx')", b)
				return err
			})
			l.record(start, err, fmt.Sprintf("transaction %d,%d", a, b), a, b)
		}
	})
}

// reader counts rows without pause: reads must go on during the hold.
func (l *writeLoad) reader(conn *pgx.Conn) {
	l.wg.Go(func() {
		ctx := context.Background()
		for !l.stopped.Load() {
			var n int
			err := conn.QueryRow(ctx, "SELECT count(*) FROM sw").Scan(&n)
			l.mu.Lock()
			l.reads++
			if err != nil {
				l.errs = append(l.errs, fmt.Sprintf("read: %v", err))
			}
			l.mu.Unlock()
			time.Sleep(time.Millisecond)
		}
	})
}

func (l *writeLoad) stop() {
	l.stopped.Store(true)
	l.wg.Wait()
}

func (l *writeLoad) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// startLoad starts 4 autocommit writers (pgx's statement cache, its
// one-round-trip extended mode, the simple protocol, and the cache again),
// one writer of explicit transactions and one reader, each on its own
// session through the proxy.
func startLoad(tp *testProxy, ids *atomic.Int64) *writeLoad {
	l := &writeLoad{ids: ids}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec,
		pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
		l.autocommit(tp.conn(), mode)
	}
	l.transactions(tp.conn())
	l.reader(tp.conn())
	return l
}

// member returns the cluster member called name.
func member(c *clustertest.Cluster, name string) *clustertest.Member {
	for _, m := range []*clustertest.Member{c.Primary, c.Sync, c.Async} {
		if m.Name == name {
			return m
		}
	}
	panic("no member " + name)
}

// switchoverUnderLoad moves the primary to target while clients write,
// and checks that no client saw an error and no acknowledged row is
// missing or doubled, on the new primary and, after catch-up, everywhere.
// acked accumulates every acknowledged id of the test.
func switchoverUnderLoad(t *testing.T, tp *testProxy, c *clustertest.Cluster, target string, ids *atomic.Int64, acked map[int64]bool) {
	t.Helper()
	idle := tp.conn() // a session that writes, idles through the switchover, writes again
	mustExec(t, idle, "INSERT INTO sw VALUES ($1, 'idle')", ids.Add(1))
	acked[ids.Load()] = true
	var before []admin.Node
	tp.admin("GET", "/nodes", &before)

	load := startLoad(tp, ids)
	time.Sleep(time.Second)
	clustertest.Eventually(t, 10*time.Second, "writes before the switchover", func() bool { return load.count() >= 100 })
	pre := load.count()
	var res switchover.Result
	start := time.Now()
	code, body := tp.post("/switchover", map[string]string{"target": target}, &res)
	took := time.Since(start)
	if code != http.StatusOK {
		load.stop()
		t.Fatalf("POST /switchover: %d %s", code, body)
	}
	// Routing sees the new primary as soon as the call returns.
	var after []admin.Node
	tp.admin("GET", "/nodes", &after)
	for _, n := range after {
		if (n.Name == target) != (n.Role == "primary") || !n.Healthy {
			t.Errorf("right after the switchover /nodes says %s is %s (healthy %t)", n.Name, n.Role, n.Healthy)
		}
	}
	time.Sleep(time.Second)
	clustertest.Eventually(t, 10*time.Second, "writes after the switchover", func() bool { return load.count() >= pre+100 })
	load.stop()

	if len(load.errs) > 0 {
		t.Errorf("%d client errors, first: %v", len(load.errs), load.errs[:min(5, len(load.errs))])
	}
	var term uint64
	for _, n := range before {
		term = max(term, n.Term)
	}
	if res.Status != "ok" || res.NewPrimary != target || res.OldPrimary == target || res.Term != term+1 || len(res.Warnings) > 0 {
		t.Errorf("result %+v", res)
	}
	mustExec(t, idle, "INSERT INTO sw VALUES ($1, 'idle')", ids.Add(1))
	acked[ids.Load()] = true
	if n := writerNode(t, idle); n != target {
		t.Errorf("after the switchover an idle session writes on %s", n)
	}
	for _, id := range load.acked {
		if acked[id] {
			t.Fatalf("id %d acknowledged twice", id)
		}
		acked[id] = true
	}
	checkRows(t, member(c, target), acked)
	caughtUp(t, member(c, target), c)
	t.Logf("switchover %s → %s: term %d, write pause %.1f ms (POST took %s); %d writes and %d reads by 6 clients, %d errors; slowest client statement %s; %d rows equal on all 3 nodes",
		res.OldPrimary, res.NewPrimary, res.Term, res.WritePauseMS, took.Round(time.Millisecond), load.ops, load.reads,
		len(load.errs), load.slowest.Round(time.Millisecond), len(acked))
}

// checkRows: m holds exactly the acknowledged ids, each once.
func checkRows(t *testing.T, m *clustertest.Member, acked map[int64]bool) {
	t.Helper()
	rows, err := m.Conn().Query(context.Background(), "SELECT id FROM sw")
	if err != nil {
		t.Fatal(err)
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	var dup, extra []int64
	for _, id := range have {
		if seen[id] {
			dup = append(dup, id)
		}
		seen[id] = true
		if !acked[id] {
			extra = append(extra, id)
		}
	}
	var lost []int64
	for id := range acked {
		if !seen[id] {
			lost = append(lost, id)
		}
	}
	slices.Sort(lost)
	if len(lost)+len(dup)+len(extra) > 0 {
		t.Fatalf("%s: %d rows for %d acknowledged ids: lost %v, duplicated %v, never acknowledged %v",
			m.Name, len(have), len(acked), lost[:min(10, len(lost))], dup, extra)
	}
}

// caughtUp waits until every member has applied primary's current LSN,
// then compares table sw on all of them.
func caughtUp(t *testing.T, primary *clustertest.Member, c *clustertest.Cluster) {
	t.Helper()
	target := primary.Node().CurrentLSN()
	want, n := primary.TableHash("sw")
	for _, m := range []*clustertest.Member{c.Primary, c.Sync, c.Async} {
		if m == primary {
			continue
		}
		clustertest.Eventually(t, 20*time.Second, fmt.Sprintf("%s applied %s", m.Name, target), func() bool {
			role, _, applied, connected := m.Status()
			return role == "standby" && connected && applied >= target
		})
		if got, rows := m.TableHash("sw"); got != want {
			t.Fatalf("%s has %d rows (hash %.12s), the primary %s %d (hash %.12s)", m.Name, rows, got, primary.Name, n, want)
		}
	}
}

// TestSwitchoverUnderWriteLoad: POST /switchover moves the primary to the
// sync standby and back while 4 sessions insert without pause, one runs
// explicit transactions and one reads: no client sees an error, and every
// acknowledged row is on the new primary, once, and on every node after
// catch-up.
func TestSwitchoverUnderWriteLoad(t *testing.T) {
	c := startCluster(t)
	tp := startProxy(t, c, nil)
	mustExec(t, tp.conn(), "CREATE TABLE sw (id bigint PRIMARY KEY, v text)")
	var ids atomic.Int64
	acked := map[int64]bool{}
	switchoverUnderLoad(t, tp, c, "standby-sync", &ids, acked)
	switchoverUnderLoad(t, tp, c, "primary", &ids, acked)
	if got := tp.metric("heliosdb_proxy_write_timeout_waits_total", `outcome="timeout"`); got != 0 {
		t.Errorf("%v held writes timed out", got)
	}
	if got := tp.metric("heliosdb_proxy_switchovers_total", `outcome="ok"`); got != 2 {
		t.Errorf("switchovers_total{outcome=ok} = %v", got)
	}
}

// TestSwitchoverRefused: a switchover that cannot be done safely is
// refused with the cluster left as it was, and writes held during the
// attempt then run on the old primary without an error.
func TestSwitchoverRefused(t *testing.T) {
	c := startCluster(t)
	tp := startProxy(t, c, func(cfg *proxy.Config) { cfg.SwitchoverDrainTimeout = 300 * time.Millisecond })
	ctx := context.Background()
	mustExec(t, tp.conn(), "CREATE TABLE sr (id int PRIMARY KEY)")

	cases := []struct {
		name string
		body any
		code int
	}{
		{"no target", map[string]string{}, http.StatusBadRequest},
		{"unknown node", map[string]string{"target": "nosuch"}, http.StatusNotFound},
		{"already primary", map[string]string{"target": "primary"}, http.StatusConflict},
	}
	for _, tc := range cases {
		if code, body := tp.post("/switchover", tc.body, nil); code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.name, code, body, tc.code)
		}
	}
	tp.admin("POST", "/nodes/standby-async/disable", nil)
	if code, body := tp.post("/switchover", map[string]string{"target": "standby-async"}, nil); code != http.StatusConflict {
		t.Errorf("disabled target: %d %s", code, body)
	}
	tp.admin("POST", "/nodes/standby-async/enable", nil)

	// A transaction left open on the primary: the switchover waits for it,
	// gives up and changes nothing; a write held meanwhile then runs.
	open := tp.conn()
	tx, err := open.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO sr VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	held := make(chan error, 1)
	writer := tp.conn()
	go func() {
		time.Sleep(100 * time.Millisecond) // inside the hold
		_, err := writer.Exec(ctx, "INSERT INTO sr VALUES (2)")
		held <- err
	}()
	code, body := tp.post("/switchover", map[string]string{"target": "standby-sync"}, nil)
	if code != http.StatusConflict {
		t.Fatalf("switchover with an open transaction: %d %s", code, body)
	}
	t.Logf("refused: %s", body)
	if err := <-held; err != nil {
		t.Errorf("write held during the refused switchover: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Errorf("the open transaction could not commit after the refused switchover: %v", err)
	}
	if n := writerNode(t, writer); n != "primary" {
		t.Errorf("after a refused switchover writes go to %s", n)
	}
	var nodes []admin.Node
	tp.admin("GET", "/nodes", &nodes)
	if nodes[0].Role != "primary" || nodes[1].Role != "standby" || nodes[0].Term != 1 {
		t.Errorf("cluster changed: %+v", nodes)
	}
}

// TestWritesFollowExternalSwitchover: the nodes switch roles behind the
// proxy's back (heliosdb-nano switchover) and its health checks have not
// noticed: sessions whose backend to the old primary is idle write again,
// the old primary answers 25006, and the proxy re-probes and runs the
// statement on the new primary instead of failing it.
func TestWritesFollowExternalSwitchover(t *testing.T) {
	c := startCluster(t)
	tp := startProxy(t, c, func(cfg *proxy.Config) { cfg.HealthCheckInterval = time.Hour })
	ctx := context.Background()
	setup := tp.conn()
	mustExec(t, setup, "CREATE TABLE ext (id int PRIMARY KEY)")
	modes := []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol}
	conns := make([]*pgx.Conn, len(modes))
	for i, mode := range modes {
		conns[i] = tp.conn()
		if _, err := conns[i].Exec(ctx, "INSERT INTO ext VALUES ($1)", mode, i+1); err != nil {
			t.Fatal(err)
		}
	}

	// The node-side switchover: demote, wait for the target, promote,
	// re-point the other standby.
	host, portStr, _ := net.SplitHostPort(c.Sync.NativeAddr())
	port, _ := strconv.Atoi(portStr)
	if err := c.Primary.Node().Demote(ctx, host, port); err != nil {
		t.Fatal(err)
	}
	last := c.Primary.Node().CurrentLSN()
	clustertest.Eventually(t, 10*time.Second, "standby-sync caught up", func() bool {
		_, _, applied, _ := c.Sync.Status()
		return applied >= last
	})
	if _, err := c.Sync.Node().Promote(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Async.Node().Demote(ctx, host, port); err != nil {
		t.Fatal(err)
	}

	for i, mode := range modes {
		if _, err := conns[i].Exec(ctx, "INSERT INTO ext VALUES ($1)", mode, 10+i); err != nil {
			t.Errorf("write (%v) after the external switchover: %v", mode, err)
		}
	}
	if n := writerNode(t, conns[0]); n != "standby-sync" {
		t.Errorf("writes go to %s", n)
	}
	if got := tp.metric("heliosdb_proxy_read_only_retries_total"); got < 1 {
		t.Errorf("read-only retries = %v", got)
	}
	var n int
	if err := c.Sync.Conn().QueryRow(ctx, "SELECT count(*) FROM ext").Scan(&n); err != nil || n != 6 {
		t.Errorf("new primary has %d rows, %v", n, err)
	}

	// A genuine 25006 (a read-only session on the real primary) is the
	// client's error, not retried.
	ro := tp.conn()
	mustExec(t, ro, "SET default_transaction_read_only = on")
	if _, err := ro.Exec(ctx, "INSERT INTO ext VALUES (99)"); pgCode(err) != "25006" {
		t.Errorf("insert in a read-only session: %v, want 25006", err)
	}
}
