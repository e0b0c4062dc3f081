package plan

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Aggregate calls, the binder's fifth family. BindAggCall reads an
// aggregate call of the parse tree — its arguments, DISTINCT, ORDER BY
// inside the call, WITHIN GROUP, FILTER — binds each part over the rows
// aggregated (an ordered-set aggregate's direct argument over the
// enclosing queries only) and resolves the aggregate for its argument
// types: the casts its inputs need and its result type (AggResultType).
// exec compiles an AggCall into its aggregate state machine.

// AggCall is a bound aggregate call (PostgreSQL's Aggref).
type AggCall struct {
	// Name is the aggregate in lower case (every is bool_and).
	Name string
	// Star: count(*); Args is empty.
	Star     bool
	Distinct bool
	// Args are the aggregated arguments, cast as the aggregate takes
	// them: string_agg's value and delimiter, json_object_agg's key and
	// value; an ordered-set aggregate's is its WITHIN GROUP value (the
	// same Expr as Order[0].Expr).
	Args []Expr
	// Direct is an ordered-set aggregate's direct argument (the fraction
	// of percentile_cont and percentile_disc), nil otherwise.
	Direct Expr
	// Order is ORDER BY inside the call, or WITHIN GROUP's. Only the
	// aggregates whose result depends on the order keep it (string_agg,
	// array_agg, the json aggregates, the ordered-set aggregates).
	Order []AggKey
	// Filter is FILTER (WHERE …), nil without one.
	Filter Expr
	T      types.T
	// Location is the call's position in the statement.
	Location int32
}

// AggKey is one ORDER BY key inside an aggregate call.
type AggKey struct {
	Expr             Expr
	Desc, NullsFirst bool
}

// Type implements Expr.
func (a *AggCall) Type() types.T { return a.T }

// AggBinder binds the parts of an aggregate call: exec provides it while
// the argument families are bound there.
type AggBinder interface {
	// BindArg binds an argument, ORDER BY key or FILTER over the rows
	// aggregated; hint as for OperandBinder.
	BindArg(n *pg_query.Node, hint types.T) (Expr, error)
	// BindRowArg binds a json aggregate's argument, which may be a whole
	// row (ROW(…) or a table's name); such an Expr implements Rower.
	BindRowArg(n *pg_query.Node) (Expr, error)
	// BindDirect binds an ordered-set aggregate's direct argument, over
	// the enclosing queries' columns and the parameters only.
	BindDirect(n *pg_query.Node, hint types.T) (Expr, error)
	// SameExpr reports whether two bound expressions are the same
	// expression (a DISTINCT aggregate's ORDER BY must name its argument).
	SameExpr(a, b Expr) bool
	// ArrayOf is the array type of t, from the catalog.
	ArrayOf(t types.T) (types.T, bool)
}

// Rower is implemented by a bound expression whose value is a row.
type Rower interface {
	IsRow() bool
}

func isRow(e Expr) bool {
	r, ok := e.(Rower)
	return ok && r.IsRow()
}

// LocatedError is an error PostgreSQL reports at a position of the
// statement (Location, a byte offset); the caller, which has the
// statement's text, positions it.
type LocatedError struct {
	Err      *pgerror.Error
	Location int32
}

func (e *LocatedError) Error() string { return e.Err.Error() }

// Unwrap lets pgerror.As find the error.
func (e *LocatedError) Unwrap() error { return e.Err }

func located(err *pgerror.Error, loc int32) error { return &LocatedError{Err: err, Location: loc} }

// IsAggregate reports whether name (lower case) is an aggregate.
func IsAggregate(name string) bool {
	switch name {
	case "count", "sum", "avg", "min", "max", "bool_and", "bool_or", "every", "string_agg", "array_agg":
		return true
	}
	return IsJSONAgg(name) || IsStatAgg(name) || IsOrderedSetAgg(name)
}

