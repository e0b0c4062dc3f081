package exec

import (
	"bytes"
	"context"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/ssi"
	"github.com/heliosdb/nano/sql/txn"
	"github.com/heliosdb/nano/storage"
)

// Isolation is a transaction isolation level.
type Isolation uint8

// Isolation levels. READ UNCOMMITTED behaves as READ COMMITTED, as in
// PostgreSQL.
const (
	ReadCommitted Isolation = iota
	RepeatableRead
	Serializable
)

// TxOptions are the characteristics of a transaction.
type TxOptions struct {
	ReadOnly  bool
	Isolation Isolation
	// Deferrable: a READ ONLY SERIALIZABLE transaction waits for a safe
	// snapshot before it starts (READ ONLY DEFERRABLE).
	Deferrable bool
	// Owner is the lock owner (the session); 0 = a fresh one released with
	// the transaction.
	Owner lock.OwnerID
	PID   uint32 // the session's process id, for deadlock reports
}

// Txn is a transaction: a snapshot plus a private write overlay. Not safe
// for concurrent use.
//
// Under READ COMMITTED each statement reads a fresh snapshot (Open calls
// stmtStart); under REPEATABLE READ and SERIALIZABLE the first snapshot
// serves the whole transaction. Every write to a row or a unique key is
// made holding its row lock (rowlock.go), which is kept until Commit or
// Rollback returns.
type Txn struct {
	// searchPath is the session's search_path (schema.go).
	searchPath string
	eng        *Engine
	// view: the snapshots the transaction reads (its statements', the
	// newest for rows read after locking them, those replaced while a
	// cursor still read them) and the newest it read (SeenLSN).
	view     txn.View
	iso      Isolation
	owner    lock.OwnerID
	ownOwner bool // owner made for this transaction: released with it
	pid      uint32
	xid      uint64 // assigned at the first lock
	// writeLSN is the snapshot of the first statement that wrote: writes
	// the locks do not cover (catalog, buckets) are checked from there.
	writeLSN lsn.LSN
	// shadowing: a COPY that may move its puts to shadow buckets runs
	// (shadow.go).
	shadowing   bool
	openCursors int
	locked      bool // some lock taken: release at the end
	// tlocks: the table-lock modes held, a bit per lock.Mode, by table
	// OID, but for the first table's, in tlock1 (tablelock.go).
	tlocks map[uint32]uint16
	tlock1 tableLock
	// ssx: the transaction's SSI state when SERIALIZABLE (nil otherwise,
	// and for a READ ONLY one with a safe snapshot).
	ssx      *ssi.Xact
	ov       *txn.WriteSet
	readOnly bool
	start    time.Time
	done     bool
	catDirty bool             // DDL in this txn: catalog read through the overlay
	cat      *catalog.Catalog // cached catalog of this txn after DDL
	// baseCat is the catalog of snapshot baseCatSnap (no DDL of ours):
	// the statements of a transaction that read one snapshot look its
	// version up once, not once each (a snapshot never changes).
	baseCat     *catalog.Catalog
	baseCatSnap *storage.Snapshot
	// user is the role the statements run as (privileges.go); "" = the
	// engine itself (internal statements), which bypasses privileges.
	user     string
	seqState *SeqState   // currval/lastval, the session's
	bulks    []*bulkLoad // COPY FROM loads' key claims, dropped at the end (copylocks.go)
	// chunks: the chunks staged so far and the one in flight, with a
	// snapshot holding them for reads of staged buckets (stage.go).
	chunks txn.Chunks
	// deferred: the foreign key checks kept until COMMIT; conMode: what
	// SET CONSTRAINTS said (deferred.go).
	deferred []deferredFK
	conMode  constraintMode
	// swaps: the catalog entries, as found, of the tables a COPY gave
	// fresh buckets, by catalog key (copyswap.go).
	swaps map[string][]byte
	// temp: the session's temporary tables; tsnap: the snapshot of them
	// this transaction reads (temp.go).
	temp  *TempSpace
	tsnap *storage.Snapshot
	// catLocked: the transaction holds the catalog lock; catUnlocked: it
	// wrote the catalog without it (its commit keeps the full check);
	// ddlSeen: Engine.ddlSeq when the statement's snapshot was taken
	// (catlock.go).
	catLocked   bool
	catUnlocked bool
	ddlSeen     uint64
	// fates: the rows this transaction deleted or moved to another key,
	// in order, published at commit (sql/txn's rowfate.go).
	fates txn.FateLog
}

