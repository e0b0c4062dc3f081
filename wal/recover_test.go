package wal_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/wal"
)

// writeLog creates a log in a new dir with records [0, n), closes it and
// returns the dir and the LSNs.
func writeLog(t *testing.T, segSize int64, n int) (string, []lsn.LSN) {
	t.Helper()
	dir := t.TempDir()
	l, err := wal.Open(wal.Config{Dir: dir, SegmentSize: segSize})
	if err != nil {
		t.Fatal(err)
	}
	lsns := appendSync(t, l, 0, n)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, lsns
}

func TestTornTailTruncated(t *testing.T) {
	next := makeRecord(1000)
	for _, tc := range []struct {
		name string
		tail func(at lsn.LSN) []byte // bytes written at the end of the log
	}{
		{"garbage", func(lsn.LSN) []byte { return bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 50) }},
		{"partial record", func(at lsn.LSN) []byte {
			next.LSN = at
			b := wal.EncodeRecord(nil, next)
			return b[:len(b)/2]
		}},
		{"record with bad crc", func(at lsn.LSN) []byte {
			next.LSN = at
			b := wal.EncodeRecord(nil, next)
			b[wal.RecordHeaderSize+3] ^= 0xff
			return b
		}},
		{"header only", func(at lsn.LSN) []byte {
			next.LSN = at
			return wal.EncodeRecord(nil, next)[:wal.RecordHeaderSize]
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, lsns := writeLog(t, 4*wal.MinSegmentSize, 60)
			end := lsns[len(lsns)-1] + lsn.LSN(wal.FramedSize(len(makeRecord(59).Data)))
			path, off := fileOffset(t, dir, end)
			writeAt(t, path, off, tc.tail(end))

			l := openLog(t, dir, 4*wal.MinSegmentSize)
			if l.EndLSN() != end || l.FlushedLSN() != end {
				t.Fatalf("after recovery end %s flushed %s, want %s", l.EndLSN(), l.FlushedLSN(), end)
			}
			checkRecords(t, readAll(t, l, 0), 0, lsns)
			// The log is writable at the repaired end, and the tail was cleared.
			more := appendSync(t, l, 60, 62)
			if more[0] != end {
				t.Fatalf("next LSN %s, want %s", more[0], end)
			}
			l.Close()
			l2 := openLog(t, dir, 4*wal.MinSegmentSize)
			checkRecords(t, readAll(t, l2, 0), 0, append(lsns, more...))
		})
	}
}

func TestTruncatedFile(t *testing.T) {
	dir, lsns := writeLog(t, 4*wal.MinSegmentSize, 30)
	last := lsns[len(lsns)-1]
	path, off := fileOffset(t, dir, last)
	if err := os.Truncate(path, off+wal.RecordHeaderSize+2); err != nil {
		t.Fatal(err)
	}
	l := openLog(t, dir, 4*wal.MinSegmentSize)
	if l.EndLSN() != last {
		t.Fatalf("end %s, want %s (last record cut)", l.EndLSN(), last)
	}
	checkRecords(t, readAll(t, l, 0), 0, lsns[:len(lsns)-1])
}

func TestCorruptMiddleDetected(t *testing.T) {
	const segSize = 64 * wal.MinSegmentSize // everything in one segment
	for _, tc := range []struct {
		name string
		at   int // record index
		off  int64
	}{
		{"payload byte", 10, wal.RecordHeaderSize + 2},
		{"crc byte", 10, 0},
		{"length byte", 20, 4},
		{"lsn byte", 20, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, lsns := writeLog(t, segSize, 40)
			path, off := fileOffset(t, dir, lsns[tc.at])
			flipByte(t, path, off+tc.off)
			_, err := wal.Open(wal.Config{Dir: dir, SegmentSize: segSize})
			if !errors.Is(err, wal.ErrCorrupt) {
				t.Fatalf("Open = %v, want ErrCorrupt", err)
			}
			if msg := err.Error(); !strings.Contains(msg, filepath.Base(path)) || !strings.Contains(msg, "offset") {
				t.Fatalf("error %q does not name the file and offset", msg)
			}
		})
	}
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	b := make([]byte, 1)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// Corruption in an older segment is not scanned by Open but is reported by
// the Reader, never skipped.
func TestCorruptOlderSegmentReader(t *testing.T) {
	dir, lsns := writeLog(t, wal.MinSegmentSize, 100)
	path, off := fileOffset(t, dir, lsns[3])
	flipByte(t, path, off+wal.RecordHeaderSize+1)
	l := openLog(t, dir, wal.MinSegmentSize)
	r, err := l.NewReader(0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := 0; ; i++ {
		rec, err := r.Next()
		if errors.Is(err, wal.ErrCorrupt) {
			if i != 3 || !strings.Contains(err.Error(), filepath.Base(path)) {
				t.Fatalf("corruption reported at record %d: %v", i, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if rec.LSN != lsns[i] {
			t.Fatalf("record %d at %s, want %s (skipped?)", i, rec.LSN, lsns[i])
		}
	}
}

// Unsynced pages that reached the disk out of order before a power loss
// leave a zero-filled hole followed by valid records: that is a torn tail,
// not corruption (see doc.go).
func TestZeroHoleIsTorn(t *testing.T) {
	const segSize = 64 * wal.MinSegmentSize
	dir := t.TempDir()
	l, err := wal.Open(wal.Config{Dir: dir, SegmentSize: segSize})
	if err != nil {
		t.Fatal(err)
	}
	lsns, _, err := l.Append(makeRecord(1), wal.Record{Data: make([]byte, 2000)}, makeRecord(2), makeRecord(3))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	path, off := fileOffset(t, dir, lsns[1])
	writeAt(t, path, off, make([]byte, wal.FramedSize(2000))) // record 1 never reached the disk

	l2 := openLog(t, dir, segSize)
	if l2.EndLSN() != lsns[1] {
		t.Fatalf("end %s, want %s", l2.EndLSN(), lsns[1])
	}
}

func TestBadHeaderOfLastSegment(t *testing.T) {
	dir, _ := writeLog(t, wal.MinSegmentSize, 100)
	names := segmentFiles(t, dir)
	last := filepath.Join(dir, names[len(names)-1])
	flipByte(t, last, 1)
	if _, err := wal.Open(wal.Config{Dir: dir, SegmentSize: wal.MinSegmentSize}); !errors.Is(err, wal.ErrCorrupt) {
		t.Fatalf("Open with a bad header over valid records = %v, want ErrCorrupt", err)
	}
	// A segment torn while being created (header and data all zero) is rewritten empty.
	if err := os.WriteFile(last, make([]byte, 4096), 0o640); err != nil {
		t.Fatal(err)
	}
	l := openLog(t, dir, wal.MinSegmentSize)
	if got := wal.SegmentName(l.EndLSN()); got != names[len(names)-1] {
		t.Fatalf("end %s, want the start of %s", l.EndLSN(), names[len(names)-1])
	}
	if n := len(readAll(t, l, l.FirstLSN())); n == 0 || n >= 100 {
		t.Fatalf("read %d records", n)
	}
}

func TestCorruptSealedHeader(t *testing.T) {
	dir, _ := writeLog(t, wal.MinSegmentSize, 100)
	flipByte(t, filepath.Join(dir, segmentFiles(t, dir)[1]), 9)
	if _, err := wal.Open(wal.Config{Dir: dir, SegmentSize: wal.MinSegmentSize}); !errors.Is(err, wal.ErrCorrupt) {
		t.Fatalf("Open = %v, want ErrCorrupt", err)
	}
}
