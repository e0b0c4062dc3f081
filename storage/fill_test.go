package storage_test

import (
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/heliosdb/nano/storage"
	"github.com/heliosdb/nano/storage/storagetest"
)

// TestAppendOnlyLoadPacksPages: keys written in order past a bucket's last
// key (a bulk load) fill its pages, in a large batch written straight into
// the file and in the pending table's flush alike; bbolt's default split
// would leave them half empty (twice the file and the writes).
func TestAppendOnlyLoadPacksPages(t *testing.T) {
	db := storagetest.Open(t)
	val := make([]byte, 100)
	load := func(from, n int) *storage.Batch {
		return batch(func(bt *storage.Batch) {
			for i := from; i < from+n; i++ {
				bt.Put(b("t"), fmt.Appendf(nil, "k%08d", i), val)
			}
		})
	}
	storagetest.MustApply(t, db, 1, create("t"), load(0, 30000)) // straight into the file
	storagetest.MustApply(t, db, 2, load(30000, 5000))           // pending, then flushed
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	err = bdb.View(func(tx *bolt.Tx) error {
		st := tx.Bucket(b("t")).Stats()
		if st.KeyN != 35000 {
			t.Fatalf("keys = %d, want 35000", st.KeyN)
		}
		used := float64(st.LeafInuse) / float64(st.LeafAlloc)
		if used < 0.85 {
			t.Errorf("leaf pages %.0f%% used (%d pages), want at least 85%% for an append-only load", 100*used, st.LeafPageN)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
