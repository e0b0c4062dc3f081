package exec

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/rowenc"
	"github.com/heliosdb/nano/sql/txn"
	"github.com/heliosdb/nano/sql/types"
)

// FOREIGN KEY constraints. As in PostgreSQL, the checks run at the end of
// each statement (or at COMMIT when deferred: deferred.go) (PostgreSQL's RI triggers are AFTER ROW triggers fired
// when the statement ends): writeRow and DELETE queue events on the env
// and flushFK processes them, cascaded actions queueing more.
//
//   - A row written into a referencing (child) table with no NULL in the
//     key (MATCH SIMPLE) must find its referenced row: the lookup goes by
//     the referenced primary key or unique index in the newest committed
//     state, and the referenced row is locked FOR KEY SHARE, so a
//     concurrent DELETE of it (FOR UPDATE) waits for this transaction and
//     then sees the new child.
//   - A referenced (parent) row deleted, or updated with a changed key,
//     is looked for in each referencing table (one scan of the newest
//     committed state per table and statement): NO ACTION and RESTRICT
//     fail with 23503, CASCADE deletes or updates the child rows, SET NULL
//     and SET DEFAULT update them (their writes are checked in turn).

// fkEvent is a queued check: a written child row (fk != nil) or a
// deleted/updated parent row (fk == nil; newRow nil for a delete).
type fkEvent struct {
	tbl    *catalog.Table
	fk     *catalog.ForeignKey
	row    []Datum // the child row, or the parent's old row
	newRow []Datum
}

// ---- DDL -----------------------------------------------------------

func fkAction(s string) string {
	switch s {
	case catalog.FKRestrict, catalog.FKCascade, catalog.FKSetNull, catalog.FKSetDefault:
		return s
	}
	return catalog.FKNoAction
}

func fkColumnMissing(name string) error {
	return pgerror.Newf(pgerror.UndefinedColumn, "column %q referenced in foreign key constraint does not exist", name)
}

