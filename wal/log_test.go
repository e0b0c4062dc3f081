package wal_test

import (
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/wal"
	"github.com/prometheus/client_golang/prometheus"
)

var errEOF = io.EOF

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  wal.Config
		ok   bool
	}{
		{"defaults", wal.Config{Dir: "x"}, true},
		{"no dir", wal.Config{}, false},
		{"tiny segment", wal.Config{Dir: "x", SegmentSize: 10}, false},
		{"negative slow", wal.Config{Dir: "x", SlowSync: -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestEmptyLog(t *testing.T) {
	l := openLog(t, t.TempDir(), 0)
	if l.FirstLSN() != 0 || l.EndLSN() != 0 || l.FlushedLSN() != 0 {
		t.Fatalf("empty log: first %s end %s flushed %s", l.FirstLSN(), l.EndLSN(), l.FlushedLSN())
	}
	if got := readAll(t, l, 0); len(got) != 0 {
		t.Fatalf("read %d records from an empty log", len(got))
	}
	if _, err := l.NewReader(8); !errors.Is(err, wal.ErrBadPosition) {
		t.Fatalf("NewReader beyond end: %v, want ErrBadPosition", err)
	}
}

func TestRoundTripAcrossSegments(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, wal.MinSegmentSize)
	lsns := appendSync(t, l, 0, 400)
	for i := 1; i < len(lsns); i++ {
		r := makeRecord(i - 1)
		r.LSN = lsns[i-1]
		if r.End() != lsns[i] {
			t.Fatalf("LSN %d = %s, want %s (contiguous)", i, lsns[i], r.End())
		}
	}
	if n := len(segmentFiles(t, dir)); n < 10 {
		t.Fatalf("%d segment files, want many with 1 KiB segments", n)
	}
	checkRecords(t, readAll(t, l, 0), 0, lsns)
	// Reading from the middle (a segment start and a non-start).
	checkRecords(t, readAll(t, l, lsns[123]), 123, lsns[123:])
	end := l.EndLSN()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l2 := openLog(t, dir, wal.MinSegmentSize)
	if l2.EndLSN() != end || l2.FlushedLSN() != end {
		t.Fatalf("reopened end %s flushed %s, want %s", l2.EndLSN(), l2.FlushedLSN(), end)
	}
	more := appendSync(t, l2, 400, 450)
	if more[0] != end {
		t.Fatalf("first LSN after reopen = %s, want %s", more[0], end)
	}
	checkRecords(t, readAll(t, l2, 0), 0, append(lsns, more...))
}

func TestSegmentCut(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, wal.MinSegmentSize)
	big := wal.Record{Data: make([]byte, 3*wal.MinSegmentSize)}
	small := wal.Record{Data: []byte("x")}
	lsns, _, err := l.Append(small, big, small)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	want := []string{wal.SegmentName(0), wal.SegmentName(lsns[1]), wal.SegmentName(lsns[2])}
	if got := segmentFiles(t, dir); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("segments %v, want %v (big record alone)", got, want)
	}
	if got := readAll(t, l, 0); len(got) != 3 || len(got[1].Data) != len(big.Data) {
		t.Fatalf("read back %d records", len(got))
	}
}

func TestDeterministicLSNs(t *testing.T) {
	a := openLog(t, t.TempDir(), wal.MinSegmentSize)
	b := openLog(t, t.TempDir(), 1<<20)
	la := appendSync(t, a, 0, 200)
	lb := appendSync(t, b, 0, 200)
	for i := range la {
		if la[i] != lb[i] {
			t.Fatalf("record %d: LSN %s vs %s with another segment size", i, la[i], lb[i])
		}
	}
	// A standby re-appending records read from the primary gets equal LSNs.
	c := openLog(t, t.TempDir(), 2*wal.MinSegmentSize)
	for _, rec := range readAll(t, a, 0) {
		got, _, err := c.Append(rec)
		if err != nil || got[0] != rec.LSN {
			t.Fatalf("re-append: LSN %v err %v, want %s", got, err, rec.LSN)
		}
	}
}

func TestConcurrentAppendSync(t *testing.T) {
	l := openLog(t, t.TempDir(), 4*wal.MinSegmentSize)
	const writers, perWriter = 6, 150
	var mu sync.Mutex
	at := map[lsn.LSN]int{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for k := range perWriter {
				i := w*perWriter + k
				lsns, end, err := l.Append(makeRecord(i))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				at[lsns[0]] = i
				mu.Unlock()
				if k%3 == 0 {
					flushed, err := l.Sync()
					if err != nil || flushed < end {
						t.Errorf("Sync = %s, %v; want >= %s", flushed, err, end)
						return
					}
				}
			}
		})
	}
	stop := make(chan struct{})
	var syncers sync.WaitGroup
	for range 2 {
		syncers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := l.Sync(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	syncers.Wait()
	if _, err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, l, 0)
	if len(got) != writers*perWriter {
		t.Fatalf("read %d records, want %d", len(got), writers*perWriter)
	}
	for _, rec := range got {
		want := makeRecord(at[rec.LSN])
		want.LSN = rec.LSN
		if !sameRecord(rec, want) {
			t.Fatalf("record at %s = %+v, want %+v", rec.LSN, rec, want)
		}
	}
}

func TestClosed(t *testing.T) {
	l := openLog(t, t.TempDir(), 0)
	appendSync(t, l, 0, 3)
	r, err := l.NewReader(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	checks := map[string]error{
		"Close":         l.Close(),
		"Sync":          second(l.Sync()),
		"TruncateFront": l.TruncateFront(0),
		"TruncateBack":  l.TruncateBack(0),
		"Reset":         l.Reset(0),
		"Next":          second(r.Next()),
		"NewReader":     second(l.NewReader(0)),
	}
	_, _, err = l.Append(makeRecord(1))
	checks["Append"] = err
	for name, err := range checks {
		if !errors.Is(err, wal.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	l, err := wal.Open(wal.Config{Dir: t.TempDir(), SegmentSize: wal.MinSegmentSize, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	appendSync(t, l, 0, 50)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		m := mf.GetMetric()[0]
		switch {
		case m.Counter != nil:
			got[mf.GetName()] = m.Counter.GetValue()
		case m.Gauge != nil:
			got[mf.GetName()] = m.Gauge.GetValue()
		case m.Histogram != nil:
			got[mf.GetName()] = float64(m.Histogram.GetSampleCount())
		}
	}
	if got["helios_wal_bytes_written_total"] != float64(l.EndLSN()) {
		t.Errorf("bytes written %v, want %d", got["helios_wal_bytes_written_total"], l.EndLSN())
	}
	if got["helios_wal_flushed_lsn"] != float64(l.FlushedLSN()) {
		t.Errorf("flushed gauge %v, want %d", got["helios_wal_flushed_lsn"], l.FlushedLSN())
	}
	if got["helios_wal_fsync_duration_seconds"] == 0 || got["helios_wal_segments"] < 2 {
		t.Errorf("metrics %v", got)
	}
}
