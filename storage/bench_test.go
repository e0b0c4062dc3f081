package storage_test

import (
	"encoding/binary"
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/storage"
	"github.com/heliosdb/nano/storage/storagetest"
)

// BenchmarkApply measures one small commit (3 puts) per Apply, fsyncs
// included: this is the storage half of the commit path.
func BenchmarkApply(b *testing.B) {
	db := storagetest.Open(b)
	storagetest.MustApply(b, db, 1, create("t"))
	value := make([]byte, 100)
	end := lsn.LSN(1)
	b.ReportAllocs()
	for b.Loop() {
		end++
		var bt storage.Batch
		for j := 0; j < 3; j++ {
			key := binary.BigEndian.AppendUint64(nil, uint64(end)*4+uint64(j))
			bt.Put([]byte("t"), key, value)
		}
		if err := db.Apply(end, &bt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet measures point reads through one long-lived Snapshot.
func BenchmarkGet(b *testing.B) {
	db := storagetest.Open(b)
	const n = 10000
	var bt storage.Batch
	bt.CreateBucket([]byte("t"))
	for i := 0; i < n; i++ {
		bt.Put([]byte("t"), binary.BigEndian.AppendUint64(nil, uint64(i)), make([]byte, 100))
	}
	storagetest.MustApply(b, db, 1, &bt)
	s := storagetest.MustSnapshot(b, db)
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = binary.BigEndian.AppendUint64(nil, uint64(i*7919%n))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if s.Get([]byte("t"), keys[i%n]) == nil {
			b.Fatal("missing key")
		}
		i++
	}
}

// BenchmarkEncodeDecode measures the WAL payload codec for a 10-op batch.
func BenchmarkEncodeDecode(b *testing.B) {
	var bt storage.Batch
	for j := 0; j < 10; j++ {
		bt.Put([]byte("table_1"), binary.BigEndian.AppendUint64(nil, uint64(j)), make([]byte, 100))
	}
	buf := make([]byte, 0, bt.EncodedSize())
	b.ReportAllocs()
	for b.Loop() {
		buf = bt.Encode(buf[:0])
		if _, err := storage.DecodeBatch(buf); err != nil {
			b.Fatal(err)
		}
	}
}
