package wal_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/heliosdb/nano/internal/fstest"
	"github.com/heliosdb/nano/wal"
)

// On a real full file system (tmpfs): a Sync that cannot create the next
// segment fails with ErrNoSpace; the log refuses writes until Recover;
// Recover drops exactly what was never durable; once space is freed the log
// continues; after a reopen every acknowledged record is there and no
// failed one.
func TestDiskFullAtSegmentCut(t *testing.T) {
	mnt := fstest.MountTmpfs(t, 8<<20)
	dir := filepath.Join(mnt, "wal")
	l, err := wal.Open(wal.Config{Dir: dir, SegmentSize: 1 << 20, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ballast := filepath.Join(mnt, "ballast")
	fstest.Fill(t, ballast, 0)

	acked, failed := fillUntilFailure(t, l, "a")
	checkFailedState(t, l)
	// Still full: Recover works (it needs no new space) but the next cut fails again.
	if err := l.Recover(); err != nil {
		t.Fatalf("Recover on a full disk: %v", err)
	}
	if l.EndLSN() != l.FlushedLSN() {
		t.Fatalf("after Recover EndLSN %s != FlushedLSN %s", l.EndLSN(), l.FlushedLSN())
	}
	more, failed2 := fillUntilFailure(t, l, "b")
	if len(more) != 0 {
		t.Fatalf("%d records acknowledged on a still-full disk", len(more))
	}
	failed = append(failed, failed2...)

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if err := l.Recover(); err != nil {
		t.Fatalf("Recover after freeing space: %v", err)
	}
	for i := range 3000 { // crosses a segment cut
		data := fmt.Appendf(nil, "c-%05d-%s", i, bytes.Repeat([]byte("x"), 900))
		if _, _, err := l.Append(wal.Record{Type: 1, Data: data}); err != nil {
			t.Fatalf("Append after freeing space: %v", err)
		}
		acked = append(acked, string(data))
	}
	if _, err := l.Sync(); err != nil {
		t.Fatalf("Sync after freeing space: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	checkContents(t, dir, acked, failed)
}

// A write (not a segment creation) that fails with ENOSPC: the segment's
// preallocated tail is punched out and the space taken by ballast, so the
// pwrite itself fails.
func TestDiskFullOnWrite(t *testing.T) {
	mnt := fstest.MountTmpfs(t, 16<<20)
	dir := filepath.Join(mnt, "wal")
	l, err := wal.Open(wal.Config{Dir: dir, SegmentSize: 2 << 20, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	acked := appendSyncN(t, l, "a", 100)
	seg, err := os.OpenFile(filepath.Join(dir, wal.SegmentName(0)), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	const punch = 0x01 | 0x02 // FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE
	if err := syscall.Fallocate(int(seg.Fd()), punch, 64<<10, 2<<20); err != nil {
		t.Fatalf("punch hole: %v", err)
	}
	seg.Close()
	ballast := filepath.Join(mnt, "ballast")
	fstest.Fill(t, ballast, 0)

	more, failed := fillUntilFailure(t, l, "b")
	acked = append(acked, more...)
	checkFailedState(t, l)
	if msg := l.Failed().Error(); !strings.Contains(msg, "wal: write ") || !strings.Contains(msg, wal.SegmentName(0)) {
		t.Fatalf("failure %q; this test wants a failed write inside segment %s", msg, wal.SegmentName(0))
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if err := l.Recover(); err != nil {
		t.Fatalf("Recover after freeing space: %v", err)
	}
	acked = append(acked, appendSyncN(t, l, "c", 100)...)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	checkContents(t, dir, acked, failed)
}

// A 64 MiB volume cannot hold a 64 MiB segment: Open picks smaller ones.
func TestOpenOnSmallVolume(t *testing.T) {
	mnt := fstest.MountTmpfs(t, 64<<20)
	l, err := wal.Open(wal.Config{Dir: filepath.Join(mnt, "wal"), Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open on a 64 MiB volume: %v", err)
	}
	defer l.Close()
	appendSyncN(t, l, "a", 10)
	st, err := os.Stat(filepath.Join(mnt, "wal", wal.SegmentName(0)))
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > 8<<20+wal.SegmentHeaderSize {
		t.Fatalf("segment preallocated to %d bytes on a 64 MiB volume; want at most 8 MiB", st.Size())
	}
	// A volume too small even for the smallest segment: a clear error.
	tiny := fstest.MountTmpfs(t, 512<<10)
	_, err = wal.Open(wal.Config{Dir: filepath.Join(tiny, "wal"), Logger: testLogger(t)})
	if !wal.IsNoSpace(err) {
		t.Fatalf("Open on a 512 KiB volume: %v; want a no-space error", err)
	}
	t.Logf("512 KiB volume: %v", err)
}

// fillUntilFailure appends and syncs one record at a time until Sync (or
// Append) fails with a no-space error, and returns the payloads that were
// acknowledged (Sync returned nil) and the one that failed.
func fillUntilFailure(t *testing.T, l *wal.Log, prefix string) (acked, failed []string) {
	t.Helper()
	for i := range 200000 {
		data := fmt.Sprintf("%s-%06d-%s", prefix, i, bytes.Repeat([]byte("y"), 500))
		_, _, err := l.Append(wal.Record{Type: 1, Data: []byte(data)})
		if err == nil {
			_, err = l.Sync()
		}
		if err != nil {
			if !wal.IsNoSpace(err) {
				t.Fatalf("write %d failed with %v; want a no-space error", i, err)
			}
			t.Logf("after %d records: %v", i, err)
			return acked, []string{data}
		}
		acked = append(acked, data)
	}
	t.Fatal("the disk never filled up")
	return nil, nil
}

func appendSyncN(t *testing.T, l *wal.Log, prefix string, n int) []string {
	t.Helper()
	var out []string
	for i := range n {
		data := fmt.Sprintf("%s-%06d", prefix, i)
		if _, _, err := l.Append(wal.Record{Type: 1, Data: []byte(data)}); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Sync(); err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

func checkFailedState(t *testing.T, l *wal.Log) {
	t.Helper()
	if l.Failed() == nil {
		t.Fatal("Failed() = nil after a failed write")
	}
	if _, _, err := l.Append(wal.Record{Type: 1, Data: []byte("z")}); err == nil {
		t.Fatal("Append succeeded on a failed log")
	}
}

// checkContents reopens dir and checks the records are exactly acked.
func checkContents(t *testing.T, dir string, acked, failed []string) {
	t.Helper()
	l := openLog(t, dir, 1<<20)
	r, err := l.NewReader(0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []string
	for {
		rec, err := r.Next()
		if err != nil {
			break
		}
		got = append(got, string(rec.Data))
	}
	if len(got) != len(acked) {
		t.Fatalf("reopened log holds %d records, %d were acknowledged", len(got), len(acked))
	}
	seen := map[string]bool{}
	for i := range got {
		if got[i] != acked[i] {
			t.Fatalf("record %d = %.20q, acknowledged %.20q", i, got[i], acked[i])
		}
		seen[got[i]] = true
	}
	for _, f := range failed {
		if seen[f] {
			t.Fatalf("a record whose Sync failed is in the log: %.20q", f)
		}
	}

}
