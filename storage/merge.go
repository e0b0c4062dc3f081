package storage

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Merges: how OpMoveBucket publishes a bucket's worth of rows at once and
// still writes them into the file in bounded transactions.
//
// OpMoveBucket(to, from) used to copy every key of from into to in the
// bbolt transaction of its commit: a 10M-row COPY's move dirtied the
// whole of the table's and its indexes' new pages in one transaction —
// 440 MB of bbolt nodes and rising, a peak RSS of 5.9 GB — and held
// every other commit (and a standby's apply) until it was done.
//
// Now the commit only records the merge: from's name under to's in the
// reserved merge bucket, in the same transaction as the rest of its
// batch. From then on a reader of to reads from laid over to (Get looks
// in from first, a Cursor merges the two, from winning on equal keys), so
// the whole load is visible at once, on the primary, on a standby applying
// the same record, and after a replay; and every later write of a key of
// to (a flush, an applySync) also deletes the key from from, so from
// never hides a newer version. A background mover then moves from's keys
// into to, at most mergeStepKeys or mergeStepBytes per bbolt transaction
// (each key put into to and deleted from from), and in the transaction
// that empties from drops it and the record. Every one of these
// transactions leaves what a reader sees unchanged, so they need no WAL
// record and a crash between any two of them loses nothing: the file
// keeps the record, and the next Open resumes the move.
//
// While a file holds a merge record its format version is
// mergeFormatVersion, which older binaries refuse to open (they would
// read to without from); it is FormatVersion again once no merge is left.
//
// A second move into a bucket still merging first finishes the first one
// (in bounded transactions, before its own commit's transaction); a drop
// of to drops from with it; the merge sources are not data buckets to
// ForEachBucket (the SQL layer would take them for orphans).

const (
	// bucketMerge holds the merges in progress: key the destination
	// bucket, value the source bucket.
	bucketMerge bucketName = "\x00merge"
	// mergeFormatVersion is the format version of a file holding a
	// merge record.
	mergeFormatVersion uint64 = 2
	// mergeInline: a source with at most this many keys is moved in its
	// commit's own transaction, as before (small loads need no mover).
	mergeInline = 1024
	// defaultMergeStepKeys and defaultMergeStepBytes bound one mover
	// transaction: the keys moved and their bytes. bbolt holds a
	// transaction's dirty pages (of from and to) in memory until it
	// commits: at 16 MiB of rows that is some 40-60 MB of heap.
	defaultMergeStepKeys  = 64 << 10
	defaultMergeStepBytes = 16 << 20
)

// mergeSet is the merges of one state of the file: destination to source
// and its inverse. It is never modified once published (DB.merges,
// Snapshot.merges); nil when there are none.
type mergeSet struct {
	src map[string][]byte // destination -> source
	dst map[string]bool   // the sources
}

// source returns bucket's merge source, or nil.
func (m *mergeSet) source(bucket []byte) []byte {
	if m == nil {
		return nil
	}
	return m.src[string(bucket)]
}

// isSource reports whether bucket is a merge source.
func (m *mergeSet) isSource(bucket []byte) bool { return m != nil && m.dst[string(bucket)] }

// readMerges returns the merges recorded in tx (nil when none).
func readMerges(tx *bolt.Tx) *mergeSet {
	b := tx.Bucket(bucketMerge.bytes())
	if b == nil {
		return nil
	}
	var m *mergeSet
	_ = b.ForEach(func(k, v []byte) error {
		if m == nil {
			m = &mergeSet{src: map[string][]byte{}, dst: map[string]bool{}}
		}
		m.src[string(k)] = bytes.Clone(v)
		m.dst[string(v)] = true
		return nil
	})
	return m
}

// txMerges is the merge records of one write transaction, as its ops
// change them.
type txMerges struct {
	tx  *bolt.Tx
	set *mergeSet // copy on first change
	own bool      // set is this transaction's copy
}

