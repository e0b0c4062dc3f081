package exec

import (
	"bytes"
	"context"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/storage"
)

// COPY into an existing, empty table: how the load stays flat in memory.
//
// Rows written to a bucket other transactions can read must stay in the
// write set until COMMIT (a chunk committed early would be visible). A
// bucket no committed catalog names can be filled in chunks (stage.go).
// So when COPY FROM finds its target empty — in its own snapshot and in
// the newest one, with nothing written by its transaction yet — it gives
// the table fresh buckets as TRUNCATE does (swapEmpty): the rows go to
// private buckets in 4 MiB chunks, and the COMMIT that names them in the
// catalog also drops the old, empty ones. Nothing changes for anyone
// else: the table was empty and its SHARE ROW EXCLUSIVE lock (taken only
// when free at once: trySwapLock) keeps every other writer out until the
// commit; readers see the old,
// empty buckets until then. A rollback or a crash before COMMIT leaves
// the catalog naming the old buckets, and the chunks as orphans no
// catalog names (dropStaged, reserveID).
//
// The catalog writes of the swap (the table's entry, the catalog version,
// the next object id) would make the final commit conflict with any DDL
// committed since the transaction's snapshot — two loads into two tables
// at once would fail one of them. When those are the only catalog writes
// of the transaction, Commit rebases them on the newest catalog instead
// (rebaseSwaps): the version and next id are re-read and bumped there,
// the table's entry is checked unchanged (the table lock guarantees it
// short of a bug), and the batch is committed as of that snapshot; a DDL
// committed in between makes it retry. The data writes need no such
// check: the table lock covers the swapped table, row locks the others.
// The swap holds the catalog lock (catlock.go) from then on, as DDL does,
// so no DDL commits a catalog version of its own meanwhile; when another
// transaction holds it, the COPY loads the ordinary way.
//
// Other writers: unlike PostgreSQL's COPY (ROW EXCLUSIVE), a load that
// swapped makes every other writer of the table wait for its COMMIT —
// an INSERT into the table blocks for the length of the load (readers do
// not). It takes the lock only when no other transaction holds one on
// the table, so it never waits for, nor deadlocks with, a writer already
// there. Since a load into a non-empty table streams too (shadow.go,
// under ROW EXCLUSIVE), the swap is kept for speed alone: its chunks are
// the table's final storage, where shadows are written twice (the chunk,
// then the COMMIT's move) and claim their keys (copylocks.go).

// swapCandidate reports whether a COPY into tbl could load into fresh
// buckets (see above), short of the lock and the newest state.
func (t *Txn) swapCandidate(cat *catalog.Catalog, tbl *catalog.Table) bool {
	if isTempName(tbl.Name) || createdHere(t, tbl) || t.HasWrites() ||
		t.ov.KeepUndo() || t.iso == Serializable || len(t.deferred) > 0 || len(tbl.ForeignKeys) > 0 {
		return false
	}
	for _, other := range cat.Tables {
		for _, fk := range other.ForeignKeys {
			if fk.RefTable == tbl.OID {
				return false
			}
		}
	}
	return bucketEmpty(t.view.Snapshot(), catalog.TableBucket(tbl.ID))
}

// trySwapLock takes SHARE ROW EXCLUSIVE on tbl for a load that may swap
// its buckets (an empty table), when it is free at once: the load then
// keeps every other writer out until its commit. When it is not free, or
// the table is not empty, the load runs under ROW EXCLUSIVE beside the
// other writers (copylocks.go).
func (e *env) trySwapLock(cat *catalog.Catalog, tbl *catalog.Table) error {
	t := e.txn
	if t.holdsTable(tbl.OID, lock.ShareRowExclusive) || !t.swapCandidate(cat, tbl) {
		return nil
	}
	if _, err := e.lockTable(tbl, lock.ShareRowExclusive, lock.NoWait); err != nil && pgerror.CodeOf(err) != pgerror.LockNotAvailable {
		return err
	}
	return nil
}

