package txn

import (
	"iter"
	"slices"
	"sort"
	"unsafe"

	"github.com/heliosdb/nano/storage"
)

// Entry is one pending write: a value, or a deletion.
type Entry struct {
	Val []byte
	Del bool
}

// Bucket holds the pending writes of one bucket.
type Bucket struct {
	name string // its key in WriteSet.buckets (undo records share it)
	// entries maps each pending key to its write; nil while the bucket is
	// in order (appended): a bucket written only in ascending key order,
	// as a bulk load in key order writes, keeps its writes in sorted and
	// vals alone and builds the map (m) only when a write out of order,
	// an iterator or a rollback of an earlier write needs it.
	entries map[string]Entry
	sorted  []string // sorted keys of entries; nil when stale
	// vals holds the writes of sorted's keys, one for one, while the
	// bucket is in order (appended).
	vals     []Entry
	appended bool
	created  bool // CreateBucket pending
	dropped  bool // DropBucket pending: the snapshot's contents are gone
	// maxKey is at least every key ever put in the bucket by this
	// transaction: for a bucket created here (empty in storage), a key
	// above it is absent (above).
	maxKey string
	// staged: a private bucket (created here) whose earlier writes were
	// already committed in chunks (Stage); entries holds only the
	// writes since, and the rest is read from a snapshot newer than the
	// last chunk. The final batch carries nothing of it.
	staged bool
	// shadow: a bucket others read, whose puts a COPY moved, in chunks,
	// to this private bucket (shadow.go); the final batch moves them in
	// (storage.OpMoveBucket) before its own writes of the bucket. Reads
	// see entries, then shadow, then the snapshot.
	shadow string
}

// m returns the bucket's entries as a map, building it (and leaving the
// in-order mode) if the bucket is in order.
func (b *Bucket) m() map[string]Entry {
	if b.appended {
		b.entries = make(map[string]Entry, len(b.sorted))
		for i, k := range b.sorted {
			b.entries[k] = b.vals[i]
		}
		b.appended, b.vals = false, nil
	}
	return b.entries
}

// appendable reports whether a write of k can be appended: the bucket is
// in order and k sorts above every key it holds.
func (b *Bucket) appendable(k string) bool {
	n := len(b.sorted)
	return b.appended && (n == 0 || k > b.sorted[n-1])
}

// each calls fn with every pending write in key order.
func (b *Bucket) each(fn func(k string, e Entry)) {
	if b.appended {
		for i, k := range b.sorted {
			fn(k, b.vals[i])
		}
		return
	}
	for _, k := range b.Keys() {
		fn(k, b.entries[k])
	}
}

// reset empties the bucket's pending writes, in order again, with room
// for n writes.
func (b *Bucket) reset(n int) {
	b.entries, b.appended = nil, true
	b.sorted, b.vals = make([]string, 0, n), make([]Entry, 0, n)
}

// Keys returns the bucket's pending keys (puts and deletes) in order. The
// slice is the bucket's own: callers must not change it.
func (b *Bucket) Keys() []string {
	if b.appended {
		return b.sorted
	}
	if b.sorted == nil {
		b.sorted = make([]string, 0, len(b.entries))
		for k := range b.entries {
			b.sorted = append(b.sorted, k)
		}
		sort.Strings(b.sorted)
	}
	return b.sorted
}

// Entry returns the pending write of key, if any.
func (b *Bucket) Entry(key []byte) (Entry, bool) {
	if b.appended {
		n := len(b.sorted)
		if n == 0 || string(key) > b.sorted[n-1] {
			return Entry{}, false
		}
		i, ok := slices.BinarySearch(b.sorted, string(key))
		if !ok {
			return Entry{}, false
		}
		return b.vals[i], true
	}
	e, ok := b.entries[string(key)]
	return e, ok
}

// Len is the number of pending writes (puts and deletes).
func (b *Bucket) Len() int {
	if b.appended {
		return len(b.sorted)
	}
	return len(b.entries)
}

// Created reports a pending creation of the bucket.
func (b *Bucket) Created() bool { return b.created }

// Dropped reports a pending drop of the bucket: the committed contents are
// gone for this transaction.
func (b *Bucket) Dropped() bool { return b.dropped }

// Staged reports a private bucket some of whose writes were committed in
// chunks (Stage): committed state is read from a snapshot after the last
// chunk.
func (b *Bucket) Staged() bool { return b.staged }

// Shadow is the name of the bucket's shadow (shadow.go), "" when it has
// none.
func (b *Bucket) Shadow() string { return b.shadow }

// undoRec restores one write-set slot to its earlier state.
type undoRec struct {
	bucket  string
	key     string
	had     bool
	prev    Entry
	bktOp   bool // bucket-level change: restore created/dropped flags
	created bool
	dropped bool
	existed bool // the Bucket existed before
	// A bucket-level change that dropped the bucket's pending entries
	// keeps them here, with what else it reset.
	entries map[string]Entry
	maxKey  string
}

