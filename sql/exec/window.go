package exec

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// Binding of window function calls (f(...) OVER (...)). A SELECT with
// window calls gets a windowPlan above its FROM/WHERE/GROUP BY/HAVING
// result; its select list and ORDER BY are compiled in a scope whose winCtx
// turns each window call into a reference to the output column the
// windowPlan computes for it. Calls over the same window definition share
// one pass (one sort).

// winCtx collects the window calls of one SELECT.
type winCtx struct {
	in    *scope // the calls' arguments, PARTITION BY and ORDER BY bind here
	plan  *windowPlan
	calls []*winCall
	defs  []*pg_query.WindowDef // resolved definition of each spec
	named map[string]*pg_query.WindowDef
}

// windowFuncs are the functions that exist only with OVER.
var windowFuncs = map[string]bool{
	"row_number": true, "rank": true, "dense_rank": true, "percent_rank": true, "cume_dist": true,
	"ntile": true, "lag": true, "lead": true, "first_value": true, "last_value": true, "nth_value": true,
}

// buildWindow adds the window operator when the select list or ORDER BY
// calls window functions; it returns the plan and the scope to compile
// them in.
func (b *builder) buildWindow(from plan, s *scope, sel *pg_query.SelectStmt) (plan, *scope, error) {
	found := false
	for _, t := range sel.TargetList {
		found = found || hasWindowCall(t)
	}
	for _, sn := range sel.SortClause {
		found = found || hasWindowCall(sn)
	}
	if !found {
		if len(sel.WindowClause) > 0 {
			if _, err := namedWindows(sel.WindowClause); err != nil {
				return nil, nil, err
			}
		}
		return from, s, nil
	}
	named, err := namedWindows(sel.WindowClause)
	if err != nil {
		return nil, nil, err
	}
	wp := &windowPlan{in: from}
	ctx := &winCtx{in: s, plan: wp, named: named}
	wp.ctx = ctx
	ws := *s
	ws.win = ctx
	return wp, &ws, nil
}

func namedWindows(list []*pg_query.Node) (map[string]*pg_query.WindowDef, error) {
	named := map[string]*pg_query.WindowDef{}
	for _, n := range list {
		wd := n.GetWindowDef()
		if _, dup := named[wd.Name]; dup {
			return nil, pgerror.Newf(pgerror.WindowingError, "window %q is already defined", wd.Name)
		}
		named[wd.Name] = wd
	}
	return named, nil
}

// hasWindowCall reports whether n calls a window function outside of a
// subquery.
func hasWindowCall(n *pg_query.Node) bool {
	return hasCall(n, func(fc *pg_query.FuncCall) bool { return fc.Over != nil })
}

// compileWindowCall binds f(...) OVER (...) in scope s.
func (b *builder) compileWindowCall(s *scope, fc *pg_query.FuncCall) (*cexpr, error) {
	return b.foldParts(func() (*cexpr, error) { return b.bindWindowCall(s, fc) })
}

