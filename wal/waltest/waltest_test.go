package waltest_test

import (
	"bytes"
	"testing"

	"github.com/heliosdb/nano/wal"
	"github.com/heliosdb/nano/wal/waltest"
)

func TestHelpers(t *testing.T) {
	dir := t.TempDir()
	l := waltest.OpenDir(t, dir, wal.MinSegmentSize)
	lsns, end := waltest.AppendSync(t, l, wal.Record{Type: 1, Data: []byte("a")}, wal.Record{Type: 2, Data: []byte("bc")})
	if l.FlushedLSN() != end || lsns[0] != 0 {
		t.Fatalf("flushed %s end %s lsns %v", l.FlushedLSN(), end, lsns)
	}
	got := waltest.ReadAll(t, l, 0)
	if len(got) != 2 || got[1].LSN != lsns[1] || !bytes.Equal(got[1].Data, []byte("bc")) {
		t.Fatalf("ReadAll = %+v", got)
	}
}

// PowerCut drops what was written after the last fsync — here 9 MiB the
// log wrote out (past its pending limit) but never fsynced, spanning
// segment cuts — and a log reopened on the directory ends at the last
// flushed LSN, with every synced record.
func TestPowerCut(t *testing.T) {
	dir := t.TempDir()
	open := func() *wal.Log {
		l, err := wal.Open(wal.Config{Dir: dir, SegmentSize: 4 << 20, SyncMark: true})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := open()
	var synced []wal.Record
	for i := 0; i < 10; i++ {
		synced = append(synced, wal.Record{Type: 1, Data: []byte{byte(i)}})
	}
	_, flushed := waltest.AppendSync(t, l, synced...)
	big := bytes.Repeat([]byte("x"), 64<<10)
	for i := 0; i < 144; i++ { // 9 MiB: written out, not fsynced
		if _, _, err := l.Append(wal.Record{Type: 2, Data: big}); err != nil {
			t.Fatal(err)
		}
	}
	if l.WrittenLSN() <= flushed || l.FlushedLSN() != flushed {
		t.Fatalf("written %s flushed %s: want writes past the flushed %s", l.WrittenLSN(), l.FlushedLSN(), flushed)
	}
	// The process dies here (l is abandoned, not closed).
	mark, dropped, err := waltest.PowerCut(dir)
	if err != nil || mark != flushed || !dropped {
		t.Fatalf("PowerCut = %s, %v, %v; want %s, dropped", mark, dropped, err, flushed)
	}
	l2 := open()
	defer l2.Close()
	if l2.EndLSN() != flushed {
		t.Fatalf("reopened log ends at %s, want %s", l2.EndLSN(), flushed)
	}
	if got := waltest.ReadAll(t, l2, 0); len(got) != len(synced) {
		t.Fatalf("read %d records after the cut, want %d", len(got), len(synced))
	}
	if _, dropped, err := waltest.PowerCut(dir); err != nil || dropped {
		t.Fatalf("a second cut (nothing written since the reopen): dropped %v, %v", dropped, err)
	}
	if _, _, err := waltest.PowerCut(t.TempDir()); err == nil {
		t.Fatal("PowerCut of a directory without a sync mark succeeded")
	}
}
