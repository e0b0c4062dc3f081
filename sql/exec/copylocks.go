package exec

import (
	"encoding/binary"
	"hash/maphash"
	"slices"
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
// collision (64 bits) can only make a writer wait needlessly.
//
// Bounded memory: a claim in the registry costs about 40 bytes, so a
// load that kept one per key until its transaction ended grew with the
// load (300 MB of claims in the first 10 million rows of a 1 GB COPY).
// Once a chunk of a shadowing load (shadow.go) is committed, its keys are
// in the load's shadow buckets, readable by name in any newer snapshot:
// the chunk's claims are retired — dropped from the registry, the load
// recording its shadows instead (retire, from Txn.settle) — and a writer
// or another load that misses the registry looks the key up in the
// shadows of the table's loads (retiredHolder), in a snapshot opened
// after it read them under the table's mutex. A claim is retired only
// after its chunk is visible, so one of the two lookups finds it; a load
// that ended took its shadows with it (moved into the table by its
// commit, where the writer's check of the newest state finds the row, or
// dropped by its rollback). A load re-checks the shadows whenever a
// retirement happened since it last looked (bulkTable.gen). So the
// registry holds the claims of at most the chunk being built and the one
// committing.
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
	list    []*bulkLoad // the running loads (loads of them)
	gen     uint64      // bumped by every retirement
	retired int         // loads with retired claims (shadows set)
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
	// buckets: the buckets the load claimed keys of (the table's, its
	// unique indexes'). recent: the hashes claimed since the last chunk;
	// staging: those of the chunk committing, retired once it settled.
	buckets         []string
	recent, staging []uint64
	// shadows: the shadow bucket of each of buckets, set (under tab.mu)
	// by the first retirement; nil before.
	shadows map[string]string
	refs    []shadowRef // claim's lookups (reused)
}

// shadowRef is a load whose claims of a bucket were retired to shadow.
type shadowRef struct {
	load   *bulkLoad
	shadow string
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
	bt.mu.Lock()
	bt.list = append(bt.list, l)
	bt.mu.Unlock()
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
	if i := slices.Index(l.tab.list, l); i >= 0 {
		l.tab.list = slices.Delete(l.tab.list, i, i+1)
	}
	if l.shadows != nil {
		l.tab.retired--
	}
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
	l.noteBucket(bucket)
	checked := ^uint64(0) // the retirements looked at (bulkTable.gen)
	ownChecked := false
	for {
		l.tab.mu.Lock()
		other := l.tab.keys[h]
		if other != nil && other.owner == l.owner { // an earlier load of this transaction, or this one
			l.tab.mu.Unlock()
			return nil
		}
		if other == nil && l.tab.retired > 0 && l.tab.gen != checked {
			// Claims other loads retired since we last looked.
			checked = l.tab.gen
			l.refs = l.tab.retiredShadows(l.refs[:0], bucket, l.owner)
			l.tab.mu.Unlock()
			o, err := e.retiredHolder(l.refs, key)
			if err != nil {
				return err
			}
			if o != nil {
				if err := e.waitLoad(o, tbl); err != nil {
					return err
				}
			}
			continue
		}
		if other == nil {
			if !e.txn.eng.locks.HeldByOther(e.txn.owner, l.probe) {
				l.tab.keys[h] = l
				l.claimed++
				l.recent = append(l.recent, h)
				l.tab.mu.Unlock()
				return nil
			}
			if ob := e.txn.ov.Bucket(bucket); !ownChecked && ob != nil && ob.Shadow() != "" {
				// A key this transaction loaded before (this load or an
				// earlier one), retired: the duplicate is its own (23505
				// from the write's check).
				l.tab.mu.Unlock()
				ownChecked = true
				if e.txn.shadowGet(ob, key) != nil {
					return nil
				}
				continue
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

// noteBucket records that the load claims keys of bucket.
func (l *bulkLoad) noteBucket(bucket []byte) {
	for _, b := range l.buckets {
		if b == string(bucket) {
			return
		}
	}
	l.buckets = append(l.buckets, string(bucket))
}

// retiredShadows appends to refs the shadows of bucket of the table's
// loads, other than owner's, that retired claims. Call under bt.mu.
func (bt *bulkTable) retiredShadows(refs []shadowRef, bucket []byte, owner lock.OwnerID) []shadowRef {
	for _, o := range bt.list {
		if o.owner == owner || o.shadows == nil {
			continue
		}
		if sh, ok := o.shadows[string(bucket)]; ok {
			refs = append(refs, shadowRef{o, sh})
		}
	}
	return refs
}

// retiredHolder returns the first load of refs whose shadow holds key, in
// a snapshot opened now (after refs were read: see the notes above).
func (e *env) retiredHolder(refs []shadowRef, key []byte) (*bulkLoad, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	s, err := e.txn.eng.cfg.Snapshots.Snapshot()
	if err != nil {
		return nil, err
	}
	defer func() { _ = s.Close() }()
	for _, r := range refs {
		if s.Get([]byte(r.shadow), key) != nil {
			return r.load, nil
		}
	}
	return nil, nil
}

// stageClaims notes that the claims made so far go with the chunk just
// started (Txn.stage).
func (t *Txn) stageClaims() {
	for _, l := range t.bulks {
		l.staging, l.recent = l.recent, l.staging[:0]
	}
}

// retireClaims retires the claims of the chunk that settled (Txn.settle).
func (t *Txn) retireClaims() {
	for _, l := range t.bulks {
		if len(l.staging) > 0 {
			l.retire(t)
		}
	}
}

// retire drops the staging claims from the registry, recording the
// load's shadows instead (see the notes above). A load whose buckets do
// not all have a shadow keeps its claims.
func (l *bulkLoad) retire(t *Txn) {
	defer func() { l.staging = l.staging[:0] }()
	shadows := make(map[string]string, len(l.buckets))
	for _, b := range l.buckets {
		ob := t.ov.Bucket([]byte(b))
		if ob == nil || ob.Shadow() == "" {
			return
		}
		shadows[b] = ob.Shadow()
	}
	bt := l.tab
	bt.mu.Lock()
	defer bt.mu.Unlock()
	if l.shadows == nil {
		bt.retired++
	}
	l.shadows = shadows
	for _, h := range l.staging {
		if bt.keys[h] == l && bt.pending[h] != l {
			delete(bt.keys, h)
		}
	}
	bt.gen++
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
	var refs []shadowRef
	if other == nil && bt.retired > 0 {
		refs = bt.retiredShadows(nil, bucket, e.txn.owner)
	}
	bt.mu.Unlock()
	if other == nil && len(refs) > 0 {
		o, err := e.retiredHolder(refs, key)
		if err != nil {
			return err
		}
		other = o
	}
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
