package exec

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// LATERAL: a subquery in FROM marked LATERAL, and any function in FROM,
// may refer to the columns of the FROM items before it (in a comma list,
// or on the left of the JOIN whose right side it is). Such an item is
// planned in a scope one level inside the items before it (their columns
// are its "outer" row, as for a correlated subquery) and runs once per row
// of its left side: lateralPlan is a nested loop that restarts the right
// side for every left row (INNER, CROSS or LEFT JOIN, with an ON
// condition). A RIGHT or FULL JOIN to a LATERAL subquery that refers to its
// left side is 42P10, as in PostgreSQL. A FROM list holding a lateral item
// is joined in FROM order (no join reordering).

// lateralSide is the right side of a lateral join: started once per left
// row.
type lateralSide interface {
	plan
	startRow(e *env, lrow []Datum) (iter, error)
}

// lateralSub is a LATERAL subquery: its plan reads the left row as the
// innermost outer row.
type lateralSub struct {
	in plan
}

func (p *lateralSub) cols() []colInfo                 { return p.in.cols() }
func (p *lateralSub) explain(x *explainer, depth int) { x.child(p.in, depth) }
func (p *lateralSub) start(e *env) (iter, error)      { return p.startRow(e, nil) }
func (p *lateralSub) startRow(e *env, lrow []Datum) (iter, error) {
	sub := *e
	sub.outer = append(e.outer[:len(e.outer):len(e.outer)], lrow)
	return startPlan(&sub, p.in)
}

// lateralPlan joins each row of left with the rows right yields for it.
type lateralPlan struct {
	left    plan
	right   lateralSide
	kind    pg_query.JoinType // INNER or LEFT
	on      *cexpr            // over the joined row; nil = true
	columns []colInfo
}

func newLateralPlan(left plan, right lateralSide, kind pg_query.JoinType) *lateralPlan {
	p := &lateralPlan{left: left, right: right, kind: kind, columns: append(left.cols(), right.cols()...)}
	markNullable(p.columns, len(left.cols()), kind)
	return p
}

func (p *lateralPlan) cols() []colInfo { return append([]colInfo(nil), p.columns...) }
func (p *lateralPlan) explain(x *explainer, depth int) {
	x.add(depth, "Nested Loop")
	if p.kind == pg_query.JoinType_JOIN_LEFT {
		x.lines[len(x.lines)-1] += " Left Join"
	}
	if p.on != nil {
		x.detail(depth, "Join Filter: "+p.on.s)
	}
	x.child(p.left, depth+1)
	x.child(p.right, depth+1)
}

func (p *lateralPlan) start(e *env) (iter, error) {
	left, err := startPlan(e, p.left)
	if err != nil {
		return nil, err
	}
	nr := len(p.right.cols())
	var lrow []Datum
	var right iter
	matched := false
	return &funcIter{nx: func() ([]Datum, error) {
		for {
			if right == nil {
				if lrow, err = left.next(); err != nil || lrow == nil {
					return nil, err
				}
				if right, err = p.right.startRow(e, lrow); err != nil {
					return nil, err
				}
				matched = false
			}
			r, err := right.next()
			if err != nil {
				return nil, err
			}
			if r == nil {
				right.close()
				right = nil
				if p.kind == pg_query.JoinType_JOIN_LEFT && !matched {
					return append(append(make([]Datum, 0, len(lrow)+nr), lrow...), make([]Datum, nr)...), nil
				}
				continue
			}
			out := make([]Datum, 0, len(lrow)+len(r))
			out = append(append(out, lrow...), r...)
			if p.on != nil {
				ok, err := p.on.fn(e, out)
				if err != nil {
					return nil, err
				}
				if ok != true {
					continue
				}
			}
			matched = true
			return out, nil
		}
	}, cl: func() {
		if right != nil {
			right.close()
		}
		left.close()
	}}, nil
}

// isLateralItem reports whether a FROM item on the right of a join may
// refer to the items before it: a LATERAL subquery, or a function marked
// LATERAL or naming any column (a function of constants joins as any
// other relation: hash joins and join order stay open to it).
func isLateralItem(n *pg_query.Node) bool {
	if rs := n.GetRangeSubselect(); rs != nil {
		return rs.Lateral
	}
	rf := n.GetRangeFunction()
	return rf != nil && (rf.Lateral || hasColumnRef(rf))
}

// hasLateral reports whether a FROM item holds a LATERAL subquery, or a
// lateral function on the right of a join, anywhere in its join tree.
func hasLateral(n *pg_query.Node) bool {
	if rs := n.GetRangeSubselect(); rs != nil {
		return rs.Lateral
	}
	if j := n.GetJoinExpr(); j != nil {
		return hasLateral(j.Larg) || hasLateral(j.Rarg) || j.Rarg.GetRangeFunction() != nil && isLateralItem(j.Rarg)
	}
	return false
}