// IsStatAgg reports whether name is a statistical aggregate (stddev,
// variance and their _samp and _pop forms).
func IsStatAgg(name string) bool {
	switch name {
	case "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop":
		return true
	}
	return false
}

// IsOrderedSetAgg reports whether name is an ordered-set aggregate
// (… WITHIN GROUP (ORDER BY …)).
func IsOrderedSetAgg(name string) bool {
	return name == "percentile_cont" || name == "percentile_disc" || name == "mode"
}

// IsJSONAgg reports whether name is json[b]_agg or json[b]_object_agg.
func IsJSONAgg(name string) bool {
	switch name {
	case "jsonb_agg", "jsonb_object_agg", "json_agg", "json_object_agg":
		return true
	}
	return false
}

// BindAggCall binds the aggregate call fc: in a grouped query, or as a
// window function (window: no DISTINCT, FILTER unchecked, and only the
// aggregates a window runs — count, the one-argument ones and the json
// ones). Errors PostgreSQL positions at the call are LocatedErrors.
func BindAggCall(ab AggBinder, fc *pg_query.FuncCall, window bool) (*AggCall, error) {
	call := &AggCall{Name: LastName(fc.Funcname), Star: fc.AggStar, Distinct: fc.AggDistinct && !window, Location: fc.Location}
	if fc.Over != nil && !window {
		return nil, located(pgerror.New(pgerror.FeatureNotSupported, "window functions are not supported"), fc.Location)
	}
	if fc.AggFilter != nil {
		f, err := ab.BindArg(fc.AggFilter, types.Bool)
		if err != nil {
			return nil, err
		}
		if t := f.Type(); !window && t != types.Bool && !OperandOf(f).Unknown {
			return nil, located(pgerror.Newf(pgerror.DatatypeMismatch, "argument of FILTER must be type boolean, not type %s", t), fc.Location)
		}
		call.Filter = f
	}
	if call.Name == "every" {
		call.Name = "bool_and"
	}
	if !window && IsOrderedSetAgg(call.Name) {
		return call, bindOrderedSet(ab, call, fc)
	}
	if !window && fc.AggWithinGroup {
		// found as a plain aggregate with the direct and ordered arguments
		// together, it is not an ordered-set one; else there is none
		if n := len(fc.Args) + len(fc.AggOrder); n == 1 && call.Name != "string_agg" || n == 2 && (call.Name == "string_agg" || call.Name == "json_object_agg" || call.Name == "jsonb_object_agg") {
			return nil, located(pgerror.Newf(pgerror.WrongObjectType, "%s is not an ordered-set aggregate, so it cannot have WITHIN GROUP", call.Name), fc.Location)
		}
		return nil, noSuchAgg(ab, call.Name, fc, true)
	}
	var err error
	switch {
	case fc.AggStar:
		if call.Name != "count" {
			return nil, located(funcNotExist(call.Name), fc.Location) // f(*) is f() but for count
		}
		call.T = types.Int8
		return call, nil
	case !window && call.Name == "string_agg":
		err = bindStringAgg(ab, call, fc)
	case IsJSONAgg(call.Name):
		err = bindJSONAgg(ab, call, fc)
	case !window && call.Name == "array_agg":
		err = bindArrayAgg(ab, call, fc)
	default:
		if len(fc.Args) != 1 {
			return nil, noSuchAgg(ab, call.Name, fc, false)
		}
		arg, err := ab.BindArg(fc.Args[0], types.Unknown)
		if err != nil {
			return nil, err
		}
		if OperandOf(arg).Unknown {
			// an untyped literal: stddev('1') is stddev(float8), the
			// others' candidates make it text
			t := types.Text
			if IsStatAgg(call.Name) {
				t = types.Float8
			}
			arg = &Cast{Arg: arg, T: t}
		}
		call.Args = []Expr{arg}
		call.T, err = AggResultType(call.Name, arg.Type())
		if pe := pgerror.As(err); pe != nil {
			return nil, located(pe, fc.Location)
		}
	}
	if err != nil {
		return nil, err
	}
	return call, nil
}

