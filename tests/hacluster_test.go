package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliosdb/nano/internal/faultnet"
	"github.com/heliosdb/nano/internal/fstest"
)

// The process harness of the HA tests that run real binaries under faults
// (pause_test.go, faults_test.go, degraded_restart_test.go): three
// heliosdb-nano processes — n1 the primary, n2 a standby in the cluster's
// mode, n3 an async standby (haOptions.twoNodes: none) — and a
// heliosdb-proxy process with automatic failover, on 127.0.0.1. A test
// can kill -9 a node or the proxy and start it again, SIGSTOP/SIGCONT a
// node, and wait for the cluster to settle; with faultProxies every port
// of every node sits behind an in-process TCP fault proxy
// (internal/faultnet) that the proxy and the other nodes go through.

// haOptions shapes an haCluster.
type haOptions struct {
	// mode is the replication mode of n1 and n2, "sync" or "async"; n3 is
	// always async.
	mode string
	// nodeFlags are given to every node after the harness's own (node id,
	// role, primary, mode).
	nodeFlags []string
	// faultProxies puts each node's PostgreSQL, HTTP and native ports
	// behind a faultnet.Proxy; heliosdb-proxy and the standbys use them.
	faultProxies bool
	// tmpfs, as root, puts each node's data dir on its own small tmpfs
	// (disk-full faults fill it with a ballast file).
	tmpfs bool
	// proxyConf are extra lines of the proxy's [proxy] section.
	proxyConf string
	// settleProxySync: settled also waits for the proxy to report
	// sync_state "sync".
	settleProxySync bool
	// twoNodes: only n1 and n2.
	twoNodes bool
	// nodeEnv is added to every node's environment (e.g.
	// HELIOSDB_TEST_WAL_SYNC_MARK=1 for power cuts).
	nodeEnv []string
}

// haNode is one heliosdb-nano process of an haCluster.
type haNode struct {
	*nodeProc
	id               string
	pg, http, native *faultnet.Proxy // nil without haOptions.faultProxies
	logs             *ringBuffer
	mnt, ballast     string // tmpfs data volume (as root), for disk-full
	mu               sync.Mutex
	down             bool   // killed by the test
	exited           string // exited on its own: how
	proc             *exec.Cmd
	exitedCh         chan struct{}
}

// haCluster is the three nodes and the proxy.
type haCluster struct {
	t     *testing.T
	mode  string
	opt   haOptions
	nodes []*haNode
	byID  map[string]*haNode

	proxyMu sync.Mutex
	proxy   *exec.Cmd
	// proxyDone is closed when the proxy process exits.
	proxyDone            chan struct{}
	proxyLog             *ringBuffer
	proxyPort, adminPort int
	proxyConf            string
	proxyKilled          bool
	proxyCrashed         string
}

// startHACluster starts the nodes (each accepting SQL before the next
// starts) and the proxy, and waits until the proxy has granted n1 its
// lease.
func startHACluster(t *testing.T, opt haOptions) *haCluster {
	c := &haCluster{t: t, mode: opt.mode, opt: opt, byID: map[string]*haNode{}}
	canFill := opt.tmpfs && os.Geteuid() == 0
	ids := []string{"n1", "n2", "n3"}
	if opt.twoNodes {
		ids = ids[:2]
	}
	for i, id := range ids {
		n := &haNode{id: id, nodeProc: newNode(t)}
		n.nativePort = freePort(t)
		n.env = opt.nodeEnv
		if canFill {
			n.mnt = fstest.MountTmpfs(t, 256<<20)
			n.dataDir = filepath.Join(n.mnt, "data")
			n.ballast = filepath.Join(n.mnt, "ballast")
		}
		if opt.faultProxies {
			var err error
			for _, fp := range []struct {
				p    **faultnet.Proxy
				port int
			}{{&n.pg, n.pgPort}, {&n.http, n.httpPort}, {&n.native, n.nativePort}} {
				if *fp.p, err = faultnet.Listen(fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", fp.port)); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { (*fp.p).Close() })
			}
		}
		c.nodes = append(c.nodes, n)
		c.byID[id] = n
		flags := []string{"--node-id", id}
		switch {
		case i == 0:
			flags = append(flags, "--replication-role", "primary", "--replication-mode", opt.mode)
		default:
			m := opt.mode
			if i == 2 {
				m = "async"
			}
			flags = append(flags, "--replication-role", "standby", "--primary-host", "127.0.0.1",
				"--primary-port", strconv.Itoa(c.nodes[0].nativeAddrPort()), "--replication-mode", m)
		}
		n.extra = append(flags, opt.nodeFlags...)
		n.launch(t)
		n.waitSQL(t)
	}
	c.startProxy(t)
	return c
}

// Ports as the proxy and the other nodes reach them: through the fault
// proxies when there are some.
func (n *haNode) pgAddrPort() int {
	if n.pg != nil {
		return n.pg.Port()
	}
	return n.pgPort
}

func (n *haNode) httpAddrPort() int {
	if n.http != nil {
		return n.http.Port()
	}
	return n.httpPort
}

func (n *haNode) nativeAddrPort() int {
	if n.native != nil {
		return n.native.Port()
	}
	return n.nativePort
}

// faultProxies are the node's fault proxies (none without them).
func (n *haNode) faultProxies() []*faultnet.Proxy {
	if n.pg == nil {
		return nil
	}
	return []*faultnet.Proxy{n.pg, n.http, n.native}
}

// launch starts the process without waiting for it.
func (n *haNode) launch(t testing.TB) {
	if n.logs == nil {
		n.logs = &ringBuffer{max: 4 << 20}
		n.nodeProc.logs = n.logs // what nodeProc's helpers print
	}
	cmd := exec.Command(nanoBin, n.args()...)
	if len(n.env) > 0 {
		cmd.Env = append(os.Environ(), n.env...)
	}
	cmd.Stdout, cmd.Stderr = n.logs, n.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.mu.Lock()
	n.proc, n.cmd, n.down, n.exitedCh = cmd, cmd, false, make(chan struct{})
	done := n.exitedCh
	n.mu.Unlock()
	go func() {
		err := cmd.Wait()
		n.mu.Lock()
		if !n.down && n.proc == cmd {
			n.exited = fmt.Sprintf("%s exited on its own: %v; log tail:\n%s", n.id, err, n.logs.tail(40))
		}
		n.mu.Unlock()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
		<-done
	})
}

