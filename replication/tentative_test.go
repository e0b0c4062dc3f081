package replication_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/replication"
	"github.com/heliosdb/nano/wal"
	"github.com/heliosdb/nano/wal/waltest"
)

// A commit group reaches the standby while the primary's fsync is still to
// come (issue 14): here the primary's WAL writes records out without an
// fsync (more than the WAL buffers in memory), and the standby flushes
// them although the primary's FlushedLSN has not moved; it applies none of
// them (not released) until the primary's fsync. Only a sync primary does
// so: an async primary's commits do not wait for the standby.
func TestStandbyFlushesBeforePrimaryFsync(t *testing.T) {
	for _, sync := range []bool{true, false} {
		t.Run(fmt.Sprintf("sync=%v", sync), func(t *testing.T) { testFlushesBeforePrimaryFsync(t, sync) })
	}
}

func testFlushesBeforePrimaryFsync(t *testing.T, sync bool) {
	p := startPrimary(t, replication.ServerConfig{WAL: waltest.Open(t, 0), Sync: sync})
	durable := appendRecs(t, p.wal, 1, 0, 3)
	s := startStandby(t, p.addr, standbyOpts{})
	eventually(t, "standby caught up", func() bool { return s.caughtUp(p) })

	var big []wal.Record
	for i := range 10 { // 10 MiB: the WAL writes most of it before any Sync
		big = append(big, wal.Record{Term: 1, Type: 1, Timestamp: int64(i), Data: bytes.Repeat([]byte{byte(i)}, 1<<20)})
	}
	if _, _, err := p.wal.Append(big...); err != nil {
		t.Fatal(err)
	}
	written := p.wal.WrittenLSN()
	if written <= durable || p.wal.FlushedLSN() != durable {
		t.Fatalf("primary WAL written %s flushed %s, want written past the flushed %s (the test needs unflushed written records)", written, p.wal.FlushedLSN(), durable)
	}
	if sync {
		eventually(t, "standby flushed the primary's unflushed records", func() bool { return s.wal.FlushedLSN() >= written })
	} else {
		time.Sleep(100 * time.Millisecond) // two heartbeats: nothing unflushed arrives
		if got := s.wal.FlushedLSN(); got != durable {
			t.Fatalf("an async primary sent records before their fsync: standby flushed %s, primary %s", got, durable)
		}
	}
	if got := p.wal.FlushedLSN(); got != durable {
		t.Fatalf("primary flushed moved to %s without a Sync", got)
	}
	if got := s.target.AppliedLSN(); got != durable {
		t.Fatalf("standby applied up to %s, want %s: nothing past the primary's flushed (released) LSN", got, durable)
	}
	end, err := p.wal.Sync()
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "standby applied after the primary's fsync", func() bool { return s.caughtUp(p) })
	requireSameWAL(t, p.wal, s.wal, 0)
	requireAppliedAll(t, p, s, 0)
	if s.target.AppliedLSN() != end {
		t.Fatalf("standby applied %s, want %s", s.target.AppliedLSN(), end)
	}
}

// other is the i-th record of a term as a different primary history would
// write it: the same size as rec(term, i), other bytes.
func other(term uint64, i int) wal.Record {
	r := rec(term, i)
	r.Data = bytes.ToUpper(r.Data)
	r.Timestamp++
	return r
}

func appendOther(t testing.TB, l *wal.Log, term uint64, from, n int) lsn.LSN {
	t.Helper()
	recs := make([]wal.Record, n)
	for i := range recs {
		recs[i] = other(term, from+i)
	}
	_, end := waltest.AppendSync(t, l, recs...)
	return end
}

// requireReseeded waits until s installed one base backup and then holds
// exactly p's WAL from the backup on.
func requireReseeded(t *testing.T, p *primary, s *standby) {
	t.Helper()
	eventually(t, "standby re-seeded and caught up", func() bool {
		_, _, installs := s.target.stats()
		return len(installs) == 1 && s.caughtUp(p)
	})
	requireSameWAL(t, p.wal, s.wal, s.wal.FirstLSN())
}