// newForeignKey validates a FOREIGN KEY constraint of tbl (cols: the
// referencing columns of a column constraint, else c.FkAttrs) and names
// it table_columns_fkey when no name is given. A table referencing
// itself is its own parent.
func (b *builder) newForeignKey(tbl *catalog.Table, c *pg_query.Constraint, cols []string, names *constraintNames) (catalog.ForeignKey, *catalog.Table, error) {
	var fk catalog.ForeignKey
	if len(c.FkDelSetCols) > 0 {
		return fk, nil, pgerror.New(pgerror.FeatureNotSupported, "ON DELETE SET NULL/SET DEFAULT with a column list is not supported")
	}
	if c.FkMatchtype == "p" {
		return fk, nil, pgerror.New(pgerror.FeatureNotSupported, "MATCH PARTIAL not yet implemented")
	}
	if len(cols) == 0 {
		for _, k := range c.FkAttrs {
			cols = append(cols, strVal(k))
		}
	}
	fk = catalog.ForeignKey{Name: c.Conname, OnDelete: fkAction(c.FkDelAction), OnUpdate: fkAction(c.FkUpdAction),
		Match: "s", NotValid: c.SkipValidation, Deferrable: c.Deferrable || c.Initdeferred, Deferred: c.Initdeferred}
	if c.FkMatchtype == "f" {
		fk.Match = "f"
	}
	if fk.Name == "" {
		fk.Name = names.choose(relBase(tbl.Name)+"_"+strings.Join(cols, "_"), "fkey")
	} else {
		if tbl.ConstraintNameTaken(fk.Name) || names.chose[fk.Name] {
			return fk, nil, duplicateConstraint(fk.Name, tbl.Name)
		}
		names.reserve(fk.Name)
	}
	parent := tbl
	if c.Pktable.Relname != tbl.Name {
		parent = b.cat.Tables[c.Pktable.Relname]
		if parent == nil {
			if b.cat.Views[c.Pktable.Relname] != nil {
				return fk, nil, pgerror.Newf(pgerror.WrongObjectType, "referenced relation %q is not a table", c.Pktable.Relname)
			}
			return fk, nil, pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", c.Pktable.Relname)
		}
	}
	for _, n := range cols {
		i := tbl.ColumnIndex(n)
		if i < 0 || tbl.Columns[i].Hidden {
			return fk, nil, fkColumnMissing(n)
		}
		fk.Columns = append(fk.Columns, i)
	}
	switch {
	case isTempName(tbl.Name) && !isTempName(parent.Name):
		return fk, nil, pgerror.New(pgerror.InvalidTableDefinition, "constraints on temporary tables may reference only temporary tables")
	case !isTempName(tbl.Name) && isTempName(parent.Name):
		return fk, nil, pgerror.New(pgerror.InvalidTableDefinition, "constraints on permanent tables may reference only permanent tables")
	}
	var refOrds []int
	if len(c.PkAttrs) == 0 {
		if parent.HasHiddenKey() {
			return fk, nil, pgerror.Newf(pgerror.UndefinedObject, "there is no primary key for referenced table %q", relBase(parent.Name))
		}
		refOrds = parent.PrimaryKey
	} else {
		for _, k := range c.PkAttrs {
			n := strVal(k)
			i := parent.ColumnIndex(n)
			if i < 0 || parent.Columns[i].Hidden {
				return fk, nil, fkColumnMissing(n)
			}
			refOrds = append(refOrds, i)
		}
		if !hasUniqueKey(parent, refOrds) {
			return fk, nil, pgerror.Newf(pgerror.InvalidForeignKey, "there is no unique constraint matching given keys for referenced table %q", relBase(parent.Name))
		}
	}
	if len(refOrds) != len(fk.Columns) {
		return fk, nil, pgerror.New(pgerror.InvalidForeignKey, "number of referencing and referenced columns for foreign key disagree")
	}
	for j, o := range refOrds {
		ct, pt := tbl.Columns[fk.Columns[j]].Type, parent.Columns[o].Type
		if !(ct.Family() == pt.Family() || planner.IsNumeric(ct) && planner.IsNumeric(pt)) {
			return fk, nil, pgerror.Newf(pgerror.DatatypeMismatch, "foreign key constraint %q cannot be implemented", fk.Name).
				WithDetail("Key columns %q and %q are of incompatible types: %s and %s.", tbl.Columns[fk.Columns[j]].Name, parent.Columns[o].Name, ct, pt)
		}
		fk.RefColumns = append(fk.RefColumns, parent.Columns[o].Name)
	}
	fk.RefTable = parent.OID // 0 for a table being created: set when it gets its OID
	return fk, parent, nil
}

// hasUniqueKey reports whether cols (in any order) are exactly the
// primary key or a unique index of t.
func hasUniqueKey(t *catalog.Table, cols []int) bool {
	same := func(a []int) bool {
		if len(a) != len(cols) {
			return false
		}
		for _, c := range cols {
			if !slices.Contains(a, c) {
				return false
			}
		}
		return true
	}
	if !t.HasHiddenKey() && same(t.PrimaryKey) {
		return true
	}
	for _, ix := range t.Indexes {
		if ix.Unique && same(ix.Columns) {
			return true
		}
	}
	return false
}

// ---- queueing --------------------------------------------------------

type refsKey struct{ tbl *catalog.Table }

// referencedBy returns the foreign keys referencing tbl, once per
// statement.
func (e *env) referencedBy(tbl *catalog.Table) ([]catalog.Reference, error) {
	if r, ok := e.cache[refsKey{tbl}].([]catalog.Reference); ok {
		return r, nil
	}
	cat, err := e.txn.catalog()
	if err != nil {
		return nil, err
	}
	r := cat.ReferencedBy(tbl)
	if r == nil {
		r = []catalog.Reference{}
	}
	if e.cache == nil {
		e.cache = map[any]any{}
	}
	e.cache[refsKey{tbl}] = r
	return r, nil
}

