package storage_test

import (
	"testing"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/storage"
)

// TestAppliedChanged: a waiter on AppliedChanged is woken by Apply.
func TestAppliedChanged(t *testing.T) {
	db, err := storage.Open(storage.Config{Path: t.TempDir() + "/data.db"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ch := db.AppliedChanged()
	select {
	case <-ch:
		t.Fatal("closed before any apply")
	default:
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		b := &storage.Batch{}
		b.CreateBucket([]byte("t"))
		db.Apply(lsn.LSN(100), b)
	}()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("Apply did not wake the waiter")
	}
	if db.AppliedLSN() != 100 {
		t.Fatalf("applied %v", db.AppliedLSN())
	}
}
