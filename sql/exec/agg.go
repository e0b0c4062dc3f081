package exec

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/exec/spill"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// aggSpec is one aggregate call.
type aggSpec struct {
	name     string
	arg      *cexpr // nil for count(*)
	filter   *cexpr // FILTER (WHERE …): rows for which it is not true are skipped
	distinct bool
	t        types.T
	sep      *cexpr        // string_agg's delimiter
	order    []aggOrderKey // ORDER BY inside the call (string_agg)
	direct   *cexpr        // an ordered-set aggregate's direct argument (agg_within.go)
}

// aggCtx maps expressions of the post-aggregation scope.
type aggCtx struct {
	in      *scope           // pre-aggregation scope
	groups  []*cexpr         // group expressions (input scope)
	gnodes  []*pg_query.Node // their syntax, to recognise them in the select list
	aggs    []*aggSpec
	cols    []colInfo
	nGroups int     // columns before the aggregates' (the grouping set's index too)
	sets    [][]int // grouping sets (indexes into groups); nil for a plain GROUP BY
}

// match resolves n against group expressions and aggregate calls.
func (a *aggCtx) match(b *builder, s *scope, n *pg_query.Node) (*cexpr, bool, error) {
	if fc := n.GetFuncCall(); fc != nil && fc.Over == nil && planner.IsAggregate(lastName(fc.Funcname)) {
		e, err := a.addAgg(b, fc)
		return e, true, err
	}
	if gf := n.GetGroupingFunc(); gf != nil {
		e, err := a.compileGrouping(b, gf)
		return e, true, err
	}
	if n.GetColumnRef() == nil {
		for i, gn := range a.gnodes {
			if sameExpr(gn, n) {
				g, idx := a.groups[i], i
				return &cexpr{t: g.t, s: g.s, colIdx: -1, fn: func(_ *env, row []Datum) (Datum, error) { return row[idx], nil }}, true, nil
			}
		}
	}
	if cr := n.GetColumnRef(); cr != nil {
		e, err := b.compileColumnRefOnly(a.in, cr)
		if err != nil {
			if pe := pgerror.As(err); pe != nil && pe.Code == pgerror.UndefinedColumn {
				if len(cr.Fields) == 1 && cr.Fields[0].GetString_() != nil {
					if rel := strVal(cr.Fields[0]); b.hasRelation(a.in, rel) {
						// GROUP BY t groups by the whole row
						for i, gn := range a.gnodes {
							if sameExpr(gn, n) {
								g, idx := a.groups[i], i
								return &cexpr{t: g.t, s: g.s, colIdx: -1, fn: func(_ *env, row []Datum) (Datum, error) { return row[idx], nil }}, true, nil
							}
						}
						// a whole-row reference is not a grouped column
						return nil, true, b.errAt(pgerror.Newf(pgerror.GroupingError, "column \"%s.*\" must appear in the GROUP BY clause or be used in an aggregate function", rel), cr.Location)
					}
				}
				s2 := &scope{parent: s.parent, excluded: -1}
				e2, err2 := b.compile(s2, n, types.Unknown)
				return e2, true, err2
			}
			return nil, true, err
		}
		if e.colIdx < 0 {
			return e, true, nil
		}
		for i, g := range a.groups {
			if g.colIdx == e.colIdx {
				idx := i
				return &cexpr{t: g.t, s: g.s, colIdx: -1, fn: func(_ *env, row []Datum) (Datum, error) { return row[idx], nil }}, true, nil
			}
		}
		c := a.in.cols[e.colIdx]
		name := c.name
		if c.table != "" {
			name = c.table + "." + c.name
		}
		return nil, true, b.errAt(pgerror.Newf(pgerror.GroupingError, "column %q must appear in the GROUP BY clause or be used in an aggregate function", name), cr.Location)
	}
	return nil, false, nil
}

// addAgg binds an aggregate call; its arguments' fold errors are the
// call's (see foldParts).
func (a *aggCtx) addAgg(b *builder, fc *pg_query.FuncCall) (*cexpr, error) {
	return b.foldParts(func() (*cexpr, error) { return a.bindAgg(b, fc) })
}

