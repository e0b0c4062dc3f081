package storage

import (
	"bytes"
	"fmt"
	"time"

	"github.com/tidwall/btree"
	bolt "go.etcd.io/bbolt"

	"github.com/heliosdb/nano/lsn"
)

// The pending table: committed changes that are visible but not yet in the
// bbolt file.
//
// Apply does not write the bbolt file. It records the batches' puts and
// deletes, newest version per key, in an in-memory ordered tree and
// publishes a read-only copy of it (copy on write: O(1), later inserts copy
// only the nodes they touch); a Snapshot reads the bbolt transaction it
// opened with the copy it took laid over it. A background flusher writes
// the whole tree into the file in one bbolt transaction, with the applied
// LSN, every FlushInterval (or sooner when it grows past FlushBytes), so
// the file pays bbolt's two fsyncs once per flush instead of once per
// commit group. The WAL, already fsynced before Apply, is what makes a
// commit durable: after a crash the file holds exactly the commits up to
// DurableLSN and the node replays the WAL from there (so the WAL must be
// kept back to DurableLSN, not AppliedLSN).
//
// Why a snapshot is consistent: the tree holds, for every key written after
// the last flush it knows of, that key's newest version. A flush publishes
// the smaller tree only after its bbolt transaction committed, and a
// Snapshot takes the tree and begins its bbolt transaction under one lock,
// so a Snapshot sees either an older file with every later change in the
// tree, or the newer file with a tree that still holds (some) flushed
// versions — which are then equal to or newer than the file's.
//
// Bucket operations (CreateBucket, DropBucket) and very large batches are
// not put in the tree: such an Apply writes the tree and the batches into
// the file in one durable transaction (applySync), so the set of buckets is
// always the file's and a Put into a missing bucket is dropped exactly as
// bbolt would.

// memItem is the newest pending version of one key.
type memItem struct {
	bucket []byte // shared per bucket (DB.buckets)
	key    []byte
	value  []byte // nil for a delete
	del    bool
}

func (it *memItem) size() int64 { return int64(len(it.key)+len(it.value)) + 64 }

func memLess(a, b *memItem) bool {
	if c := bytes.Compare(a.bucket, b.bucket); c != 0 {
		return c < 0
	}
	return bytes.Compare(a.key, b.key) < 0
}

type memTree = btree.BTreeG[*memItem]

func newMemTree() *memTree {
	return btree.NewBTreeGOptions(memLess, btree.Options{NoLocks: true, Degree: 32})
}

// Defaults of the flush policy (Config.FlushInterval, Config.FlushBytes).
const (
	// DefaultFlushInterval bounds how long a change stays only in memory
	// (and in the WAL): it is also, roughly, the WAL a restart replays.
	// Each flush is a bbolt transaction with two fsyncs that compete with
	// the WAL's on the same disk; at 1 s rather than 200 ms pgbench
	// tpcb-like (8 clients, loaded 2-core machine) ran at 1.5-1.8x the
	// TPS with ~10% less node CPU per transaction (the hot branch and
	// teller pages are written once per flush, not once per commit).
	DefaultFlushInterval = time.Second
	// DefaultFlushBytes starts a flush early when the pending changes
	// grow past it; four times it makes Apply wait for a flush
	// (back-pressure), so memory stays bounded.
	DefaultFlushBytes = 16 << 20
	// syncApplyOps and syncApplyBytes: a batch at least this large is
	// written straight into the file (applySync): holding it in memory buys
	// nothing, its cost is dominated by the writes.
	syncApplyOps   = 20000
	syncApplyBytes = 8 << 20
)

// needsSync reports whether batches must bypass the pending table.
func needsSync(batches []*Batch) bool {
	ops, size := 0, 0
	for _, b := range batches {
		for i := range b.Ops {
			op := &b.Ops[i]
			if !op.Kind.isRowOp() {
				return true
			}
			ops++
			size += len(op.Key) + len(op.Value)
		}
	}
	return ops >= syncApplyOps || size >= syncApplyBytes
}

// applyPending adds batches to the pending table and publishes it as of
// end. Called with applyMu held.
func (db *DB) applyPending(end lsn.LSN, batches []*Batch) {
	for _, b := range batches {
		// The batch's items, keys and values are carved from two
		// allocations (three per op before): they stay until the
		// flush that writes them, all of a batch together.
		var size int
		for i := range b.Ops {
			size += len(b.Ops[i].Key) + len(b.Ops[i].Value)
		}
		items := make([]memItem, len(b.Ops))
		buf := make([]byte, 0, size)
		for i := range b.Ops {
			op := &b.Ops[i]
			bucket, ok := db.buckets[string(op.Bucket)]
			if !ok {
				continue // bbolt drops a Put/Delete into a missing bucket
			}
			it := &items[i]
			it.bucket, it.del = bucket, op.Kind == OpDelete
			buf = append(buf, op.Key...)
			it.key = buf[len(buf)-len(op.Key) : len(buf) : len(buf)]
			if !it.del {
				buf = append(buf, op.Value...)
				it.value = buf[len(buf)-len(op.Value) : len(buf) : len(buf)]
			}
			if old, replaced := db.mem.Set(it); replaced {
				db.memBytes -= old.size()
			}
			db.memBytes += it.size()
		}
	}
	db.publish(end)
}

