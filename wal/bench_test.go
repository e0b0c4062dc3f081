package wal_test

import (
	"testing"

	"github.com/heliosdb/nano/wal"
)

func benchLog(b *testing.B) *wal.Log {
	l, err := wal.Open(wal.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

// BenchmarkAppend measures buffered appends of 128-byte records (one Sync
// per 1000 records).
func BenchmarkAppend(b *testing.B) {
	l := benchLog(b)
	rec := wal.Record{Term: 1, Type: 1, Data: make([]byte, 128)}
	b.SetBytes(int64(wal.FramedSize(len(rec.Data))))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, _, err := l.Append(rec); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 {
			if _, err := l.Sync(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCommitParallel: every goroutine appends one record and waits for
// it to be durable, like concurrent autocommit transactions.
func BenchmarkCommitParallel(b *testing.B) {
	l := benchLog(b)
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		rec := wal.Record{Term: 1, Type: 1, Data: make([]byte, 128)}
		for pb.Next() {
			if _, _, err := l.Append(rec); err != nil {
				b.Error(err)
				return
			}
			if _, err := l.Sync(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkRead(b *testing.B) {
	l := benchLog(b)
	rec := wal.Record{Term: 1, Type: 1, Data: make([]byte, 128)}
	for range 10000 {
		l.Append(rec)
	}
	l.Sync()
	b.SetBytes(int64(wal.FramedSize(len(rec.Data))) * 10000)
	for b.Loop() {
		r, err := l.NewReader(0)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
		r.Close()
	}
}
