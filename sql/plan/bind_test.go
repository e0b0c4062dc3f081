package plan_test

import (
	"fmt"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// target is the first select-list expression of sql.
func target(t *testing.T, sql string) *pg_query.Node {
	t.Helper()
	return mustSelect(t, sql).TargetList[0].GetResTarget().Val
}

func TestBindConst(t *testing.T) {
	varchar5 := types.T{Oid: types.OidVarchar, Mod: 9}
	for _, tc := range []struct {
		sql  string
		hint types.T
		want plan.Const
		code pgerror.Code // SQLSTATE of an error
	}{
		{sql: "SELECT 1", want: plan.Const{T: types.Int4, Value: int64(1), Display: "1"}},
		{sql: "SELECT 2147483648", want: plan.Const{T: types.Int8, Value: int64(2147483648), Display: "2147483648"}},
		{sql: "SELECT true", want: plan.Const{T: types.Bool, Value: true, Display: "true"}},
		{sql: "SELECT NULL", want: plan.Const{T: types.Unknown, Unknown: true, Display: "NULL"}},
		{sql: "SELECT NULL", hint: types.Int8, want: plan.Const{T: types.Int8, Display: "NULL"}},
		{sql: "SELECT 'a''b'", want: plan.Const{T: types.Text, Value: "a'b", Unknown: true, Display: "'a''b'"}},
		{sql: "SELECT 'ab'", hint: types.Text, want: plan.Const{T: types.Text, Value: "ab", Display: "'ab'"}},
		// a literal assigned to varchar(5) is of the base type: the
		// assignment, not the literal, checks the length
		{sql: "SELECT 'abcdefg'", hint: varchar5, want: plan.Const{T: types.Varchar, Value: "abcdefg", Display: "'abcdefg'"}},
		{sql: "SELECT '12'", hint: types.Int4, want: plan.Const{T: types.Int4, ReadInput: true, Input: "12", Display: "'12'::integer"}},
		{sql: "SELECT 'now'", hint: types.Date, want: plan.Const{T: types.Date, ReadInput: true, Input: "now", Display: "'now'::date"}},
		{sql: "SELECT B'101'", want: plan.Const{T: types.Text, Value: "b101", Display: "b101"}},
		{sql: `SELECT '{"a":1}'`, hint: types.JSONB, code: ""},
		{sql: `SELECT '{"a":'`, hint: types.JSONB, code: pgerror.InvalidTextRepresentation},
	} {
		if tc.hint == (types.T{}) {
			tc.hint = types.Unknown // no context
		}
		t.Run(fmt.Sprintf("%s as %v", tc.sql, tc.hint), func(t *testing.T) {
			got, err := plan.BindConst(target(t, tc.sql).GetAConst(), tc.hint)
			if tc.code != "" {
				pe, ok := err.(*pgerror.Error)
				if !ok || pe.Code != tc.code {
					t.Fatalf("BindConst = %+v, %v; want SQLSTATE %s", got, err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.hint.Oid == types.OidJSONB {
				if got.T != types.JSONB || got.Value == nil || got.ReadInput || got.Unknown {
					t.Fatalf("jsonb literal: %+v", got)
				}
				return
			}
			if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", tc.want) {
				t.Fatalf("BindConst = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestNumericConst(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want types.T
	}{
		{"2147483647", types.Int4}, {"-2147483648", types.Int4}, {"2147483648", types.Int8},
		{"9223372036854775808", types.Numeric}, {"1.5", types.Numeric}, {"1e3", types.Numeric},
	} {
		if _, got, err := plan.NumericConst(tc.in); err != nil || got != tc.want {
			t.Errorf("NumericConst(%s) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if _, _, err := plan.NumericConst("1.2.3"); err == nil {
		t.Error("NumericConst(1.2.3): no error")
	}
}

func TestBindParam(t *testing.T) {
	ref := func(sql string) *pg_query.ParamRef { return target(t, sql).GetParamRef() }
	p, params, err := plan.BindParam(ref("SELECT $2"), nil, types.Unknown)
	if err != nil || p.N != 2 || !p.Unknown || p.T != types.Text || len(params) != 2 || params[1] != types.Unknown {
		t.Fatalf("$2 with no context: %+v %v %v", p, params, err)
	}
	// the first context to give $2 a type decides it
	p, params, err = plan.BindParam(ref("SELECT $2"), params, types.Int8)
	if err != nil || p.Unknown || p.T != types.Int8 || params[1] != types.Int8 || params[0] != types.Unknown {
		t.Fatalf("$2 as int8: %+v %v %v", p, params, err)
	}
	p, _, err = plan.BindParam(ref("SELECT $2"), params, types.Text)
	if err != nil || p.T != types.Int8 {
		t.Fatalf("$2 keeps int8: %+v %v", p, err)
	}
	if _, _, err := plan.BindParam(ref("SELECT $0"), nil, types.Unknown); err == nil || err.Code != pgerror.UndefinedParameter {
		t.Fatalf("$0: %v", err)
	}
}

// tcol is a typed column.
type tcol struct {
	col
	typ types.T
}

func (c tcol) ColumnType() types.T { return c.typ }

func TestBindColumnRef(t *testing.T) {
	inner := plan.Level[tcol]{Excluded: -1, Cols: []tcol{{col{"t", "a", false}, types.Int4}, {col{"t", "b", false}, types.Text}}}
	outer := plan.Level[tcol]{Excluded: -1, Cols: []tcol{{col{"o", "x", false}, types.Date}}}
	levels := func(d int) (plan.Level[tcol], bool) {
		switch d {
		case 0:
			return inner, true
		case 1:
			return outer, true
		}
		return plan.Level[tcol]{}, false
	}
	for _, tc := range []struct {
		sql  string
		want plan.Var
		code pgerror.Code
	}{
		{sql: "SELECT b", want: plan.Var{Scoped: plan.Scoped{Ordinal: 1}, T: types.Text, Display: "b"}},
		{sql: "SELECT t.a", want: plan.Var{Scoped: plan.Scoped{Ordinal: 0}, T: types.Int4, Display: "t.a"}},
		{sql: "SELECT x", want: plan.Var{Scoped: plan.Scoped{Depth: 1, Ordinal: 0}, T: types.Date, Display: "x"}},
		{sql: "SELECT nope", code: pgerror.UndefinedColumn},
		{sql: "SELECT t.*", code: pgerror.FeatureNotSupported},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			got, err := plan.BindColumnRef(levels, target(t, tc.sql).GetColumnRef())
			if tc.code != "" {
				if err == nil || err.Code != tc.code {
					t.Fatalf("BindColumnRef = %+v, %v; want SQLSTATE %s", got, err, tc.code)
				}
				return
			}
			if err != nil || *got != tc.want {
				t.Fatalf("BindColumnRef = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
