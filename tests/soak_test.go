package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Issue 18: node and proxy survive a randomized run of oversized and
// deeply nested SQL — no crash, no hang, every error a real SQLSTATE, RSS
// of each process below 1 GB throughout and back under a bound after.
// `make test` runs it for 20 s; `make faults` for HELIOSDB_SOAK_DURATION
// (10m). HELIOSDB_SOAK_SEED replays a run.
const (
	soakRSSLimit    = 1 << 30
	soakRSSAfter    = 512 << 20
	soakWorkers     = 4
	soakStmtTimeout = "3s"
	soakHang        = 60 * time.Second // no statement may take longer
)

// sqlstate classes PostgreSQL defines (Appendix A); XX (internal error)
// is not accepted.
var soakClasses = map[string]bool{}

func init() {
	for _, c := range strings.Fields("00 01 02 03 08 09 0A 0B 0F 0L 0P 0Z 20 21 22 23 24 25 26 27 28 2B 2D 2F 34 38 39 3B 3D 3F 40 42 44 53 54 55 57 58 72 F0 HV P0") {
		soakClasses[c] = true
	}
}

var sqlstateRE = regexp.MustCompile(`^[0-9A-Z]{5}$`)

func TestSoakHostileSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("soak")
	}
	dur := 20 * time.Second
	if v := os.Getenv("HELIOSDB_SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("HELIOSDB_SOAK_DURATION: %v", err)
		}
		dur = d
	}
	seed := time.Now().UnixNano()
	if v := os.Getenv("HELIOSDB_SOAK_SEED"); v != "" {
		seed, _ = strconv.ParseInt(v, 10, 64)
	}
	t.Logf("soak seed %d (HELIOSDB_SOAK_SEED=%d replays it), duration %v", seed, seed, dur)

	// Four clients at a 128MB statement ceiling: the 1 GB RSS bound then
	// follows from the node's settings (the default ceiling is an eighth
	// of RAM, which on a big machine lets one statement alone pass 1 GB).
	// The four ceilings account for 512 MB of live statement memory; Go's
	// collector, left at GOGC=100, lets the heap grow to twice its live size
	// before collecting, which put the node's RSS at 1,026 MB in one CI run
	// (876 and 719 MB in replays of the same seed). The runtime's soft limit
	// (GOMEMLIMIT, which an operator sets the same way) makes it collect
	// before that headroom is spent.
	n := newNode(t, "--statement-memory-limit", "128MB")
	n.env = []string{"GOMEMLIMIT=640MiB"}
	n.start()
	p := startProxy(t, n, "")
	setup := n.connect(t)
	mustExec(t, setup, "CREATE TABLE soak (a int, b text)")
	var rows []string
	for i := 1; i <= 300; i++ {
		rows = append(rows, fmt.Sprintf("(%d, 'row %d %s')", i, i, strings.Repeat("v", i%40)))
	}
	mustExec(t, setup, "INSERT INTO soak VALUES "+strings.Join(rows, ", "))

	s := &soak{t: t, seed: seed, node: n, proxy: p, codes: map[string]int{}, first: map[string]string{}}
	s.rss = newRSSWatch(map[string]int{"node": n.cmd.Process.Pid, "proxy": p.cmd.Process.Pid})
	defer s.rss.stop()

	deadline := time.Now().Add(dur)
	for round := 0; time.Now().Before(deadline); round++ {
		roundEnd := time.Now().Add(min(10*time.Second, time.Until(deadline)))
		var wg sync.WaitGroup
		for w := range soakWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.worker(seed+int64(round*soakWorkers+w), roundEnd)
			}()
		}
		wg.Wait()
		s.checkAlive(round)
		if t.Failed() {
			break
		}
	}
	s.rss.stop()
	peak := s.rss.peaks()
	t.Logf("seed %d: %d statements, max RSS node %d MB, proxy %d MB; SQLSTATEs %s",
		seed, s.sent.Load(), peak["node"]>>20, peak["proxy"]>>20, s.histogram())
	for name, v := range peak {
		if v >= soakRSSLimit {
			t.Errorf("seed %d: %s RSS peaked at %d MB (limit 1024 MB)", seed, name, v>>20)
		}
	}
	s.rssSettles()
	if t.Failed() {
		for name, logs := range map[string]string{"node": n.logs.String(), "proxy": p.logs.String()} {
			// A recovered panic (net/http's "http: panic serving") is followed
			// by its stack: print it whole.
			stack := 0
			for _, line := range strings.Split(logs, "\n") {
				if strings.Contains(line, "panic") || strings.Contains(line, "level=ERROR") {
					stack = 40
				}
				if stack > 0 {
					stack--
					t.Logf("%s log: %.2000s", name, line)
				}
			}
		}
	}
}