// SetUser sets the role the transaction's statements run as (the
// session's user); privileges are checked against it at execution.
func (t *Txn) SetUser(name string) { t.user = name }

// User is the role set by SetUser.
func (t *Txn) User() string { return t.user }

// HasWrites reports whether the transaction has pending writes.
func (t *Txn) HasWrites() bool { return t.ov.Writes() > 0 }

// ReadLSN is the LSN of the transaction's snapshot.
func (t *Txn) ReadLSN() lsn.LSN { return t.view.Snapshot().AppliedLSN() }

// StartTime is the transaction timestamp (now()).
func (t *Txn) StartTime() time.Time { return t.start }

// Commit makes the writes durable through the Committer and releases the
// snapshot. Without writes it only releases the snapshot.
func (t *Txn) Commit(ctx context.Context) (lsn.LSN, error) {
	if t.done {
		return 0, pgerror.New(pgerror.InvalidTransactionState, "transaction already finished")
	}
	defer t.Rollback()
	if t.ov.Poisoned() {
		return 0, pgerror.New(pgerror.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	if len(t.deferred) > 0 {
		if err := (&env{ctx: ctx, txn: t}).runDeferred(nil); err != nil {
			return 0, err
		}
	}
	if !t.HasWrites() {
		return t.view.Snapshot().AppliedLSN(), t.ssiCommit()
	}
	clear, err := t.onCommitTemp()
	if err != nil {
		return 0, err
	}
	if t.chunks.Staged() {
		if err := t.stage(ctx, true); err != nil {
			return 0, err
		}
	}
	b, temp := t.ov.Batch(), (*storage.Batch)(nil)
	if t.hasTemp() {
		b, temp = splitTemp(b)
	}
	if b.Len() == 0 {
		if err := t.ssiCommit(); err != nil {
			return 0, err
		}
		return t.view.Snapshot().AppliedLSN(), t.commitTemp(temp, clear)
	}
	if err := t.ssx.PreCommit(); err != nil {
		return 0, err
	}
	var at lsn.LSN
	lc, locked := t.eng.cfg.Committer.(LockedCommitter)
	switch {
	case len(t.swaps) > 0:
		at, err = t.commitSwapped(ctx) // never SERIALIZABLE (swapEmpty)
	case locked && t.iso == ReadCommitted && !t.catUnlocked:
		at, err = lc.CommitLocked(ctx, b, t.writeLSN)
	default:
		at, err = t.eng.cfg.Committer.Commit(ctx, b, t.writeLSN)
	}
	if err == nil {
		t.eng.fates.Publish(&t.fates, at) // before the locks go
		t.ssx.Commit()
		t.ssx = nil
		err = t.commitTemp(temp, clear)
		if t.catDirty {
			t.eng.ddlSeq.Add(1) // before the locks go (catlock.go)
		}
	}
	return at, err
}

// Rollback discards the writes, releases the snapshots and then the
// transaction's locks. Idempotent.
func (t *Txn) Rollback() {
	if t.done {
		return
	}
	t.done = true
	t.baseCat, t.baseCatSnap = nil, nil
	t.ssx.Abort()
	t.ssx = nil
	t.endBulks() // after the commit is visible, before the locks go
	t.dropStaged()
	t.chunks.Close()
	t.view.Close()
	t.closeTempSnap()
	switch {
	case t.ownOwner:
		t.eng.locks.ReleaseAll(t.owner)
	case t.locked:
		t.eng.locks.ReleaseXact(t.owner)
	case t.ov.KeepUndo():
		t.eng.locks.StopLog(t.owner)
	}
	t.eng.fates.End(t)
}

// ssiCommit commits a SERIALIZABLE transaction that wrote nothing.
func (t *Txn) ssiCommit() error {
	if err := t.ssx.PreCommit(); err != nil {
		return err
	}
	t.ssx.Commit()
	t.ssx = nil
	return nil
}

// Isolation is the transaction's isolation level.
func (t *Txn) Isolation() Isolation { return t.iso }

// stmtStart begins a statement: under READ COMMITTED it moves the
// transaction to a snapshot of everything committed so far.
func (t *Txn) stmtStart() error {
	t.ddlSeen = t.eng.ddlSeq.Load()
	if t.iso == ReadCommitted {
		if err := t.view.Refresh(t.openCursors > 0); err != nil {
			return err
		}
	}
	if t.ov.Writes() == 0 {
		t.writeLSN = t.view.Snapshot().AppliedLSN()
	}
	t.view.Saw(t.view.Snapshot())
	return nil
}

// SeenLSN is the LSN of the newest snapshot the transaction's statements
// read: every commit whose effects they may have shown is at or below
// it (0 before the first statement).
func (t *Txn) SeenLSN() lsn.LSN { return t.view.Seen() }

// appliedSource is the optional side of a SnapshotSource that says how
// far commits have been applied (storage.DB has it).
type appliedSource interface{ AppliedLSN() lsn.LSN }

func (t *Txn) get(bucket, key []byte) []byte {
	if ob := t.ov.Bucket(bucket); ob != nil {
		if e, ok := ob.Entry(key); ok {
			if e.Del {
				return nil
			}
			return e.Val
		}
		if ob.Dropped() {
			return nil
		}
		if ob.Staged() {
			return t.stagedSnap().Get(bucket, key)
		}
		if v := t.shadowGet(ob, key); v != nil {
			return v
		}
	}
	return t.baseFor(bucket, key).Get(bucket, key)
}

// iterate merges bucket's committed state (the staged snapshot for a
// staged bucket, its shadow merged in) with this transaction's writes
// over [start, end).
func (t *Txn) iterate(bucket []byte, start, end []byte, reverse bool) *txn.Iter {
	ob := t.ov.Bucket(bucket)
	var cur txn.Cursor
	switch {
	case ob != nil && ob.Dropped():
	case ob != nil && ob.Staged():
		cur = t.stagedSnap().Cursor(bucket)
	default:
		cur = t.shadowed(ob, t.baseFor(bucket, nil).Cursor(bucket))
	}
	return txn.NewIter(cur, ob, start, end, reverse)
}

func (t *Txn) scan(bucket []byte, fn func(k, v []byte)) {
	it := t.iterate(bucket, nil, nil, false)
	for k, v := it.Next(); k != nil; k, v = it.Next() {
		fn(k, v)
	}
	if t.hasTemp() && bytes.Equal(bucket, catalog.BucketCatalog) {
		// The committed temporary descriptors the overlay does not shadow
		// (those it does were read above).
		ob := t.ov.Bucket(bucket)
		snapReader{t.tempSnap()}.scan(bucket, func(k, v []byte) {
			if ob != nil {
				if _, ok := ob.Entry(k); ok {
					return
				}
			}
			if isTempKey(bucket, k) {
				fn(k, v)
			}
		})
	}
}

func (t *Txn) bucketExists(b []byte) bool {
	if ob := t.ov.Bucket(b); ob != nil {
		if ob.Dropped() {
			return false
		}
		if ob.Created() {
			return true
		}
	}
	return t.baseFor(b, nil).BucketExists(b)
}

func (t *Txn) checkWritable(what string) error {
	if t.readOnly {
		return pgerror.Newf(pgerror.ReadOnlySQLTransaction, "cannot execute %s in a read-only transaction", what)
	}
	return nil
}

// catalog returns the catalog this transaction sees.
func (t *Txn) catalog() (*catalog.Catalog, error) {
	if !t.catDirty {
		snap := t.view.Snapshot()
		base := t.baseCat
		if snap != t.baseCatSnap || base == nil {
			var err error
			if base, err = t.eng.loadCatalog(snapReader{snap}); err != nil {
				return nil, err
			}
			t.baseCat, t.baseCatSnap = base, snap
		}
		if !t.hasTemp() {
			return base, nil
		}
		return t.temp.merged(base, snap)
	}
	if t.cat == nil {
		v := catalog.DecodeUint64(t.get(catalog.BucketCatalog, catalog.KeyVersion))
		c, err := t.eng.readCatalog(t, v)
		if err != nil {
			return nil, err
		}
		t.cat = c
	}
	return t.cat, nil
}

// ddlWrote marks the catalog as changed by this transaction.
func (t *Txn) ddlWrote() {
	t.catDirty = true
	t.cat = nil
}

// snapReader adapts a Snapshot to kvReader.
type snapReader struct{ s *storage.Snapshot }

func (r snapReader) get(bucket, key []byte) []byte { return r.s.Get(bucket, key) }

func (r snapReader) scan(bucket []byte, fn func(k, v []byte)) {
	c := r.s.Cursor(bucket)
	for k, v := c.First(); k != nil; k, v = c.Next() {
		fn(k, v)
	}
}
