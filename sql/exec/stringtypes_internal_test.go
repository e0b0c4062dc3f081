package exec

import (
	"testing"

	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// The string type resolution PostgreSQL 15 answers (pg_typeof of the
// comparisons' operand types, of COALESCE and UNION), checked against it in
// testdata/compat/bpchar.sql.
func TestStringTypeResolution(t *testing.T) {
	c3, c5, v5, name := types.BpcharN(3), types.BpcharN(5), types.T{Oid: types.OidVarchar, Mod: 9}, types.T{Oid: types.OidName, Mod: -1}
	vr := types.T{Oid: types.OidVarchar, Mod: -1}
	cmp := []struct {
		a, b, want types.T
	}{
		{c3, v5, types.Bpchar}, // bpchareq: 'b'::char(3) = 'b '::varchar
		{v5, c3, types.Bpchar},
		{c3, c5, types.Bpchar},
		{c3, types.Text, types.Text}, // texteq: text is preferred
		{types.Text, c3, types.Text},
		{v5, types.Text, types.Text},
		{v5, types.T{Oid: types.OidVarchar, Mod: 20}, vr},
	}
	for _, c := range cmp {
		if got := planner.StringCommonType(c.a, c.b); got != c.want {
			t.Errorf("planner.StringCommonType(%s, %s) = %s, want %s", c.a, c.b, got, c.want)
		}
	}
	unify := []struct {
		a, b, want types.T
	}{
		{c3, v5, types.Bpchar}, // the first stays: both cast implicitly
		{v5, c3, vr},
		{c3, c5, types.Bpchar},
		{c3, types.Text, types.Bpchar},
		{types.Text, c3, types.Text},
		{c3, name, name}, // name does not cast implicitly to bpchar
		{name, c3, name},
		{types.Text, name, types.Text},
		{v5, types.Text, vr},
	}
	for _, c := range unify {
		if got, err := unifyTypes([]*cexpr{{t: c.a}, {t: c.b}}, "UNION"); err != nil || got != c.want {
			t.Errorf("unifyTypes(%s, %s) = %s, %v; want %s", c.a, c.b, got, err, c.want)
		}
	}
}
