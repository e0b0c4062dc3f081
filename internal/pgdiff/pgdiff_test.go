package pgdiff

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	src := `-- a comment
CREATE TABLE t (a int);
-- compare: messages
SELECT 1,
  2;

-- compare: unordered
SELECT a FROM t ORDER BY a;
SELECT 'x;y'
;
`
	f, err := Parse("f.sql", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Statement{
		{ID: "f.sql:2", Line: 2, SQL: "CREATE TABLE t (a int)"},
		{ID: "f.sql:4", Line: 4, SQL: "SELECT 1,\n  2", Messages: true},
		{ID: "f.sql:8", Line: 8, SQL: "SELECT a FROM t ORDER BY a", Unordered: true},
		{ID: "f.sql:9", Line: 9, SQL: "SELECT 'x;y'\n"},
	}
	if len(f.Statements) != len(want) {
		t.Fatalf("got %d statements: %+v", len(f.Statements), f.Statements)
	}
	for i, w := range want {
		if g := f.Statements[i]; g != w {
			t.Errorf("statement %d: got %+v, want %+v", i, g, w)
		}
	}
	for _, bad := range []string{"SELECT 1", "-- compare: bogus\nSELECT 1;"} {
		if _, err := Parse("bad.sql", strings.NewReader(bad)); err == nil {
			t.Errorf("Parse(%q): no error", bad)
		}
	}
}

func TestOrdered(t *testing.T) {
	for sql, want := range map[string]bool{
		"SELECT a FROM t ORDER BY a":                       true,
		"SELECT a FROM t":                                  false,
		"SELECT * FROM (SELECT a FROM t ORDER BY a) q":     false,
		"SELECT a FROM t UNION SELECT b FROM u ORDER BY 1": true,
		"VALUES (1), (2) ORDER BY 1":                       true,
		"INSERT INTO t SELECT a FROM u ORDER BY a":         false,
		"not sql at all":                                   false,
	} {
		if got := Ordered(sql); got != want {
			t.Errorf("Ordered(%q) = %v, want %v", sql, got, want)
		}
	}
}

func rows(rs ...[]Value) [][]Value { return rs }
func v(s string) Value             { return Value{Text: s} }

var null = Value{Null: true}

func TestDiff(t *testing.T) {
	int4 := []Column{{"a", 23}}
	ok := func(rs [][]Value) Result { return Result{Columns: int4, Rows: rs, Tag: "SELECT 2"} }
	cases := []struct {
		name      string
		st        Statement
		ordered   bool
		pg, ours  Result
		wantAspct []Aspect
	}{
		{"same", Statement{}, true, ok(rows([]Value{v("1")}, []Value{null})), ok(rows([]Value{v("1")}, []Value{null})), nil},
		{"order matters", Statement{}, true, ok(rows([]Value{v("1")}, []Value{v("2")})), ok(rows([]Value{v("2")}, []Value{v("1")})), []Aspect{AspectRows}},
		{"multiset", Statement{}, false, ok(rows([]Value{v("1")}, []Value{v("2")})), ok(rows([]Value{v("2")}, []Value{v("1")})), nil},
		{"unordered directive", Statement{Unordered: true}, true, ok(rows([]Value{v("1")}, []Value{v("2")})), ok(rows([]Value{v("2")}, []Value{v("1")})), nil},
		{"multiset counts", Statement{}, false, ok(rows([]Value{v("1")}, []Value{v("1")})), ok(rows([]Value{v("1")}, []Value{v("2")})), []Aspect{AspectRows}},
		{"null is not 'NULL'", Statement{}, false, ok(rows([]Value{null})), ok(rows([]Value{v("NULL")})), []Aspect{AspectRows}},
		{"type", Statement{}, false, ok(nil), Result{Columns: []Column{{"a", 20}}, Tag: "SELECT 2"}, []Aspect{AspectTypes}},
		{"name", Statement{}, false, ok(nil), Result{Columns: []Column{{"b", 23}}, Tag: "SELECT 2"}, []Aspect{AspectNames}},
		{"tag", Statement{}, false, Result{Tag: "INSERT 0 1"}, Result{Tag: "INSERT 0 2"}, []Aspect{AspectTag}},
		{"columns", Statement{}, false, ok(nil), Result{Tag: "SELECT 2"}, []Aspect{AspectColumns}},
		{"same code", Statement{}, false, Result{Code: "22012", Message: "division by zero"}, Result{Code: "22012", Message: "other"}, nil},
		{"messages compared", Statement{Messages: true}, false, Result{Code: "22012", Message: "division by zero"}, Result{Code: "22012", Message: "other"}, []Aspect{AspectMessage}},
		{"code", Statement{}, false, Result{Code: "22012"}, Result{Code: "22003"}, []Aspect{AspectCode}},
		{"we fail", Statement{}, false, ok(nil), Result{Code: "0A000"}, []Aspect{AspectError}},
		{"we succeed", Statement{}, false, Result{Code: "23505"}, Result{Tag: "INSERT 0 1"}, []Aspect{AspectError}},
	}
	for _, c := range cases {
		d := Diff(c.st, c.ordered, c.pg, c.ours)
		var got []Aspect
		for _, x := range d {
			got = append(got, x.Aspect)
		}
		if strings.Join(aspects(got), ",") != strings.Join(aspects(c.wantAspct), ",") {
			t.Errorf("%s: got %v (%+v), want %v", c.name, got, d, c.wantAspct)
		}
	}
}

func aspects(a []Aspect) []string {
	s := make([]string, len(a))
	for i, x := range a {
		s[i] = string(x)
	}
	return s
}

func TestCheck(t *testing.T) {
	known, err := ParseKnown(strings.NewReader("# header\na.sql:1  # why\na.sql:3\nb.sql:9 # gone\n"))
	if err != nil {
		t.Fatal(err)
	}
	bad := []Difference{{AspectRows, "x"}}
	outs := []Outcome{
		{Statement: Statement{ID: "a.sql:1"}, Diffs: bad}, // known, still failing
		{Statement: Statement{ID: "a.sql:2"}, Diffs: bad}, // new
		{Statement: Statement{ID: "a.sql:3"}},             // known, fixed
		{Statement: Statement{ID: "a.sql:4"}},
	}
	v := Check(outs, known)
	if v.Pass != 2 || v.Fail != 2 || len(v.New) != 1 || v.New[0].Statement.ID != "a.sql:2" ||
		strings.Join(v.Fixed, ",") != "a.sql:3" || strings.Join(v.Stale, ",") != "b.sql:9" || v.OK() {
		t.Errorf("verdict %+v", v)
	}
	if v := Check(outs[:1], Known{"a.sql:1": ""}); !v.OK() {
		t.Errorf("verdict %+v, want OK", v)
	}
	for _, bad := range []string{"a.sql:1\na.sql:1\n", "not an id\n"} {
		if _, err := ParseKnown(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseKnown(%q): no error", bad)
		}
	}
}
