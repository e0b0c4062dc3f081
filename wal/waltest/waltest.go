package waltest

import (
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/wal"
)

// Open opens a log in a new t.TempDir() with the given segment size (0 =
// default), logging to t.Output(). The log is closed when the test ends.
func Open(t testing.TB, segmentSize int64) *wal.Log {
	t.Helper()
	return OpenDir(t, t.TempDir(), segmentSize)
}

// OpenDir is Open on an existing directory (for reopen tests).
func OpenDir(t testing.TB, dir string, segmentSize int64) *wal.Log {
	t.Helper()
	l, err := wal.Open(wal.Config{
		Dir:         dir,
		SegmentSize: segmentSize,
		Logger:      slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatalf("waltest: open %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil && !errors.Is(err, wal.ErrClosed) {
			t.Errorf("waltest: close: %v", err)
		}
	})
	return l
}

// AppendSync appends recs, syncs, and returns their LSNs and the end LSN.
func AppendSync(t testing.TB, l *wal.Log, recs ...wal.Record) ([]lsn.LSN, lsn.LSN) {
	t.Helper()
	lsns, end, err := l.Append(recs...)
	if err != nil {
		t.Fatalf("waltest: append: %v", err)
	}
	if _, err := l.Sync(); err != nil {
		t.Fatalf("waltest: sync: %v", err)
	}
	return lsns, end
}

// ReadAll returns every durable record from `from` (a record boundary) on.
func ReadAll(t testing.TB, l *wal.Log, from lsn.LSN) []wal.Record {
	t.Helper()
	r, err := l.NewReader(from)
	if err != nil {
		t.Fatalf("waltest: new reader at %s: %v", from, err)
	}
	defer r.Close()
	var out []wal.Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("waltest: read after %d records: %v", len(out), err)
		}
		out = append(out, rec)
	}
}
