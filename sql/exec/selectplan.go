package exec

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// buildSelect plans a SELECT; outer is the enclosing scope (nil at top).
func (b *builder) buildSelect(sel *pg_query.SelectStmt, outer *scope) (plan, error) {
	frames := b.foldFrames
	b.foldFrames = nil // a subquery's expressions are whole expressions of their own
	defer func() { b.foldFrames = frames }()
	exists := b.existsQuery
	b.existsQuery = false
	if sel.WithClause != nil {
		restore, err := b.pushWith(sel.WithClause, outer)
		if err != nil {
			return nil, err
		}
		defer restore()
	}
	if sel.Op != pg_query.SetOperation_SETOP_NONE {
		if len(sel.LockingClause) > 0 {
			return nil, b.checkSelectLocking(sel)
		}
		return b.buildSetOp(sel, outer)
	}
	if len(sel.ValuesLists) > 0 {
		vp, err := b.buildValues(sel.ValuesLists, outer, nil)
		if err != nil {
			return nil, err
		}
		return b.orderAndLimit(vp, sel, outer)
	}
	if sel.IntoClause != nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "SELECT INTO is not supported")
	}
	if len(sel.LockingClause) > 0 {
		b.readOnly = false
	}
	from, s, err := b.buildFromWhere(sel.FromClause, sel.WhereClause, outer)
	if err != nil {
		return nil, err
	}
	if len(sel.LockingClause) > 0 {
		if err := b.checkSelectLocking(sel); err != nil {
			return nil, err
		}
		leaves, conj := b.fromLeaves, b.fromConj
		ls, err := b.lockSpecOf(leaves, len(from.cols()), sel.LockingClause)
		if err != nil {
			return nil, err
		}
		if len(ls.targets) > 1 && len(conj) > 0 {
			var conds []*cexpr
			for _, n := range conj {
				c, err := b.compile(s, n, types.Bool)
				if err != nil {
					return nil, err
				}
				conds = append(conds, c)
			}
			ls.recheck = andExprs(conds)
		}
		for _, t := range ls.targets {
			b.needTableLock(t.sp.tbl.Name, lock.RowShare)
		}
		if len(ls.targets) > 0 {
			b.lockRows = ls
		}
	}
	if exists && existsDropsTargets(sel) {
		// PostgreSQL runs EXISTS (SELECT a / b FROM t) without its select
		// list, ORDER BY, DISTINCT and LIMIT (simplify_EXISTS_query):
		// nothing of them is folded or evaluated (it is true on a row
		// where b = 0). They are bound for their errors only.
		folded := b.foldErr
		_, err := b.buildOutput(from, s, sel)
		b.foldErr = folded
		if err != nil {
			return nil, err
		}
		return from, nil
	}
	ps := s
	if b.needsAgg(sel) {
		if from, ps, err = b.buildAgg(from, s, sel); err != nil {
			return nil, err
		}
	}
	if from, ps, err = b.buildWindow(from, ps, sel); err != nil {
		return nil, err
	}

	return b.buildOutput(from, ps, sel)
}

// existsDropsTargets reports whether PostgreSQL's simplify_EXISTS_query
// drops the select list of sel, the query of an EXISTS: not when it
// groups, aggregates, calls window or set-returning functions in its
// select list, has OFFSET, a LIMIT other than a positive constant (or
// NULL/ALL), or locks rows.
func existsDropsTargets(sel *pg_query.SelectStmt) bool {
	if len(sel.LockingClause) > 0 || sel.LimitOffset != nil || len(sel.GroupClause) > 0 || sel.HavingClause != nil {
		return false
	}
	if l := sel.LimitCount; l != nil {
		c := l.GetAConst()
		if c == nil || !c.Isnull && (c.GetIval() == nil || c.GetIval().Ival <= 0) {
			return false
		}
	}
	isAgg := func(fc *pg_query.FuncCall) bool {
		return fc.Over != nil || planner.IsAggregate(lastName(fc.Funcname)) || isSRFCall(fc)
	}
	for _, t := range sel.TargetList {
		if hasCall(t, isAgg) {
			return false
		}
	}
	return true
}

// lockSpec is the row locking of SELECT … FOR UPDATE | NO KEY UPDATE |
// SHARE | KEY SHARE [OF table, …] [NOWAIT | SKIP LOCKED]: the stored
// tables of the FROM list it locks (all of them, or those named by OF),
// each with its strongest mode and wait policy.
type lockSpec struct {
	targets []lockTarget
	width   int // columns of the FROM row
	// recheck, over the FROM row, is re-evaluated when a locked row of a
	// join was replaced by its newest version (a single table's WHERE is
	// re-checked by lockForWrite).
	recheck *cexpr
}

// lockTarget is one table whose rows a SELECT locks: its scan and its
// first column in the FROM row.
type lockTarget struct {
	sp     *scanPlan
	off    int
	mode   lock.Mode
	policy lock.Policy
}

var lockStrengths = map[pg_query.LockClauseStrength]lock.Mode{
	pg_query.LockClauseStrength_LCS_FORKEYSHARE: lock.ForKeyShare, pg_query.LockClauseStrength_LCS_FORSHARE: lock.ForShare,
	pg_query.LockClauseStrength_LCS_FORNOKEYUPDATE: lock.ForNoKeyUpdate, pg_query.LockClauseStrength_LCS_FORUPDATE: lock.ForUpdate,
}

// lockClauseName is PostgreSQL's LCS_asString of the first clause.
func lockClauseName(clauses []*pg_query.Node) string {
	for _, n := range clauses {
		if lc := n.GetLockingClause(); lc != nil {
			switch lc.Strength {
			case pg_query.LockClauseStrength_LCS_FORKEYSHARE:
				return "FOR KEY SHARE"
			case pg_query.LockClauseStrength_LCS_FORSHARE:
				return "FOR SHARE"
			case pg_query.LockClauseStrength_LCS_FORNOKEYUPDATE:
				return "FOR NO KEY UPDATE"
			}
			break
		}
	}
	return "FOR UPDATE"
}