// AggResultType is the result type of the one-argument aggregate name
// over a value of type t (PostgreSQL's pg_aggregate entries: sum of
// int2/int4 is int8, of int8 and numeric numeric, of real real; avg of an
// integer or numeric is numeric, of a float double precision; the
// statistical aggregates are numeric over exact numbers, double
// precision over floats), or 42883 when there is no such aggregate.
func AggResultType(name string, t types.T) (types.T, error) {
	switch name {
	case "count":
		return types.Int8, nil
	case "sum":
		switch t.Oid {
		case types.OidInt2, types.OidInt4:
			return types.Int8, nil
		case types.OidInt8, types.OidNumeric:
			return types.Numeric, nil
		case types.OidFloat4:
			return types.Float4, nil // sum(real) is real, as PostgreSQL's float4_sum
		case types.OidFloat8:
			return types.Float8, nil
		case types.OidInterval:
			return t, nil
		}
	case "avg":
		switch t.Family() {
		case types.FamInt, types.FamNumeric:
			return types.Numeric, nil
		case types.FamFloat:
			return types.Float8, nil
		}
	case "min", "max":
		if t.Oid != types.OidRecord { // no min/max(record) in PostgreSQL
			return t, nil
		}
	case "bool_and", "bool_or":
		if t.Family() == types.FamBool {
			return types.Bool, nil
		}
	}
	if IsStatAgg(name) {
		switch t.Oid {
		case types.OidInt2, types.OidInt4, types.OidInt8, types.OidNumeric:
			return types.Numeric, nil
		case types.OidFloat4, types.OidFloat8:
			return types.Float8, nil
		}
	}
	return types.T{}, pgerror.Newf(pgerror.UndefinedFunction, "function %s(%s) does not exist", name, t)
}

// noSuchAgg is 42883 for an aggregate called with arguments it has no
// candidate for, named with their types (the direct ones, then the
// ordered ones when withinGroup), as PostgreSQL's lookup reports it.
func noSuchAgg(ab AggBinder, name string, fc *pg_query.FuncCall, withinGroup bool) error {
	var args []Expr
	nodes := append([]*pg_query.Node(nil), fc.Args...)
	if withinGroup {
		for _, n := range fc.AggOrder {
			if sb := n.GetSortBy(); sb != nil {
				nodes = append(nodes, sb.Node)
			}
		}
	}
	for _, n := range nodes {
		e, err := ab.BindArg(n, types.Unknown)
		if err != nil {
			return err
		}
		args = append(args, e)
	}
	return located(funcNotExist(name, args...), fc.Location)
}

// polymorphicUnknown is 42804 for an untyped argument where the aggregate
// takes anyelement (json_agg, mode, percentile_disc).
func polymorphicUnknown(loc int32) error {
	return located(pgerror.New(pgerror.DatatypeMismatch, "could not determine polymorphic type because input has type unknown"), loc)
}

// funcNotExist is 42883 for a call of name with arguments of the types of
// args (unknown for an untyped one).
func funcNotExist(name string, args ...Expr) *pgerror.Error {
	ts := make([]string, len(args))
	for i, a := range args {
		if OperandOf(a).Unknown {
			ts[i] = "unknown"
		} else {
			ts[i] = a.Type().String()
		}
	}
	return pgerror.Newf(pgerror.UndefinedFunction, "function %s(%s) does not exist", name, strings.Join(ts, ", ")).
		WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
}

