package storage_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/heliosdb/nano/internal/fstest"
	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/storage"
)

// On a real full file system: a bbolt commit that needs new pages fails
// with ENOSPC, but not after Reserve succeeded for it; Reserve itself fails
// cleanly while the disk is full and succeeds once space is freed; the data
// survives.
func TestReserveOnFullDisk(t *testing.T) {
	mnt := fstest.MountTmpfs(t, 16<<20)
	db, err := storage.Open(storage.Config{Path: filepath.Join(mnt, "data.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	batch := func(i int) *storage.Batch {
		b := &storage.Batch{}
		if i == 0 {
			b.CreateBucket([]byte("t"))
		}
		for j := range 50 {
			b.Put([]byte("t"), fmt.Appendf(nil, "k%04d-%02d", i, j), make([]byte, 1000))
		}
		return b
	}
	var end lsn.LSN
	apply := func(i int) error {
		b := batch(i)
		if err := db.Reserve(storage.ApplyRoom(b)); err != nil {
			return err
		}
		end++
		if err := db.Apply(end, b); err != nil {
			t.Fatalf("Apply %d failed after its room was reserved: %v", i, err)
		}
		return nil
	}
	ballast := filepath.Join(mnt, "ballast")
	fstest.Fill(t, ballast, 10<<20)
	i := 0
	for ; ; i++ {
		err := apply(i)
		if err == nil {
			continue
		}
		if !errorsIsNoSpace(err) {
			t.Fatalf("Reserve %d: %v; want ENOSPC", i, err)
		}
		break
	}
	fstest.Fill(t, ballast, 0) // and now really full: nothing reserved is lost
	if i < 10 {
		t.Fatalf("only %d commits fit in 10 MiB", i)
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	for j := range 5 {
		if err := apply(i + j); err != nil {
			t.Fatalf("after freeing space: %v", err)
		}
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	if db.AppliedLSN() != end {
		t.Fatalf("applied %s, want %s", db.AppliedLSN(), end)
	}
}

func errorsIsNoSpace(err error) bool { return errors.Is(err, syscall.ENOSPC) }