func (b *builder) bindWindowCall(s *scope, fc *pg_query.FuncCall) (*cexpr, error) {
	name := lastName(fc.Funcname)
	if s.win == nil && b.aggArgs > 0 {
		return nil, b.errAt(pgerror.New(pgerror.GroupingError, "aggregate function calls cannot contain window function calls"), fc.Location)
	}
	if s.win == nil {
		return nil, b.errAt(pgerror.New(pgerror.WindowingError, "window functions are not allowed here"), fc.Location)
	}
	ctx := s.win
	if !windowFuncs[name] && !planner.IsAggregate(name) {
		return nil, b.errAt(pgerror.Newf(pgerror.WrongObjectType, "OVER specified, but %s is not a window function nor an aggregate function", name), fc.Location)
	}
	if fc.AggDistinct {
		return nil, b.errAt(pgerror.New(pgerror.FeatureNotSupported, "DISTINCT is not implemented for window functions"), fc.Location)
	}
	if len(fc.AggOrder) > 0 {
		return nil, b.errAt(pgerror.New(pgerror.FeatureNotSupported, "aggregate ORDER BY is not implemented for window functions"), fc.Location)
	}
	call := &winCall{name: name}
	switch name {
	case "rank", "dense_rank", "percent_rank", "cume_dist":
		if len(fc.Args) > 0 {
			return nil, b.errAt(pgerror.Newf(pgerror.WrongObjectType, "WITHIN GROUP is required for ordered-set aggregate %s", name), fc.Location)
		}
	}
	if planner.IsOrderedSetAgg(name) {
		return nil, b.errAt(pgerror.Newf(pgerror.WrongObjectType, "OVER is not supported for ordered-set aggregate %s", name), fc.Location)
	}
	if planner.IsAggregate(name) && !windowFuncs[name] {
		spec, err := b.windowAgg(ctx.in, fc)
		if err != nil {
			return nil, err
		}
		call.agg, call.t = spec, spec.t
	} else {
		if fc.AggFilter != nil {
			return nil, b.errAt(pgerror.New(pgerror.FeatureNotSupported, "FILTER is not implemented for non-aggregate window functions"), fc.Location)
		}
		if err := b.windowFuncArgs(ctx.in, fc, call); err != nil {
			return nil, err
		}
	}
	wd, err := ctx.resolve(fc.Over, 0)
	if err != nil {
		return nil, b.errAt(pgerror.Flatten(err), fc.Location)
	}
	if call.spec, err = b.windowSpec(ctx, wd); err != nil {
		return nil, err
	}
	call.idx = len(ctx.calls)
	ctx.calls = append(ctx.calls, call)
	k, wp := call.idx, ctx.plan
	return &cexpr{t: call.t, s: name + "() OVER (...)", colIdx: -1,
		fn: func(_ *env, row []Datum) (Datum, error) { return row[wp.inWidth()+k], nil }}, nil
}

// windowAgg binds an aggregate used as a window function.
func (b *builder) windowAgg(in *scope, fc *pg_query.FuncCall) (*aggSpec, error) {
	parts := aggParts{b: b, inner: &scope{cols: in.cols, parent: in.parent, agg: in.agg, excluded: -1}}
	call, err := planner.BindAggCall(parts, fc, true)
	if err != nil {
		return nil, b.locate(err)
	}
	return compileAggCall(call)
}

// windowFuncArgs binds the arguments of a window-only function and types
// its result.
func (b *builder) windowFuncArgs(in *scope, fc *pg_query.FuncCall, call *winCall) error {
	want := map[string][2]int{
		"row_number": {0, 0}, "rank": {0, 0}, "dense_rank": {0, 0}, "percent_rank": {0, 0}, "cume_dist": {0, 0},
		"ntile": {1, 1}, "lag": {1, 3}, "lead": {1, 3}, "first_value": {1, 1}, "last_value": {1, 1}, "nth_value": {2, 2},
	}[call.name]
	inner := &scope{cols: in.cols, parent: in.parent, agg: in.agg, excluded: -1}
	for i, a := range fc.Args {
		hint := types.Unknown
		if i == 1 || call.name == "ntile" {
			hint = types.Int4
		}
		if i == 2 {
			hint = call.args[0].t
		}
		e, err := b.compile(inner, a, hint)
		if err != nil {
			return err
		}
		switch {
		case (i == 1 || call.name == "ntile") && e.t.Family() != types.FamInt && !e.unknown:
			return b.errAt(pgerror.Newf(pgerror.UndefinedFunction, "function %s does not exist", call.name).
				WithHint("No function matches the given name and argument types. You might need to add explicit type casts."), fc.Location)
		case i == 0 && e.unknown && call.name != "ntile":
			e = coerce(e, types.Text)
			e.t = types.Text
		case i == 2 && e.t != call.args[0].t:
			if !e.unknown && !assignable(e.t, call.args[0].t) {
				return b.errAt(pgerror.Newf(pgerror.UndefinedFunction, "function %s(%s, integer, %s) does not exist", call.name, call.args[0].t, e.t), fc.Location)
			}
			e = coerce(e, call.args[0].t)
		case (i == 1 || call.name == "ntile") && e.t != types.Int4:
			e = coerce(e, types.Int8)
		}
		call.args = append(call.args, e)
	}
	if len(fc.Args) < want[0] || len(fc.Args) > want[1] || fc.AggStar {
		return b.errAt(pgerror.Newf(pgerror.UndefinedFunction, "function %s with %d arguments does not exist", call.name, len(fc.Args)), fc.Location)
	}
	switch call.name {
	case "row_number", "rank", "dense_rank":
		call.t = types.Int8
	case "percent_rank", "cume_dist":
		call.t = types.Float8
	case "ntile":
		call.t = types.Int4
	default:
		call.t = call.args[0].t
	}
	return nil
}

