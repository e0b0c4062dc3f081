package exec

import (
	"encoding/binary"
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/txn"
)

// COPY FROM into a table others may write: PostgreSQL's ROW EXCLUSIVE,
// without a row lock per loaded row.
//
// COPY takes ROW EXCLUSIVE, as PostgreSQL's does, so other writers of the
// table run beside it and two transactions that INSERT then COPY into one
// table do not deadlock. An INSERT locks each unique key it writes (the
// primary key, each unique index entry: lockKey) so that another inserter
// of the value waits for its outcome; a lock per row cost a quarter of a
// load's CPU and grew the lock table with the load. A load instead claims
// its keys in a per-table registry (bulkTable): a hash of (bucket, key) →
// the load. The two sides check each other in opposite orders, so at least
// one of them sees the other (both steps are under mutexes):
//
//   - the load claims the hash, then probes the lock table for another
//     holder of the key's row lock (lock.Manager.HeldByOther); if there is
//     one it takes the row lock the ordinary way, waiting for that
//     transaction;
//   - any other writer takes its row lock, then looks the hash up; if a
//     load (of another session) claimed it, it waits for that load's
//     transaction to end (the load's lock key, copyLoadKey), as
//     PostgreSQL's inserter waits on the xid of an in-progress duplicate.
//
// Either way the check of the newest committed state that follows
// (getLatest) sees the other's row once it committed. A load that finds a
// hash claimed by another load waits for that one the same way. The
// claims go when the load's transaction ends, after its commit is
// visible and before its locks are released (Txn.Rollback). A hash
// collision (64 bits) can only make a writer wait needlessly. The claims
// cost about 40 bytes per loaded key until the transaction ends.
//
// Loads into a table this transaction created or truncated need none of
// this (the table is private), nor those holding SHARE ROW EXCLUSIVE or
// stronger (env.sole): a load into an empty table takes it when it is free
// at once to fill fresh buckets in chunks (copyswap.go).

// bulkRegistry is the engine's record of running loads, by table OID.
type bulkRegistry struct {
	active atomic.Int32 // running loads: 0 lets every writer skip the lookup
	seed   maphash.Seed
	mu     sync.Mutex
	tables map[uint32]*bulkTable
	nextID uint64
}

// bulkTable holds the claims of the loads into one table.
type bulkTable struct {
	mu    sync.Mutex
	keys  map[uint64]*bulkLoad
	loads int
}

// bulkLoad is one COPY FROM's claims on a table (one per statement).
type bulkLoad struct {
	reg     *bulkRegistry
	tab     *bulkTable
	oid     uint32
	owner   lock.OwnerID
	lockKey string // held FOR UPDATE until the transaction ends
	probe   []byte // the row-lock key being probed (reused)
	claimed int
}

// copyLoadKey is the lock key a load holds until its transaction ends
// ("rc": shown in pg_locks as a wait on its transaction, like a row's).
func copyLoadKey(id uint64) string {
	return string(binary.BigEndian.AppendUint64([]byte("rc"), id))
}

func (r *bulkRegistry) hash(bucket, key []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(r.seed)
	_, _ = h.Write(bucket)
	_ = h.WriteByte(0)
	_, _ = h.Write(key)
	return h.Sum64()
}

// beginBulk registers a load of tbl by the transaction (see above).
func (e *env) beginBulk(tbl *catalog.Table) (*bulkLoad, error) {
	t := e.txn
	r := &t.eng.bulk
	r.mu.Lock()
	if r.tables == nil {
		r.tables = map[uint32]*bulkTable{}
		r.seed = maphash.MakeSeed()
	}
	bt := r.tables[tbl.OID]
	if bt == nil {
		bt = &bulkTable{keys: map[uint64]*bulkLoad{}}
		r.tables[tbl.OID] = bt
	}
	bt.loads++
	r.nextID++
	l := &bulkLoad{reg: r, tab: bt, oid: tbl.OID, owner: t.owner, lockKey: copyLoadKey(r.nextID)}
	r.mu.Unlock()
	r.active.Add(1)
	t.bulks = append(t.bulks, l) // ended by Rollback, whatever happens next
	if _, err := e.acquireLock(l.lockKey, lock.ForUpdate, lock.Xact, lock.Wait, lockWhat{"row in relation", tbl.Name}, true); err != nil {
		return nil, err
	}
	return l, nil
}

// end drops the load's claims (its transaction has ended; its locks are
// released after this).
func (l *bulkLoad) end() {
	r := l.reg
	r.mu.Lock()
	l.tab.mu.Lock()
	if l.claimed > 0 {
		for h, o := range l.tab.keys {
			if o == l {
				delete(l.tab.keys, h)
			}
		}
	}
	l.tab.loads--
	if l.tab.loads == 0 {
		delete(r.tables, l.oid)
	}
	l.tab.mu.Unlock()
	r.mu.Unlock()
	r.active.Add(-1)
}

// claim is lockKey for a load: it claims (bucket, key) and takes the row
// lock only when another transaction holds it (see above).
func (e *env) claim(l *bulkLoad, tbl *catalog.Table, bucket, key []byte) error {
	h := l.reg.hash(bucket, key)
	for {
		l.tab.mu.Lock()
		other := l.tab.keys[h]
		if other == nil {
			l.tab.keys[h] = l
			l.claimed++
		}
		l.tab.mu.Unlock()
		if other == nil || other.owner == l.owner { // free, or an earlier load of this transaction
			break
		}
		if err := e.waitLoad(other, tbl); err != nil {
			return err
		}
	}
	l.probe = append(append(append(append(l.probe[:0], 'r'), bucket...), 0), key...)
	if !e.txn.eng.locks.HeldByOther(e.txn.owner, l.probe) {
		return nil
	}
	_, err := e.acquireLock(txn.RowLockKey(bucket, key), lock.ForUpdate, lock.Xact, lock.Wait, lockWhat{"row in relation", tbl.Name}, true)
	return err
}

// waitLoads is the other side: after taking the row lock of (bucket, key)
// of tbl, a writer waits for a load of another session that claimed it.
func (e *env) waitLoads(tbl *catalog.Table, bucket, key []byte) error {
	r := &e.txn.eng.bulk
	if r.active.Load() == 0 {
		return nil
	}
	r.mu.Lock()
	bt := r.tables[tbl.OID]
	r.mu.Unlock()
	if bt == nil {
		return nil
	}
	h := r.hash(bucket, key)
	bt.mu.Lock()
	other := bt.keys[h]
	bt.mu.Unlock()
	if other == nil || other.owner == e.txn.owner {
		return nil
	}
	return e.waitLoad(other, tbl)
}

// waitLoad waits for the transaction of load l to end.
func (e *env) waitLoad(l *bulkLoad, tbl *catalog.Table) error {
	if _, err := e.acquireLock(l.lockKey, lock.ForUpdate, lock.Session, lock.Wait, lockWhat{"row in relation", tbl.Name}, true); err != nil {
		return err
	}
	e.txn.eng.locks.Unlock(e.txn.owner, l.lockKey, lock.ForUpdate)
	return nil
}

// endBulks ends the transaction's loads (Rollback).
func (t *Txn) endBulks() {
	for _, l := range t.bulks {
		l.end()
	}
	t.bulks = nil
}

// hasUniqueIndex reports whether tbl has a unique index (a key a load
// must claim besides its primary key).
func hasUniqueIndex(tbl *catalog.Table) bool {
	for i := range tbl.Indexes {
		if tbl.Indexes[i].Unique {
			return true
		}
	}
	return false
}