func (a *aggCtx) bindAgg(b *builder, fc *pg_query.FuncCall) (*cexpr, error) {
	b.aggArgs++
	defer func() { b.aggArgs-- }()
	parts := aggParts{b: b, inner: &scope{cols: a.in.cols, parent: a.in.parent, excluded: -1},
		direct: &scope{parent: a.in.parent, excluded: -1}}
	call, err := planner.BindAggCall(parts, fc, false)
	if err != nil {
		return nil, b.locate(err)
	}
	spec, err := compileAggCall(call)
	if err != nil {
		return nil, err
	}
	return a.aggResult(spec), nil
}

// aggParts binds the parts of an aggregate call for the plan's binder
// (planner.AggBinder): the arguments, ORDER BY keys and FILTER over the
// rows aggregated (inner), a direct argument over the enclosing queries
// (direct).
type aggParts struct {
	b             *builder
	inner, direct *scope
}

// BindArg implements planner.AggBinder.
func (p aggParts) BindArg(n *pg_query.Node, hint types.T) (planner.Expr, error) {
	e, err := p.b.compile(p.inner, n, hint)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// BindRowArg implements planner.AggBinder.
func (p aggParts) BindRowArg(n *pg_query.Node) (planner.Expr, error) {
	e, err := p.b.compileRowArg(p.inner, n)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// BindDirect implements planner.AggBinder.
func (p aggParts) BindDirect(n *pg_query.Node, hint types.T) (planner.Expr, error) {
	e, err := p.b.compile(p.direct, n, hint)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// SameExpr implements planner.AggBinder: the same display text and type.
func (aggParts) SameExpr(x, y planner.Expr) bool {
	a, err := compileImplicit(x)
	if err != nil {
		return false
	}
	b, err := compileImplicit(y)
	return err == nil && a.s == b.s && a.t.Oid == b.t.Oid
}

// ArrayOf implements planner.AggBinder.
func (aggParts) ArrayOf(t types.T) (types.T, bool) { return arrayOf(t) }

// IsRow implements planner.Rower: a record argument of known shape.
func (e *cexpr) IsRow() bool { return e.rec != nil }

// compileAggCall compiles a bound aggregate call into its spec. An
// ordered-set aggregate's value is one expression, its argument and its
// sort key, compiled once.
func compileAggCall(call *planner.AggCall) (*aggSpec, error) {
	spec := &aggSpec{name: call.Name, distinct: call.Distinct, t: call.T}
	done := map[planner.Expr]*cexpr{}
	comp := func(e planner.Expr) (*cexpr, error) {
		if c, ok := done[e]; ok {
			return c, nil
		}
		c, err := compileImplicit(e)
		done[e] = c
		return c, err
	}
	var err error
	if call.Filter != nil {
		if spec.filter, err = comp(call.Filter); err != nil {
			return nil, err
		}
	}
	if len(call.Args) > 0 {
		if spec.arg, err = comp(call.Args[0]); err != nil {
			return nil, err
		}
	}
	if len(call.Args) > 1 {
		if spec.sep, err = comp(call.Args[1]); err != nil {
			return nil, err
		}
	}
	for _, k := range call.Order {
		e, err := comp(k.Expr)
		if err != nil {
			return nil, err
		}
		spec.order = append(spec.order, aggOrderKey{e: e, desc: k.Desc, nullsFirst: k.NullsFirst})
	}
	if call.Direct != nil {
		if spec.direct, err = comp(call.Direct); err != nil {
			return nil, err
		}
	}
	return spec, nil
}

// aggResult adds spec to the aggregates and returns the expression that
// reads its value from the aggregated row.
func (a *aggCtx) aggResult(spec *aggSpec) *cexpr {
	idx := a.nGroups + len(a.aggs)
	a.aggs = append(a.aggs, spec)
	return &cexpr{t: spec.t, s: spec.name + "(...)", colIdx: -1, fn: func(_ *env, row []Datum) (Datum, error) { return row[idx], nil }}
}

func (b *builder) needsAgg(sel *pg_query.SelectStmt) bool {
	if len(sel.GroupClause) > 0 || sel.HavingClause != nil {
		return true
	}
	found := false
	var walk func(n *pg_query.Node)
	walk = func(n *pg_query.Node) {
		if n == nil || found {
			return
		}
		switch v := n.Node.(type) {
		case *pg_query.Node_FuncCall:
			if v.FuncCall.Over == nil && planner.IsAggregate(lastName(v.FuncCall.Funcname)) {
				found = true
				return
			}
			for _, a := range v.FuncCall.Args {
				walk(a)
			}
			if o := v.FuncCall.Over; o != nil {
				for _, p := range o.PartitionClause {
					walk(p)
				}
				for _, s := range o.OrderClause {
					walk(s.GetSortBy().Node)
				}
			}
		case *pg_query.Node_ResTarget:
			walk(v.ResTarget.Val)
		case *pg_query.Node_AExpr:
			walk(v.AExpr.Lexpr)
			walk(v.AExpr.Rexpr)
		case *pg_query.Node_TypeCast:
			walk(v.TypeCast.Arg)
		case *pg_query.Node_BoolExpr:
			for _, a := range v.BoolExpr.Args {
				walk(a)
			}
		case *pg_query.Node_CaseExpr:
			walk(v.CaseExpr.Arg)
			walk(v.CaseExpr.Defresult)
			for _, a := range v.CaseExpr.Args {
				w := a.GetCaseWhen()
				walk(w.Expr)
				walk(w.Result)
			}
		case *pg_query.Node_CoalesceExpr:
			for _, a := range v.CoalesceExpr.Args {
				walk(a)
			}
		case *pg_query.Node_NullTest:
			walk(v.NullTest.Arg)
		case *pg_query.Node_List:
			for _, a := range v.List.Items {
				walk(a)
			}
		}
	}
	for _, t := range sel.TargetList {
		walk(t)
	}
	for _, s := range sel.SortClause {
		walk(s.GetSortBy().Node)
	}
	return found
}

// buildAgg plans GROUP BY/aggregates and HAVING; it returns the plan and
// the post-aggregation scope.
func (b *builder) buildAgg(from plan, s *scope, sel *pg_query.SelectStmt) (plan, *scope, error) {
	a := &aggCtx{in: s}
	leaf := func(g *pg_query.Node) (int, error) {
		g, err := groupExpr(b, s, g, sel.TargetList)
		if err != nil {
			return 0, err
		}
		for i, gn := range a.gnodes {
			if sameExpr(gn, g) {
				return i, nil
			}
		}
		e, err := b.compile(s, g, types.Unknown)
		if err != nil {
			return 0, err
		}
		a.groups = append(a.groups, e)
		a.gnodes = append(a.gnodes, g)
		a.cols = append(a.cols, colInfo{name: e.s, typ: e.t})
		return len(a.groups) - 1, nil
	}
	sets, hasSets, err := groupingSetList(sel.GroupClause, sel.GroupDistinct, leaf)
	if err != nil {
		return nil, nil, err
	}
	if hasSets {
		a.sets = sets
		a.cols = append(a.cols, colInfo{name: "?grouping set?", typ: types.Int8})
	}
	a.nGroups = len(a.cols)
	ps := &scope{parent: s.parent, agg: a, excluded: -1}
	ap := &aggPlan{in: from, ctx: a}
	var out plan = ap
	if sel.HavingClause != nil {
		cond, err := b.compile(ps, sel.HavingClause, types.Bool)
		if err != nil {
			return nil, nil, err
		}
		out = &filterPlan{in: ap, cond: cond}
	}
	return out, ps, nil
}

type aggPlan struct {
	in  plan
	ctx *aggCtx
}

func (p *aggPlan) cols() []colInfo {
	cols := append([]colInfo(nil), p.ctx.cols...)
	for _, a := range p.ctx.aggs {
		cols = append(cols, colInfo{name: a.name, typ: a.t})
	}
	return cols
}

func (p *aggPlan) explain(x *explainer, depth int) {
	if len(p.ctx.groups) > 0 {
		x.add(depth, "HashAggregate")
	} else {
		x.add(depth, "Aggregate")
	}
	x.child(p.in, depth+1)
}

// aggState accumulates one aggregate for one group.
type aggState struct {
	count int64
	val   Datum
	seen  map[string]bool
	items []aggItem // ordered aggregates (string_agg)
}

func (p *aggPlan) start(e *env) (iter, error) {
	in, err := startPlan(e, p.in)
	if err != nil {
		return nil, err
	}
	defer in.close()
	out := spill.NewRows(e.budget(), e.space())
	if err := p.aggregate(e, iterAdapter{in}, 0, out); err != nil {
		out.Close()
		return nil, err
	}
	it, err := out.Iter()
	if err != nil {
		out.Close()
		return nil, err
	}
	return &funcIter{nx: it.Next, cl: out.Close}, nil
}

type aggGroup struct {
	keys   []Datum
	states []aggState
}

// aggregate groups src's rows into out (groups in order of first
// appearance; spilled groups after the others, partition by partition).
func (p *aggPlan) aggregate(e *env, src spill.Iterator, level int, out *spill.Rows) error {
	ht := newHashTable(e, level)
	defer ht.release()
	groups := map[string]*aggGroup{}
	var order []*aggGroup
	sets := p.ctx.sets
	read := 0
	for {
		if err := e.checkCancel(); err != nil {
			return err
		}
		row, err := src.Next()
		if err != nil {
			return err
		}
		if row == nil {
			break
		}
		keys := make([]Datum, len(p.ctx.groups))
		for i, g := range p.ctx.groups {
			if keys[i], err = g.fn(e, row); err != nil {
				return err
			}
		}
		read++
		if sets == nil {
			if err := p.addRow(e, ht, groups, &order, keys, row); err != nil {
				return err
			}
			continue
		}
		// once per grouping set; a spilled row carries its set's index
		// after its columns and comes back for that set only
		first, last := 0, len(sets)-1
		if level > 0 {
			first = int(row[len(row)-1].(int64))
			last = first
		}
		for si := first; si <= last; si++ {
			sk := make([]Datum, len(keys)+1)
			for _, i := range sets[si] {
				sk[i] = keys[i]
			}
			sk[len(keys)] = int64(si)
			r := row
			if level == 0 {
				r = append(row[:len(row):len(row)], int64(si))
			}
			if err := p.addRow(e, ht, groups, &order, sk, r); err != nil {
				return err
			}
		}
	}
	if read == 0 && level == 0 && sets != nil {
		for si, set := range sets {
			if len(set) == 0 {
				keys := make([]Datum, len(p.ctx.groups)+1)
				keys[len(keys)-1] = int64(si)
				order = append(order, &aggGroup{keys: keys, states: make([]aggState, len(p.ctx.aggs))})
			}
		}
	}
	if len(order) == 0 && len(p.ctx.groups) == 0 && sets == nil && level == 0 && ht.parts == nil {
		order = append(order, &aggGroup{states: make([]aggState, len(p.ctx.aggs))})
	}
	for _, g := range order {
		// never nil, even with no keys and no aggregates: a nil row ends the stream
		row := append(make([]Datum, 0, len(g.keys)+len(p.ctx.aggs)), g.keys...)
		for i, a := range p.ctx.aggs {
			v, err := finish(e, a, &g.states[i])
			if err != nil {
				return err
			}
			row = append(row, v)
		}
		if err := out.Add(row); err != nil {
			return err
		}
	}
	groups, order = nil, nil
	ht.release()
	for i := 0; i < spillFanOut; i++ {
		it, err := ht.partition(i)
		if err != nil || it == nil {
			return err
		}
		if err := p.aggregate(e, it, level+1, out); err != nil {
			return err
		}
	}
	return nil
}

// addRow adds row to the group of keys (admitting a new group, or
// spilling row when the memory budget refuses it).
func (p *aggPlan) addRow(e *env, ht *hashTable, groups map[string]*aggGroup, order *[]*aggGroup, keys, row []Datum) error {
	k := rowKey(keys, p.ctx.cols, len(keys))
	g := groups[k]
	if g == nil {
		ok, err := ht.admit(int64(len(k)) + keyOverhead + memacct.RowSize(keys) + int64(len(p.ctx.aggs))*48)
		if err != nil {
			return err
		}
		if !ok {
			return ht.spillRow(k, row)
		}
		g = &aggGroup{keys: keys, states: make([]aggState, len(p.ctx.aggs))}
		groups[k] = g
		*order = append(*order, g)
	}
	for i, a := range p.ctx.aggs {
		if err := accumulate(e, a, &g.states[i], row, ht.budget); err != nil {
			return err
		}
	}
	return nil
}

func accumulate(e *env, a *aggSpec, st *aggState, row []Datum, budget *memacct.Budget) error {
	if a.filter != nil {
		keep, err := a.filter.fn(e, row)
		if err != nil {
			return err
		}
		if b, _ := keep.(bool); !b {
			return nil
		}
	}
	if a.arg == nil {
		st.count++
		return nil
	}
	v, err := a.arg.fn(e, row)
	if err != nil || v == nil && a.name != "array_agg" && !planner.IsJSONAgg(a.name) {
		return err
	}
	if a.distinct {
		if st.seen == nil {
			st.seen = map[string]bool{}
		}
		k := rowKey([]Datum{v}, []colInfo{{typ: a.arg.t}}, 1)
		if st.seen[k] {
			return nil
		}
		if err := budget.Grow(int64(len(k)) + keyOverhead); err != nil {
			return err
		}
		st.seen[k] = true
	}
	st.count++
	switch a.name {
	case "count":
	case "string_agg", "array_agg", "jsonb_agg", "jsonb_object_agg", "json_agg", "json_object_agg",
		"percentile_cont", "percentile_disc", "mode":
		return collectOrdered(e, a, st, v, row, budget)
	case "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop":
		return accumulateStat(a, st, v)
	case "sum", "avg":
		acc := a.t
		if a.name == "avg" {
			acc = a.t
		}
		if v, err = types.Cast(v, a.arg.t, acc, true); err != nil {
			return err
		}
		if st.val == nil {
			st.val = v
			return nil
		}
		st.val, err = types.Add(st.val, v, acc)
		return err
	case "min", "max":
		c := 0
		if st.val != nil {
			c = compareAs(a.arg.t, v, st.val)
		}
		if st.val == nil || (c < 0) == (a.name == "min") && c != 0 {
			st.val = v
		}
	case "bool_and":
		if st.val == nil {
			st.val = v
		} else {
			st.val = st.val.(bool) && v.(bool)
		}
	case "bool_or":
		if st.val == nil {
			st.val = v
		} else {
			st.val = st.val.(bool) || v.(bool)
		}
	}
	return nil
}

func finish(e *env, a *aggSpec, st *aggState) (Datum, error) {
	switch a.name {
	case "json_agg", "json_object_agg":
		return finishJSONTextAgg(a, st)
	case "percentile_cont", "percentile_disc", "mode":
		return finishOrderedSet(e, a, st)
	case "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop":
		return finishStat(a, st)
	case "string_agg":
		return finishStringAgg(a, st)
	case "array_agg":
		return finishArrayAgg(a, st)
	case "jsonb_agg", "jsonb_object_agg":
		return finishJSONAgg(a, st)
	case "count":
		return st.count, nil
	case "avg":
		if st.count == 0 {
			return nil, nil
		}
		if f, ok := st.val.(float64); ok {
			return f / float64(st.count), nil
		}
		// numeric_avg is numeric_div(sum, count): select_div_scale's scale
		return types.Div(st.val, types.NumericFromInt(st.count), types.Numeric)
	}
	return st.val, nil
}
