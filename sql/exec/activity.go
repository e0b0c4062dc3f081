package exec

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/pgcatalog"
)

// Activity is one session's row of pg_stat_activity. The session updates
// it as statements start and end (Start, Idle); readers take a copy under
// its mutex, and the wait event comes from the lock manager at read time.
type Activity struct {
	mu    sync.Mutex
	owner lock.OwnerID
	b     pgcatalog.Backend
}

// RegisterBackend adds a session (its lock owner and startup facts) to
// pg_stat_activity until UnregisterBackend.
func (e *Engine) RegisterBackend(owner lock.OwnerID, b pgcatalog.Backend) *Activity {
	if b.State == "" {
		b.State = "idle"
	}
	a := &Activity{owner: owner, b: b}
	e.actMu.Lock()
	if e.activity == nil {
		e.activity = map[*Activity]struct{}{}
	}
	e.activity[a] = struct{}{}
	e.actMu.Unlock()
	return a
}

// UnregisterBackend removes a session from pg_stat_activity.
func (e *Engine) UnregisterBackend(a *Activity) {
	if a == nil {
		return
	}
	e.actMu.Lock()
	delete(e.activity, a)
	e.actMu.Unlock()
}

// Start records that the session runs query (state active); xactStart is
// when its transaction started (zero = none yet: now).
func (a *Activity) Start(query string, now, xactStart time.Time) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if xactStart.IsZero() {
		xactStart = now
	}
	a.b.State, a.b.Query, a.b.QueryStart, a.b.Changed, a.b.XactStart = "active", query, now, now, xactStart
}

// Idle records that the session waits for its client: state idle, or idle
// in transaction (aborted) inside a block.
func (a *Activity) Idle(now time.Time, inTx, failed bool) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case failed:
		a.b.State = "idle in transaction (aborted)"
	case inTx:
		a.b.State = "idle in transaction"
	default:
		a.b.State = "idle"
		a.b.XactStart = time.Time{}
	}
	a.b.Changed = now
}

