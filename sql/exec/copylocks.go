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
//   - the load claims the hash and, under the same mutex, probes the lock
//     table for another holder of the key's row lock (lock.Manager.
//     HeldByOther); if there is one it takes the row lock the ordinary
//     way, waiting for that transaction, its claim pending meanwhile;
//   - any other writer takes its row lock, then looks the hash up; if a
//     load (of another session) claimed it and is not pending, it waits
//     for that load's transaction to end (the load's lock key,
//     copyLoadKey), as PostgreSQL's inserter waits on the xid of an
//     in-progress duplicate; a pending load waits for it instead.
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

// bulkTable holds the claims of the loads into one table. pending holds
// the claims whose load found the key's row lock held by another
// transaction and waits for it (see claim).
type bulkTable struct {
	mu      sync.Mutex
	keys    map[uint64]*bulkLoad
	pending map[uint64]*bulkLoad
	loads   int
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
		bt = &bulkTable{keys: map[uint64]*bulkLoad{}, pending: map[uint64]*bulkLoad{}}
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
				if l.tab.pending[h] == l {
					delete(l.tab.pending, h)
				}
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
//
// The probe of the lock table is made under the table's mutex, with the
// claim: a writer that took the row lock before it is seen by the probe,
// and one that takes it after finds the claim settled (it looks under the
// same mutex, after taking its lock) and waits for the load. When the
// probe finds a holder the claim is pending while the load waits for that
// row lock: a writer finding a pending claim does not wait for the load,
// which waits for it — so one side waits for the other, as in PostgreSQL,
// where two inserters of a key never wait for each other (it was a
// 40P01). A key this transaction's loads claimed before needs no probe:
// a writer holding its row lock waits for this transaction, and the
// duplicate is this transaction's own (23505 from the write's check).
func (e *env) claim(l *bulkLoad, tbl *catalog.Table, bucket, key []byte) error {
	h := l.reg.hash(bucket, key)
	l.probe = append(append(append(append(l.probe[:0], 'r'), bucket...), 0), key...)
	for {
		l.tab.mu.Lock()
		other := l.tab.keys[h]
		if other != nil && other.owner == l.owner { // an earlier load of this transaction, or this one
			l.tab.mu.Unlock()
			return nil
		}
		if other == nil {
			if !e.txn.eng.locks.HeldByOther(e.txn.owner, l.probe) {
				l.tab.keys[h] = l
				l.claimed++
				l.tab.mu.Unlock()
				return nil
			}
			l.tab.keys[h] = l
			l.claimed++
			l.tab.pending[h] = l
			l.tab.mu.Unlock()
			_, err := e.acquireLock(txn.RowLockKey(bucket, key), lock.ForUpdate, lock.Xact, lock.Wait, lockWhat{"row in relation", tbl.Name}, true)
			l.tab.mu.Lock()
			if l.tab.pending[h] == l {
				delete(l.tab.pending, h)
			}
			l.tab.mu.Unlock()
			return err
		}
		l.tab.mu.Unlock()
		if err := e.waitLoad(other, tbl); err != nil {
			return err
		}
	}
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
	pending := other != nil && bt.pending[h] == other
	bt.mu.Unlock()
	if other == nil || other.owner == e.txn.owner || pending {
		return nil // a pending load waits for this writer's row lock (claim)
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
