package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The HA tutorial's Part 2 (local deployment), as printed: the three
// `$HELIOSDB_BIN start` commands, the proxy.toml and the proxy command.
// Only /tmp/heliosdb-ha is replaced by the test's own directory.
const (
	tutorialPrimary = `$HELIOSDB_BIN start \
  --data-dir /tmp/heliosdb-ha/primary \
  --pg-port 5432 \
  --native-port 5433 \
  --http-port 8080 \
  --node-id primary \
  --replication-role primary \
  --replication-mode sync
`
	tutorialStandbySync = `$HELIOSDB_BIN start \
  --data-dir /tmp/heliosdb-ha/standby-sync \
  --pg-port 5442 \
  --native-port 5443 \
  --http-port 8081 \
  --node-id standby-sync \
  --replication-role standby \
  --primary-host localhost \
  --primary-port 5433 \
  --replication-mode sync
`
	tutorialStandbyAsync = `$HELIOSDB_BIN start \
  --data-dir /tmp/heliosdb-ha/standby-async \
  --pg-port 5452 \
  --native-port 5453 \
  --http-port 8082 \
  --node-id standby-async \
  --replication-role standby \
  --primary-host localhost \
  --primary-port 5433 \
  --replication-mode async
`
	tutorialProxyTOML = `[proxy]
listen_addr = "0.0.0.0:5400"
admin_addr = "0.0.0.0:9090"
health_check_interval_secs = 5
failure_threshold = 3
write_timeout_secs = 30

[[nodes]]
name = "primary"
host = "localhost"
port = 5432
role = "primary"
enabled = true

[[nodes]]
name = "standby-sync"
host = "localhost"
port = 5442
role = "standby"
enabled = true

[[nodes]]
name = "standby-async"
host = "localhost"
port = 5452
role = "standby"
enabled = true
`
	tutorialProxy = "$HELIOSPROXY_BIN --config /tmp/heliosdb-ha/proxy.toml\n"
	// failover_timeout_secs is not in the tutorial's file: its default.
	tutorialFailoverTimeout = 10 * time.Second
)

var (
	proxyBinOnce sync.Once
	proxyBin     string
	proxyBinErr  error
)

// buildProxy builds heliosdb-proxy once per test binary.
func buildProxy(t *testing.T) string {
	t.Helper()
	proxyBinOnce.Do(func() {
		proxyBin = filepath.Join(filepath.Dir(nanoBin), "heliosdb-proxy")
		out, err := exec.Command("go", "build", "-o", proxyBin, "../cmd/heliosdb-proxy").CombinedOutput()
		if err != nil {
			proxyBinErr = fmt.Errorf("building heliosdb-proxy: %v\n%s", err, out)
		}
	})
	if proxyBinErr != nil {
		t.Fatal(proxyBinErr)
	}
	return proxyBin
}

