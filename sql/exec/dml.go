package exec

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/rowenc"
	"github.com/heliosdb/nano/sql/types"
)

// pkKey encodes the primary key of row.
func pkKey(tbl *catalog.Table, row []Datum) []byte {
	k := make([]byte, 0, 16) // an integer key (9 bytes) without regrowing
	for _, o := range tbl.PrimaryKey {
		k = rowenc.AppendKey(k, row[o], tbl.Columns[o].Type)
	}
	return k
}

// indexKey encodes an index entry key and value for row with primary key pk.
func indexKey(ix *catalog.Index, tbl *catalog.Table, row []Datum, pk []byte) (key, val []byte) {
	hasNull := false
	for _, o := range ix.Columns {
		if row[o] == nil {
			hasNull = true
		}
		key = rowenc.AppendKey(key, row[o], tbl.Columns[o].Type)
	}
	if ix.Unique && !hasNull {
		return key, pk
	}
	return append(key, pk...), []byte{}
}

func keyDetail(tbl *catalog.Table, cols []int, row []Datum) string {
	var names, vals []string
	for _, o := range cols {
		names = append(names, tbl.Columns[o].Name)
		if row[o] == nil {
			vals = append(vals, "null")
		} else {
			vals = append(vals, types.FormatText(row[o], tbl.Columns[o].Type))
		}
	}
	return fmt.Sprintf("Key (%s)=(%s) already exists.", strings.Join(names, ", "), strings.Join(vals, ", "))
}

func uniqueViolation(tbl *catalog.Table, name string, cols []int, row []Datum) error {
	e := pgerror.Newf(pgerror.UniqueViolation, "duplicate key value violates unique constraint %q", name).
		WithDetail("%s", keyDetail(tbl, cols, row))
	e.ConstraintName = name
	setRelation(e, tbl.Name)
	return e
}

// putIndexEntry writes row's entry in ix. A unique entry is locked first
// and checked against the newest committed state, so an inserter of the
// same value waits for this transaction and the check never misses an
// in-flight one.
func putIndexEntry(e *env, tbl *catalog.Table, ix *catalog.Index, row []Datum, pk []byte) error {
	t := e.txn
	k, v := indexKey(ix, tbl, row, pk)
	b := catalog.IndexBucket(ix.ID)
	if ix.Unique && len(v) > 0 {
		if err := e.lockKey(tbl, b, k); err != nil {
			return err
		}
		old, err := t.getLatest(b, k)
		if err != nil {
			return err
		}
		if old != nil && string(old) != string(pk) {
			return uniqueViolation(tbl, ix.Name, ix.Columns, row)
		}
	}
	if err := t.ssiWrite(b, k); err != nil {
		return err
	}
	t.ov.Put(b, k, v)
	return nil
}

// backfillIndexEntry writes an entry of an index created by this
// transaction: its bucket is private until commit, so no lock is needed.
func backfillIndexEntry(t *Txn, tbl *catalog.Table, ix *catalog.Index, row []Datum, pk []byte) error {
	k, v := indexKey(ix, tbl, row, pk)
	b := catalog.IndexBucket(ix.ID)
	if ix.Unique && len(v) > 0 && !t.ov.Absent(b, k) { // absent: a bucket written in key order needs no lookup
		if old := t.get(b, k); old != nil && string(old) != string(pk) {
			return uniqueViolation(tbl, ix.Name, ix.Columns, row)
		}
	}
	t.ov.Put(b, k, v)
	return nil
}

// freshRowID reports whether rows of tbl are keyed by the hidden row id:
// an inserted row's key was just handed out and no one else can hold it.
func freshRowID(tbl *catalog.Table) bool {
	return len(tbl.PrimaryKey) == 1 && tbl.Columns[tbl.PrimaryKey[0]].Hidden
}

// lockInsertKeys locks the primary key and the unique index entries row
// would take, so that findConflict sees the newest state of each.
func lockInsertKeys(e *env, tbl *catalog.Table, row []Datum, pk []byte) error {
	if !freshRowID(tbl) {
		if err := e.lockKey(tbl, catalog.TableBucket(tbl.ID), pk); err != nil {
			return err
		}
	}
	for i := range tbl.Indexes {
		ix := &tbl.Indexes[i]
		if !ix.Unique {
			continue
		}
		if k, v := indexKey(ix, tbl, row, pk); len(v) > 0 {
			if err := e.lockKey(tbl, catalog.IndexBucket(ix.ID), k); err != nil {
				return err
			}
		}
	}
	return nil
}

