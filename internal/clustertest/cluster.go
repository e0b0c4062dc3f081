package clustertest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/node"
)

// Member is one node of a test cluster.
type Member struct {
	Name string
	Cfg  node.Config
	t    testing.TB

	node                         *node.Node
	cancel                       context.CancelFunc
	done                         chan error
	pgAddr, httpAddr, nativeAddr string
}

// Cluster is a primary and its standbys.
type Cluster struct {
	t       testing.TB
	Primary *Member
	Sync    *Member
	Async   *Member
}

// Options tunes a cluster.
type Options struct {
	// Mutate, when set, adjusts every member's config before it starts.
	Mutate func(name string, c *node.Config)
	// Logs sends node logs to the test log (noisy).
	Logs bool
}

// Start runs a sync primary, a sync standby and an async standby and waits
// until both standbys stream.
func Start(t testing.TB, opt Options) *Cluster {
	t.Helper()
	c := &Cluster{t: t}
	c.Primary = NewMember(t, "primary", opt, func(cfg *node.Config) {
		cfg.Role, cfg.ReplicationMode = node.RolePrimary, node.ModeSync
	})
	c.Primary.Start()
	c.Sync = c.NewStandby("standby-sync", node.ModeSync, opt)
	c.Async = c.NewStandby("standby-async", node.ModeAsync, opt)
	c.Sync.Start()
	c.Async.Start()
	c.WaitStreaming(c.Sync, c.Async)
	return c
}

// NewStandby prepares (does not start) a standby of c's primary.
func (c *Cluster) NewStandby(name, mode string, opt Options) *Member {
	host, port, _ := net.SplitHostPort(c.Primary.nativeAddr)
	var p int
	fmt.Sscan(port, &p)
	return NewMember(c.t, name, opt, func(cfg *node.Config) {
		cfg.Role, cfg.ReplicationMode, cfg.PrimaryHost, cfg.PrimaryPort = node.RoleStandby, mode, host, p
	})
}

// NewMember prepares a node with its own data dir and fixed 127.0.0.1
// ports (kept across restarts).
func NewMember(t testing.TB, name string, opt Options, role func(*node.Config)) *Member {
	t.Helper()
	cfg := node.Defaults()
	cfg.DataDir = filepath.Join(t.TempDir(), name)
	cfg.NodeID, cfg.Listen, cfg.AdvertiseHost = name, "127.0.0.1", "127.0.0.1"
	cfg.SyncTimeout = 2 * time.Second
	cfg.ReplicationBackoff = 20 * time.Millisecond
	cfg.ShutdownTimeout = 2 * time.Second
	if opt.Logs {
		cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t, name}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	role(&cfg)
	if opt.Mutate != nil {
		opt.Mutate(name, &cfg)
	}
	m := &Member{Name: name, Cfg: cfg, t: t,
		pgAddr: freeAddr(t), httpAddr: freeAddr(t), nativeAddr: freeAddr(t)}
	t.Cleanup(func() { m.Stop() })
	return m
}

type testWriter struct {
	t    testing.TB
	name string
}

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("[%s] %s", w.name, strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// freeAddr picks a free 127.0.0.1 port below Linux's ephemeral range
// (32768–60999): a member keeps its ports across restarts, and a port from
// the ephemeral range could meanwhile become the local end of some
// outgoing connection, making the restart's listen fail.
func freeAddr(t testing.TB) string {
	return fmt.Sprintf("127.0.0.1:%d", FreePort(t))
}

// handedOut are the ports FreePort returned in this process: members
// bind their ports only when they start, so a port probed free could
// otherwise be handed out twice.
var handedOut sync.Map

// FreePort returns a port of this process's slice (PortBase) that is
// free now, was not handed out before in this process, and is reserved
// for t against every other test process (reserve): a port is probed
// free, closed and bound later by a node process, and a test binary of
// another package or worktree must not take it in between.
func FreePort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 1000; i++ {
		port := PortBase() + rand.IntN(2000)
		if _, taken := handedOut.LoadOrStore(port, true); taken {
			continue
		}
		if !reserve(t, port) {
			continue
		}
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			l.Close()
			return port
		}
	}
	t.Fatalf("no free port in %d-%d", PortBase(), PortBase()+2000)
	return 0
}

