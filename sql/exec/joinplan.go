package exec

import (
	"sync"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// Inner joins: the FROM list's comma items and the [INNER|CROSS] JOINs
// among them are flattened into relations (leaves), the WHERE clause and
// the ON conditions into conjuncts; planner.PlanJoin chooses the order,
// each relation's filters and key range, and each step's algorithm; this
// file builds the iterators for its answer. Other joins (LEFT, RIGHT,
// USING …) are single relations here, planned by buildJoin.

// fromLeaf is one relation of an inner join.
type fromLeaf struct {
	p    plan
	cols []colInfo
	off  int       // first column in the FROM-order row
	sp   *scanPlan // when the relation is a stored table (p == sp)
}

// onQual is the ON condition of an inner join over leaves [lo, hi).
type onQual struct {
	n      *pg_query.Node
	lo, hi int
}

// innerLeaves counts the relations an inner-join flattening of items
// would give (without planning anything); 0 when the list holds a
// function or a LATERAL subquery, which buildFrom joins laterally to the
// items before it (lateral.go).
func innerLeaves(items []*pg_query.Node) int {
	n := 0
	for _, it := range items {
		if it.GetRangeFunction() != nil || hasLateral(it) {
			return 0
		}
		if j := flatJoin(it); j != nil {
			n += innerLeaves([]*pg_query.Node{j.Larg, j.Rarg})
			continue
		}
		n++
	}
	return n
}

// flatJoin returns n's JoinExpr when it is an inner join that flattens:
// no USING/NATURAL, no alias.
func flatJoin(n *pg_query.Node) *pg_query.JoinExpr {
	j := n.GetJoinExpr()
	if j == nil || j.Jointype != pg_query.JoinType_JOIN_INNER || len(j.UsingClause) > 0 || j.IsNatural || j.Alias != nil {
		return nil
	}
	return j
}

// buildFromWhere plans FROM and WHERE together and returns the plan with
// the scope of its (FROM-order) columns.
func (b *builder) buildFromWhere(items []*pg_query.Node, where *pg_query.Node, outer *scope) (plan, *scope, error) {
	if err := checkFromNames(items); err != nil {
		return nil, nil, err
	}
	if n := innerLeaves(items); n < 2 || n > planner.MaxRelations {
		if where != nil && len(items) == 1 && items[0].GetJoinExpr() != nil {
			b.pushLeft = b.conjuncts(nil, where)
		}
		from, err := b.buildFrom(items, outer)
		b.pushLeft = nil
		if err != nil {
			return nil, nil, err
		}
		s := &scope{cols: from.cols(), parent: outer, excluded: -1}
		if _, ok := from.(*scanPlan); ok {
			s.trackReads() // for the scan's filter (buildWhere)
		}
		if where != nil {
			if from, err = b.buildWhere(from, s, where); err != nil {
				return nil, nil, err
			}
		}
		b.fromLeaves, b.fromConj = nil, nil
		if sp, ok := from.(*scanPlan); ok {
			b.fromLeaves = []fromLeaf{{p: sp, cols: sp.columns, sp: sp}}
		}
		return from, s, nil
	}
	var leaves []fromLeaf
	var quals []onQual
	for _, it := range items {
		if err := b.flattenFrom(it, outer, &leaves, &quals); err != nil {
			return nil, nil, err
		}
	}
	var all []colInfo
	for i := range leaves {
		leaves[i].off = len(all)
		all = append(all, leaves[i].cols...)
	}
	s := &scope{cols: all, parent: outer, excluded: -1}
	// Compile the conditions whole first: their errors and types are those
	// of the whole clause, as before any planning.
	var conj []*pg_query.Node
	for _, q := range quals {
		var cols []colInfo
		for _, l := range leaves[q.lo:q.hi] {
			cols = append(cols, l.cols...)
		}
		c, err := b.compile(&scope{cols: cols, parent: outer, excluded: -1}, q.n, types.Bool)
		if err != nil {
			return nil, nil, err
		}
		conj = append(conj, b.conjunctsOf(s, q.n, c)...)
	}
	if where != nil {
		cond, err := b.compile(s, where, types.Bool)
		if err != nil {
			return nil, nil, err
		}
		if cond.t.Family() != types.FamBool && !cond.unknown {
			return nil, nil, pgerror.Newf(pgerror.DatatypeMismatch, "argument of WHERE must be type boolean, not type %s", cond.t)
		}
		conj = append(conj, b.conjunctsOf(s, where, cond)...)
	}
	jb := &joinBuilder{b: b, outer: outer, full: s, leaves: leaves, nodes: conj}
	folded := b.foldErr // the clauses' parts are compiled again: their whole's rule holds
	p, err := jb.build()
	if err != nil {
		return nil, nil, err
	}
	b.foldErr = folded
	b.fromLeaves, b.fromConj = leaves, conj
	return p, s, nil
}

// flattenFrom appends the relations of one FROM item.
func (b *builder) flattenFrom(n *pg_query.Node, outer *scope, leaves *[]fromLeaf, quals *[]onQual) error {
	if j := flatJoin(n); j != nil {
		lo := len(*leaves)
		if err := b.flattenFrom(j.Larg, outer, leaves, quals); err != nil {
			return err
		}
		if err := b.flattenFrom(j.Rarg, outer, leaves, quals); err != nil {
			return err
		}
		if j.Quals != nil {
			*quals = append(*quals, onQual{n: j.Quals, lo: lo, hi: len(*leaves)})
		}
		return nil
	}
	p, err := b.buildFromItem(n, outer)
	if err != nil {
		return err
	}
	l := fromLeaf{p: p, cols: p.cols()}
	if sp, ok := p.(*scanPlan); ok {
		l.sp = sp
	}
	*leaves = append(*leaves, l)
	return nil
}

// joinBuilder plans one inner join.
type joinBuilder struct {
	b      *builder
	outer  *scope
	full   *scope // the FROM-order columns
	leaves []fromLeaf
	nodes  []*pg_query.Node   // the conjuncts
	conj   []planner.Conjunct // what the planner knows of each
	keys   [][]*keyPred       // per leaf: its key predicates
	ktypes map[int]types.T    // per Equi conjunct: the type keys are encoded as
	scopes map[int]*scope     // per leaf: its own scope
}

func (jb *joinBuilder) leafScope(r int) *scope {
	if s := jb.scopes[r]; s != nil {
		return s
	}
	s := (&scope{cols: jb.leaves[r].cols, parent: jb.outer, excluded: -1}).trackReads()
	jb.scopes[r] = s
	return s
}

// leafOf maps a FROM-order column to its relation and ordinal there.
func (jb *joinBuilder) leafOf(idx int) (int, int) {
	for r := len(jb.leaves) - 1; r >= 0; r-- {
		if idx >= jb.leaves[r].off {
			return r, idx - jb.leaves[r].off
		}
	}
	return 0, idx
}

func (jb *joinBuilder) build() (plan, error) {
	jb.scopes = map[int]*scope{}
	jb.ktypes = map[int]types.T{}
	jb.keys = make([][]*keyPred, len(jb.leaves))
	rels := make([]planner.Relation, len(jb.leaves))
	for r, l := range jb.leaves {
		if l.sp != nil {
			rels[r] = planner.Relation{Name: l.sp.alias, Rows: jb.b.tableRows(l.sp.tbl), Keys: scanKeys(l.sp.tbl)}
			rels[r].OrderCol, rels[r].Ordered = mergeOrderCol(l.sp.tbl)
		}
	}
	for ci, n := range jb.nodes {
		jb.conj = append(jb.conj, jb.describe(ci, n))
	}
	jp := planner.PlanJoin(rels, jb.conj)
	lookupInner := map[int]bool{}
	for _, st := range jp.Steps {
		if st.Algo == planner.IndexLookup {
			lookupInner[st.Rel] = true
		}
	}
	leafPlans := make([]plan, len(jb.leaves))
	for r := range jb.leaves {
		p, err := jb.leafPlan(r, jp.Scan[r], lookupInner[r])
		if err != nil {
			return nil, err
		}
		leafPlans[r] = p
	}
	cur := leafPlans[jp.First]
	order := []int{jp.First}
	joinedCols := append([]colInfo(nil), jb.leaves[jp.First].cols...)
	pos := map[int]int{jp.First: 0} // relation → its first column in the joined row
	for _, st := range jp.Steps {
		r := st.Rel
		inner := jb.leaves[r]
		var filters []*cexpr
		var js *scope
		if len(st.Filter) > 0 {
			js = &scope{cols: append(append(make([]colInfo, 0, len(joinedCols)+len(inner.cols)), joinedCols...), inner.cols...), parent: jb.outer, excluded: -1}
		}
		for _, ci := range st.Filter {
			e, err := jb.b.compile(js, jb.nodes[ci], types.Bool)
			if err != nil {
				return nil, err
			}
			filters = append(filters, e)
		}
		var on *cexpr
		if len(filters) > 0 {
			on = andExprs(filters)
		}
		algo := st.Algo
		if algo == planner.MergeJoin && !jb.canMerge(cur, leafPlans[r]) {
			algo = planner.HashJoin // the access paths chosen do not read in key order
		}
		switch algo {
		case planner.MergeJoin:
			outerCol, innerCol := jb.equiSides(st.Keys[0], r)
			lk := colExpr(pos[outerCol.Rel]+outerCol.Col, jb.leaves[outerCol.Rel].cols[outerCol.Col])
			rk := colExpr(innerCol.Col, inner.cols[innerCol.Col])
			cur = newMergeJoinPlan(cur, leafPlans[r], lk.colIdx, rk.colIdx, lk.s, rk.s, on)
		case planner.HashJoin:
			var lk, rk []*cexpr
			var kt []types.T
			for _, ci := range st.Keys {
				outerCol, innerCol := jb.equiSides(ci, r)
				lk = append(lk, colExpr(pos[outerCol.Rel]+outerCol.Col, jb.leaves[outerCol.Rel].cols[outerCol.Col]))
				rk = append(rk, colExpr(innerCol.Col, inner.cols[innerCol.Col]))
				kt = append(kt, jb.ktypes[ci])
			}
			cur = newHashJoinPlan(cur, leafPlans[r], lk, rk, kt, on)
		case planner.IndexLookup:
			sp := leafPlans[r].(*scanPlan)
			key := scanKeys(inner.sp.tbl)[st.Lookup]
			if key.Index >= 0 {
				sp.index = &sp.tbl.Indexes[key.Index]
			}
			rng := &keyRange{}
			for i, ci := range st.Keys {
				outerCol, _ := jb.equiSides(ci, r)
				e := colExpr(pos[outerCol.Rel]+outerCol.Col, jb.leaves[outerCol.Rel].cols[outerCol.Col])
				rng.eq = append(rng.eq, e)
				rng.conds = append(rng.conds, sp.tbl.Columns[key.Cols[i]].Name+" = "+e.s)
			}
			sp.rng = rng
			cur = newLookupJoinPlan(cur, sp, on)
		default:
			jp := newJoinPlan(cur, leafPlans[r], pg_query.JoinType_JOIN_INNER)
			jp.on = on
			cur = jp
		}
		pos[r] = len(joinedCols)
		joinedCols = append(joinedCols, inner.cols...)
		order = append(order, r)
	}
	identity := true
	for i, r := range order {
		identity = identity && i == r
	}
	if !identity {
		perm := make([]int, 0, len(jb.full.cols))
		for r, l := range jb.leaves {
			for c := range l.cols {
				perm = append(perm, pos[r]+c)
			}
		}
		cur = &reorderPlan{in: cur, perm: perm, columns: append([]colInfo(nil), jb.full.cols...)}
	}
	if len(jp.Final) > 0 {
		var filters []*cexpr
		for _, ci := range jp.Final {
			e, err := jb.b.compile(jb.full, jb.nodes[ci], types.Bool)
			if err != nil {
				return nil, err
			}
			filters = append(filters, e)
		}
		cur = &filterPlan{in: cur, cond: andExprs(filters)}
	}
	return cur, nil
}

// mergeOrderCol is the column a table read in primary key order comes in
// ascending order of, when a merge join can use it: the first key column,
// of an integer type (its key order is its value order).
func mergeOrderCol(t *catalog.Table) (int, bool) {
	if t.HasHiddenKey() || len(t.PrimaryKey) == 0 {
		return 0, false
	}
	c := t.PrimaryKey[0]
	return c, t.Columns[c].Type.Family() == types.FamInt
}

// canMerge reports whether the outer and inner plans, as built, are table
// scans in ascending primary key order (the planner assumed they would be;
// the access path may have taken an index or an IN list instead).
func (jb *joinBuilder) canMerge(outer, inner plan) bool {
	o, ok1 := outer.(*scanPlan)
	i, ok2 := inner.(*scanPlan)
	return ok1 && ok2 && keyOrderedScan(o) && keyOrderedScan(i) && !o.reverse && !i.reverse
}

// equiSides returns the columns of Equi conjunct ci outside and inside
// relation r.
func (jb *joinBuilder) equiSides(ci, r int) (outer, inner planner.ColRef) {
	e := jb.conj[ci].Equi
	if e[0].Rel == r {
		return e[1], e[0]
	}
	return e[0], e[1]
}

func colExpr(idx int, c colInfo) *cexpr {
	disp := c.name
	if c.table != "" {
		disp = c.table + "." + c.name
	}
	return &cexpr{t: c.typ, s: disp, colIdx: idx, fn: func(_ *env, row []Datum) (Datum, error) { return row[idx], nil }}
}

// leafPlan builds relation r with its own conjuncts: a table scan chooses
// its key range from them (unless an index lookup join reads it, which
// sets the range); anything else is filtered.
func (jb *joinBuilder) leafPlan(r int, conj []int, lookup bool) (plan, error) {
	l := jb.leaves[r]
	s := jb.leafScope(r)
	if l.sp != nil && !lookup {
		nodes := make([]*pg_query.Node, len(conj))
		for i, ci := range conj {
			nodes[i] = jb.nodes[ci]
		}
		rest, err := jb.b.chooseAccess(l.sp, s, nodes)
		if err != nil {
			return nil, err
		}
		l.sp.setFilter(rest, s)
		return l.sp, nil
	}
	var filters []*cexpr
	for _, ci := range conj {
		e, err := jb.b.compile(s, jb.nodes[ci], types.Bool)
		if err != nil {
			return nil, err
		}
		filters = append(filters, e)
	}
	if len(filters) == 0 {
		return l.p, nil
	}
	if l.sp != nil {
		l.sp.setFilter(filters, s)
		return l.sp, nil
	}
	return &filterPlan{in: l.p, cond: andExprs(filters)}, nil
}

// describe tells the planner what conjunct ci reads and its shape.
func (jb *joinBuilder) describe(ci int, n *pg_query.Node) planner.Conjunct {
	var c planner.Conjunct
	c.Refs, c.Late = jb.refs(n)
	if c.Late {
		return c
	}
	if r, ok := c.Refs.Single(); ok {
		if sp := jb.leaves[r].sp; sp != nil {
			if kp := jb.b.keyPredicate(sp, jb.leafScope(r), n); kp != nil {
				c.Key = &planner.KeyPred{Col: kp.col, Op: kp.op, N: len(kp.list)}
			}
		}
		return c
	}
	if c.Refs.Len() == 2 {
		if a := n.GetAExpr(); a != nil && a.Kind == pg_query.A_Expr_Kind_AEXPR_OP && len(a.Name) == 1 && strVal(a.Name[0]) == "=" {
			l, lok := jb.column(a.Lexpr)
			r, rok := jb.column(a.Rexpr)
			if lok && rok && l.Rel != r.Rel {
				lt, rt := jb.leaves[l.Rel].cols[l.Col].typ, jb.leaves[r.Rel].cols[r.Col].typ
				if kt, ok := hashKeyType(lt, rt); ok {
					c.Equi = &[2]planner.ColRef{l, r}
					jb.ktypes[ci] = kt
				}
			}
		}
	}
	return c
}

// hashKeyType is the type two columns compared by = are encoded as for a
// hash or key lookup, when their encodings are equal exactly when the
// values are: the same type (of a kind whose encoding is canonical), or two
// integer types.
func hashKeyType(a, b types.T) (types.T, bool) {
	if a.Family() == types.FamInt && b.Family() == types.FamInt {
		return types.Int8, true
	}
	if a.Oid != b.Oid {
		return types.T{}, false
	}
	switch a.Oid {
	case types.OidInt2, types.OidInt4, types.OidInt8, types.OidText, types.OidVarchar, types.OidBool, types.OidDate:
		return a, true
	}
	return types.T{}, false
}

// column resolves n when it is a plain column of one of the join's
// relations.
func (jb *joinBuilder) column(n *pg_query.Node) (planner.ColRef, bool) {
	cr := n.GetColumnRef()
	if cr == nil {
		return planner.ColRef{}, false
	}
	ref, ok := planner.ColumnNameOf(cr)
	if !ok {
		return planner.ColRef{}, false
	}
	sc, err := planner.ResolveColumn(jb.full.levels(), ref)
	if err != nil || sc.Depth != 0 {
		return planner.ColRef{}, false
	}
	r, c := jb.leafOf(sc.Ordinal)
	return planner.ColRef{Rel: r, Col: c}, true
}

// volatileFuncs are the functions whose evaluation count is visible; a
// conjunct calling one is evaluated after the whole join.
var volatileFuncs = map[string]bool{"random": true, "nextval": true, "setval": true, "currval": true,
	"clock_timestamp": true, "timeofday": true, "gen_random_uuid": true, "setseed": true}

// refs finds the relations conjunct n reads; late when it holds a
// subquery or a volatile function call. Operators, AND/OR/NOT, lists,
// column references and constants (the usual conjuncts) are walked
// directly; anything else through protobuf reflection.
func (jb *joinBuilder) refs(n *pg_query.Node) (set planner.RelSet, late bool) {
	var fast func(n *pg_query.Node) bool
	fast = func(n *pg_query.Node) bool {
		if n == nil {
			return true
		}
		switch v := n.Node.(type) {
		case *pg_query.Node_AConst:
			return true
		case *pg_query.Node_ColumnRef:
			r, ok, bad := jb.columnRel(v.ColumnRef)
			switch {
			case bad:
				late = true
			case ok:
				set |= planner.Rel(r)
			}
			return true
		case *pg_query.Node_AExpr:
			return fast(v.AExpr.Lexpr) && fast(v.AExpr.Rexpr)
		case *pg_query.Node_BoolExpr:
			for _, a := range v.BoolExpr.Args {
				if !fast(a) {
					return false
				}
			}
			return v.BoolExpr.Xpr == nil
		case *pg_query.Node_List:
			for _, a := range v.List.Items {
				if !fast(a) {
					return false
				}
			}
			return true
		}
		return false
	}
	if fast(n) {
		return set, late
	}
	set, late = 0, false
	parser.Walk(n, func(m proto.Message) bool {
		if late || jb.b.lateNode(m) {
			late = true
			return false
		}
		if c, ok := m.(*pg_query.ColumnRef); ok {
			r, ok, bad := jb.columnRel(c)
			switch {
			case bad:
				late = true
			case ok:
				set |= planner.Rel(r)
			}
			return false
		}
		return true
	})
	return set, late
}

// columnRel resolves a column reference of a conjunct: ok with the
// relation of this join it reads; bad when it does not resolve (the
// conjunct is left for after the join, where compiling it reports why).
func (jb *joinBuilder) columnRel(c *pg_query.ColumnRef) (rel int, ok, bad bool) {
	ref, named := planner.ColumnNameOf(c)
	if !named {
		return 0, false, false
	}
	sc, err := planner.ResolveColumn(jb.full.levels(), ref)
	if err != nil {
		return 0, false, true
	}
	if sc.Depth != 0 {
		return 0, false, false
	}
	r, _ := jb.leafOf(sc.Ordinal)
	return r, true, false
}

// rowCountCap bounds the keys counted to estimate a table's size.
const rowCountCap = 10000

// tableRows estimates t's row count for the join planner by counting its
// keys (up to rowCountCap) in the transaction's view, once per statement.
// A count of a view with no pending writes of the transaction to t is
// kept by the engine (rowCountCache) for the next statements reading the
// same snapshot.
func (b *builder) tableRows(t *catalog.Table) float64 {
	if b.rowCounts == nil {
		b.rowCounts = map[uint32]float64{}
	}
	if n, ok := b.rowCounts[t.ID]; ok {
		return n
	}
	bucket := catalog.TableBucket(t.ID)
	shared := b.txn.ov.Bucket(bucket) == nil && !isTempBucket(bucket) // a temporary table changes without the LSN moving
	at := b.txn.view.Snapshot().AppliedLSN()
	if shared {
		if n, ok := b.eng.rowCounts.get(t.ID, at); ok {
			b.rowCounts[t.ID] = n
			return n
		}
	}
	n := 0
	it := b.txn.iterate(bucket, nil, nil, false)
	for n < rowCountCap {
		if k, _ := it.Next(); k == nil {
			break
		}
		n++
	}
	if n == 0 {
		n = 1
	}
	b.rowCounts[t.ID] = float64(n)
	if shared {
		b.eng.rowCounts.put(t.ID, at, float64(n))
	}
	return float64(n)
}

// rowCountCache holds the latest tableRows count of each table with the
// snapshot (applied LSN) it was counted in: a snapshot at the same LSN
// holds the same rows. The counts only steer the join planner.
type rowCountCache struct {
	mu sync.Mutex
	m  map[uint32]rowCount
}

type rowCount struct {
	at lsn.LSN
	n  float64
}

func (c *rowCountCache) get(table uint32, at lsn.LSN) (float64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rc, ok := c.m[table]
	return rc.n, ok && rc.at == at
}

func (c *rowCountCache) put(table uint32, at lsn.LSN, n float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[uint32]rowCount{}
	}
	if len(c.m) >= rowCountTables {
		clear(c.m)
	}
	c.m[table] = rowCount{at: at, n: n}
}

// rowCountTables bounds the tables rowCountCache remembers.
const rowCountTables = 4096
