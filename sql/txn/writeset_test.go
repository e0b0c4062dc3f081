package txn_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/txn"
	"github.com/heliosdb/nano/storage"
	"github.com/heliosdb/nano/storage/storagetest"
)

// ops renders a batch as "kind bucket key=value" lines.
func ops(b *storage.Batch) string {
	var out []string
	for _, op := range b.Ops {
		s := fmt.Sprintf("%s %s", op.Kind, op.Bucket)
		if op.Key != nil {
			s += " " + string(op.Key)
		}
		if op.Kind == storage.OpPut {
			s += "=" + string(op.Value)
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}

// scan reads bucket through the write set over committed state s.
func scan(w *txn.WriteSet, s *storage.Snapshot, bucket string, start, end string, reverse bool) string {
	var cur txn.Cursor
	if b := w.Bucket([]byte(bucket)); b == nil || !b.Dropped() {
		cur = s.Cursor([]byte(bucket))
	}
	var lo, hi []byte
	if start != "" {
		lo = []byte(start)
	}
	if end != "" {
		hi = []byte(end)
	}
	it := txn.NewIter(cur, w.Bucket([]byte(bucket)), lo, hi, reverse)
	var out []string
	for k, v := it.Next(); k != nil; k, v = it.Next() {
		out = append(out, string(k)+"="+string(v))
	}
	return strings.Join(out, " ")
}

func TestWriteSet(t *testing.T) {
	db := storagetest.Open(t)
	var base storage.Batch
	base.CreateBucket([]byte("t"))
	base.CreateBucket([]byte("old"))
	for _, k := range []string{"b", "d", "f"} {
		base.Put([]byte("t"), []byte(k), []byte("0"))
	}
	storagetest.MustApply(t, db, 1, &base)
	s := storagetest.MustSnapshot(t, db)

	w := txn.NewWriteSet()
	bk := []byte("t")
	w.Put(bk, []byte("a"), []byte("1"))
	w.Delete(bk, []byte("d"))
	w.Put(bk, []byte("f"), []byte("1"))
	if got, want := scan(w, s, "t", "", "", false), "a=1 b=0 f=1"; got != want {
		t.Fatalf("merged: %q, want %q", got, want)
	}
	if got, want := scan(w, s, "t", "b", "f", true), "b=0"; got != want {
		t.Fatalf("merged [b, f) backward: %q, want %q", got, want)
	}
	if e, ok := w.Bucket(bk).Entry([]byte("d")); !ok || !e.Del {
		t.Fatalf("entry d: %+v %v, want a deletion", e, ok)
	}

	t.Run("rollback to a savepoint", func(t *testing.T) {
		sp := w.Savepoint()
		w.Put(bk, []byte("d"), []byte("2"))
		w.Put(bk, []byte("c"), []byte("2"))
		w.SetBucketFlags("old", false, true)
		w.SetBucketFlags("new", true, false)
		if got, want := scan(w, s, "t", "", "", false), "a=1 b=0 c=2 d=2 f=1"; got != want {
			t.Fatalf("after the savepoint: %q, want %q", got, want)
		}
		w.RollbackTo(sp)
		if got, want := scan(w, s, "t", "", "", false), "a=1 b=0 f=1"; got != want {
			t.Fatalf("rolled back: %q, want %q", got, want)
		}
		if w.Bucket([]byte("new")) != nil || w.Bucket([]byte("old")) != nil {
			t.Fatalf("bucket changes after the savepoint survived its rollback")
		}
	})

	t.Run("batch", func(t *testing.T) {
		w.SetBucketFlags("old", false, true)
		w.SetBucketFlags("new", true, false)
		w.Put([]byte("new"), []byte("k"), []byte("v"))
		want := "DropBucket old; CreateBucket new; Put new k=v; Put t a=1; Delete t d; Put t f=1"
		if got := ops(w.Batch()); got != want {
			t.Fatalf("batch:\n got %s\nwant %s", got, want)
		}
		if !w.Absent([]byte("new"), []byte("z")) || w.Absent([]byte("new"), []byte("a")) || w.Absent(bk, []byte("z")) {
			t.Fatalf("Absent: only keys above every put into a bucket created here are certainly absent")
		}
	})

	t.Run("stage", func(t *testing.T) {
		// "new" is private (created here): staged. "t" is shared: its puts
		// go to a shadow, its delete stays.
		b := w.Stage([]string{"new"}, []string{"t"}, func(bucket string) string { return bucket + ".shadow" })
		want := "CreateBucket t.shadow; Put t.shadow a=1; Put t.shadow f=1; CreateBucket new; Put new k=v"
		if got := ops(b); got != want {
			t.Fatalf("chunk:\n got %s\nwant %s", got, want)
		}
		if nb := w.Bucket([]byte("new")); !nb.Staged() || nb.Len() != 0 {
			t.Fatalf("new: staged %v with %d entries, want staged and empty", nb.Staged(), nb.Len())
		}
		if tb := w.Bucket(bk); tb.Shadow() != "t.shadow" || tb.Len() != 1 {
			t.Fatalf("t: shadow %q with %d entries, want t.shadow with its delete", tb.Shadow(), tb.Len())
		}
		if got := fmt.Sprint(w.Shadows()); got != "[t.shadow]" {
			t.Fatalf("shadows: %s", got)
		}
		want = "DropBucket old; MoveBucket t t.shadow; Delete t d"
		if got := ops(w.Batch()); got != want {
			t.Fatalf("final batch:\n got %s\nwant %s", got, want)
		}
	})

	t.Run("bulk poisons on failure", func(t *testing.T) {
		if err := w.Bulk(func() error { return nil }); err != nil || w.Poisoned() {
			t.Fatalf("a bulk statement that succeeded poisoned the write set")
		}
		w.SetKeepUndo(true)
		_ = w.Bulk(func() error { return fmt.Errorf("fails") })
		if w.Poisoned() {
			t.Fatalf("a failed bulk statement with savepoints (logged) poisoned the write set")
		}
		w.SetKeepUndo(false)
		_ = w.Bulk(func() error { return fmt.Errorf("fails") })
		if !w.Poisoned() {
			t.Fatalf("a failed bulk statement without undo records left the write set usable")
		}
	})
}
