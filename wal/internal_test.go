package wal

import (
	"testing"
	"time"

	"github.com/heliosdb/nano/lsn"
)

// Append must never wait for a Sync in progress (group commit): simulate a
// long fsync by holding syncMu and check that Appends still complete.
func TestAppendDoesNotWaitForSync(t *testing.T) {
	l, err := Open(Config{Dir: t.TempDir(), SegmentSize: MinSegmentSize})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.syncMu.Lock()
	done := make(chan struct{})
	go func() {
		for range 100 { // crosses several segment cuts
			if _, _, err := l.Append(Record{Data: make([]byte, 100)}); err != nil {
				t.Error(err)
			}
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Append blocked while a Sync held the file lock")
	}
	l.syncMu.Unlock()
	if f, err := l.Sync(); err != nil || f != l.EndLSN() {
		t.Fatalf("Sync = %s, %v; want %s", f, err, l.EndLSN())
	}
}

// The recovery decision table of scanData, on a synthetic record area.
func TestScanData(t *testing.T) {
	const start = lsn.LSN(1 << 20)
	area := func() ([]byte, []int) {
		var b []byte
		var offs []int
		for i := range 6 {
			offs = append(offs, len(b))
			b = EncodeRecord(b, Record{LSN: start + lsn.LSN(len(b)), Data: make([]byte, 100*i)})
		}
		return append(b, make([]byte, 2048)...), offs // preallocated zeros
	}
	for _, tc := range []struct {
		name     string
		damage   func(b []byte, offs []int)
		valid    int // index of the first dropped record (6 = none)
		torn     bool
		dropped  int
		corrupts bool
	}{
		{"clean", func([]byte, []int) {}, 6, false, 0, false},
		{"garbage tail", func(b []byte, offs []int) { copy(b[len(b)-2000:], "garbage") }, 6, true, 0, false},
		{"last record crc", func(b []byte, offs []int) { b[offs[5]+RecordHeaderSize] ^= 1 }, 5, true, 0, false},
		{"middle crc", func(b []byte, offs []int) { b[offs[2]+RecordHeaderSize] ^= 1 }, 2, false, 0, true},
		{"middle header zeroed", func(b []byte, offs []int) { clear(b[offs[2] : offs[2]+RecordHeaderSize]) }, 2, true, 3, false},
		{"middle record zeroed", func(b []byte, offs []int) { clear(b[offs[4]:offs[5]]) }, 4, true, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, offs := area()
			tc.damage(b, offs)
			want := len(b) - 2048
			if tc.valid < len(offs) {
				want = offs[tc.valid]
			}
			res, serr := scanData(b, start)
			if (serr != nil) != tc.corrupts {
				t.Fatalf("scanError = %v, want corruption=%v", serr, tc.corrupts)
			}
			if serr != nil {
				if serr.off != int64(want) {
					t.Fatalf("corruption at %d, want %d", serr.off, want)
				}
				return
			}
			if res.valid != int64(want) || res.torn != tc.torn || res.dropped != tc.dropped {
				t.Fatalf("scan = %+v, want valid %d torn %v dropped %d", res, want, tc.torn, tc.dropped)
			}
		})
	}
}

// The small-volume segment sizing policy of space.go.
func TestSegmentSizeFor(t *testing.T) {
	const M = 1 << 20
	for _, c := range []struct{ configured, free, want int64 }{
		{64 * M, 100 << 30, 64 * M}, // plenty of room
		{64 * M, 512 * M, 64 * M},   // exactly 8 segments
		{64 * M, 511 * M, 32 * M},   // just below: halve
		{64 * M, 64 * M, 8 * M},     // a 64 MiB volume
		{64 * M, 20 * M, 2 * M},
		{64 * M, 512 << 10, M},              // never below MinAutoSegmentSize (creation then fails clearly)
		{MinSegmentSize, 0, MinSegmentSize}, // a configured size below the floor is kept
		{3 * M, 16 * M, 2 * M},
	} {
		if got := segmentSizeFor(c.configured, c.free); got != c.want {
			t.Errorf("segmentSizeFor(%d, %d) = %d, want %d", c.configured, c.free, got, c.want)
		}
	}
}