// findConflict returns the first unique constraint row violates in the
// newest committed state (the keys are locked: lockInsertKeys), with the
// existing row's key.
func findConflict(t *Txn, tbl *catalog.Table, row []Datum, pk []byte) (name string, existing []byte, err error) {
	v, err := t.getLatest(catalog.TableBucket(tbl.ID), pk)
	if err != nil || v != nil {
		return tbl.PKName, pk, err
	}
	for i := range tbl.Indexes {
		ix := &tbl.Indexes[i]
		if !ix.Unique {
			continue
		}
		k, v := indexKey(ix, tbl, row, pk)
		if len(v) == 0 {
			continue
		}
		old, err := t.getLatest(catalog.IndexBucket(ix.ID), k)
		if err != nil {
			return "", nil, err
		}
		if old != nil {
			return ix.Name, append([]byte(nil), old...), nil
		}
	}
	return "", nil, nil
}

// writeRow validates and stores a new row (insert when old == nil). The
// caller holds the lock of old's row; a new primary key is locked here.
func writeRow(e *env, tbl *catalog.Table, row, old []Datum, oldPK []byte) error {
	t := e.txn
	if err := checkRowConstraints(e, tbl, row); err != nil {
		return err
	}
	pk := pkKey(tbl, row)
	tb := e.tableBucket(tbl.ID)
	if old == nil || string(pk) != string(oldPK) {
		if !(old == nil && freshRowID(tbl)) {
			if err := e.lockKey(tbl, tb, pk); err != nil {
				return err
			}
		}
		v, err := t.getLatest(tb, pk)
		if err != nil {
			return err
		}
		if v != nil {
			return uniqueViolation(tbl, tbl.PKName, tbl.PrimaryKey, row)
		}
	}
	switch {
	case old == nil:
	case string(pk) == string(oldPK):
		// The put below replaces the row under the same key: only the
		// index entries of the old version go.
		if err := deleteIndexEntries(e, tbl, old, oldPK); err != nil {
			return err
		}
	default:
		if err := deleteRow(e, tbl, old, oldPK); err != nil {
			return err
		}
		t.recordMove(tb, oldPK, pk)
	}
	for i := range tbl.Indexes {
		if err := putIndexEntry(e, tbl, &tbl.Indexes[i], row, pk); err != nil {
			return err
		}
	}
	if err := t.ssiWrite(tb, pk); err != nil {
		return err
	}
	// pk and the encoded row are new and not written to again: the
	// overlay keeps them as they are.
	var typBuf [16]types.T
	typs := typBuf[:0]
	for i := range tbl.Columns {
		typs = append(typs, tbl.Columns[i].Type)
	}
	t.ov.PutOwned(tb, pk, rowenc.EncodeRow(make([]byte, 0, encodedRowSize(row)), row, typs))
	return e.queueWrite(tbl, row, old)
}

// encodedRowSize is a guess at the size of row encoded (rowenc.EncodeRow),
// large enough for most rows so that encoding allocates once.
func encodedRowSize(row []Datum) int {
	n := 8
	for _, d := range row {
		n += 10
		switch v := d.(type) {
		case string:
			n += len(v)
		case []byte:
			n += len(v)
		}
	}
	return n
}

// failingRow is the row as PostgreSQL's "Failing row contains (...)"
// detail prints it: the visible columns, NULL as null.
func failingRow(tbl *catalog.Table, row []Datum) string {
	var vals []string
	for i, c := range tbl.Columns {
		if c.Hidden {
			continue
		}
		if row[i] == nil {
			vals = append(vals, "null")
		} else {
			vals = append(vals, types.FormatText(row[i], c.Type))
		}
	}
	return "(" + strings.Join(vals, ", ") + ")"
}

// deleteRow deletes row (whose lock the caller holds) and its index
// entries; unique entries are locked so that an inserter of the same
// value waits for this transaction's outcome.
func deleteRow(e *env, tbl *catalog.Table, row []Datum, pk []byte) error {
	if err := deleteIndexEntries(e, tbl, row, pk); err != nil {
		return err
	}
	t := e.txn
	if err := t.ssiWrite(catalog.TableBucket(tbl.ID), pk); err != nil {
		return err
	}
	t.ov.Delete(catalog.TableBucket(tbl.ID), pk)
	t.recordDelete(catalog.TableBucket(tbl.ID), pk)
	return nil
}

// deleteIndexEntries deletes the index entries of row (deleteRow).
func deleteIndexEntries(e *env, tbl *catalog.Table, row []Datum, pk []byte) error {
	t := e.txn
	for i := range tbl.Indexes {
		ix := &tbl.Indexes[i]
		k, v := indexKey(ix, tbl, row, pk)
		if ix.Unique && len(v) > 0 {
			if err := e.lockKey(tbl, catalog.IndexBucket(ix.ID), k); err != nil {
				return err
			}
		}
		if err := t.ssiWrite(catalog.IndexBucket(ix.ID), k); err != nil {
			return err
		}
		t.ov.Delete(catalog.IndexBucket(ix.ID), k)
	}
	return nil
}

