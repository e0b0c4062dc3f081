package plan_test

import (
	"testing"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

func TestCommonType(t *testing.T) {
	lit := func(t types.T) plan.Expr { return &plan.Const{T: t, Display: "c"} }
	untyped := &plan.Const{T: types.Text, Unknown: true, Value: "a", Display: "'a'"}
	null := &plan.Const{T: types.Unknown, Unknown: true, Display: "NULL"}
	varchar5 := types.T{Oid: types.OidVarchar, Mod: 9}
	char3, char5 := types.T{Oid: types.OidBpchar, Mod: 7}, types.T{Oid: types.OidBpchar, Mod: 9}
	for _, tc := range []struct {
		name string
		in   []plan.Expr
		want types.T
		code pgerror.Code
	}{
		{"int4, int8", []plan.Expr{lit(types.Int4), lit(types.Int8)}, types.Int8, ""},
		{"int4, numeric", []plan.Expr{lit(types.Int4), lit(types.Numeric)}, types.Numeric, ""},
		{"all untyped: text", []plan.Expr{untyped, null}, types.Text, ""},
		{"nothing: text", nil, types.Text, ""},
		{"untyped beside varchar(5): varchar", []plan.Expr{lit(varchar5), untyped}, types.T{Oid: types.OidVarchar, Mod: -1}, ""},
		{"varchar(5) alone keeps its length", []plan.Expr{lit(varchar5), lit(varchar5)}, varchar5, ""},
		{"char(3), char(5): bpchar", []plan.Expr{lit(char3), lit(char5)}, types.T{Oid: types.OidBpchar, Mod: -1}, ""},
		{"varchar, char(3): varchar", []plan.Expr{lit(varchar5), lit(char3)}, types.T{Oid: types.OidVarchar, Mod: -1}, ""},
		{"char(3), text: the first stays (implicit casts both ways)", []plan.Expr{lit(char3), lit(types.Text)}, types.T{Oid: types.OidBpchar, Mod: -1}, ""},
		{"text, char(3): text", []plan.Expr{lit(types.Text), lit(char3)}, types.Text, ""},
		{"name displaces varchar", []plan.Expr{lit(varchar5), lit(types.Name)}, types.Name, ""},
		{"int4, text: 42804", []plan.Expr{lit(types.Int4), lit(types.Text)}, types.T{}, pgerror.DatatypeMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := plan.CommonType(tc.in, "CASE")
			if codeOf(err) != tc.code || err == nil && got != tc.want {
				t.Fatalf("CommonType = %v, %v; want %v (SQLSTATE %q)", got, err, tc.want, tc.code)
			}
		})
	}
	if _, err := plan.CommonType([]plan.Expr{lit(types.Int4), lit(types.Text)}, "COALESCE"); err == nil || err.Error() != "COALESCE types integer and text cannot be matched" {
		t.Errorf("error = %v", err)
	}
}

func TestToCommon(t *testing.T) {
	untyped := &plan.Const{T: types.Text, Unknown: true, Value: "1", Display: "'1'"}
	if got := show(plan.ToCommon(untyped, types.Int4)); got != "read('1' as integer)" {
		t.Errorf("untyped literal to int4 = %s, want a read", got)
	}
	if got := show(plan.ToCommon(untyped, types.Text)); got != "'1'::text" {
		t.Errorf("untyped literal to text = %s, want a cast", got)
	}
	if got := show(plan.ToCommon(&plan.Const{T: types.Int4, Display: "1"}, types.Int8)); got != "1::bigint" {
		t.Errorf("int4 to int8 = %s, want a cast", got)
	}
}