// checkSelectLocking is PostgreSQL's CheckSelectLocking: the clauses a
// row-locking SELECT cannot have (its rows would not be table rows).
func (b *builder) checkSelectLocking(sel *pg_query.SelectStmt) error {
	name := lockClauseName(sel.LockingClause)
	bad := func(what string) error {
		return pgerror.Newf(pgerror.FeatureNotSupported, "%s is not allowed with %s", name, what)
	}
	switch {
	case sel.Op != pg_query.SetOperation_SETOP_NONE:
		return bad("UNION/INTERSECT/EXCEPT")
	case len(sel.DistinctClause) > 0:
		return bad("DISTINCT clause")
	case len(sel.GroupClause) > 0:
		return bad("GROUP BY clause")
	case sel.HavingClause != nil:
		return bad("HAVING clause")
	case b.needsAgg(sel):
		return bad("aggregate functions")
	}
	for _, t := range sel.TargetList {
		if hasWindowCall(t) {
			return bad("window functions")
		}
	}
	return nil
}

// lockSpecOf resolves a SELECT's locking clauses against the relations
// of its FROM list (leaves; nil when they are not known: an outer join,
// whose rows are not locked).
func (b *builder) lockSpecOf(leaves []fromLeaf, width int, clauses []*pg_query.Node) (*lockSpec, error) {
	ls := &lockSpec{width: width}
	idx := map[*scanPlan]int{}
	apply := func(l fromLeaf, mode lock.Mode, wp pg_query.LockWaitPolicy) {
		if l.sp == nil {
			return
		}
		i, ok := idx[l.sp]
		if !ok {
			i = len(ls.targets)
			idx[l.sp] = i
			ls.targets = append(ls.targets, lockTarget{sp: l.sp, off: l.off, mode: mode})
		}
		t := &ls.targets[i]
		if mode > t.mode {
			t.mode = mode
		}
		// PostgreSQL keeps the strongest policy: NOWAIT over SKIP LOCKED
		// over waiting.
		switch {
		case wp == pg_query.LockWaitPolicy_LockWaitError:
			t.policy = lock.NoWait
		case wp == pg_query.LockWaitPolicy_LockWaitSkip && t.policy != lock.NoWait:
			t.policy = lock.SkipLocked
		}
	}
	for _, n := range clauses {
		lc := n.GetLockingClause()
		if lc == nil {
			continue
		}
		mode := lockStrengths[lc.Strength]
		if len(lc.LockedRels) == 0 {
			for _, l := range leaves {
				apply(l, mode, lc.WaitPolicy)
			}
			continue
		}
		for _, rn := range lc.LockedRels {
			rv := rn.GetRangeVar()
			if rv == nil {
				continue
			}
			found := false
			for _, l := range leaves {
				if l.sp != nil && l.sp.alias == rv.Relname || l.sp == nil && len(l.cols) > 0 && l.cols[0].table == rv.Relname {
					apply(l, mode, lc.WaitPolicy)
					found = true
				}
			}
			if !found && leaves != nil {
				return nil, b.errAt(pgerror.Newf(pgerror.UndefinedTable, "relation %q in %s clause not found in FROM clause",
					rv.Relname, lockClauseName([]*pg_query.Node{n})), rv.Location)
			}
		}
	}
	return ls, nil
}

// lockRowsPlan locks each row that reaches it (PostgreSQL's LockRows:
// above ORDER BY, below LIMIT, so SKIP LOCKED … LIMIT n takes n free
// rows). Its input rows carry the FROM row after the base first columns;
// the first base columns are exprs over that row, recomputed when a
// locked table's row in it is replaced by a newer version (lockForWrite).
type lockRowsPlan struct {
	in    plan
	spec  *lockSpec
	exprs []*cexpr
	base  int
}

func (p *lockRowsPlan) cols() []colInfo { return p.in.cols() }
func (p *lockRowsPlan) explain(x *explainer, depth int) {
	x.add(depth, "LockRows")
	x.child(p.in, depth+1)
}

func (p *lockRowsPlan) start(e *env) (iter, error) {
	in, err := startPlan(e, p.in)
	if err != nil {
		return nil, err
	}
	return &funcIter{nx: func() ([]Datum, error) {
	rows:
		for {
			row, err := in.next()
			if err != nil || row == nil {
				return row, err
			}
			full := row[p.base : p.base+p.spec.width]
			changed := false
			for _, t := range p.spec.targets {
				old := full[t.off : t.off+len(t.sp.tbl.Columns)]
				cur, err := lockForWrite(e, t.sp, old, t.mode, t.policy)
				if err != nil {
					return nil, err
				}
				if cur == nil {
					continue rows
				}
				if len(cur) > 0 && &cur[0] == &old[0] {
					continue
				}
				if !changed {
					full = append([]Datum(nil), full...)
					changed = true
				}
				copy(full[t.off:], cur)
			}
			if !changed {
				return row, nil
			}
			if p.spec.recheck != nil && len(p.spec.targets) > 1 {
				ok, err := p.spec.recheck.fn(e, full)
				if err != nil {
					return nil, err
				}
				if ok != true {
					continue
				}
			}
			out := make([]Datum, len(row))
			for i := 0; i < p.base; i++ {
				if out[i], err = p.exprs[i].fn(e, full); err != nil {
					return nil, err
				}
			}
			copy(out[p.base:], full)
			return out, nil
		}
	}, cl: in.close}, nil
}