func sameKeyValues(tbl *catalog.Table, cols []int, a, b []Datum) bool {
	for _, o := range cols {
		if (a[o] == nil) != (b[o] == nil) {
			return false
		}
		if a[o] != nil && string(rowenc.AppendKey(nil, a[o], tbl.Columns[o].Type)) != string(rowenc.AppendKey(nil, b[o], tbl.Columns[o].Type)) {
			return false
		}
	}
	return true
}

// queueWrite queues the foreign key work of writing row (old: the row it
// replaces, nil for an insert).
func (e *env) queueWrite(tbl *catalog.Table, row, old []Datum) error {
	for i := range tbl.ForeignKeys {
		fk := &tbl.ForeignKeys[i]
		if old == nil || !sameKeyValues(tbl, fk.Columns, row, old) {
			e.fkq = append(e.fkq, fkEvent{tbl: tbl, fk: fk, row: row})
		}
	}
	if old != nil {
		return e.queueParent(tbl, old, row)
	}
	return nil
}

// queueParent queues the check of a deleted (newRow nil) or updated row
// of a referenced table.
func (e *env) queueParent(tbl *catalog.Table, old, newRow []Datum) error {
	refs, err := e.referencedBy(tbl)
	if err != nil || len(refs) == 0 {
		return err
	}
	if newRow != nil {
		changed := false
		for _, r := range refs {
			if !sameKeyValues(tbl, refOrdinals(tbl, r.FK), old, newRow) {
				changed = true
			}
		}
		if !changed {
			return nil
		}
	}
	e.fkq = append(e.fkq, fkEvent{tbl: tbl, row: old, newRow: newRow})
	return nil
}

func refOrdinals(parent *catalog.Table, fk *catalog.ForeignKey) []int {
	out := make([]int, len(fk.RefColumns))
	for i, n := range fk.RefColumns {
		out[i] = parent.ColumnIndex(n)
	}
	return out
}

// ---- processing ------------------------------------------------------

// flushFK runs the queued foreign key checks and actions.
func (e *env) flushFK() error {
	for len(e.fkq) > 0 {
		q := e.fkq
		e.fkq = nil
		var parents []fkEvent
		for _, ev := range q {
			if ev.fk != nil {
				if e.txn.fkDeferred(ev.fk) {
					e.deferChild(ev.tbl, ev.fk, ev.row)
					continue
				}
				if err := e.checkChild(ev.tbl, ev.fk, ev.row); err != nil {
					return err
				}
			} else {
				parents = append(parents, ev)
			}
		}
		for len(parents) > 0 {
			tbl := parents[0].tbl
			var same, rest []fkEvent
			for _, ev := range parents {
				if ev.tbl == tbl {
					same = append(same, ev)
				} else {
					rest = append(rest, ev)
				}
			}
			parents = rest
			if err := e.parentChanged(tbl, same); err != nil {
				return err
			}
		}
	}
	return nil
}

// parentKey converts a child row's key columns to the parent's column
// types; ok is false when a column is NULL (MATCH SIMPLE: not checked) or
// a value does not fit.
func parentKey(child *catalog.Table, fk *catalog.ForeignKey, parent *catalog.Table, refOrds []int, row []Datum) (key []Datum, ok bool) {
	key = make([]Datum, len(fk.Columns))
	for j, o := range fk.Columns {
		v := row[o]
		if v == nil {
			return nil, false
		}
		ct, pt := child.Columns[o].Type, parent.Columns[refOrds[j]].Type
		if ct.Oid != pt.Oid {
			cv, err := types.Cast(v, ct, pt, true)
			if err != nil {
				return nil, false
			}
			v = cv
		}
		key[j] = v
	}
	return key, true
}

// encodeKey encodes key values (in the order of cols) as the key of the
// index over idxCols.
func encodeKey(t *catalog.Table, cols []int, key []Datum, idxCols []int) []byte {
	var k []byte
	for _, o := range idxCols {
		j := slices.Index(cols, o)
		k = rowenc.AppendKey(k, key[j], t.Columns[o].Type)
	}
	return k
}

