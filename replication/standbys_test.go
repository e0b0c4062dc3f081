package replication_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/replication"
	"github.com/heliosdb/nano/wal"
)

func oneStandby(t *testing.T, srv *replication.Server, id string) replication.StandbyInfo {
	t.Helper()
	info, ok := findStandby(srv.Standbys(), id)
	if !ok {
		t.Fatalf("Standbys() = %+v, no %s", srv.Standbys(), id)
	}
	return info
}

func requireRetainFrom(t *testing.T, srv *replication.Server, want lsn.LSN) {
	t.Helper()
	if got, ok := srv.RetainFrom(); !ok || got != want {
		t.Fatalf("RetainFrom() = %s, %v; want %s, true", got, ok, want)
	}
}

// TestStandbysProgress follows one standby through its states with a
// hand-driven stream and a fake clock, checking the row the primary shows
// and what it retains for it.
func TestStandbysProgress(t *testing.T) {
	clock := newFakeClock()
	p := startPrimary(t, replication.ServerConfig{Now: clock.Now})
	mid := appendRecs(t, p.wal, 1, 0, 10)
	end := appendRecs(t, p.wal, 1, 10, 10)
	if got := p.srv.Standbys(); len(got) != 0 {
		t.Fatalf("Standbys() = %+v, want none", got)
	}
	if _, ok := p.srv.RetainFrom(); ok {
		t.Fatal("RetainFrom() is ok with no standbys")
	}

	connectedAt := clock.Now()
	m := connectManual(t, p.addr, helloFor("s1", true, 0))
	info := oneStandby(t, p.srv, "s1")
	if info.State != "catching_up" || info.Address != "10.0.0.7:5432" || !info.Sync || !info.ConnectedAt.Equal(connectedAt) ||
		info.FlushedLSN != 0 || info.AppliedLSN != 0 {
		t.Fatalf("new standby row = %+v", info)
	}
	eventually(t, "records sent", func() bool { return m.receivedLSN() == end && oneStandby(t, p.srv, "s1").SentLSN == end })
	clock.Advance(3 * time.Second)
	info = oneStandby(t, p.srv, "s1")
	if info.State != "catching_up" || info.LagBytes != int64(end) || info.Lag != 3*time.Second {
		t.Fatalf("before any ack: %+v, want catching_up, %d bytes and 3s behind", info, end)
	}
	requireRetainFrom(t, p.srv, 0)

	// Flushed everything, applied half: streaming, still behind in apply.
	m.ack(t, end, mid)
	eventually(t, "ack seen", func() bool { return oneStandby(t, p.srv, "s1").FlushedLSN == end })
	info = oneStandby(t, p.srv, "s1")
	if info.State != "streaming" || info.AppliedLSN != mid || info.LagBytes != int64(end-mid) ||
		info.Lag != 3*time.Second || !info.LastAckAt.Equal(clock.Now()) {
		t.Fatalf("after a flush ack: %+v", info)
	}
	requireRetainFrom(t, p.srv, end)

	m.ack(t, end, end)
	eventually(t, "apply ack seen", func() bool { return oneStandby(t, p.srv, "s1").AppliedLSN == end })
	if info = oneStandby(t, p.srv, "s1"); info.LagBytes != 0 || info.Lag != 0 {
		t.Fatalf("caught up: %+v, want no lag", info)
	}

	// Gone: kept, with its position retained while the primary moves on.
	m.cancel()
	eventually(t, "disconnected", func() bool { return standbyState(p.srv, "s1") == "disconnected" })
	later := appendRecs(t, p.wal, 1, 20, 10)
	requireRetainFrom(t, p.srv, end)
	if info = oneStandby(t, p.srv, "s1"); info.LagBytes != int64(later-end) {
		t.Fatalf("disconnected standby: lag %d bytes, want %d", info.LagBytes, later-end)
	}
	if got := p.srv.SyncState(); got != "async" {
		t.Fatalf("SyncState() = %q on an async primary", got)
	}
}