// lockForWrite locks the row old that an UPDATE/DELETE (or SELECT … FOR
// …) found in its snapshot. It returns the version to act on: old itself,
// the newest version when a transaction that committed since changed it
// and it still satisfies the WHERE clause (READ COMMITTED's
// EvalPlanQual), or nil to skip the row (deleted, no longer matching, or
// SKIP LOCKED). Under REPEATABLE READ and SERIALIZABLE a changed row is a
// 40001.
func lockForWrite(e *env, sp *scanPlan, old []Datum, mode lock.Mode, policy lock.Policy) ([]Datum, error) {
	tbl := sp.tbl
	tb := catalog.TableBucket(tbl.ID)
	st, lv, mv, err := e.lockRow(tbl, tb, pkKey(tbl, old), mode, policy)
	if err != nil {
		return nil, err
	}
	switch st {
	case rowSame:
		return old, nil
	case rowSkipped:
		return nil, nil
	}
	if e.txn.iso != ReadCommitted {
		return nil, errConcurrent(st == rowChanged && lv == nil)
	}
	// A row moved to another key by an UPDATE of its primary key: follow
	// it, as PostgreSQL follows the update chain (sql/txn's rowfate.go).
	for st == rowMoved {
		if st, lv, mv, err = e.followRow(tbl, tb, mv, mode, policy); err != nil || st == rowSkipped {
			return nil, err
		}
	}
	if lv == nil {
		return nil, nil
	}
	nr, err := rowenc.DecodeRow(lv, tbl.Types())
	if err != nil {
		return nil, pgerror.Wrapf(err, pgerror.DataCorrupted, "table %s", tbl.Name)
	}
	if sp.where != nil {
		ok, err := sp.where.fn(e, nr)
		if err != nil || ok != true {
			return nil, err
		}
	}
	return nr, nil
}

// updateMode is the row lock an UPDATE of columns sets takes: FOR UPDATE
// when it changes a key (primary or unique) column, else FOR NO KEY
// UPDATE, as in PostgreSQL.
func updateMode(tbl *catalog.Table, sets []int) lock.Mode {
	key := map[int]bool{}
	for _, o := range tbl.PrimaryKey {
		key[o] = true
	}
	for _, ix := range tbl.Indexes {
		if ix.Unique {
			for _, o := range ix.Columns {
				key[o] = true
			}
		}
	}
	for _, o := range sets {
		if key[o] {
			return lock.ForUpdate
		}
	}
	return lock.ForNoKeyUpdate
}