func (b *builder) buildWhere(from plan, s *scope, where *pg_query.Node) (plan, error) {
	cond, err := b.compile(s, where, types.Bool)
	if err != nil {
		return nil, err
	}
	if cond.t.Family() != types.FamBool && !cond.unknown {
		return nil, pgerror.Newf(pgerror.DatatypeMismatch, "argument of WHERE must be type boolean, not type %s", cond.t)
	}
	if sp, ok := from.(*scanPlan); ok {
		sp.where = cond
		folded := b.foldErr // the conjuncts are compiled again: the whole's rule holds
		rest, err := b.chooseAccess(sp, s, b.conjunctsOf(s, where, cond))
		if err != nil {
			return nil, err
		}
		sp.setFilter(rest, s)
		b.foldErr = folded
		return sp, nil
	}
	return &filterPlan{in: from, cond: cond}, nil
}

// conjunctsOf is conjuncts of n, whose whole compiled as c: one part
// when c is a constant — a clause PostgreSQL folds whole (a = 1 AND (false
// AND b = 1/0) is false) is not split into parts evaluated apart.
func (b *builder) conjunctsOf(s *scope, n *pg_query.Node, c *cexpr) []*pg_query.Node {
	if c.isConst {
		return []*pg_query.Node{n}
	}
	return b.conjuncts(s, n)
}

// conjuncts compiles the AND-ed parts of a WHERE clause separately.
func (b *builder) conjuncts(s *scope, n *pg_query.Node) []*pg_query.Node {
	if be := n.GetBoolExpr(); be != nil && be.Boolop == pg_query.BoolExprType_AND_EXPR {
		var out []*pg_query.Node
		for _, a := range be.Args {
			out = append(out, b.conjuncts(s, a)...)
		}
		return out
	}
	return []*pg_query.Node{n}
}

// buildFrom plans the FROM list (comma = cross join).
func (b *builder) buildFrom(items []*pg_query.Node, outer *scope) (plan, error) {
	if len(items) == 0 {
		return &valuesPlan{rows: [][]*cexpr{{}}}, nil
	}
	var cur plan
	for _, it := range items {
		if rf := it.GetRangeFunction(); rf != nil {
			p, err := b.buildRangeFunction(rf, outer, cur)
			if err != nil {
				return nil, err
			}
			cur = p
			continue
		}
		if rs := it.GetRangeSubselect(); rs != nil && rs.Lateral && cur != nil {
			right, _, err := b.buildLateralItem(it, cur, outer)
			if err != nil {
				return nil, err
			}
			cur = newLateralPlan(cur, right, pg_query.JoinType_JOIN_INNER)
			continue
		}
		if it.GetJoinExpr() != nil && cur != nil && hasLateral(it) {
			p, err := b.buildLateralJoinItem(it, cur, outer)
			if err != nil {
				return nil, err
			}
			cur = p
			continue
		}
		p, err := b.buildFromItem(it, outer)
		if err != nil {
			return nil, err
		}
		if cur == nil {
			cur = p
		} else {
			cur = newJoinPlan(cur, p, pg_query.JoinType_JOIN_INNER)
		}
	}
	return cur, nil
}

func (b *builder) buildFromItem(n *pg_query.Node, outer *scope) (plan, error) {
	switch v := n.Node.(type) {
	case *pg_query.Node_RangeVar:
		return b.buildRangeVar(v.RangeVar)
	case *pg_query.Node_JoinExpr:
		return b.buildJoin(v.JoinExpr, outer)
	case *pg_query.Node_RangeFunction:
		return b.buildRangeFunction(v.RangeFunction, outer, nil)
	case *pg_query.Node_RangeSubselect:
		// LATERAL with nothing before it is an ordinary subquery
		p, err := b.buildSelect(v.RangeSubselect.Subquery.GetSelectStmt(), outer)
		if err != nil {
			return nil, err
		}
		alias := ""
		if v.RangeSubselect.Alias != nil {
			alias = v.RangeSubselect.Alias.Aliasname
		}
		return renamePlan(p, alias, v.RangeSubselect.Alias)
	}
	return nil, pgerror.Newf(pgerror.FeatureNotSupported, "FROM item %s is not supported", nodeName(n))
}

// renamePlan re-qualifies a subquery's columns with its alias.
func renamePlan(p plan, alias string, a *pg_query.Alias) (plan, error) {
	cols := append([]colInfo(nil), p.cols()...)
	if err := aliasColumns(cols, alias, a); err != nil {
		return nil, err
	}
	return &aliasPlan{in: p, columns: cols}, nil
}

// aliasColumns qualifies cols with alias and renames the visible ones
// (not hidden, not a USING side's copy) by the alias's column list, which
// may not be longer than they are (42P10).
func aliasColumns(cols []colInfo, alias string, a *pg_query.Alias) error {
	k := 0
	for i := range cols {
		cols[i].table = alias
		if cols[i].usingDup {
			// a USING side's copy is out of reach past the alias (the
			// alias's x is the merged column)
			cols[i].table = ""
			continue
		}
		if cols[i].hidden {
			continue
		}
		if a != nil && k < len(a.Colnames) {
			cols[i].name = strVal(a.Colnames[k])
		}
		k++
	}
	if a != nil && len(a.Colnames) > k {
		return pgerror.Newf(pgerror.InvalidColumnReference, "table %q has %d columns available but %d columns specified", alias, k, len(a.Colnames))
	}
	return nil
}

type aliasPlan struct {
	in      plan
	columns []colInfo
	label   string // EXPLAIN's node name; "" = Subquery Scan
}

func (p *aliasPlan) cols() []colInfo            { return p.columns }
func (p *aliasPlan) start(e *env) (iter, error) { return startPlan(e, p.in) }
func (p *aliasPlan) explain(x *explainer, depth int) {
	if p.label != "" {
		x.add(depth, p.label)
	} else {
		x.add(depth, "Subquery Scan")
	}
	x.child(p.in, depth+1)
}

