package txn_test

import (
	"context"
	"errors"
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/txn"
	"github.com/heliosdb/nano/storage"
	"github.com/heliosdb/nano/storage/storagetest"
)

// committer applies each batch to db at the next LSN, or fails with err.
type committer struct {
	db  *storage.DB
	at  lsn.LSN
	err error
}

func (c *committer) Commit(_ context.Context, b *storage.Batch, _ lsn.LSN) (lsn.LSN, error) {
	if c.err != nil {
		return 0, c.err
	}
	c.at += 100
	return c.at, c.db.Apply(c.at, b)
}

// Chunks settles a chunk before reads, keeps a snapshot holding every
// chunk (replacing an older one), and keeps a chunk's failure.
func TestChunks(t *testing.T) {
	db := storagetest.Open(t)
	cm := &committer{db: db}
	var c txn.Chunks
	if c.Staged() || c.End() != 0 {
		t.Fatal("a new Chunks has staged something")
	}
	chunk := func(key string) *storage.Batch {
		var b storage.Batch
		b.CreateBucket([]byte("t/9"))
		b.Put([]byte("t/9"), []byte(key), []byte("v"))
		return &b
	}
	c.Start(context.Background(), cm, chunk("a"), 0)
	if !c.Staged() {
		t.Fatal("a chunk in flight is not Staged")
	}
	if err := c.Settle(); err != nil || c.End() != 100 {
		t.Fatalf("settled: %v, end %v; want the first chunk's end", err, c.End())
	}
	s1, replaced, err := c.Snapshot(db)
	if err != nil || replaced != nil || s1.Get([]byte("t/9"), []byte("a")) == nil {
		t.Fatalf("snapshot after the first chunk: %v, replaced %v, a missing", err, replaced)
	}
	if s, _, _ := c.Snapshot(db); s != s1 {
		t.Fatal("a snapshot holding every chunk was not reused")
	}
	c.Commit(context.Background(), cm, chunk("b"), c.End())
	if err := c.Settle(); err != nil || c.End() != 200 {
		t.Fatalf("settled: %v, end %v; want the second chunk's end", err, c.End())
	}
	s2, replaced, err := c.Snapshot(db)
	if err != nil || replaced != s1 || s2.Get([]byte("t/9"), []byte("b")) == nil {
		t.Fatalf("snapshot after the second chunk: %v, replaced the first: %v", err, replaced == s1)
	}
	_ = s1.Close()
	full := errors.New("disk full")
	cm.err = full
	c.Start(context.Background(), cm, chunk("c"), c.End())
	if err := c.Settle(); !errors.Is(err, full) {
		t.Fatalf("a failed chunk settled as %v", err)
	}
	cm.err = nil
	if err := c.Settle(); !errors.Is(err, full) || c.End() != 200 {
		t.Fatalf("after a failed chunk: %v, end %v; want the failure again, end of the last good chunk", err, c.End())
	}
	c.Close()
}