// WriteSet is a transaction's private write set with an undo log for
// statement-level savepoints.
type WriteSet struct {
	buckets map[string]*Bucket
	undo    []undoRec
	writes  int
	// noUndo: writes are not logged for RollbackTo. Bulk statements (COPY,
	// ALTER TABLE rewrites) set it while they run: a statement that fails
	// aborts its whole transaction when it has no savepoints, so their
	// undo records would only cost memory.
	noUndo bool
	// keepUndo: the transaction has savepoints (sql/exec's savepoint.go):
	// every write is logged, noUndo or not.
	keepUndo bool
	// poisoned: a bulk statement failed after unlogged writes; the
	// transaction can only roll back.
	poisoned bool
	// pendingBytes: key and value bytes put since the last stage.
	pendingBytes int
}

// NewWriteSet returns an empty write set.
func NewWriteSet() *WriteSet { return &WriteSet{buckets: map[string]*Bucket{}} }

// Bulk runs fn with undo logging off unless the transaction has
// savepoints; when fn fails after unlogged writes, the write set is
// poisoned (see noUndo).
func (w *WriteSet) Bulk(fn func() error) error {
	prev := w.noUndo
	w.noUndo = true
	err := fn()
	w.noUndo = prev
	if err != nil && !w.keepUndo {
		w.poisoned = true
	}
	return err
}

// logging reports whether writes get undo records.
func (w *WriteSet) logging() bool { return !w.noUndo || w.keepUndo }

// KeepUndo reports whether every write is logged, in Bulk too: the
// transaction has savepoints.
func (w *WriteSet) KeepUndo() bool { return w.keepUndo }

// SetKeepUndo turns the logging of every write on (the transaction's first
// savepoint) or back off.
func (w *WriteSet) SetKeepUndo(on bool) { w.keepUndo = on }

// Poisoned reports that a bulk statement failed after unlogged writes, or
// a staged chunk failed: the transaction can only roll back.
func (w *WriteSet) Poisoned() bool { return w.poisoned }

// Poison marks the write set as lost (see Poisoned).
func (w *WriteSet) Poison() { w.poisoned = true }

// Writes counts the writes made (puts, deletes, bucket changes), undone
// ones included.
func (w *WriteSet) Writes() int { return w.writes }

// PendingBytes is the key and value bytes put since the last
// ResetPendingBytes.
func (w *WriteSet) PendingBytes() int { return w.pendingBytes }

// ResetPendingBytes starts PendingBytes again from zero (a stage).
func (w *WriteSet) ResetPendingBytes() { w.pendingBytes = 0 }

// Bucket returns the pending state of bucket name, nil when the
// transaction has not touched it.
func (w *WriteSet) Bucket(name []byte) *Bucket { return w.buckets[string(name)] }

// Buckets yields every bucket the transaction touched, in no order.
func (w *WriteSet) Buckets() iter.Seq2[string, *Bucket] {
	return func(yield func(string, *Bucket) bool) {
		for n, b := range w.buckets {
			if !yield(n, b) {
				return
			}
		}
	}
}

func (w *WriteSet) bucket(name string, create bool) *Bucket {
	b := w.buckets[name]
	if b == nil && create {
		b = &Bucket{name: name, appended: true}
		w.buckets[name] = b
		w.logUndo(undoRec{bucket: name, bktOp: true})
	}
	return b
}

// undoCap is the undo log's first capacity: room for a typical OLTP
// transaction's writes (pgbench's tpcb-like logs eight), so it
// does not grow through 1, 2, 4 and 8 records first.
const undoCap = 8

func (w *WriteSet) logUndo(u undoRec) {
	if w.undo == nil {
		w.undo = make([]undoRec, 0, undoCap)
	}
	w.undo = append(w.undo, u)
}

func (w *WriteSet) set(bucket, key []byte, e Entry) {
	b := w.bucket(string(bucket), true)
	k := string(key)
	w.write(b, k, e)
	if !e.Del && k > b.maxKey {
		b.maxKey = k
	}
	w.writes++
	w.pendingBytes += len(k) + len(e.Val)
}

// write records e under k in b, with its undo record.
func (w *WriteSet) write(b *Bucket, k string, e Entry) {
	if b.appendable(k) {
		// In key order: no earlier write of k, no map work.
		if w.logging() {
			w.logUndo(undoRec{bucket: b.name, key: k, existed: true})
		}
		b.sorted = append(b.sorted, k)
		b.vals = append(b.vals, e)
		return
	}
	ents := b.m()
	prev, had := ents[k]
	if w.logging() {
		w.logUndo(undoRec{bucket: b.name, key: k, had: had, prev: prev, existed: true})
	}
	if !had {
		b.sorted = nil
	}
	ents[k] = e
}

