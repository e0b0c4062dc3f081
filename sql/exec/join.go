package exec

import (
	"context"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/exec/spill"
	"github.com/heliosdb/nano/sql/pgerror"
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
	return &joinPlan{left: l, right: r, kind: kind, out: append(append([]colInfo(nil), l.cols()...), r.cols()...)}
}

func (p *joinPlan) cols() []colInfo { return append([]colInfo(nil), p.out...) }

func (p *joinPlan) explain(x *explainer, depth int) {
	x.add(depth, "Nested Loop")
	if p.kind == pg_query.JoinType_JOIN_LEFT {
		x.lines[len(x.lines)-1] += " Left Join"
	}
	if p.on != nil {
		x.detail(depth, "Join Filter: "+p.on.s)
	}
	p.left.explain(x, depth+1)
	p.right.explain(x, depth+1)
}

// materialize runs p into a row container that spills past work_mem.
func materialize(e *env, p plan) (*spill.Rows, error) {
	in, err := p.start(e)
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
	left, err := p.left.start(e)
	if err != nil {
		right.Close()
		return nil, err
	}
	nl, nr := len(p.left.cols()), len(p.right.cols())
	var cur []Datum
	var ri spill.Iterator
	matched := false
	return &funcIter{nx: func() ([]Datum, error) {
		for {
			if err := e.checkCancel(); err != nil {
				return nil, err
			}
			if cur == nil {
				if cur, err = left.next(); err != nil || cur == nil {
					return nil, err
				}
				if ri, err = right.Iter(); err != nil {
					return nil, err
				}
				matched = false
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
				return row, nil
			}
			l := cur
			cur = nil
			if p.kind == pg_query.JoinType_JOIN_LEFT && !matched {
				return append(append(make([]Datum, 0, nl+nr), l...), make([]Datum, nr)...), nil
			}
		}
	}, cl: func() { left.close(); right.Close() }}, nil
}

func (b *builder) buildJoin(j *pg_query.JoinExpr, outer *scope) (plan, error) {
	l, err := b.buildFromItem(j.Larg, outer)
	if err != nil {
		return nil, err
	}
	r, err := b.buildFromItem(j.Rarg, outer)
	if err != nil {
		return nil, err
	}
	kind := j.Jointype
	if kind == pg_query.JoinType_JOIN_RIGHT {
		l, r = r, l
		kind = pg_query.JoinType_JOIN_LEFT
	}
	if kind != pg_query.JoinType_JOIN_INNER && kind != pg_query.JoinType_JOIN_LEFT {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "FULL JOIN is not supported")
	}
	jp := newJoinPlan(l, r, kind)
	s := &scope{cols: jp.cols(), parent: outer, excluded: -1}
	if j.Quals != nil {
		if jp.on, err = b.compile(s, j.Quals, types.Bool); err != nil {
			return nil, err
		}
	}
	if len(j.UsingClause) > 0 || j.IsNatural {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "JOIN USING/NATURAL is not supported")
	}
	if jp.kind == pg_query.JoinType_JOIN_LEFT && j.Jointype == pg_query.JoinType_JOIN_RIGHT {
		return &swapPlan{in: jp, nl: len(l.cols())}, nil
	}
	return jp, nil
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
func (p *swapPlan) explain(x *explainer, depth int) { p.in.explain(x, depth) }
func (p *swapPlan) start(e *env) (iter, error) {
	in, err := p.in.start(e)
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
	child := &scope{cols: nil, parent: s, excluded: -1}
	_ = child
	sub, err := b.buildSelect(sel, s)
	if err != nil {
		return nil, err
	}
	key := new(int)
	correlated := s.correlated
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
	// Conservatively treat every subquery as correlated unless planning
	// it touched no parent column (s.correlated is set by lookupColumn).
	correlated = s.correlated || true
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
	case pg_query.SubLinkType_ANY_SUBLINK, pg_query.SubLinkType_ALL_SUBLINK:
		op := "="
		if len(sl.OperName) > 0 {
			op = strVal(sl.OperName[len(sl.OperName)-1])
		}
		l, err := b.compile(s, sl.Testexpr, types.Unknown)
		if err != nil {
			return nil, err
		}
		cols := sub.cols()
		if len(cols) != 1 {
			return nil, pgerror.New(pgerror.SyntaxError, "subquery has too many columns")
		}
		slot := &cexpr{t: cols[0].typ, colIdx: -1, fn: func(en *env, _ []Datum) (Datum, error) { return en.cache[slotKey{}], nil }}
		cmp, err := compareOp(op, l, slot)
		if err != nil {
			return nil, err
		}
		all := sl.SubLinkType == pg_query.SubLinkType_ALL_SUBLINK
		return &cexpr{t: types.Bool, s: "ANY(SubPlan)", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
			rows, err := run(en, row)
			if err != nil {
				return nil, err
			}
			if en.cache == nil {
				en.cache = map[any]any{}
			}
			sawNull := false
			for _, r := range rows {
				en.cache[slotKey{}] = r[0]
				v, err := cmp.fn(en, row)
				if err != nil {
					return nil, err
				}
				if v == nil {
					sawNull = true
				} else if v.(bool) != all {
					return !all, nil
				}
			}
			if sawNull {
				return nil, nil
			}
			return all, nil
		}}, nil
	}
	return nil, pgerror.Newf(pgerror.FeatureNotSupported, "subquery type %s is not supported", sl.SubLinkType)
}

type slotKey struct{}