type soak struct {
	t     *testing.T
	seed  int64
	node  *nodeProc
	proxy *proxyProc
	rss   *rssWatch
	big   sync.Mutex // one statement at a time that may hold hundreds of MB
	sent  atomic.Int64
	mu    sync.Mutex
	codes map[string]int
	first map[string]string // a sample statement per SQLSTATE, for the log
}

func (s *soak) count(code string, st soakStmt) {
	s.mu.Lock()
	if _, ok := s.first[code]; !ok {
		s.first[code] = fmt.Sprintf("%s (%d bytes): %.120q", st.kind, len(st.sql), st.sql)
	}
	s.codes[code]++
	s.mu.Unlock()
}

func (s *soak) histogram() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.codes))
	for k := range s.codes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %s=%d, e.g. %s", k, s.codes[k], s.first[k])
	}
	return b.String()
}

// worker sends generated statements until end over one connection at a
// time, to the node or through the proxy, reconnecting after it drops one.
func (s *soak) worker(seed int64, end time.Time) {
	r := rand.New(rand.NewSource(seed))
	g := &soakGen{r: r}
	var conn *pgx.Conn
	var where, prev string // for failure messages
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for time.Now().Before(end) && !s.t.Failed() {
		st := g.next()
		if r.Intn(20) == 0 {
			s.http(seed, st)
			continue
		}
		if conn == nil {
			conn, where = s.connect(seed, r)
			prev = "none"
			if conn == nil {
				return
			}
		}
		if st.big {
			s.big.Lock()
		}
		keep := s.run(seed, r, conn, st, where+", previous: "+prev)
		prev = st.kind
		if st.big {
			s.big.Unlock()
		}
		if !keep {
			conn.Close(context.Background())
			conn = nil
		}
	}
}

func (s *soak) connect(seed int64, r *rand.Rand) (*pgx.Conn, string) {
	dsn, where := s.node.dsn(), "node"
	if r.Intn(2) == 0 {
		dsn, where = s.proxy.dsn(), "proxy"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err == nil {
		_, err = c.Exec(ctx, "SET statement_timeout = '"+soakStmtTimeout+"'")
	}
	if err != nil {
		s.t.Errorf("run seed %d, worker seed %d: connect to %s: %v", s.seed, seed, where, err)
		return nil, where
	}
	return c, where
}

// run sends one statement in one of five ways and checks the outcome. It
// reports whether the connection is still usable.
func (s *soak) run(seed int64, r *rand.Rand, c *pgx.Conn, st soakStmt, via string) bool {
	s.sent.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), soakHang)
	defer cancel()
	mode := r.Intn(10)
	var stop func()
	switch {
	case mode == 0: // CancelRequest mid-statement
		t := time.AfterFunc(time.Duration(r.Intn(300))*time.Millisecond, func() {
			cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer ccancel()
			c.PgConn().CancelRequest(cctx)
		})
		stop = func() { t.Stop() }
	case mode == 1: // the client vanishes mid-statement
		t := time.AfterFunc(time.Duration(r.Intn(300))*time.Millisecond, func() { c.PgConn().Conn().Close() })
		stop = func() { t.Stop() }
	}
	start := time.Now()
	var err error
	if mode%2 == 0 && !strings.Contains(st.sql, ";") {
		// Extended protocol: Parse/Bind/Execute.
		err = c.PgConn().ExecParams(ctx, st.sql, nil, nil, nil, nil).Read().Err
	} else {
		_, err = c.PgConn().Exec(ctx, st.sql).ReadAll()
	}
	if stop != nil {
		stop()
	}
	if time.Since(start) >= soakHang || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		s.t.Errorf("run seed %d, worker seed %d: statement hung for %v (%s, %d bytes): %.200q", s.seed, seed, time.Since(start), st.kind, len(st.sql), st.sql)
		return false
	}
	if err == nil {
		s.count("ok", st)
		return mode != 1 // the close may land just after the statement
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		s.checkCode(seed, pe.Code, st, err)
		return mode != 1 && !c.PgConn().IsClosed()
	}
	if mode == 1 {
		s.count("disconnected", st)
		return false
	}
	s.t.Errorf("run seed %d, worker seed %d: %s (%d bytes) lost the connection (via %s, mode %d): %v: %.200q", s.seed, seed, st.kind, len(st.sql), via, mode, err, st.sql)
	return false
}