// bindStringAgg binds string_agg(value, delimiter [ORDER BY …]): text
// or bytea, both arguments of the same one.
func bindStringAgg(ab AggBinder, call *AggCall, fc *pg_query.FuncCall) error {
	if len(fc.Args) != 2 {
		return noSuchAgg(ab, "string_agg", fc, false)
	}
	v, err := ab.BindArg(fc.Args[0], types.Unknown)
	if err != nil {
		return err
	}
	vo := OperandOf(v)
	h := types.Text
	if !vo.Unknown && v.Type().Family() == types.FamBytes {
		h = types.Bytea
	}
	sep, err := ab.BindArg(fc.Args[1], h)
	if err != nil {
		return err
	}
	ok := func(e Expr) bool { return OperandOf(e).Unknown || e.Type().Family() == h.Family() }
	if !ok(v) || !ok(sep) {
		if untypedConst(fc.Args[1]) {
			sep = &Const{T: types.Text, Unknown: true} // bound with its hint, but named as written
		}
		return located(funcNotExist("string_agg", v, sep), fc.Location)
	}
	if v.Type().Oid == types.OidBpchar || vo.Unknown {
		v = &Cast{Arg: v, T: types.Text} // char(n) to text drops its trailing blanks
	}
	call.Args, call.T = []Expr{v, sep}, h
	return bindAggOrder(ab, call, fc.AggOrder)
}

// bindArrayAgg binds array_agg(value [ORDER BY …]): an array of the
// value's type (of an array: one more dimension, the same type).
func bindArrayAgg(ab AggBinder, call *AggCall, fc *pg_query.FuncCall) error {
	if len(fc.Args) != 1 {
		return noSuchAgg(ab, "array_agg", fc, false)
	}
	v, err := ab.BindArg(fc.Args[0], types.Unknown)
	if err != nil {
		return err
	}
	if OperandOf(v).Unknown {
		return located(pgerror.New(pgerror.AmbiguousFunction, "function array_agg(unknown) is not unique").
			WithHint("Could not choose a best candidate function. You might need to add explicit type casts."), fc.Location)
	}
	t := v.Type()
	if !t.IsArray() {
		at, ok := ab.ArrayOf(t)
		if !ok {
			return pgerror.Newf(pgerror.UndefinedObject, "could not find array type for data type %s", t)
		}
		at.Mod = -1
		t = at
	}
	call.Args, call.T = []Expr{v}, t
	return bindAggOrder(ab, call, fc.AggOrder)
}

// bindJSONAgg binds json[b]_agg(value [ORDER BY …]) and
// json[b]_object_agg(key, value [ORDER BY …]); an untyped argument is
// text.
func bindJSONAgg(ab AggBinder, call *AggCall, fc *pg_query.FuncCall) error {
	want := 1
	if call.Name == "jsonb_object_agg" || call.Name == "json_object_agg" {
		want = 2
	}
	if len(fc.Args) != want {
		return noSuchAgg(ab, call.Name, fc, false)
	}
	for _, n := range fc.Args {
		e, err := ab.BindRowArg(n)
		if err != nil {
			return err
		}
		if OperandOf(e).Unknown {
			if want == 1 {
				return polymorphicUnknown(fc.Location) // json[b]_agg(anyelement)
			}
			e = &Cast{Arg: e, T: types.Text, Read: true} // json[b]_object_agg("any", "any")
		}
		if isRow(e) && call.Distinct {
			return pgerror.Newf(pgerror.FeatureNotSupported, "%s(DISTINCT) of a row is not supported", call.Name)
		}
		call.Args = append(call.Args, e)
	}
	call.T = types.JSONB
	if call.Name == "json_agg" || call.Name == "json_object_agg" {
		call.T = types.JSON
	}
	k := call.Args[0]
	if (call.Name == "json_object_agg" || call.Name == "jsonb_object_agg") && isRow(k) ||
		call.Name == "json_object_agg" && (isJSON(k.Type()) || k.Type().Family() == types.FamArray) {
		return pgerror.New(pgerror.InvalidParameterValue, "key value must be scalar, not array, composite, or json")
	}
	return bindAggOrder(ab, call, fc.AggOrder)
}

