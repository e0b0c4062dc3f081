package waltest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
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

// PowerCut leaves dir as a machine losing power would have left a log
// opened with Config.SyncMark whose process has been killed: what was
// written after the last fsync is gone. The record bytes past the flushed
// LSN the log recorded are zeroed (the state of a preallocated segment
// never written) and the segment files after the one holding it are
// removed. A log opened on dir then recovers to that LSN, which PowerCut
// returns; dropped reports whether anything written was lost.
func PowerCut(dir string) (mark lsn.LSN, dropped bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, wal.SyncMarkName))
	if err != nil {
		return 0, false, fmt.Errorf("waltest: power cut: %w (was the log opened with SyncMark?)", err)
	}
	if len(b) != 8 {
		return 0, false, fmt.Errorf("waltest: power cut: sync mark of %d bytes", len(b))
	}
	mark = lsn.LSN(binary.LittleEndian.Uint64(b))
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, false, err
	}
	var starts []lsn.LSN
	for _, e := range ents {
		var v uint64
		if n, err := fmt.Sscanf(e.Name(), "%016x.wal", &v); err == nil && n == 1 && e.Name() == wal.SegmentName(lsn.LSN(v)) {
			starts = append(starts, lsn.LSN(v))
		}
	}
	slices.Sort(starts)
	holding := -1
	for i, s := range starts {
		if s <= mark {
			holding = i
		}
	}
	if holding < 0 {
		return 0, false, fmt.Errorf("waltest: power cut: no segment holds the mark %v", mark)
	}
	for _, s := range starts[holding+1:] {
		if err := os.Remove(filepath.Join(dir, wal.SegmentName(s))); err != nil {
			return 0, false, err
		}
		dropped = true
	}
	f, err := os.OpenFile(filepath.Join(dir, wal.SegmentName(starts[holding])), os.O_RDWR, 0)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, false, err
	}
	buf, zero := make([]byte, 64<<10), make([]byte, 64<<10)
	for off := wal.SegmentHeaderSize + int64(mark-starts[holding]); off < st.Size(); off += int64(len(buf)) {
		n := min(int64(len(buf)), st.Size()-off)
		if _, err := f.ReadAt(buf[:n], off); err != nil {
			return 0, false, err
		}
		if !bytes.Equal(buf[:n], zero[:n]) {
			dropped = true
			if _, err := f.WriteAt(zero[:n], off); err != nil {
				return 0, false, err
			}
		}
	}
	return mark, dropped, f.Sync()
}
