package plan_test

import (
	"testing"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/plan"
)

// col is a column as name resolution sees it.
type col struct {
	table, name string
	usingDup    bool
}

func (c col) QualName() (string, string, bool) { return c.table, c.name, !c.usingDup }

// scopes makes a Levels over levels[0] (innermost) … levels[n-1].
func scopes(levels ...plan.Level[col]) plan.Levels[col] {
	return func(d int) (plan.Level[col], bool) {
		if d >= len(levels) {
			return plan.Level[col]{}, false
		}
		return levels[d], true
	}
}

func TestColumnNameOf(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		want plan.ColumnName
		ok   bool
	}{
		{"SELECT a FROM t ORDER BY b", plan.ColumnName{Name: "b"}, true},
		{"SELECT a FROM t ORDER BY t.b", plan.ColumnName{Table: "t", Name: "b"}, true},
		{"SELECT a FROM t ORDER BY public.t.b", plan.ColumnName{Table: "t", Name: "b"}, true},
		{`SELECT a FROM t ORDER BY "T"."B"`, plan.ColumnName{Table: "T", Name: "B"}, true},
		{"SELECT a FROM t ORDER BY t.*", plan.ColumnName{Table: "t"}, false},
		{"SELECT a FROM t ORDER BY db.public.t.b", plan.ColumnName{}, false},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			got, ok := plan.ColumnNameOf(orderBy(t, tc.sql).Node.GetColumnRef())
			if got != tc.want || ok != tc.ok {
				t.Fatalf("ColumnNameOf = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestResolveColumn(t *testing.T) {
	// SELECT … FROM t JOIN u USING (id), with an enclosing query over
	// o(id, x) and, for ON CONFLICT, a row of target + EXCLUDED.
	join := plan.Level[col]{Excluded: -1, Cols: []col{
		{"", "id", false}, {"t", "id", true}, {"t", "a", false}, {"u", "id", true}, {"u", "a", false}, {"u", "b", false},
	}}
	outer := plan.Level[col]{Excluded: -1, Cols: []col{{"o", "id", false}, {"o", "x", false}, {"o", "b", false}}}
	conflict := plan.Level[col]{Excluded: 2, Cols: []col{{"k", "id", false}, {"k", "v", false}, {"excluded", "id", false}, {"excluded", "v", false}}}
	for _, tc := range []struct {
		name     string
		levels   plan.Levels[col]
		ref      plan.ColumnName
		want     plan.Scoped
		wantCode pgerror.Code
		wantMsg  string
	}{
		{"bare name", scopes(join), plan.ColumnName{Name: "b"}, plan.Scoped{Ordinal: 5}, "", ""},
		{"qualified", scopes(join), plan.ColumnName{Table: "u", Name: "a"}, plan.Scoped{Ordinal: 4}, "", ""},
		{"USING column: the merged one", scopes(join), plan.ColumnName{Name: "id"}, plan.Scoped{Ordinal: 0}, "", ""},
		{"USING column qualified: that side's", scopes(join), plan.ColumnName{Table: "u", Name: "id"}, plan.Scoped{Ordinal: 3}, "", ""},
		{"ambiguous", scopes(join), plan.ColumnName{Name: "a"}, plan.Scoped{}, pgerror.AmbiguousColumn,
			`column reference "a" is ambiguous`},
		{"outer reference", scopes(join, outer), plan.ColumnName{Name: "x"}, plan.Scoped{Depth: 1, Ordinal: 1}, "", ""},
		{"the inner level shadows the outer", scopes(join, outer), plan.ColumnName{Name: "b"}, plan.Scoped{Ordinal: 5}, "", ""},
		{"qualified outer reference", scopes(join, outer), plan.ColumnName{Table: "o", Name: "id"}, plan.Scoped{Depth: 1}, "", ""},
		{"EXCLUDED only qualified", scopes(conflict), plan.ColumnName{Name: "v"}, plan.Scoped{Ordinal: 1}, "", ""},
		{"EXCLUDED qualified", scopes(conflict), plan.ColumnName{Table: "excluded", Name: "v"}, plan.Scoped{Ordinal: 3}, "", ""},
		{"no such column", scopes(join, outer), plan.ColumnName{Name: "z"}, plan.Scoped{}, pgerror.UndefinedColumn,
			`column "z" does not exist`},
		{"no such column of a table", scopes(join, outer), plan.ColumnName{Table: "o", Name: "a"}, plan.Scoped{}, pgerror.UndefinedColumn,
			"column o.a does not exist"},
		{"no such table", scopes(join), plan.ColumnName{Table: "w", Name: "a"}, plan.Scoped{}, pgerror.UndefinedTable,
			`missing FROM-clause entry for table "w"`},
		{"no columns at all", scopes(), plan.ColumnName{Name: "a"}, plan.Scoped{}, pgerror.UndefinedColumn, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := plan.ResolveColumn(tc.levels, tc.ref)
			if tc.wantCode != "" {
				if err == nil || err.Code != tc.wantCode || tc.wantMsg != "" && err.Message != tc.wantMsg {
					t.Fatalf("ResolveColumn = %+v, %v; want %s %s", got, err, tc.wantCode, tc.wantMsg)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ResolveColumn = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestHasTable(t *testing.T) {
	levels := scopes(plan.Level[col]{Cols: []col{{"t", "a", false}}}, plan.Level[col]{Cols: []col{{"o", "x", false}}})
	for table, want := range map[string]bool{"t": true, "o": true, "w": false} {
		if got := plan.HasTable(levels, table); got != want {
			t.Errorf("HasTable(%q) = %v, want %v", table, got, want)
		}
	}
}
