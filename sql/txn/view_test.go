package txn_test

import (
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/txn"
	"github.com/heliosdb/nano/storage"
	"github.com/heliosdb/nano/storage/storagetest"
)

// A View moves to a newer snapshot only when something was committed,
// serves Latest from one snapshot until the next commit, and tracks the
// newest snapshot read.
func TestView(t *testing.T) {
	db := storagetest.Open(t)
	commit := func(at lsn.LSN) {
		var b storage.Batch
		b.CreateBucket([]byte("t/1"))
		b.Put([]byte("t/1"), []byte{byte(at)}, []byte("v"))
		storagetest.MustApply(t, db, at, &b)
	}
	commit(10)
	s, err := db.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var v txn.View
	v.Start(db, s)
	if err := v.Refresh(false); err != nil || v.Snapshot() != s {
		t.Fatalf("refresh with nothing committed replaced the snapshot (%v)", err)
	}
	if l, err := v.Latest(); err != nil || l != s {
		t.Fatalf("latest with nothing committed is not the statement's snapshot (%v)", err)
	}
	commit(20)
	l, err := v.Latest()
	if err != nil || l == s || l.AppliedLSN() != 20 || v.Seen() != 20 {
		t.Fatalf("latest after a commit: %v at %v, seen %v; want a new snapshot at 20", err, l.AppliedLSN(), v.Seen())
	}
	if l2, _ := v.Latest(); l2 != l {
		t.Fatal("latest not reused while nothing new was committed")
	}
	if err := v.Refresh(true); err != nil || v.Snapshot() == s || v.Snapshot().AppliedLSN() != 20 {
		t.Fatalf("refresh after a commit: %v, at %v", err, v.Snapshot().AppliedLSN())
	}
	// s was kept for a cursor: still readable until Close.
	if s.Get([]byte("t/1"), []byte{10}) == nil {
		t.Fatal("a snapshot kept for an open cursor was closed")
	}
	v.Close()
}