// findParent looks up the row of parent whose columns cols hold key in
// the newest committed state (and this transaction's writes); it returns
// its primary key, or nil. lockIt locks the row FOR KEY SHARE first.
func (e *env) findParent(parent *catalog.Table, cols []int, key []Datum, lockIt bool) ([]byte, error) {
	t := e.txn
	tb := catalog.TableBucket(parent.ID)
	for attempt := 0; attempt < 3; attempt++ {
		var pk []byte
		if !parent.HasHiddenKey() && hasSameCols(parent.PrimaryKey, cols) {
			pk = encodeKey(parent, cols, key, parent.PrimaryKey)
		} else {
			for i := range parent.Indexes {
				ix := &parent.Indexes[i]
				if !ix.Unique || !hasSameCols(ix.Columns, cols) {
					continue
				}
				v, err := t.getLatest(catalog.IndexBucket(ix.ID), encodeKey(parent, cols, key, ix.Columns))
				if err != nil {
					return nil, err
				}
				pk = append([]byte(nil), v...)
				break
			}
			if pk == nil {
				return nil, nil
			}
		}
		if lockIt {
			if _, err := e.acquire(txn.RowLockKey(tb, pk), lock.ForKeyShare, lock.Xact, lock.Wait,
				fmt.Sprintf("row in relation %q", parent.Name)); err != nil {
				return nil, err
			}
		}
		v, err := t.getLatest(tb, pk)
		if err != nil || v == nil {
			return nil, err
		}
		row, err := rowenc.DecodeRow(v, parent.Types())
		if err != nil {
			return nil, err
		}
		match := true
		for j, o := range cols {
			if row[o] == nil || string(rowenc.AppendKey(nil, row[o], parent.Columns[o].Type)) != string(rowenc.AppendKey(nil, key[j], parent.Columns[o].Type)) {
				match = false
			}
		}
		if match {
			return pk, nil
		}
		// Found by a unique index entry that changed under us: look again.
	}
	return nil, nil
}

func hasSameCols(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for _, c := range b {
		if !slices.Contains(a, c) {
			return false
		}
	}
	return true
}

// keyText renders "(a, b)=(1, 2)" for a DETAIL line.
func keyText(t *catalog.Table, cols []int, vals []Datum) string {
	var names, vs []string
	for j, o := range cols {
		names = append(names, t.Columns[o].Name)
		if vals[j] == nil {
			vs = append(vs, "null")
		} else {
			vs = append(vs, types.FormatText(vals[j], t.Columns[o].Type))
		}
	}
	return "(" + strings.Join(names, ", ") + ")=(" + strings.Join(vs, ", ") + ")"
}

func fkError(format string, args ...any) *pgerror.Error {
	return pgerror.Newf(pgerror.ForeignKeyViolation, format, args...)
}

// childViolation is the 23503 of a child row without its parent.
func childViolation(child *catalog.Table, fk *catalog.ForeignKey, parentName string, row []Datum) error {
	vals := make([]Datum, len(fk.Columns))
	for j, o := range fk.Columns {
		vals[j] = row[o]
	}
	pe := fkError("insert or update on table %q violates foreign key constraint %q", relBase(child.Name), fk.Name).
		WithDetail("Key %s is not present in table %q.", keyText(child, fk.Columns, vals), relBase(parentName))
	pe.ConstraintName = fk.Name
	setRelation(pe, child.Name)
	return pe
}

// checkChild checks that a written child row finds its parent.
func (e *env) checkChild(child *catalog.Table, fk *catalog.ForeignKey, row []Datum) error {
	nulls := 0
	for _, o := range fk.Columns {
		if row[o] == nil {
			nulls++
		}
	}
	if nulls > 0 {
		if fk.Match == "f" && nulls < len(fk.Columns) {
			pe := fkError("insert or update on table %q violates foreign key constraint %q", relBase(child.Name), fk.Name).
				WithDetail("MATCH FULL does not allow mixing of null and nonnull key values.")
			pe.ConstraintName = fk.Name
			setRelation(pe, child.Name)
			return pe
		}
		return nil
	}
	cat, err := e.txn.catalog()
	if err != nil {
		return err
	}
	parent := cat.TableByOID(fk.RefTable)
	if parent == nil {
		return pgerror.Newf(pgerror.InternalError, "foreign key %q references a missing table", fk.Name)
	}
	refOrds := refOrdinals(parent, fk)
	key, ok := parentKey(child, fk, parent, refOrds, row)
	if ok {
		pk, err := e.findParent(parent, refOrds, key, true)
		if err != nil {
			return err
		}
		if pk != nil {
			return nil
		}
	}
	return childViolation(child, fk, parent.Name, row)
}

