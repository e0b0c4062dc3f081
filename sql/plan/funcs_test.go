package plan_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// TestResolveFunc: the candidate PostgreSQL 15 chooses, read from
// pg_typeof of the same calls (SELECT pg_typeof(sqrt(4)) is double
// precision, pg_typeof(sqrt(4.0)) numeric, …), and its errors.
func TestResolveFunc(t *testing.T) {
	int2, int4, int8, num, f4 := typed(types.Int2), typed(types.Int4), typed(types.Int8), typed(types.Numeric), typed(types.Float4)
	for _, tc := range []struct {
		call string
		name string
		args []plan.Operand
		want types.T // the chosen candidate's result
		code pgerror.Code
	}{
		// one argument: an integer or an untyped literal takes float8, the
		// preferred type of the numbers; numeric stays numeric
		{"sqrt(4)", "sqrt", []plan.Operand{int4}, types.Float8, ""},
		{"sqrt(4.0)", "sqrt", []plan.Operand{num}, types.Numeric, ""},
		{"sqrt('4')", "sqrt", []plan.Operand{literal}, types.Float8, ""},
		{"sqrt(4::int8)", "sqrt", []plan.Operand{int8}, types.Float8, ""},
		{"sqrt(4::real)", "sqrt", []plan.Operand{f4}, types.Float8, ""},
		{"sqrt($1)", "sqrt", []plan.Operand{param}, types.Float8, ""},
		{"sqrt(true)", "sqrt", []plan.Operand{typed(types.Bool)}, types.T{}, pgerror.UndefinedFunction},
		{"round(4)", "round", []plan.Operand{int4}, types.Float8, ""},
		{"round(4.5)", "round", []plan.Operand{num}, types.Numeric, ""},
		{"round('4.5')", "round", []plan.Operand{literal}, types.Float8, ""},
		{"round(4, 1)", "round", []plan.Operand{int4, int4}, types.Numeric, ""},
		{"round('4.5', 1)", "round", []plan.Operand{literal, int4}, types.Numeric, ""},
		{"round(4.5, '1')", "round", []plan.Operand{num, literal}, types.Numeric, ""},
		{"trunc(4)", "trunc", []plan.Operand{int4}, types.Float8, ""},
		// trunc(macaddr) and trunc(macaddr8) take an untyped literal too
		{"trunc('4.7')", "trunc", []plan.Operand{literal}, types.T{}, pgerror.AmbiguousFunction},
		{"ceil(4)", "ceil", []plan.Operand{int4}, types.Float8, ""},
		{"floor(4.5)", "floor", []plan.Operand{num}, types.Numeric, ""},
		// abs: one candidate per number type
		{"abs(-1::int2)", "abs", []plan.Operand{int2}, types.Int2, ""},
		{"abs(-1)", "abs", []plan.Operand{int4}, types.Int4, ""},
		{"abs(-1.5::real)", "abs", []plan.Operand{f4}, types.Float4, ""},
		{"abs('-1')", "abs", []plan.Operand{literal}, types.Float8, ""},
		// two arguments: the most exact matches, then the known type
		{"mod(5, 3)", "mod", []plan.Operand{int4, int4}, types.Int4, ""},
		{"mod(5::int2, 3::int2)", "mod", []plan.Operand{int2, int2}, types.Int2, ""},
		{"mod(5, 3::int8)", "mod", []plan.Operand{int4, int8}, types.Int8, ""},
		{"mod(5::int2, 3)", "mod", []plan.Operand{int2, int4}, types.Int4, ""},
		{"mod(5.5, 3)", "mod", []plan.Operand{num, int4}, types.Numeric, ""},
		{"mod('5', 3)", "mod", []plan.Operand{literal, int4}, types.Int4, ""},
		{"power(2, 3)", "power", []plan.Operand{int4, int4}, types.Float8, ""},
		{"power(2.0, 3)", "power", []plan.Operand{num, int4}, types.Numeric, ""},
		{"power('2', 3)", "power", []plan.Operand{literal, int4}, types.Float8, ""},
		{"power(2::real, 3)", "power", []plan.Operand{f4, int4}, types.Float8, ""},
		{"power(2, 3.0)", "power", []plan.Operand{int4, num}, types.Numeric, ""},
		{"log(100)", "log", []plan.Operand{int4}, types.Float8, ""},
		{"log(2, 8)", "log", []plan.Operand{int4, int4}, types.Numeric, ""},
		{"div(7, 2)", "div", []plan.Operand{int4, int4}, types.Numeric, ""},
		{"gcd(4, 6)", "gcd", []plan.Operand{int4, int4}, types.Int4, ""},
		{"gcd(4::int8, 6)", "gcd", []plan.Operand{int8, int4}, types.Int8, ""},
		{"gcd(4.0, 6)", "gcd", []plan.Operand{num, int4}, types.Numeric, ""},
		{"gcd(4::real, 6)", "gcd", []plan.Operand{f4, int4}, types.T{}, pgerror.UndefinedFunction},
		{"mod(5, 'a', 1)", "mod", []plan.Operand{int4, literal, int4}, types.T{}, pgerror.UndefinedFunction},
	} {
		t.Run(tc.call, func(t *testing.T) {
			cands, ok := plan.FuncCandidates(tc.name)
			if !ok {
				t.Fatalf("no candidates for %s", tc.name)
			}
			i, err := plan.ResolveFunc(tc.name, cands, tc.args)
			if tc.code != "" {
				if codeOf(err) != tc.code {
					t.Fatalf("ResolveFunc = %d, %v; want SQLSTATE %s", i, err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cands[i].Result; got != tc.want {
				t.Fatalf("chose %v -> %s, want %s", cands[i].Args, got, tc.want)
			}
		})
	}
}

// TestResolveFuncRules exercises the steps of func_select_candidate on
// candidates of PostgreSQL's own catalog.
func TestResolveFuncRules(t *testing.T) {
	text, vc, date, ts, tstz := typed(types.Text), typed(types.T{Oid: types.OidVarchar, Mod: -1}), typed(types.Date), typed(types.Timestamp), typed(types.Timestamptz)
	sig := func(r types.T, args ...types.T) plan.FuncSig { return plan.FuncSig{Args: args, Result: r} }
	for _, tc := range []struct {
		what  string
		cands []plan.FuncSig
		args  []plan.Operand
		want  int
		code  pgerror.Code
	}{
		// length(text), length(bytea): an untyped literal takes the string candidate
		{"unknown prefers a string category", []plan.FuncSig{sig(types.Int4, types.Text), sig(types.Int4, types.Bytea)}, []plan.Operand{literal}, 0, ""},
		// varchar converts to text implicitly, not to bytea
		{"varchar to text", []plan.FuncSig{sig(types.Int4, types.Text), sig(types.Int4, types.Bytea)}, []plan.Operand{vc}, 0, ""},
		// date_trunc(text, timestamp) and (text, timestamptz) with a date: timestamptz is preferred
		{"date: the preferred timestamptz", []plan.FuncSig{sig(types.Timestamp, types.Text, types.Timestamp), sig(types.Timestamptz, types.Text, types.Timestamptz)},
			[]plan.Operand{text, date}, 1, ""},
		{"timestamp: exact", []plan.FuncSig{sig(types.Timestamp, types.Text, types.Timestamp), sig(types.Timestamptz, types.Text, types.Timestamptz)},
			[]plan.Operand{text, ts}, 0, ""},
		{"timestamptz: exact", []plan.FuncSig{sig(types.Timestamp, types.Text, types.Timestamp), sig(types.Timestamptz, types.Text, types.Timestamptz)},
			[]plan.Operand{literal, tstz}, 1, ""},
		// two categories at an untyped position, neither a string: ambiguous
		{"unknown between numbers and intervals", []plan.FuncSig{sig(types.Float8, types.Float8), sig(types.Interval, types.Interval)},
			[]plan.Operand{literal}, -1, pgerror.AmbiguousFunction},
		{"no candidate takes boolean", []plan.FuncSig{sig(types.Float8, types.Float8)}, []plan.Operand{typed(types.Bool)}, -1, pgerror.UndefinedFunction},
	} {
		t.Run(tc.what, func(t *testing.T) {
			i, err := plan.ResolveFunc("f", tc.cands, tc.args)
			if codeOf(err) != tc.code || tc.code == "" && i != tc.want {
				t.Fatalf("ResolveFunc = %d, %v; want %d (SQLSTATE %q)", i, err, tc.want, tc.code)
			}
		})
	}
	_, err := plan.ResolveFunc("f", []plan.FuncSig{sig(types.Float8, types.Float8), sig(types.Interval, types.Interval)}, []plan.Operand{literal})
	if err == nil || err.Error() != "function f(unknown) is not unique" {
		t.Errorf("error = %v", err)
	}
}

// TestBindFuncCall: the arguments of a resolved call are converted to the
// chosen candidate's types; an untyped literal or parameter is bound
// again with its type (a parameter's type is inferred from the function).
func TestBindFuncCall(t *testing.T) {
	cols := map[string]types.T{"s": types.Int2, "n": types.Int4, "f": types.Float8, "x": types.Text}
	for _, tc := range []struct {
		sql   string
		args  string
		want  types.T
		hints string
		code  pgerror.Code
	}{
		{sql: "SELECT round('4.5')", args: "'4.5'::double precision", want: types.Float8, hints: "'4.5' as unknown; '4.5'::double precision as double precision"},
		{sql: "SELECT round(n, 1)", args: "n::numeric; 1", want: types.Numeric},
		{sql: "SELECT mod(s, 3)", args: "s::integer; 3", want: types.Int4},
		{sql: "SELECT power($1, 2)", args: "$1; 2::double precision", want: types.Float8, hints: "$1 as unknown; 2 as unknown; $1 as double precision"},
		{sql: "SELECT sqrt(NULL)", args: "NULL", want: types.Float8},
		{sql: "SELECT round(f, 1)", code: pgerror.UndefinedFunction},
		{sql: "SELECT sqrt(x)", code: pgerror.UndefinedFunction},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			f := &fakeOperands{cols: cols}
			call, err := plan.BindFuncCall(f, target(t, tc.sql).GetFuncCall(), nil)
			if tc.code != "" {
				var le *plan.LocatedError
				if codeOf(err) != tc.code || !errors.As(err, &le) {
					t.Fatalf("BindFuncCall = %v, %v; want SQLSTATE %s at the call", call, err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, a := range call.Args {
				parts = append(parts, show(a))
			}
			if got := strings.Join(parts, "; "); got != tc.args || call.Type() != tc.want {
				t.Fatalf("args %s -> %s, want %s -> %s", got, call.Type(), tc.args, tc.want)
			}
			if tc.hints != "" {
				if got := strings.Join(f.hints, "; "); got != tc.hints {
					t.Fatalf("bindings %s, want %s", got, tc.hints)
				}
			}
		})
	}
	// a function without candidates here: bound with exec's hints, not resolved
	f := &fakeOperands{cols: cols}
	call, err := plan.BindFuncCall(f, target(t, "SELECT upper('a')").GetFuncCall(), func(int) types.T { return types.Text })
	if err != nil || call.Sig != nil || show(call.Args[0]) != "'a'" || f.hints[0] != "'a' as text" {
		t.Fatalf("upper('a') = %+v, %v, %v", call, err, f.hints)
	}
}
