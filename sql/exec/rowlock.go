package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/pgcatalog"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/txn"
	"github.com/heliosdb/nano/storage"
)

// Row locks (see package lock and the Txn doc).
//
// A row is locked by (bucket, key) of its primary-key entry; a unique index
// entry by (index bucket, key) while it is written or deleted, so that two
// inserters of one value queue behind each other. After the lock is
// granted the transaction compares the version its statement read with the
// newest committed one (txn.View.Latest): the lock's previous holder released
// it only after its commit became visible, so the newest version is final
// while the lock is held. A changed row is re-evaluated (READ COMMITTED,
// PostgreSQL's EvalPlanQual) or fails with 40001 (REPEATABLE READ and
// SERIALIZABLE).

// LockProtected reports whether writes to bucket are made under row locks
// (table and index buckets): a committer need not check them for
// write-write conflicts (see Committer).
func LockProtected(bucket []byte) bool {
	return bytes.HasPrefix(bucket, []byte("t/")) || bytes.HasPrefix(bucket, []byte("i/"))
}

// lockState is what lockRow found.
type lockState uint8

const (
	rowSame    lockState = iota // locked; the statement's version is the newest
	rowChanged                  // locked; a newer committed version exists (latest, nil if deleted)
	rowSkipped                  // SKIP LOCKED: taken by another transaction
	rowMoved                    // locked; a committed UPDATE moved the row to another key (sql/txn's rowfate.go)
)

// recordDelete notes that the transaction deleted the row at pk of bucket
// (its fate, published at commit: sql/txn's rowfate.go). A temporary
// table's rows have no other reader.
func (t *Txn) recordDelete(bucket, pk []byte) {
	if isTempBucket(bucket) {
		return
	}
	t.fates.Delete(bucket, pk)
}

// recordMove turns the deletion just recorded for the row at from
// (deleteRow) into a move to to: an UPDATE that changed the key.
func (t *Txn) recordMove(bucket, from, to []byte) { t.fates.Move(bucket, from, to) }

var errLockTimeout = pgerror.New(pgerror.LockNotAvailable, "canceling statement due to lock timeout")

// acquire takes a lock for the transaction, waiting as policy says under
// lock_timeout and deadlock_timeout. what names the object for NOWAIT's
// message. It returns false for SKIP LOCKED on a taken lock.
func (e *env) acquire(key string, mode lock.Mode, scope lock.Scope, policy lock.Policy, what string) (bool, error) {
	return e.acquireLock(key, mode, scope, policy, lockWhat{kind: what}, true)
}

// lockWhat names a locked object in NOWAIT's message: kind, then the
// quoted relation name when there is one. It is rendered only for that
// message (formatting it on every lock was an allocation per row).
type lockWhat struct{ kind, rel string }

func (w lockWhat) String() string {
	if w.rel == "" {
		return w.kind
	}
	return fmt.Sprintf("%s %q", w.kind, w.rel)
}

// acquireLock is acquire; withXID assigns the transaction its number
// first (row locks: pg_locks shows the holder's transactionid), which a
// table lock does not.
func (e *env) acquireLock(key string, mode lock.Mode, scope lock.Scope, policy lock.Policy, what lockWhat, withXID bool) (bool, error) {
	t := e.txn
	if t.xid == 0 && withXID {
		if t.ssx != nil {
			t.xid = t.ssx.ID // one number in pg_locks and in 40001 details
		} else {
			t.xid = t.eng.xids.Add(1)
		}
	}
	t.locked = true
	req := lock.Request{Owner: t.owner, PID: t.pid, XID: t.xid, Key: key, Mode: mode, Scope: scope, Policy: policy,
		Early: !strings.HasPrefix(key, "r")}
	if policy == lock.Wait {
		// Most locks are free: try without waiting first, so the timeouts
		// (two settings parsed) and the wait's context are set up only
		// for a lock that has to be waited for.
		try := req
		try.Policy = lock.NoWait
		if ok, err := t.eng.locks.Acquire(e.ctx, try); !errors.Is(err, lock.ErrWouldBlock) {
			return ok, err
		}
	}
	ctx := e.ctx
	if policy == lock.Wait {
		// Parsed only here: a NoWait request (lockTable's first try of
		// every table lock) never waits.
		if d := e.durationVar("lock_timeout"); d > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeoutCause(ctx, d, errLockTimeout)
			defer cancel()
		}
		req.DeadlockTimeout = e.durationVar("deadlock_timeout")
	}
	ok, err := t.eng.locks.Acquire(ctx, req)
	if err == nil {
		return ok, nil
	}
	var dl *lock.DeadlockError
	switch {
	case errors.Is(err, lock.ErrWouldBlock):
		return false, pgerror.Newf(pgerror.LockNotAvailable, "could not obtain lock on %s", what.String())
	case errors.As(err, &dl):
		return false, deadlockError(dl)
	case errors.Is(err, errLockTimeout) && e.ctx.Err() == nil:
		return false, errLockTimeout
	case e.ctx.Err() != nil:
		return false, errCanceled
	}
	return false, err
}

