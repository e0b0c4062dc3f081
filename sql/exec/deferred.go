package exec

import (
	"slices"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/rowenc"
)

// Deferred foreign key checks: DEFERRABLE [INITIALLY DEFERRED |
// INITIALLY IMMEDIATE] and SET CONSTRAINTS, as in PostgreSQL 15.
//
// A foreign key is checked at the end of each statement (fkey.go) unless
// it is deferred in the transaction: INITIALLY DEFERRED, or DEFERRABLE and
// named (or ALL) by SET CONSTRAINTS … DEFERRED. A deferred check is kept
// on the Txn (deferredFK) and run at COMMIT, which then fails with the
// check's 23503 and rolls the transaction back, or earlier by SET
// CONSTRAINTS … IMMEDIATE, which fails itself. As PostgreSQL's RI
// triggers, the child-side check of an inserted or updated row and the
// parent-side check of NO ACTION are deferred; RESTRICT, CASCADE, SET
// NULL and SET DEFAULT always act at the end of the statement.
//
// A kept check names its tables by OID and its constraint by name and is
// re-resolved when it runs (a constraint dropped meanwhile is not
// checked). It re-reads what it checks in the transaction's state at that
// time: a child row no longer there with the same key values (deleted,
// updated — its update queued its own check — or undone by a failed
// statement) is skipped, as PostgreSQL skips an event whose tuple is
// dead; a parent key that exists again satisfies NO ACTION. ROLLBACK TO
// SAVEPOINT restores the kept checks and the SET CONSTRAINTS state of the
// savepoint (savepoint.go).
//
// DEFERRABLE UNIQUE and PRIMARY KEY constraints are refused (0A000): a
// unique index holds one entry per key, so duplicates cannot exist until
// COMMIT.

// deferredFK is a foreign key check kept until COMMIT or SET CONSTRAINTS
// … IMMEDIATE.
type deferredFK struct {
	child  uint32 // the referencing table's OID
	fkName string
	fkOID  uint32
	// parent: the parent-side NO ACTION check of a deleted (update false)
	// or updated referenced row; row is its old version. Otherwise row is
	// the written child row.
	parent   bool
	parentID uint32
	update   bool
	row      []Datum
}

// constraintMode is what SET CONSTRAINTS said in the transaction.
type constraintMode struct {
	all   int8            // 0 unset, 1 ALL DEFERRED, -1 ALL IMMEDIATE
	named map[uint32]bool // by constraint OID: deferred
}

// fkDeferred reports whether fk's checks are deferred in the transaction.
func (t *Txn) fkDeferred(fk *catalog.ForeignKey) bool {
	if !fk.Deferrable {
		return false
	}
	if d, ok := t.conMode.named[fk.OID]; ok {
		return d
	}
	switch t.conMode.all {
	case 1:
		return true
	case -1:
		return false
	}
	return fk.Deferred
}

// deferChild keeps the check of a written child row.
func (e *env) deferChild(child *catalog.Table, fk *catalog.ForeignKey, row []Datum) {
	e.txn.deferred = append(e.txn.deferred, deferredFK{child: child.OID, fkName: fk.Name, fkOID: fk.OID, row: row})
}

// deferParent keeps the NO ACTION check of a deleted or updated parent row.
func (e *env) deferParent(parent *catalog.Table, r catalog.Reference, ev *fkEvent) {
	e.txn.deferred = append(e.txn.deferred, deferredFK{child: r.Child.OID, fkName: r.FK.Name, fkOID: r.FK.OID,
		parent: true, parentID: parent.OID, update: ev.newRow != nil, row: ev.row})
}

// runDeferred runs the kept checks whose constraint which selects (all
// when nil) and forgets them; the first violation is returned.
func (e *env) runDeferred(which func(fkOID uint32) bool) error {
	t := e.txn
	if len(t.deferred) == 0 {
		return nil
	}
	var run, keep []deferredFK
	for _, d := range t.deferred {
		if which == nil || which(d.fkOID) {
			run = append(run, d)
		} else {
			keep = append(keep, d)
		}
	}
	t.deferred = keep
	cat, err := t.catalog()
	if err != nil {
		return err
	}
	for _, d := range run {
		if err := e.checkCancel(); err != nil {
			return err
		}
		child := cat.TableByOID(d.child)
		if child == nil {
			continue
		}
		i := slices.IndexFunc(child.ForeignKeys, func(fk catalog.ForeignKey) bool { return fk.Name == d.fkName })
		if i < 0 {
			continue
		}
		fk := &child.ForeignKeys[i]
		if !d.parent {
			if !childRowStill(t, child, fk, d.row) {
				continue
			}
			if err := e.checkChild(child, fk, d.row); err != nil {
				return err
			}
			continue
		}
		parent := cat.TableByOID(d.parentID)
		if parent == nil {
			continue
		}
		ev := fkEvent{tbl: parent, row: d.row}
		if d.update {
			ev.newRow = d.row // only its nil-ness matters below
		}
		if err := e.noActionCheck(parent, catalog.Reference{Child: child, FK: fk}, &ev); err != nil {
			return err
		}
	}
	return nil
}

