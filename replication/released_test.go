package replication_test

import (
	"testing"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/replication"
	"github.com/heliosdb/nano/wal"
	"github.com/heliosdb/nano/wal/waltest"
)

// stayApplied checks for a while (several heartbeats) that s has applied
// exactly want.
func stayApplied(t *testing.T, s *standby, want lsn.LSN, why string) {
	t.Helper()
	for end := time.Now().Add(10 * testHeartbeat); time.Now().Before(end); time.Sleep(testHeartbeat / 5) {
		if got := s.target.AppliedLSN(); got != want {
			t.Fatalf("standby applied up to %s, want %s: %s", got, want, why)
		}
	}
}

// A standby makes visible only the WAL its primary released: what it has
// flushed beyond stays unapplied until the primary's released LSN covers
// it, record by record, and is applied as soon as it does (without waiting
// for new WAL).
func TestStandbyAppliesOnlyReleasedWAL(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{Sync: true, SyncTimeout: time.Hour})
	first := appendRecs(t, p.wal, 1, 0, 3)
	p.node.holdRelease(first)
	s := startStandby(t, p.addr, standbyOpts{})
	eventually(t, "the released records applied", func() bool { return s.caughtUp(p) })

	mid := appendRecs(t, p.wal, 1, 3, 2)
	end := appendRecs(t, p.wal, 1, 5, 3)
	eventually(t, "the unreleased records flushed by the standby", func() bool { return s.wal.FlushedLSN() == end })
	stayApplied(t, s, first, "the primary released nothing more")

	p.node.setReleased(mid)
	eventually(t, "the records up to the new released LSN applied", func() bool { return s.target.AppliedLSN() == mid })
	stayApplied(t, s, mid, "the rest is still unreleased")

	p.node.setReleased(end)
	eventually(t, "everything applied once released", func() bool { return s.caughtUp(p) })
	requireAppliedAll(t, p, s, 0)
}

// Unreleased WAL stays unapplied across sessions: a standby that
// reconnects (or, demoted, follows another node) does not apply the
// flushed tail of its local WAL before the primary it streams from has
// released it — so a demoted primary's unreleased commits stay invisible
// through the divergence handshake.
func TestStandbyAppliesNoUnreleasedLocalWAL(t *testing.T) {
	// The node the standby is pointed at is not a primary: the handshake
	// is refused, over and over.
	notPrimary := startPrimary(t, replication.ServerConfig{Node: newFakeNode(waltest.Open(t, 1<<20),
		replication.Identity{ClusterID: testCluster, NodeID: "p1", History: term1})})
	sw := openWAL(t)
	recs := []wal.Record{rec(1, 0), rec(1, 1), rec(1, 2)}
	_, end := waltest.AppendSync(t, sw, recs...)
	target := newMemTarget(sw, replication.Identity{ClusterID: testCluster, NodeID: "s1", History: term1})
	target.applied = 0 // flushed, never released by anyone
	s := startStandby(t, notPrimary.addr, standbyOpts{wal: sw, target: target})
	eventually(t, "the handshake refused", func() bool { return s.sb.Status().LastError != "" })
	stayApplied(t, s, 0, "no primary released the local WAL")

	// A primary with the same WAL releases it: then it is applied.
	p := startPrimary(t, replication.ServerConfig{Sync: true, SyncTimeout: time.Hour, WAL: restartedWAL(t, recs...)})
	p.node.holdRelease(0)
	s.stop()
	s = startStandby(t, p.addr, standbyOpts{wal: sw, target: target})
	eventually(t, "streaming", func() bool { return s.sb.Status().Connected })
	stayApplied(t, s, 0, "the primary released nothing yet")
	p.node.setReleased(end)
	eventually(t, "the local WAL applied once released", func() bool { return s.target.AppliedLSN() == end })
}
