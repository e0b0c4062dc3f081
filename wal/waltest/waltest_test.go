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
