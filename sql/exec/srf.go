package exec

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// Functions in FROM. generate_series(start, stop [, step]) over integers,
// numerics and timestamps (with an interval step) yields its rows lazily;
// any other (scalar) function in FROM yields one row holding its value, as
// in PostgreSQL. WITH ORDINALITY adds a bigint row number. The arguments
// may refer to the enclosing query (correlated) and to the FROM items
// before the function (lateral.go).

// buildRangeFunction plans a function call in FROM; left is the plan of
// the FROM items before it (nil for the first), whose columns its
// arguments may name (PostgreSQL's implicit LATERAL for functions).
func (b *builder) buildRangeFunction(rf *pg_query.RangeFunction, outer *scope, left plan) (plan, error) {
	if rf.IsRowsfrom || len(rf.Functions) != 1 {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "ROWS FROM is not supported")
	}
	if len(rf.Coldeflist) > 0 {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "a column definition list is not supported")
	}
	items := rf.Functions[0].GetList().GetItems()
	fc := items[0].GetFuncCall()
	if fc == nil {
		return nil, pgerror.Newf(pgerror.FeatureNotSupported, "FROM item %s is not supported", nodeName(items[0]))
	}
	name := lastName(fc.Funcname)
	s := &scope{parent: outer, excluded: -1}
	if left != nil {
		s.cols = left.cols()
	}
	p := &srfPlan{name: name, ordinality: rf.Ordinality}
	var err error
	if def, ok := srfTable[name]; ok {
		var call *srfCall
		if call, err = b.compileSRF(s, name, def, fc); err == nil {
			p.list, p.t = call, call.t
		}
	} else if name == "generate_series" {
		err = b.generateSeriesArgs(s, fc, p)
	} else {
		var e *cexpr
		if e, err = b.compile(s, items[0], types.Unknown); err == nil {
			if e.unknown {
				e = coerce(e, types.Text)
				e.t = types.Text
			}
			p.args, p.t = []*cexpr{e}, e.t
		}
	}
	if err != nil {
		return nil, err
	}
	alias := name
	colName := name
	if c, ok := srfColumn[name]; ok {
		colName = c
	}
	if rf.Alias != nil {
		alias, colName = rf.Alias.Aliasname, rf.Alias.Aliasname
	}
	if p.list != nil && p.list.def.colName != "" && (rf.Alias == nil || len(rf.Alias.Colnames) == 0) {
		// an OUT parameter's name (jsonb_array_elements' value) stays the
		// column's; the alias alone names the whole row, which for one
		// column is its value: a hidden copy answers to it
		colName = p.list.def.colName
		p.aliasDup = rf.Alias != nil
	}
	names := []string{colName}
	var typs []types.T
	if p.list != nil && p.list.def.cols != nil {
		names = append([]string(nil), p.list.def.cols...)
		typs = p.list.def.colTypes
	}
	if rf.Ordinality {
		names = append(names, "ordinality")
	}
	if rf.Alias != nil {
		if len(rf.Alias.Colnames) > len(names) {
			return nil, pgerror.Newf(pgerror.InvalidColumnReference, "table %q has %d columns available but %d columns specified", alias, len(names), len(rf.Alias.Colnames))
		}
		for i, c := range rf.Alias.Colnames {
			names[i] = strVal(c)
		}
	}
	p.columns = []colInfo{{table: alias, name: names[0], typ: p.t, funcScalar: len(typs) == 0 && !rf.Ordinality}}
	for i, t := range typs {
		if i > 0 {
			p.columns = append(p.columns, colInfo{table: alias, name: names[i], typ: t})
		}
	}
	if rf.Ordinality {
		p.columns = append(p.columns, colInfo{table: alias, name: names[len(names)-1], typ: types.Int8})
	}
	if p.aliasDup {
		p.columns = append(p.columns, colInfo{table: alias, name: alias, typ: p.t, hidden: true})
	}
	if left != nil {
		return newLateralPlan(left, p, pg_query.JoinType_JOIN_INNER), nil
	}
	return p, nil
}

