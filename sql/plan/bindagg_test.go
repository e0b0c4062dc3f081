package plan_test

import (
	"errors"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// rowArg is a bound whole-row argument (plan.Rower).
type rowArg struct{}

func (rowArg) Type() types.T { return types.T{Oid: types.OidRecord, Mod: -1} }
func (rowArg) IsRow() bool   { return true }

// fakeAgg binds an aggregate's parts as fakeOperands does, ROW(…) as a
// row, and records which binder each part went through.
type fakeAgg struct {
	fakeOperands
	direct int
}

func (f *fakeAgg) BindArg(n *pg_query.Node, hint types.T) (plan.Expr, error) {
	if n.GetRowExpr() != nil {
		return rowArg{}, nil
	}
	return f.BindOperand(n, hint)
}

func (f *fakeAgg) BindRowArg(n *pg_query.Node) (plan.Expr, error) {
	if n.GetRowExpr() != nil {
		return rowArg{}, nil
	}
	return f.BindOperand(n, types.Unknown)
}

func (f *fakeAgg) BindDirect(n *pg_query.Node, hint types.T) (plan.Expr, error) {
	f.direct++
	return f.BindOperand(n, hint)
}

func (f *fakeAgg) SameExpr(a, b plan.Expr) bool { return show(a) == show(b) }

func (f *fakeAgg) ArrayOf(t types.T) (types.T, bool) { return types.ArrayOf(t) }

func arr(e types.T) types.T { at, _ := types.ArrayOf(e); return at }

// TestBindAggCall: the result types and errors are PostgreSQL 15's for
// the same calls over a table of the column types below.
func TestBindAggCall(t *testing.T) {
	cols := map[string]types.T{"i": types.Int2, "n": types.Int4, "b": types.Int8, "r": types.Float4, "f": types.Float8,
		"m": types.Numeric, "iv": types.Interval, "c": char3, "v": types.T{Oid: types.OidVarchar, Mod: 9},
		"x": types.Text, "y": types.Bytea, "ok": types.Bool, "j": types.JSONB, "a": intArr,
		"fa": arr(types.Float8), "ta": arr(types.Text)}
	arr := func(e types.T) types.T { at, _ := types.ArrayOf(e); return at }
	for _, tc := range []struct {
		sql  string
		want types.T
		args string // the bound arguments, "; "-separated ("" to skip)
		code pgerror.Code
		at   bool   // the error is positioned at the call
		msg  string // the error's message, when given
	}{
		{sql: "SELECT sum(i)", want: types.Int8},
		{sql: "SELECT sum(n)", want: types.Int8},
		{sql: "SELECT sum(b)", want: types.Numeric},
		{sql: "SELECT sum(r)", want: types.Float4},
		{sql: "SELECT sum(f)", want: types.Float8},
		{sql: "SELECT sum(m)", want: types.Numeric},
		{sql: "SELECT sum(iv)", want: types.Interval},
		{sql: "SELECT avg(n)", want: types.Numeric},
		{sql: "SELECT avg(r)", want: types.Float8},
		{sql: "SELECT avg(m)", want: types.Numeric},
		{sql: "SELECT stddev(n)", want: types.Numeric},
		{sql: "SELECT stddev(r)", want: types.Float8},
		{sql: "SELECT variance(m)", want: types.Numeric},
		// an untyped literal: double precision for the statistical aggregates, text otherwise
		{sql: "SELECT stddev('1')", want: types.Float8, args: "'1'::double precision"},
		{sql: "SELECT min('a')", want: types.Text, args: "'a'::text"},
		{sql: "SELECT min(c)", want: char3},
		{sql: "SELECT count(*)", want: types.Int8},
		{sql: "SELECT count(x)", want: types.Int8},
		{sql: "SELECT every(ok)", want: types.Bool},
		{sql: "SELECT sum(x)", code: pgerror.UndefinedFunction, at: true},
		{sql: "SELECT avg(ok)", code: pgerror.UndefinedFunction, at: true},
		{sql: "SELECT bool_and(n)", code: pgerror.UndefinedFunction, at: true},
		{sql: "SELECT stddev(x)", code: pgerror.UndefinedFunction, at: true},
		{sql: "SELECT min(ROW(1,2))", code: pgerror.UndefinedFunction, at: true},
		// string_agg: text or bytea; char(n) loses its blanks
		{sql: "SELECT string_agg(x, ',')", want: types.Text, args: "x; ','"},
		{sql: "SELECT string_agg(y, '\\x2c')", want: types.Bytea},
		{sql: "SELECT string_agg(c, ',')", want: types.Text, args: "c::text; ','"},
		{sql: "SELECT string_agg('a', ',')", want: types.Text},
		{sql: "SELECT string_agg(n, ',')", code: pgerror.UndefinedFunction, at: true},
		{sql: "SELECT string_agg(x, 1)", code: pgerror.UndefinedFunction, at: true},
		{sql: "SELECT string_agg(DISTINCT x, ',' ORDER BY n)", code: pgerror.InvalidColumnReference},
		// array_agg: an array of the value's type, or the same array type
		{sql: "SELECT array_agg(n)", want: arr(types.Int4)},
		{sql: "SELECT array_agg(a)", want: arr(types.Int4)},
		{sql: "SELECT array_agg(v)", want: arr(types.T{Oid: types.OidVarchar, Mod: -1})},
		{sql: "SELECT array_agg('a')", code: pgerror.AmbiguousFunction, at: true},
		{sql: "SELECT json_agg(n)", want: types.JSON},
		{sql: "SELECT jsonb_object_agg(x, n)", want: types.JSONB},
		{sql: "SELECT jsonb_agg(n, n)", code: pgerror.UndefinedFunction, at: true},
		{sql: "SELECT count(n) FILTER (WHERE n)", code: pgerror.DatatypeMismatch, at: true},
		{sql: "SELECT sum(*)", code: pgerror.UndefinedFunction, at: true, msg: "function sum() does not exist"},
		{sql: "SELECT count(n, b)", code: pgerror.UndefinedFunction, at: true, msg: "function count(integer, bigint) does not exist"},
		{sql: "SELECT string_agg(n, ',')", code: pgerror.UndefinedFunction, at: true, msg: "function string_agg(integer, unknown) does not exist"},
		{sql: "SELECT json_agg('a')", code: pgerror.DatatypeMismatch, at: true, msg: "could not determine polymorphic type because input has type unknown"},
		{sql: "SELECT json_object_agg('a', 1)", want: types.JSON},
		{sql: "SELECT mode() WITHIN GROUP (ORDER BY 'a')", code: pgerror.DatatypeMismatch, at: true},
		{sql: "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY NULL)", code: pgerror.DatatypeMismatch, at: true},
		{sql: "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY '1')", want: types.Float8},
		{sql: "SELECT percentile_cont(0.5, 0.2) WITHIN GROUP (ORDER BY 1)", code: pgerror.UndefinedFunction, at: true, msg: "function percentile_cont(numeric, numeric, integer) does not exist"},
		{sql: "SELECT string_agg('a') WITHIN GROUP (ORDER BY ',')", code: pgerror.WrongObjectType, at: true, msg: "string_agg is not an ordered-set aggregate, so it cannot have WITHIN GROUP"},
		{sql: "SELECT sum(n) WITHIN GROUP (ORDER BY n)", code: pgerror.UndefinedFunction, at: true},
		// ordered-set aggregates: the value double precision (or interval)
		// for percentile_cont, the fraction double precision or an array
		{sql: "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY n)", want: types.Float8, args: "n::double precision"},
		{sql: "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY iv)", want: types.Interval},
		{sql: "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY c)", want: char3},
		{sql: "SELECT percentile_disc(fa) WITHIN GROUP (ORDER BY n)", want: intArr},
		{sql: "SELECT percentile_disc(ta) WITHIN GROUP (ORDER BY n)", code: pgerror.UndefinedFunction, at: true},
		{sql: "SELECT percentile_cont(0.5, 1)", code: pgerror.WrongObjectType, at: true},
		{sql: "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x)", code: pgerror.UndefinedFunction, at: true},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			f := &fakeAgg{fakeOperands: fakeOperands{cols: cols}}
			call, err := plan.BindAggCall(f, target(t, tc.sql).GetFuncCall(), false)
			if tc.code != "" {
				var le *plan.LocatedError
				if codeOf(err) != tc.code || errors.As(err, &le) != tc.at || tc.msg != "" && err.Error() != tc.msg {
					t.Fatalf("BindAggCall = %v, %v; want SQLSTATE %s %q (positioned: %v)", call, err, tc.code, tc.msg, tc.at)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if call.T != tc.want {
				t.Fatalf("type %s, want %s", call.T, tc.want)
			}
			if tc.args != "" {
				var parts []string
				for _, a := range call.Args {
					parts = append(parts, show(a))
				}
				if got := strings.Join(parts, "; "); got != tc.args {
					t.Fatalf("args %s, want %s", got, tc.args)
				}
			}
		})
	}
}

// TestBindAggCallParts: ORDER BY inside the call, FILTER, DISTINCT and an
// ordered-set aggregate's direct argument.
func TestBindAggCallParts(t *testing.T) {
	cols := map[string]types.T{"n": types.Int4, "x": types.Text, "ok": types.Bool}
	f := &fakeAgg{fakeOperands: fakeOperands{cols: cols}}
	call, err := plan.BindAggCall(f, target(t, "SELECT string_agg(DISTINCT x, ',' ORDER BY x DESC NULLS LAST) FILTER (WHERE ok)").GetFuncCall(), false)
	if err != nil {
		t.Fatal(err)
	}
	if !call.Distinct || len(call.Order) != 1 || !call.Order[0].Desc || call.Order[0].NullsFirst || call.Filter == nil || show(call.Filter) != "ok" {
		t.Fatalf("call %+v", call)
	}
	// sum's ORDER BY does not change its result: it is not kept
	call, err = plan.BindAggCall(f, target(t, "SELECT sum(n ORDER BY x)").GetFuncCall(), false)
	if err != nil || len(call.Order) != 0 {
		t.Fatalf("sum(n ORDER BY x) = %+v, %v", call, err)
	}
	// percentile_cont: the fraction is the direct argument, bound over the enclosing queries
	call, err = plan.BindAggCall(f, target(t, "SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY n DESC)").GetFuncCall(), false)
	if err != nil || f.direct != 1 || call.Direct == nil || show(call.Direct) != "0.25::double precision" || call.Order[0].Expr != call.Args[0] || !call.Order[0].Desc {
		t.Fatalf("percentile_cont = %+v, %v (direct bindings %d)", call, err, f.direct)
	}
	// as a window function: FILTER is not checked, DISTINCT dropped
	call, err = plan.BindAggCall(f, target(t, "SELECT count(n) FILTER (WHERE n) OVER ()").GetFuncCall(), true)
	if err != nil || call.T != types.Int8 {
		t.Fatalf("count(n) FILTER (WHERE n) OVER () = %+v, %v", call, err)
	}
	// a row may not be a json_object_agg key
	f.cols["r"] = types.T{Oid: types.OidRecord, Mod: -1}
	if _, err := plan.BindAggCall(f, target(t, "SELECT jsonb_object_agg(ROW(1), n)").GetFuncCall(), false); codeOf(err) != pgerror.InvalidParameterValue {
		t.Fatalf("jsonb_object_agg(ROW(1), n): %v", err)
	}
}
