package replication_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/proto/replicationpb"
	"github.com/heliosdb/nano/replication"
	"github.com/heliosdb/nano/wal"
	"github.com/heliosdb/nano/wal/waltest"
)

const (
	testSecret  = "s3cret"
	testCluster = "cluster-a"

	// Short timings keep the package fast; every wait on them is polled.
	testSyncTimeout = 300 * time.Millisecond
	testHeartbeat   = 50 * time.Millisecond
	testMinBackoff  = 10 * time.Millisecond
	testMaxBackoff  = 50 * time.Millisecond
)

var term1 = replication.History{{Term: 1, Start: 0}}

// eventually polls cond until it holds, failing the test after 10s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// rec is the i-th test record of a term.
func rec(term uint64, i int) wal.Record {
	return wal.Record{Term: term, Timestamp: int64(1_700_000_000_000_000 + i), Type: 1, Data: fmt.Appendf(nil, "term %d record %d", term, i)}
}

// appendRecs appends and syncs records [from, from+n) of term to l and
// returns the end LSN.
func appendRecs(t testing.TB, l *wal.Log, term uint64, from, n int) lsn.LSN {
	t.Helper()
	recs := make([]wal.Record, n)
	for i := range recs {
		recs[i] = rec(term, from+i)
	}
	_, end := waltest.AppendSync(t, l, recs...)
	return end
}

// requireSameWAL checks that standby holds exactly the primary's records
// from `from` on: same LSNs, same bytes.
func requireSameWAL(t testing.TB, primary, standby *wal.Log, from lsn.LSN) {
	t.Helper()
	p, s := waltest.ReadAll(t, primary, from), waltest.ReadAll(t, standby, from)
	if len(p) != len(s) {
		t.Fatalf("standby holds %d records from %s, primary %d", len(s), from, len(p))
	}
	for i := range p {
		if p[i].LSN != s[i].LSN || !bytes.Equal(wal.EncodeRecord(nil, p[i]), wal.EncodeRecord(nil, s[i])) {
			t.Fatalf("record %d differs: primary %+v, standby %+v", i, p[i], s[i])
		}
	}
}

// fakeNode is the primary side's Node. Its backups are a JSON document
// holding the LSN, the identity and a payload.
type fakeNode struct {
	wal *wal.Log

	mu          sync.Mutex
	id          replication.Identity
	payload     []byte
	failBackups int      // fail this many WriteBackup calls first
	written     [][]byte // every backup written, in full
	newerTerm   uint64   // highest term reported by NewerTerm
	// held: ReleasedLSN is released, not the WAL's end (holdRelease).
	held            bool
	released        lsn.LSN
	releasedChanged chan struct{}
}

// holdRelease makes the node release its WAL only up to at (and later
// what setReleased says), as a sync primary whose sync standby has not
// confirmed the rest.
func (n *fakeNode) holdRelease(at lsn.LSN) {
	n.mu.Lock()
	n.held = true
	n.mu.Unlock()
	n.setReleased(at)
}

func (n *fakeNode) setReleased(at lsn.LSN) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.released = at
	if n.releasedChanged != nil {
		close(n.releasedChanged)
		n.releasedChanged = nil
	}
}

func (n *fakeNode) ReleasedLSN() lsn.LSN {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.held {
		return n.released
	}
	return n.wal.FlushedLSN()
}

func (n *fakeNode) ReleasedChanged() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.releasedChanged == nil {
		n.releasedChanged = make(chan struct{})
	}
	return n.releasedChanged
}

func (n *fakeNode) NewerTerm(term uint64, from string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.newerTerm = max(n.newerTerm, term)
}

type backupDoc struct {
	LSN       lsn.LSN
	ClusterID string
	History   replication.History
	Payload   []byte
}

func newFakeNode(l *wal.Log, id replication.Identity) *fakeNode {
	return &fakeNode{wal: l, id: id}
}

func (n *fakeNode) Identity() replication.Identity {
	n.mu.Lock()
	defer n.mu.Unlock()
	id := n.id
	id.History = append(replication.History(nil), n.id.History...)
	return id
}

func (n *fakeNode) setIdentity(f func(*replication.Identity)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	f(&n.id)
}

func (n *fakeNode) WriteBackup(w io.Writer) (lsn.LSN, int64, error) {
	n.mu.Lock()
	if n.failBackups > 0 {
		n.failBackups--
		n.mu.Unlock()
		return 0, 0, errors.New("disk on fire")
	}
	at := n.wal.FlushedLSN()
	b, err := json.Marshal(backupDoc{LSN: at, ClusterID: n.id.ClusterID, History: n.id.History, Payload: n.payload})
	if err != nil {
		n.mu.Unlock()
		return 0, 0, err
	}
	n.written = append(n.written, b)
	n.mu.Unlock()
	// Write in uneven pieces, as a storage engine would.
	for rest := b; len(rest) > 0; {
		k := min(len(rest), 100_000)
		if _, err := w.Write(rest[:k]); err != nil {
			return 0, 0, err
		}
		rest = rest[k:]
	}
	return at, int64(len(b)), nil
}