// lockFixedPorts serialises the tests that use the tutorial's fixed ports.
func lockFixedPorts(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile("/tmp/heliosdb-fixed-ports.lock", os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}

// tutorialProc is one of the tutorial's commands, run by bash from a
// script file holding exactly the tutorial's text, in its own process
// group (kill -9 reaches the binary, not only bash).
type tutorialProc struct {
	name string
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan struct{}
}

type tutorialCluster struct {
	t     *testing.T
	base  string
	env   []string
	procs map[string]*tutorialProc
}

func newTutorialCluster(t *testing.T) *tutorialCluster {
	lockFixedPorts(t)
	c := &tutorialCluster{t: t, base: t.TempDir(), procs: map[string]*tutorialProc{}}
	c.env = append(os.Environ(), "HELIOSDB_BIN="+nanoBin, "HELIOSPROXY_BIN="+buildProxy(t))
	// Step 1: mkdir -p /tmp/heliosdb-ha/{primary,standby-sync,standby-async}
	for _, d := range []string{"primary", "standby-sync", "standby-async"} {
		if err := os.MkdirAll(filepath.Join(c.base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(c.stopAll)
	return c
}

func (c *tutorialCluster) text(s string) string {
	return strings.ReplaceAll(s, "/tmp/heliosdb-ha", c.base)
}

// run starts one tutorial command under name and returns at once.
func (c *tutorialCluster) run(name, script string) *tutorialProc {
	c.t.Helper()
	path := filepath.Join(c.base, name+".sh")
	if err := os.WriteFile(path, []byte(c.text(script)), 0o644); err != nil {
		c.t.Fatal(err)
	}
	p := &tutorialProc{name: name, logs: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command("bash", path)
	p.cmd.Env, p.cmd.Stdout, p.cmd.Stderr = c.env, p.logs, p.logs
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	c.procs[name] = p
	return p
}

// kill9 kills name's process group with SIGKILL and waits for it.
func (c *tutorialCluster) kill9(name string) {
	p := c.procs[name]
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

func (c *tutorialCluster) stopAll() {
	for _, p := range c.procs {
		select {
		case <-p.done:
			continue
		default:
		}
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	}
	for _, p := range c.procs {
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
		if c.t.Failed() {
			c.t.Logf("--- %s log (tail) ---\n%s", p.name, tail(p.logs.String(), 4000))
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// waitSQL waits until the PostgreSQL port answers SELECT 1.
func (c *tutorialCluster) waitSQL(name string, port int) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, localDSN(port))
		if err == nil {
			_, err = conn.Exec(ctx, "SELECT 1")
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return
		}
		select {
		case <-c.procs[name].done:
			c.t.Fatalf("%s exited:\n%s", name, c.procs[name].logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	c.t.Fatalf("%s does not answer on port %d:\n%s", name, port, c.procs[name].logs.String())
}

func localDSN(port int) string {
	return fmt.Sprintf("postgres://helios:helios@localhost:%d/heliosdb?sslmode=disable&connect_timeout=5", port)
}

// proxyNode is one entry of the proxy's GET /nodes.
type proxyNode struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	Healthy bool   `json:"healthy"`
	LSN     string `json:"lsn"`
	Term    uint64 `json:"term"`
}

func proxyNodes(t *testing.T) []proxyNode {
	t.Helper()
	code, body, err := httpGet("http://localhost:9090/nodes")
	if err != nil || code != 200 {
		t.Fatalf("GET /nodes: %d %v %s", code, err, body)
	}
	var out []proxyNode
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("GET /nodes: %v: %s", err, body)
	}
	return out
}

// startTutorialCluster runs Part 2 Steps 1–5 and waits until the proxy
// answers.
func startTutorialCluster(t *testing.T) *tutorialCluster {
	c := newTutorialCluster(t)
	c.run("primary", tutorialPrimary)
	c.waitSQL("primary", 5432)
	c.run("standby-sync", tutorialStandbySync)
	c.run("standby-async", tutorialStandbyAsync)
	c.waitSQL("standby-sync", 5442)
	c.waitSQL("standby-async", 5452)
	if err := os.WriteFile(filepath.Join(c.base, "proxy.toml"), []byte(tutorialProxyTOML), 0o644); err != nil {
		t.Fatal(err)
	}
	c.run("proxy", tutorialProxy)
	c.waitSQL("proxy", 5400)
	return c
}

// ackedWriter inserts rows through the proxy, one at a time, and records
// which were acknowledged and when.
type ackedWriter struct {
	mu    sync.Mutex
	acked []int
	times []time.Time
	errs  []string
	stop  chan struct{}
	done  chan struct{}
}

func startWriter(t *testing.T) *ackedWriter {
	w := &ackedWriter{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		var conn *pgx.Conn
		defer func() {
			if conn != nil {
				conn.Close(context.Background())
			}
		}()
		for id := 1; ; id++ {
			select {
			case <-w.stop:
				return
			default:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			var err error
			if conn == nil {
				conn, err = pgx.Connect(ctx, localDSN(5400))
			}
			if err == nil {
				_, err = conn.Exec(ctx, "INSERT INTO tutorial_writes (id, v) VALUES ($1, 'w')", id)
			}
			cancel()
			w.mu.Lock()
			if err == nil {
				w.acked, w.times = append(w.acked, id), append(w.times, time.Now())
			} else {
				w.errs = append(w.errs, fmt.Sprintf("%s id %d: %v", time.Now().Format("15:04:05.000"), id, err))
				if conn != nil && conn.IsClosed() {
					conn = nil
				}
			}
			w.mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return w
}

// firstAckAfter is the time of the first acknowledgment after at.
func (w *ackedWriter) firstAckAfter(at time.Time) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ts := range w.times {
		if ts.After(at) {
			return ts, true
		}
	}
	return time.Time{}, false
}

func (w *ackedWriter) halt() ([]int, []string) {
	close(w.stop)
	<-w.done
	return w.acked, w.errs
}

// TestTutorialLocalSwitchoverAndFailover follows the tutorial's Part 2 to
// the letter (no http_port keys), then Part 7 (switchover.sh through the
// proxy) and Part 8 (kill -9 of the primary): writes through the proxy
// resume within failover_timeout_secs + 2 s and no acknowledged write is
// lost.
func TestTutorialLocalSwitchoverAndFailover(t *testing.T) {
	c := startTutorialCluster(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, localDSN(5400))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	mustExec(t, admin, "CREATE TABLE tutorial_writes (id INTEGER PRIMARY KEY, v TEXT)")
	checkMonitoring(t)
	w := startWriter(t)
	time.Sleep(time.Second)

	// Part 7: the switchover script, pointed at the local ports.
	sw := exec.Command("bash", "docker/switchover.sh", "5432", "5442")
	sw.Env = append(os.Environ(), "PROXY_ADMIN_PORT=9090", "PRIMARY_PORT=5432", "PRIMARY_HTTP_PORT=8080",
		"STANDBY_SYNC_PORT=5442", "STANDBY_SYNC_HTTP_PORT=8081", "STANDBY_ASYNC_PORT=5452", "STANDBY_ASYNC_HTTP_PORT=8082",
		"SWITCHOVER_VIA=proxy", "HOST=localhost")
	out, err := sw.CombinedOutput()
	if err != nil {
		w.halt()
		t.Fatalf("switchover.sh 5432 5442: %v\n%s", err, out)
	}
	t.Logf("switchover.sh:\n%s", out)
	if p := currentPrimary(t); p != "standby-sync" {
		w.halt()
		t.Fatalf("after the switchover the proxy sees primary %q, want standby-sync", p)
	}
	time.Sleep(2 * time.Second) // leases renewed on the new primary; writes go on

	// Part 8: the primary fails (kill -9, not a clean stop).
	killed := time.Now()
	c.kill9("standby-sync")
	resumed := false
	var at time.Time
	for time.Since(killed) < tutorialFailoverTimeout+15*time.Second {
		if at, resumed = w.firstAckAfter(killed.Add(100 * time.Millisecond)); resumed {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	acked, errs := w.halt()
	if !resumed {
		t.Fatalf("no write through the proxy succeeded within %s of kill -9 of the primary; writer errors: %v; failover: %s",
			tutorialFailoverTimeout+15*time.Second, errs, failoverState())
	}
	pause := at.Sub(killed)
	t.Logf("writes resumed %s after kill -9 of the primary (failover_timeout_secs %s); %d writes acknowledged, %d failed: %v",
		pause.Round(time.Millisecond), tutorialFailoverTimeout, len(acked), len(errs), errs)
	if pause > tutorialFailoverTimeout+2*time.Second {
		t.Errorf("writes resumed after %s, want at most failover_timeout_secs + 2s = %s", pause, tutorialFailoverTimeout+2*time.Second)
	}
	if p := currentPrimary(t); p != "primary" {
		t.Errorf("after the failover the proxy sees primary %q, want primary", p)
	}
	// Every acknowledged write is on the new primary (a transaction goes
	// to the primary).
	tx, err := admin.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(ctx, "SELECT id FROM tutorial_writes")
	if err != nil {
		t.Fatal(err)
	}
	have := map[int]bool{}
	for rows.Next() {
		var id int
		rows.Scan(&id)
		have[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	tx.Commit(ctx)
	lost := 0
	for _, id := range acked {
		if !have[id] {
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged writes lost after the failover", lost, len(acked))
	}
}

func currentPrimary(t *testing.T) string {
	for _, n := range proxyNodes(t) {
		if n.Healthy && n.Role == "primary" {
			return n.Name
		}
	}
	return ""
}

func failoverState() string {
	_, body, err := httpGet("http://localhost:9090/failover")
	if err != nil {
		return err.Error()
	}
	return body
}

// checkMonitoring is Part 6: GET /nodes shows the nodes' LSNs as they
// are now (not as of the last periodic probe), and SHOW TOPOLOGY gives the
// same rows, one per node with its addresses and state, on every node.
func checkMonitoring(t *testing.T) {
	ctx := context.Background()
	primary, err := pgx.Connect(ctx, localDSN(5432))
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close(ctx)
	mustExec(t, primary, "CREATE TABLE tutorial_monitor (id INTEGER PRIMARY KEY)")
	mustExec(t, primary, "INSERT INTO tutorial_monitor VALUES (1), (2), (3)")
	var current string
	if err := primary.QueryRow(ctx, "SELECT current_lsn::text FROM helios_node").Scan(&current); err != nil {
		t.Fatal(err)
	}
	for _, n := range proxyNodes(t) { // the first answer after the write
		if n.Name == "primary" && n.LSN != current {
			t.Errorf("GET /nodes right after a write: primary lsn %s, the node says %s", n.LSN, current)
		}
		if n.LSN == "0/0" {
			t.Errorf("GET /nodes: %s lsn 0/0", n.Name)
		}
	}
	const q = "SELECT node_id, role, coalesce(address, ''), coalesce(native_address, ''), healthy, state, term FROM helios_topology ORDER BY node_id"
	var views [3]string
	deadline := time.Now().Add(10 * time.Second)
	for {
		for i, port := range []int{5432, 5442, 5452} {
			views[i] = topologyRows(t, port, q)
		}
		if views[0] == views[1] && views[1] == views[2] && strings.Count(views[0], "\n") == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("SHOW TOPOLOGY differs between nodes or lacks a node:\nprimary:\n%s\nstandby-sync:\n%s\nstandby-async:\n%s", views[0], views[1], views[2])
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("SHOW TOPOLOGY (every node):\n%s", views[0])
	for _, port := range []int{5442, 5452} { // SHOW TOPOLOGY as the tutorial runs it
		cmd := exec.Command("psql", "-X", "-h", "localhost", "-p", fmt.Sprint(port), "-U", "helios", "-d", "heliosdb", "-c", "SHOW TOPOLOGY;")
		cmd.Env = append(os.Environ(), "PGPASSWORD=helios")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "(3 rows)") {
			t.Errorf("psql -p %d -c 'SHOW TOPOLOGY;': %v\n%s", port, err, out)
		}
	}
}

func topologyRows(t *testing.T, port int, q string) string {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, localDSN(port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, q)
	if err != nil {
		t.Fatalf("port %d: %s: %v", port, q, err)
	}
	var b strings.Builder
	for rows.Next() {
		var id, role, addr, native, state string
		var healthy bool
		var term int64
		if err := rows.Scan(&id, &role, &addr, &native, &healthy, &state, &term); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s %s %s %t %s %d\n", id, role, addr, native, healthy, state, term)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("port %d: %v", port, err)
	}
	return b.String()
}

// TestMakeRunWritesTutorialProxyTOML: scripts/local-cluster.sh (make run)
// writes the tutorial's proxy.toml byte for byte — the proxy needs no
// http_port keys to reach the nodes' HTTP APIs.
func TestMakeRunWritesTutorialProxyTOML(t *testing.T) {
	raw, err := os.ReadFile("../scripts/local-cluster.sh")
	if err != nil {
		t.Fatal(err)
	}
	const open = "cat > \"$BASE/proxy.toml\" <<'TOML'\n"
	s := string(raw)
	i := strings.Index(s, open)
	if i < 0 {
		t.Fatal("scripts/local-cluster.sh writes no proxy.toml heredoc")
	}
	body := s[i+len(open):]
	j := strings.Index(body, "\nTOML\n")
	if j < 0 {
		t.Fatal("unterminated proxy.toml heredoc")
	}
	if got := body[:j+1]; got != tutorialProxyTOML {
		t.Fatalf("make run's proxy.toml differs from the tutorial's:\n%s\nwant:\n%s", got, tutorialProxyTOML)
	}
}
