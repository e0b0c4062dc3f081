package plan_test

import (
	"testing"

	"github.com/heliosdb/nano/sql/plan"
)

func TestColumnLabel(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"a", "a"},
		{"t.a", "a"},
		{"count(*)", "count"},
		{"grouping(a, b)", "grouping"},
		{"localtime(0)", "localtime"},
		{"localtimestamp", "localtimestamp"},
		{"pg_catalog.upper(b)", "upper"},
		{"1", "?column?"},
		{"a + 1", "?column?"},
		{"1::int", "int4"},
		{"'x'::pg_catalog.varchar", "varchar"},
		{"a::text", "a"},
		{"CAST(a + 1 AS bigint)", "int8"},
		{"a COLLATE \"C\"", "a"},
		{"CASE WHEN true THEN 1 END", "case"},
		{"CASE WHEN true THEN 1 ELSE b END", "b"},
		{"coalesce(a, 0)", "coalesce"},
		{"nullif(a, 0)", "nullif"},
		{"greatest(1, 2)", "greatest"},
		{"least(1, 2)", "least"},
		{"ARRAY[1, 2]", "array"},
		{"(ARRAY[1, 2])[1]", "array"},
		{"ROW(1, 2)", "row"},
		{"current_date", "current_date"},
		{"EXISTS (SELECT 1)", "exists"},
		{"ARRAY(SELECT 1)", "array"},
		{"(SELECT 1 AS y)", "y"},
		{"(SELECT max(a) FROM t)", "max"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			sel := mustSelect(t, "SELECT "+tc.expr)
			if got := plan.ColumnLabel(sel.TargetList[0].GetResTarget().Val); got != tc.want {
				t.Fatalf("ColumnLabel(%s) = %q, want %q", tc.expr, got, tc.want)
			}
		})
	}
}