func newTxMerges(tx *bolt.Tx) *txMerges { return &txMerges{tx: tx, set: readMerges(tx)} }

func (m *txMerges) mutable() *mergeSet {
	if !m.own {
		n := &mergeSet{src: map[string][]byte{}, dst: map[string]bool{}}
		if m.set != nil {
			n.src, n.dst = maps.Clone(m.set.src), maps.Clone(m.set.dst)
		}
		m.set, m.own = n, true
	}
	return m.set
}

// add records the merge of from into to.
func (m *txMerges) add(to, from []byte) error {
	b, err := m.tx.CreateBucketIfNotExists(bucketMerge.bytes())
	if err != nil {
		return err
	}
	if err := b.Put(to, from); err != nil {
		return err
	}
	s := m.mutable()
	s.src[string(to)] = bytes.Clone(from)
	s.dst[string(from)] = true
	return setVersion(m.tx, mergeFormatVersion)
}

// remove deletes the merge into to (its source is dropped or moved).
func (m *txMerges) remove(to []byte) error {
	from := m.set.source(to)
	if from == nil {
		return nil
	}
	s := m.mutable()
	delete(s.src, string(to))
	delete(s.dst, string(from))
	b := m.tx.Bucket(bucketMerge.bytes())
	if err := b.Delete(to); err != nil {
		return err
	}
	if len(s.src) == 0 {
		if err := m.tx.DeleteBucket(bucketMerge.bytes()); err != nil {
			return err
		}
		m.set = nil
		return setVersion(m.tx, FormatVersion)
	}
	return nil
}

// destination returns the bucket from merges into, or nil.
func (m *txMerges) destination(from []byte) []byte {
	if !m.set.isSource(from) {
		return nil
	}
	for to, f := range m.set.src {
		if bytes.Equal(f, from) {
			return []byte(to)
		}
	}
	return nil
}

func setVersion(tx *bolt.Tx, v uint64) error {
	return tx.Bucket(bucketMeta.bytes()).Put(keyFormatVersion.bytes(), encodeUint64(v))
}

// shadowed deletes key from bucket's merge source, if it has one: a write
// of key into bucket replaces what the source holds.
func (m *txMerges) shadowed(bucket, key []byte) error {
	from := m.set.source(bucket)
	if from == nil {
		return nil
	}
	if src := m.tx.Bucket(from); src != nil {
		return src.Delete(key)
	}
	return nil
}

// dropped handles OpDropBucket of name, a destination: its source goes
// with it. (A source is no bucket any more: applyOp ignores its drop.)
func (m *txMerges) dropped(name []byte) error {
	if from := m.set.source(name); from != nil {
		if err := m.tx.DeleteBucket(from); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
		return m.remove(name)
	}
	return nil
}

// created handles OpCreateBucket of name when name is a merge source
// (moved, so missing to the batch; drainMerges did not finish its merge):
// the merge is finished here, whole, and name is free again.
func (m *txMerges) created(f *appendFill, name []byte) error {
	to := m.destination(name)
	if to == nil {
		return nil
	}
	if err := moveBucket(m.tx, f, to, name); err != nil {
		return err
	}
	return m.remove(to)
}

// isSource reports whether name is a merge source: moved by an
// OpMoveBucket, so a missing bucket to every later op.
func (m *txMerges) isSource(name []byte) bool { return m.set.isSource(name) }

// move applies OpMoveBucket(to, from): a small source is moved at once,
// a large one recorded as a merge for the mover. A source still merging
// into to (drainMerges did not run) is moved here whole first, which is
// correct but not bounded.
func (m *txMerges) move(f *appendFill, to, from []byte) error {
	src := m.tx.Bucket(from)
	if src == nil {
		return nil
	}
	dst := m.tx.Bucket(to)
	if dst != nil && m.set.source(to) != nil {
		if err := moveBucket(m.tx, f, to, m.set.source(to)); err != nil {
			return err
		}
		if err := m.remove(to); err != nil {
			return err
		}
	}
	if dst == nil || small(src) {
		return moveBucket(m.tx, f, to, from)
	}
	return m.add(to, from)
}

