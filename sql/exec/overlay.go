package exec

import (
	"bytes"
	"slices"
	"sort"
	"unsafe"

	"github.com/heliosdb/nano/storage"
)

// ovEntry is one pending write: a value, or a deletion.
type ovEntry struct {
	val []byte
	del bool
}

// ovBucket holds the pending writes of one bucket.
type ovBucket struct {
	name    string // its key in overlay.buckets (undo records share it)
	entries map[string]ovEntry
	sorted  []string // sorted keys of entries; nil when stale
	created bool     // CreateBucket pending
	dropped bool     // DropBucket pending: the snapshot's contents are gone
	// maxKey is at least every key ever put in the bucket by this
	// transaction: for a bucket created here (empty in storage), a key
	// above it is absent (above).
	maxKey string
	// staged: a private bucket (created here) whose earlier writes were
	// already committed in chunks (stage.go); entries holds only the
	// writes since, and the rest is read from a snapshot newer than the
	// last chunk. The final batch carries nothing of it.
	staged bool
	// shadow: a bucket others read, whose puts a COPY moved, in chunks,
	// to this private bucket (shadow.go); the final batch moves them in
	// (storage.OpMoveBucket) before its own writes of the bucket. Reads
	// see entries, then shadow, then the snapshot.
	shadow string
}

func (b *ovBucket) keys() []string {
	if b.sorted == nil {
		b.sorted = make([]string, 0, len(b.entries))
		for k := range b.entries {
			b.sorted = append(b.sorted, k)
		}
		sort.Strings(b.sorted)
	}
	return b.sorted
}

// undoRec restores one overlay slot to its earlier state.
type undoRec struct {
	bucket  string
	key     string
	had     bool
	prev    ovEntry
	bktOp   bool // bucket-level change: restore created/dropped flags
	created bool
	dropped bool
	existed bool // the ovBucket existed before
	// A bucket-level change that dropped the bucket's pending entries
	// keeps them here, with what else it reset.
	entries map[string]ovEntry
	maxKey  string
}

// overlay is a transaction's private write set with an undo log for
// statement-level savepoints.
type overlay struct {
	buckets map[string]*ovBucket
	undo    []undoRec
	writes  int
	// noUndo: writes are not logged for rollbackTo. Bulk statements (COPY,
	// ALTER TABLE rewrites) set it while they run: a statement that fails
	// aborts its whole transaction when it has no savepoints, so their
	// undo records would only cost memory.
	noUndo bool
	// keepUndo: the transaction has savepoints (savepoint.go): every
	// write is logged, noUndo or not.
	keepUndo bool
	// poisoned: a bulk statement failed after unlogged writes; the
	// transaction can only roll back.
	poisoned bool
	// pendingBytes: key and value bytes put since the last stage (stage.go).
	pendingBytes int
}

// bulk runs fn with undo logging off unless the transaction has
// savepoints; when fn fails after unlogged writes, the overlay is
// poisoned (see noUndo).
func (o *overlay) bulk(fn func() error) error {
	prev := o.noUndo
	o.noUndo = true
	err := fn()
	o.noUndo = prev
	if err != nil && !o.keepUndo {
		o.poisoned = true
	}
	return err
}

// logging reports whether writes get undo records.
func (o *overlay) logging() bool { return !o.noUndo || o.keepUndo }

func newOverlay() *overlay { return &overlay{buckets: map[string]*ovBucket{}} }

func (o *overlay) bucket(name string, create bool) *ovBucket {
	b := o.buckets[name]
	if b == nil && create {
		b = &ovBucket{name: name, entries: map[string]ovEntry{}}
		o.buckets[name] = b
		o.logUndo(undoRec{bucket: name, bktOp: true})
	}
	return b
}

// undoCap is the undo log's first capacity: room for a typical OLTP
// transaction's writes (pgbench's tpcb-like logs eight), so it
// does not grow through 1, 2, 4 and 8 records first.
const undoCap = 8

func (o *overlay) logUndo(u undoRec) {
	if o.undo == nil {
		o.undo = make([]undoRec, 0, undoCap)
	}
	o.undo = append(o.undo, u)
}

