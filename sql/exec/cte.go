package exec

import (
	"github.com/heliosdb/nano/sql/parser"
	planner "github.com/heliosdb/nano/sql/plan"
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/pgerror"
)

// WITH queries. A CTE named in FROM is planned at that place as a
// subquery over the CTEs visible where it was defined (inlined, as
// PostgreSQL does for a CTE that is not MATERIALIZED; the results are the
// same for the queries we run, which have no volatile side effects). A
// WITH RECURSIVE query that names itself is planned as a recursivePlan:
// its non-recursive term, then its recursive term run again and again over
// the rows the previous round produced (the work table) until a round
// produces none; UNION (not ALL) drops rows already produced.

// cteDef is one WITH list entry.
type cteDef struct {
	name      string
	cte       *pg_query.CommonTableExpr
	visible   []*cteDef // CTEs its body sees (earlier siblings and outer ones)
	outer     *scope
	recursive bool      // WITH RECURSIVE and its body names itself
	work      *workPlan // set while its recursive term is planned
	dml       *dmlCTE   // a data-modifying statement: its RETURNING rows
}

// pushWith makes the CTEs of wc visible; the returned func restores the
// previous set.
func (b *builder) pushWith(wc *pg_query.WithClause, outer *scope) (func(), error) {
	saved := b.ctes
	restore := func() { b.ctes = saved }
	seen := map[string]bool{}
	var defs []*cteDef
	for _, n := range wc.Ctes {
		c := n.GetCommonTableExpr()
		if seen[c.Ctename] {
			return nil, b.errAt(pgerror.Newf(pgerror.DuplicateAlias, "WITH query name %q specified more than once", c.Ctename), c.Location)
		}
		seen[c.Ctename] = true
		if c.SearchClause != nil || c.CycleClause != nil {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "SEARCH and CYCLE clauses are not supported")
		}
		d := &cteDef{name: c.Ctename, cte: c, outer: outer}
		if c.Ctequery.GetSelectStmt() == nil {
			if wc != b.topWith {
				return nil, b.errAt(pgerror.New(pgerror.FeatureNotSupported, "WITH clause containing a data-modifying statement must be at the top level"), c.Location)
			}
			// planned now, over the CTEs defined before it
			b.ctes = append(append([]*cteDef(nil), saved...), defs...)
			dml, err := b.buildDMLCTE(c)
			b.ctes = saved
			if err != nil {
				return nil, err
			}
			d.dml = dml
		}
		d.recursive = wc.Recursive && namesRelation(c.Ctequery, c.Ctename)
		defs = append(defs, d)
	}
	for i, d := range defs {
		vis := append([]*cteDef(nil), saved...)
		if wc.Recursive {
			vis = append(vis, defs...) // every entry sees every other
		} else {
			vis = append(vis, defs[:i]...)
		}
		d.visible = vis
	}
	b.ctes = append(append([]*cteDef(nil), saved...), defs...)
	return restore, nil
}

// namesRelation reports whether a RangeVar named name occurs in n.
func namesRelation(n *pg_query.Node, name string) bool {
	return parser.Contains(n, func(m proto.Message) (bool, bool) {
		rv, ok := m.(*pg_query.RangeVar)
		return ok && rv.Schemaname == "" && rv.Relname == name, true
	})
}

// findCTE returns the innermost visible CTE called name, or nil.
func (b *builder) findCTE(rv *pg_query.RangeVar) *cteDef {
	if rv.Schemaname != "" {
		return nil
	}
	for i := len(b.ctes) - 1; i >= 0; i-- {
		if b.ctes[i].name == rv.Relname {
			return b.ctes[i]
		}
	}
	return nil
}

