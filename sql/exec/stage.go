package exec

import (
	"context"
	"strings"
	"time"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/storage"
)

// Staging: how a bulk load into a bucket private to its transaction keeps
// its memory bounded.
//
// A table or index bucket created by this transaction (CREATE TABLE,
// TRUNCATE, an ALTER TABLE rewrite, CREATE INDEX) has a name no committed
// catalog refers to, so no other transaction can read or write it. A bulk
// statement (COPY, an ALTER TABLE rewrite) that has buffered stageBytes of
// writes hands the writes of such buckets to the committer as a chunk — a
// commit of its own, WAL-logged, fsynced and replicated like any other —
// and drops them from the overlay. The bucket becomes visible to others
// only with the transaction's final commit, which carries the catalog
// entry that names it; Commit first stages what is left so that the final
// batch carries nothing of a staged bucket (its puts would otherwise be
// checked against the chunks' own bucket creation and conflict).
//
// Crash safety: every chunk is a durable commit, so a committed load is
// replayed from the WAL like any other commit. A transaction that rolls
// back drops its staged buckets (a commit too); one that dies with the
// node leaves them as orphans no catalog names, which a node that becomes
// primary drops (reclaim.go). Bucket names stay unique
// because allocID never hands out an id whose bucket exists or that this
// engine handed out before (reserveID), so an orphan is never reused.
//
// Reads of a staged bucket by the transaction itself (a SELECT after its
// COPY, a primary-key check within the COPY) go to a snapshot taken after
// the last chunk (stagedSnap), plus the overlay's later writes.
//
// Pipelining: a chunk is committed in the background while the statement
// builds the next one, one chunk at most in flight (sql/txn's Chunks); the
// next stage, any read of a staged bucket (stagedSnap), Commit, Rollback
// and the end of the bulk statement wait for it first (settle), and a
// failed chunk fails the statement that staged it and poisons the
// transaction: its writes were dropped from the write set with the chunk.

// stageBytes is the size of buffered writes at which a bulk statement
// stages its private buckets.
const stageBytes = 4 << 20

// isDataBucket reports whether name is a table or index bucket.
func isDataBucket(name string) bool {
	return strings.HasPrefix(name, "t/") || strings.HasPrefix(name, "i/")
}

// maybeStage stages the private buckets once enough writes are buffered.
// A transaction with savepoints does not stage: a chunk could not be
// rolled back to a savepoint (savepoint.go).
func (t *Txn) maybeStage(ctx context.Context) error {
	if t.ov.PendingBytes() < stageBytes || t.ov.KeepUndo() {
		return nil
	}
	return t.stage(ctx, false)
}

// stageFailed is the panic of a read of a staged bucket whose chunk failed
// to commit; recoverPanic turns it back into the error.
type stageFailed struct{ err error }

// settle waits for the chunk in flight, if any, and records its outcome.
// A failure sticks: the transaction lost that chunk's writes.
func (t *Txn) settle() error {
	err := t.chunks.Settle()
	if err != nil {
		t.ov.Poison()
	} else {
		t.retireClaims() // copylocks.go
	}
	return err
}

// bulk runs a bulk statement (COPY, an ALTER TABLE rewrite) that stages
// as it goes: without undo records (txn.WriteSet.Bulk), and waiting at its end
// for the chunk still in flight, whose failure is the statement's.
func (t *Txn) bulk(fn func() error) error {
	return t.ov.Bulk(func() error {
		err := fn()
		if serr := t.settle(); err == nil {
			err = serr
		}
		return err
	})
}

