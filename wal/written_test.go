package wal_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/heliosdb/nano/wal"
	"github.com/heliosdb/nano/wal/waltest"
)

// Records the log has written out but not fsynced (more than it buffers in
// memory) are readable through NewWrittenReader, not through NewReader;
// going back below them (TruncateBack, Recover) counts as a rewind and
// takes WrittenLSN back.
func TestWrittenReaderAndRewinds(t *testing.T) {
	l := waltest.Open(t, 0)
	_, durable := waltest.AppendSync(t, l, wal.Record{Term: 1, Type: 1, Data: []byte("durable")})
	if n, low := l.Rewinds(); n != 0 || low != 0 {
		t.Fatalf("fresh log: Rewinds() = %d, %s", n, low)
	}
	changed, err := l.WrittenChanged()
	if err != nil {
		t.Fatal(err)
	}
	var big []wal.Record
	for i := range 10 {
		big = append(big, wal.Record{Term: 1, Type: 1, Data: bytes.Repeat([]byte{byte(i)}, 1<<20)})
	}
	if _, _, err := l.Append(big...); err != nil {
		t.Fatal(err)
	}
	written := l.WrittenLSN()
	if written <= durable || l.FlushedLSN() != durable {
		t.Fatalf("written %s flushed %s, want written past %s and flushed at it", written, l.FlushedLSN(), durable)
	}
	select {
	case <-changed:
	default:
		t.Fatal("WrittenChanged not closed by a write")
	}

	r, err := l.NewWrittenReader(durable)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rec.Data, big[n].Data) {
			t.Fatalf("record %d differs", n)
		}
		n++
	}
	if r.Pos() != written || n == 0 {
		t.Fatalf("written reader read %d records up to %s, want up to %s", n, r.Pos(), written)
	}
	if _, err := l.NewReader(written); !errors.Is(err, wal.ErrBadPosition) {
		t.Fatalf("NewReader past the flushed end: %v, want ErrBadPosition", err)
	}

	if err := l.TruncateBack(durable); err != nil {
		t.Fatal(err)
	}
	if got := l.WrittenLSN(); got != durable {
		t.Fatalf("after TruncateBack WrittenLSN = %s, want %s", got, durable)
	}
	if n, low := l.Rewinds(); n != 1 || low != 0 {
		t.Fatalf("after TruncateBack Rewinds() = %d, %s; want 1, 0/0 (the end at Open)", n, low)
	}
	// A truncation that discards nothing written is no rewind.
	if err := l.TruncateBack(durable); err != nil {
		t.Fatal(err)
	}
	if n, _ := l.Rewinds(); n != 1 {
		t.Fatalf("a truncation at the written end counted as a rewind: %d", n)
	}
}
