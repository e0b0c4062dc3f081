package storage_test

import (
	"fmt"

	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/storage"
	"github.com/heliosdb/nano/storage/storagetest"
)

// mergeFixture fills bucket t with 1,000 keys and its shadow s with
// shadowKeys more (every tenth also in t), in batches small enough for the
// pending table and flushes of at most flushBytes, and returns the next
// LSN and the content t has once s is moved into it.
func mergeFixture(t *testing.T, db *storage.DB, shadowKeys int) (lsn.LSN, map[string]string) {
	t.Helper()
	want := map[string]string{}
	at := lsn.LSN(1)
	storagetest.MustApply(t, db, at, create("t"), create("s"))
	bt := &storage.Batch{}
	flushBatch := func() {
		if len(bt.Ops) > 0 {
			at++
			storagetest.MustApply(t, db, at, bt)
			bt = &storage.Batch{}
		}
	}
	pad := strings.Repeat("v", 90)
	for i := 0; i < 10000; i += 10 {
		k := fmt.Sprintf("k%07d", i)
		bt.Put(b("t"), b(k), b("old"))
		want[k] = "old"
	}
	flushBatch()
	for i := range shadowKeys {
		k := fmt.Sprintf("k%07d", i)
		v := fmt.Sprintf("new%d%s", i, pad)
		bt.Put(b("s"), b(k), b(v))
		want[k] = v
		if len(bt.Ops) == 1000 {
			flushBatch()
		}
	}
	flushBatch()
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	return at + 1, want
}

// sameContent checks that a snapshot of db shows exactly want in t: by
// Get, by a cursor forward and backward, and across changes of direction.
func sameContent(t *testing.T, db *storage.DB, want map[string]string, what string) {
	t.Helper()
	s, err := db.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if got := s.Get(b("t"), b(k)); string(got) != want[k] {
			t.Fatalf("%s: Get(%s) = %.12q, want %.12q", what, k, got, want[k])
		}
	}
	if got := s.Get(b("t"), b("k9999999")); got != nil {
		t.Fatalf("%s: Get of a missing key = %q", what, got)
	}
	c := s.Cursor(b("t"))
	i := 0
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if i >= len(keys) || string(k) != keys[i] || string(v) != want[keys[i]] {
			t.Fatalf("%s: forward scan key %d = %s %.12q, want %v", what, i, k, v, keys[min(i, len(keys)-1)])
		}
		i++
	}
	if i != len(keys) {
		t.Fatalf("%s: forward scan saw %d keys, want %d", what, i, len(keys))
	}
	for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
		i--
		if string(k) != keys[i] {
			t.Fatalf("%s: backward scan key %d = %s, want %s", what, i, k, keys[i])
		}
	}
	if i != 0 {
		t.Fatalf("%s: backward scan stopped %d keys short", what, i)
	}
	// Turns: seek into the middle, step back, forward again.
	mid := len(keys) / 2
	if k, _ := c.Seek(b(keys[mid])); string(k) != keys[mid] {
		t.Fatalf("%s: Seek(%s) = %s", what, keys[mid], k)
	}
	if k, _ := c.Prev(); string(k) != keys[mid-1] {
		t.Fatalf("%s: Prev after Seek = %s, want %s", what, k, keys[mid-1])
	}
	if k, _ := c.Next(); string(k) != keys[mid] {
		t.Fatalf("%s: Next after Prev = %s, want %s", what, k, keys[mid])
	}
	var buckets []string
	_ = s.ForEachBucket(func(name []byte) error { buckets = append(buckets, string(name)); return nil })
	if !slices.Equal(buckets, []string{"t"}) {
		t.Fatalf("%s: ForEachBucket = %v, want only t (a merge source is part of its bucket)", what, buckets)
	}
}