// latestIter iterates bucket as the newest committed state and this
// transaction's writes show it.
func (t *Txn) latestIter(bucket []byte) (*txn.Iter, error) {
	ls, err := t.view.Latest()
	if err != nil {
		return nil, err
	}
	ob := t.ov.Bucket(bucket)
	var cur txn.Cursor
	if ob == nil || !ob.Dropped() {
		cur = t.shadowed(ob, ls.Cursor(bucket))
	}
	return txn.NewIter(cur, ob, nil, nil, false), nil
}

// parentChanged handles deleted/updated rows of a referenced table: each
// referencing table is scanned once for rows holding an old key.
func (e *env) parentChanged(parent *catalog.Table, evs []fkEvent) error {
	refs, err := e.referencedBy(parent)
	if err != nil {
		return err
	}
	// PostgreSQL fires a row's RI triggers in trigger name order, which
	// is the foreign keys' creation order.
	refs = slices.Clone(refs)
	slices.SortStableFunc(refs, func(a, b catalog.Reference) int { return cmp.Compare(a.FK.OID, b.FK.OID) })
	for _, r := range refs {
		refOrds := refOrdinals(parent, r.FK)
		// old key (encoded in the parent's types) -> event
		byKey := map[string]oldKey{}
		for i := range evs {
			ev := &evs[i]
			if ev.newRow != nil && sameKeyValues(parent, refOrds, ev.row, ev.newRow) {
				continue
			}
			vals := make([]Datum, len(refOrds))
			skip := false
			for j, o := range refOrds {
				if vals[j] = ev.row[o]; vals[j] == nil {
					skip = true
				}
			}
			if skip {
				continue
			}
			if r.FK.OnDelete == catalog.FKNoAction && ev.newRow == nil || r.FK.OnUpdate == catalog.FKNoAction && ev.newRow != nil {
				if e.txn.fkDeferred(r.FK) {
					e.deferParent(parent, r, ev)
					continue
				}
				// NO ACTION: fine when a row with the old key exists again.
				pk, err := e.findParent(parent, refOrds, vals, false)
				if err != nil {
					return err
				}
				if pk != nil {
					continue
				}
			}
			byKey[string(encodeKey(parent, refOrds, vals, refOrds))] = oldKey{vals: vals, ev: ev, seq: i}
		}
		if len(byKey) == 0 {
			continue
		}
		if err := e.actOnChildren(parent, r, refOrds, byKey); err != nil {
			return err
		}
	}
	return nil
}

type childHit struct {
	pk  []byte
	row []Datum
	ev  *fkEvent
}

// oldKey is a parent key that went away: its values (in refOrds order,
// the parent's types) and the event that removed it.
type oldKey struct {
	vals []Datum
	ev   *fkEvent
	seq  int // order of the events, for a deterministic first error
}

// actOnChildren finds the child rows referencing the old keys of byKey
// (keyed by encodeKey in the parent's types) and applies the foreign
// key's action to each: through an index of the child whose columns are
// the referencing columns when there is one (a lookup per key), else in
// one scan of the child table.
func (e *env) actOnChildren(parent *catalog.Table, r catalog.Reference, refOrds []int, byKey map[string]oldKey) error {
	child, fk := r.Child, r.FK
	var hits []childHit
	var err error
	if ix, isPK, ok := childKeyIndex(parent, child, fk, refOrds); ok {
		hits, err = e.childrenByIndex(child, fk, ix, isPK, byKey)
	} else {
		hits, err = e.childrenByScan(parent, child, fk, refOrds, byKey)
	}
	if err != nil {
		return err
	}
	for _, h := range hits {
		action := fk.OnDelete
		if h.ev.newRow != nil {
			action = fk.OnUpdate
		}
		if err := e.childAction(parent, child, fk, refOrds, action, h); err != nil {
			return err
		}
	}
	return nil
}