// The primary's machine crashed after its last records reached the
// standby but before they were durable there: it restarts without them
// (and, in the second case, writes other records at the same LSNs before
// the standby is back). The standby must not continue from its WAL end as
// if it held the primary's history: it is re-seeded. (Before
// shipping-before-fsync a standby could not get ahead of its primary; the
// old handshake refused the first case for ever, and admitted the second,
// keeping records the primary never had.)
func TestStandbyPastRestartedPrimaryIsReseeded(t *testing.T) {
	for _, rewritten := range []int{0, 5} {
		t.Run(fmt.Sprintf("rewritten=%d", rewritten), func(t *testing.T) { testStandbyPastRestartedPrimary(t, rewritten) })
	}
}

func testStandbyPastRestartedPrimary(t *testing.T, rewritten int) {
	dir := t.TempDir()
	pw := waltest.OpenDir(t, dir, 0)
	kept := appendRecs(t, pw, 1, 0, 5)
	crashed := t.TempDir() // what the disk held at the crash
	copyFiles(t, dir, crashed)
	appendRecs(t, pw, 1, 5, 3) // reached the standby, lost by the crash

	p := startPrimary(t, replication.ServerConfig{WAL: pw, Sync: true})
	p.node.holdRelease(kept) // never released: not durable on the primary
	swal := openWAL(t)
	s := startStandby(t, p.addr, standbyOpts{wal: swal, sync: true})
	eventually(t, "standby flushed the tail", func() bool { return swal.FlushedLSN() == pw.FlushedLSN() })
	s.stop()
	p.srv.Close()

	restarted := waltest.OpenDir(t, crashed, 0)
	if rewritten > 0 {
		appendOther(t, restarted, 1, 5, rewritten) // same sizes: the LSNs line up
	}
	p2 := startPrimary(t, replication.ServerConfig{WAL: restarted})
	s2 := startStandby(t, p2.addr, standbyOpts{wal: swal, target: s.target, sync: true})
	requireReseeded(t, p2, s2)
}

// The same within one process: the primary's WAL goes back below records
// it had written (wal.Log.Recover after a failed fsync does; TruncateBack
// stands in for it here) and reuses their LSNs. The stream that may have
// shipped them ends, and the standby is re-seeded.
func TestStandbyPastRewoundWALIsReseeded(t *testing.T) {
	pw := waltest.Open(t, 0)
	p := startPrimary(t, replication.ServerConfig{WAL: pw, Sync: true})
	kept := appendRecs(t, pw, 1, 0, 5)
	p.node.holdRelease(kept)
	s := startStandby(t, p.addr, standbyOpts{sync: true})
	appendRecs(t, pw, 1, 5, 3)
	eventually(t, "standby flushed the tail", func() bool { return s.wal.FlushedLSN() == pw.FlushedLSN() })

	if err := pw.TruncateBack(kept); err != nil {
		t.Fatal(err)
	}
	if n, low := pw.Rewinds(); n != 1 || low > kept {
		t.Fatalf("Rewinds() = %d, %s; want 1, at most %s", n, low, kept)
	}
	appendOther(t, pw, 1, 5, 5)
	p.node.setReleased(pw.FlushedLSN())
	requireReseeded(t, p, s)
}

// A standby that streamed from this process, with no rewind since, may be
// ahead of the flushed end and is not re-seeded when it reconnects.
func TestVouchedStandbyReconnectsWithoutBackup(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{WAL: waltest.Open(t, 0)})
	appendRecs(t, p.wal, 1, 0, 5)
	swal := openWAL(t)
	s := startStandby(t, p.addr, standbyOpts{wal: swal})
	eventually(t, "standby caught up", func() bool { return s.caughtUp(p) })
	s.stop()
	appendRecs(t, p.wal, 1, 5, 5)
	s2 := startStandby(t, p.addr, standbyOpts{wal: swal, target: s.target})
	eventually(t, "standby caught up again", func() bool { return s2.caughtUp(p) })
	if _, _, installs := s2.target.stats(); len(installs) != 0 {
		t.Fatalf("%d base backups installed, want none", len(installs))
	}
	requireSameWAL(t, p.wal, swal, 0)
}

func copyFiles(t testing.TB, from, to string) {
	t.Helper()
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(fmt.Errorf("copy %s: %w", e.Name(), err))
		}
	}
}