// defaults compiles the DEFAULT expressions of tbl.
func (b *builder) defaults(tbl *catalog.Table) ([]*cexpr, error) {
	out := make([]*cexpr, len(tbl.Columns))
	for i, c := range tbl.Columns {
		if c.Hidden {
			id := tbl.ID
			out[i] = &cexpr{t: types.Int8, colIdx: -1, fn: func(e *env, _ []Datum) (Datum, error) { return e.txn.nextRowID(id), nil }}
			continue
		}
		if c.Default == "" {
			out[i] = constExpr(nil, c.Type, "NULL")
			continue
		}
		n, bindErr, err := useDefault(&tbl.Columns[i], b.cat)
		if err != nil {
			return nil, err
		}
		if strings.Contains(c.Default, "nextval") {
			b.readOnly = false
		}
		if bindErr != nil {
			out[i] = &cexpr{t: c.Type, colIdx: -1, fn: func(*env, []Datum) (Datum, error) { return nil, bindErr }}
			continue
		}
		sb := *b
		sb.stmt = parser.Statement{}
		e, err := sb.compile(&scope{excluded: -1}, n, c.Type)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// assign converts v for storage in column c (assignment cast).
func assign(v Datum, from types.T, c *catalog.Column) (Datum, error) {
	if v == nil || from == c.Type {
		return v, nil
	}
	if s, ok := v.(string); ok && from.Family() == types.FamString && c.Type.Family() != types.FamString {
		return types.ParseText(c.Type, s)
	}
	// PostgreSQL allows assignment of any type to a string column (I/O
	// conversion) and between the date/time types.
	if c.Type.Family() == types.FamString || (planner.IsDateTime(from) && planner.IsDateTime(c.Type)) {
		return types.Cast(v, from, c.Type, false)
	}
	if from.IsArray() && c.Type.IsArray() {
		fe, _ := types.ElemOf(from)
		ce, _ := types.ElemOf(c.Type)
		if fe.Family() != ce.Family() && !(planner.IsNumeric(fe) && planner.IsNumeric(ce)) && ce.Family() != types.FamString {
			return nil, pgerror.Newf(pgerror.DatatypeMismatch, "column %q is of type %s but expression is of type %s", c.Name, c.Type, from).
				WithHint("You will need to rewrite or cast the expression.")
		}
		return types.Cast(v, from, c.Type, false)
	}
	if from.Family() != c.Type.Family() && !(planner.IsNumeric(from) && planner.IsNumeric(c.Type)) {
		return nil, pgerror.Newf(pgerror.DatatypeMismatch, "column %q is of type %s but expression is of type %s", c.Name, c.Type, from).
			WithHint("You will need to rewrite or cast the expression.")
	}
	explicit := planner.IsNumeric(from) && planner.IsNumeric(c.Type)
	return types.Cast(v, from, c.Type, explicit)
}

func (t *Txn) nextRowID(id uint32) int64 {
	e := t.eng
	e.mu.Lock()
	p := e.rowids[id]
	if p == nil {
		p = new(int64)
		c := t.baseFor(catalog.TableBucket(id), nil).Cursor(catalog.TableBucket(id))
		if k, _ := c.Last(); k != nil {
			if d, _, err := rowenc.DecodeKey(k, types.Int8); err == nil {
				*p = d.(int64)
			}
		}
		e.rowids[id] = p
	}
	e.mu.Unlock()
	return atomic.AddInt64(p, 1)
}

func (e *Engine) resetRowID(id uint32) {
	e.mu.Lock()
	delete(e.rowids, id)
	e.mu.Unlock()
}

// returning compiles a RETURNING list over the table's columns.
func (b *builder) returning(tbl *catalog.Table, alias string, list []*pg_query.Node) ([]*cexpr, []colInfo, error) {
	if len(list) == 0 {
		return nil, nil, nil
	}
	s := &scope{cols: tableCols(tbl, alias), excluded: -1}
	return b.buildTargets(s, list)
}

func project(e *env, exprs []*cexpr, row []Datum) ([]Datum, error) {
	out := make([]Datum, len(exprs))
	for i, x := range exprs {
		v, err := x.fn(e, row)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (b *builder) buildInsert(is *pg_query.InsertStmt) (runner, []colInfo, error) {
	if is.WithClause != nil {
		return nil, nil, pgerror.New(pgerror.FeatureNotSupported, "WITH is not supported")
	}
	tbl, err := b.lookupTable(is.Relation)
	if err != nil {
		return nil, nil, err
	}
	alias := tbl.Name
	if is.Relation.Alias != nil {
		alias = is.Relation.Alias.Aliasname
	}
	target, err := b.insertTargets(tbl, is.Cols)
	if err != nil {
		return nil, nil, err
	}
	src, target, err := b.insertSource(tbl, is, target)
	if err != nil {
		return nil, nil, err
	}
	ins := &inserter{tbl: tbl, src: src, target: target, srcCols: src.cols(), defaultMarks: defaultPositions(src)}
	if err := checkIdentityInsert(tbl, is, target, ins.defaultMarks); err != nil {
		return nil, nil, err
	}
	if ins.defs, err = b.defaults(tbl); err != nil {
		return nil, nil, err
	}
	ret, retCols, err := b.returning(tbl, alias, is.ReturningList)
	if err != nil {
		return nil, nil, err
	}
	ins.ret = ret
	if ins.oc, err = b.onConflict(tbl, alias, is.OnConflictClause); err != nil {
		return nil, nil, err
	}
	return fnRunner(ins.run), retCols, nil
}

// insertTargets resolves the INSERT's column list (all visible columns
// when it has none) to column ordinals.
func (b *builder) insertTargets(tbl *catalog.Table, cols []*pg_query.Node) ([]int, error) {
	var target []int
	if len(cols) == 0 {
		for i, c := range tbl.Columns {
			if !c.Hidden {
				target = append(target, i)
			}
		}
	}
	for _, cn := range cols {
		rt := cn.GetResTarget()
		i := tbl.ColumnIndex(rt.Name)
		if i < 0 || tbl.Columns[i].Hidden {
			return nil, b.errAt(pgerror.Newf(pgerror.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, tbl.Name), rt.Location)
		}
		target = append(target, i)
	}
	return target, nil
}

// insertSource plans the rows to insert (VALUES typed by the target
// columns, a query, or DEFAULT VALUES) and checks their width against the
// target list, which it returns (empty for DEFAULT VALUES).
func (b *builder) insertSource(tbl *catalog.Table, is *pg_query.InsertStmt, target []int) (plan, []int, error) {
	hints := make([]types.T, len(target))
	for i, o := range target {
		hints[i] = tbl.Columns[o].Type
	}
	var src plan
	var err error
	if is.SelectStmt == nil {
		src = &valuesPlan{rows: [][]*cexpr{{}}}
		target = nil
	} else if sel := is.SelectStmt.GetSelectStmt(); len(sel.ValuesLists) > 0 {
		src, err = b.buildValues(sel.ValuesLists, nil, hints)
	} else {
		src, err = b.buildSelect(sel, nil)
	}
	if err != nil {
		return nil, nil, err
	}
	if len(src.cols()) > len(target) {
		return nil, nil, pgerror.New(pgerror.SyntaxError, "INSERT has more expressions than target columns")
	}
	if len(is.Cols) > 0 && len(src.cols()) < len(target) {
		return nil, nil, pgerror.New(pgerror.SyntaxError, "INSERT has more target columns than expressions")
	}
	return src, target, nil
}

// inserter runs a planned INSERT.
type inserter struct {
	tbl          *catalog.Table
	src          plan
	target       []int     // column ordinal of each source column
	srcCols      []colInfo // the source's columns
	defaultMarks [][]bool  // VALUES items that are DEFAULT (nil: none)
	defs         []*cexpr  // each column's default
	ret          []*cexpr  // RETURNING (nil: none)
	oc           *onConflictPlan
}

// run inserts the rows. Without savepoints a failed INSERT aborts its
// transaction, so, like COPY, it writes without undo records
// (overlay.bulk): a 1000-row statement logged a record per row and index
// entry only to throw them away at commit.
func (ins *inserter) run(e *env) (c Cursor, err error) {
	err = e.txn.ov.Bulk(func() error {
		c, err = ins.insert(e)
		return err
	})
	return c, err
}

func (ins *inserter) insert(e *env) (Cursor, error) {
	in, err := startPlan(e, ins.src)
	if err != nil {
		return nil, err
	}
	defer in.close()
	var out [][]Datum
	n := 0
	for ri := 0; ; ri++ {
		if err := e.checkCancel(); err != nil {
			return nil, err
		}
		vals, err := in.next()
		if err != nil {
			return nil, err
		}
		if vals == nil {
			break
		}
		row, err := ins.buildRow(e, ri, vals)
		if err != nil {
			return nil, err
		}
		final, err := ins.oc.apply(e, ins.tbl, row)
		if err != nil {
			return nil, err
		}
		if final == nil {
			continue
		}
		n++
		if ins.ret != nil {
			r, err := project(e, ins.ret, final)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return &rowCursor{it: sliceIter(out), tag: "INSERT 0 " + strconv.Itoa(n)}, nil
}

// buildRow makes the table row for source row ri: the given values
// assignment-cast to their columns, defaults for the rest.
func (ins *inserter) buildRow(e *env, ri int, vals []Datum) ([]Datum, error) {
	tbl := ins.tbl
	ncols := len(tbl.Columns)
	row := make([]Datum, ncols)
	var setBuf [32]bool // most tables: no allocation
	var set []bool
	if ncols > len(setBuf) {
		set = make([]bool, ncols)
	} else {
		set = setBuf[:ncols]
	}
	var err error
	for i, v := range vals {
		o := ins.target[i]
		if ins.defaultMarks != nil && ins.defaultMarks[ri][i] {
			continue
		}
		if row[o], err = assign(v, ins.srcCols[i].typ, &tbl.Columns[o]); err != nil {
			return nil, err
		}
		set[o] = true
	}
	for i := range row {
		if !set[i] {
			v, err := ins.defs[i].fn(e, nil)
			if err != nil {
				return nil, err
			}
			if row[i], err = assign(v, ins.defs[i].t, &tbl.Columns[i]); err != nil {
				return nil, err
			}
		}
	}
	return row, nil
}

// defaultPositions marks VALUES items that are DEFAULT; nil when there
// are none.
func defaultPositions(p plan) [][]bool {
	vp, ok := p.(*valuesPlan)
	if !ok || !slices.ContainsFunc(vp.rows, func(row []*cexpr) bool {
		return slices.ContainsFunc(row, func(c *cexpr) bool { return c.colIdx == -2 })
	}) {
		return nil
	}
	out := make([][]bool, len(vp.rows))
	for r, row := range vp.rows {
		out[r] = make([]bool, len(row))
		for i, c := range row {
			out[r][i] = c.colIdx == -2
		}
	}
	return out
}

// onConflictPlan handles ON CONFLICT; the zero value inserts plainly.
type onConflictPlan struct {
	action pg_query.OnConflictAction
	cols   []int
	sets   []int
	exprs  []*cexpr
	where  *cexpr
}

func (b *builder) onConflict(tbl *catalog.Table, alias string, oc *pg_query.OnConflictClause) (*onConflictPlan, error) {
	p := &onConflictPlan{}
	if oc == nil {
		return p, nil
	}
	p.action = oc.Action
	if oc.Infer != nil {
		for _, el := range oc.Infer.IndexElems {
			i := tbl.ColumnIndex(el.GetIndexElem().Name)
			if i < 0 {
				return nil, pgerror.Newf(pgerror.UndefinedColumn, "column %q does not exist", el.GetIndexElem().Name)
			}
			p.cols = append(p.cols, i)
		}
	}
	if oc.Action != pg_query.OnConflictAction_ONCONFLICT_UPDATE {
		return p, nil
	}
	if len(p.cols) == 0 {
		return nil, pgerror.New(pgerror.SyntaxError, "ON CONFLICT DO UPDATE requires inference specification or constraint name")
	}
	cols := tableCols(tbl, alias)
	ex := tableCols(tbl, "excluded")
	s := &scope{cols: append(cols, ex...), excluded: len(cols)}
	for _, tn := range oc.TargetList {
		rt := tn.GetResTarget()
		i := tbl.ColumnIndex(rt.Name)
		if i < 0 {
			return nil, pgerror.Newf(pgerror.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, tbl.Name)
		}
		e, err := b.compile(s, rt.Val, tbl.Columns[i].Type)
		if err != nil {
			return nil, err
		}
		p.sets = append(p.sets, i)
		p.exprs = append(p.exprs, e)
	}
	if oc.WhereClause != nil {
		w, err := b.compile(s, oc.WhereClause, types.Bool)
		if err != nil {
			return nil, err
		}
		p.where = w
	}
	return p, nil
}

// apply inserts row or resolves its conflict; it returns the row written,
// or nil when nothing was written.
func (p *onConflictPlan) apply(e *env, tbl *catalog.Table, row []Datum) ([]Datum, error) {
	if p.action == pg_query.OnConflictAction_ONCONFLICT_NONE || p.action == pg_query.OnConflictAction_ON_CONFLICT_ACTION_UNDEFINED {
		return row, writeRow(e, tbl, row, nil, nil)
	}
	t := e.txn
	pk := pkKey(tbl, row)
	if err := lockInsertKeys(e, tbl, row, pk); err != nil {
		return nil, err
	}
	name, existing, err := findConflict(t, tbl, row, pk)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return row, writeRow(e, tbl, row, nil, nil)
	}
	tb := catalog.TableBucket(tbl.ID)
	// The conflicting row is locked (its key, or the unique entry pointing
	// at it) and final. REPEATABLE READ cannot act on a row its snapshot
	// does not show as it is now.
	st, _, _, err := e.lockRow(tbl, tb, existing, lock.ForUpdate, lock.Wait)
	if err != nil {
		return nil, err
	}
	if t.iso != ReadCommitted && (st != rowSame || t.get(tb, existing) == nil) {
		return nil, errConcurrent(false)
	}
	if p.action == pg_query.OnConflictAction_ONCONFLICT_NOTHING {
		return nil, nil
	}
	oldVal, err := t.getLatest(tb, existing)
	if err != nil {
		return nil, err
	}
	if oldVal == nil {
		return row, writeRow(e, tbl, row, nil, nil)
	}
	old, err := rowenc.DecodeRow(oldVal, tbl.Types())
	if err != nil {
		return nil, err
	}
	both := append(append([]Datum(nil), old...), row...)
	if p.where != nil {
		v, err := p.where.fn(e, both)
		if err != nil || v != true {
			return nil, err
		}
	}
	nr := append([]Datum(nil), old...)
	for i, o := range p.sets {
		v, err := p.exprs[i].fn(e, both)
		if err != nil {
			return nil, err
		}
		if nr[o], err = assign(v, p.exprs[i].t, &tbl.Columns[o]); err != nil {
			return nil, err
		}
	}
	return nr, writeRow(e, tbl, nr, old, existing)
}

// dmlScan plans the row source of UPDATE/DELETE.
func (b *builder) dmlScan(rv *pg_query.RangeVar, where *pg_query.Node) (plan, error) {
	p, err := b.buildRangeVar(rv)
	if err != nil {
		return nil, err
	}
	sp, ok := p.(*scanPlan)
	if !ok {
		return nil, pgerror.Newf(pgerror.WrongObjectType, "cannot modify %q", rv.Relname)
	}
	if where != nil {
		s := (&scope{cols: sp.columns, excluded: -1}).trackReads()
		return b.buildWhere(sp, s, where)
	}
	return sp, nil
}

// dmlSource is what an UPDATE or DELETE reads: the target's rows, alone
// or joined with its FROM / USING list.
type dmlSource struct {
	src   plan      // rows to change: the target's columns first
	sp    *scanPlan // the target table, for row locks
	width int       // the target's columns in a src row
	s     *scope    // SET, RETURNING and the WHERE clause see these columns
	where *cexpr    // the whole WHERE on a joined row (nil without FROM: sp rechecks it)
	join  bool      // FROM / USING: a target row may come several times
}

// buildDMLSource plans the rows an UPDATE (from = its FROM list) or a
// DELETE (its USING list) changes. With a list, the target is joined with
// it as in SELECT … FROM target, list WHERE …, and the target's columns
// come first in each row.
func (b *builder) buildDMLSource(rv *pg_query.RangeVar, from []*pg_query.Node, where *pg_query.Node) (*dmlSource, error) {
	if len(from) == 0 {
		src, err := b.dmlScan(rv, where)
		if err != nil {
			return nil, err
		}
		sp := src.(*scanPlan)
		return &dmlSource{src: sp, sp: sp, width: len(sp.columns), s: &scope{cols: sp.columns, excluded: -1}}, nil
	}
	t, err := b.buildRangeVar(rv)
	if err != nil {
		return nil, err
	}
	sp, ok := t.(*scanPlan)
	if !ok {
		return nil, pgerror.Newf(pgerror.WrongObjectType, "cannot modify %q", rv.Relname)
	}
	if err := b.lateralSeesNoTarget(rv, from); err != nil {
		return nil, err
	}
	items := append([]*pg_query.Node{{Node: &pg_query.Node_RangeVar{RangeVar: rv}}}, from...)
	src, s, err := b.buildFromWhere(items, where, nil)
	if err != nil {
		return nil, err
	}
	d := &dmlSource{src: src, sp: sp, width: len(sp.columns), s: s, join: true}
	if where != nil {
		if d.where, err = b.compile(s, where, types.Bool); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// lateralSeesNoTarget fails as PostgreSQL does when a LATERAL item of an
// UPDATE's FROM (or a DELETE's USING) list names the target table: the
// target is joined with the list, but is not one of its items, so a LATERAL
// subquery cannot see it (42P10 invalid reference to FROM-clause entry).
// It plans the list alone when it has a LATERAL item.
func (b *builder) lateralSeesNoTarget(rv *pg_query.RangeVar, from []*pg_query.Node) error {
	if !anyLateral(from) {
		return nil
	}
	saved := len(b.params)
	defer func() { b.params = b.params[:saved] }()
	_, _, err := b.buildFromWhere(from, nil, nil)
	if err == nil {
		return nil
	}
	name := rv.Relname
	if rv.Alias != nil {
		name = rv.Alias.Aliasname
	}
	var pe *pgerror.Error
	if errors.As(err, &pe) && pe.Code == pgerror.UndefinedTable && pe.Message == fmt.Sprintf("missing FROM-clause entry for table %q", name) {
		out := pgerror.Newf(pgerror.InvalidColumnReference, "invalid reference to FROM-clause entry for table %q", name).
			WithHint("There is an entry for table %q, but it cannot be referenced from this part of the query.", name)
		out.Position = pe.Position
		return out
	}
	return err
}

// anyLateral reports whether a FROM list has a LATERAL subquery or
// function, at any depth of its joins.
func anyLateral(items []*pg_query.Node) bool {
	for _, n := range items {
		switch {
		case n.GetRangeSubselect() != nil:
			if n.GetRangeSubselect().Lateral {
				return true
			}
		case n.GetRangeFunction() != nil:
			return true // a function in FROM may refer to the items before it
		case n.GetJoinExpr() != nil:
			if anyLateral([]*pg_query.Node{n.GetJoinExpr().Larg, n.GetJoinExpr().Rarg}) {
				return true
			}
		}
	}
	return false
}

// rows runs the source and locks each target row it yields (waiting).
// fn gets each target row once, in the version it changes, and the whole
// row (the target's new version joined with the FROM row). Under READ
// COMMITTED a target row changed by a transaction that committed while we
// waited is taken in its newest version when it still meets the WHERE
// clause (rechecked with the same FROM row, as PostgreSQL's EvalPlanQual
// does), and skipped when it does not or was deleted.
func (d *dmlSource) rows(e *env, mode lock.Mode, fn func(old, full []Datum) error) error {
	rows, err := drain(e, d.src)
	if err != nil {
		return err
	}
	var seen map[string]bool
	if d.join {
		seen = map[string]bool{}
	}
	tbl := d.sp.tbl
	for _, row := range rows {
		old := row[:d.width]
		if seen != nil {
			k := string(pkKey(tbl, old))
			if seen[k] {
				continue // PostgreSQL changes a row once, with one of its matches
			}
			seen[k] = true
		}
		cur, err := lockForWrite(e, d.sp, old, mode, lock.Wait)
		if err != nil {
			return err
		}
		if cur == nil {
			continue
		}
		full := cur
		if d.join && sameRow(cur, old) {
			full = row
		} else if d.join {
			full = append(append(make([]Datum, 0, len(row)), cur...), row[d.width:]...)
			if d.where != nil {
				ok, err := d.where.fn(e, full)
				if err != nil {
					return err
				}
				if ok != true {
					continue
				}
			}
		}
		if err := fn(cur, full); err != nil {
			return err
		}
	}
	return nil
}

// sameRow tells whether lockForWrite gave back the row it was given.
func sameRow(a, b []Datum) bool { return len(a) > 0 && len(b) > 0 && &a[0] == &b[0] }

func (b *builder) buildUpdate(us *pg_query.UpdateStmt) (runner, []colInfo, error) {
	r, cols, _, err := b.buildUpdateFrom(us)
	return r, cols, err
}

// buildUpdateFrom plans an UPDATE and gives the rows it reads as well
// (EXPLAIN ANALYZE shows them).
func (b *builder) buildUpdateFrom(us *pg_query.UpdateStmt) (runner, []colInfo, *dmlSource, error) {
	d, err := b.buildDMLSource(us.Relation, us.FromClause, us.WhereClause)
	if err != nil {
		return nil, nil, nil, err
	}
	tbl, s := d.sp.tbl, d.s
	var sets []int
	var exprs []*cexpr
	for _, tn := range us.TargetList {
		rt := tn.GetResTarget()
		i := tbl.ColumnIndex(rt.Name)
		if i < 0 || tbl.Columns[i].Hidden {
			return nil, nil, nil, b.errAt(pgerror.Newf(pgerror.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, tbl.Name), rt.Location)
		}
		var e *cexpr
		if rt.Val.GetSetToDefault() != nil {
			defs, err := b.defaults(tbl)
			if err != nil {
				return nil, nil, nil, err
			}
			e = defs[i]
		} else if len(rt.Indirection) > 0 {
			if e, err = b.compileSubscriptAssign(s, i, tbl.Columns[i].Type, rt.Indirection, rt.Val); err != nil {
				return nil, nil, nil, err
			}
		} else if e, err = b.compile(s, rt.Val, tbl.Columns[i].Type); err != nil {
			return nil, nil, nil, err
		}
		sets = append(sets, i)
		exprs = append(exprs, e)
	}
	ret, retCols, err := b.dmlReturning(d, us.ReturningList)
	if err != nil {
		return nil, nil, nil, err
	}
	mode := updateMode(tbl, sets)
	return fnRunner(func(e *env) (Cursor, error) {
		var out [][]Datum
		n := 0
		err := d.rows(e, mode, func(old, full []Datum) error {
			n++
			nr := append([]Datum(nil), old...)
			for i, o := range sets {
				v, err := exprs[i].fn(e, full)
				if err != nil {
					return err
				}
				if nr[o], err = assign(v, exprs[i].t, &tbl.Columns[o]); err != nil {
					return err
				}
			}
			if err := writeRow(e, tbl, nr, old, pkKey(tbl, old)); err != nil {
				return err
			}
			if ret != nil {
				r, err := project(e, ret, d.joined(nr, full))
				if err != nil {
					return err
				}
				out = append(out, r)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return &rowCursor{it: sliceIter(out), tag: "UPDATE " + strconv.Itoa(n)}, nil
	}), retCols, d, nil
}

// dmlReturning compiles a RETURNING list: over the target's columns, and
// with FROM / USING over the joined row as well (RETURNING * is then every
// column of the join, as in PostgreSQL).
func (b *builder) dmlReturning(d *dmlSource, list []*pg_query.Node) ([]*cexpr, []colInfo, error) {
	if !d.join {
		return b.returning(d.sp.tbl, d.sp.alias, list)
	}
	if len(list) == 0 {
		return nil, nil, nil
	}
	return b.buildTargets(d.s, list)
}

// joined is the row RETURNING sees: the target's new version, then the
// FROM row.
func (d *dmlSource) joined(nr, full []Datum) []Datum {
	if !d.join {
		return nr
	}
	return append(append(make([]Datum, 0, len(full)), nr...), full[d.width:]...)
}

func (b *builder) buildDelete(ds *pg_query.DeleteStmt) (runner, []colInfo, error) {
	r, cols, _, err := b.buildDeleteUsing(ds)
	return r, cols, err
}

// buildDeleteUsing plans a DELETE and gives the rows it reads as well
// (EXPLAIN ANALYZE shows them).
func (b *builder) buildDeleteUsing(ds *pg_query.DeleteStmt) (runner, []colInfo, *dmlSource, error) {
	d, err := b.buildDMLSource(ds.Relation, ds.UsingClause, ds.WhereClause)
	if err != nil {
		return nil, nil, nil, err
	}
	tbl := d.sp.tbl
	ret, retCols, err := b.dmlReturning(d, ds.ReturningList)
	if err != nil {
		return nil, nil, nil, err
	}
	return fnRunner(func(e *env) (Cursor, error) {
		var out [][]Datum
		n := 0
		err := d.rows(e, lock.ForUpdate, func(old, full []Datum) error {
			n++
			if err := deleteRow(e, tbl, old, pkKey(tbl, old)); err != nil {
				return err
			}
			if err := e.queueParent(tbl, old, nil); err != nil {
				return err
			}
			if ret != nil {
				r, err := project(e, ret, d.joined(old, full))
				if err != nil {
					return err
				}
				out = append(out, r)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return &rowCursor{it: sliceIter(out), tag: "DELETE " + strconv.Itoa(n)}, nil
	}), retCols, d, nil
}