// expandCTE plans a reference to d under alias.
func (b *builder) expandCTE(d *cteDef, alias string, a *pg_query.Alias) (plan, error) {
	var p plan
	if d.dml != nil {
		if d.dml.columns == nil {
			return nil, pgerror.Newf(pgerror.FeatureNotSupported, "WITH query %q does not have a RETURNING clause", d.name)
		}
		var err error
		if p, err = cteAliases(d.dml, d); err != nil {
			return nil, err
		}
	} else if d.work != nil {
		p = d.work
	} else {
		saved := b.ctes
		b.ctes = d.visible
		var err error
		if d.recursive {
			p, err = b.buildRecursive(d)
		} else {
			p, err = b.buildSelect(d.cte.Ctequery.GetSelectStmt(), d.outer)
			if err == nil {
				p, err = cteAliases(p, d)
			}
		}
		b.ctes = saved
		if err != nil {
			return nil, err
		}
	}
	cols := p.cols()
	for i := range cols {
		cols[i].table, cols[i].tableOID, cols[i].attNum = alias, 0, 0
		if a != nil && i < len(a.Colnames) {
			cols[i].name = strVal(a.Colnames[i])
		}
	}
	if a != nil && len(a.Colnames) > len(cols) {
		return nil, pgerror.Newf(pgerror.InvalidColumnReference, "table %q has %d columns available but %d columns specified", alias, len(cols), len(a.Colnames))
	}
	ap := &aliasPlan{in: p, columns: cols}
	if d.recursive {
		ap.label = "CTE Scan on " + d.name
	}
	return ap, nil
}

// cteAliases renames the columns of a CTE's query by its column list.
func cteAliases(p plan, d *cteDef) (plan, error) {
	names := d.cte.Aliascolnames
	if len(names) == 0 {
		return p, nil
	}
	cols := p.cols()
	if len(names) > len(cols) {
		return nil, pgerror.Newf(pgerror.InvalidColumnReference, "WITH query %q has %d columns available but %d columns specified", d.name, len(cols), len(names))
	}
	for i, n := range names {
		cols[i].name = strVal(n)
	}
	return &aliasPlan{in: p, columns: cols}, nil
}

// buildRecursive plans WITH RECURSIVE d AS (non-recursive UNION [ALL]
// recursive).
func (b *builder) buildRecursive(d *cteDef) (plan, error) {
	sel := d.cte.Ctequery.GetSelectStmt()
	if sel.Op != pg_query.SetOperation_SETOP_UNION {
		return nil, b.errAt(pgerror.Newf(pgerror.InvalidRecursion, "recursive query %q does not have the form non-recursive-term UNION [ALL] recursive-term", d.name), d.cte.Location)
	}
	// PostgreSQL's checkWellFormedRecursion, in its order.
	switch {
	case len(sel.SortClause) > 0:
		return nil, b.errAt(pgerror.New(pgerror.FeatureNotSupported, "ORDER BY in a recursive query is not implemented"),
			planner.ExprLocation(sel.SortClause[0].GetSortBy().GetNode()))
	case sel.LimitOffset != nil:
		return nil, b.errAt(pgerror.New(pgerror.FeatureNotSupported, "OFFSET in a recursive query is not implemented"),
			planner.ExprLocation(sel.LimitOffset))
	case sel.LimitCount != nil:
		return nil, b.errAt(pgerror.New(pgerror.FeatureNotSupported, "LIMIT in a recursive query is not implemented"),
			planner.ExprLocation(sel.LimitCount))
	}
	if namesRelation(&pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel.Larg}}, d.name) {
		return nil, b.errAt(pgerror.Newf(pgerror.InvalidRecursion, "recursive reference to query %q must not appear within its non-recursive term", d.name), d.cte.Location)
	}
	left, err := b.buildSelect(sel.Larg, d.outer)
	if err != nil {
		return nil, err
	}
	if left, err = cteAliases(left, d); err != nil {
		return nil, err
	}
	lc := left.cols()
	for i := range lc {
		lc[i].table, lc[i].tableOID, lc[i].attNum = "", 0, 0
	}
	d.work = &workPlan{columns: lc}
	right, err := b.buildSelect(sel.Rarg, d.outer)
	work := d.work
	d.work = nil
	if err != nil {
		return nil, err
	}
	rc := right.cols()
	if len(rc) != len(lc) {
		return nil, pgerror.New(pgerror.SyntaxError, "each UNION query must have the same number of columns")
	}
	for i := range lc {
		if rc[i].typ.Oid != lc[i].typ.Oid {
			return nil, pgerror.Newf(pgerror.DatatypeMismatch, "recursive query %q column %d has type %s in non-recursive term but type %s overall", d.name, i+1, lc[i].typ, rc[i].typ).
				WithHint("Cast the output of the non-recursive term to the correct type.")
		}
	}
	return &recursivePlan{left: left, right: right, work: work, all: sel.All, columns: lc}, nil
}