// resolve applies OVER name / OVER (name ...) against the WINDOW clause.
func (c *winCtx) resolve(wd *pg_query.WindowDef, depth int) (*pg_query.WindowDef, error) {
	if depth > 32 {
		return nil, pgerror.New(pgerror.WindowingError, "window definitions refer to each other in a cycle")
	}
	if wd.Name != "" && wd.Refname == "" && len(wd.PartitionClause) == 0 && len(wd.OrderClause) == 0 && wd.FrameOptions&frameNonDefault == 0 {
		if named, ok := c.named[wd.Name]; ok && named != wd {
			return c.resolve(named, depth+1)
		}
		if _, ok := c.named[wd.Name]; !ok {
			return nil, pgerror.Newf(pgerror.UndefinedObject, "window %q does not exist", wd.Name)
		}
	}
	if wd.Refname == "" {
		return wd, nil
	}
	base, ok := c.named[wd.Refname]
	if !ok {
		return nil, pgerror.Newf(pgerror.UndefinedObject, "window %q does not exist", wd.Refname)
	}
	base, err := c.resolve(base, depth+1)
	if err != nil {
		return nil, err
	}
	if len(wd.PartitionClause) > 0 {
		return nil, pgerror.Newf(pgerror.WindowingError, "cannot override PARTITION BY clause of window %q", wd.Refname)
	}
	if len(wd.OrderClause) > 0 && len(base.OrderClause) > 0 {
		return nil, pgerror.Newf(pgerror.WindowingError, "cannot override ORDER BY clause of window %q", wd.Refname)
	}
	if base.FrameOptions&frameNonDefault != 0 {
		return nil, pgerror.Newf(pgerror.WindowingError, "cannot copy window %q because it has a frame clause", wd.Refname)
	}
	out := &pg_query.WindowDef{PartitionClause: base.PartitionClause, OrderClause: base.OrderClause,
		FrameOptions: wd.FrameOptions, StartOffset: wd.StartOffset, EndOffset: wd.EndOffset}
	if len(wd.OrderClause) > 0 {
		out.OrderClause = wd.OrderClause
	}
	return out, nil
}

