package plan_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// show renders a bound tree: a read as read(x as t), an implicit cast as
// x::t, an explicit one as CAST(x AS t).
func show(e plan.Expr) string {
	switch v := e.(type) {
	case *plan.Cast:
		switch {
		case v.Explicit:
			return "CAST(" + show(v.Arg) + " AS " + v.T.String() + ")"
		case v.Read:
			return "read(" + show(v.Arg) + " as " + v.T.String() + ")"
		}
		return show(v.Arg) + "::" + v.T.String()
	case *plan.Const:
		return v.Display
	case *plan.Var:
		return v.Display
	case *plan.Param:
		return fmt.Sprintf("$%d", v.N)
	case *plan.OpExpr:
		var parts []string
		for _, x := range v.Inputs() {
			parts = append(parts, show(x))
		}
		return v.Res.Name + "(" + strings.Join(parts, ", ") + ")"
	}
	return "?"
}

func TestTypeOf(t *testing.T) {
	intArr, _ := types.ArrayOf(types.Int4)
	for _, tc := range []struct {
		sql  string
		want types.T
		code pgerror.Code
	}{
		{sql: "SELECT x::varchar(5)", want: types.T{Oid: types.OidVarchar, Mod: 9}},
		{sql: "SELECT x::int[]", want: intArr},
		{sql: "SELECT x::numeric(10,2)", want: types.T{Oid: types.OidNumeric, Mod: (10<<16 | 2) + 4}},
		{sql: "SELECT x::double precision", want: types.Float8},
		{sql: "SELECT x::numeric(1.5)", code: pgerror.SyntaxError},
		{sql: "SELECT x::nosuchtype", code: pgerror.UndefinedObject},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			got, err := plan.TypeOf(target(t, tc.sql).GetTypeCast().TypeName)
			if tc.code != "" {
				if codeOf(err) != tc.code {
					t.Fatalf("TypeOf = %v, %v; want SQLSTATE %s", got, err, tc.code)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("TypeOf = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestBindCast(t *testing.T) {
	cols := map[string]types.T{"i": types.Int4, "ts": types.Timestamp}
	for _, tc := range []struct {
		sql  string
		want string
	}{
		// an untyped literal is a literal of the target type, not text cast
		{sql: "SELECT '12'::int", want: "CAST('12'::integer AS integer)"},
		{sql: "SELECT i::text", want: "CAST(i AS text)"},
		// a reg* type other than regtype binds a name: text
		{sql: "SELECT 'pg_class'::regclass", want: "CAST('pg_class' AS regclass)"},
		{sql: "SELECT 'int4'::regtype", want: "CAST('int4' AS regtype)"},
		// an operator under the cast, with its resolution's reads and casts
		{sql: "SELECT (ts - '2020-01-01')::text", want: "CAST(-(ts::timestamp without time zone, '2020-01-01'::timestamp without time zone::timestamp without time zone) AS text)"},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			tcast := target(t, tc.sql).GetTypeCast()
			typ, err := plan.TypeOf(tcast.TypeName)
			if err != nil {
				t.Fatal(err)
			}
			c, err := plan.BindCast(&fakeOperands{cols: cols}, tcast.Arg, typ)
			if err != nil {
				t.Fatal(err)
			}
			if got := show(c); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestCastHint(t *testing.T) {
	for _, tc := range []struct{ to, hint types.T }{
		{types.Int4, types.Int4}, {types.T{Oid: types.OidRegclass, Mod: -1}, types.Text},
		{types.T{Oid: types.OidRegrole, Mod: -1}, types.Text}, {types.T{Oid: types.OidRegtype, Mod: -1}, types.Text},
	} {
		if got := plan.CastHint(tc.to); got != tc.hint {
			t.Errorf("CastHint(%v) = %v, want %v", tc.to, got, tc.hint)
		}
	}
}

// The casts operator resolution decides are nodes of the bound tree:
// reads of untyped operands, then each input's implicit casts.
func TestOpExprInputs(t *testing.T) {
	cols := map[string]types.T{"i": types.Int4, "b": types.Int8, "s": types.Int2, "iv": types.Interval, "c": char3, "v": vc5}
	for _, tc := range []struct {
		sql  string
		want string
	}{
		{sql: "SELECT i = b", want: "=(i::bigint, b::bigint)"},
		{sql: "SELECT c = v", want: "=(c::character, v::character)"},
		{sql: "SELECT 2 * iv", want: "*(iv, 2::double precision)"},
		{sql: "SELECT + '1.5'", want: "+(read('1.5' as double precision))"},
		{sql: "SELECT ~ $1", want: "~(read($1 as integer))"},
		{sql: "SELECT |/ i", want: "|/(i::double precision)"},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			op, err := plan.BindOperator(&fakeOperands{cols: cols}, target(t, tc.sql).GetAExpr(), types.Unknown)
			if err != nil {
				t.Fatal(err)
			}
			if got := show(op); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
