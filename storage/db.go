package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/heliosdb/nano/lsn"
)

// DB is an open storage file. It is safe for concurrent use.
type DB struct {
	bolt    *bolt.DB
	path    string
	log     *slog.Logger
	metrics *metrics

	// flushMu serialises writers of the file (flush, applySync, Replace);
	// taken before applyMu.
	flushMu sync.Mutex
	applyMu sync.Mutex    // serialises Apply so applied only moves forward
	applied atomic.Uint64 // visible LSN (pending table included)
	durable atomic.Uint64 // LSN the file holds (memtable.go)
	closing atomic.Bool   // Close began
	closed  atomic.Bool

	// Guarded by applyMu: the pending table (memtable.go), its size, and
	// the file's data buckets by name.
	mem      *memTree
	memBytes int64
	// pendingRoom estimates the new file space the next flush needs
	// (Reserve adds it); updated with memBytes.
	pendingRoom atomic.Int64
	buckets     map[string][]byte

	// viewMu guards the published read-only copy of the pending table and
	// the LSN it makes visible; Snapshot pairs them with its bbolt
	// transaction under it.
	viewMu    sync.Mutex
	published *memTree // nil when nothing is pending
	viewLSN   lsn.LSN

	flushInterval time.Duration
	flushBytes    int64
	flushKick     chan struct{}
	flushUrgent   chan struct{}
	flushStop     chan struct{}
	flushDone     chan struct{}

	changedMu sync.Mutex
	changed   chan struct{} // closed (and replaced) when applied changes

	reserveMu sync.Mutex
	reserved  int64 // file bytes known to be allocated (space.go)

	// merges is the file's merges in progress (merge.go), replaced (under
	// viewMu, with flushMu and applyMu held) by the transactions that
	// change them; Snapshot takes it with its bbolt transaction.
	merges         *mergeSet
	mergeStepKeys  int
	mergeStepBytes int
	mergeKick      chan struct{}
	mergeStop      chan struct{}
	mergeDone      chan struct{}

	// largestTx is the most page bytes one write transaction of Apply,
	// a flush or a merge step allocated (bbolt holds them until it
	// commits): what bounds a transaction's memory (tests).
	largestTx atomic.Int64
}

// noteTx records the page bytes the committed write transaction tx
// allocated.
func (db *DB) noteTx(tx *bolt.Tx) {
	st := tx.Stats()
	n := st.GetPageAlloc()
	for {
		old := db.largestTx.Load()
		if n <= old || db.largestTx.CompareAndSwap(old, n) {
			return
		}
	}
}

// Open opens (creating if needed) the storage file cfg.Path. A new file is
// stamped with FormatVersion; an existing one must carry it, else Open
// returns ErrVersionMismatch. bbolt runs with full fsyncs (never NoSync).
func Open(cfg Config) (*DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	bdb, err := bolt.Open(cfg.Path, 0o600, boltOptions(cfg, false))
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", cfg.Path, err)
	}
	db, err := newDB(cfg, bdb)
	if err != nil {
		bdb.Close()
		return nil, err
	}
	db.log.Info("storage opened", "path", cfg.Path, "lsn", db.AppliedLSN(),
		"format_version", FormatVersion)
	return db, nil
}

func boltOptions(cfg Config, readOnly bool) *bolt.Options {
	return &bolt.Options{
		Timeout:         cfg.LockTimeout,
		InitialMmapSize: cfg.InitialMmapSize,
		FreelistType:    bolt.FreelistMapType,
		ReadOnly:        readOnly,
		NoSync:          false, // durability: the file must always be a WAL prefix
	}
}