// stage commits the pending writes of every private data bucket as one
// chunk, in the background unless final. final (from Commit) also commits
// the drop of staged buckets that this transaction dropped again.
func (t *Txn) stage(ctx context.Context, final bool) error {
	if err := t.settle(); err != nil {
		return err
	}
	t.ov.ResetPendingBytes()
	var names, shadows []string
	for n, ob := range t.ov.Buckets() {
		switch {
		case !isDataBucket(n) || isTempBucket([]byte(n)): // temporary: never committed through the WAL
		case !final && t.shadowable(n, ob) && ob.Len() > 0:
			shadows = append(shadows, n) // shadow.go
		case ob.Staged() && ob.Dropped():
			if final {
				names = append(names, n)
			}
		case ob.Staged() && ob.Len() > 0:
			names = append(names, n)
		case !ob.Staged() && ob.Created() && !ob.Dropped() && ob.Len() > 0 && !final:
			names = append(names, n)
		}
	}
	if len(names) == 0 && len(shadows) == 0 {
		return nil
	}
	read := t.chunks.End()
	if read == 0 {
		read = t.view.Snapshot().AppliedLSN()
	}
	b := t.ov.Stage(names, shadows, t.newShadow)
	if final {
		t.chunks.Commit(ctx, t.eng.cfg.Committer, b, read)
		return t.settle()
	}
	t.chunks.Start(ctx, t.eng.cfg.Committer, b, read)
	t.stageClaims() // retired when the chunk settled (copylocks.go)
	return nil
}

// stagedSnap is a snapshot that holds every chunk staged so far. Snapshots
// it replaces stay open until the transaction ends (an iterator may still
// read them).
func (t *Txn) stagedSnap() *storage.Snapshot {
	if err := t.settle(); err != nil {
		panic(stageFailed{err})
	}
	s, replaced, err := t.chunks.Snapshot(t.eng.cfg.Snapshots)
	if err != nil {
		panic(err) // closed storage: recoverPanic makes it an error
	}
	if replaced != nil {
		t.view.Retire(replaced)
	}
	return s
}

// dropStaged drops the staged buckets of a transaction that did not
// commit — those no committed catalog names: a final commit that failed
// after it was applied (a cancelled wait for a sync standby) keeps its
// data. Best effort: an orphan left by a failure holds no visible data and
// its name is never reused.
func (t *Txn) dropStaged() {
	_ = t.settle() // a chunk that failed is not there to drop
	if t.chunks.End() == 0 {
		return
	}
	shadows := t.ov.Shadows()
	s, err := t.eng.cfg.Snapshots.Snapshot()
	if err != nil {
		return
	}
	cat, err := t.eng.loadCatalog(snapReader{s})
	live := map[string]bool{} // shadows a commit has not moved yet
	for _, n := range shadows {
		live[n] = s.BucketExists([]byte(n))
	}
	_ = s.Close() // before the commit below: a bbolt remap waits for readers
	if err != nil {
		t.eng.log.Warn("could not read the catalog to drop the staged buckets of a rolled back transaction", "err", err)
		return
	}
	named := map[string]bool{}
	for _, tbl := range cat.Tables {
		named[string(catalog.TableBucket(tbl.ID))] = true
		for _, ix := range tbl.Indexes {
			named[string(catalog.IndexBucket(ix.ID))] = true
		}
	}
	b := &storage.Batch{}
	for n, ob := range t.ov.Buckets() {
		if ob.Staged() && !named[n] {
			b.DropBucket([]byte(n))
		}
	}
	for _, n := range shadows { // moved by a commit: gone
		if !named[n] && live[n] {
			b.DropBucket([]byte(n))
		}
	}
	if b.Len() == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := t.eng.cfg.Committer.Commit(ctx, b, t.chunks.End()); err != nil {
		t.eng.log.Warn("could not drop the staged buckets of a rolled back transaction; they hold no visible data", "err", err)
	}
}

// reserveID returns an object id at least from that this engine has not
// handed out before and whose table or index bucket does not exist: ids
// are unique even among concurrent transactions and never name an orphan
// staged bucket (see the staging notes above).
func (e *Engine) reserveID(from uint64) uint64 {
	e.idMu.Lock()
	defer e.idMu.Unlock()
	id := max(from, e.nextID)
	if s, err := e.cfg.Snapshots.Snapshot(); err == nil {
		for s.BucketExists(catalog.TableBucket(uint32(id))) || s.BucketExists(catalog.IndexBucket(uint32(id))) {
			id++
		}
		_ = s.Close()
	}
	e.nextID = id + 1
	return id
}