// crashed says how the process exited on its own ("" if it did not).
func (n *haNode) crashed() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.exited
}

// kill9 kills the process and waits for it to be gone.
func (n *haNode) kill9() {
	n.mu.Lock()
	n.down = true
	cmd, done := n.proc, n.exitedCh
	n.mu.Unlock()
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

func (n *haNode) isDown() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.down || n.exited != ""
}

// signal sends s to the process (SIGSTOP, SIGCONT).
func (n *haNode) signal(s syscall.Signal) error {
	n.mu.Lock()
	cmd := n.proc
	n.mu.Unlock()
	return cmd.Process.Signal(s)
}

func (n *haNode) waitSQL(t testing.TB) {
	eventually(t, 30*time.Second, n.id+" accepting SQL", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, n.dsn())
		if err != nil {
			return false, fmt.Sprintf("%v; log:\n%s", err, n.logs.tail(20))
		}
		c.Close(ctx)
		return true, ""
	})
}

// connectDirect connects to the node itself, not through a fault proxy.
func (n *haNode) connectDirect(t testing.TB) *pgx.Conn {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, n.dsn())
	if err != nil {
		t.Fatalf("connect %s: %v", n.id, err)
	}
	return c
}

// haStatus is the part of a node's GET /status the HA tests read.
type haStatus struct {
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

// status reads the node's GET /status directly.
func (n *haNode) status() (haStatus, error) {
	var st haStatus
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

func (c *haCluster) proxyDSN() string {
	return fmt.Sprintf("postgres://helios:helios@127.0.0.1:%d/heliosdb?sslmode=disable&connect_timeout=5", c.proxyPort)
}

func (c *haCluster) startProxy(t *testing.T) {
	c.proxyPort, c.adminPort = freePort(t), freePort(t)
	var b strings.Builder
	fmt.Fprintf(&b, "[proxy]\nlisten_addr = \"127.0.0.1:%d\"\nadmin_addr = \"127.0.0.1:%d\"\n", c.proxyPort, c.adminPort)
	fmt.Fprintf(&b, "health_check_interval_secs = 0.2\nfailure_threshold = 2\nauto_failover = true\n")
	b.WriteString(c.opt.proxyConf)
	for i, n := range c.nodes {
		role := "standby"
		if i == 0 {
			role = "primary"
		}
		fmt.Fprintf(&b, "\n[[nodes]]\nname = %q\nhost = \"127.0.0.1\"\nport = %d\nrole = %q\nhttp_port = %d\nnative_port = %d\n",
			n.id, n.pgAddrPort(), role, n.httpAddrPort(), n.nativeAddrPort())
	}
	c.proxyConf = filepath.Join(t.TempDir(), "proxy.toml")
	if err := os.WriteFile(c.proxyConf, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	c.proxyLog = &ringBuffer{max: 4 << 20}
	c.launchProxy(t)
	eventually(t, 30*time.Second, "the proxy's lease on the primary", func() (bool, string) {
		fs, err := c.failover()
		want := "sync"
		if c.mode == "async" {
			want = fs.SyncState
		}
		return err == nil && fs.Primary == "n1" && fs.SyncState == want, fmt.Sprintf("%+v %v\n%s", fs, err, c.proxyLog.tail(20))
	})
}

func (c *haCluster) launchProxy(t testing.TB) {
	cmd := exec.Command(buildProxy(c.t), "--config", c.proxyConf, "--log-level", "info")
	cmd.Stdout, cmd.Stderr = c.proxyLog, c.proxyLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	c.proxyMu.Lock()
	c.proxy, c.proxyDone, c.proxyKilled = cmd, done, false
	c.proxyMu.Unlock()
	go func() {
		err := cmd.Wait()
		c.proxyMu.Lock()
		if !c.proxyKilled && c.proxy == cmd {
			c.proxyCrashed = fmt.Sprintf("heliosdb-proxy exited on its own: %v; log tail:\n%s", err, c.proxyLog.tail(40))
		}
		c.proxyMu.Unlock()
		close(done)
	}()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
}

func (c *haCluster) killProxy() {
	c.proxyMu.Lock()
	c.proxyKilled = true
	cmd, done := c.proxy, c.proxyDone
	c.proxyMu.Unlock()
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// proxyFailover is the part of the proxy's GET /failover the tests read.
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

func (c *haCluster) failover() (proxyFailover, error) {
	var fs proxyFailover
	resp, err := quickGet(fmt.Sprintf("http://127.0.0.1:%d/failover", c.adminPort))
	if err != nil {
		return fs, err
	}
	defer resp.Body.Close()
	return fs, json.NewDecoder(resp.Body).Decode(&fs)
}

// primary is the node the proxy names primary, else the running node
// that says it is primary with the highest term, else nil.
func (c *haCluster) primary() *haNode {
	if fs, err := c.failover(); err == nil && c.byID[fs.Primary] != nil {
		return c.byID[fs.Primary]
	}
	var best *haNode
	var term uint64
	for _, n := range c.nodes {
		if st, err := n.status(); err == nil && st.Role == "primary" && st.Term >= term {
			best, term = n, st.Term
		}
	}
	return best
}

// healAll ends every fault: links healed, processes resumed and
// restarted, ballast removed, the proxy running.
func (c *haCluster) healAll() {
	for _, n := range c.nodes {
		for _, fp := range n.faultProxies() {
			fp.Heal()
		}
		if n.ballast != "" {
			os.Remove(n.ballast)
		}
		n.signal(syscall.SIGCONT)
		if n.isDown() && n.crashed() == "" {
			n.launch(c.t)
		}
	}
	c.proxyMu.Lock()
	killed := c.proxyKilled
	c.proxyMu.Unlock()
	if killed {
		c.launchProxy(c.t)
	}
}

// settled waits until one node is primary with the highest term, every
// other node streams from it and has applied its whole WAL, in sync mode
// the primary is in sync, and the proxy grants it its lease (and, with
// settleProxySync, reports sync). It returns the primary.
func (c *haCluster) settled(t testing.TB, timeout time.Duration) *haNode {
	t.Helper()
	var primary *haNode
	eventually(t, timeout, "the cluster to settle", func() (bool, string) {
		primary = nil
		sts := map[string]haStatus{}
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
		if c.mode == "sync" && p.Replication.SyncState != "sync" {
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
		if err != nil || fs.Primary != primary.id || fs.Term != p.Term || fs.DownSince != nil ||
			(c.opt.settleProxySync && fs.SyncState != "sync") {
			return false, fmt.Sprintf("proxy: %+v %v", fs, err)
		}
		return true, ""
	})
	return primary
}

// ringBuffer keeps the last max bytes a process wrote (long runs).
type ringBuffer struct {
	mu  sync.Mutex
	b   []byte
	max int
}

func (r *ringBuffer) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.b = append(r.b, p...)
	if len(r.b) > r.max {
		r.b = append([]byte(nil), r.b[len(r.b)-r.max/2:]...)
	}
	return len(p), nil
}

func (r *ringBuffer) tail(lines int) string {
	r.mu.Lock()
	s := strings.Split(string(r.b), "\n")
	r.mu.Unlock()
	return strings.Join(s[max(0, len(s)-lines):], "\n")
}

func (r *ringBuffer) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return string(r.b)
}

// grep is up to n of the lines holding any of subs, the last ones.
func (r *ringBuffer) grep(n int, subs ...string) string {
	var out []string
	for _, l := range strings.Split(r.String(), "\n") {
		for _, sub := range subs {
			if strings.Contains(l, sub) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out[max(0, len(out)-n):], "\n")
}