// childRowStill reports whether the child row a check was kept for is
// still in the transaction's state with the same key values.
func childRowStill(t *Txn, child *catalog.Table, fk *catalog.ForeignKey, row []Datum) bool {
	v := t.get(catalog.TableBucket(child.ID), pkKey(child, row))
	if v == nil {
		return false
	}
	cur, err := rowenc.DecodeRow(v, child.Types())
	return err == nil && sameKeyValues(child, fk.Columns, cur, row)
}

// noActionCheck is the NO ACTION check of one deleted or updated parent
// row against one foreign key: fine when a row with the old key exists
// again, else 23503 when a child row still references it.
func (e *env) noActionCheck(parent *catalog.Table, r catalog.Reference, ev *fkEvent) error {
	refOrds := refOrdinals(parent, r.FK)
	vals := make([]Datum, len(refOrds))
	for j, o := range refOrds {
		if vals[j] = ev.row[o]; vals[j] == nil {
			return nil
		}
	}
	pk, err := e.findParent(parent, refOrds, vals, false)
	if err != nil || pk != nil {
		return err
	}
	byKey := map[string]oldKey{string(encodeKey(parent, refOrds, vals, refOrds)): {vals: vals, ev: ev}}
	return e.actOnChildren(parent, r, refOrds, byKey)
}

// checkNoPendingChecks is PostgreSQL's CheckTableNotInUse for pending
// trigger events: a table with a deferred check kept on it (the child
// table of a child-side check, the parent of a NO ACTION check) cannot be
// altered, truncated or dropped before the check has run.
func (t *Txn) checkNoPendingChecks(tbl *catalog.Table, stmt string) error {
	for _, d := range t.deferred {
		if !d.parent && d.child == tbl.OID || d.parent && d.parentID == tbl.OID {
			return pgerror.Newf(pgerror.ObjectInUse, "cannot %s %q because it has pending trigger events", stmt, relBase(tbl.Name))
		}
	}
	return nil
}

// ---- DDL: constraint attributes ------------------------------------
//
// The DEFERRABLE / INITIALLY clauses are applied and checked by
// planner.ApplyConstraintAttrs; a deferrable key is refused by
// planner.RefuseDeferrableKey (only foreign keys are deferred).

// ---- SET CONSTRAINTS -------------------------------------------------

// buildSetConstraints plans SET CONSTRAINTS {ALL | name [, …]} {DEFERRED
// | IMMEDIATE} (PostgreSQL's AfterTriggerSetState). A name is looked up
// along search_path (or in its schema), all the constraints of that name
// in the first schema that has any; one that is not deferrable fails
// SET … DEFERRED (42809). Switching to IMMEDIATE runs the pending checks
// of the constraints named now.
func (b *builder) buildSetConstraints(cs planner.SetConstraints) (runner, error) {
	deferred := cs.Deferred
	var oids []uint32
	for _, rv := range cs.Names {
		schemas := b.searchPath()
		if rv.Schema != "" {
			schemas = []string{rv.Schema}
		}
		found := false
		for _, s := range schemas {
			for _, tn := range b.cat.TableNames() {
				if ts, _ := b.cat.SplitName(tn); ts != s {
					continue
				}
				tbl := b.cat.Tables[tn]
				if !tbl.ConstraintNameTaken(rv.Name) {
					continue
				}
				found = true
				i := slices.IndexFunc(tbl.ForeignKeys, func(fk catalog.ForeignKey) bool { return fk.Name == rv.Name })
				if i >= 0 && tbl.ForeignKeys[i].Deferrable {
					oids = append(oids, tbl.ForeignKeys[i].OID)
				} else if deferred {
					return nil, pgerror.Newf(pgerror.WrongObjectType, "constraint %q is not deferrable", rv.Name)
				}
			}
			if found {
				break
			}
		}
		if !found {
			return nil, pgerror.Newf(pgerror.UndefinedObject, "constraint %q does not exist", rv.Name)
		}
	}
	all := cs.All
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		if all {
			t.conMode.named = nil
			t.conMode.all = -1
			if deferred {
				t.conMode.all = 1
			}
		} else {
			if t.conMode.named == nil {
				t.conMode.named = map[uint32]bool{}
			}
			for _, o := range oids {
				t.conMode.named[o] = deferred
			}
		}
		if !deferred {
			err := e.runDeferred(func(fkOID uint32) bool { return all || slices.Contains(oids, fkOID) })
			if err != nil {
				return nil, err
			}
		}
		return tagCursor("SET CONSTRAINTS", nil), nil
	}), nil
}