// deadlockError renders a deadlock as PostgreSQL does.
func deadlockError(d *lock.DeadlockError) error {
	lines := make([]string, len(d.Cycle))
	for i, ed := range d.Cycle {
		var on string
		if oid := tableLockOID(ed.Key); oid != 0 {
			on = fmt.Sprintf("%s on relation %d of database %d", ed.Mode, oid, pgcatalog.DatabaseOID)
		} else if strings.HasPrefix(ed.Key, "a") {
			mode := "ExclusiveLock"
			if ed.Mode == lock.Shared {
				mode = "ShareLock"
			}
			on = fmt.Sprintf("%s on advisory lock [%s]", mode, advisoryTag(ed.Key))
		} else {
			on = fmt.Sprintf("ShareLock on transaction %d", ed.BlockerXID)
		}
		lines[i] = fmt.Sprintf("Process %d waits for %s; blocked by process %d.", ed.Waiter, on, ed.Blocker)
	}
	return pgerror.New(pgerror.DeadlockDetected, "deadlock detected").
		WithDetail("%s", strings.Join(lines, "\n")).
		WithHint("See server log for query details.")
}

// durationVar reads a duration setting ("0", "500ms", "2s", "1min").
func (e *env) durationVar(name string) time.Duration {
	if e.vars == nil {
		return 0
	}
	v, ok := e.vars.Get(name)
	if !ok {
		return 0
	}
	return parseDuration(v)
}

func parseDuration(v string) time.Duration {
	v = strings.TrimSpace(v)
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.') {
		i++
	}
	n, err := strconv.ParseFloat(v[:i], 64)
	if err != nil || n == 0 {
		return 0
	}
	return time.Duration(n * float64(durationUnits[strings.TrimSpace(v[i:])]))
}

// durationUnits are the units of a time setting (no unit: milliseconds).
var durationUnits = map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond,
	"s": time.Second, "min": time.Minute, "h": time.Hour, "d": 24 * time.Hour}

// lockRow locks the row (or unique entry) at bucket/key in mode and says
// whether the version this statement read is still the newest. latest is
// the newest committed value (a copy; nil when deleted) for rowChanged;
// for rowMoved, mv says where the row went and when (see followRow).
// A row a committed transaction deleted is rowChanged with latest nil
// even when a row with its key was inserted since: that one is not a
// version of the row read (sql/txn's rowfate.go).
func (e *env) lockRow(tbl *catalog.Table, bucket, key []byte, mode lock.Mode, policy lock.Policy) (st lockState, latest []byte, mv txn.Fate, err error) {
	t := e.txn
	lk := txn.RowLockKey(bucket, key)
	ok, err := e.acquireLock(lk, mode, lock.Xact, policy, lockWhat{"row in relation", tbl.Name}, true)
	if err != nil {
		return 0, nil, txn.Fate{}, err
	}
	if !ok {
		return rowSkipped, nil, txn.Fate{}, nil
	}
	if ob := t.ov.Bucket(bucket); ob != nil {
		if _, mine := ob.Entry(key); mine || ob.Staged() {
			return rowSame, nil, txn.Fate{}, nil // written by this transaction under this lock, or private to it
		}
	}
	ls, err := t.view.Latest()
	if err != nil {
		return 0, nil, txn.Fate{}, err
	}
	if ls == t.view.Snapshot() || isTempBucket(bucket) { // a temporary table has one writer: this session
		return rowSame, nil, txn.Fate{}, nil
	}
	if f, ok := t.eng.fates.Next(lk, t.view.Snapshot().AppliedLSN()); ok && t.view.Snapshot().Get(bucket, key) != nil {
		if f.To == nil {
			return rowChanged, nil, txn.Fate{}, nil
		}
		return rowMoved, nil, f, nil
	}
	st, latest = compareLatest(t.view.Snapshot(), ls, bucket, key)
	return st, latest, txn.Fate{}, nil
}

// compareLatest compares the row at bucket/key in the statement's
// snapshot and in the newest one.
func compareLatest(snap, ls *storage.Snapshot, bucket, key []byte) (lockState, []byte) {
	cur, lv := snap.Get(bucket, key), ls.Get(bucket, key)
	if bytes.Equal(cur, lv) && (cur == nil) == (lv == nil) {
		return rowSame, nil
	}
	if lv != nil {
		lv = append([]byte(nil), lv...)
	}
	return rowChanged, lv
}

