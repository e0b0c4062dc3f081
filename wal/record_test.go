package wal_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/wal"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.wal and the FuzzDecode seed corpus")

func TestEncodeDecode(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  wal.Record
	}{
		{"empty", wal.Record{LSN: 0}},
		{"aligned payload", wal.Record{LSN: 8, Term: 3, Timestamp: -5, Type: 1, Data: []byte("12345678")}},
		{"padded payload", wal.Record{LSN: 1 << 40, Term: 1<<64 - 1, Timestamp: 1700000000000000, Type: 255, Data: []byte("abc")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := wal.EncodeRecord([]byte("prefix"), tc.rec)[len("prefix"):]
			if len(b) != wal.FramedSize(len(tc.rec.Data)) || len(b)%wal.RecordAlign != 0 {
				t.Fatalf("framed %d bytes, FramedSize %d", len(b), wal.FramedSize(len(tc.rec.Data)))
			}
			got, n, err := wal.DecodeRecord(b)
			if err != nil || n != len(b) || !sameRecord(got, tc.rec) {
				t.Fatalf("DecodeRecord = %+v, %d, %v; want %+v", got, n, err, tc.rec)
			}
			if sum, want := wal.RecordChecksum(tc.rec), binary.LittleEndian.Uint32(b); sum != want {
				t.Fatalf("RecordChecksum = %08x, the frame holds %08x", sum, want)
			}
			if got.End() != tc.rec.LSN+lsn.LSN(len(b)) {
				t.Fatalf("End = %s", got.End())
			}
			if _, _, err := wal.DecodeRecord(b[:len(b)-1]); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("short frame: %v", err)
			}
			for i := range b { // every single-byte change is detected
				c := bytes.Clone(b)
				c[i] ^= 0x01
				if _, _, err := wal.DecodeRecord(c); err == nil {
					t.Fatalf("flipping byte %d went unnoticed", i)
				}
			}
		})
	}
}

func seedRecords() []wal.Record {
	return []wal.Record{
		{},
		{LSN: 48, Term: 2, Timestamp: 1700000000000000, Type: 1, Data: []byte("put t1 k=v")},
		{LSN: 1 << 33, Term: 7, Type: 2, Data: bytes.Repeat([]byte{0xff}, 33)},
	}
}

// FuzzDecode feeds arbitrary bytes to the record decoder: it must never
// panic, must fail only with ErrCorrupt or io.ErrUnexpectedEOF, and what it
// accepts must re-encode to the same bytes.
func FuzzDecode(f *testing.F) {
	for _, r := range seedRecords() {
		f.Add(wal.EncodeRecord(nil, r))
	}
	f.Add([]byte{})
	f.Add(make([]byte, wal.RecordHeaderSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, n, err := wal.DecodeRecord(b)
		if err != nil {
			if !errors.Is(err, wal.ErrCorrupt) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if n > len(b) || n != wal.FramedSize(len(rec.Data)) {
			t.Fatalf("n = %d for %d input bytes and %d data bytes", n, len(b), len(rec.Data))
		}
		if re := wal.EncodeRecord(nil, rec); !bytes.Equal(re, b[:n]) {
			t.Fatalf("re-encoding differs:\n%x\n%x", re, b[:n])
		}
	})
}

// TestFuzzSeedCorpus rewrites testdata/fuzz/FuzzDecode with -update.
func TestFuzzSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, r := range seedRecords() {
			b := wal.EncodeRecord(nil, r)
			body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) == 0 {
		t.Fatalf("seed corpus %s missing (run with -update): %v", dir, err)
	}
}

// TestGoldenSegment pins the on-disk format: a known log must produce
// testdata/golden.wal byte for byte, and the golden file must open and read
// back. Rewrite with -update only after reading the diff.
func TestGoldenSegment(t *testing.T) {
	golden := filepath.Join("testdata", "golden.wal")
	dir := t.TempDir()
	l, err := wal.Open(wal.Config{Dir: dir, SegmentSize: wal.MinSegmentSize})
	if err != nil {
		t.Fatal(err)
	}
	recs := seedRecords()
	for i := range recs {
		recs[i].LSN = 0
	}
	if _, _, err := l.Append(recs...); err != nil {
		t.Fatal(err)
	}
	end := l.EndLSN()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, wal.SegmentName(0)))
	if err != nil {
		t.Fatal(err)
	}
	got := raw[:wal.SegmentHeaderSize+int(end)]
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("segment bytes differ from %s: the on-disk format changed", golden)
	}
	// The golden file (without preallocation) opens and reads back.
	dir2 := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir2, wal.SegmentName(0)), want, 0o640); err != nil {
		t.Fatal(err)
	}
	l2 := openLog(t, dir2, 0)
	back := readAll(t, l2, 0)
	if len(back) != len(recs) || l2.EndLSN() != end {
		t.Fatalf("golden: %d records, end %s", len(back), l2.EndLSN())
	}
}
