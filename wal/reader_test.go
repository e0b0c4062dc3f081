package wal_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/wal"
)

func TestNewReaderPositions(t *testing.T) {
	l := openLog(t, t.TempDir(), wal.MinSegmentSize)
	lsns := appendSync(t, l, 0, 50)
	if _, _, err := l.Append(makeRecord(50)); err != nil { // appended, not flushed
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		from lsn.LSN
		want error
	}{
		{"boundary", lsns[17], nil},
		{"flushed end", l.FlushedLSN(), nil},
		{"inside a record", lsns[17] + 8, wal.ErrBadPosition},
		{"unflushed end", l.EndLSN(), wal.ErrBadPosition},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := l.NewReader(tc.from)
			if !errors.Is(err, tc.want) {
				t.Fatalf("NewReader(%s) = %v, want %v", tc.from, err, tc.want)
			}
			if err == nil {
				r.Close()
			}
		})
	}
}

// A replication sender: read until EOF, WaitFlushed, read on with the same
// Reader.
func TestReaderTailsWithWaitFlushed(t *testing.T) {
	l := openLog(t, t.TempDir(), 2*wal.MinSegmentSize)
	const n = 300
	done := make(chan []wal.Record)
	go func() {
		var got []wal.Record
		r, err := l.NewReader(0)
		if err != nil {
			t.Error(err)
			close(done)
			return
		}
		defer r.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for len(got) < n {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				if _, err := l.WaitFlushed(ctx, r.Pos()); err != nil {
					t.Error(err)
					break
				}
				continue
			}
			if err != nil {
				t.Error(err)
				break
			}
			got = append(got, rec)
		}
		done <- got
	}()
	var lsns []lsn.LSN
	for i := 0; i < n; i += 10 {
		lsns = append(lsns, appendSync(t, l, i, i+10)...)
		time.Sleep(time.Millisecond)
	}
	checkRecords(t, <-done, 0, lsns)
}

func TestWaitFlushed(t *testing.T) {
	l := openLog(t, t.TempDir(), 0)
	appendSync(t, l, 0, 2)
	if got, err := l.WaitFlushed(context.Background(), 0); err != nil || got != l.FlushedLSN() {
		t.Fatalf("WaitFlushed(0) = %s, %v", got, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.WaitFlushed(ctx, l.FlushedLSN()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFlushed with expiring ctx = %v", err)
	}
	errc := make(chan error)
	go func() {
		_, err := l.WaitFlushed(context.Background(), l.FlushedLSN())
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	l.Close()
	if err := <-errc; !errors.Is(err, wal.ErrClosed) {
		t.Fatalf("WaitFlushed across Close = %v, want ErrClosed", err)
	}
}

// A Reader only returns durable records, even when more are appended.
func TestReaderStopsAtFlushed(t *testing.T) {
	l := openLog(t, t.TempDir(), 0)
	lsns := appendSync(t, l, 0, 5)
	if _, _, err := l.Append(makeRecord(5)); err != nil {
		t.Fatal(err)
	}
	checkRecords(t, readAll(t, l, 0), 0, lsns)
}

func TestReaderAcrossTruncateFront(t *testing.T) {
	l := openLog(t, t.TempDir(), wal.MinSegmentSize)
	lsns := appendSync(t, l, 0, 100)
	r, err := l.NewReader(lsns[40])
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := l.TruncateFront(l.EndLSN()); err != nil {
		t.Fatal(err)
	}
	// The reader already holds its segment; the next one is gone.
	var err2 error
	for i := 40; i < 100; i++ {
		if _, err2 = r.Next(); err2 != nil {
			break
		}
	}
	if !errors.Is(err2, wal.ErrNotRetained) {
		t.Fatalf("reading removed segments: %v, want ErrNotRetained", err2)
	}
}

// Retention driven by a tailing reader (as replication does): segments
// behind the reader are removed while it follows the writer.
func TestTailWithRetention(t *testing.T) {
	l := openLog(t, t.TempDir(), wal.MinSegmentSize)
	const n = 400
	errc := make(chan error, 1)
	go func() {
		r, err := l.NewReader(0)
		if err != nil {
			errc <- err
			return
		}
		defer r.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for k := 0; k < n; {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				if _, err := l.WaitFlushed(ctx, r.Pos()); err != nil {
					errc <- err
					return
				}
				continue
			}
			if err != nil {
				errc <- err
				return
			}
			if want := makeRecord(k); !bytes.Equal(rec.Data, want.Data) {
				errc <- fmt.Errorf("record %d: got %q", k, rec.Data)
				return
			}
			k++
			if err := l.TruncateFront(rec.LSN); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := 0; i < n; i += 5 {
		appendSync(t, l, i, i+5)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if l.FirstLSN() == 0 {
		t.Fatal("no segment was removed")
	}
}

func TestSlowSyncWarning(t *testing.T) {
	var buf bytes.Buffer
	l, err := wal.Open(wal.Config{Dir: t.TempDir(), SlowSync: time.Nanosecond,
		Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	appendSync(t, l, 0, 1)
	if !strings.Contains(buf.String(), "slow fsync") {
		t.Fatalf("no slow fsync warning in %q", buf.String())
	}
}