// reserve takes an exclusive flock on a file named for port in a
// directory every test process shares, held until t ends (or the process
// exits): test processes using FreePort never hand out the same port at
// once. False when another process holds it.
func reserve(t testing.TB, port int) bool {
	dir := filepath.Join(os.TempDir(), "heliosdb-test-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return true // no shared directory: the probe alone decides
	}
	f, err := os.OpenFile(filepath.Join(dir, fmt.Sprint(port)), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return true
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return false
	}
	t.Cleanup(func() { f.Close() })
	return true
}

// PortBase is the start of this test process's 2000-port slice of
// 20000–32000. Test binaries of different packages run at the same time;
// a port one of them probed free and binds later could be taken by
// another in between, so each process draws from its own slice.
func PortBase() int { return 20000 + os.Getpid()%6*2000 }

func listen(t testing.TB, addr string) net.Listener {
	t.Helper()
	var err error
	for i := 0; i < 50; i++ { // a just-closed port can take a moment to free
		var l net.Listener
		if l, err = net.Listen("tcp", addr); err == nil {
			return l
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("listen %s: %v", addr, err)
	return nil
}

// Start opens and runs the node.
func (m *Member) Start() {
	m.t.Helper()
	if m.node != nil {
		m.t.Fatalf("%s already running", m.Name)
	}
	cfg := m.Cfg
	cfg.PGListener, cfg.HTTPListener, cfg.NativeListener = listen(m.t, m.pgAddr), listen(m.t, m.httpAddr), listen(m.t, m.nativeAddr)
	cfg.PGPort, cfg.HTTPPort, cfg.NativePort = port(m.pgAddr), port(m.httpAddr), port(m.nativeAddr)
	n, err := node.Open(cfg)
	if err != nil {
		for _, l := range []net.Listener{cfg.PGListener, cfg.HTTPListener, cfg.NativeListener} {
			l.Close()
		}
		m.t.Fatalf("open %s: %v", m.Name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.node, m.cancel, m.done = n, cancel, make(chan error, 1)
	go func() { m.done <- n.Run(ctx) }()
}

func port(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	var v int
	fmt.Sscan(p, &v)
	return v
}

// Stop shuts the node down gracefully; harmless when stopped.
func (m *Member) Stop() {
	if m.node == nil {
		return
	}
	m.cancel()
	if err := <-m.done; err != nil {
		m.t.Errorf("%s: run: %v", m.Name, err)
	}
	m.node = nil
}

// Restart stops and starts the node on the same ports and data dir.
func (m *Member) Restart() {
	m.Stop()
	m.Start()
}

// Wipe stops the node and empties its data dir.
func (m *Member) Wipe() {
	m.Stop()
	if err := os.RemoveAll(m.Cfg.DataDir); err != nil {
		m.t.Fatal(err)
	}
}

// Running reports whether the node is started.
func (m *Member) Running() bool { return m.node != nil }

// Node is the running node (nil when stopped).
func (m *Member) Node() *node.Node { return m.node }

// HTTPURL is the base URL of the node's HTTP API (https with HTTPTLS).
func (m *Member) HTTPURL() string {
	if m.Cfg.HTTPTLS {
		return "https://" + m.httpAddr
	}
	return "http://" + m.httpAddr
}

// NativeAddr is the node's replication address.
func (m *Member) NativeAddr() string { return m.nativeAddr }

// DSN is a connection string for the node: plaintext, or TLS without a
// certificate check (sslmode=require) when the node has a certificate.
func (m *Member) DSN() string {
	mode := "disable"
	if m.Cfg.TLSCertFile != "" {
		mode = "require"
	}
	return fmt.Sprintf("postgres://%s:%s@%s/heliosdb?sslmode=%s", m.Cfg.User, m.Cfg.Password, m.pgAddr, mode)
}

// Conn opens a pgx connection closed at the end of the test.
func (m *Member) Conn() *pgx.Conn {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, m.DSN())
	if err != nil {
		m.t.Fatalf("connect %s: %v", m.Name, err)
	}
	m.t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// Exec runs statements on a fresh connection and fails the test on error.
func (m *Member) Exec(sql ...string) {
	m.t.Helper()
	c := m.Conn()
	defer c.Close(context.Background())
	for _, s := range sql {
		if _, err := c.Exec(context.Background(), s); err != nil {
			m.t.Fatalf("%s: %s: %v", m.Name, s, err)
		}
	}
}

// Status reads this node's helios_replication_status row.
func (m *Member) Status() (role, syncState string, applied lsn.LSN, connected bool) {
	m.t.Helper()
	c := m.Conn()
	defer c.Close(context.Background())
	var a string
	err := c.QueryRow(context.Background(), "SELECT role, sync_state, applied_lsn::text, connected FROM helios_replication_status").
		Scan(&role, &syncState, &a, &connected)
	if err != nil {
		m.t.Fatalf("%s: status: %v", m.Name, err)
	}
	applied, err = lsn.Parse(a)
	if err != nil {
		m.t.Fatal(err)
	}
	return role, syncState, applied, connected
}

// Eventually polls cond every 20ms until it holds or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitStreaming waits until each standby is connected to the primary.
func (c *Cluster) WaitStreaming(standbys ...*Member) {
	c.t.Helper()
	for _, s := range standbys {
		Eventually(c.t, 20*time.Second, s.Name+" streaming", func() bool {
			_, _, _, connected := s.Status()
			return connected
		})
	}
}

// WaitCaughtUp waits until every running standby has applied the
// primary's current LSN.
func (c *Cluster) WaitCaughtUp() {
	c.t.Helper()
	target := c.Primary.node.CurrentLSN()
	for _, s := range []*Member{c.Sync, c.Async} {
		if s == nil || !s.Running() {
			continue
		}
		Eventually(c.t, 30*time.Second, fmt.Sprintf("%s applied %s", s.Name, target), func() bool {
			_, _, applied, _ := s.Status()
			return applied >= target
		})
	}
}

// TableHash hashes the rows of table, ordered by its first column.
func (m *Member) TableHash(table string) (hash string, rows int) {
	m.t.Helper()
	c := m.Conn()
	defer c.Close(context.Background())
	r, err := c.Query(context.Background(), "SELECT * FROM "+table+" ORDER BY 1")
	if err != nil {
		m.t.Fatalf("%s: %v", m.Name, err)
	}
	defer r.Close()
	h := sha256.New()
	for r.Next() {
		for _, v := range r.RawValues() {
			fmt.Fprintf(h, "%d:%s|", len(v), v)
		}
		h.Write([]byte{'\n'})
		rows++
	}
	if err := r.Err(); err != nil {
		m.t.Fatalf("%s: %v", m.Name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), rows
}

// SameTables fails the test unless every running member holds the same
// rows in each table.
func (c *Cluster) SameTables(tables ...string) {
	c.t.Helper()
	for _, tbl := range tables {
		want, n := c.Primary.TableHash(tbl)
		if n == 0 {
			c.t.Fatalf("table %s is empty on the primary: nothing compared", tbl)
		}
		for _, s := range []*Member{c.Sync, c.Async} {
			if s == nil || !s.Running() {
				continue
			}
			if got, m := s.TableHash(tbl); got != want {
				c.t.Fatalf("table %s: %s has %d rows (hash %s), primary %d rows (hash %s)", tbl, s.Name, m, got[:12], n, want[:12])
			}
		}
	}
}
