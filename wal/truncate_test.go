package wal_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/wal"
)

func TestTruncateFront(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, wal.MinSegmentSize)
	lsns := appendSync(t, l, 0, 300)
	before := len(segmentFiles(t, dir))
	cut := lsns[150]
	if err := l.TruncateFront(cut); err != nil {
		t.Fatal(err)
	}
	first := l.FirstLSN()
	if first > cut || first == 0 {
		t.Fatalf("FirstLSN %s after TruncateFront(%s)", first, cut)
	}
	if after := len(segmentFiles(t, dir)); after >= before {
		t.Fatalf("%d segments before, %d after", before, after)
	}
	if segmentFiles(t, dir)[0] != wal.SegmentName(first) {
		t.Fatalf("first file %s, FirstLSN %s", segmentFiles(t, dir)[0], first)
	}
	if _, err := l.NewReader(0); !errors.Is(err, wal.ErrNotRetained) {
		t.Fatalf("NewReader(0) = %v, want ErrNotRetained", err)
	}
	k := indexOf(lsns, first)
	checkRecords(t, readAll(t, l, first), k, lsns[k:])

	// Never deletes the last segment.
	if err := l.TruncateFront(l.EndLSN() + 1000); err != nil {
		t.Fatal(err)
	}
	if n := len(segmentFiles(t, dir)); n != 1 {
		t.Fatalf("%d segments left, want 1", n)
	}
	k = indexOf(lsns, l.FirstLSN())
	checkRecords(t, readAll(t, l, l.FirstLSN()), k, lsns[k:])
	l.Close()
	l2 := openLog(t, dir, wal.MinSegmentSize)
	checkRecords(t, readAll(t, l2, l2.FirstLSN()), k, lsns[k:])
}

func indexOf(lsns []lsn.LSN, v lsn.LSN) int {
	for i, x := range lsns {
		if x == v {
			return i
		}
	}
	panic("not a record boundary: " + v.String())
}

func TestTruncateBack(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, wal.MinSegmentSize)
	lsns := appendSync(t, l, 0, 200)
	if _, _, err := l.Append(makeRecord(200)); err != nil { // unsynced: discarded too
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   lsn.LSN
		want error
	}{
		{lsns[50] + 8, wal.ErrBadPosition},
		{l.EndLSN() + 8, wal.ErrBadPosition},
	} {
		if err := l.TruncateBack(tc.at); !errors.Is(err, tc.want) {
			t.Fatalf("TruncateBack(%s) = %v, want %v", tc.at, err, tc.want)
		}
	}
	at := lsns[120]
	if err := l.TruncateBack(at); err != nil {
		t.Fatal(err)
	}
	if l.EndLSN() != at || l.FlushedLSN() != at {
		t.Fatalf("end %s flushed %s, want %s", l.EndLSN(), l.FlushedLSN(), at)
	}
	checkRecords(t, readAll(t, l, 0), 0, lsns[:120])
	// New history continues at `at`.
	next := appendSync(t, l, 1000, 1010)
	if next[0] != at {
		t.Fatalf("next LSN %s, want %s", next[0], at)
	}
	l.Close()
	l2 := openLog(t, dir, wal.MinSegmentSize)
	got := readAll(t, l2, at)
	checkRecords(t, got, 1000, next)
	// Truncating to the very beginning leaves an empty log at FirstLSN.
	if err := l2.TruncateBack(0); err != nil {
		t.Fatal(err)
	}
	if l2.EndLSN() != 0 || len(readAll(t, l2, 0)) != 0 {
		t.Fatalf("after TruncateBack(0): end %s", l2.EndLSN())
	}
}

func TestTruncateBackNotRetained(t *testing.T) {
	l := openLog(t, t.TempDir(), wal.MinSegmentSize)
	appendSync(t, l, 0, 100)
	if err := l.TruncateFront(l.EndLSN()); err != nil {
		t.Fatal(err)
	}
	if err := l.TruncateBack(0); !errors.Is(err, wal.ErrNotRetained) {
		t.Fatalf("TruncateBack(0) = %v, want ErrNotRetained", err)
	}
}

func TestReset(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, wal.MinSegmentSize)
	appendSync(t, l, 0, 100)
	const start = lsn.LSN(0x1234_5678)
	if err := l.Reset(start); err != nil {
		t.Fatal(err)
	}
	if l.FirstLSN() != start || l.EndLSN() != start || l.FlushedLSN() != start {
		t.Fatalf("after Reset: first %s end %s flushed %s", l.FirstLSN(), l.EndLSN(), l.FlushedLSN())
	}
	if got := segmentFiles(t, dir); len(got) != 1 || got[0] != wal.SegmentName(start) {
		t.Fatalf("segments %v", got)
	}
	if _, err := l.NewReader(0); !errors.Is(err, wal.ErrNotRetained) {
		t.Fatalf("NewReader(0) = %v, want ErrNotRetained", err)
	}
	lsns := appendSync(t, l, 0, 50)
	if lsns[0] != start {
		t.Fatalf("first LSN %s, want %s", lsns[0], start)
	}
	l.Close()
	l2 := openLog(t, dir, wal.MinSegmentSize)
	checkRecords(t, readAll(t, l2, start), 0, lsns)
}

// A crash after Reset wrote its new segment but before the old ones were
// removed is completed by Open.
func TestInterruptedReset(t *testing.T) {
	const start = lsn.LSN(0x10000)
	other := t.TempDir()
	o := openLog(t, other, wal.MinSegmentSize)
	if err := o.Reset(start); err != nil {
		t.Fatal(err)
	}
	o.Close()
	seg, err := os.ReadFile(filepath.Join(other, wal.SegmentName(start)))
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := writeLog(t, wal.MinSegmentSize, 100)
	if err := os.WriteFile(filepath.Join(dir, wal.SegmentName(start)+".reset"), seg, 0o640); err != nil {
		t.Fatal(err)
	}
	l := openLog(t, dir, wal.MinSegmentSize)
	if l.FirstLSN() != start || l.EndLSN() != start {
		t.Fatalf("first %s end %s, want %s", l.FirstLSN(), l.EndLSN(), start)
	}
	if got := segmentFiles(t, dir); len(got) != 1 {
		t.Fatalf("segments %v", got)
	}
	r, err := l.NewReader(start)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("Next = %v, want EOF", err)
	}
	r.Close()
}
