package exec

import (
	"bytes"
	"context"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/storage"
)

// The catalog lock and what READ COMMITTED needs of the committer.
//
// Every catalog change bumps the catalog version and most allocate an
// object id: two DDL statements, even on unrelated objects, write the
// same keys. A statement that changes the catalog (writesCatalog) first
// takes the catalog lock (catalogLockKey, exclusive, held until the
// transaction ends), so such transactions queue behind each other instead
// of failing at commit, and then plans on the newest catalog: under READ
// COMMITTED it moves to a fresh snapshot once the lock is held (and takes
// its table locks), so a DDL that copies rows (an ALTER TABLE rewrite)
// sees every row committed before it locked the table. Under REPEATABLE
// READ and SERIALIZABLE a catalog changed since the transaction's
// snapshot is a 40001 at once.
//
// A READ COMMITTED statement that only reads and writes rows checks, once
// its table locks are held, whether a DDL committed since it planned
// (Engine.ddlSeq, advanced before the DDL's locks are released) and
// plans again if so: it never writes into a bucket a TRUNCATE or DROP
// replaced meanwhile.
//
// With that, a READ COMMITTED transaction's writes to table, index and
// catalog buckets are all made under locks on the newest state, and it
// commits through LockedCommitter.CommitLocked when the committer has it:
// no write-write check against the transaction's first snapshot for those
// buckets (it would fail an explicit transaction whose earlier statement
// predates a concurrent, unrelated DDL). A transaction that wrote the
// catalog without the lock (a path writesCatalog does not know) keeps the
// full check. REPEATABLE READ and SERIALIZABLE commits keep it too.

// catalogLockKey is the lock-manager key of the catalog lock. pg_locks
// does not show it (PostgreSQL has no such lock).
const catalogLockKey = "C"

// LockedCommitter is a Committer that can commit a READ COMMITTED
// transaction whose table, index and catalog writes were all made under
// locks (CatalogLocked): it checks only the other buckets (sequences)
// against readLSN.
type LockedCommitter interface {
	CommitLocked(ctx context.Context, b *storage.Batch, readLSN lsn.LSN) (lsn.LSN, error)
}

// CatalogLocked reports whether a READ COMMITTED transaction writes bucket
// only under locks: table and index buckets (row and table locks) and the
// catalog (the catalog lock).
func CatalogLocked(bucket []byte) bool {
	return LockProtected(bucket) || bytes.Equal(bucket, catalog.BucketCatalog)
}

// writesCatalog reports whether the statement may change the catalog:
// everything that writes but INSERT, UPDATE, DELETE, MERGE, a SELECT without
// INTO (writable CTEs, nextval) and LOCK TABLE.
func (p *Prepared) writesCatalog() bool {
	if p.readOnly {
		return false
	}
	return planner.MayWriteCatalog(p.stmt.Node)
}

// tryLockCatalog takes the catalog lock when it is free (a COPY's bucket
// swap, copyswap.go, which otherwise does without).
func (t *Txn) tryLockCatalog() bool {
	if t.catLocked {
		return true
	}
	ok, err := t.eng.locks.Acquire(context.Background(), lock.Request{Owner: t.owner, PID: t.pid, XID: t.xid,
		Key: catalogLockKey, Mode: lock.Exclusive, Scope: lock.Xact, Policy: lock.SkipLocked})
	if err != nil || !ok {
		return false
	}
	t.locked, t.catLocked = true, true
	return true
}

// lockCatalog takes the catalog lock for the transaction (once) and
// reports whether it had to wait. Under REPEATABLE READ and SERIALIZABLE
// a catalog changed since the snapshot fails with 40001: the statement
// would change a catalog it cannot see.
func (e *env) lockCatalog() (waited bool, err error) {
	t := e.txn
	if t.catLocked {
		return false, nil
	}
	_, err = e.acquireLock(catalogLockKey, lock.Exclusive, lock.Xact, lock.NoWait, lockWhat{kind: "catalog"}, false)
	if err != nil && pgerror.CodeOf(err) == pgerror.LockNotAvailable {
		waited = true
		_, err = e.acquireLock(catalogLockKey, lock.Exclusive, lock.Xact, lock.Wait, lockWhat{kind: "catalog"}, false)
	}
	if err != nil {
		return waited, err
	}
	t.catLocked = true
	if t.iso != ReadCommitted {
		ls, err := t.view.Latest()
		if err != nil {
			return waited, err
		}
		if ls != t.view.Snapshot() && !bytes.Equal(ls.Get(catalog.BucketCatalog, catalog.KeyVersion), t.view.Snapshot().Get(catalog.BucketCatalog, catalog.KeyVersion)) {
			return waited, errConcurrent(false)
		}
	}
	return waited, nil
}