func (b *builder) lookupTable(rv *pg_query.RangeVar) (*catalog.Table, error) {
	t, ok := b.cat.Tables[rv.Relname]
	if !ok && b.cat.Views[rv.Relname] != nil {
		return nil, b.errAt(pgerror.Newf(pgerror.WrongObjectType, "%q is not a table", rv.Relname), rv.Location)
	}
	if !ok || rv.Schemaname != "" && rv.Schemaname != "public" {
		name := rv.Relname
		if rv.Schemaname != "" {
			name = rv.Schemaname + "." + name
		}
		return nil, b.errAt(pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", name), rv.Location)
	}
	return t, nil
}

func (b *builder) buildRangeVar(rv *pg_query.RangeVar) (plan, error) {
	alias := rv.Relname
	if rv.Alias != nil {
		alias = rv.Alias.Aliasname
	}
	if p, err := b.systemRelation(rv, alias); p != nil || err != nil {
		return p, err
	}
	if d := b.findCTE(rv); d != nil {
		return b.expandCTE(d, alias, rv.Alias)
	}
	if v := b.cat.Views[rv.Relname]; v != nil {
		return b.expandView(v, alias, rv.Alias)
	}
	if vt, ok := b.eng.cfg.VirtualTables[rv.Relname]; ok && b.cat.Tables[rv.Relname] == nil {
		return newVirtualPlan(vt, alias), nil
	}
	t, err := b.lookupTable(rv)
	if err != nil {
		return nil, err
	}
	b.noteDep(t.Name)
	if !b.dmlTarget.Is(rv) { // a read, not the DML target
		b.require(t.Name, catalog.PrivSelect)
		b.needTableLock(t.Name, lock.AccessShare)
	}
	cols := tableCols(t, alias)
	if err := aliasColumns(cols, alias, rv.Alias); err != nil {
		return nil, err
	}
	for i := range cols {
		if c := t.Columns[i].Name; cols[i].name != c {
			cols[i].origName = c
		}
	}
	return &scanPlan{tbl: t, alias: alias, columns: cols}, nil
}

func tableCols(t *catalog.Table, alias string) []colInfo {
	cols := make([]colInfo, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = colInfo{table: alias, name: c.Name, typ: c.Type, tableOID: t.OID, attNum: int16(i + 1), hidden: c.Hidden,
			notNull: c.Hidden || c.NotNull}
	}
	return cols
}

// buildOutput adds the select list and the output operators above it, in
// the order planner.OutputSteps gives: DISTINCT, ORDER BY (or the primary
// key order of a scan), DISTINCT ON, row locks, LIMIT/OFFSET, and the trim
// of the hidden columns the sort keys and row locks added.
func (b *builder) buildOutput(from plan, s *scope, sel *pg_query.SelectStmt) (plan, error) {
	from, s = b.buildSRFProject(from, s, sel.TargetList)
	exprs, cols, err := b.buildTargets(s, sel.TargetList)
	if err != nil {
		return nil, err
	}
	o := &outputCols{exprs: exprs, cols: cols, visible: len(exprs)}
	var keys []planner.SortKey
	for _, sn := range sel.SortClause {
		sb := sn.GetSortBy()
		idx, err := b.sortTarget(s, sb.Node, o, "ORDER BY")
		if err != nil {
			return nil, err
		}
		k := planner.SortKey{Col: idx}
		k.Desc, k.NullsFirst = planner.SortOf(sb)
		keys = append(keys, k)
	}
	lk := b.lockRows
	b.lockRows = nil
	base := len(o.exprs)
	if lk != nil {
		for i, c := range from.cols() {
			idx := i
			o.exprs = append(o.exprs, &cexpr{t: c.typ, s: c.name, colIdx: -1, fn: func(_ *env, row []Datum) (Datum, error) { return row[idx], nil }})
			c.hidden = true
			o.cols = append(o.cols, c)
		}
	}
	distinct := planner.DistinctOf(sel)
	if sp, ok := from.(*scanPlan); ok && distinct == planner.DistinctNone && keyOrderedScan(sp) {
		if ordered, backward := planner.KeyOrdered(o.inputKeys(keys), sp.tbl.PrimaryKey); ordered {
			sp.reverse = backward
			keys = nil
		}
	}
	var on []int
	if distinct == planner.DistinctOn {
		if on, keys, err = b.distinctOn(s, sel, o, keys); err != nil {
			return nil, err
		}
	}
	shape := planner.OutputShape{Distinct: distinct, Sort: len(keys) > 0, LockRows: lk != nil,
		Limit: sel.LimitCount != nil || sel.LimitOffset != nil, Hidden: len(o.exprs) > o.visible}
	var out plan
	for _, step := range planner.OutputSteps(shape) {
		switch step {
		case planner.StepProject:
			out = &projectPlan{in: from, exprs: o.exprs, columns: o.cols}
		case planner.StepDistinct:
			if keys, err = planner.DistinctSortKeys(keys, o.visible, o.same); err != nil {
				return nil, err
			}
			out = &distinctPlan{in: out, n: o.visible}
		case planner.StepSort:
			out = &sortPlan{in: out, keys: o.sortKeys(keys)}
		case planner.StepUnique:
			out = &distinctOnPlan{in: out, on: on}
		case planner.StepLockRows:
			out = &lockRowsPlan{in: out, spec: lk, exprs: o.exprs[:base], base: base}
		case planner.StepLimit:
			if out, err = b.buildLimit(out, s, sel); err != nil {
				return nil, err
			}
		case planner.StepTrim:
			out = &trimPlan{in: out, n: o.visible}
		}
	}
	return out, nil
}

// outputCols are the select list's compiled expressions and columns, the
// hidden ones (sort expressions, locked rows) after the first visible.
type outputCols struct {
	exprs   []*cexpr
	cols    []colInfo
	visible int
}

// names are the visible output columns' names, for
// planner.ResolveOrderItem.
func (o *outputCols) names() []string {
	out := make([]string, o.visible)
	for i, c := range o.cols[:o.visible] {
		out[i] = c.name
	}
	return out
}

// same reports whether output columns i and j are the same expression
// written twice: the same input column, or the same display text and type.
func (o *outputCols) same(i, j int) bool {
	a, b := o.exprs[i], o.exprs[j]
	if a.colIdx >= 0 && a.colIdx == b.colIdx {
		return true
	}
	return a.s != "" && a.s == b.s && a.t == b.t
}

// inputKeys restates sort keys over output columns as keys over the input
// columns they are (-1: not a plain input column), for planner.KeyOrdered.
func (o *outputCols) inputKeys(keys []planner.SortKey) []planner.SortKey {
	in := make([]planner.SortKey, len(keys))
	for i, k := range keys {
		in[i] = k
		in[i].Col = o.exprs[k.Col].colIdx
	}
	return in
}

// sortKeys are the sort plan's keys, with their EXPLAIN text.
func (o *outputCols) sortKeys(keys []planner.SortKey) []sortKey {
	out := make([]sortKey, len(keys))
	for i, k := range keys {
		out[i] = sortKey{idx: k.Col, desc: k.Desc, nullsFirst: k.NullsFirst, s: o.exprs[k.Col].s,
			bpchar: o.exprs[k.Col].t.Oid == types.OidBpchar}
	}
	return out
}

// keyOrderedScan reports whether sp reads its table in primary key order
// (a whole or key-range scan, not an index or an IN list).
func keyOrderedScan(sp *scanPlan) bool {
	return sp.index == nil && (sp.rng == nil || sp.rng.in == nil)
}

// buildLimit adds LIMIT/OFFSET above out.
func (b *builder) buildLimit(out plan, s *scope, sel *pg_query.SelectStmt) (plan, error) {
	lp := &limitPlan{in: out}
	var err error
	if sel.LimitCount != nil {
		if lp.limit, err = b.compile(s, sel.LimitCount, types.Int8); err != nil {
			return nil, err
		}
	}
	if sel.LimitOffset != nil {
		if lp.offset, err = b.compile(s, sel.LimitOffset, types.Int8); err != nil {
			return nil, err
		}
	}
	return lp, nil
}

type trimPlan struct {
	in plan
	n  int
}

func (p *trimPlan) cols() []colInfo                 { return p.in.cols()[:p.n] }
func (p *trimPlan) explain(x *explainer, depth int) { x.child(p.in, depth) }
func (p *trimPlan) start(e *env) (iter, error) {
	in, err := startPlan(e, p.in)
	if err != nil {
		return nil, err
	}
	return &funcIter{nx: func() ([]Datum, error) {
		row, err := in.next()
		if row != nil {
			row = row[:p.n]
		}
		return row, err
	}, cl: in.close}, nil
}

// sortTarget resolves an ORDER BY or DISTINCT ON (clause) item to an
// output column (planner.ResolveOrderItem: a position, an output name), or
// compiles it over the input and appends it as a hidden column.
func (b *builder) sortTarget(s *scope, n *pg_query.Node, o *outputCols, clause string) (int, error) {
	it := planner.ItemOf(n)
	idx, perr := planner.ResolveOrderItem(clause, it, o.names(), o.same)
	if perr != nil {
		return 0, b.errAt(perr, it.Loc)
	}
	if idx >= 0 {
		return idx, nil
	}
	e, err := b.compile(s, n, types.Unknown)
	if err != nil {
		return 0, err
	}
	o.exprs = append(o.exprs, e)
	o.cols = append(o.cols, colInfo{name: "?sort?", typ: e.t})
	return len(o.exprs) - 1, nil
}

// buildTargets compiles the select list, expanding *.
func (b *builder) buildTargets(s *scope, targets []*pg_query.Node) ([]*cexpr, []colInfo, error) {
	var exprs []*cexpr
	var cols []colInfo
	for _, tn := range targets {
		rt := tn.GetResTarget()
		if cr, table, ok := starRef(rt); ok {
			if s.agg != nil {
				es, cs, err := b.starOverGroups(s, table, cr.Location)
				if err != nil {
					return nil, nil, err
				}
				exprs, cols = append(exprs, es...), append(cols, cs...)
				continue
			}
			n := 0
			for i, c := range s.cols {
				if !c.inStar(table) {
					continue
				}
				idx := i
				exprs = append(exprs, &cexpr{t: c.typ, s: c.name, colIdx: i, fn: func(_ *env, row []Datum) (Datum, error) { return row[idx], nil }})
				cols = append(cols, c)
				n++
			}
			if n == 0 && table != "" && !s.hasTable(table) {
				return nil, nil, b.errAt(pgerror.Newf(pgerror.UndefinedTable, "missing FROM-clause entry for table %q", table), cr.Location)
			}
			if len(s.cols) == 0 && s.agg == nil {
				return nil, nil, pgerror.New(pgerror.SyntaxError, "SELECT * with no tables specified is not valid")
			}
			continue
		}
		if recNode, ok := starIndirection(rt.Val); ok {
			es, cs, err := b.expandRecordStar(s, recNode)
			if err != nil {
				return nil, nil, err
			}
			exprs, cols = append(exprs, es...), append(cols, cs...)
			continue
		}
		e, err := b.compile(s, rt.Val, types.Unknown)
		if err != nil {
			return nil, nil, err
		}
		lit := e.unknown
		if e.unknown {
			e = coerce(e, types.Text)
			e.t = types.Text
		}
		ci := colInfo{name: rt.Name, typ: e.t, lit: lit}
		if e.colIdx >= 0 && s.agg == nil {
			src := s.cols[e.colIdx]
			ci.tableOID, ci.attNum = src.tableOID, src.attNum
			if ci.name == "" {
				ci.name = src.name
			}
		}
		if ci.name == "" {
			ci.name = planner.ColumnLabel(rt.Val)
		}
		exprs = append(exprs, e)
		cols = append(cols, ci)
	}
	return exprs, cols, nil
}

func (b *builder) buildValues(lists []*pg_query.Node, outer *scope, hints []types.T) (plan, error) {
	s := &scope{parent: outer, excluded: -1}
	p := &valuesPlan{rows: make([][]*cexpr, 0, len(lists))}
	var cells []*cexpr // the rows are carved from it: one allocation, not one per row
	var lits []cexpr   // the plain literals' expressions (literalCell), likewise
	if len(lists) > 0 {
		cells = make([]*cexpr, 0, len(lists)*len(lists[0].GetList().GetItems()))
	}
	for _, l := range lists {
		items := l.GetList().Items
		if len(p.rows) > 0 && len(items) != len(p.rows[0]) {
			return nil, pgerror.New(pgerror.SyntaxError, "VALUES lists must all be the same length")
		}
		var row []*cexpr
		if cap(cells)-len(cells) >= len(items) {
			row = cells[len(cells) : len(cells)+len(items) : len(cells)+len(items)]
			cells = cells[:len(cells)+len(items)]
		} else {
			row = make([]*cexpr, len(items))
		}
		for i, it := range items {
			h := types.Unknown
			if i < len(hints) {
				h = hints[i]
			}
			if it.GetSetToDefault() != nil {
				row[i] = &cexpr{t: h, s: "DEFAULT", colIdx: -2, fn: func(*env, []Datum) (Datum, error) { return nil, nil }}
				continue
			}
			if len(lits) == cap(lits) {
				lits = make([]cexpr, 0, max(cap(cells)-len(cells)+len(items), 16))
			}
			if c := &lits[:len(lits)+1][len(lits)]; b.literalCell(it, h, c) {
				lits = lits[:len(lits)+1]
				row[i] = c
				continue
			}
			e, err := b.compile(s, it, h)
			if err != nil {
				return nil, err
			}
			row[i] = e
		}
		p.rows = append(p.rows, row)
	}
	for i := range p.rows[0] {
		t, err := b.valuesColumnType(p.rows, i, hints)
		if err != nil {
			return nil, err
		}
		p.columns = append(p.columns, colInfo{name: "column" + strconv.Itoa(i+1), typ: t})
	}
	return p, nil
}

// literalCell sets *c to what b.compile makes of VALUES item it, a plain
// literal of its column's type hint — an integer for an int4 or int8
// column, a quoted string for text or varchar without a length, NULL for
// any — without the binder's Const in between (planner.BindConst,
// compileConst, and for int8 coerce's cast of the int4 constant); ok is
// false for anything else, c untouched. A 1000-row INSERT compiled three
// allocations per value and spelled each again for its display; the
// expressions now come from one slab (buildValues) and the display is the
// statement's own text when that is how BindConst spells the value.
//
// The expression is read only as a constant (isConst and val:
// valuesPlan.start); fn, the one other way to read it, is never called
// because its type is the column's (valuesColumnType does not coerce it),
// and fails rather than give another value if it ever is.
func (b *builder) literalCell(it *pg_query.Node, hint types.T, c *cexpr) bool {
	ac := it.GetAConst()
	if ac == nil {
		return false
	}
	if ac.Isnull {
		if hint.Oid == types.OidUnknown {
			return false
		}
		*c = cexpr{t: hint, s: "NULL", isConst: true, colIdx: -1, fn: constNull}
		return true
	}
	var d Datum
	var disp string
	switch v := ac.Val.(type) {
	case *pg_query.A_Const_Ival:
		if hint != types.Int4 && hint != types.Int8 {
			return false
		}
		n := int64(v.Ival.Ival)
		if disp = digitsOf(b.stmt.SourceAt(ac.Location), n); disp == "" {
			disp = strconv.FormatInt(n, 10)
		}
		d = n
	case *pg_query.A_Const_Sval:
		if hint != types.Text && hint != types.Varchar {
			return false
		}
		str := v.Sval.Sval
		if disp = quotedOf(b.stmt.SourceAt(ac.Location), str); disp == "" {
			disp = "'" + strings.ReplaceAll(str, "'", "''") + "'"
		}
		d = str
	default:
		return false
	}
	*c = cexpr{t: hint, s: disp, isConst: true, val: d, colIdx: -1, fn: constCell}
	return true
}

// digitsOf is the start of src when it is n in decimal as
// strconv.FormatInt spells it (no sign, no leading zero); "" otherwise.
func digitsOf(src string, n int64) string {
	j := 0
	var v int64
	for j < len(src) && j < 19 && src[j] >= '0' && src[j] <= '9' {
		v = v*10 + int64(src[j]-'0')
		j++
	}
	if j == 0 || j > 1 && src[0] == '0' || v != n || j < len(src) && src[j] >= '0' && src[j] <= '9' {
		return ""
	}
	return src[:j]
}

// quotedOf is the start of src when it is s quoted as BindConst displays
// it and s has no quote to double; "" otherwise.
func quotedOf(src, s string) string {
	if len(src) < len(s)+2 || src[0] != '\'' || src[len(s)+1] != '\'' || src[1:len(s)+1] != s ||
		strings.IndexByte(s, '\'') >= 0 {
		return ""
	}
	return src[:len(s)+2]
}

// constNull is the evaluation of a NULL constant.
func constNull(*env, []Datum) (Datum, error) { return nil, nil }

// constCell is the evaluation of literalCell's constants, which are read
// as constants only.
func constCell(*env, []Datum) (Datum, error) {
	return nil, pgerror.New(pgerror.InternalError, "a VALUES constant was evaluated as an expression")
}

func (b *builder) buildSetOp(sel *pg_query.SelectStmt, outer *scope) (plan, error) {
	l, err := b.buildSelect(sel.Larg, outer)
	if err != nil {
		return nil, err
	}
	r, err := b.buildSelect(sel.Rarg, outer)
	if err != nil {
		return nil, err
	}
	lc, rc := l.cols(), r.cols()
	if len(lc) != len(rc) {
		return nil, pgerror.Newf(pgerror.SyntaxError, "each %s query must have the same number of columns", setOpName(sel.Op))
	}
	ts, err := setOpTypes(lc, rc, setOpName(sel.Op))
	if err != nil {
		return nil, err
	}
	sp := &setOpPlan{left: l, right: r, op: sel.Op, all: sel.All, types: ts}
	sp.out = append([]colInfo(nil), lc...) // a plan's cols() may share its slice
	for i := range sp.out {
		sp.out[i].table, sp.out[i].tableOID, sp.out[i].attNum = "", 0, 0
		sp.out[i].lit = false
		sp.out[i].typ = sp.types[i]
	}
	return b.orderAndLimit(sp, sel, outer)
}

// orderAndLimit applies the ORDER BY, LIMIT and OFFSET of a set operation or
// VALUES list to its result.
func (b *builder) orderAndLimit(out plan, sel *pg_query.SelectStmt, outer *scope) (plan, error) {
	if len(sel.SortClause) == 0 && sel.LimitCount == nil && sel.LimitOffset == nil {
		return out, nil
	}
	// A name the output has twice (SELECT NULL, NULL … UNION …) is
	// re-projected under an internal name so that it is not ambiguous;
	// ORDER BY that name stays ambiguous, as in PostgreSQL.
	cols := append([]colInfo(nil), out.cols()...)
	seen := map[string]int{}
	for _, c := range cols {
		seen[c.name]++
	}
	wrapper := &pg_query.SelectStmt{SortClause: sel.SortClause, LimitCount: sel.LimitCount, LimitOffset: sel.LimitOffset}
	for i, c := range cols {
		t := colRefTarget(c.name, i)
		if seen[c.name] > 1 {
			cols[i].name = c.name + "\x00" + strconv.Itoa(i)
			t = colRefTarget(cols[i].name, i)
			t.GetResTarget().Name = c.name
		}
		wrapper.TargetList = append(wrapper.TargetList, t)
	}
	s := &scope{cols: cols, parent: outer, excluded: -1}
	return b.buildOutput(out, s, wrapper)
}

// setOpTypes resolves each output column of a set operation to the common
// type of its two sides, as PostgreSQL's select_common_type does (1 UNION
// 2.5 is numeric). An untyped literal or NULL of a side's select list
// (typed text for output, colInfo.lit) adopts the other side's type: SELECT
// NULL UNION SELECT 1 is integer, and SELECT 'a' UNION SELECT 1 fails on 'a'
// (22P02) when its rows are cast. Types of different categories fail with
// 42804 "UNION types integer and text cannot be matched".
func setOpTypes(l, r []colInfo, what string) ([]types.T, error) {
	ts := make([]types.T, len(l))
	for i := range l {
		a := &cexpr{t: l[i].typ, unknown: l[i].lit}
		c := &cexpr{t: r[i].typ, unknown: r[i].lit}
		t, err := unifyTypes([]*cexpr{a, c}, what)
		if err != nil {
			return nil, err
		}
		ts[i] = t
	}
	return ts, nil
}

func colRefTarget(name string, _ int) *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_ResTarget{ResTarget: &pg_query.ResTarget{
		Val: &pg_query.Node{Node: &pg_query.Node_ColumnRef{ColumnRef: &pg_query.ColumnRef{
			Fields: []*pg_query.Node{{Node: &pg_query.Node_String_{String_: &pg_query.String{Sval: name}}}}}}}}}}
}