func (n *fakeNode) AppliedLSN() lsn.LSN { return n.wal.FlushedLSN() }

func (n *fakeNode) backups() [][]byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([][]byte(nil), n.written...)
}

// memTarget is the standby side's Target: it records what it applies and
// installs backups written by fakeNode (restarting its WAL at their LSN).
type memTarget struct {
	wal *wal.Log

	mu       sync.Mutex
	id       replication.Identity
	applied  lsn.LSN
	applies  int
	records  []wal.Record
	problems []string // contract violations seen by Apply
	installs [][]byte // every backup installed, in full

	gate       chan struct{} // if set, Apply waits for it (before locking)
	failApply  int           // fail this many Apply calls first
	failedRecs int           // records handed to failed Apply calls
}

// newMemTarget returns a target over l that has applied all of l.
func newMemTarget(l *wal.Log, id replication.Identity) *memTarget {
	return &memTarget{wal: l, id: id, applied: l.FlushedLSN()}
}

func (m *memTarget) Identity() replication.Identity {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := m.id
	id.History = append(replication.History(nil), m.id.History...)
	return id
}

func (m *memTarget) AdoptHistory(h replication.History) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.id.History = append(replication.History(nil), h...)
	return nil
}

func (m *memTarget) Apply(recs []wal.Record) error {
	if m.gate != nil {
		<-m.gate
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applies++
	if m.failApply > 0 {
		m.failApply--
		m.failedRecs += len(recs)
		return errors.New("memTarget: storage hiccup")
	}
	if len(recs) == 0 {
		m.problems = append(m.problems, "Apply called with no records")
		return nil
	}
	for _, r := range recs {
		if r.LSN != m.applied {
			m.problems = append(m.problems, fmt.Sprintf("record at %s applied after %s (not contiguous)", r.LSN, m.applied))
			return fmt.Errorf("memTarget: gap before %s", r.LSN)
		}
		if r.End() > m.wal.FlushedLSN() {
			m.problems = append(m.problems, fmt.Sprintf("record at %s applied before it was durable (flushed %s)", r.LSN, m.wal.FlushedLSN()))
		}
		r.Data = bytes.Clone(r.Data)
		m.records = append(m.records, r)
		m.applied = r.End()
	}
	return nil
}

func (m *memTarget) AppliedLSN() lsn.LSN {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.applied
}

func (m *memTarget) InstallBaseBackup(r io.Reader) (lsn.LSN, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	var doc backupDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return 0, fmt.Errorf("memTarget: bad backup: %w", err)
	}
	if err := m.wal.Reset(doc.LSN); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.installs = append(m.installs, b)
	m.id.ClusterID, m.id.History = doc.ClusterID, doc.History
	m.applied = doc.LSN
	return doc.LSN, nil
}

func (m *memTarget) stats() (applies int, records []wal.Record, installs [][]byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.applies, append([]wal.Record(nil), m.records...), append([][]byte(nil), m.installs...)
}

// checkContract fails the test if Apply saw a gap or undurable records.
func (m *memTarget) checkContract(t testing.TB) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.problems) > 0 {
		t.Fatalf("Target contract violated:\n%s", strings.Join(m.problems, "\n"))
	}
}

// primary is a replication Server over a real WAL, served on loopback.
type primary struct {
	wal  *wal.Log
	node *fakeNode
	srv  *replication.Server
	addr string
}

// startPrimary serves a primary of testCluster with node id "p1". cfg's
// WAL, Node, Secret and Logger are filled in when zero.
func startPrimary(t testing.TB, cfg replication.ServerConfig) *primary {
	t.Helper()
	if cfg.WAL == nil {
		cfg.WAL = waltest.Open(t, 1<<20)
	}
	node, _ := cfg.Node.(*fakeNode)
	if cfg.Node == nil {
		node = newFakeNode(cfg.WAL, replication.Identity{ClusterID: testCluster, NodeID: "p1", Primary: true, History: term1})
		cfg.Node = node
	}
	if cfg.Secret == "" {
		cfg.Secret = testSecret
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = testHeartbeat
	}
	if cfg.SyncTimeout == 0 {
		cfg.SyncTimeout = testSyncTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	srv := replication.NewServer(cfg)
	addr := serveGRPC(t, srv.GRPCServer())
	// Close before stopping the gRPC server, as the node does.
	t.Cleanup(srv.Close)
	return &primary{wal: cfg.WAL, node: node, srv: srv, addr: addr}
}

// serveGRPC serves g on a loopback port until the test ends.
func serveGRPC(t testing.TB, g *grpc.Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.Serve(lis)
	}()
	t.Cleanup(func() {
		g.Stop()
		<-done
	})
	return lis.Addr().String()
}