// small reports whether b has at most mergeInline keys, reading no more
// than that many.
func small(b *bolt.Bucket) bool {
	c := b.Cursor()
	n := 0
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if n++; n > mergeInline {
			return false
		}
	}
	return true
}

// mergeStep moves up to one step's keys of the first merge of the file
// (by destination) and reports whether merges remain. Called with flushMu
// held, and applyMu when haveApply (drainMerges); the transaction that
// ends a merge is committed and published under viewMu, as applySync's.
func (db *DB) mergeStep(haveApply bool) (more bool, err error) {
	tx, err := db.bolt.Begin(true)
	if err != nil {
		return false, mapClosed(err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	f := newAppendFill(tx)
	m := f.merges
	if m.set == nil {
		return false, tx.Rollback()
	}
	tos := slices.Sorted(maps.Keys(m.set.src))
	to, from := []byte(tos[0]), m.set.src[tos[0]]
	src, dst := tx.Bucket(from), tx.Bucket(to)
	if src != nil && dst != nil {
		// The keys are put while src is read, then deleted one by one
		// (a seek each): a cursor's First after each delete walked every
		// leaf emptied so far, quadratic in the step.
		var moved [][]byte // src's keys, in the file's mapping
		size := 0
		c := src.Cursor()
		for k, v := c.First(); k != nil && len(moved) < db.mergeStepKeys && size < db.mergeStepBytes; k, v = c.Next() {
			if v == nil {
				return false, fmt.Errorf("storage: merge %q into %q: nested bucket %q", from, to, k)
			}
			f.put(to, dst, k)
			if err := dst.Put(k, v); err != nil {
				return false, fmt.Errorf("storage: merge %q into %q: %w", from, to, err)
			}
			moved = append(moved, k)
			size += len(k) + len(v)
		}
		for _, k := range moved {
			if err := src.Delete(k); err != nil {
				return false, fmt.Errorf("storage: merge %q into %q: %w", from, to, err)
			}
		}
		if k, _ := src.Cursor().First(); k != nil {
			f.apply()
			if err := tx.Commit(); err != nil {
				return false, mapClosed(err)
			}
			db.noteTx(tx)
			return true, nil
		}
	}
	// The source is empty (or a bucket is gone): drop it and the record.
	if src != nil {
		if err := tx.DeleteBucket(from); err != nil {
			return false, err
		}
	}
	if err := m.remove(to); err != nil {
		return false, err
	}
	f.apply()
	if !haveApply {
		db.applyMu.Lock()
		defer db.applyMu.Unlock()
	}
	buckets := bucketSet(tx, m.set)
	db.viewMu.Lock()
	defer db.viewMu.Unlock()
	if err := tx.Commit(); err != nil {
		return false, mapClosed(err)
	}
	db.noteTx(tx)
	db.buckets, db.merges = buckets, m.set
	db.metrics.merges.Set(float64(m.set.len()))
	db.log.Info("storage: merge done", "into", string(to), "from", string(from))
	return m.set != nil, nil
}

func (m *mergeSet) len() int {
	if m == nil {
		return 0
	}
	return len(m.src)
}

// drainMerges finishes, in bounded transactions, the merges into the
// buckets batches move into, and those of the merge sources they create
// again (a name OpMoveBucket dropped is free). Called with flushMu and
// applyMu held.
func (db *DB) drainMerges(batches []*Batch) error {
	for {
		busy := false
		for _, b := range batches {
			for i := range b.Ops {
				op := &b.Ops[i]
				switch {
				case op.Kind == OpMoveBucket && db.merges.source(op.Bucket) != nil:
					busy = true // a bucket merges one source at a time
				case op.Kind == OpCreateBucket && db.merges.isSource(op.Bucket):
					busy = true // the name is free once its merge is done
				}
			}
		}
		if !busy {
			return nil
		}
		if _, err := db.mergeStep(true); err != nil {
			return fmt.Errorf("storage: finish an earlier merge: %w", err)
		}
	}
}

// mergeLoop runs the merges while there are any: kicked at Open and by
// every commit that records one. A failed step (a full disk) is retried
// with backoff; the merge's data stays visible meanwhile.
func (db *DB) mergeLoop() {
	defer close(db.mergeDone)
	retry := time.Duration(0)
	for {
		select {
		case <-db.mergeStop:
			return
		case <-db.mergeKick:
		}
		for {
			select {
			case <-db.mergeStop:
				return
			default:
			}
			db.flushMu.Lock()
			more, err := db.mergeStep(false)
			db.flushMu.Unlock()
			if err != nil {
				db.log.Warn("storage: merge step failed; retrying (the data stays visible)", "err", err)
				retry = min(max(2*retry, 100*time.Millisecond), 5*time.Second)
				select {
				case <-db.mergeStop:
					return
				case <-time.After(retry):
				}
				continue
			}
			retry = 0
			if !more {
				break
			}
		}
	}
}

// kickMerge tells the mover there may be work.
func (db *DB) kickMerge() {
	select {
	case db.mergeKick <- struct{}{}:
	default:
	}
}

// Merging reports how many merges the file holds (tests, metrics): rows
// published by OpMoveBucket not yet moved into their bucket.
func (db *DB) Merging() int {
	db.viewMu.Lock()
	defer db.viewMu.Unlock()
	return db.merges.len()
}

// KeyCursor is a cursor MergeCursor merges: a bbolt cursor or a
// storage Cursor. Every method returns the key and value it lands on, or
// a nil key at either end.
type KeyCursor interface {
	First() ([]byte, []byte)
	Last() ([]byte, []byte)
	Seek(key []byte) ([]byte, []byte)
	Next() ([]byte, []byte)
	Prev() ([]byte, []byte)
}

// MergeCursor merges two cursors over one key space, the second winning
// on equal keys: a bucket with its merge source here, a bucket's snapshot
// with its shadow in sql/txn. It moves either way; on a change of
// direction each side steps from where it stands, which is its first key
// at or past the last key returned (its last key at or before it, going
// back), so each lands on its nearest key beyond the last returned one.
type MergeCursor struct {
	a, b   KeyCursor
	ak, av []byte
	bk, bv []byte
	rk     []byte // the key last returned
	back   bool   // the last move went backward
}

// NewMergeCursor merges a with b (b's value wins on equal keys).
func NewMergeCursor(a, b KeyCursor) *MergeCursor {
	return &MergeCursor{a: a, b: b}
}

// First moves to the first key of either side.
func (d *MergeCursor) First() ([]byte, []byte) {
	d.ak, d.av = d.a.First()
	d.bk, d.bv = d.b.First()
	d.back = false
	return d.pick()
}

// Last moves to the last key of either side.
func (d *MergeCursor) Last() ([]byte, []byte) {
	d.ak, d.av = d.a.Last()
	d.bk, d.bv = d.b.Last()
	d.back = true
	return d.pick()
}

// Seek moves to the first key at or after key.
func (d *MergeCursor) Seek(key []byte) ([]byte, []byte) {
	d.ak, d.av = d.a.Seek(key)
	d.bk, d.bv = d.b.Seek(key)
	d.back = false
	return d.pick()
}

// Next moves to the next key.
func (d *MergeCursor) Next() ([]byte, []byte) {
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
func (d *MergeCursor) Prev() ([]byte, []byte) {
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
func turn(c KeyCursor, k []byte, back bool) ([]byte, []byte) {
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
// (b's value on a tie) and remembers it.
func (d *MergeCursor) pick() ([]byte, []byte) {
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