// windowSpec finds or compiles the spec of a resolved definition.
func (b *builder) windowSpec(ctx *winCtx, wd *pg_query.WindowDef) (int, error) {
	key := &pg_query.WindowDef{PartitionClause: wd.PartitionClause, OrderClause: wd.OrderClause,
		FrameOptions: wd.FrameOptions, StartOffset: wd.StartOffset, EndOffset: wd.EndOffset}
	kn := &pg_query.Node{Node: &pg_query.Node_WindowDef{WindowDef: key}}
	for i, d := range ctx.defs {
		if sameExpr(&pg_query.Node{Node: &pg_query.Node_WindowDef{WindowDef: d}}, kn) {
			return i, nil
		}
	}
	sp := &winSpec{options: wd.FrameOptions}
	if sp.options&frameNonDefault == 0 {
		sp.options = frameDefaultOptions
	}
	inner := &scope{cols: ctx.in.cols, parent: ctx.in.parent, agg: ctx.in.agg, excluded: -1}
	for _, p := range wd.PartitionClause {
		e, err := b.compile(inner, p, types.Unknown)
		if err != nil {
			return 0, err
		}
		sp.partition = append(sp.partition, windowKeyExpr(e))
	}
	for i, o := range wd.OrderClause {
		sb := o.GetSortBy()
		if sb.SortbyDir == pg_query.SortByDir_SORTBY_USING {
			return 0, pgerror.New(pgerror.FeatureNotSupported, "ORDER BY ... USING is not supported")
		}
		e, err := b.compile(inner, sb.Node, types.Unknown)
		if err != nil {
			return 0, err
		}
		sp.order = append(sp.order, windowKeyExpr(e))
		k := sortKey{idx: i, bpchar: e.t.Oid == types.OidBpchar}
		k.desc, k.nullsFirst = planner.SortOf(sb)
		sp.orderKeys = append(sp.orderKeys, k)
	}
	if err := b.windowFrame(inner, wd, sp); err != nil {
		return 0, err
	}
	ctx.defs = append(ctx.defs, key)
	ctx.plan.specs = append(ctx.plan.specs, sp)
	return len(ctx.defs) - 1, nil
}

// windowKeyExpr types an untyped literal key as text.
func windowKeyExpr(e *cexpr) *cexpr {
	if e.unknown {
		e = coerce(e, types.Text)
		e.t = types.Text
	}
	return e
}

// windowFrame checks and compiles the frame clause.
func (b *builder) windowFrame(in *scope, wd *pg_query.WindowDef, sp *winSpec) error {
	opt := sp.options
	offsets := int32(frameStartPreceding | frameStartFollowing | frameEndPreceding | frameEndFollowing)
	rangeOff := opt&frameRange != 0 && opt&offsets != 0
	offType, offHint := types.Int8, types.Int8
	if rangeOff {
		if len(sp.order) != 1 {
			return pgerror.New(pgerror.WindowingError, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
		}
		kt := sp.order[0].t
		switch {
		case planner.IsNumeric(kt):
			offType, offHint = kt, kt
		case planner.IsDateTime(kt):
			offType, offHint = types.Interval, types.Interval
		default:
			return pgerror.Newf(pgerror.FeatureNotSupported, "RANGE with offset PRECEDING/FOLLOWING is not supported for column type %s", kt)
		}
	}
	if opt&frameGroups != 0 && len(sp.order) == 0 {
		return pgerror.New(pgerror.WindowingError, "GROUPS mode requires an ORDER BY clause")
	}
	for _, o := range []struct {
		n   *pg_query.Node
		dst **cexpr
	}{{wd.StartOffset, &sp.startOff}, {wd.EndOffset, &sp.endOff}} {
		if o.n == nil {
			continue
		}
		e, err := b.compile(&scope{parent: in.parent, excluded: -1}, o.n, offHint)
		if err != nil {
			return err
		}
		switch {
		case rangeOff && e.t != offType && !e.unknown && !(planner.IsNumeric(e.t) && planner.IsNumeric(offType) && assignable(e.t, offType)):
			return pgerror.Newf(pgerror.FeatureNotSupported, "RANGE with offset PRECEDING/FOLLOWING is not supported for column type %s and offset type %s", sp.order[0].t, e.t)
		case !rangeOff && e.t.Family() != types.FamInt && !e.unknown:
			return pgerror.Newf(pgerror.DatatypeMismatch, "argument of ROWS must be type bigint, not type %s", e.t)
		}
		if e.t != offType {
			e = coerce(e, offType)
		}
		*o.dst = e
	}
	return nil
}
