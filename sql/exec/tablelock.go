package exec

import (
	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
)

// Table locks: PostgreSQL's relation-level locks in its eight modes, held
// until the transaction ends. While planning, the builder records the
// mode each table needs (tableLocks): ACCESS SHARE for a table read, ROW
// SHARE for one under SELECT … FOR UPDATE/SHARE, ROW EXCLUSIVE for the
// target of INSERT/UPDATE/DELETE, SHARE for CREATE INDEX and ACCESS
// EXCLUSIVE for DROP, TRUNCATE and ALTER TABLE. Prepared.Open takes them
// before the statement runs, as PostgreSQL's executor does
// (AcquireExecutorLocks), so LOCK TABLE … IN EXCLUSIVE MODE holds off
// writers and DROP TABLE waits for open readers. A statement whose table
// lock had to wait re-reads the catalog (READ COMMITTED: a fresh snapshot)
// and is re-planned if a DDL it waited for changed it.
//
// A table is locked by its OID (stable across TRUNCATE). The Txn
// remembers the modes it holds so a statement repeated in a transaction
// does not visit the lock manager again.

// tableLockNeed is one table lock a statement takes.
type tableLockNeed struct {
	rel  string
	mode lock.Mode
}

// needTableLock records that the statement locks rel in mode.
func (b *builder) needTableLock(rel string, mode lock.Mode) {
	for _, n := range b.tlocks {
		if n.rel == rel && n.mode == mode {
			return
		}
	}
	b.tlocks = append(b.tlocks, tableLockNeed{rel: rel, mode: mode})
}

// collectTableLocks records the locks of a statement's target
// (planner.TargetLocks), before it is planned (reads are recorded by
// buildRangeVar).
func (b *builder) collectTableLocks(locks []planner.TargetLock) {
	for _, l := range locks {
		name := l.Name
		if l.Index {
			t, _ := b.cat.IndexByName(name)
			if t == nil {
				continue
			}
			name = t.Name
		}
		b.needTableLock(name, l.Mode)
	}
}

// tableLockKey is the lock-manager key of the table with oid.
func tableLockKey(oid uint32) string {
	return string([]byte{'T', byte(oid >> 24), byte(oid >> 16), byte(oid >> 8), byte(oid)})
}

// tableLockOID is the OID of a table lock key (0 if key is not one).
func tableLockOID(key string) uint32 {
	if len(key) != 5 || key[0] != 'T' {
		return 0
	}
	return uint32(key[1])<<24 | uint32(key[2])<<16 | uint32(key[3])<<8 | uint32(key[4])
}

// holdsTable reports whether the transaction already holds a lock on oid
// that covers mode.
func (t *Txn) holdsTable(oid uint32, mode lock.Mode) bool {
	held := t.tableLockBits(oid)
	for m := lock.AccessShare; held != 0 && lock.IsTableMode(m); m++ {
		if held&(1<<m) != 0 && lock.Covers(m, mode) {
			return true
		}
	}
	return false
}

// lockTable takes a table lock for the transaction; waited reports that
// it was not free at once. It returns false for SKIP LOCKED-style
// policies that found it taken.
func (e *env) lockTable(tbl *catalog.Table, mode lock.Mode, policy lock.Policy) (waited bool, err error) {
	t := e.txn
	if t.holdsTable(tbl.OID, mode) {
		return false, nil
	}
	key := tableLockKey(tbl.OID)
	what := lockWhat{"relation", tbl.Name}
	p := policy
	if p == lock.Wait {
		p = lock.NoWait
	}
	_, err = e.acquireLock(key, mode, lock.Xact, p, what, false)
	if err != nil && policy == lock.Wait && pgerror.CodeOf(err) == pgerror.LockNotAvailable {
		waited = true
		_, err = e.acquireLock(key, mode, lock.Xact, lock.Wait, what, false)
	}
	if err != nil {
		return waited, err
	}
	t.addTableLock(tbl.OID, 1<<mode)
	return waited, nil
}

// tableLock is the table-lock modes held on one table (Txn.tlock1).
type tableLock struct {
	oid  uint32
	held uint16 // a bit per lock.Mode; 0 = none
}

// tableLockBits returns the table-lock modes the transaction holds on oid.
func (t *Txn) tableLockBits(oid uint32) uint16 {
	if t.tlock1.held != 0 && t.tlock1.oid == oid {
		return t.tlock1.held
	}
	return t.tlocks[oid]
}