// Put writes a copy of val under key in bucket.
func (w *WriteSet) Put(bucket, key, val []byte) {
	w.set(bucket, key, Entry{Val: append([]byte(nil), val...)})
}

// PutOwned is Put for a key and value that the caller has just built and
// will not touch again: they are kept without copies.
func (w *WriteSet) PutOwned(bucket, key, val []byte) {
	b := w.bucket(string(bucket), true)
	k := unsafe.String(unsafe.SliceData(key), len(key))
	w.write(b, k, Entry{Val: val})
	if k > b.maxKey {
		b.maxKey = k
	}
	w.writes++
	w.pendingBytes += len(k) + len(val)
}

// Absent reports that key is certainly not in bucket: the bucket was
// created by this transaction and key sorts above every key it put there
// (a bulk load in key order needs no lookups to check its keys).
func (w *WriteSet) Absent(bucket, key []byte) bool {
	b := w.buckets[string(bucket)]
	return b != nil && b.created && !b.dropped && string(key) > b.maxKey
}

// bytesOf views a write-set string as bytes without a copy: the batch
// built from the write set only reads them, and the strings stay
// reachable from the write set until the batch has been committed.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// Delete deletes key from bucket.
func (w *WriteSet) Delete(bucket, key []byte) { w.set(bucket, key, Entry{Del: true}) }

// SetBucketFlags records a pending creation and/or drop of bucket name; a
// drop discards its pending entries (RollbackTo restores them).
func (w *WriteSet) SetBucketFlags(name string, created, dropped bool) {
	b := w.bucket(name, true)
	u := undoRec{bucket: name, bktOp: true, existed: true, created: b.created, dropped: b.dropped}
	b.created, b.dropped = created, dropped
	if dropped {
		u.entries, u.maxKey = b.m(), b.maxKey
		b.reset(0)
	}
	w.logUndo(u)
	w.writes++
}

// Savepoint marks the current undo position.
func (w *WriteSet) Savepoint() int { return len(w.undo) }

// RollbackTo undoes every change after sp, including the entries a drop
// cleared.
func (w *WriteSet) RollbackTo(sp int) {
	for i := len(w.undo) - 1; i >= sp; i-- {
		u := w.undo[i]
		if u.bktOp {
			if !u.existed {
				delete(w.buckets, u.bucket)
				continue
			}
			b := w.buckets[u.bucket]
			b.created, b.dropped = u.created, u.dropped
			if u.entries != nil {
				b.entries, b.maxKey, b.sorted = u.entries, u.maxKey, nil
				b.appended, b.vals = false, nil
			}
			continue
		}
		b := w.buckets[u.bucket]
		n := len(b.sorted)
		switch {
		case u.had:
			b.m()[u.key] = u.prev
		case b.appended && n > 0 && b.sorted[n-1] == u.key:
			// The last write in order: undone by dropping it.
			b.sorted, b.vals = b.sorted[:n-1], b.vals[:n-1]
		default:
			delete(b.m(), u.key)
			b.sorted = nil
		}
	}
	w.undo = w.undo[:sp]
}

// Batch renders the write set as a storage batch: drops, creates, then
// puts and deletes in bucket and key order.
func (w *WriteSet) Batch() *storage.Batch {
	names := make([]string, 0, len(w.buckets))
	for n := range w.buckets {
		names = append(names, n)
	}
	sort.Strings(names)
	names = slices.DeleteFunc(names, func(n string) bool { return w.buckets[n].staged }) // committed by Stage
	ops := 0
	for _, n := range names {
		ops += w.buckets[n].Len() + 1
	}
	b := &storage.Batch{Ops: make([]storage.Op, 0, ops)}
	for _, n := range names {
		if ob := w.buckets[n]; ob.dropped && !ob.created {
			b.DropBucket([]byte(n))
		}
	}
	for _, n := range names {
		if ob := w.buckets[n]; ob.created && !ob.dropped {
			b.CreateBucket([]byte(n))
		}
	}
	for _, n := range names {
		ob := w.buckets[n]
		switch {
		case ob.shadow == "":
		case ob.dropped:
			b.DropBucket([]byte(ob.shadow))
		default:
			b.MoveBucket([]byte(n), []byte(ob.shadow))
		}
		if ob.dropped {
			continue
		}
		appendEntries(b, []byte(n), ob)
	}
	return b
}

// appendEntries adds ob's pending puts and deletes to b in key order.
func appendEntries(b *storage.Batch, name []byte, ob *Bucket) {
	ob.each(func(k string, e Entry) {
		if e.Del {
			b.Delete(name, bytesOf(k))
		} else {
			b.Put(name, bytesOf(k), e.Val)
		}
	})
}