// buildLateralItem plans item (isLateralItem) over the rows of left.
func (b *builder) buildLateralItem(item *pg_query.Node, left plan, outer *scope) (lateralSide, *scope, error) {
	ls := &scope{cols: left.cols(), parent: outer, excluded: -1}
	b.lateral++
	defer func() { b.lateral-- }()
	if rf := item.GetRangeFunction(); rf != nil {
		p, err := b.buildRangeFunction(rf, outer, left)
		if err != nil {
			return nil, nil, err
		}
		return p.(*lateralPlan).right, ls, nil
	}
	rs := item.GetRangeSubselect()
	sel := rs.Subquery.GetSelectStmt()
	if sel == nil {
		return nil, nil, pgerror.Newf(pgerror.FeatureNotSupported, "FROM item %s is not supported", nodeName(rs.Subquery))
	}
	p, err := b.buildSelect(sel, ls)
	if err != nil {
		return nil, nil, err
	}
	alias := ""
	if rs.Alias != nil {
		alias = rs.Alias.Aliasname
	}
	rp, err := renamePlan(p, alias, rs.Alias)
	if err != nil {
		return nil, nil, err
	}
	return &lateralSub{in: rp}, ls, nil
}

// buildLateralJoinItem plans the FROM list item it, a join holding a
// LATERAL item (hasLateral), after the items before it (cur): a LATERAL
// item inside it may refer to those too (FROM a, (b JOIN LATERAL (SELECT
// a.x) s ON true)), nothing else in it may. When one does, the join runs
// once per row of cur, which it reads as its outer row.
func (b *builder) buildLateralJoinItem(it *pg_query.Node, cur plan, outer *scope) (plan, error) {
	ls := &scope{cols: cur.cols(), parent: outer, excluded: -1, lateral: &b.lateral}
	p, err := b.buildFromItem(it, ls)
	if err != nil {
		return nil, err
	}
	if ls.outerRefs == 0 {
		// planned again without the extra level, whose depth its
		// references to enclosing queries count
		if p, err = b.buildFromItem(it, outer); err != nil {
			return nil, err
		}
		return newJoinPlan(cur, p, pg_query.JoinType_JOIN_INNER), nil
	}
	return newLateralPlan(cur, &lateralSub{in: p}, pg_query.JoinType_JOIN_INNER), nil
}

// buildLateralJoin plans `left [INNER|LEFT] JOIN LATERAL item ON …` (and
// CROSS JOIN); ok is false when j is not such a join.
func (b *builder) buildLateralJoin(j *pg_query.JoinExpr, l plan, outer *scope) (out plan, ok bool, err error) {
	if !isLateralItem(j.Rarg) {
		return nil, false, nil
	}
	switch j.Jointype {
	case pg_query.JoinType_JOIN_INNER, pg_query.JoinType_JOIN_LEFT:
	default:
		if j.Rarg.GetRangeSubselect() == nil {
			return nil, false, nil
		}
		// a RIGHT/FULL join may not see its left side: refused when the
		// subquery refers to it, planned as an ordinary join otherwise
		_, ls, err := b.buildLateralItem(j.Rarg, l, outer)
		if err != nil {
			return nil, true, err
		}
		if ls.outerRefs > 0 {
			return nil, true, pgerror.New(pgerror.InvalidColumnReference, "invalid reference to FROM-clause entry").
				WithDetail("The combining JOIN type must be INNER or LEFT for a LATERAL reference.")
		}
		return nil, false, nil
	}
	right, _, err := b.buildLateralItem(j.Rarg, l, outer)
	if err != nil {
		return nil, true, err
	}
	lp := newLateralPlan(l, right, j.Jointype)
	var merged *usingCols
	if len(j.UsingClause) > 0 || j.IsNatural {
		// USING / NATURAL: the equalities over the joined row, the merged
		// columns first, as buildJoin does for other joins.
		lcols, rcols := l.cols(), right.cols()
		using := []string(nil)
		if j.IsNatural {
			using = naturalColumns(lcols, rcols)
		}
		for _, u := range j.UsingClause {
			using = append(using, strVal(u))
		}
		if merged, err = usingColumns(lcols, rcols, using, j.Jointype); err != nil {
			return nil, true, err
		}
		jc := lp.cols()
		var eqs []*cexpr
		for i := range merged.left {
			li, ri := merged.left[i], len(lcols)+merged.right[i]
			eq, err := compareOp("=", colExpr(li, jc[li]), colExpr(ri, jc[ri]))
			if err != nil {
				return nil, true, err
			}
			eqs = append(eqs, eq)
		}
		if len(eqs) > 0 {
			lp.on = andExprs(eqs)
		}
	}
	if j.Quals != nil {
		s := &scope{cols: lp.columns, parent: outer, excluded: -1}
		if lp.on, err = b.compile(s, j.Quals, types.Bool); err != nil {
			return nil, true, err
		}
		if lp.on.t.Family() != types.FamBool && !lp.on.unknown {
			return nil, true, pgerror.Newf(pgerror.DatatypeMismatch, "argument of JOIN/ON must be type boolean, not type %s", lp.on.t)
		}
	}
	out = lp
	if merged != nil {
		out = merged.plan(out, len(l.cols()), usingAlias(j))
	}
	if j.Alias != nil {
		out, err = renamePlan(out, j.Alias.Aliasname, j.Alias)
	}
	return out, true, err
}