// workPlan reads the rows of the recursive query's previous round.
type workPlan struct {
	columns []colInfo
}

func (p *workPlan) cols() []colInfo                 { return append([]colInfo(nil), p.columns...) }
func (p *workPlan) explain(x *explainer, depth int) { x.add(depth, "WorkTable Scan") }
func (p *workPlan) start(e *env) (iter, error) {
	rows, _ := e.cache[p].([][]Datum)
	return sliceIter(rows), nil
}

// recursivePlan runs a recursive query, streaming its rows (a LIMIT above
// it stops the recursion).
type recursivePlan struct {
	left, right plan
	work        *workPlan
	all         bool
	columns     []colInfo
}

func (p *recursivePlan) cols() []colInfo { return append([]colInfo(nil), p.columns...) }
func (p *recursivePlan) explain(x *explainer, depth int) {
	x.add(depth, "Recursive Union")
	x.child(p.left, depth+1)
	x.child(p.right, depth+1)
}

func (p *recursivePlan) start(e *env) (iter, error) {
	cur, err := startPlan(e, p.left)
	if err != nil {
		return nil, err
	}
	if e.cache == nil {
		e.cache = map[any]any{}
	}
	r := &recursion{e: e, p: p, cur: cur, acct: e.account(), seen: map[string]bool{}}
	return &funcIter{nx: r.next, cl: r.close}, nil
}

type recursion struct {
	e        *env
	p        *recursivePlan
	cur      iter
	inRight  bool
	next_    [][]Datum // rows of this round: the next round's work table
	nextHeld int64
	workHeld int64
	acct     *memacct.Account
	seen     map[string]bool
	rounds   int
}

func (r *recursion) close() {
	if r.cur != nil {
		r.cur.close()
		r.cur = nil
	}
	r.acct.Shrink(r.nextHeld + r.workHeld)
	r.nextHeld, r.workHeld = 0, 0
	delete(r.e.cache, r.p.work)
}

func (r *recursion) next() ([]Datum, error) {
	for {
		if err := r.e.checkCancel(); err != nil {
			return nil, err
		}
		if r.cur == nil {
			return nil, nil
		}
		row, err := r.cur.next()
		if err != nil {
			return nil, err
		}
		if row == nil {
			r.cur.close()
			r.cur = nil
			if len(r.next_) == 0 {
				return nil, nil
			}
			// Next round over the rows this one produced.
			r.acct.Shrink(r.workHeld)
			r.e.cache[r.p.work] = r.next_
			r.workHeld, r.next_, r.nextHeld = r.nextHeld, nil, 0
			r.inRight = true
			r.rounds++
			if r.cur, err = startPlan(r.e, r.p.right); err != nil {
				return nil, err
			}
			continue
		}
		if r.inRight {
			if row, err = castRow(row, r.p.right.cols(), r.p.columns); err != nil {
				return nil, err
			}
		}
		if !r.p.all {
			k := rowKey(row, r.p.columns, len(r.p.columns))
			if r.seen[k] {
				continue
			}
			if err := r.acct.Grow(int64(len(k)) + keyOverhead); err != nil {
				return nil, err
			}
			r.seen[k] = true
		}
		n := memacct.RowSize(row) + 8
		if err := r.acct.Grow(n); err != nil {
			return nil, err
		}
		r.nextHeld += n
		r.next_ = append(r.next_, row)
		return row, nil
	}
}

// withDML makes the WITH queries of an INSERT, UPDATE or DELETE visible
// and returns a copy of the statement for the caller to clear its
// WithClause (the parse tree is kept as it is for re-planning).
func withDML[T proto.Message](b *builder, stmt T, wc *pg_query.WithClause) (T, func(), error) {
	if wc == nil {
		return stmt, func() {}, nil
	}
	restore, err := b.pushWith(wc, nil)
	if err != nil {
		return stmt, nil, err
	}
	return proto.Clone(stmt).(T), restore, nil
}
