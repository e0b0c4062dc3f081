package plan_test

import (
	"fmt"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// describe renders a resolution: class, calc -> result, the reads, then
// each input (operand index and its casts).
func describe(r *plan.ResolvedOp) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s -> %s", r.Class, r.Calc, r.Result)
	for _, rd := range r.Reads {
		fmt.Fprintf(&b, "; read %d as %s", rd.From, rd.T)
	}
	for _, a := range r.Args {
		fmt.Fprintf(&b, "; %d", a.From)
		for _, c := range a.Casts {
			fmt.Fprintf(&b, "::%s", c)
		}
	}
	return b.String()
}

func codeOf(err error) pgerror.Code {
	if pe := pgerror.As(err); pe != nil {
		return pe.Code
	}
	return ""
}

var (
	typed   = func(t types.T) plan.Operand { return plan.Operand{T: t} }
	literal = plan.Operand{T: types.Text, Unknown: true, Literal: true} // 'abc'
	param   = plan.Operand{T: types.Text, Unknown: true}                // $1 of no known type
	char3   = types.T{Oid: types.OidBpchar, Mod: 7}
	vc5     = types.T{Oid: types.OidVarchar, Mod: 9}
	num102  = types.T{Oid: types.OidNumeric, Mod: (10<<16 | 2) + 4}
	intArr  = func() types.T { t, _ := types.ArrayOf(types.Int4); return t }()
	int8Arr = func() types.T { t, _ := types.ArrayOf(types.Int8); return t }()
)

