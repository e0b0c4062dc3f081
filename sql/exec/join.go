package exec

import (
	"context"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/heliosdb/nano/sql/exec/spill"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// joinPlan is a nested-loop join (the right side is materialised once).
type joinPlan struct {
	left, right plan
	kind        pg_query.JoinType
	on          *cexpr
	out         []colInfo // left's columns then right's, computed once
}

// newJoinPlan joins l and r. The output columns are computed here once:
// computing them on every cols() call walked the whole join tree each
// time, cubic in the number of joins (a 747-way join spent minutes
// planning, deaf to cancel).
func newJoinPlan(l, r plan, kind pg_query.JoinType) *joinPlan {
	p := &joinPlan{left: l, right: r, kind: kind, out: joinCols(l, r)}
	markNullable(p.out, len(colsView(l)), kind)
	return p
}

// markNullable marks the columns an outer join may NULL-extend (nl: the
// left side's column count).
func markNullable(cols []colInfo, nl int, kind pg_query.JoinType) {
	for i := range cols {
		if kind == pg_query.JoinType_JOIN_FULL || kind == pg_query.JoinType_JOIN_LEFT && i >= nl ||
			kind == pg_query.JoinType_JOIN_RIGHT && i < nl {
			cols[i].nullable = true
		}
	}
}

// joinCols is l's output columns followed by r's, copied once (cols()
// copies: a chain of joins copying each input's columns twice made
// planning a 7-table join allocate tens of kilobytes).
func joinCols(l, r plan) []colInfo {
	lc, rc := colsView(l), colsView(r)
	return append(append(make([]colInfo, 0, len(lc)+len(rc)), lc...), rc...)
}

// colsView is p's output columns, not copied where p keeps them: the
// caller must not modify them.
func colsView(p plan) []colInfo {
	switch v := p.(type) {
	case *hashJoinPlan:
		return v.out
	case *lookupJoinPlan:
		return v.out
	case *joinPlan:
		return v.out
	case *scanPlan:
		return v.columns
	case *reorderPlan:
		return v.columns
	}
	return p.cols()
}

func (p *joinPlan) cols() []colInfo { return append([]colInfo(nil), p.out...) }

func (p *joinPlan) explain(x *explainer, depth int) {
	x.add(depth, "Nested Loop")
	switch p.kind {
	case pg_query.JoinType_JOIN_LEFT:
		x.lines[len(x.lines)-1] += " Left Join"
	case pg_query.JoinType_JOIN_FULL:
		x.lines[len(x.lines)-1] += " Full Join"
	}
	if p.on != nil {
		x.detail(depth, "Join Filter: "+p.on.s)
	}
	x.child(p.left, depth+1)
	x.child(p.right, depth+1)
}

// materialize runs p into a row container that spills past work_mem.
func materialize(e *env, p plan) (*spill.Rows, error) {
	in, err := startPlan(e, p)
	if err != nil {
		return nil, err
	}
	defer in.close()
	rows := spill.NewRows(e.budget(), e.space())
	for {
		if err := e.checkCancel(); err != nil {
			rows.Close()
			return nil, err
		}
		row, err := in.next()
		if err == nil && row == nil {
			return rows, nil
		}
		if err == nil {
			err = rows.Add(row)
		}
		if err != nil {
			rows.Close()
			return nil, err
		}
	}
}

func (p *joinPlan) start(e *env) (iter, error) {
	right, err := materialize(e, p.right)
	if err != nil {
		return nil, err
	}
	left, err := startPlan(e, p.left)
	if err != nil {
		right.Close()
		return nil, err
	}
	nl, nr := len(p.left.cols()), len(p.right.cols())
	full := p.kind == pg_query.JoinType_JOIN_FULL
	// FULL JOIN: which right rows (by position) matched some left row;
	// the others follow the left rows, NULL-extended.
	var rightMatched []bool
	if full {
		rightMatched = make([]bool, right.Len())
	}
	var cur []Datum
	var ri spill.Iterator
	rpos := 0
	matched := false
	leftDone := false
	return &funcIter{nx: func() ([]Datum, error) {
		for !leftDone {
			if err := e.checkCancel(); err != nil {
				return nil, err
			}
			if cur == nil {
				if cur, err = left.next(); err != nil {
					return nil, err
				}
				if cur == nil {
					if !full {
						return nil, nil
					}
					leftDone = true
					if ri, err = right.Iter(); err != nil {
						return nil, err
					}
					rpos = 0
					break
				}
				if ri, err = right.Iter(); err != nil {
					return nil, err
				}
				matched = false
				rpos = 0
			}
			for {
				// Checked per pair too: with a join condition that rarely
				// holds, one left row can cost a whole pass over right.
				if err := e.checkCancel(); err != nil {
					return nil, err
				}
				r, err := ri.Next()
				if err != nil {
					return nil, err
				}
				if r == nil {
					break
				}
				rpos++
				row := make([]Datum, 0, nl+nr)
				row = append(append(row, cur...), r...)
				if p.on != nil {
					v, err := p.on.fn(e, row)
					if err != nil {
						return nil, err
					}
					if v != true {
						continue
					}
				}
				matched = true
				if full {
					rightMatched[rpos-1] = true
				}
				return row, nil
			}
			l := cur
			cur = nil
			if (p.kind == pg_query.JoinType_JOIN_LEFT || full) && !matched {
				return append(append(make([]Datum, 0, nl+nr), l...), make([]Datum, nr)...), nil
			}
		}
		for {
			r, err := ri.Next()
			if err != nil || r == nil {
				return nil, err
			}
			rpos++
			if !rightMatched[rpos-1] {
				return append(make([]Datum, nl, nl+nr), r...), nil
			}
		}
	}, cl: func() { left.close(); right.Close() }}, nil
}

func (b *builder) buildJoin(j *pg_query.JoinExpr, outer *scope) (plan, error) {
	// WHERE conjuncts for the left-most table of a chain of LEFT (or
	// inner) joins: passed down the chain's left side (pushDown).
	push := b.pushLeft
	b.pushLeft = nil
	if j.Alias != nil || j.Jointype != pg_query.JoinType_JOIN_LEFT && j.Jointype != pg_query.JoinType_JOIN_INNER {
		push = nil
	}
	if j.Larg.GetJoinExpr() != nil {
		b.pushLeft = push
	}
	l, err := b.buildFromItem(j.Larg, outer)
	b.pushLeft = nil
	if err != nil {
		return nil, err
	}
	if sp, ok := l.(*scanPlan); ok && len(push) > 0 && j.Larg.GetRangeVar() != nil {
		if err := b.pushDown(sp, push); err != nil {
			return nil, err
		}
	}
	if lp, ok, err := b.buildLateralJoin(j, l, outer); ok || err != nil {
		return lp, err
	}
	r, err := b.buildFromItem(j.Rarg, outer)
	if err != nil {
		return nil, err
	}
	var using []string
	if j.IsNatural {
		using = naturalColumns(l.cols(), r.cols())
	}
	for _, u := range j.UsingClause {
		using = append(using, strVal(u))
	}
	lcols, rcols := l.cols(), r.cols()
	if a := usingAlias(j); a != "" {
		for _, c := range append(lcols[:len(lcols):len(lcols)], rcols...) {
			if c.table == a {
				return nil, pgerror.Newf(pgerror.DuplicateAlias, "table name %q specified more than once", a)
			}
		}
	}
	var merged *usingCols
	if len(using) > 0 || j.IsNatural {
		if merged, err = usingColumns(lcols, rcols, using, j.Jointype); err != nil {
			return nil, err
		}
	}
	kind := j.Jointype
	if kind == pg_query.JoinType_JOIN_RIGHT {
		l, r = r, l
		kind = pg_query.JoinType_JOIN_LEFT
	}
	switch kind {
	case pg_query.JoinType_JOIN_INNER, pg_query.JoinType_JOIN_LEFT, pg_query.JoinType_JOIN_FULL:
	default:
		return nil, pgerror.Newf(pgerror.FeatureNotSupported, "join type %s is not supported", strings.TrimPrefix(kind.String(), "JOIN_"))
	}
	jp := newJoinPlan(l, r, kind)
	if merged != nil {
		// USING's equalities over the joined row: left then right columns
		// as planned (a RIGHT JOIN runs with its sides swapped).
		jc := jp.cols()
		var eqs []*cexpr
		for i := range merged.left {
			li, ri := merged.left[i], len(lcols)+merged.right[i]
			if kind != j.Jointype {
				li, ri = len(rcols)+merged.left[i], merged.right[i]
			}
			eq, err := compareOp("=", colExpr(li, jc[li]), colExpr(ri, jc[ri]))
			if err != nil {
				return nil, err
			}
			eqs = append(eqs, eq)
		}
		if len(eqs) > 0 {
			jp.on = andExprs(eqs)
		}
	}
	s := &scope{cols: jp.cols(), parent: outer, excluded: -1}
	if j.Quals != nil {
		if jp.on, err = b.compile(s, j.Quals, types.Bool); err != nil {
			return nil, err
		}
	}
	var out plan = jp
	if hp, err := b.outerJoinPlan(jp, s, j.Quals, merged, kind != j.Jointype); err != nil {
		return nil, err
	} else if hp != nil {
		out = hp
	}
	if jp.kind == pg_query.JoinType_JOIN_LEFT && j.Jointype == pg_query.JoinType_JOIN_RIGHT {
		out = &swapPlan{in: out, nl: len(l.cols())}
	}
	if merged != nil {
		out = merged.plan(out, len(lcols), usingAlias(j))
	}
	if j.Alias != nil {
		return renamePlan(out, j.Alias.Aliasname, j.Alias)
	}
	return out, nil
}

// pushDown filters sp, the left-most table of a chain of LEFT (or inner)
// joins, by the WHERE conjuncts that read only its columns and nothing
// volatile or sub-queried: each of its rows reaches the join's output on
// its own, so a row such a conjunct rejects has no row in the result. The
// conjuncts choose its key range too (a LEFT JOIN of a row found by its
// key then reads only that row). The WHERE clause is applied to the
// join's rows as well, as before.
func (b *builder) pushDown(sp *scanPlan, conj []*pg_query.Node) error {
	s := (&scope{cols: sp.columns, excluded: -1}).trackReads()
	var mine []*pg_query.Node
	for _, n := range conj {
		if b.lateConjunct(n) {
			continue
		}
		saved := len(b.params)
		e, err := b.compile(s, n, types.Bool)
		if err != nil || e.t.Family() != types.FamBool && !e.unknown {
			b.params = b.params[:min(saved, len(b.params))]
			continue // reads another relation (or fails, as it will when the WHERE clause is compiled)
		}
		mine = append(mine, n)
	}
	if len(mine) == 0 {
		return nil
	}
	rest, err := b.chooseAccess(sp, s, mine)
	if err != nil {
		return err
	}
	sp.setFilter(rest, s)
	return nil
}

// lateConjunct reports whether n holds a subquery or a call of a volatile
// or external function (whose evaluation count is visible).
func (b *builder) lateConjunct(n *pg_query.Node) bool {
	return parser.Contains(n, func(m proto.Message) (bool, bool) { return b.lateNode(m), true })
}

// lateNode reports whether m is a subquery or a call of a volatile or
// external function.
func (b *builder) lateNode(m proto.Message) bool {
	switch v := m.(type) {
	case *pg_query.SubLink:
		return true
	case *pg_query.FuncCall:
		name := lastName(v.Funcname)
		_, ext := b.eng.cfg.Functions[name]
		return ext || volatileFuncs[name]
	}
	return false
}

// outerJoinPlan returns jp (an INNER or LEFT join that buildJoin plans
// alone: USING, NATURAL, an alias, or an outer join) as a hash join or as
// index lookups into its right table when its condition equates columns
// of the two sides — the USING columns, or ON conjuncts "left column =
// right column" of types hashKeyType accepts — or nil to keep the nested
// loop (FULL joins, other conditions). planner.PlanOuterJoin chooses
// between the two by the sizes (the left side stays first). The whole
// condition stays the join's filter; the equalities only pick the
// candidate rows. swapped: a RIGHT JOIN run as a LEFT JOIN.
func (b *builder) outerJoinPlan(jp *joinPlan, s *scope, quals *pg_query.Node, merged *usingCols, swapped bool) (plan, error) {
	if jp.kind != pg_query.JoinType_JOIN_INNER && jp.kind != pg_query.JoinType_JOIN_LEFT {
		return nil, nil
	}
	jc := jp.out
	nl := len(colsView(jp.left))
	var pairs [][2]int // joined-row columns: left side, right side
	if merged != nil {
		for i := range merged.left {
			li, ri := merged.left[i], nl+merged.right[i]
			if swapped {
				li, ri = merged.right[i], nl+merged.left[i]
			}
			pairs = append(pairs, [2]int{li, ri})
		}
	}
	if quals != nil {
		for _, c := range b.conjuncts(s, quals) {
			a := c.GetAExpr()
			if a == nil || a.Kind != pg_query.A_Expr_Kind_AEXPR_OP || len(a.Name) != 1 || strVal(a.Name[0]) != "=" ||
				a.Lexpr.GetColumnRef() == nil || a.Rexpr.GetColumnRef() == nil {
				continue
			}
			x, err := b.compile(s, a.Lexpr, types.Unknown)
			if err != nil {
				return nil, err
			}
			y, err := b.compile(s, a.Rexpr, types.Unknown)
			if err != nil {
				return nil, err
			}
			if x.colIdx < 0 || y.colIdx < 0 {
				continue
			}
			if x.colIdx > y.colIdx {
				x, y = y, x
			}
			if x.colIdx < nl && y.colIdx >= nl {
				pairs = append(pairs, [2]int{x.colIdx, y.colIdx})
			}
		}
	}
	var lk, rk []*cexpr
	var kt []types.T
	var conj []planner.Conjunct
	for _, pr := range pairs {
		t, ok := hashKeyType(jc[pr[0]].typ, jc[pr[1]].typ)
		if !ok {
			continue
		}
		lk = append(lk, colExpr(pr[0], jc[pr[0]]))
		rk = append(rk, colExpr(pr[1]-nl, jc[pr[1]]))
		kt = append(kt, t)
		conj = append(conj, planner.Conjunct{Refs: planner.Rel(0) | planner.Rel(1), Equi: &[2]planner.ColRef{{Rel: 0, Col: pr[0]}, {Rel: 1, Col: pr[1] - nl}}})
	}
	if len(lk) == 0 {
		return nil, nil
	}
	leftOuter := jp.kind == pg_query.JoinType_JOIN_LEFT
	if sp, ok := jp.right.(*scanPlan); ok && sp.rng.empty() && sp.filter == nil {
		inner := planner.Relation{Rows: b.tableRows(sp.tbl), Keys: scanKeys(sp.tbl)}
		if st := planner.PlanOuterJoin(b.estRows(jp.left), inner, conj); st.Algo == planner.IndexLookup {
			key := inner.Keys[st.Lookup]
			if key.Index >= 0 {
				sp.index = &sp.tbl.Indexes[key.Index]
			}
			rng := &keyRange{}
			for i, ci := range st.Keys {
				rng.eq = append(rng.eq, lk[ci])
				rng.conds = append(rng.conds, sp.tbl.Columns[key.Cols[i]].Name+" = "+lk[ci].s)
			}
			sp.rng = rng
			lp := newLookupJoinPlan(jp.left, sp, jp.on)
			lp.out, lp.leftOuter = jp.out, leftOuter
			return lp, nil
		}
	}
	hp := newHashJoinPlan(jp.left, jp.right, lk, rk, kt, jp.on)
	hp.out, hp.leftOuter = jp.out, leftOuter
	return hp, nil
}

// estRows is a rough size of p's output, for planner.PlanOuterJoin: a
// table's rows narrowed by its scan's key range and filter, a LEFT JOIN's
// left rows, DefaultRows for anything else.
func (b *builder) estRows(p plan) float64 {
	switch v := p.(type) {
	case *scanPlan:
		n := b.tableRows(v.tbl)
		switch r := v.rng; {
		case r.empty():
		case r.in != nil:
			n = min(n, float64(len(r.in)))
		case r.lo == nil && r.hi == nil && len(r.eq) == len(v.keyTypes()) && (v.index == nil || v.index.Unique):
			n = 1 // a unique key's every column equated
		case len(r.eq) > 0:
			n *= planner.Selectivity(planner.KeyPred{Op: planner.OpEq}, n)
		default:
			n *= planner.Selectivity(planner.KeyPred{Op: planner.OpLt}, n)
		}
		if v.filter != nil {
			n *= planner.Selectivity(planner.KeyPred{}, n)
		}
		return max(n, 1)
	case *hashJoinPlan:
		if v.leftOuter {
			return b.estRows(v.left)
		}
	case *lookupJoinPlan:
		if v.leftOuter {
			return b.estRows(v.left)
		}
	case *aliasPlan:
		return b.estRows(v.in)
	}
	return planner.DefaultRows
}

// naturalColumns lists the column names two relations share, in the left
// one's order (NATURAL JOIN).
func naturalColumns(l, r []colInfo) []string {
	var out []string
	for _, c := range l {
		if c.hidden || c.usingDup {
			continue
		}
		for _, d := range r {
			if !d.hidden && !d.usingDup && d.name == c.name {
				out = append(out, c.name)
				break
			}
		}
	}
	return out
}

// usingCols describes the merged columns of JOIN … USING / NATURAL JOIN:
// each named column appears once, first, in the output (the left side's
// value, the right side's for a RIGHT JOIN, the non-NULL one for a FULL
// JOIN); the two sides' copies stay reachable by qualified name only.
type usingCols struct {
	names       []string
	left, right []int // each name's column on either side
	kind        pg_query.JoinType
	typs        []types.T
}

func usingColumns(l, r []colInfo, names []string, kind pg_query.JoinType) (*usingCols, error) {
	u := &usingCols{names: names, kind: kind}
	find := func(cols []colInfo, name, side string) (int, error) {
		found := -1
		for i, c := range cols {
			if c.name != name || c.hidden || c.usingDup {
				continue
			}
			if found >= 0 {
				return 0, pgerror.Newf(pgerror.AmbiguousColumn, "common column name %q appears more than once in %s table", name, side)
			}
			found = i
		}
		if found < 0 {
			return 0, pgerror.Newf(pgerror.UndefinedColumn, "column %q specified in USING clause does not exist in %s table", name, side)
		}
		return found, nil
	}
	for i, n := range names {
		for _, m := range names[:i] {
			if m == n {
				return nil, pgerror.Newf(pgerror.DuplicateColumn, "column name %q appears more than once in USING clause", n)
			}
		}
		li, err := find(l, n, "left")
		if err != nil {
			return nil, err
		}
		ri, err := find(r, n, "right")
		if err != nil {
			return nil, err
		}
		t, err := unifyTypes([]*cexpr{{t: l[li].typ}, {t: r[ri].typ}}, "JOIN/USING")
		if err != nil {
			return nil, err
		}
		u.left, u.right, u.typs = append(u.left, li), append(u.right, ri), append(u.typs, t)
	}
	return u, nil
}

// plan puts the merged columns in front of the join's columns (nl left
// ones, then the right ones) and marks the sides' copies.
// usingAlias is the name of JOIN … USING (…) AS j (PostgreSQL 14+): it
// qualifies the merged columns only ("" when none).
func usingAlias(j *pg_query.JoinExpr) string {
	if j.JoinUsingAlias != nil {
		return j.JoinUsingAlias.Aliasname
	}
	return ""
}

// plan projects the merged USING columns first, qualified by alias (a
// JOIN … USING (…) AS alias; "" for none), then every column of in.
func (u *usingCols) plan(in plan, nl int, alias string) plan {
	cols := in.cols()
	var exprs []*cexpr
	var out []colInfo
	copies := map[int]bool{}
	for i, name := range u.names {
		li, ri := u.left[i], nl+u.right[i]
		copies[li], copies[ri] = true, true
		lt, rt, t := cols[li].typ, cols[ri].typ, u.typs[i]
		var fn evalFn
		switch u.kind {
		case pg_query.JoinType_JOIN_RIGHT:
			fn = func(_ *env, row []Datum) (Datum, error) { return castTo(row[ri], rt, t) }
		case pg_query.JoinType_JOIN_FULL:
			fn = func(_ *env, row []Datum) (Datum, error) {
				if row[li] != nil {
					return castTo(row[li], lt, t)
				}
				return castTo(row[ri], rt, t)
			}
		default:
			fn = func(_ *env, row []Datum) (Datum, error) { return castTo(row[li], lt, t) }
		}
		exprs = append(exprs, &cexpr{t: t, s: name, colIdx: -1, fn: fn})
		out = append(out, colInfo{table: alias, name: name, typ: t})
	}
	for i, c := range cols {
		idx := i
		c.usingDup = c.usingDup || copies[i]
		exprs = append(exprs, &cexpr{t: c.typ, s: c.name, colIdx: -1, fn: func(_ *env, row []Datum) (Datum, error) { return row[idx], nil }})
		out = append(out, c)
	}
	return &projectPlan{in: in, exprs: exprs, columns: out}
}

// castTo converts a non-NULL value of type from to type to.
func castTo(v Datum, from, to types.T) (Datum, error) {
	if v == nil || from == to {
		return v, nil
	}
	return types.Cast(v, from, to, false)
}

// swapPlan restores column order after a RIGHT JOIN was planned as LEFT.
type swapPlan struct {
	in plan
	nl int
}

func (p *swapPlan) cols() []colInfo {
	c := p.in.cols()
	return append(append([]colInfo(nil), c[p.nl:]...), c[:p.nl]...)
}
func (p *swapPlan) explain(x *explainer, depth int) { x.child(p.in, depth) }
func (p *swapPlan) start(e *env) (iter, error) {
	in, err := startPlan(e, p.in)
	if err != nil {
		return nil, err
	}
	return &funcIter{nx: func() ([]Datum, error) {
		row, err := in.next()
		if row == nil || err != nil {
			return nil, err
		}
		return append(append([]Datum(nil), row[p.nl:]...), row[:p.nl]...), nil
	}, cl: in.close}, nil
}

// virtualPlan reads a node-provided system view.
type virtualPlan struct {
	vt      VirtualTable
	name    string
	columns []colInfo
}

func newVirtualPlan(vt VirtualTable, alias string) *virtualPlan {
	p := &virtualPlan{vt: vt, name: alias}
	for _, c := range vt.Columns() {
		p.columns = append(p.columns, colInfo{table: alias, name: c.Name, typ: c.Type})
	}
	return p
}

func (p *virtualPlan) cols() []colInfo                 { return p.columns }
func (p *virtualPlan) explain(x *explainer, depth int) { x.add(depth, "Function Scan on "+p.name) }
func (p *virtualPlan) start(e *env) (iter, error) {
	ctx := e.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	rows, err := p.vt.Rows(ctx)
	if err != nil {
		return nil, err
	}
	return sliceIter(rows), nil
}

// compileSubLink plans a subquery expression.
func (b *builder) compileSubLink(s *scope, sl *pg_query.SubLink) (*cexpr, error) {
	sel := sl.Subselect.GetSelectStmt()
	if sel == nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "subquery kind is not supported")
	}
	refsBefore := outerRefCount(s)
	b.existsQuery = sl.SubLinkType == pg_query.SubLinkType_EXISTS_SUBLINK
	sub, err := b.buildSelect(sel, s)
	if err != nil {
		return nil, err
	}
	// A subquery that reads no column of an enclosing query gives the
	// same rows for every row of it: run it once per execution (an
	// uncorrelated IN (SELECT …) over n rows ran the subquery n times).
	correlated := outerRefCount(s) != refsBefore
	key := new(int)
	run := func(en *env, row []Datum) ([][]Datum, error) {
		if !correlated {
			if v, ok := en.cache[key]; ok {
				return v.([][]Datum), nil
			}
		}
		sub2 := *en
		sub2.outer = append(en.outer[:len(en.outer):len(en.outer)], row)
		rows, err := drain(&sub2, sub)
		if err == nil && !correlated {
			if en.cache == nil {
				en.cache = map[any]any{}
			}
			en.cache[key] = rows
		}
		return rows, err
	}
	switch sl.SubLinkType {
	case pg_query.SubLinkType_EXISTS_SUBLINK:
		return &cexpr{t: types.Bool, s: "EXISTS(SubPlan)", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
			rows, err := run(en, row)
			return len(rows) > 0, err
		}}, nil
	case pg_query.SubLinkType_EXPR_SUBLINK:
		cols := sub.cols()
		if len(cols) != 1 {
			return nil, pgerror.New(pgerror.SyntaxError, "subquery must return only one column")
		}
		return &cexpr{t: cols[0].typ, s: "(SubPlan)", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
			rows, err := run(en, row)
			if err != nil || len(rows) == 0 {
				return nil, err
			}
			if len(rows) > 1 {
				return nil, pgerror.New(pgerror.CardinalityViolation, "more than one row returned by a subquery used as an expression")
			}
			return rows[0][0], nil
		}}, nil
	case pg_query.SubLinkType_ARRAY_SUBLINK:
		return compileArraySubLink(sub, run)
	case pg_query.SubLinkType_ANY_SUBLINK, pg_query.SubLinkType_ALL_SUBLINK:
		op := "="
		if len(sl.OperName) > 0 {
			op = strVal(sl.OperName[len(sl.OperName)-1])
		}
		if fields, ok := rowFields(sl.Testexpr); ok {
			return b.compileRowSubLink(s, fields, op, sl, sub, run)
		}
		l, err := b.compile(s, sl.Testexpr, types.Unknown)
		if err != nil {
			return nil, err
		}
		cols := sub.cols()
		if len(cols) != 1 {
			return nil, pgerror.New(pgerror.SyntaxError, "subquery has too many columns")
		}
		if l.unknown && cols[0].typ.Oid != types.OidUnknown {
			// '20' IN (SELECT i4 …) compares integers (it compared text)
			if l, err = b.compile(s, sl.Testexpr, cols[0].typ); err != nil {
				return nil, err
			}
		}
		slot := &cexpr{t: cols[0].typ, colIdx: -1, fn: func(en *env, _ []Datum) (Datum, error) { return en.cache[slotKey{}], nil }}
		cmp, err := compareOp(op, l, slot)
		if err != nil {
			return nil, err
		}
		all := sl.SubLinkType == pg_query.SubLinkType_ALL_SUBLINK
		if hashableIn(op, all, correlated, l, cols[0].typ) {
			return compileHashedIn(l, run), nil
		}
		return &cexpr{t: types.Bool, s: "ANY(SubPlan)", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
			rows, err := run(en, row)
			if err != nil {
				return nil, err
			}
			if en.cache == nil {
				en.cache = map[any]any{}
			}
			return quantified(all, len(rows), func(i int) (Datum, error) {
				en.cache[slotKey{}] = rows[i][0]
				return cmp.fn(en, row)
			})
		}}, nil
	}
	return nil, pgerror.Newf(pgerror.FeatureNotSupported, "subquery type %s is not supported", sl.SubLinkType)
}

type slotKey struct{}

// outerRefCount sums the references that subqueries made to the columns
// of s and of the scopes enclosing it.
func outerRefCount(s *scope) int {
	n := 0
	for ; s != nil; s = s.parent {
		n += s.outerRefs
	}
	return n
}
