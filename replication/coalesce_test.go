package replication_test

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heliosdb/nano/replication"
	"github.com/heliosdb/nano/wal"
	"github.com/heliosdb/nano/wal/waltest"
)

// Regression test for issue 14 (one sync standby, 8 clients at half
// PostgreSQL's rate): the standby fsynced every Records message on its
// own, so its fsyncs paced the primary's commits one by one (every commit
// group on the primary held one commit). Messages that arrive while the
// standby is busy must be appended and fsynced together.
func TestStandbyFsyncsQueuedMessagesTogether(t *testing.T) {
	// No heartbeats in between: they would split the queued records.
	p := startPrimary(t, replication.ServerConfig{Heartbeat: time.Minute})
	reg := prometheus.NewRegistry()
	sw, err := wal.Open(wal.Config{Dir: t.TempDir(), SegmentSize: 1 << 20, Registerer: reg, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sw.Close() })
	target := newMemTarget(sw, replication.Identity{ClusterID: testCluster, NodeID: "s1", History: term1})
	target.gate = make(chan struct{})
	s := startStandby(t, p.addr, standbyOpts{wal: sw, target: target,
		cfg: func(c *replication.StandbyConfig) { c.Registerer = reg }})
	var release sync.Once
	t.Cleanup(func() { release.Do(func() { close(target.gate) }) }) // runs before the standby stops
	eventually(t, "standby connected", func() bool { return s.sb.Status().Connected })

	// One message per append: the standby flushed each before the next.
	// With Apply held, the applier takes the first record; the handler
	// flushes records until MaxPendingBytes of them wait to be applied,
	// and then one more, which it cannot hand over: it is held.
	const recSize = 256 << 10
	big := func(i int) wal.Record {
		return wal.Record{Term: 1, Type: 1, Timestamp: int64(i), Data: bytes.Repeat([]byte{byte(i)}, recSize-wal.RecordHeaderSize)}
	}
	next := 0
	for range replication.MaxPendingBytes/recSize + 1 {
		_, end := waltest.AppendSync(t, p.wal, big(next))
		next++
		eventually(t, "standby flushed the record", func() bool { return sw.FlushedLSN() == end })
	}
	// These arrive while the handler is held: each is sent on its own.
	const queued = 10
	for range queued {
		_, end := waltest.AppendSync(t, p.wal, big(next))
		next++
		eventually(t, "primary sent the record", func() bool { return oneStandby(t, p.srv, "s1").SentLSN == end })
	}
	before := fsyncs(t, reg)
	release.Do(func() { close(target.gate) })
	eventually(t, "standby caught up", func() bool { return s.caughtUp(p) })
	if got := fsyncs(t, reg) - before; got > queued/2 {
		t.Errorf("the standby fsynced %d times for %d messages that were waiting; want them flushed together", got, queued)
	}
	if got := counterValue(t, reg, "helios_replication_coalesced_messages_total"); got == 0 {
		t.Errorf("helios_replication_coalesced_messages_total = 0")
	}
	target.checkContract(t)
	requireSameWAL(t, p.wal, sw, 0)
	requireAppliedAll(t, p, s, 0)
}

// fsyncs is the number of WAL fsyncs recorded in reg.
func fsyncs(t *testing.T, reg *prometheus.Registry) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "helios_wal_fsync_duration_seconds" {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return 0
}

// Regression test for issue 14: under a stream of commit groups the
// standby answered each with two messages, a flush ack and, once the
// release let it apply, an apply ack. An apply that finishes while a
// Records message waits for its fsync leaves its ack to that flush ack,
// which reads the applied LSN after the fsync — and the primary still
// learns that everything was applied.
func TestStandbyAppliedAckRidesOnFlushAck(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{})
	reg := prometheus.NewRegistry()
	s := startStandby(t, p.addr, standbyOpts{cfg: func(c *replication.StandbyConfig) { c.Registerer = reg }})
	eventually(t, "standby connected", func() bool { return s.sb.Status().Connected })
	const groups = 300
	for i := range groups { // one Records message per group
		appendRecs(t, p.wal, 1, i, 1)
	}
	eventually(t, "standby caught up", func() bool { return s.caughtUp(p) })
	end := p.wal.FlushedLSN()
	eventually(t, "the primary sees everything applied", func() bool { return oneStandby(t, p.srv, "s1").AppliedLSN == end })
	got := counterValue(t, reg, "helios_replication_applied_acks_coalesced_total")
	t.Logf("%v of the applies of %d groups left their ack to a flush ack", got, groups)
	if got == 0 {
		t.Errorf("helios_replication_applied_acks_coalesced_total = 0 after %d groups: every apply sent an ack of its own", groups)
	}
	requireAppliedAll(t, p, s, 0)
}

// Issue 14 (the sync standby's CPU per transaction): one commit group at
// a time — as at 1 client, where the next group follows only once the
// last was acknowledged — cost two messages back per group, a flush ack
// and an applied ack of its own. The applied LSN rides on the next flush
// ack instead; a timer (AppliedAckDelay) tells the primary when no flush
// ack follows.
func TestStandbyAppliedAckWaitsForTheNextFlushAck(t *testing.T) {
	const groups = 40
	run := func(t *testing.T, delay time.Duration) (acks, timed float64, p *primary, s *standby) {
		// No idle heartbeats: each would be answered with an ack.
		p = startPrimary(t, replication.ServerConfig{Heartbeat: time.Minute})
		reg := prometheus.NewRegistry()
		s = startStandby(t, p.addr, standbyOpts{cfg: func(c *replication.StandbyConfig) {
			c.Registerer, c.AppliedAckDelay = reg, delay
		}})
		eventually(t, "standby streaming", func() bool { return standbyState(p.srv, "s1") == "streaming" })
		before := counterValue(t, reg, "helios_replication_acks_sent_total")
		for i := range groups {
			end := appendRecs(t, p.wal, 1, i, 1)
			eventually(t, "the primary sees the flush", func() bool { return oneStandby(t, p.srv, "s1").FlushedLSN == end })
			eventually(t, "the standby applied", func() bool { return s.target.AppliedLSN() == end })
		}
		return counterValue(t, reg, "helios_replication_acks_sent_total") - before,
			counterValue(t, reg, "helios_replication_applied_acks_timed_total"), p, s
	}
	t.Run("flush acks carry the applies", func(t *testing.T) {
		acks, timed, p, s := run(t, time.Minute)
		t.Logf("%v acks for %d groups", acks, groups)
		if acks > groups+1 || timed != 0 {
			t.Errorf("%v acks (%v by the timer) for %d commit groups: the applies sent acks of their own", acks, timed, groups)
		}
		if got, want := oneStandby(t, p.srv, "s1").AppliedLSN, s.target.AppliedLSN(); got >= want {
			t.Errorf("the primary saw applied %s before any ack could carry %s", got, want)
		}
	})
	t.Run("the timer acks the last apply", func(t *testing.T) {
		_, _, p, s := run(t, 10*time.Millisecond)
		end := p.wal.FlushedLSN()
		eventually(t, "the primary sees the last apply", func() bool { return oneStandby(t, p.srv, "s1").AppliedLSN == end })
		requireAppliedAll(t, p, s, 0)
	})
}