// bindAggOrder binds the ORDER BY keys inside a call; with DISTINCT each
// must be the (first) argument, as PostgreSQL requires.
func bindAggOrder(ab AggBinder, call *AggCall, order []*pg_query.Node) error {
	for _, n := range order {
		sb := n.GetSortBy()
		if sb == nil || sb.SortbyDir == pg_query.SortByDir_SORTBY_USING {
			return pgerror.New(pgerror.FeatureNotSupported, "ORDER BY … USING in an aggregate is not supported")
		}
		e, err := ab.BindArg(sb.Node, types.Unknown)
		if err != nil {
			return err
		}
		k := AggKey{Expr: e}
		k.Desc, k.NullsFirst = SortOf(sb)
		call.Order = append(call.Order, k)
	}
	if call.Distinct {
		for _, k := range call.Order {
			if !ab.SameExpr(k.Expr, call.Args[0]) {
				return pgerror.New(pgerror.InvalidColumnReference, "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list")
			}
		}
	}
	return nil
}

// bindOrderedSet binds percentile_cont(fraction), percentile_disc(fraction)
// and mode() WITHIN GROUP (ORDER BY value): the value (Args[0], also
// Order[0].Expr), the direct argument and the result type. The value of
// percentile_cont is double precision or interval, the fraction double
// precision or an array of them (one result per element).
func bindOrderedSet(ab AggBinder, call *AggCall, fc *pg_query.FuncCall) error {
	name, wantDirect := call.Name, 1
	if name == "mode" {
		wantDirect = 0
	}
	if !fc.AggWithinGroup {
		// PostgreSQL finds the ordered-set aggregate only when the call
		// has as many arguments as its direct and ordered ones together
		if len(fc.Args) == wantDirect+1 {
			return located(pgerror.Newf(pgerror.WrongObjectType, "WITHIN GROUP is required for ordered-set aggregate %s", name), fc.Location)
		}
		return noSuchAgg(ab, name, fc, false)
	}
	if call.Distinct {
		return located(pgerror.Newf(pgerror.FeatureNotSupported, "DISTINCT is not supported for ordered-set aggregate %s", name), fc.Location)
	}
	if len(fc.Args) != wantDirect || len(fc.AggOrder) != 1 {
		return noSuchAgg(ab, name, fc, true)
	}
	if err := bindAggOrder(ab, call, fc.AggOrder); err != nil {
		return err
	}
	v := call.Order[0].Expr
	if OperandOf(v).Unknown {
		if name != "percentile_cont" {
			return polymorphicUnknown(fc.Location) // mode(anyelement), percentile_disc(float8, anyelement)
		}
		v = &Cast{Arg: v, T: types.Float8, Read: true}
	}
	if name == "percentile_cont" {
		switch t := v.Type(); {
		case t.Oid == types.OidInterval || t.Oid == types.OidFloat8:
		case IsNumeric(t):
			v = &Cast{Arg: v, T: types.Float8}
		default:
			return located(pgerror.Newf(pgerror.UndefinedFunction, "function percentile_cont(double precision, %s) does not exist", t).
				WithHint("No function matches the given name and argument types. You might need to add explicit type casts."), fc.Location)
		}
	}
	call.Order[0].Expr, call.Args, call.T = v, []Expr{v}, v.Type()
	if wantDirect == 0 {
		return nil
	}
	f, err := ab.BindDirect(fc.Args[0], types.Float8)
	if err != nil {
		return err
	}
	notExist := func() error {
		return located(pgerror.Newf(pgerror.UndefinedFunction, "function %s(%s, %s) does not exist", name, f.Type(), v.Type()), fc.Location)
	}
	switch ft := f.Type(); {
	case OperandOf(f).Unknown || IsNumeric(ft):
		f = &Cast{Arg: f, T: types.Float8}
	case ft.IsArray():
		if et, ok := types.ElemOf(ft); !ok || !IsNumeric(et) {
			return notExist()
		}
		f8arr, _ := types.ArrayOf(types.Float8)
		f = &Cast{Arg: f, T: f8arr}
		at, ok := types.ArrayOf(v.Type())
		if !ok {
			return notExist()
		}
		call.T = at
	default:
		return notExist()
	}
	call.Direct = f
	return nil
}