// addTableLock records modes held on oid: the first table in tlock1, the
// others in the tlocks map (a transaction of one table makes no map).
func (t *Txn) addTableLock(oid uint32, modes uint16) {
	switch {
	case t.tlock1.held != 0 && t.tlock1.oid == oid:
		t.tlock1.held |= modes
	case t.tlock1.held == 0 && t.tlocks == nil:
		t.tlock1 = tableLock{oid: oid, held: modes}
	default:
		if t.tlocks == nil {
			t.tlocks = map[uint32]uint16{}
		}
		t.tlocks[oid] |= modes
	}
}

// lockTables takes the table locks a statement needs (tables missing from
// cat are skipped: the statement reports them itself).
func (e *env) lockTables(cat *catalog.Catalog, needs []tableLockNeed) (waited bool, err error) {
	for _, n := range needs {
		tbl := cat.Tables[n.rel]
		if tbl == nil {
			continue
		}
		w, err := e.lockTable(tbl, n.mode, lock.Wait)
		waited = waited || w
		if err != nil {
			return waited, err
		}
	}
	return waited, nil
}

// buildLock plans LOCK [TABLE] name [, …] [IN mode MODE] [NOWAIT].
// Outside a transaction block the session refuses it (25P01) before it
// gets here.
func (b *builder) buildLock(ls planner.LockTable) (runner, error) {
	mode := ls.Mode
	// LOCK TABLE writes nothing: PostgreSQL 15 runs it in every mode in a
	// READ ONLY transaction, and refuses the modes above ROW EXCLUSIVE
	// only during recovery (on a standby: RefusedInRecovery).
	b.notInRecovery = mode > lock.RowExclusive
	var tbls []*catalog.Table
	for _, rv := range ls.Tables {
		if v := b.cat.Views[rv.Name]; v != nil {
			return nil, b.errAt(pgerror.Newf(pgerror.FeatureNotSupported, "LOCK TABLE on a view is not supported"), rv.Location)
		}
		t, ok := b.cat.Tables[rv.Name]
		if !ok {
			if b.cat.RelationExists(rv.Name) {
				return nil, b.errAt(pgerror.Newf(pgerror.WrongObjectType, "%q is not a table", rv.Name), rv.Location)
			}
			return nil, b.errAt(pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", rv.Name), rv.Location)
		}
		tbls = append(tbls, t)
	}
	policy := lock.Wait
	if ls.NoWait {
		policy = lock.NoWait
	}
	return fnRunner(func(e *env) (Cursor, error) {
		for _, t := range tbls {
			if err := lockTablePrivilege(e.txn, b.cat, t, mode); err != nil {
				return nil, err
			}
			if _, err := e.lockTable(t, mode, policy); err != nil {
				return nil, err
			}
		}
		return tagCursor("LOCK TABLE", nil), nil
	}), nil
}

// lockTablePrivilege is PostgreSQL 15's LockTableAclCheck: ACCESS SHARE
// needs SELECT, ROW EXCLUSIVE INSERT, stronger modes UPDATE, DELETE or
// TRUNCATE (any one; each weaker mode also accepts the stronger ones').
func lockTablePrivilege(t *Txn, cat *catalog.Catalog, tbl *catalog.Table, mode lock.Mode) error {
	if t.user == "" {
		return nil
	}
	me, err := t.currentRole(cat)
	if err != nil {
		return err
	}
	if isSuper(me) {
		return nil
	}
	any := catalog.PrivUpdate | catalog.PrivDelete | catalog.PrivTruncate
	switch {
	case mode == lock.AccessShare:
		any |= catalog.PrivSelect
	case mode == lock.RowExclusive:
		any |= catalog.PrivInsert
	}
	if cat.TablePrivileges(me.OID, tbl)&any == 0 {
		return pgerror.Newf(pgerror.InsufficientPrivilege, "permission denied for table %s", tbl.Name)
	}
	return nil
}

// writesOnlyTemp reports whether the DML statement (planner.IsDML) that
// b planned writes or row-locks only temporary relations: what needs more
// than SELECT on it, or a lock above ACCESS SHARE (see
// Prepared.WritesOnlyTemp).
func (b *builder) writesOnlyTemp() bool {
	for _, nd := range b.needs {
		if nd.rel == "" || nd.index || nd.priv&^catalog.PrivSelect != 0 && !isTempName(nd.rel) {
			return false
		}
	}
	for _, l := range b.tlocks {
		if l.mode > lock.AccessShare && !isTempName(l.rel) {
			return false
		}
	}
	return true
}