func TestStandbysSortedAndOldestRetained(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{WAL: restartedWAL(t, recsOf(1, 0, 10)...)})
	var a lsn.LSN
	for _, r := range recsOf(1, 0, 5) {
		a += lsn.LSN(wal.FramedSize(len(r.Data)))
	}
	b := p.wal.FlushedLSN()
	connectManual(t, p.addr, helloFor("b", false, b))
	connectManual(t, p.addr, helloFor("a", false, a))
	got := p.srv.Standbys()
	if len(got) != 2 || got[0].NodeID != "a" || got[1].NodeID != "b" {
		t.Fatalf("Standbys() = %+v, want a then b", got)
	}
	requireRetainFrom(t, p.srv, a)
}

func TestRetainFromBounded(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{MaxRetainBytes: 1000})
	m := connectManual(t, p.addr, helloFor("s1", false, 0))
	m.cancel()
	eventually(t, "disconnected", func() bool { return standbyState(p.srv, "s1") == "disconnected" })
	requireRetainFrom(t, p.srv, 0)
	end := appendRecs(t, p.wal, 1, 0, 100)
	if end <= 1000 {
		t.Fatalf("test needs more than 1000 bytes of WAL, has %s", end)
	}
	requireRetainFrom(t, p.srv, end-1000)
}

// A standby that reconnects while its old stream is still open takes the
// row over; the old stream ending must not mark it disconnected.
func TestStandbyReconnectReplacesOldStream(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{})
	end := appendRecs(t, p.wal, 1, 0, 5)
	old := connectManual(t, p.addr, helloFor("s1", false, 0))
	eventually(t, "old stream received records", func() bool { return old.receivedLSN() == end })
	cur := connectManual(t, p.addr, helloFor("s1", false, end))
	old.cancel()
	time.Sleep(50 * time.Millisecond) // let the primary see the old stream end
	if got := standbyState(p.srv, "s1"); got != "catching_up" {
		t.Fatalf("after the old stream ended s1 is %q, want catching_up", got)
	}
	cur.ack(t, end, end)
	eventually(t, "streaming", func() bool { return standbyState(p.srv, "s1") == "streaming" })
	if info := oneStandby(t, p.srv, "s1"); info.FlushedLSN != end {
		t.Fatalf("s1 = %+v", info)
	}
}

// Server and Standby register their collectors on one registry (as a node
// does) and export progress.
func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	p := startPrimary(t, replication.ServerConfig{Registerer: reg, Sync: true, SyncTimeout: time.Minute})
	s := startStandby(t, p.addr, standbyOpts{sync: true, cfg: func(c *replication.StandbyConfig) { c.Registerer = reg }})
	end := appendRecs(t, p.wal, 1, 0, 20)
	mustWaitDurable(t, p.srv, end)
	eventually(t, "caught up", func() bool { return s.caughtUp(p) })
	// The standby has applied everything; the primary learns it from the
	// standby's next acknowledgement.
	eventually(t, "the primary saw the applied ack", func() bool { return counterValue(t, reg, "helios_replication_standby_lag_bytes") == 0 })
	for name, want := range map[string]func(float64) bool{
		"helios_replication_sent_bytes_total":        func(v float64) bool { return v > 0 },
		"helios_replication_received_bytes_total":    func(v float64) bool { return v > 0 },
		"helios_replication_standby_connected":       func(v float64) bool { return v == 1 },
		"helios_replication_connected":               func(v float64) bool { return v == 1 },
		"helios_replication_sync_degraded":           func(v float64) bool { return v == 0 },
		"helios_replication_crc_errors_total":        func(v float64) bool { return v == 0 },
		"helios_replication_standby_lag_bytes":       func(v float64) bool { return v == 0 },
		"helios_replication_base_backups_sent_total": func(v float64) bool { return v == 0 },
	} {
		if v := counterValue(t, reg, name); !want(v) {
			t.Errorf("%s = %v", name, v)
		}
	}
}
