package txn

import (
	"bytes"
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
// wins on equal keys). It moves either way; on a change of direction each
// side steps from where it stands, which is its first key at or past the
// last key returned (its last key at or before it, going back), so each
// lands on its nearest key beyond the last returned one.
type DualCursor struct {
	a, b   *storage.Cursor
	ak, av []byte
	bk, bv []byte
	rk     []byte // the key last returned
	back   bool   // the last move went backward
}

// NewDualCursor merges base, a bucket's committed state, with shadow, its
// shadow bucket's.
func NewDualCursor(base, shadow *storage.Cursor) *DualCursor {
	return &DualCursor{a: base, b: shadow}
}

// First moves to the first key of either side.
func (d *DualCursor) First() ([]byte, []byte) {
	d.ak, d.av = d.a.First()
	d.bk, d.bv = d.b.First()
	d.back = false
	return d.pick()
}

// Last moves to the last key of either side.
func (d *DualCursor) Last() ([]byte, []byte) {
	d.ak, d.av = d.a.Last()
	d.bk, d.bv = d.b.Last()
	d.back = true
	return d.pick()
}

// Seek moves to the first key at or after key.
func (d *DualCursor) Seek(key []byte) ([]byte, []byte) {
	d.ak, d.av = d.a.Seek(key)
	d.bk, d.bv = d.b.Seek(key)
	d.back = false
	return d.pick()
}

// Next moves to the next key.
func (d *DualCursor) Next() ([]byte, []byte) {
	if d.back {
		d.ak, d.av = turn(d.a, d.ak, false)
		d.bk, d.bv = turn(d.b, d.bk, false)
		d.back = false
		return d.pick()
	}
	if d.rk == nil {
		return nil, nil
	}
	if d.ak != nil && bytes.Equal(d.ak, d.rk) {
		d.ak, d.av = d.a.Next()
	}
	if d.bk != nil && bytes.Equal(d.bk, d.rk) {
		d.bk, d.bv = d.b.Next()
	}
	return d.pick()
}

// Prev moves to the previous key.
func (d *DualCursor) Prev() ([]byte, []byte) {
	if !d.back {
		d.ak, d.av = turn(d.a, d.ak, true)
		d.bk, d.bv = turn(d.b, d.bk, true)
		d.back = true
		return d.pick()
	}
	if d.rk == nil {
		return nil, nil
	}
	if d.ak != nil && bytes.Equal(d.ak, d.rk) {
		d.ak, d.av = d.a.Prev()
	}
	if d.bk != nil && bytes.Equal(d.bk, d.rk) {
		d.bk, d.bv = d.b.Prev()
	}
	return d.pick()
}

// turn steps c, standing at k (nil: off its end in the old direction),
// one key the new way.
func turn(c *storage.Cursor, k []byte, back bool) ([]byte, []byte) {
	switch {
	case k == nil && back:
		return c.Last()
	case k == nil:
		return c.First()
	case back:
		return c.Prev()
	}
	return c.Next()
}

// pick returns the nearer of the two sides' keys in the current direction
// (the shadow's value on a tie) and remembers it.
func (d *DualCursor) pick() ([]byte, []byte) {
	var k, v []byte
	switch {
	case d.ak == nil:
		k, v = d.bk, d.bv
	case d.bk == nil:
		k, v = d.ak, d.av
	default:
		c := bytes.Compare(d.ak, d.bk)
		if d.back {
			c = -c
		}
		if c < 0 {
			k, v = d.ak, d.av
		} else {
			k, v = d.bk, d.bv
		}
	}
	d.rk = k
	return k, v
}
