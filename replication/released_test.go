package replication_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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

// Issue 14 (the sync standby's CPU per transaction): with one commit
// group in flight at a time (1 client), every release went to the standby
// in a heartbeat of its own — a message per commit, and the wake-ups of
// the standby's goroutines for it. A release followed within ReleaseDelay
// by new WAL rides on that WAL's Records message; one that is not goes in
// a heartbeat once the delay is over.
func TestReleaseRidesOnTheNextRecords(t *testing.T) {
	const groups = 30
	run := func(t *testing.T, delay time.Duration) (*primary, *standby, float64) {
		reg := prometheus.NewRegistry()
		// No idle heartbeats: only releases could send one.
		p := startPrimary(t, replication.ServerConfig{Sync: true, SyncTimeout: time.Hour, Heartbeat: time.Minute,
			ReleaseDelay: delay, Registerer: reg})
		p.node.holdRelease(0)
		s := startStandby(t, p.addr, standbyOpts{})
		eventually(t, "streaming", func() bool { return standbyState(p.srv, "s1") == "streaming" })
		before := counterValue(t, reg, "helios_replication_sent_heartbeats_total")
		for i := range groups {
			end := appendRecs(t, p.wal, 1, i, 1)
			eventually(t, "the standby flushed the group", func() bool { return s.wal.FlushedLSN() == end })
			p.node.setReleased(end) // as the standby's flush ack does on a sync primary
		}
		return p, s, counterValue(t, reg, "helios_replication_sent_heartbeats_total") - before
	}
	t.Run("the next Records message carries it", func(t *testing.T) {
		_, s, beats := run(t, time.Minute)
		// The first idle heartbeat of the session may fall after before.
		if beats > 1 {
			t.Errorf("%v heartbeats for %d releases each followed by new WAL", beats, groups)
		}
		// The last release had no WAL after it: it is not sent within the
		// delay; the one before rode on the last group's Records message.
		last := s.wal.FlushedLSN()
		prev := last - lsn.LSN(wal.FramedSize(len(rec(1, groups-1).Data)))
		eventually(t, "all but the last group applied", func() bool { return s.target.AppliedLSN() == prev })
		stayApplied(t, s, prev, "the last release waits for WAL to carry it")
	})
	t.Run("a heartbeat carries the last release", func(t *testing.T) {
		p, s, _ := run(t, 5*time.Millisecond)
		eventually(t, "everything applied", func() bool { return s.caughtUp(p) })
		requireAppliedAll(t, p, s, 0)
	})
}