// swapEmpty gives tbl fresh, private buckets when a COPY into it may load
// in chunks (see above); it returns the table to load into (tbl when it
// does not apply).
func (t *Txn) swapEmpty(cat *catalog.Catalog, tbl *catalog.Table) (*catalog.Table, error) {
	if !t.holdsTable(tbl.OID, lock.ShareRowExclusive) || !t.swapCandidate(cat, tbl) {
		return tbl, nil
	}
	ls, err := t.view.Latest()
	if err != nil {
		return nil, err
	}
	for _, s := range []*storage.Snapshot{t.view.Snapshot(), ls} {
		if !bucketEmpty(s, catalog.TableBucket(tbl.ID)) {
			return tbl, nil
		}
		for _, ix := range tbl.Indexes {
			if !bucketEmpty(s, catalog.IndexBucket(ix.ID)) {
				return tbl, nil
			}
		}
	}
	enc := ls.Get(catalog.BucketCatalog, catalog.TableKey(tbl.Name))
	if enc == nil || !t.tryLockCatalog() {
		return tbl, nil
	}
	nt := tbl.Clone()
	t.bumpCatalog()
	dropTableData(t, tbl)
	nt.ID = t.allocID()
	t.ov.SetBucketFlags(string(catalog.TableBucket(nt.ID)), true, false)
	for i := range nt.Indexes {
		nt.Indexes[i].ID = t.allocID()
		t.ov.SetBucketFlags(string(catalog.IndexBucket(nt.Indexes[i].ID)), true, false)
	}
	t.ov.Put(catalog.BucketCatalog, catalog.TableKey(nt.Name), catalog.EncodeTable(nt))
	t.eng.resetRowID(tbl.ID)
	if t.swaps == nil {
		t.swaps = map[string][]byte{}
	}
	t.swaps[string(catalog.TableKey(nt.Name))] = bytes.Clone(enc)
	return nt, nil
}

func bucketEmpty(s *storage.Snapshot, bucket []byte) bool {
	k, _ := s.Cursor(bucket).First()
	return k == nil
}

// rebaseSwaps moves the catalog writes of the swaps onto the newest
// catalog (see above) and returns the snapshot LSN to check the commit's
// conflicts from; ok is false when the transaction wrote other catalog
// keys (its commit then keeps its own snapshot: a concurrent DDL fails it
// with 40001, as for any DDL).
func (t *Txn) rebaseSwaps() (read lsn.LSN, ok bool, err error) {
	for name, ob := range t.ov.Buckets() {
		if isDataBucket(name) {
			continue
		}
		if name != string(catalog.BucketCatalog) || ob.Created() || ob.Dropped() {
			return 0, false, nil
		}
		for _, k := range ob.Keys() {
			if _, swapped := t.swaps[k]; !swapped && k != string(catalog.KeyVersion) && k != string(catalog.KeyNextID) {
				return 0, false, nil
			}
		}
	}
	s, err := t.eng.cfg.Snapshots.Snapshot()
	if err != nil {
		return 0, false, err
	}
	defer s.Close()
	for k, enc := range t.swaps {
		if !bytes.Equal(s.Get(catalog.BucketCatalog, []byte(k)), enc) {
			return 0, false, nil
		}
	}
	v := catalog.DecodeUint64(s.Get(catalog.BucketCatalog, catalog.KeyVersion))
	t.ov.Put(catalog.BucketCatalog, catalog.KeyVersion, catalog.EncodeUint64(v+1))
	next := catalog.DecodeUint64(t.get(catalog.BucketCatalog, catalog.KeyNextID))
	if n := catalog.DecodeUint64(s.Get(catalog.BucketCatalog, catalog.KeyNextID)); n > next {
		t.ov.Put(catalog.BucketCatalog, catalog.KeyNextID, catalog.EncodeUint64(n))
	}
	return s.AppliedLSN(), true, nil
}

// commitSwapped commits the final batch of a transaction that swapped a
// table's buckets, rebased on the newest catalog while that is possible.
func (t *Txn) commitSwapped(ctx context.Context) (lsn.LSN, error) {
	for attempt := 0; ; attempt++ {
		read, ok, err := t.rebaseSwaps()
		if err != nil {
			return 0, err
		}
		if !ok {
			read = t.writeLSN
		}
		at, err := t.eng.cfg.Committer.Commit(ctx, t.ov.Batch(), read)
		if ok && attempt < 8 && pgerror.CodeOf(err) == pgerror.SerializationFailure {
			continue
		}
		return at, err
	}
}