func setOpName(op pg_query.SetOperation) string {
	switch op {
	case pg_query.SetOperation_SETOP_UNION:
		return "UNION"
	case pg_query.SetOperation_SETOP_INTERSECT:
		return "INTERSECT"
	}
	return "EXCEPT"
}

type setOpPlan struct {
	left, right plan
	op          pg_query.SetOperation
	all         bool
	types       []types.T // of the output columns (setOpTypes)
	// out: the output columns, computed once (computing them on every
	// cols() call walked the whole chain of a UNION of thousands).
	out []colInfo
}

func (p *setOpPlan) cols() []colInfo { return append([]colInfo(nil), p.out...) }

// castRows converts a side's rows to the output column types.
func castRows(rows [][]Datum, from []colInfo, to []colInfo) error {
	for _, r := range rows {
		for i := range r {
			if r[i] == nil || from[i].typ == to[i].typ {
				continue
			}
			v, err := types.Cast(r[i], from[i].typ, to[i].typ, false)
			if err != nil {
				return err
			}
			r[i] = v
		}
	}
	return nil
}
func (p *setOpPlan) explain(x *explainer, depth int) {
	x.add(depth, map[bool]string{true: "Append", false: "HashSetOp " + setOpName(p.op)}[p.op == pg_query.SetOperation_SETOP_UNION])
	x.child(p.left, depth+1)
	x.child(p.right, depth+1)
}