// TestMoveBucketMergesInBoundedTransactions: OpMoveBucket of a large
// shadow publishes all of it at once — every snapshot from its Apply on
// shows the merged content, by Get and by cursors, while the mover moves
// it into the bucket and while later commits change moved and unmoved
// keys — and no write transaction allocates more than a step's pages:
// before merge.go the move was one transaction of the whole shadow (15 MB
// of pages for these 60,000 rows, 168 KB a step with it).
func TestMoveBucketMergesInBoundedTransactions(t *testing.T) {
	db := storagetest.OpenConfig(t, storage.Config{Path: filepath.Join(t.TempDir(), "data.bolt"),
		FlushBytes: 256 << 10, MergeStepKeys: 500})
	const shadowKeys = 60000
	at, want := mergeFixture(t, db, shadowKeys)
	db.ResetLargestTx()
	storagetest.MustApply(t, db, at, batch(func(bt *storage.Batch) {
		bt.MoveBucket(b("t"), b("s"))
		bt.Delete(b("t"), b("k0000020")) // in both
		bt.Delete(b("t"), b("k0000021")) // in the shadow only
		bt.Put(b("t"), b("k0000031"), b("later"))
	}))
	delete(want, "k0000020")
	delete(want, "k0000021")
	want["k0000031"] = "later"
	sameContent(t, db, want, "right after the move's Apply")
	if exists(t, db, "s") {
		t.Fatal("the moved bucket still exists")
	}
	if db.Merging() == 0 {
		t.Log("the merge ended before the first check (not expected at 500 keys a step)")
	}
	// Commits during the merge, of keys at its start (moved by now or
	// soon) and at its end (not yet): pending, then flushed.
	for i, k := range []string{"k0000001", "k0000010", "k0059990", "k0059999"} {
		at++
		if i%2 == 0 {
			storagetest.MustApply(t, db, at, put("t", k, "changed"))
			want[k] = "changed"
		} else {
			storagetest.MustApply(t, db, at, batch(func(bt *storage.Batch) { bt.Delete(b("t"), b(k)) }))
			delete(want, k)
		}
		sameContent(t, db, want, "after a commit during the merge")
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	sameContent(t, db, want, "after a flush during the merge")
	if err := db.FinishMerges(); err != nil {
		t.Fatal(err)
	}
	if n := db.Merging(); n != 0 {
		t.Fatalf("%d merges left after FinishMerges", n)
	}
	sameContent(t, db, want, "after the merge")
	if exists(t, db, "s") {
		t.Fatal("the shadow is still there after the merge")
	}
	const bound = 2 << 20 // a step moves ~50 KB of rows
	if n := db.LargestTx(); n > bound {
		t.Fatalf("a write transaction allocated %d KB of pages during the move of %d rows (bound %d KB): the move is not split", n>>10, shadowKeys, bound>>10)
	}
	t.Logf("largest write transaction during the move: %d KB of pages", db.LargestTx()>>10)
}

// TestMergeSurvivesCrash: a crash in the middle of a merge loses nothing:
// the reopened file shows the merged content and finishes the merge. A
// second move into the bucket while it merges, and a drop of it, keep
// their meaning.
func TestMergeSurvivesCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.bolt")
	cfg := storage.Config{Path: path, FlushBytes: 256 << 10, MergeStepKeys: 100}
	db := storagetest.OpenConfig(t, cfg)
	at, want := mergeFixture(t, db, 50000)
	storagetest.MustApply(t, db, at, batch(func(bt *storage.Batch) { bt.MoveBucket(b("t"), b("s")) }))
	if db.Merging() == 0 {
		t.Fatal("the merge of 50,000 keys at 100 a step ended before the crash")
	}
	if err := db.Crash(); err != nil {
		t.Fatal(err)
	}
	db = storagetest.OpenConfig(t, cfg)
	sameContent(t, db, want, "after the crash")

	// A second move into t while the first merges: the first is finished
	// first, the second's keys win.
	at++
	storagetest.MustApply(t, db, at, create("s2"))
	bt := &storage.Batch{}
	for i := range 2000 {
		k := fmt.Sprintf("k%07d", 3*i)
		bt.Put(b("s2"), b(k), b("second"))
		want[k] = "second"
	}
	at++
	storagetest.MustApply(t, db, at, bt)
	at++
	storagetest.MustApply(t, db, at, batch(func(bt *storage.Batch) { bt.MoveBucket(b("t"), b("s2")) }))
	sameContent(t, db, want, "after a second move")
	// The moved bucket's name is free: creating it again finishes the
	// merge first and makes an empty bucket.
	at++
	storagetest.MustApply(t, db, at, create("s2"), put("s2", "only", "1"))
	if n := db.Merging(); n != 0 {
		t.Fatalf("%d merges left after the source's name was created again", n)
	}
	if d := storagetest.Dump(t, db)["s2"]; len(d) != 1 {
		t.Fatalf("the bucket created under a moved bucket's name holds %d keys, want 1", len(d))
	}
	at++
	storagetest.MustApply(t, db, at, batch(func(bt *storage.Batch) { bt.DropBucket(b("s2")) }))
	sameContent(t, db, want, "after the source's name was created again")

	// A drop of a bucket while it merges drops the source with it.
	at++
	storagetest.MustApply(t, db, at, create("s3"))
	bt = &storage.Batch{}
	for i := range 3000 {
		bt.Put(b("s3"), b(fmt.Sprintf("x%07d", i)), b("x"))
	}
	at++
	storagetest.MustApply(t, db, at, bt)
	at++
	storagetest.MustApply(t, db, at, batch(func(bt *storage.Batch) { bt.MoveBucket(b("t"), b("s3")) }))
	at++
	storagetest.MustApply(t, db, at, batch(func(bt *storage.Batch) { bt.DropBucket(b("t")) }))
	if n := db.Merging(); n != 0 || exists(t, db, "s3") || exists(t, db, "t") {
		t.Fatalf("after dropping a merging bucket: %d merges, source there %t", n, exists(t, db, "s3"))
	}
}

func exists(t *testing.T, db *storage.DB, bucket string) bool {
	t.Helper()
	s := storagetest.MustSnapshot(t, db)
	defer s.Close()
	return s.BucketExists(b(bucket))
}