// generateSeriesArgs binds generate_series's arguments and its result type.
func (b *builder) generateSeriesArgs(s *scope, fc *pg_query.FuncCall, p *srfPlan) error {
	if len(fc.Args) < 2 || len(fc.Args) > 3 {
		return b.errAt(pgerror.Newf(pgerror.UndefinedFunction, "function generate_series with %d arguments does not exist", len(fc.Args)), fc.Location)
	}
	var args []*cexpr
	for _, a := range fc.Args {
		e, err := b.compile(s, a, types.Unknown)
		if err != nil {
			return err
		}
		args = append(args, e)
	}
	bounds := args[:2]
	if len(args) == 2 && bounds[0].unknown && bounds[1].unknown {
		return b.errAt(pgerror.New(pgerror.AmbiguousFunction, "function generate_series(unknown, unknown) is not unique").
			WithHint("Could not choose a best candidate function. You might need to add explicit type casts."), fc.Location)
	}
	t, err := unifyTypes(bounds, "generate_series")
	if err != nil {
		return err
	}
	step := types.T{}
	switch {
	case len(args) == 3 && (args[2].t.Oid == types.OidInterval || args[2].unknown && !planner.IsNumeric(t)):
		// timestamp [with time zone] series; untyped and date bounds are
		// timestamptz, PostgreSQL's preferred type.
		if t.Oid != types.OidTimestamp {
			t = types.Timestamptz
		}
		step = types.Interval
	case planner.IsNumeric(t) || t.Oid == types.OidUnknown:
		if t.Oid == types.OidUnknown || t.Family() == types.FamInt && t.Oid != types.OidInt8 {
			t = types.Int4
		}
		if len(args) == 3 {
			all := []*cexpr{{t: t}, args[2]}
			if args[2].unknown {
				all = all[:1]
			}
			if t, err = unifyTypes(all, "generate_series"); err != nil {
				return err
			}
			if !planner.IsNumeric(t) {
				return b.undefinedSeries(args, fc)
			}
		}
		step = t
	default:
		return b.undefinedSeries(args, fc)
	}
	for i := range args {
		want := t
		if i == 2 {
			want = step
		}
		if args[i].t != want {
			if !args[i].unknown && !assignable(args[i].t, want) {
				return b.undefinedSeries(args, fc)
			}
			args[i] = coerce(args[i], want)
		}
	}
	p.args, p.t, p.step = args, t, step
	return nil
}

func (b *builder) undefinedSeries(args []*cexpr, fc *pg_query.FuncCall) error {
	ts := ""
	for i, a := range args {
		if i > 0 {
			ts += ", "
		}
		if a.unknown {
			ts += "unknown"
		} else {
			ts += a.t.String()
		}
	}
	return b.errAt(pgerror.Newf(pgerror.UndefinedFunction, "function generate_series(%s) does not exist", ts).
		WithHint("No function matches the given name and argument types. You might need to add explicit type casts."), fc.Location)
}

// srfPlan yields the rows of a function in FROM.
type srfPlan struct {
	name       string
	args       []*cexpr
	t, step    types.T
	ordinality bool
	columns    []colInfo
	list       *srfCall // unnest, generate_subscripts (srflist.go)
	aliasDup   bool     // a hidden last column repeats the value (see buildRangeFunction)
}

func (p *srfPlan) cols() []colInfo { return append([]colInfo(nil), p.columns...) }
func (p *srfPlan) explain(x *explainer, depth int) {
	x.add(depth, fmt.Sprintf("Function Scan on %s", p.name))
}

func (p *srfPlan) start(e *env) (iter, error) { return p.startRow(e, nil) }

// startRow evaluates the arguments over row (the left side's, or nil).
func (p *srfPlan) startRow(e *env, row []Datum) (iter, error) {
	if p.list != nil {
		vals, err := p.list.values(e, row)
		if err != nil {
			return nil, err
		}
		rows := make([][]Datum, len(vals))
		multi := p.list.def.cols != nil
		for i, v := range vals {
			rows[i] = []Datum{v}
			if multi {
				rows[i] = append([]Datum(nil), v.([]Datum)...)
			}
			if p.ordinality {
				rows[i] = append(rows[i], int64(i+1))
			}
			if p.aliasDup {
				rows[i] = append(rows[i], v)
			}
		}
		return sliceIter(rows), nil
	}
	vals := make([]Datum, len(p.args))
	for i, a := range p.args {
		v, err := a.fn(e, row)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	var ord int64
	emit := func(v Datum) []Datum {
		ord++
		if p.ordinality {
			return []Datum{v, ord}
		}
		return []Datum{v}
	}
	if p.name != "generate_series" {
		done := false
		return &funcIter{nx: func() ([]Datum, error) {
			if done {
				return nil, nil
			}
			done = true
			return emit(vals[0]), nil
		}}, nil
	}
	for _, v := range vals {
		if v == nil {
			return sliceIter(nil), nil
		}
	}
	start, stop := vals[0], vals[1]
	var step Datum = int64(1)
	if len(vals) == 3 {
		step = vals[2]
	} else if p.t.Oid == types.OidNumeric {
		var err error
		if step, err = types.Cast(int64(1), types.Int8, types.Numeric, false); err != nil {
			return nil, err
		}
	}
	probe, err := types.Add(start, step, p.t)
	if err != nil {
		return nil, err
	}
	dir := types.Compare(probe, start)
	if dir == 0 {
		return nil, pgerror.New(pgerror.InvalidParameterValue, "step size cannot equal zero")
	}
	cur, done := start, false
	return &funcIter{nx: func() ([]Datum, error) {
		if err := e.checkCancel(); err != nil {
			return nil, err
		}
		if done || types.Compare(cur, stop)*dir > 0 {
			return nil, nil
		}
		v := cur
		nx, err := types.Add(cur, step, p.t)
		if err != nil {
			done = true // past the type's range: the series ends here
		}
		cur = nx
		return emit(v), nil
	}}, nil
}