// startUnion streams the left rows, then the right ones cast to the
// result's types; UNION (not ALL) removes duplicates with the spilling
// hash DISTINCT.
func (p *setOpPlan) startUnion(e *env) (iter, error) {
	cols := p.cols()
	lt, rt := p.left.cols(), p.right.cols()
	var cur iter
	side := 0
	u := &funcIter{nx: func() ([]Datum, error) {
		for {
			if cur == nil {
				var err error
				switch side {
				case 0:
					cur, err = startPlan(e, p.left)
				case 1:
					cur, err = startPlan(e, p.right)
				default:
					return nil, nil
				}
				if err != nil {
					return nil, err
				}
			}
			row, err := cur.next()
			if err != nil {
				return nil, err
			}
			if row == nil {
				cur.close()
				cur = nil
				side++
				continue
			}
			from := lt
			if side == 1 {
				from = rt
			}
			return castRow(row, from, cols)
		}
	}, cl: func() {
		if cur != nil {
			cur.close()
		}
	}}
	if p.all {
		return u, nil
	}
	d := newHashDistinct(e, iterAdapter{u}, cols, len(cols), 0)
	return &funcIter{nx: d.next, cl: func() { d.close(); u.close() }}, nil
}

// castRow converts a row of either side of a set operation to the result's
// column types (a copy when anything changes); a value that does not convert
// is an error (SELECT 1 UNION SELECT 'a': 22P02).
func castRow(r []Datum, from, to []colInfo) ([]Datum, error) {
	out := r
	for i := range r {
		if r[i] != nil && from[i].typ != to[i].typ {
			v, err := types.Cast(r[i], from[i].typ, to[i].typ, false)
			if err != nil {
				return nil, err
			}
			if &out[0] == &r[0] {
				out = append([]Datum(nil), r...)
			}
			out[i] = v
		}
	}
	return out, nil
}