func (e *env) childrenByScan(parent, child *catalog.Table, fk *catalog.ForeignKey, refOrds []int, byKey map[string]oldKey) ([]childHit, error) {
	it, err := e.txn.latestIter(catalog.TableBucket(child.ID))
	if err != nil {
		return nil, err
	}
	typs := child.Types()
	var hits []childHit
	for k, v := it.Next(); k != nil; k, v = it.Next() {
		if err := e.checkCancel(); err != nil {
			return nil, err
		}
		row, err := rowenc.DecodeRow(v, typs)
		if err != nil {
			return nil, err
		}
		key, ok := parentKey(child, fk, parent, refOrds, row)
		if !ok {
			continue
		}
		if ok := byKey[string(encodeKey(parent, refOrds, key, refOrds))]; ok.ev != nil {
			hits = append(hits, childHit{pk: append([]byte(nil), k...), row: row, ev: ok.ev})
		}
	}
	return hits, nil
}

// childKeyIndex finds an index of child whose columns are exactly the
// referencing columns of fk (a secondary index), or whose leading columns
// are (the primary key), usable when each referencing column has the
// type of the column it references (the keys encode alike).
func childKeyIndex(parent, child *catalog.Table, fk *catalog.ForeignKey, refOrds []int) (ix []int, isPK, ok bool) {
	for j, o := range fk.Columns {
		if child.Columns[o].Type.Oid != parent.Columns[refOrds[j]].Type.Oid {
			return nil, false, false
		}
	}
	n := len(fk.Columns)
	if !child.HasHiddenKey() && len(child.PrimaryKey) >= n && hasSameCols(child.PrimaryKey[:n], fk.Columns) {
		return child.PrimaryKey[:n], true, true
	}
	for i := range child.Indexes {
		if cols := child.Indexes[i].Columns; len(cols) == n && hasSameCols(cols, fk.Columns) {
			return cols, false, true
		}
	}
	return nil, false, false
}

// childrenByIndex looks the old keys up in the child's index ix (column
// ordinals; the primary key's leading columns when isPK) in the newest
// committed state and this transaction's writes.
func (e *env) childrenByIndex(child *catalog.Table, fk *catalog.ForeignKey, ixCols []int, isPK bool, byKey map[string]oldKey) ([]childHit, error) {
	t := e.txn
	tb := catalog.TableBucket(child.ID)
	bucket := tb
	var unique bool
	if !isPK {
		for i := range child.Indexes {
			if slices.Equal(child.Indexes[i].Columns, ixCols) {
				bucket, unique = catalog.IndexBucket(child.Indexes[i].ID), child.Indexes[i].Unique
				break
			}
		}
	}
	typs := child.Types()
	var hits []childHit
	olds := make([]oldKey, 0, len(byKey))
	for _, old := range byKey {
		olds = append(olds, old)
	}
	slices.SortFunc(olds, func(a, b oldKey) int { return a.seq - b.seq })
	for _, old := range olds {
		prefix := encodeKey(child, fk.Columns, old.vals, ixCols)
		it, err := t.latestRange(bucket, prefix, rowenc.PrefixEnd(prefix))
		if err != nil {
			return nil, err
		}
		for k, v := it.Next(); k != nil; k, v = it.Next() {
			if err := e.checkCancel(); err != nil {
				return nil, err
			}
			var pk, rv []byte
			switch {
			case isPK:
				pk, rv = k, v
			case unique:
				pk = v
			default:
				pk = k[len(prefix):]
			}
			if rv == nil {
				if rv, err = t.getLatest(tb, pk); err != nil {
					return nil, err
				}
				if rv == nil {
					continue
				}
			}
			row, err := rowenc.DecodeRow(rv, typs)
			if err != nil {
				return nil, err
			}
			hits = append(hits, childHit{pk: append([]byte(nil), pk...), row: row, ev: old.ev})
		}
	}
	return hits, nil
}

