package plan_test

import (
	"reflect"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/plan"
)

// mustSelect parses one SELECT statement.
func mustSelect(t *testing.T, sql string) *pg_query.SelectStmt {
	t.Helper()
	sts, err := parser.Parse(sql)
	if err != nil || len(sts) != 1 {
		t.Fatalf("parse %q: %v (%d statements)", sql, err, len(sts))
	}
	sel := sts[0].Node.GetSelectStmt()
	if sel == nil {
		t.Fatalf("%q is not a SELECT", sql)
	}
	return sel
}

// orderBy returns the first ORDER BY item of sql.
func orderBy(t *testing.T, sql string) *pg_query.SortBy {
	t.Helper()
	return mustSelect(t, sql).SortClause[0].GetSortBy()
}

func TestItemOf(t *testing.T) {
	for _, tc := range []struct {
		name, sql string
		want      plan.Item
	}{
		{"position", "SELECT a FROM t ORDER BY 2", plan.Item{Kind: plan.ItemPosition, Position: 2, Loc: 25}},
		{"negative position", "SELECT a FROM t ORDER BY -1", plan.Item{Kind: plan.ItemPosition, Position: -1, Loc: 25}},
		{"bare name", "SELECT a FROM t ORDER BY b", plan.Item{Kind: plan.ItemName, Name: "b"}},
		{"quoted name keeps case", `SELECT a FROM t ORDER BY "B"`, plan.Item{Kind: plan.ItemName, Name: "B"}},
		{"qualified name is an expression", "SELECT a FROM t ORDER BY t.b", plan.Item{Kind: plan.ItemExpr}},
		{"numeric constant is an expression", "SELECT a FROM t ORDER BY 1.5", plan.Item{Kind: plan.ItemExpr}},
		{"string constant is an expression", "SELECT a FROM t ORDER BY 'x'", plan.Item{Kind: plan.ItemExpr}},
		{"operator", "SELECT a FROM t ORDER BY a + 1", plan.Item{Kind: plan.ItemExpr}},
		{"parenthesised position stays a position", "SELECT a FROM t ORDER BY (1)", plan.Item{Kind: plan.ItemPosition, Position: 1, Loc: 26}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := plan.ItemOf(orderBy(t, tc.sql).Node); got != tc.want {
				t.Fatalf("ItemOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestResolveOrderItem(t *testing.T) {
	// SELECT a, b AS x, t.a, c AS y, d AS y: t.a is the same expression as
	// a, d another than c.
	names := []string{"a", "x", "a", "y", "y"}
	same := func(i, j int) bool { return i == j || i+j == 2 && i != 1 }
	for _, tc := range []struct {
		name     string
		item     plan.Item
		want     int
		wantCode pgerror.Code
		wantMsg  string
	}{
		{"first position", plan.Item{Kind: plan.ItemPosition, Position: 1}, 0, "", ""},
		{"last position", plan.Item{Kind: plan.ItemPosition, Position: 5}, 4, "", ""},
		{"position past the select list", plan.Item{Kind: plan.ItemPosition, Position: 6}, 0, pgerror.InvalidColumnReference,
			"ORDER BY position 6 is not in select list"},
		{"position zero", plan.Item{Kind: plan.ItemPosition, Position: 0}, 0, pgerror.InvalidColumnReference, ""},
		{"negative position", plan.Item{Kind: plan.ItemPosition, Position: -1}, 0, pgerror.InvalidColumnReference, ""},
		{"alias", plan.Item{Kind: plan.ItemName, Name: "x"}, 1, "", ""},
		{"a name twice for the same expression", plan.Item{Kind: plan.ItemName, Name: "a"}, 0, "", ""},
		{"a name for two expressions", plan.Item{Kind: plan.ItemName, Name: "y"}, 0, pgerror.AmbiguousColumn,
			`ORDER BY "y" is ambiguous`},
		{"unknown name is an expression", plan.Item{Kind: plan.ItemName, Name: "b"}, -1, "", ""},
		{"expression", plan.Item{Kind: plan.ItemExpr}, -1, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := plan.ResolveOrderItem("ORDER BY", tc.item, names, same)
			if tc.wantCode != "" {
				if err == nil || err.Code != tc.wantCode || tc.wantMsg != "" && err.Message != tc.wantMsg {
					t.Fatalf("ResolveOrderItem = %d, %v; want %s %s", got, err, tc.wantCode, tc.wantMsg)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ResolveOrderItem = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
	t.Run("DISTINCT ON names its clause", func(t *testing.T) {
		_, err := plan.ResolveOrderItem("DISTINCT ON", plan.Item{Kind: plan.ItemPosition, Position: 9}, names, same)
		if want := "DISTINCT ON position 9 is not in select list"; err == nil || err.Message != want {
			t.Fatalf("err = %v, want %q", err, want)
		}
	})
}

func TestResolveGroupItem(t *testing.T) {
	// SELECT a, b + 1 AS s, c AS a, lower(b), d AS k, e AS k, f AS m,
	// f AS m FROM t(a, b, c, d, e, f): the output names, implicit ones
	// included; 6 and 7 are the same expression.
	names := []string{"a", "s", "a", "lower", "k", "k", "m", "m"}
	same := func(i, j int) bool { return i == j || i+j == 13 && i > 5 && j > 5 }
	input := map[string]bool{"a": true, "b": true, "c": true, "d": true, "e": true, "f": true}
	errInput := pgerror.New(pgerror.AmbiguousColumn, "column reference \"a\" is ambiguous")
	for _, tc := range []struct {
		name     string
		item     plan.Item
		inputErr error
		want     int
		wantCode pgerror.Code
		asked    bool // inputHas was called
	}{
		{"position", plan.Item{Kind: plan.ItemPosition, Position: 2}, nil, 1, "", false},
		{"position past the select list", plan.Item{Kind: plan.ItemPosition, Position: 9}, nil, 0, pgerror.InvalidColumnReference, false},
		{"position zero", plan.Item{Kind: plan.ItemPosition, Position: 0}, nil, 0, pgerror.InvalidColumnReference, false},
		{"an input column wins over an output name", plan.Item{Kind: plan.ItemName, Name: "a"}, nil, -1, "", true},
		{"alias of an expression", plan.Item{Kind: plan.ItemName, Name: "s"}, nil, 1, "", true},
		{"implicit name of an expression", plan.Item{Kind: plan.ItemName, Name: "lower"}, nil, 3, "", true},
		{"a name for two expressions", plan.Item{Kind: plan.ItemName, Name: "k"}, nil, 0, pgerror.AmbiguousColumn, true},
		{"a name twice for one expression", plan.Item{Kind: plan.ItemName, Name: "m"}, nil, 6, "", true},
		{"neither column nor output name", plan.Item{Kind: plan.ItemName, Name: "z"}, nil, -1, "", true},
		{"input lookup error", plan.Item{Kind: plan.ItemName, Name: "a"}, errInput, 0, pgerror.AmbiguousColumn, true},
		{"expression", plan.Item{Kind: plan.ItemExpr}, nil, -1, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asked := false
			inputHas := func(name string) (bool, error) {
				asked = true
				if name != tc.item.Name {
					t.Errorf("inputHas(%q), want %q", name, tc.item.Name)
				}
				return input[name], tc.inputErr
			}
			got, err := plan.ResolveGroupItem(tc.item, names, inputHas, same)
			if asked != tc.asked {
				t.Errorf("inputHas called = %v, want %v", asked, tc.asked)
			}
			if tc.wantCode != "" {
				if pgerror.CodeOf(err) != tc.wantCode {
					t.Fatalf("ResolveGroupItem = %d, %v; want code %s", got, err, tc.wantCode)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ResolveGroupItem = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestSortOf(t *testing.T) {
	for _, tc := range []struct {
		sql              string
		desc, nullsFirst bool
	}{
		{"SELECT a FROM t ORDER BY a", false, false},
		{"SELECT a FROM t ORDER BY a ASC", false, false},
		{"SELECT a FROM t ORDER BY a DESC", true, true},
		{"SELECT a FROM t ORDER BY a NULLS FIRST", false, true},
		{"SELECT a FROM t ORDER BY a DESC NULLS LAST", true, false},
		{"SELECT a FROM t ORDER BY a ASC NULLS LAST", false, false},
		{"SELECT a FROM t ORDER BY a USING <", false, false},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			desc, nf := plan.SortOf(orderBy(t, tc.sql))
			if desc != tc.desc || nf != tc.nullsFirst {
				t.Fatalf("SortOf = desc %v nulls first %v, want %v %v", desc, nf, tc.desc, tc.nullsFirst)
			}
		})
	}
}

func TestDistinctOf(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		want plan.DistinctKind
	}{
		{"SELECT a FROM t", plan.DistinctNone},
		{"SELECT ALL a FROM t", plan.DistinctNone},
		{"SELECT DISTINCT a FROM t", plan.DistinctAll},
		{"SELECT DISTINCT ON (a) a, b FROM t", plan.DistinctOn},
		{"SELECT DISTINCT ON (a, b) a, b FROM t", plan.DistinctOn},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			if got := plan.DistinctOf(mustSelect(t, tc.sql)); got != tc.want {
				t.Fatalf("DistinctOf = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestKeyOrdered(t *testing.T) {
	asc := func(col int) plan.SortKey { return plan.SortKey{Col: col} }
	desc := func(col int) plan.SortKey { return plan.SortKey{Col: col, Desc: true, NullsFirst: true} }
	pk := []int{2, 0}
	for _, tc := range []struct {
		name              string
		keys              []plan.SortKey
		ordered, backward bool
	}{
		{"no keys", nil, false, false},
		{"leading key column", []plan.SortKey{asc(2)}, true, false},
		{"whole key", []plan.SortKey{asc(2), asc(0)}, true, false},
		{"whole key descending", []plan.SortKey{desc(2), desc(0)}, true, true},
		{"not the leading column", []plan.SortKey{asc(0)}, false, false},
		{"more keys than key columns", []plan.SortKey{asc(2), asc(0), asc(1)}, false, false},
		{"mixed directions", []plan.SortKey{asc(2), desc(0)}, false, false},
		{"ascending NULLS FIRST", []plan.SortKey{{Col: 2, NullsFirst: true}}, false, false},
		{"descending NULLS LAST", []plan.SortKey{{Col: 2, Desc: true}}, false, false},
		{"an expression", []plan.SortKey{asc(-1)}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ordered, backward := plan.KeyOrdered(tc.keys, pk)
			if ordered != tc.ordered || backward != tc.backward {
				t.Fatalf("KeyOrdered = %v, %v; want %v, %v", ordered, backward, tc.ordered, tc.backward)
			}
		})
	}
}

func TestDistinctOnKeys(t *testing.T) {
	// Output columns 0..2 are the select list; 3 is a hidden copy of
	// column 0 (ORDER BY a written again as an expression).
	same := func(i, j int) bool { return i == j || i == 0 && j == 3 || i == 3 && j == 0 }
	k := func(col int, desc bool) plan.SortKey { return plan.SortKey{Col: col, Desc: desc, NullsFirst: desc} }
	for _, tc := range []struct {
		name     string
		on       []int
		keys     []plan.SortKey
		wantOn   []int
		wantKeys []plan.SortKey
		wantErr  bool
	}{
		{"no ORDER BY: sort by the DISTINCT ON columns", []int{1, 0}, nil, []int{1, 0}, []plan.SortKey{k(1, false), k(0, false)}, false},
		{"repeated DISTINCT ON column", []int{1, 1}, nil, []int{1}, []plan.SortKey{k(1, false)}, false},
		{"ORDER BY covers them, then more keys", []int{0}, []plan.SortKey{k(0, true), k(2, false)}, []int{0}, []plan.SortKey{k(0, true), k(2, false)}, false},
		{"ORDER BY covers some: the rest appended", []int{0, 1}, []plan.SortKey{k(1, true)}, []int{0, 1}, []plan.SortKey{k(1, true), k(0, false)}, false},
		{"a hidden copy counts", []int{0}, []plan.SortKey{k(3, false), k(2, false)}, []int{0}, []plan.SortKey{k(3, false), k(2, false), k(0, false)}, false},
		{"leading key not a DISTINCT ON column", []int{0}, []plan.SortKey{k(2, false), k(0, false)}, nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			on, keys, err := plan.DistinctOnKeys(tc.on, tc.keys, same)
			if tc.wantErr {
				if pgerror.CodeOf(err) != pgerror.InvalidColumnReference {
					t.Fatalf("DistinctOnKeys err = %v, want 42P10", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(on, tc.wantOn) || !reflect.DeepEqual(keys, tc.wantKeys) {
				t.Fatalf("DistinctOnKeys = %v, %+v, %v; want %v, %+v", on, keys, err, tc.wantOn, tc.wantKeys)
			}
		})
	}
}

func TestDistinctSortKeys(t *testing.T) {
	// Two visible columns; 2 is a hidden copy of column 1, 3 matches none.
	same := func(j, hidden int) bool { return j == 1 && hidden == 2 }
	in := []plan.SortKey{{Col: 2, Desc: true, NullsFirst: true}, {Col: 0}}
	got, err := plan.DistinctSortKeys(in, 2, same)
	want := []plan.SortKey{{Col: 1, Desc: true, NullsFirst: true}, {Col: 0}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("DistinctSortKeys = %+v, %v; want %+v", got, err, want)
	}
	if in[0].Col != 2 {
		t.Fatalf("DistinctSortKeys modified its input: %+v", in)
	}
	_, err = plan.DistinctSortKeys([]plan.SortKey{{Col: 3}}, 2, same)
	if pgerror.CodeOf(err) != pgerror.InvalidColumnReference {
		t.Fatalf("DistinctSortKeys err = %v, want 42P10", err)
	}
}

func TestOutputSteps(t *testing.T) {
	for _, tc := range []struct {
		name  string
		shape plan.OutputShape
		want  string
	}{
		{"plain", plan.OutputShape{}, "[Project]"},
		{"ORDER BY … LIMIT", plan.OutputShape{Sort: true, Limit: true}, "[Project Sort Limit]"},
		{"DISTINCT sorts after removing duplicates", plan.OutputShape{Distinct: plan.DistinctAll, Sort: true}, "[Project Distinct Sort]"},
		{"DISTINCT ON keeps the first of each sorted run", plan.OutputShape{Distinct: plan.DistinctOn, Sort: true, Hidden: true}, "[Project Sort Unique Trim]"},
		{"FOR UPDATE locks after sorting, before LIMIT", plan.OutputShape{Sort: true, LockRows: true, Limit: true, Hidden: true}, "[Project Sort LockRows Limit Trim]"},
		{"ORDER BY an expression not selected", plan.OutputShape{Sort: true, Hidden: true}, "[Project Sort Trim]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmtSteps(plan.OutputSteps(tc.shape)); got != tc.want {
				t.Fatalf("OutputSteps = %s, want %s", got, tc.want)
			}
		})
	}
}

func fmtSteps(steps []plan.OutputStep) string {
	s := "["
	for i, st := range steps {
		if i > 0 {
			s += " "
		}
		s += st.String()
	}
	return s + "]"
}