func (p *setOpPlan) start(e *env) (iter, error) {
	if p.op == pg_query.SetOperation_SETOP_UNION {
		return p.startUnion(e)
	}
	lrows, err := drain(e, p.left)
	if err != nil {
		return nil, err
	}
	rrows, err := drain(e, p.right)
	if err != nil {
		return nil, err
	}
	cols := p.cols()
	n := len(cols)
	if err := castRows(lrows, p.left.cols(), cols); err != nil {
		return nil, err
	}
	if err := castRows(rrows, p.right.cols(), cols); err != nil {
		return nil, err
	}
	var out [][]Datum
	switch p.op {
	case pg_query.SetOperation_SETOP_UNION:
		out = append(lrows, rrows...)
		if !p.all {
			out = dedupe(out, cols, n)
		}
	default:
		counts := map[string]int{}
		for _, r := range rrows {
			counts[rowKey(r, cols, n)]++
		}
		inter := p.op == pg_query.SetOperation_SETOP_INTERSECT
		if !p.all {
			lrows = dedupe(lrows, cols, n)
		}
		for _, r := range lrows {
			k := rowKey(r, cols, n)
			c := counts[k]
			if inter == (c > 0) {
				out = append(out, r)
			}
			if p.all && c > 0 {
				counts[k]--
			}
		}
	}
	return sliceIter(out), nil
}