// publish makes the pending table as it is now visible as of end. Called
// with applyMu held.
func (db *DB) publish(end lsn.LSN) {
	db.pendingRoom.Store(2*db.memBytes + min(int64(db.mem.Len())*reservePerOp, 64<<20))
	var view *memTree
	if db.mem.Len() > 0 {
		view = db.mem.Copy()
	}
	db.viewMu.Lock()
	db.published, db.viewLSN = view, end
	db.viewMu.Unlock()
	if end != db.AppliedLSN() {
		db.setApplied(end)
		db.metrics.appliedLSN.Set(float64(end))
	}
}

// writeTree writes every pending version of t into tx.
func writeTree(tx *bolt.Tx, f *appendFill, t *memTree) error {
	var (
		err    error
		name   []byte
		bucket *bolt.Bucket
	)
	t.Scan(func(it *memItem) bool {
		if name == nil || !bytes.Equal(name, it.bucket) {
			name, bucket = it.bucket, tx.Bucket(it.bucket)
		}
		if bucket == nil {
			return true // cannot happen: buckets change only in applySync
		}
		if err = f.merges.shadowed(it.bucket, it.key); err != nil {
			return false
		}
		if it.del {
			f.del(it.bucket, bucket)
			err = bucket.Delete(it.key)
		} else {
			f.put(it.bucket, bucket, it.key)
			err = bucket.Put(it.key, it.value)
		}
		return err == nil
	})
	return err
}

// applySync writes the pending table and batches into the file in one
// durable transaction recording end. Called with flushMu and applyMu held.
func (db *DB) applySync(end lsn.LSN, batches []*Batch) error {
	var size int64
	err := db.commitPublished(end, func(tx *bolt.Tx) error {
		f := newAppendFill(tx)
		if err := writeTree(tx, f, db.mem); err != nil {
			return err
		}
		for _, b := range batches {
			if err := applyBatch(tx, f, b); err != nil {
				return err
			}
		}
		f.apply()
		size = tx.Size()
		return tx.Bucket(bucketMeta.bytes()).Put(keyAppliedLSN.bytes(), encodeUint64(uint64(end)))
	})
	if err != nil {
		return err
	}
	db.metrics.dbSize.Set(float64(size))
	return nil
}

// commitPublished runs fn in a read-write transaction that replaces the
// pending table: the commit and the publication of the empty table as of
// end happen under viewMu, so no Snapshot can pair the new file with the
// old table (whose versions would hide newer ones written by fn). Called
// with flushMu and applyMu held; the bucket set is re-read from the file.
func (db *DB) commitPublished(end lsn.LSN, fn func(*bolt.Tx) error) error {
	if db.closed.Load() {
		return ErrClosed
	}
	tx, err := db.bolt.Begin(true)
	if err != nil {
		return mapClosed(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	merges := readMerges(tx)
	buckets := bucketSet(tx, merges)
	db.viewMu.Lock()
	defer db.viewMu.Unlock()
	if err := tx.Commit(); err != nil {
		return mapClosed(err)
	}
	db.noteTx(tx)
	db.buckets, db.merges = buckets, merges
	db.metrics.merges.Set(float64(merges.len()))
	if merges != nil {
		db.kickMerge()
	}
	db.mem, db.memBytes = newMemTree(), 0
	db.pendingRoom.Store(0)
	db.published, db.viewLSN = nil, end
	db.setDurable(end)
	db.setApplied(end)
	db.metrics.appliedLSN.Set(float64(end))
	return nil
}

// bucketSet returns the data buckets of tx by name, each with its own copy
// of the name (pending versions share it); not the merge sources of
// merges, which OpMoveBucket dropped (merge.go).
func bucketSet(tx *bolt.Tx, merges *mergeSet) map[string][]byte {
	m := make(map[string][]byte)
	_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if !isReserved(name) && !merges.isSource(name) {
			m[string(name)] = bytes.Clone(name)
		}
		return nil
	})
	return m
}