// newDB initialises the meta buckets and wraps an open bbolt handle.
func newDB(cfg Config, bdb *bolt.DB) (*DB, error) {
	var (
		applied lsn.LSN
		buckets map[string][]byte
		merges  *mergeSet
	)
	err := bdb.Update(func(tx *bolt.Tx) error {
		var err error
		applied, err = initMeta(tx)
		merges = readMerges(tx)
		buckets = bucketSet(tx, merges)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", cfg.Path, err)
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	db := &DB{
		bolt: bdb, path: cfg.Path, log: cfg.Logger, metrics: m, changed: make(chan struct{}),
		mem: newMemTree(), buckets: buckets, viewLSN: applied,
		flushInterval: cfg.FlushInterval, flushBytes: cfg.FlushBytes,
		flushKick: make(chan struct{}, 1), flushUrgent: make(chan struct{}, 1),
		flushStop: make(chan struct{}), flushDone: make(chan struct{}),
		merges: merges, mergeStepKeys: cfg.MergeStepKeys, mergeStepBytes: cfg.MergeStepBytes,
		mergeKick: make(chan struct{}, 1), mergeStop: make(chan struct{}), mergeDone: make(chan struct{}),
	}
	db.applied.Store(uint64(applied))
	db.setDurable(applied)
	m.appliedLSN.Set(float64(applied))
	db.updateSize()
	m.merges.Set(float64(merges.len()))
	go db.flushLoop()
	go db.mergeLoop()
	if merges != nil {
		db.kickMerge() // a merge the last run did not finish
	}
	return db, nil
}

// initMeta creates the reserved buckets of a fresh file or checks the
// format version of an existing one, and returns the applied LSN.
func initMeta(tx *bolt.Tx) (lsn.LSN, error) {
	meta := tx.Bucket(bucketMeta.bytes())
	if meta == nil {
		if err := requireEmpty(tx); err != nil {
			return 0, err
		}
		var err error
		if meta, err = tx.CreateBucket(bucketMeta.bytes()); err != nil {
			return 0, err
		}
		if err := meta.Put(keyFormatVersion.bytes(), encodeUint64(FormatVersion)); err != nil {
			return 0, err
		}
	}
	if _, err := tx.CreateBucketIfNotExists(bucketLocal.bytes()); err != nil {
		return 0, err
	}
	return readMeta(tx)
}

// requireEmpty refuses to adopt a bbolt file that has data but no meta
// bucket: it was not written by this package.
func requireEmpty(tx *bolt.Tx) error {
	if name, _ := tx.Cursor().First(); name != nil {
		return fmt.Errorf("%w: file has bucket %q but no storage metadata", ErrVersionMismatch, name)
	}
	return nil
}

// readMeta checks the format version and returns the applied LSN.
func readMeta(tx *bolt.Tx) (lsn.LSN, error) {
	meta := tx.Bucket(bucketMeta.bytes())
	if meta == nil {
		return 0, fmt.Errorf("%w: no storage metadata", ErrVersionMismatch)
	}
	ver, ok := decodeUint64(meta.Get(keyFormatVersion.bytes()))
	if !ok || ver != FormatVersion && ver != mergeFormatVersion {
		return 0, fmt.Errorf("%w: file has version %d (valid=%t), want %d",
			ErrVersionMismatch, ver, ok, FormatVersion)
	}
	return appliedIn(tx), nil
}

// appliedIn reads the applied LSN stored in tx (0 when none was stored).
func appliedIn(tx *bolt.Tx) lsn.LSN {
	meta := tx.Bucket(bucketMeta.bytes())
	if meta == nil {
		return 0
	}
	v, _ := decodeUint64(meta.Get(keyAppliedLSN.bytes()))
	return lsn.LSN(v)
}

// Path returns the file path the DB was opened with.
func (db *DB) Path() string { return db.path }

// Close writes the pending changes into the file and closes it. It waits
// for open Snapshots to be closed. Calling Close again returns ErrClosed.
func (db *DB) Close() error {
	if db.closing.Swap(true) {
		return ErrClosed
	}
	close(db.flushStop)
	<-db.flushDone
	close(db.mergeStop) // a merge left is resumed by the next Open
	<-db.mergeDone
	if err := db.Flush(); err != nil {
		db.log.Warn("storage: final flush failed; the WAL replays the rest at the next start", "err", err)
	}
	db.closed.Store(true)
	db.metrics.unregister()
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("storage: close %s: %w", db.path, err)
	}
	db.log.Info("storage closed", "path", db.path, "lsn", db.AppliedLSN())
	return nil
}

// AppliedLSN returns the LSN applied up to. It reads a cached atomic value
// and is cheap; it keeps returning the last value after Close.
func (db *DB) AppliedLSN() lsn.LSN { return lsn.LSN(db.applied.Load()) }

// AppliedChanged returns a channel closed when the applied LSN next
// changes (Apply, Replace): a reader waiting for an LSN re-checks
// AppliedLSN then.
func (db *DB) AppliedChanged() <-chan struct{} {
	db.changedMu.Lock()
	defer db.changedMu.Unlock()
	return db.changed
}

// WaitApplied waits until AppliedLSN reaches at or ctx ends, and returns
// ctx's error in that case.
func (db *DB) WaitApplied(ctx context.Context, at lsn.LSN) error {
	for {
		changed := db.AppliedChanged() // before the check: an Apply after it still wakes us
		if db.AppliedLSN() >= at {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (db *DB) setApplied(at lsn.LSN) {
	db.applied.Store(uint64(at))
	db.changedMu.Lock()
	close(db.changed)
	db.changed = make(chan struct{})
	db.changedMu.Unlock()
}

// Apply applies all operations of all batches, in order, and makes them
// visible as of end (AppliedLSN). If end <= AppliedLSN it does nothing
// (idempotent replay). Put and Delete into a missing bucket are ignored. A
// batch that fails Validate is rejected (ErrInvalidBatch,
// ErrReservedBucket) before anything is written. Returns ErrClosed after
// Close. Batches are not retained after Apply returns.
//
// The changes reach the file later, by a flush (memtable.go), except for
// bucket operations and very large batches, which are written at once in a
// durable transaction. The caller's WAL, fsynced before Apply, is what
// makes them durable: see DurableLSN.
func (db *DB) Apply(end lsn.LSN, batches ...*Batch) error {
	if end <= db.AppliedLSN() {
		return nil // fast path for replay; rechecked under applyMu
	}
	for i, b := range batches {
		if err := b.Validate(); err != nil {
			return fmt.Errorf("storage: apply %v: batch %d: %w", end, i, err)
		}
	}
	if db.closed.Load() {
		return ErrClosed
	}
	if needsSync(batches) {
		return db.applyDurably(end, batches)
	}
	db.applyMu.Lock()
	for db.memBytes > 4*db.flushBytes { // back-pressure: the flusher is behind
		db.applyMu.Unlock()
		if err := db.Flush(); err != nil {
			return fmt.Errorf("storage: apply %v: %w", end, err)
		}
		db.applyMu.Lock()
	}
	if end <= db.AppliedLSN() {
		db.applyMu.Unlock()
		return nil
	}
	start := time.Now()
	db.applyPending(end, batches)
	urgent := db.memBytes > db.flushBytes
	db.applyMu.Unlock()
	db.metrics.applyDuration.Observe(time.Since(start).Seconds())
	db.kick(urgent)
	return nil
}

// applyDurably writes batches (and everything pending) into the file in
// one durable transaction.
func (db *DB) applyDurably(end lsn.LSN, batches []*Batch) error {
	db.flushMu.Lock()
	defer db.flushMu.Unlock()
	db.applyMu.Lock()
	defer db.applyMu.Unlock()
	if end <= db.AppliedLSN() {
		return nil
	}
	start := time.Now()
	if err := db.drainMerges(batches); err != nil {
		return fmt.Errorf("storage: apply %v: %w", end, err)
	}
	if err := db.applySync(end, batches); err != nil {
		return fmt.Errorf("storage: apply %v: %w", end, err)
	}
	db.metrics.applyDuration.Observe(time.Since(start).Seconds())
	return nil
}

func applyBatch(tx *bolt.Tx, f *appendFill, b *Batch) error {
	for i := range b.Ops {
		if err := applyOp(tx, f, &b.Ops[i]); err != nil {
			return fmt.Errorf("op %d (%v %q): %w", i, b.Ops[i].Kind, b.Ops[i].Bucket, err)
		}
	}
	return nil
}

// applyOp applies one validated op. Every outcome depends only on the
// current state and the op, which keeps Apply deterministic.
func applyOp(tx *bolt.Tx, f *appendFill, op *Op) error {
	switch op.Kind {
	case OpCreateBucket:
		f.forget(op.Bucket)
		if err := f.merges.created(f, op.Bucket); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(op.Bucket)
		return err
	case OpDropBucket:
		f.forget(op.Bucket)
		if f.merges.isSource(op.Bucket) {
			return nil // moved: gone already
		}
		if err := f.merges.dropped(op.Bucket); err != nil {
			return err
		}
		if err := tx.DeleteBucket(op.Bucket); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
		return nil
	case OpMoveBucket:
		return f.merges.move(f, op.Bucket, op.Key)
	}
	bkt := tx.Bucket(op.Bucket)
	if bkt == nil || f.merges.isSource(op.Bucket) {
		return nil // deterministic: the SQL layer creates buckets first
	}
	if err := f.merges.shadowed(op.Bucket, op.Key); err != nil {
		return err
	}
	if op.Kind == OpPut {
		f.put(op.Bucket, bkt, op.Key)
		return bkt.Put(op.Key, op.Value)
	}
	f.del(op.Bucket, bkt)
	return bkt.Delete(op.Key)
}

// moveBucket moves every key of from into to, then drops from (the
// whole of a small OpMoveBucket, merge.go). The keys and values are from's, in the file's mapping, not
// copies: bbolt keeps what Put is given until the transaction commits;
// from's pages, freed by the drop, are not reused before then; and a
// remap of the file copies every such key and value first
// (node.dereference).
func moveBucket(tx *bolt.Tx, f *appendFill, to, from []byte) error {
	src := tx.Bucket(from)
	if src == nil {
		return nil
	}
	if dst := tx.Bucket(to); dst != nil {
		c := src.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if v == nil {
				continue // a nested bucket: the SQL layer makes none
			}
			f.put(to, dst, k)
			if err := dst.Put(k, v); err != nil {
				return err
			}
		}
	}
	f.forget(from)
	return tx.DeleteBucket(from)
}

// update runs fn in a read-write transaction, mapping a closed DB to
// ErrClosed.
func (db *DB) update(fn func(*bolt.Tx) error) error {
	if db.closed.Load() {
		return ErrClosed
	}
	return mapClosed(db.bolt.Update(fn))
}

// view runs fn in a read transaction, mapping a closed DB to ErrClosed.
func (db *DB) view(fn func(*bolt.Tx) error) error {
	if db.closed.Load() {
		return ErrClosed
	}
	return mapClosed(db.bolt.View(fn))
}

func mapClosed(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

func (db *DB) updateSize() {
	_ = db.view(func(tx *bolt.Tx) error {
		db.metrics.dbSize.Set(float64(tx.Size()))
		return nil
	})
}

// Check runs bbolt's consistency check over the whole file. Inconsistencies
// are joined into one error wrapping ErrCorrupt. It reads the entire file:
// use it in tests and behind an invariant-check switch, not per commit.
//
// It runs in a writable bbolt transaction, rolled back at the end, so it
// holds off every other writer (flush, Apply, SetLocal, Replace) while it
// reads: bbolt's Tx.Check compares the tree against the DB's live
// freelist, and in a read-only transaction a concurrent commit made a
// consistent file look corrupt ("reachable freed", "unreachable unfreed")
// and raced on the freelist. Readers (Snapshot) keep running.
func (db *DB) Check() error {
	if db.closed.Load() {
		return ErrClosed
	}
	tx, err := db.bolt.Begin(true)
	if err != nil {
		return mapClosed(err)
	}
	defer func() { _ = tx.Rollback() }()
	return checkTx(tx, db.path)
}

func checkTx(tx *bolt.Tx, path string) error {
	var errs []error
	for err := range tx.Check() {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s: bbolt check: %w", ErrCorrupt, path, errors.Join(errs...))
	}
	return nil
}

// GetLocal returns a copy of the node-local value for key, or nil if it is
// missing or the DB is closed. Local values are not replicated data.
func (db *DB) GetLocal(key string) []byte {
	var out []byte
	_ = db.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketLocal.bytes()).Get([]byte(key)); v != nil {
			out = append([]byte{}, v...)
		}
		return nil
	})
	return out
}

// SetLocals durably stores several node-local values in one transaction:
// all of them or, on error, none. A nil value deletes its key; keys must
// be non-empty. Values are not retained.
func (db *DB) SetLocals(values map[string][]byte) error {
	for key := range values {
		if key == "" {
			return fmt.Errorf("storage: set locals: %w: empty key", ErrInvalidBatch)
		}
	}
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLocal.bytes())
		for key, value := range values {
			var err error
			if value == nil {
				err = b.Delete([]byte(key))
			} else {
				err = b.Put([]byte(key), value)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: set locals: %w", err)
	}
	return nil
}

// SetLocal durably stores a node-local value in its own transaction; a nil
// value deletes the key. The key must be non-empty. Returns ErrClosed after
// Close. value is not retained.
func (db *DB) SetLocal(key string, value []byte) error {
	if key == "" {
		return fmt.Errorf("storage: set local: %w: empty key", ErrInvalidBatch)
	}
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLocal.bytes())
		if value == nil {
			return b.Delete([]byte(key))
		}
		return b.Put([]byte(key), value)
	})
	if err != nil {
		return fmt.Errorf("storage: set local %q: %w", key, err)
	}
	return nil
}