func TestResolveBinaryOp(t *testing.T) {
	for _, tc := range []struct {
		l    plan.Operand
		op   string
		r    plan.Operand
		want string       // describe of the resolution
		code pgerror.Code // or the SQLSTATE of its error
	}{
		// comparison: the common type; across number families; strings
		{l: typed(types.Int4), op: "=", r: typed(types.Int8), want: "compare bigint -> boolean; 0::bigint; 1::bigint"},
		{l: typed(types.Int4), op: "<", r: typed(types.Numeric), want: "compare numeric -> boolean; 0::numeric; 1::numeric"},
		{l: typed(char3), op: "=", r: typed(vc5), want: "compare character -> boolean; 0::character; 1::character"},
		{l: typed(char3), op: "=", r: typed(types.Text), want: "compare text -> boolean; 0::text; 1::text"},
		{l: typed(types.Date), op: "<", r: typed(types.Timestamptz), want: "compare timestamp with time zone -> boolean; 0::timestamp with time zone; 1::timestamp with time zone"},
		// an untyped literal on the left stays as it is; the typed right side is cast to its own type
		{l: literal, op: "=", r: literal, want: "compare text -> boolean; 0; 1::text"},
		{l: typed(types.Bool), op: "=", r: typed(types.Int4), code: pgerror.UndefinedFunction},
		{l: typed(types.Int4), op: "=", r: typed(types.Text), code: pgerror.UndefinedFunction},
		{l: typed(types.JSON), op: "=", r: typed(types.JSON), want: "json unknown -> unknown; 0; 1"}, // refused by the json table
		{l: typed(types.JSONB), op: "=", r: typed(types.JSONB), want: "compare jsonb -> boolean; 0::jsonb; 1::jsonb"},
		{l: typed(intArr), op: "=", r: typed(int8Arr), code: pgerror.UndefinedFunction},
		// arithmetic
		{l: typed(types.Int2), op: "+", r: typed(types.Int2), want: "arith smallint -> smallint; 0::smallint; 1::smallint"},
		{l: typed(types.Int2), op: "*", r: typed(types.Int4), want: "arith integer -> integer; 0::integer; 1::integer"},
		{l: typed(types.Float4), op: "/", r: typed(types.Int4), want: "arith double precision -> double precision; 0::double precision; 1::double precision"},
		{l: typed(types.Float4), op: "/", r: typed(types.Float4), want: "arith real -> real; 0::real; 1::real"},
		{l: typed(num102), op: "-", r: typed(types.Int8), want: "arith numeric -> numeric; 0::numeric; 1::numeric"},
		{l: literal, op: "+", r: literal, code: pgerror.AmbiguousFunction},
		{l: typed(types.Text), op: "%", r: typed(types.Int4), code: pgerror.UndefinedFunction},
		// date and time
		{l: typed(types.Date), op: "+", r: typed(types.Int4), want: "datetime date -> date; 0; 1"},
		{l: typed(types.Int4), op: "+", r: typed(types.Date), want: "datetime date -> date; 1; 0"},
		{l: typed(types.Date), op: "-", r: typed(types.Date), want: "datetime integer -> integer; 0; 1"},
		{l: typed(types.Date), op: "-", r: typed(types.Timestamp), want: "datetime interval -> interval; 0::timestamp without time zone; 1::timestamp without time zone"},
		{l: typed(types.Timestamp), op: "+", r: literal, want: "datetime timestamp without time zone -> timestamp without time zone; read 1 as interval; 0; 1"},
		{l: typed(types.Timestamp), op: "-", r: literal, want: "datetime interval -> interval; read 1 as timestamp without time zone; 0::timestamp without time zone; 1::timestamp without time zone"},
		{l: typed(types.Date), op: "+", r: literal, code: pgerror.AmbiguousFunction},
		{l: typed(types.Interval), op: "+", r: typed(types.Timestamptz), want: "datetime timestamp with time zone -> timestamp with time zone; 1; 0"},
		{l: typed(types.Interval), op: "+", r: typed(types.Date), want: "datetime timestamp without time zone -> timestamp without time zone; 1::timestamp without time zone; 0"},
		{l: typed(types.Date), op: "+", r: typed(types.Interval), want: "datetime timestamp without time zone -> timestamp without time zone; 0::timestamp without time zone; 1"},
		{l: typed(types.Interval), op: "*", r: typed(types.Int4), want: "datetime interval -> interval; 0; 1::double precision"},
		{l: typed(types.Int4), op: "*", r: typed(types.Interval), want: "datetime interval -> interval; 1; 0::double precision"},
		{l: typed(types.Interval), op: "/", r: literal, want: "datetime interval -> interval; read 1 as double precision; 0; 1::double precision"},
		{l: typed(types.Timestamptz), op: "*", r: typed(types.Int4), code: pgerror.UndefinedFunction},
		{l: typed(types.Time), op: "+", r: typed(types.Interval), want: "timeofday time without time zone -> time without time zone; 0; 1"},
		{l: typed(types.Interval), op: "+", r: typed(types.Time), want: "timeofday time without time zone -> time without time zone; 1; 0"},
		{l: typed(types.Time), op: "-", r: typed(types.Time), want: "timeofday interval -> interval; 0; 1"},
		{l: typed(types.Time), op: "+", r: typed(types.Date), want: "timeofday timestamp without time zone -> timestamp without time zone; 1; 0"},
		// time takes its implicit cast to interval for the others
		{l: typed(types.Timestamp), op: "+", r: typed(types.Time), want: "datetime timestamp without time zone -> timestamp without time zone; 0; 1::interval"},
		// ^: numeric with a numeric side, else float8 (untyped sides read as float8)
		{l: typed(types.Int4), op: "^", r: typed(types.Int4), want: "pow double precision -> double precision; 0::double precision; 1::double precision"},
		{l: typed(types.Numeric), op: "^", r: typed(types.Int4), want: "pow numeric -> numeric; 0::numeric; 1::numeric"},
		{l: literal, op: "^", r: typed(types.Int8), want: "pow double precision -> double precision; read 0 as double precision; 0::double precision; 1::double precision"},
		{l: typed(types.Text), op: "^", r: typed(types.Int4), code: pgerror.UndefinedFunction},
		// bitwise: an untyped side reads as the other side's type, a shift count as int4
		{l: literal, op: "&", r: typed(types.Int8), want: "bit bigint -> bigint; read 0 as bigint; 0::bigint; 1::bigint"},
		{l: typed(types.Int2), op: "<<", r: literal, want: "bit smallint -> smallint; read 1 as integer; 0; 1"},
		{l: param, op: "#", r: typed(types.Int2), want: "bit smallint -> smallint; read 0 as smallint; 0::smallint; 1::smallint"},
		{l: typed(types.Int4), op: "<<", r: typed(types.Int8), code: pgerror.UndefinedFunction},
		{l: typed(types.Oid4), op: "&", r: typed(types.Int4), code: pgerror.UndefinedFunction},
		// text operators: no casts; a number is not text
		{l: typed(types.Text), op: "~*", r: literal, want: "regex text -> boolean; 0; 1"},
		{l: typed(types.Int4), op: "~", r: literal, code: pgerror.UndefinedFunction},
		{l: typed(types.Text), op: "^@", r: typed(vc5), want: "startswith text -> boolean; 0; 1"},
		{l: typed(types.Text), op: "~~", r: typed(char3), want: "like text -> boolean; 0; 1::text"},
		{l: typed(types.Int4), op: "!~~", r: literal, code: pgerror.UndefinedFunction},
		{l: typed(types.Int4), op: "||", r: typed(types.Text), want: "concat text -> text; 0; 1"},
		// json and arrays: the polymorphic tables in exec
		{l: typed(types.JSONB), op: "->", r: literal, want: "json unknown -> unknown; 0; 1"},
		{l: literal, op: "@>", r: typed(types.JSONB), want: "json unknown -> unknown; 0; 1"},
		{l: typed(intArr), op: "||", r: typed(types.Int4), want: "array unknown -> unknown; 0; 1"},
		{l: literal, op: "&&", r: literal, code: pgerror.AmbiguousFunction},
		{l: typed(intArr), op: "<", r: typed(intArr), want: "compare integer[] -> boolean; 0::integer[]; 1::integer[]"},
		{l: typed(types.Int4), op: "<->", r: typed(types.Int4), code: pgerror.UndefinedFunction},
	} {
		name := fmt.Sprintf("%v%s %s %v%s", tc.l.T, map[bool]string{true: "?"}[tc.l.Unknown], tc.op, tc.r.T, map[bool]string{true: "?"}[tc.r.Unknown])
		t.Run(name, func(t *testing.T) {
			res, err := plan.ResolveBinaryOp(tc.op, tc.l, tc.r)
			if tc.code != "" {
				if codeOf(err) != tc.code {
					t.Fatalf("ResolveBinaryOp = %v; want SQLSTATE %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(res); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// A failed resolution still names the reads that come first: exec does
// them, so a literal that does not read as its type fails as such.
func TestResolveBinaryOpReadsBeforeFailure(t *testing.T) {
	res, err := plan.ResolveBinaryOp("&", literal, typed(types.Text))
	if codeOf(err) != pgerror.UndefinedFunction || res == nil || len(res.Reads) != 1 || res.Reads[0] != (plan.Read{From: 0, T: types.Text}) {
		t.Fatalf("'x' & text: %+v, %v", res, err)
	}
}

func TestResolvePrefixOp(t *testing.T) {
	for _, tc := range []struct {
		op   string
		x    plan.Operand
		want string
		code pgerror.Code
	}{
		{op: "-", x: typed(types.Int8), want: "neg bigint -> bigint; 0"},
		{op: "-", x: typed(types.Interval), want: "neg interval -> interval; 0"},
		{op: "-", x: param, want: "neg double precision -> double precision; 0::double precision"},
		{op: "-", x: typed(types.Text), code: pgerror.UndefinedFunction},
		{op: "+", x: literal, want: "plus double precision -> double precision; read 0 as double precision; 0"},
		{op: "+", x: typed(types.Interval), code: pgerror.UndefinedFunction},
		{op: "~", x: typed(types.Int2), want: "bitnot smallint -> smallint; 0"},
		{op: "~", x: literal, want: "bitnot integer -> integer; read 0 as integer; 0"},
		{op: "~", x: typed(types.Numeric), code: pgerror.UndefinedFunction},
		{op: "|/", x: typed(types.Int4), want: "sqrt double precision -> double precision; 0::double precision"},
		{op: "@", x: typed(types.Numeric), want: "abs numeric -> numeric; 0"},
		{op: "@", x: typed(types.Date), code: pgerror.UndefinedFunction},
		{op: "!!", x: typed(types.Int4), code: pgerror.UndefinedFunction},
	} {
		t.Run(fmt.Sprintf("%s %v", tc.op, tc.x.T), func(t *testing.T) {
			res, err := plan.ResolvePrefixOp(tc.op, tc.x)
			if tc.code != "" {
				if codeOf(err) != tc.code {
					t.Fatalf("ResolvePrefixOp = %v; want SQLSTATE %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(res); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// fakeOperands binds constants (BindConst), columns of cols by name and
// nested operators, recording the hint each binding got.
type fakeOperands struct {
	cols  map[string]types.T
	hints []string
}

func (f *fakeOperands) BindOperand(n *pg_query.Node, hint types.T) (plan.Expr, error) {
	switch v := n.Node.(type) {
	case *pg_query.Node_AConst:
		c, err := plan.BindConst(v.AConst, hint)
		if err != nil {
			return nil, err
		}
		f.hints = append(f.hints, c.Display+" as "+hint.String())
		return c, nil
	case *pg_query.Node_ColumnRef:
		ref, _ := plan.ColumnNameOf(v.ColumnRef)
		f.hints = append(f.hints, ref.Name+" as "+hint.String())
		return &plan.Var{T: f.cols[ref.Name], Display: ref.Name}, nil
	case *pg_query.Node_ParamRef:
		p, _, err := plan.BindParam(v.ParamRef, nil, hint)
		if err != nil {
			return nil, err
		}
		f.hints = append(f.hints, fmt.Sprintf("$%d as %s", p.N, hint))
		return p, nil
	case *pg_query.Node_AExpr:
		return plan.BindOperator(f, v.AExpr, hint)
	}
	return nil, fmt.Errorf("unexpected %T", n.Node)
}

func TestBindOperator(t *testing.T) {
	cols := map[string]types.T{"i": types.Int4, "b": types.Int8, "d": types.Date, "ts": types.Timestamp,
		"iv": types.Interval, "j": types.JSONB, "c": char3, "t": types.Text}
	for _, tc := range []struct {
		sql   string
		hints string // the operands' bindings in order, "; "-separated
		want  string // describe of the resolution
		code  pgerror.Code
	}{
		// an untyped side adopts the other side's type (an operator input: no length)
		{sql: "SELECT '1' + b", hints: "'1' as unknown; b as unknown; '1'::bigint as bigint", want: "arith bigint -> bigint; 0::bigint; 1::bigint"},
		{sql: "SELECT c = 'abcd'", hints: "c as unknown; 'abcd' as character", want: "compare character -> boolean; 0::character; 1::character"},
		// beside a date/time value: an interval for +, a number for * and /
		{sql: "SELECT ts + '1 day'", hints: "ts as unknown; '1 day'::interval as interval", want: "datetime timestamp without time zone -> timestamp without time zone; 0; 1"},
		{sql: "SELECT iv * '2'", hints: "iv as unknown; '2'::double precision as double precision", want: "datetime interval -> interval; 0; 1::double precision"},
		{sql: "SELECT d + '1'", hints: "d as unknown; '1' as unknown", code: pgerror.AmbiguousFunction},
		// ||: an untyped literal beside a non-string is text
		{sql: "SELECT 'n=' || i", hints: "'n=' as unknown; i as text; 'n=' as text", want: "concat text -> text; 0; 1"},
		// text operators: no hint (1 ~ 'a' has no operator)
		{sql: "SELECT i ~ 'a'", hints: "i as unknown; 'a' as unknown", code: pgerror.UndefinedFunction},
		// json: the key is text, a path text[]
		{sql: "SELECT j -> 'k'", hints: "j as unknown; 'k' as unknown", want: "json unknown -> unknown; 0; 1"},
		{sql: "SELECT j #> '{a,b}'", hints: "j as unknown; '{a,b}'::text[] as text[]", want: "json unknown -> unknown; 0; 1"},
		// - on json is json's; on others any operator's pair
		{sql: "SELECT '5' - i", hints: "'5' as unknown; i as unknown; '5'::integer as integer", want: "arith integer -> integer; 0::integer; 1::integer"},
		// prefix operators take the context's hint; - of an untyped literal is ambiguous
		{sql: "SELECT - 'x'", hints: "'x' as unknown", code: pgerror.AmbiguousFunction},
		{sql: "SELECT -i", hints: "i as unknown", want: "neg integer -> integer; 0"},
		// nested: the left operand binds once
		{sql: "SELECT i - 1 - 1", hints: "i as unknown; 1 as integer; 1 as integer", want: "arith integer -> integer; 0::integer; 1::integer"},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			f := &fakeOperands{cols: cols}
			op, err := plan.BindOperator(f, target(t, tc.sql).GetAExpr(), types.Unknown)
			if got := strings.Join(f.hints, "; "); got != tc.hints {
				t.Errorf("bindings: %s\nwant      %s", got, tc.hints)
			}
			if tc.code != "" {
				if codeOf(err) != tc.code || op == nil {
					t.Fatalf("BindOperator = %+v, %v; want SQLSTATE %s with the operator", op, err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(op.Res); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	// the json key is made text by an implicit cast in the bound tree
	op, err := plan.BindOperator(&fakeOperands{cols: cols}, target(t, "SELECT j ->> 'k'").GetAExpr(), types.Unknown)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := op.Args[1].(*plan.Cast); !ok || c.T != types.Text {
		t.Fatalf("j ->> 'k': right operand %#v, want a cast to text", op.Args[1])
	}
}