// flush writes the pending table into the file and drops from it the
// versions written. Commits go on meanwhile (applyMu is released during
// the bbolt transaction). Called with flushMu held.
func (db *DB) flush() error {
	db.applyMu.Lock()
	if db.mem.Len() == 0 {
		db.applyMu.Unlock()
		return nil
	}
	t, end := db.mem.Copy(), db.AppliedLSN()
	db.applyMu.Unlock()

	start := time.Now()
	var (
		size  int64
		wrote *bolt.Tx
	)
	err := mapClosed(db.bolt.Update(func(tx *bolt.Tx) error {
		wrote = tx
		if appliedIn(tx) >= end {
			return nil // written by applySync meanwhile (it holds flushMu: defensive)
		}
		f := newAppendFill(tx)
		if err := writeTree(tx, f, t); err != nil {
			return err
		}
		f.apply()
		size = tx.Size()
		return tx.Bucket(bucketMeta.bytes()).Put(keyAppliedLSN.bytes(), encodeUint64(uint64(end)))
	}))
	if err != nil {
		return fmt.Errorf("storage: flush up to %v: %w", end, err)
	}
	db.noteTx(wrote)
	db.setDurable(end)
	db.metrics.applyDuration.Observe(time.Since(start).Seconds())
	db.metrics.dbSize.Set(float64(size))

	db.applyMu.Lock()
	defer db.applyMu.Unlock()
	t.Scan(func(it *memItem) bool {
		if cur, ok := db.mem.Get(it); ok && cur == it { // not rewritten since
			db.mem.Delete(it)
			db.memBytes -= it.size()
		}
		return true
	})
	db.publish(db.AppliedLSN())
	return nil
}

func (db *DB) setDurable(at lsn.LSN) {
	db.durable.Store(uint64(at))
	db.metrics.durableLSN.Set(float64(at))
}

// DurableLSN is the LSN up to which the file itself holds the commits
// (AppliedLSN may be ahead: visible changes still pending a flush). After
// a crash the file is at DurableLSN: keep the WAL from there.
func (db *DB) DurableLSN() lsn.LSN { return lsn.LSN(db.durable.Load()) }

// Flush writes every pending change into the file now (tests, backups,
// clean shutdown).
func (db *DB) Flush() error {
	db.flushMu.Lock()
	defer db.flushMu.Unlock()
	return db.flush()
}

// flushLoop flushes the pending table FlushInterval after it stops being
// empty, or at once when it grows past FlushBytes.
func (db *DB) flushLoop() {
	defer close(db.flushDone)
	retry := time.Duration(0)
	for {
		select {
		case <-db.flushStop:
			return
		case <-db.flushKick:
		}
		wait := time.NewTimer(max(db.flushInterval, retry))
		select {
		case <-db.flushStop:
			wait.Stop()
			return
		case <-wait.C:
		case <-db.flushUrgent:
			wait.Stop()
		}
		if err := db.Flush(); err != nil {
			db.log.Warn("storage: flush failed; retrying (commits stay durable in the WAL)", "err", err)
			retry = min(max(2*retry, 100*time.Millisecond), 5*time.Second)
			db.kick(false)
			continue
		}
		retry = 0
	}
}

// kick tells the flusher there is something to flush; urgent skips the
// interval.
func (db *DB) kick(urgent bool) {
	select {
	case db.flushKick <- struct{}{}:
	default:
	}
	if urgent {
		select {
		case db.flushUrgent <- struct{}{}:
		default:
		}
	}
}

// memCursor walks the pending versions of one bucket.
type memCursor struct {
	bucket []byte
	it     btree.IterG[*memItem]
	probe  memItem
}

func newMemCursor(t *memTree, bucket []byte) *memCursor {
	return &memCursor{bucket: bucket, it: t.Iter(), probe: memItem{bucket: bucket}}
}

// in returns the item the iterator is on when ok and it belongs to the
// bucket, else nil.
func (m *memCursor) in(ok bool) *memItem {
	if !ok {
		return nil
	}
	it := m.it.Item()
	if !bytes.Equal(it.bucket, m.bucket) {
		return nil
	}
	return it
}

// seekGE returns the first item with key >= k (k == nil: the first item).
func (m *memCursor) seekGE(k []byte) *memItem {
	m.probe.key = k
	return m.in(m.it.Seek(&m.probe))
}

// seekGT returns the first item with key > k.
func (m *memCursor) seekGT(k []byte) *memItem {
	it := m.seekGE(k)
	if it != nil && bytes.Equal(it.key, k) {
		return m.in(m.it.Next())
	}
	return it
}

// seekLT returns the last item with key < k (k == nil: the last item).
func (m *memCursor) seekLT(k []byte) *memItem {
	var ok bool
	if k == nil {
		// The last item of the bucket: seek past it (bucket+0x00 sorts
		// after every key of bucket when compared as (bucket, key)).
		m.probe.bucket = append(bytes.Clone(m.bucket), 0)
		m.probe.key = nil
		ok = m.it.Seek(&m.probe)
		m.probe.bucket = m.bucket
	} else {
		m.probe.key = k
		ok = m.it.Seek(&m.probe)
	}
	if ok {
		return m.in(m.it.Prev())
	}
	return m.in(m.it.Last())
}

func (m *memCursor) next() *memItem { return m.in(m.it.Next()) }
func (m *memCursor) prev() *memItem { return m.in(m.it.Prev()) }