// standby is a running replication Standby over a real WAL.
type standby struct {
	sb     *replication.Standby
	wal    *wal.Log
	target *memTarget
	stop   func() // ends Run and waits for it; idempotent
}

// standbyOpts tunes startStandby.
type standbyOpts struct {
	nodeID string // default "s1"
	secret string // default testSecret
	sync   bool
	wal    *wal.Log              // default: a new empty log
	target *memTarget            // default: over wal, with id
	id     *replication.Identity // default: testCluster, term 1
	cfg    func(*replication.StandbyConfig)
}

func startStandby(t testing.TB, addr string, o standbyOpts) *standby {
	t.Helper()
	if o.nodeID == "" {
		o.nodeID = "s1"
	}
	if o.secret == "" {
		o.secret = testSecret
	}
	if o.wal == nil {
		o.wal = openWAL(t)
	}
	if o.target == nil {
		id := replication.Identity{ClusterID: testCluster, NodeID: o.nodeID, History: term1, Following: addr}
		if o.id != nil {
			id = *o.id
		}
		o.target = newMemTarget(o.wal, id)
	}
	cfg := replication.StandbyConfig{
		PrimaryAddr: addr, Secret: o.secret, NodeID: o.nodeID, Sync: o.sync, Address: "127.0.0.1:5433",
		WAL: o.wal, Target: o.target, TempDir: t.TempDir(),
		MinBackoff: testMinBackoff, MaxBackoff: testMaxBackoff, Logger: testLogger(t),
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	sb := replication.NewStandby(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sb.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Standby.Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("Standby.Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(func() { o.target.checkContract(t) }) // runs after stop
	t.Cleanup(stop)
	return &standby{sb: sb, wal: o.wal, target: o.target, stop: stop}
}

// caughtUp reports whether s has received and applied everything p flushed.
func (s *standby) caughtUp(p *primary) bool {
	end := p.wal.FlushedLSN()
	return s.wal.FlushedLSN() == end && s.target.AppliedLSN() == end
}

// dial connects to addr as a node knowing the test secret.
func dial(t testing.TB, addr string) replicationpb.ReplicationClient {
	t.Helper()
	return dialWith(t, addr, replication.DialOption(testSecret, "test-client", nil))
}

func dialWith(t testing.TB, addr string, opt grpc.DialOption) replicationpb.ReplicationClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return replicationpb.NewReplicationClient(conn)
}

// findStandby returns the row of node id in infos.
func findStandby(infos []replication.StandbyInfo, id string) (replication.StandbyInfo, bool) {
	for _, i := range infos {
		if i.NodeID == id {
			return i, true
		}
	}
	return replication.StandbyInfo{}, false
}

func standbyState(srv *replication.Server, id string) hastate.StandbyState {
	info, ok := findStandby(srv.Standbys(), id)
	if !ok {
		return ""
	}
	return info.State
}

// basebackupLeftovers lists the temporary backup files in dir.
func basebackupLeftovers(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".basebackup-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sha(b []byte) [32]byte { return sha256.Sum256(b) }

// segmentCount is the number of segment files in dir.
func segmentCount(t testing.TB, dir string) int {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".wal") {
			n++
		}
	}
	return n
}

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// openWAL opens a standby-sized WAL in a new temporary directory.
func openWAL(t testing.TB) *wal.Log { return waltest.Open(t, 4<<10) }

// restartedWAL is a primary's WAL holding recs from before its process
// started: a standby may hold them without having streamed them from this
// process (replication/tentative.go re-seeds a standby holding records of
// this term past the WAL's end at Open that it did not stream from this
// process).
func restartedWAL(t testing.TB, recs ...wal.Record) *wal.Log {
	t.Helper()
	dir := t.TempDir()
	l := waltest.OpenDir(t, dir, 1<<20)
	waltest.AppendSync(t, l, recs...)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return waltest.OpenDir(t, dir, 1<<20)
}

// recsOf returns records [from, from+n) of term.
func recsOf(term uint64, from, n int) []wal.Record {
	recs := make([]wal.Record, n)
	for i := range recs {
		recs[i] = rec(term, from+i)
	}
	return recs
}

// counterValue sums the samples of the counter or gauge called name in reg
// (0 when it has none).
func counterValue(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}
