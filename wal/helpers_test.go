package wal_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/wal"
)

// openLog opens a log in dir and closes it at the end of the test.
func openLog(t *testing.T, dir string, segSize int64) *wal.Log {
	t.Helper()
	l, err := wal.Open(wal.Config{Dir: dir, SegmentSize: segSize, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil && !errors.Is(err, wal.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// makeRecord returns the i-th test record; sizes vary from 0 to ~300 bytes.
func makeRecord(i int) wal.Record {
	data := []byte(fmt.Sprintf("rec-%d-", i))
	data = append(data, bytes.Repeat([]byte{byte('a' + i%26)}, (i*37)%300)...)
	if i%11 == 0 {
		data = nil
	}
	return wal.Record{Term: uint64(i/50 + 1), Timestamp: int64(i) * 1000, Type: uint8(i%3 + 1), Data: data}
}

// appendSync appends records [from, to) in batches of up to 7 and syncs
// after each batch. It returns the LSNs.
func appendSync(t *testing.T, l *wal.Log, from, to int) []lsn.LSN {
	t.Helper()
	var out []lsn.LSN
	for i := from; i < to; {
		var batch []wal.Record
		for j := 0; j < 1+i%7 && i < to; j++ {
			batch = append(batch, makeRecord(i))
			i++
		}
		lsns, end, err := l.Append(batch...)
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		if got := batch[len(batch)-1].End(); got != end {
			t.Fatalf("Append end = %s, last record End = %s", end, got)
		}
		out = append(out, lsns...)
		flushed, err := l.Sync()
		if err != nil {
			t.Fatalf("Sync: %v", err)
		}
		if flushed < end {
			t.Fatalf("Sync returned %s < end %s", flushed, end)
		}
	}
	return out
}

// readAll reads every record from `from` to the flushed end.
func readAll(t *testing.T, l *wal.Log, from lsn.LSN) []wal.Record {
	t.Helper()
	r, err := l.NewReader(from)
	if err != nil {
		t.Fatalf("NewReader(%s): %v", from, err)
	}
	defer r.Close()
	var out []wal.Record
	for {
		rec, err := r.Next()
		if errors.Is(err, errEOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next after %d records: %v", len(out), err)
		}
		out = append(out, rec)
	}
}

// checkRecords verifies that got[k] is makeRecord(first+k) at lsns[k].
func checkRecords(t *testing.T, got []wal.Record, first int, lsns []lsn.LSN) {
	t.Helper()
	if len(got) != len(lsns) {
		t.Fatalf("read %d records, want %d", len(got), len(lsns))
	}
	for k, rec := range got {
		want := makeRecord(first + k)
		want.LSN = lsns[k]
		if !sameRecord(rec, want) {
			t.Fatalf("record %d = %+v, want %+v", first+k, rec, want)
		}
	}
}

func sameRecord(a, b wal.Record) bool {
	return a.LSN == b.LSN && a.Term == b.Term && a.Timestamp == b.Timestamp && a.Type == b.Type && bytes.Equal(a.Data, b.Data)
}

func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".wal") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names
}

// fileOffset returns the segment file and file offset holding position p.
func fileOffset(t *testing.T, dir string, p lsn.LSN) (string, int64) {
	t.Helper()
	var name string
	for _, n := range segmentFiles(t, dir) {
		var start uint64
		fmt.Sscanf(n, "%016x.wal", &start)
		if lsn.LSN(start) <= p {
			name = n
		}
	}
	var start uint64
	fmt.Sscanf(name, "%016x.wal", &start)
	return filepath.Join(dir, name), wal.SegmentHeaderSize + int64(p-lsn.LSN(start))
}

func writeAt(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}