func (o *overlay) set(bucket, key []byte, e ovEntry) {
	b := o.bucket(string(bucket), true)
	k := string(key)
	prev, had := b.entries[k]
	if o.logging() {
		o.logUndo(undoRec{bucket: b.name, key: k, had: had, prev: prev, existed: true})
	}
	if !had {
		b.sorted = nil
	}
	b.entries[k] = e
	if !e.del && k > b.maxKey {
		b.maxKey = k
	}
	o.writes++
	o.pendingBytes += len(k) + len(e.val)
}

func (o *overlay) put(bucket, key, val []byte) {
	o.set(bucket, key, ovEntry{val: append([]byte(nil), val...)})
}

// putOwned is put for a key and value that the caller has just built and
// will not touch again: they are kept without copies.
func (o *overlay) putOwned(bucket, key, val []byte) {
	b := o.bucket(string(bucket), true)
	k := unsafe.String(unsafe.SliceData(key), len(key))
	prev, had := b.entries[k]
	if o.logging() {
		o.logUndo(undoRec{bucket: b.name, key: k, had: had, prev: prev, existed: true})
	}
	if !had {
		// A load in key order keeps the sorted keys (appendEntries' and
		// the iterators' order) as it goes instead of sorting them later.
		if n := len(b.sorted); n == len(b.entries) && (n == 0 || k > b.sorted[n-1]) {
			b.sorted = append(b.sorted, k)
		} else {
			b.sorted = nil
		}
	}
	b.entries[k] = ovEntry{val: val}
	if k > b.maxKey {
		b.maxKey = k
	}
	o.writes++
	o.pendingBytes += len(k) + len(val)
}

// absent reports that key is certainly not in bucket: the bucket was
// created by this transaction and key sorts above every key it put there
// (a bulk load in key order needs no lookups to check its keys).
func (o *overlay) absent(bucket, key []byte) bool {
	b := o.buckets[string(bucket)]
	return b != nil && b.created && !b.dropped && string(key) > b.maxKey
}

// bytesOf views an overlay string as bytes without a copy: the batch
// built from the overlay only reads them, and the strings stay reachable
// from the overlay until the batch has been committed.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func (o *overlay) del(bucket, key []byte) { o.set(bucket, key, ovEntry{del: true}) }

func (o *overlay) bucketFlags(name string, created, dropped bool) {
	b := o.bucket(name, true)
	u := undoRec{bucket: name, bktOp: true, existed: true, created: b.created, dropped: b.dropped}
	b.created, b.dropped = created, dropped
	if dropped {
		u.entries, u.maxKey = b.entries, b.maxKey
		b.entries = map[string]ovEntry{}
		b.sorted = nil
	}
	o.logUndo(u)
	o.writes++
}

// savepoint marks the current undo position.
func (o *overlay) savepoint() int { return len(o.undo) }

// rollbackTo undoes every change after sp, including the entries a drop
// cleared.
func (o *overlay) rollbackTo(sp int) {
	for i := len(o.undo) - 1; i >= sp; i-- {
		u := o.undo[i]
		if u.bktOp {
			if !u.existed {
				delete(o.buckets, u.bucket)
				continue
			}
			b := o.buckets[u.bucket]
			b.created, b.dropped = u.created, u.dropped
			if u.entries != nil {
				b.entries, b.maxKey, b.sorted = u.entries, u.maxKey, nil
			}
			continue
		}
		b := o.buckets[u.bucket]
		if u.had {
			b.entries[u.key] = u.prev
		} else {
			delete(b.entries, u.key)
			b.sorted = nil
		}
	}
	o.undo = o.undo[:sp]
}