// followRow follows a row that a committed UPDATE moved to another key
// (mv, from lockRow): it locks the row at its new key in mode, and returns
// there the newest version of the row (rowChanged with its value; nil
// when it was deleted since), or where it moved next (rowMoved), or
// rowSkipped (SKIP LOCKED). Each hop is relative to the commit that made
// it: only fates committed after it concern the version it created.
func (e *env) followRow(tbl *catalog.Table, bucket []byte, mv txn.Fate, mode lock.Mode, policy lock.Policy) (lockState, []byte, txn.Fate, error) {
	t := e.txn
	lk := txn.RowLockKey(bucket, mv.To)
	ok, err := e.acquireLock(lk, mode, lock.Xact, policy, lockWhat{"row in relation", tbl.Name}, true)
	if err != nil {
		return 0, nil, txn.Fate{}, err
	}
	if !ok {
		return rowSkipped, nil, txn.Fate{}, nil
	}
	if f, ok := t.eng.fates.Next(lk, mv.At); ok {
		if f.To == nil {
			return rowChanged, nil, txn.Fate{}, nil
		}
		return rowMoved, nil, f, nil
	}
	lv, err := t.getLatest(bucket, mv.To)
	if err != nil {
		return 0, nil, txn.Fate{}, err
	}
	if lv != nil {
		lv = append([]byte(nil), lv...)
	}
	return rowChanged, lv, txn.Fate{}, nil
}

// getLatest reads bucket/key as this transaction's writes and the newest
// committed state show it: what a uniqueness check must see once it holds
// the key's lock.
func (t *Txn) getLatest(bucket, key []byte) ([]byte, error) {
	if ob := t.ov.Bucket(bucket); ob != nil {
		if e, ok := ob.Entry(key); ok {
			if e.Del {
				return nil, nil
			}
			return e.Val, nil
		}
		if ob.Dropped() {
			return nil, nil
		}
		if ob.Staged() {
			return t.get(bucket, key), nil
		}
		if v := t.shadowGet(ob, key); v != nil {
			return v, nil
		}
	}
	if isTempBucket(bucket) {
		return t.get(bucket, key), nil
	}
	ls, err := t.view.Latest()
	if err != nil {
		return nil, err
	}
	return ls.Get(bucket, key), nil
}

// lockKey locks a key about to be written (a new primary key or a unique
// index entry) for the rest of the transaction. A table no other
// transaction can write meanwhile (env.sole) needs none: its table lock
// already orders every writer of the key after this transaction.
func (e *env) lockKey(tbl *catalog.Table, bucket, key []byte) error {
	if e.sole != 0 && e.sole == tbl.OID {
		return nil
	}
	if e.bulk != nil && e.bulk.oid == tbl.OID {
		return e.claim(e.bulk, tbl, bucket, key) // COPY FROM: copylocks.go
	}
	if _, err := e.acquireLock(txn.RowLockKey(bucket, key), lock.ForUpdate, lock.Xact, lock.Wait,
		lockWhat{"row in relation", tbl.Name}, true); err != nil {
		return err
	}
	return e.waitLoads(tbl, bucket, key)
}

// errConcurrentUpdate is the 40001 of REPEATABLE READ and SERIALIZABLE when
// a row to lock was changed by a transaction the snapshot cannot see.
func errConcurrent(deleted bool) error {
	if deleted {
		return pgerror.New(pgerror.SerializationFailure, "could not serialize access due to concurrent delete")
	}
	return pgerror.New(pgerror.SerializationFailure, "could not serialize access due to concurrent update")
}

// advisoryKey is the lock key of an advisory lock on a 64-bit key (one
// bigint, or two int4 combined as PostgreSQL does).
func advisoryKey(k int64, pair bool) string {
	b := []byte{'a', 0}
	if pair {
		b[1] = 1
	}
	u := uint64(k)
	for i := 7; i >= 0; i-- {
		b = append(b, byte(u>>(8*i)))
	}
	return string(b)
}

// advisoryTag renders an advisory lock key as pg_locks' [db,classid,objid,objsubid].
func advisoryTag(key string) string {
	if len(key) != 10 {
		return "?"
	}
	var u uint64
	for i := 2; i < 10; i++ {
		u = u<<8 | uint64(key[i])
	}
	sub := 1
	if key[1] == 1 {
		sub = 2
	}
	return fmt.Sprintf("16384,%d,%d,%d", u>>32, uint32(u), sub)
}