// backends lists pg_stat_activity, by pid, with each waiting session's
// wait event.
func (e *Engine) backends() []pgcatalog.Backend {
	e.actMu.Lock()
	all := make([]*Activity, 0, len(e.activity))
	for a := range e.activity {
		all = append(all, a)
	}
	e.actMu.Unlock()
	out := make([]pgcatalog.Backend, 0, len(all))
	for _, a := range all {
		a.mu.Lock()
		b := a.b
		a.mu.Unlock()
		if w, ok := e.locks.WaitOf(a.owner); ok {
			b.WaitEventType, b.WaitEvent = "Lock", waitEvent(w)
		} else if len(e.ssi.SafeSnapshotBlockers(uint32(b.PID))) > 0 {
			b.WaitEventType, b.WaitEvent = "IPC", "SafeSnapshot"
		}
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// waitEvent is pg_stat_activity's wait_event of a lock wait, as
// PostgreSQL names the lock it sleeps on: a table lock is "relation", an
// advisory lock "advisory"; a row lock is "transactionid" for its first
// waiter (PostgreSQL's waits on the holder's transaction) and "tuple" for
// those queued behind another waiter (they wait for its tuple lock).
func waitEvent(w lock.WaitInfo) string {
	switch {
	case tableLockOID(w.Key) != 0:
		return "relation"
	case len(w.Key) > 0 && w.Key[0] == 'a':
		return "advisory"
	case w.BehindWaiter:
		return "tuple"
	}
	return "transactionid"
}

// tupleModeNames are the modes of PostgreSQL's tuple locks for each
// row-lock strength (heapam.c's tupleLockExtraInfo).
var tupleModeNames = map[lock.Mode]string{lock.ForKeyShare: "AccessShareLock", lock.ForShare: "RowShareLock",
	lock.ForNoKeyUpdate: "ExclusiveLock", lock.ForUpdate: "AccessExclusiveLock"}

// lockRows lists pg_locks as PostgreSQL shows the same situation: every
// transaction that took a row lock holds its transactionid
// (ExclusiveLock); table locks are relation locks in their modes;
// advisory locks are advisory. A granted row lock shows nothing more (it
// lives in the row in PostgreSQL); a row-lock waiter holds the tuple lock
// and waits for the holder's transactionid (ShareLock), or, queued behind
// another waiter, waits for that tuple lock.
func (e *Engine) lockRows() []pgcatalog.LockRow {
	locks := e.locks.Locks()
	var oids map[string]uint32
	relOf := func(key string) uint32 {
		if oids == nil {
			oids = map[string]uint32{}
			if cat, err := e.Catalog(); err == nil {
				for _, t := range cat.Tables {
					oids[string(catalog.TableBucket(t.ID))] = t.OID
				}
			}
		}
		bucket, _, _ := strings.Cut(key[1:], "\x00")
		return oids[bucket]
	}
	var out []pgcatalog.LockRow
	for _, l := range locks {
		vxid := fmt.Sprintf("%d/%d", l.Owner, l.XID)
		r := pgcatalog.LockRow{PID: int(l.PID), VirtualTransaction: vxid, Granted: l.Granted}
		switch {
		case l.Key == "":
			r.LockType, r.TransactionID, r.Mode = "transactionid", l.XID, "ExclusiveLock"
		case tableLockOID(l.Key) != 0:
			r.LockType, r.Relation, r.Mode = "relation", tableLockOID(l.Key), l.Mode.String()
			r.FastPath = l.Granted && l.Mode <= lock.RowExclusive
		case l.Key[0] == 'a' && len(l.Key) == 10:
			var u uint64
			for i := 2; i < 10; i++ {
				u = u<<8 | uint64(l.Key[i])
			}
			r.LockType, r.ClassID, r.ObjID, r.ObjSubID = "advisory", uint32(u>>32), uint32(u), 1
			if l.Key[1] == 1 {
				r.ObjSubID = 2
			}
			r.Mode = "ExclusiveLock"
			if l.Mode == lock.Shared {
				r.Mode = "ShareLock"
			}
		case l.Key[0] == 'r' && !l.Granted:
			if !strings.HasPrefix(l.Key, "ri/") && !strings.HasPrefix(l.Key, "rc") { // rc: a COPY's load (copylocks.go)
				r.LockType, r.Relation, r.Mode, r.Page, r.Tuple = "tuple", relOf(l.Key), tupleModeNames[l.Mode], 0, 1
				r.Granted = !l.Wait.BehindWaiter
				out = append(out, r)
				if l.Wait.BehindWaiter {
					continue
				}
			}
			r.Granted = false
			r.LockType, r.Relation, r.Page, r.Tuple, r.TransactionID, r.Mode = "transactionid", 0, 0, 0, l.Wait.BlockerXID, "ShareLock"
		default:
			continue
		}
		out = append(out, r)
	}
	return append(out, e.siReadLockRows()...)
}

// siReadLockRows lists the SERIALIZABLE transactions' SIREAD locks as
// PostgreSQL's pg_locks does (mode SIReadLock, granted), at the
// granularity we track them (package ssi): a read of a whole table or
// index is a relation lock; one row read by its key (a primary-key lookup,
// or a row fetched through an index) a tuple lock on its table; a range
// of keys a page lock on the index it was read through (the primary
// key's for the table's own keys). We have no pages or tuple numbers:
// page and tuple are 0.
func (e *Engine) siReadLockRows() []pgcatalog.LockRow {
	locks := e.ssi.ReadLocks()
	if len(locks) == 0 {
		return nil
	}
	cat, err := e.Catalog()
	if err != nil {
		return nil
	}
	type rel struct{ table, index uint32 }
	rels := map[string]rel{}
	for _, t := range cat.Tables {
		rels[string(catalog.TableBucket(t.ID))] = rel{t.OID, pgcatalog.PrimaryKeyOID(t)}
		for i := range t.Indexes {
			ix := &t.Indexes[i]
			o := pgcatalog.IndexOID(ix)
			rels[string(catalog.IndexBucket(ix.ID))] = rel{o, o}
		}
	}
	var out []pgcatalog.LockRow
	for _, l := range locks {
		rl, ok := rels[l.Bucket]
		if !ok {
			continue // a table dropped or created since the catalog was read
		}
		r := pgcatalog.LockRow{PID: int(l.PID), VirtualTransaction: fmt.Sprintf("%d/%d", l.Owner, l.ID), Mode: "SIReadLock", Granted: true}
		isTable := strings.HasPrefix(l.Bucket, "t/")
		switch {
		case l.Whole:
			r.LockType, r.Relation = "relation", rl.table
		case l.Single() && isTable:
			r.LockType, r.Relation = "tuple", rl.table
		case rl.index != 0:
			r.LockType, r.Relation = "page", rl.index
		default: // a hidden key has no index: its range is the table's
			r.LockType, r.Relation = "relation", rl.table
		}
		out = append(out, r)
	}
	return out
}