func (s *soak) checkCode(seed int64, code string, st soakStmt, err error) {
	s.count(code, st)
	if !sqlstateRE.MatchString(code) || !soakClasses[code[:2]] {
		s.t.Errorf("run seed %d, worker seed %d: %s (%d bytes) answered SQLSTATE %q: %v: %.200q", s.seed, seed, st.kind, len(st.sql), code, err, st.sql)
	}
}

// http sends the statement to the node's POST /query.
func (s *soak) http(seed int64, st soakStmt) {
	s.sent.Add(1)
	if st.big {
		s.big.Lock()
		defer s.big.Unlock()
	}
	body, _ := json.Marshal(map[string]string{"sql": st.sql})
	out, err := httpPost(fmt.Sprintf("http://127.0.0.1:%d/query", s.node.httpPort), string(body))
	if err != nil {
		s.t.Errorf("run seed %d, worker seed %d: HTTP /query %s (%d bytes): %v", s.seed, seed, st.kind, len(st.sql), err)
		return
	}
	var res struct {
		Code    string `json:"code"`
		Command string `json:"command"`
	}
	if json.Unmarshal([]byte(out), &res) != nil {
		s.t.Errorf("run seed %d, worker seed %d: HTTP /query %s: not JSON: %.300s", s.seed, seed, st.kind, out)
		return
	}
	if res.Code == "" {
		s.count("ok", st)
		return
	}
	s.checkCode(seed, res.Code, st, errors.New(out))
}

// checkAlive: both processes still run and answer SELECT 1.
func (s *soak) checkAlive(round int) {
	for _, c := range []struct{ name, dsn string }{{"node", s.node.dsn()}, {"proxy", s.proxy.dsn()}} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		conn, err := pgx.Connect(ctx, c.dsn)
		var one int
		if err == nil {
			err = conn.QueryRow(ctx, "SELECT 1").Scan(&one)
			conn.Close(ctx)
		}
		cancel()
		if err != nil || one != 1 {
			s.t.Errorf("seed %d, after round %d: %s does not answer SELECT 1: %v\nnode log tail:\n%s\nproxy log tail:\n%s",
				s.seed, round, c.name, err, tailOf(s.node.logs.String(), 40), tailOf(s.proxy.logs.String(), 40))
		}
	}
}

// rssSettles: after the run each process's RSS returns below soakRSSAfter.
func (s *soak) rssSettles() {
	for name, pid := range s.rss.pids {
		var v int64
		for i := 0; i < 60; i++ {
			v = vmRSS(pid)
			if v < soakRSSAfter {
				break
			}
			time.Sleep(time.Second)
		}
		s.t.Logf("%s RSS after the run: %d MB", name, v>>20)
		if v >= soakRSSAfter {
			s.t.Errorf("seed %d: %s RSS stays at %d MB after the run (want < %d MB)", s.seed, name, v>>20, soakRSSAfter>>20)
		}
	}
}

func tailOf(s string, lines int) string {
	l := strings.Split(s, "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

// TestStatementTimeoutStopsPerRowBigValues: found by the soak — an
// aggregate over 300 rows that each build a ~300 MB value ran a minute past
// its statement_timeout (the executor looked at the context every 256
// rows only); it must stop within a few seconds with 57014.
func TestStatementTimeoutStopsPerRowBigValues(t *testing.T) {
	n := newNode(t)
	n.start()
	c := n.connect(t)
	var rows []string
	for i := 1; i <= 300; i++ {
		rows = append(rows, fmt.Sprintf("(%d, 'row %d %s')", i, i, strings.Repeat("v", i%40)))
	}
	mustExec(t, c, "CREATE TABLE big (a int, b text)")
	mustExec(t, c, "INSERT INTO big VALUES "+strings.Join(rows, ", "))
	mustExec(t, c, "SET statement_timeout = '1s'")
	start := time.Now()
	_, err := c.Exec(context.Background(), "SELECT max(length(repeat(b, 6710887))) FROM big")
	if took := time.Since(start); pgCode(err) != "57014" || took > 10*time.Second {
		t.Fatalf("statement_timeout 1s: %v after %v", err, took)
	}
}