// batch renders the overlay as a storage batch: drops, creates, then
// puts and deletes in bucket and key order.
func (o *overlay) batch() *storage.Batch {
	names := make([]string, 0, len(o.buckets))
	for n := range o.buckets {
		names = append(names, n)
	}
	sort.Strings(names)
	names = slices.DeleteFunc(names, func(n string) bool { return o.buckets[n].staged }) // committed by stage
	ops := 0
	for _, n := range names {
		ops += len(o.buckets[n].entries) + 1
	}
	b := &storage.Batch{Ops: make([]storage.Op, 0, ops)}
	for _, n := range names {
		if ob := o.buckets[n]; ob.dropped && !ob.created {
			b.DropBucket([]byte(n))
		}
	}
	for _, n := range names {
		if ob := o.buckets[n]; ob.created && !ob.dropped {
			b.CreateBucket([]byte(n))
		}
	}
	for _, n := range names {
		ob := o.buckets[n]
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
func appendEntries(b *storage.Batch, name []byte, ob *ovBucket) {
	for _, k := range ob.keys() {
		e := ob.entries[k]
		if e.del {
			b.Delete(name, bytesOf(k))
		} else {
			b.Put(name, bytesOf(k), e.val)
		}
	}
}

// kvCursor is a cursor over committed state: a storage.Cursor, or a
// bucket's snapshot merged with its shadow (dualCursor).
type kvCursor interface {
	First() (key, value []byte)
	Last() (key, value []byte)
	Seek(key []byte) (k, value []byte)
	Next() (key, value []byte)
	Prev() (key, value []byte)
}

// mergedIter iterates a bucket of snapshot+overlay over [start, end)
// (end nil = unbounded), forward or reverse.
type mergedIter struct {
	cur     kvCursor
	ov      []string
	ents    map[string]ovEntry
	oi      int
	start   []byte
	end     []byte
	reverse bool
	sk, sv  []byte
	begun   bool
}

func (t *Txn) iterate(bucket []byte, start, end []byte, reverse bool) *mergedIter {
	it := &mergedIter{start: start, end: end, reverse: reverse}
	ob := t.ov.buckets[string(bucket)]
	switch {
	case ob != nil && ob.dropped:
	case ob != nil && ob.staged:
		it.cur = t.stagedSnap().Cursor(bucket)
	default:
		it.cur = t.shadowed(ob, t.baseFor(bucket, nil).Cursor(bucket))
	}
	if ob != nil {
		it.ents = ob.entries
		keys := ob.keys()
		lo := sort.SearchStrings(keys, string(start))
		hi := len(keys)
		if end != nil {
			hi = sort.SearchStrings(keys, string(end))
		}
		it.ov = keys[lo:hi]
		if reverse {
			it.oi = len(it.ov) - 1
		}
	}
	return it
}

func (it *mergedIter) snapNext() {
	if it.cur == nil {
		it.sk = nil
		return
	}
	var k, v []byte
	switch {
	case !it.begun && !it.reverse:
		if it.start == nil {
			k, v = it.cur.First()
		} else {
			k, v = it.cur.Seek(it.start)
		}
	case !it.begun:
		if it.end == nil {
			k, v = it.cur.Last()
		} else {
			k, _ = it.cur.Seek(it.end)
			if k == nil {
				k, v = it.cur.Last()
			} else {
				k, v = it.cur.Prev()
			}
		}
	case it.reverse:
		k, v = it.cur.Prev()
	default:
		k, v = it.cur.Next()
	}
	if k != nil && (it.end != nil && bytes.Compare(k, it.end) >= 0 || it.start != nil && bytes.Compare(k, it.start) < 0) {
		k = nil
	}
	it.sk, it.sv = k, v
}

// next returns the next live key/value, or nil at the end.
func (it *mergedIter) next() (key, val []byte) {
	if !it.begun {
		it.snapNext()
		it.begun = true
	}
	for {
		var ok string
		hasOv := it.oi >= 0 && it.oi < len(it.ov)
		if hasOv {
			ok = it.ov[it.oi]
		}
		if it.sk == nil && !hasOv {
			return nil, nil
		}
		c := 0
		switch {
		case it.sk == nil:
			c = 1
		case !hasOv:
			c = -1
		default:
			c = bytes.Compare(it.sk, []byte(ok))
			if it.reverse {
				c = -c
			}
		}
		if c < 0 {
			k, v := it.sk, it.sv
			it.snapNext()
			return k, v
		}
		sk, sv := it.sk, it.sv
		if c == 0 {
			it.snapNext()
		}
		if it.reverse {
			it.oi--
		} else {
			it.oi++
		}
		e, pending := it.ents[ok]
		switch {
		case !pending && c == 0:
			// Undone by a ROLLBACK TO after the iterator began: the
			// snapshot's version is the one to read.
			return sk, sv
		case !pending:
			// Written after the iterator began and undone since: absent.
		case !e.del:
			return []byte(ok), e.val
		}
	}
}