func dedupe(rows [][]Datum, cols []colInfo, n int) [][]Datum {
	seen := map[string]bool{}
	out := rows[:0:0]
	for _, r := range rows {
		k := rowKey(r, cols, n)
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

// valuesColumnType types column i of a VALUES list and coerces every row to
// it. Under INSERT (hints), each value is assignment-cast to the target
// column's type on its own, as PostgreSQL does; otherwise the rows are
// unified.
func (b *builder) valuesColumnType(rows [][]*cexpr, i int, hints []types.T) (types.T, error) {
	if i < len(hints) && hints[i].Oid != types.OidUnknown {
		t := hints[i]
		for r := range rows {
			e := rows[r][i]
			if e.colIdx == -2 || e.t == t {
				continue
			}
			if !assignable(e.t, t) {
				return t, pgerror.Newf(pgerror.DatatypeMismatch, "column %d of VALUES is of type %s but the target column is of type %s", i+1, e.t, t).
					WithHint("You will need to rewrite or cast the expression.")
			}
			rows[r][i] = coerce(e, t)
		}
		return t, nil
	}
	col := make([]*cexpr, len(rows))
	for r := range rows {
		col[r] = rows[r][i]
	}
	t, err := unifyTypes(col, "VALUES")
	if err != nil {
		return t, err
	}
	for r := range rows {
		if rows[r][i].colIdx != -2 {
			if rows[r][i], err = coerceUnified(rows[r][i], t); err != nil {
				return t, err
			}
		}
	}
	return t, nil
}

// assignable reports whether PostgreSQL has an assignment cast from f to t.
func assignable(f, t types.T) bool {
	if f.IsArray() && t.IsArray() {
		fe, _ := types.ElemOf(f)
		te, _ := types.ElemOf(t)
		return assignable(fe, te)
	}
	switch {
	case f.Oid == types.OidUnknown, f.Family() == t.Family(), t.Family() == types.FamString:
		return true
	case planner.IsNumeric(f) && planner.IsNumeric(t), planner.IsDateTime(f) && planner.IsDateTime(t):
		return true
	}
	return false
}

// distinctOn resolves the DISTINCT ON expressions (appending hidden
// columns as ORDER BY does) and returns the output columns they occupy
// and the sort keys to use (planner.DistinctOnKeys checks them against
// the ORDER BY keys).
func (b *builder) distinctOn(s *scope, sel *pg_query.SelectStmt, o *outputCols, keys []planner.SortKey) ([]int, []planner.SortKey, error) {
	var on []int
	for _, n := range sel.DistinctClause {
		idx, err := b.sortTarget(s, n, o, "DISTINCT ON")
		if err != nil {
			return nil, nil, err
		}
		on = append(on, idx)
	}
	return planner.DistinctOnKeys(on, keys, o.same)
}