// latestRange iterates the keys in [start, end) of bucket as the newest
// committed state and this transaction's writes show them.
func (t *Txn) latestRange(bucket, start, end []byte) (*txn.Iter, error) {
	ls, err := t.view.Latest()
	if err != nil {
		return nil, err
	}
	ob := t.ov.Bucket(bucket)
	var cur txn.Cursor
	if ob == nil || !ob.Dropped() {
		cur = t.shadowed(ob, ls.Cursor(bucket))
	}
	return txn.NewIter(cur, ob, start, end, false), nil
}

func (e *env) childAction(parent, child *catalog.Table, fk *catalog.ForeignKey, refOrds []int, action string, h childHit) error {
	stillReferenced := func() error {
		vals := make([]Datum, len(refOrds))
		for j, o := range refOrds {
			vals[j] = h.ev.row[o]
		}
		pe := fkError("update or delete on table %q violates foreign key constraint %q on table %q", relBase(parent.Name), fk.Name, relBase(child.Name)).
			WithDetail("Key %s is still referenced from table %q.", keyText(parent, refOrds, vals), relBase(child.Name))
		pe.ConstraintName = fk.Name
		setRelation(pe, child.Name)
		return pe
	}
	switch action {
	case catalog.FKNoAction, catalog.FKRestrict:
		return stillReferenced()
	}
	tb := catalog.TableBucket(child.ID)
	mode := lock.ForNoKeyUpdate
	if action == catalog.FKCascade && h.ev.newRow == nil {
		mode = lock.ForUpdate
	}
	if _, _, _, err := e.lockRow(child, tb, h.pk, mode, lock.Wait); err != nil {
		return err
	}
	v, err := e.txn.getLatest(tb, h.pk)
	if err != nil || v == nil {
		return err
	}
	old, err := rowenc.DecodeRow(v, child.Types())
	if err != nil {
		return err
	}
	if !sameKeyValues(child, fk.Columns, old, h.row) {
		return nil // changed meanwhile: no longer references the old key
	}
	if action == catalog.FKCascade && h.ev.newRow == nil {
		if err := deleteRow(e, child, old, h.pk); err != nil {
			return err
		}
		return e.queueParent(child, old, nil)
	}
	nr := append([]Datum(nil), old...)
	switch action {
	case catalog.FKCascade:
		for j, o := range fk.Columns {
			v, err := assign(h.ev.newRow[refOrds[j]], parent.Columns[refOrds[j]].Type, &child.Columns[o])
			if err != nil {
				return err
			}
			nr[o] = v
		}
	case catalog.FKSetNull:
		for _, o := range fk.Columns {
			nr[o] = nil
		}
	case catalog.FKSetDefault:
		defs, err := e.childDefaults(child)
		if err != nil {
			return err
		}
		for _, o := range fk.Columns {
			v, err := defs[o].fn(e, nil)
			if err != nil {
				return err
			}
			if nr[o], err = assign(v, defs[o].t, &child.Columns[o]); err != nil {
				return err
			}
		}
	}
	if sameKeyValues(child, fk.Columns, nr, old) {
		// The default is the deleted key: the row would still reference
		// it (PostgreSQL's ri_set re-check).
		return stillReferenced()
	}
	return writeRow(e, child, nr, old, h.pk)
}

type defsKey struct{ tbl *catalog.Table }

func (e *env) childDefaults(tbl *catalog.Table) ([]*cexpr, error) {
	if d, ok := e.cache[defsKey{tbl}].([]*cexpr); ok {
		return d, nil
	}
	cat, err := e.txn.catalog()
	if err != nil {
		return nil, err
	}
	b := &builder{eng: e.txn.eng, txn: e.txn, cat: cat}
	d, err := b.defaults(tbl)
	if err != nil {
		return nil, err
	}
	if e.cache == nil {
		e.cache = map[any]any{}
	}
	e.cache[defsKey{tbl}] = d
	return d, nil
}
