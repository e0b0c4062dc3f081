package replication_test

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/replication"
	"github.com/heliosdb/nano/wal"
	"github.com/heliosdb/nano/wal/waltest"
)

// requireAppliedAll checks that the target applied exactly the primary's
// records from `from` on, in order.
func requireAppliedAll(t *testing.T, p *primary, s *standby, from lsn.LSN) {
	t.Helper()
	want := waltest.ReadAll(t, p.wal, from)
	_, got, _ := s.target.stats()
	if len(got) != len(want) {
		t.Fatalf("target applied %d records, primary has %d from %s", len(got), len(want), from)
	}
	for i := range want {
		if !bytes.Equal(wal.EncodeRecord(nil, got[i]), wal.EncodeRecord(nil, want[i])) {
			t.Fatalf("applied record %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestStreamEndToEnd(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{})
	s := startStandby(t, p.addr, standbyOpts{})
	eventually(t, "standby connected", func() bool { return s.sb.Status().Connected })

	for batch := range 5 { // live records, a few at a time
		appendRecs(t, p.wal, 1, batch*20, 20)
		time.Sleep(time.Millisecond)
	}
	// More than one Records message holds (512 KiB), and a record larger
	// than the standby's segment size.
	var many []wal.Record
	for i := range 600 {
		many = append(many, wal.Record{Term: 1, Type: 3, Timestamp: int64(i), Data: bytes.Repeat([]byte{byte(i)}, 2000)})
	}
	waltest.AppendSync(t, p.wal, many...)
	waltest.AppendSync(t, p.wal, wal.Record{Term: 1, Type: 2, Data: bytes.Repeat([]byte{0xAB}, 700<<10)})
	end := appendRecs(t, p.wal, 1, 100, 3)

	eventually(t, "standby caught up", func() bool { return s.caughtUp(p) })
	requireSameWAL(t, p.wal, s.wal, 0)
	requireAppliedAll(t, p, s, 0)
	if _, _, installs := s.target.stats(); len(installs) != 0 {
		t.Fatalf("%d base backups installed, want none", len(installs))
	}
	eventually(t, "standby status up to date", func() bool {
		st := s.sb.Status()
		return st.PrimaryLSN == end && st.ReceivedLSN == end && st.LagBytes == 0 && st.Lag == 0
	})
	st := s.sb.Status()
	if !st.Connected || st.PrimaryNodeID != "p1" || st.LastError != "" || st.PrimaryAddr != p.addr {
		t.Fatalf("standby status = %+v, want connected to p1 at %s without error", st, p.addr)
	}
	if st.FlushedLSN != end || st.AppliedLSN != end {
		t.Fatalf("standby status flushed %s applied %s, want %s", st.FlushedLSN, st.AppliedLSN, end)
	}
}

func TestStandbyCatchesUpFromSegments(t *testing.T) {
	dir := t.TempDir()
	pw := waltest.OpenDir(t, dir, wal.MinSegmentSize)
	appendRecs(t, pw, 1, 0, 400)
	if n := segmentCount(t, dir); n < 10 {
		t.Fatalf("primary WAL has %d segments, want many for this test", n)
	}
	p := startPrimary(t, replication.ServerConfig{WAL: pw})

	s := startStandby(t, p.addr, standbyOpts{})
	eventually(t, "standby caught up from segments", func() bool { return s.caughtUp(p) })
	requireSameWAL(t, p.wal, s.wal, 0)
	eventually(t, "primary sees the standby streaming", func() bool { return standbyState(p.srv, "s1") == "streaming" })

	// Then live.
	appendRecs(t, pw, 1, 400, 10)
	eventually(t, "standby received live records", func() bool { return s.caughtUp(p) })
	requireSameWAL(t, p.wal, s.wal, 0)
	requireAppliedAll(t, p, s, 0)
}

func TestStandbyRestartContinues(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{})
	appendRecs(t, p.wal, 1, 0, 30)

	dir := t.TempDir()
	first := waltest.OpenDir(t, dir, 4<<10)
	s1 := startStandby(t, p.addr, standbyOpts{wal: first})
	eventually(t, "first standby caught up", func() bool { return s1.caughtUp(p) })
	s1.stop()
	stoppedAt := first.FlushedLSN()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	// The primary goes on while the standby is down.
	appendRecs(t, p.wal, 1, 30, 40)
	eventually(t, "primary sees the standby gone", func() bool { return standbyState(p.srv, "s1") == "disconnected" })

	second := waltest.OpenDir(t, dir, 4<<10)
	if second.FlushedLSN() != stoppedAt {
		t.Fatalf("reopened standby WAL ends at %s, want %s", second.FlushedLSN(), stoppedAt)
	}
	s2 := startStandby(t, p.addr, standbyOpts{wal: second}) // its target has applied up to stoppedAt
	eventually(t, "restarted standby caught up", func() bool { return s2.caughtUp(p) })
	appendRecs(t, p.wal, 1, 70, 5)
	eventually(t, "restarted standby streams live", func() bool { return s2.caughtUp(p) })

	requireSameWAL(t, p.wal, second, 0) // no duplicates, no gaps
	requireAppliedAll(t, p, s2, stoppedAt)
	if got := p.srv.Standbys(); len(got) != 1 || got[0].NodeID != "s1" || got[0].State != "streaming" {
		t.Fatalf("Standbys() = %+v, want s1 streaming only", got)
	}
}

// Regression test: Close must end the streams of connected standbys on
// its own (the node calls it before stopping the gRPC server).
func TestCloseEndsStreams(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{})
	appendRecs(t, p.wal, 1, 0, 5)
	s := startStandby(t, p.addr, standbyOpts{})
	eventually(t, "standby streaming", func() bool { return s.caughtUp(p) && standbyState(p.srv, "s1") == "streaming" })

	closed := make(chan struct{})
	go func() {
		p.srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Server.Close did not return with a standby connected")
	}
	eventually(t, "standby sees the stream end", func() bool { return !s.sb.Status().Connected })
	if got := standbyState(p.srv, "s1"); got != "disconnected" {
		t.Fatalf("after Close the standby is %q, want disconnected", got)
	}
}

func TestBaseBackup(t *testing.T) {
	for _, tc := range []struct {
		name string
		// setup fills the primary's WAL and returns the standby's WAL
		// and identity.
		setup func(t *testing.T, p *primary) (*wal.Log, replication.Identity)
	}{
		{
			name: "empty standby",
			setup: func(t *testing.T, p *primary) (*wal.Log, replication.Identity) {
				appendRecs(t, p.wal, 1, 0, 50)
				return waltest.Open(t, 4<<10), replication.Identity{NodeID: "s1"}
			},
		},
		{
			name: "standby position no longer retained",
			setup: func(t *testing.T, p *primary) (*wal.Log, replication.Identity) {
				sw := waltest.Open(t, 4<<10)
				appendRecs(t, sw, 1, 0, 5)
				appendRecs(t, p.wal, 1, 0, 300)
				if err := p.wal.TruncateFront(p.wal.FlushedLSN()); err != nil {
					t.Fatal(err)
				}
				if p.wal.FirstLSN() <= sw.FlushedLSN() {
					t.Fatalf("primary still retains %s (first %s)", sw.FlushedLSN(), p.wal.FirstLSN())
				}
				return sw, replication.Identity{ClusterID: testCluster, NodeID: "s1", History: term1}
			},
		},
		{
			name: "standby diverged past the fork point",
			setup: func(t *testing.T, p *primary) (*wal.Log, replication.Identity) {
				sw := waltest.Open(t, 4<<10)
				fork := appendRecs(t, p.wal, 1, 0, 5)
				appendRecs(t, sw, 1, 0, 5)
				appendRecs(t, sw, 1, 1000, 3) // term 1 went on here after the primary moved on
				appendRecs(t, p.wal, 2, 0, 20)
				p.node.setIdentity(func(id *replication.Identity) {
					id.History = replication.History{{Term: 1, Start: 0}, {Term: 2, Start: fork}}
				})
				return sw, replication.Identity{ClusterID: testCluster, NodeID: "s1", History: term1}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {

			p := startPrimary(t, replication.ServerConfig{WAL: waltest.Open(t, wal.MinSegmentSize)})
			p.node.payload = bytes.Repeat([]byte("storage page "), 250_000) // ~3 MiB: several chunks
			p.node.failBackups = 1                                          // the first attempt fails and is retried
			sw, id := tc.setup(t, p)
			tempDir := t.TempDir()
			s := startStandby(t, p.addr, standbyOpts{wal: sw, target: newMemTarget(sw, id),
				cfg: func(c *replication.StandbyConfig) { c.TempDir = tempDir }})

			eventually(t, "standby seeded and caught up", func() bool {
				_, _, installs := s.target.stats()
				return len(installs) == 1 && s.caughtUp(p)
			})
			written := p.node.backups()
			_, applied, installs := s.target.stats()
			if len(written) != 1 {
				t.Fatalf("primary wrote %d backups, want 1", len(written))
			}
			if sha(installs[0]) != sha(written[0]) || len(installs[0]) != len(written[0]) {
				t.Fatalf("installed %d bytes (sha %x), primary wrote %d (sha %x)",
					len(installs[0]), sha(installs[0]), len(written[0]), sha(written[0]))
			}
			if len(applied) != 0 {
				t.Fatalf("target applied %d records before any new write, want 0 (the backup holds them)", len(applied))
			}
			at := s.wal.FirstLSN()
			if at != p.wal.FlushedLSN() {
				t.Fatalf("standby WAL restarted at %s, want the backup LSN %s", at, p.wal.FlushedLSN())
			}
			if got := s.target.Identity(); got.ClusterID != testCluster || got.History.Term() != p.node.Identity().History.Term() {
				t.Fatalf("standby identity after the backup = %+v", got)
			}

			// Streaming goes on from the backup's LSN.
			appendRecs(t, p.wal, p.node.Identity().History.Term(), 5000, 10)
			eventually(t, "standby streams after the backup", func() bool { return s.caughtUp(p) })
			requireSameWAL(t, p.wal, s.wal, at)
			requireAppliedAll(t, p, s, at)
			if left := basebackupLeftovers(t, tempDir); len(left) != 0 {
				t.Fatalf("temporary backup files left behind: %v", left)
			}
			if got := p.node.backups(); len(got) != 1 {
				t.Fatalf("primary wrote %d backups in the end, want 1", len(got))
			}
		})
	}
}

// The flush acknowledgement goes out before the records are applied: a
// sync commit waits for the standby's fsync, not for its apply.
func TestFlushAckPrecedesApply(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{Sync: true, SyncTimeout: time.Minute})
	sw := openWAL(t)
	target := newMemTarget(sw, replication.Identity{ClusterID: testCluster, NodeID: "s1", History: term1})
	target.gate = make(chan struct{})
	s := startStandby(t, p.addr, standbyOpts{sync: true, wal: sw, target: target})
	var release sync.Once
	t.Cleanup(func() { release.Do(func() { close(target.gate) }) }) // runs before the standby stops
	eventually(t, "sync standby connected", func() bool { return p.srv.SyncState() == "sync" })

	end := appendRecs(t, p.wal, 1, 0, 5)
	if err := requireReturns(t, waitDurable(t.Context(), p.srv, end), "while the standby's Apply is held"); err != nil {
		t.Fatal(err)
	}
	if got := target.AppliedLSN(); got != 0 {
		t.Fatalf("applied %s while Apply was held", got)
	}
	if got := sw.FlushedLSN(); got != end {
		t.Fatalf("WaitDurable returned with the standby flushed to %s, want %s", got, end)
	}
	release.Do(func() { close(target.gate) })
	eventually(t, "applied after release", func() bool { return s.caughtUp(p) })
	eventually(t, "primary sees the apply", func() bool { return oneStandby(t, p.srv, "s1").AppliedLSN == end })
}

// Records whose Apply failed are durable in the standby's WAL; they must be
// applied (in order) before anything that follows them, not skipped.
func TestFailedApplyIsRetried(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{})
	sw := openWAL(t)
	target := newMemTarget(sw, replication.Identity{ClusterID: testCluster, NodeID: "s1", History: term1})
	target.failApply = 1
	s := startStandby(t, p.addr, standbyOpts{wal: sw, target: target})
	eventually(t, "standby connected", func() bool { return s.sb.Status().Connected })

	appendRecs(t, p.wal, 1, 0, 5) // the standby fails to apply these
	eventually(t, "first apply failed", func() bool {
		target.mu.Lock()
		defer target.mu.Unlock()
		return target.failedRecs > 0
	})
	appendRecs(t, p.wal, 1, 5, 5)
	eventually(t, "standby caught up", func() bool { return s.caughtUp(p) })
	target.checkContract(t)
	requireSameWAL(t, p.wal, sw, 0)
	requireAppliedAll(t, p, s, 0)
}

// A standby whose storage lags its own WAL (more than one batch's worth)
// applies the local records first, in order and in bounded batches, then
// streams.
func TestStandbyAppliesLocalWALFirst(t *testing.T) {
	sw := openWAL(t)
	var many []wal.Record
	for i := range 600 {
		many = append(many, wal.Record{Term: 1, Type: 3, Timestamp: int64(i), Data: bytes.Repeat([]byte{byte(i)}, 2000)})
	}
	p := startPrimary(t, replication.ServerConfig{WAL: restartedWAL(t, many...)})
	waltest.AppendSync(t, sw, many...)
	target := newMemTarget(sw, replication.Identity{ClusterID: testCluster, NodeID: "s1", History: term1})
	target.applied = 0 // storage has applied nothing yet
	s := startStandby(t, p.addr, standbyOpts{wal: sw, target: target})
	eventually(t, "local WAL applied", func() bool { return s.caughtUp(p) })
	if applies, _, _ := target.stats(); applies < 3 {
		t.Fatalf("1.2 MB applied in %d calls, want bounded batches", applies)
	}
	appendRecs(t, p.wal, 1, 0, 5)
	eventually(t, "streamed after", func() bool { return s.caughtUp(p) })
	requireAppliedAll(t, p, s, 0)
}
