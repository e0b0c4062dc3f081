package txn

import (
	"slices"
	"sort"

	"github.com/heliosdb/nano/storage"
)

// Staging and shadow buckets: how a bulk load keeps its memory bounded and
// still commits atomically. sql/exec decides when and what to stage
// (stage.go: a private bucket — created by the transaction, named by no
// committed catalog — is committed in chunks; shadow.go: COPY into a table
// others read); the write set does the bookkeeping.
//
// A COPY into a table that is not private to its transaction cannot
// commit its rows early: they must become visible together, at COMMIT.
// Holding them all in the write set until then cost two to three times
// the data (the write set, the encoded batch, storage's pending table).
// Instead, once enough is buffered, the puts into each table and index
// bucket the load wrote go, as one chunk, into a shadow of that bucket: a
// fresh bucket under an id no catalog names, created by the first chunk.
// A chunk is an ordinary commit — WAL-logged, fsynced, replicated,
// replayed — that no reader can see, because nothing names its bucket.
// The transaction's own reads merge the three layers: the write set, then
// the shadow (read from a snapshot after the last chunk), then the bucket
// (DualCursor under Iter).
//
// The final Batch carries, for each shadowed bucket, an OpMoveBucket that
// storage applies with the rest of the batch: the shadow's rows join the
// bucket and the shadow is dropped, then the write set's remaining writes
// (deletes, later puts) are applied over them. So the load becomes
// visible all at once, on the primary, on a standby applying the same WAL
// records, and on replay after a crash. (Storage publishes a large move
// at once and writes it into the bucket in bounded transactions
// afterwards: storage/merge.go.)
//
// Only puts are shadowed: a delete stays in the write set (a shadow hit is
// a live row, a miss falls through to the bucket).

// Stage takes one chunk out of the write set and returns it as a batch:
// the pending writes of the private buckets names (created by this
// transaction, or Staged already; a drop of a Staged bucket drops it),
// and the puts of the shared buckets shadows, written into their shadow
// buckets (newShadow names one for a bucket that has none yet, from the
// bucket's own name; the chunk creates it). Afterwards each of names is
// Staged — or gone from the write set, if it was dropped — and holds no
// entries; shadows keep only their deletes. The batch refers to the
// writes' bytes without copies.
func (w *WriteSet) Stage(names, shadows []string, newShadow func(bucket string) string) *storage.Batch {
	slices.Sort(names)
	slices.Sort(shadows)
	ops := 0
	for _, n := range append(names, shadows...) {
		ops += w.buckets[n].Len() + 1
	}
	b := &storage.Batch{Ops: make([]storage.Op, 0, ops)}
	for _, n := range shadows {
		w.stageShadow(b, w.buckets[n], newShadow)
	}
	for _, n := range names {
		ob := w.buckets[n]
		switch {
		case ob.dropped:
			b.DropBucket([]byte(n))
		case !ob.staged:
			b.CreateBucket([]byte(n))
			fallthrough
		default:
			appendEntries(b, []byte(n), ob)
		}
	}
	// The writes leave the write set now; the batch keeps their bytes
	// alive (appendEntries does not copy them).
	for _, n := range names {
		ob := w.buckets[n]
		if !ob.dropped {
			ob.staged = true
		}
		ob.reset(ob.Len()) // the next chunk is as large
		if ob.dropped {
			delete(w.buckets, n) // gone for good: nothing left to read or write
		}
	}
	return b
}

// stageShadow adds ob's puts to chunk b, into its shadow (created by the
// first chunk), and drops them from the write set; its deletes stay.
func (w *WriteSet) stageShadow(b *storage.Batch, ob *Bucket, newShadow func(bucket string) string) {
	if ob.shadow == "" {
		ob.shadow = newShadow(ob.name)
		b.CreateBucket([]byte(ob.shadow))
	}
	sh := []byte(ob.shadow)
	var keptKeys []string
	var kept []Entry
	ob.each(func(k string, e Entry) {
		if e.Del {
			kept = append(kept, e)
			keptKeys = append(keptKeys, k)
			return
		}
		b.Put(sh, bytesOf(k), e.Val)
	})
	// The deletes kept are in key order: the bucket is in order again.
	ob.entries, ob.appended = nil, true
	ob.sorted, ob.vals = keptKeys, kept
}

// Shadows lists the write set's shadow buckets in order.
func (w *WriteSet) Shadows() []string {
	var out []string
	for _, ob := range w.buckets {
		if ob.shadow != "" {
			out = append(out, ob.shadow)
		}
	}
	sort.Strings(out)
	return out
}

// DualCursor merges a bucket's committed state with its shadow (which
// wins on equal keys): storage's MergeCursor over the two.
type DualCursor = storage.MergeCursor

// NewDualCursor merges base, a bucket's committed state, with shadow, its
// shadow bucket's.
func NewDualCursor(base, shadow *storage.Cursor) *DualCursor {
	return storage.NewMergeCursor(base, shadow)
}
