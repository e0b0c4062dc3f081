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

// TestWriteSetInOrder: writes in ascending key order are kept without a
// map; lookups, rollbacks of the last writes, a write out of order, a
// delete and an iterator all see the same writes as before.
func TestWriteSetInOrder(t *testing.T) {
	w := txn.NewWriteSet()
	w.SetKeepUndo(true)
	bk := []byte("t")
	for _, k := range []string{"b", "d", "f"} {
		w.PutOwned(bk, []byte(k), []byte("v"+k))
	}
	b := w.Bucket(bk)
	for _, c := range []struct {
		k    string
		want string
	}{{"a", ""}, {"b", "vb"}, {"c", ""}, {"d", "vd"}, {"f", "vf"}, {"g", ""}} {
		e, ok := b.Entry([]byte(c.k))
		if got := string(e.Val); ok != (c.want != "") || got != c.want {
			t.Fatalf("Entry(%s) = %q, %v; want %q", c.k, got, ok, c.want)
		}
	}
	sp := w.Savepoint()
	w.PutOwned(bk, []byte("h"), []byte("vh"))
	w.Put(bk, []byte("i"), []byte("vi"))
	w.RollbackTo(sp)
	if got := ops(w.Batch()); got != "Put t b=vb; Put t d=vd; Put t f=vf" {
		t.Fatalf("after rollback of the last writes: %s", got)
	}
	sp = w.Savepoint()
	w.Put(bk, []byte("c"), []byte("vc")) // out of order
	w.Delete(bk, []byte("d"))
	w.Put(bk, []byte("z"), []byte("vz"))
	if got := ops(w.Batch()); got != "Put t b=vb; Put t c=vc; Delete t d; Put t f=vf; Put t z=vz" {
		t.Fatalf("after writes out of order: %s", got)
	}
	it := txn.NewIter(nil, b, nil, nil, true)
	var got []string
	for k, v := it.Next(); k != nil; k, v = it.Next() {
		got = append(got, string(k)+"="+string(v))
	}
	if got := strings.Join(got, " "); got != "z=vz f=vf c=vc b=vb" {
		t.Fatalf("reverse scan: %s", got)
	}
	w.RollbackTo(sp)
	if got := ops(w.Batch()); got != "Put t b=vb; Put t d=vd; Put t f=vf" {
		t.Fatalf("after rollback of writes out of order: %s", got)
	}
	if b.Len() != 3 {
		t.Fatalf("Len = %d, want 3", b.Len())
	}
}

// BenchmarkPutOwnedInOrder is a bulk load's write-set work per row: a put
// in key order and its batch.
func BenchmarkPutOwnedInOrder(b *testing.B) {
	const rows = 100000
	keys := make([][]byte, rows)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("k%08d", i))
	}
	val := []byte("value-of-some-thirty-two-bytes!!")
	b.ReportAllocs()
	for range b.N/rows + 1 {
		w := txn.NewWriteSet()
		w.SetKeepUndo(false)
		_ = w.Bulk(func() error {
			for _, k := range keys {
				w.PutOwned([]byte("t"), k, val)
			}
			return nil
		})
		_ = w.Batch()
	}
}
