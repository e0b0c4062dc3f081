package session

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/exec/exectest"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

func TestCacheableTree(t *testing.T) {
	for _, tc := range []struct {
		sql     string
		ok      bool
		negated []bool
	}{
		{"SELECT abalance FROM pgbench_accounts WHERE aid = 5", true, []bool{false}},
		{"UPDATE pgbench_accounts SET abalance = abalance + -5 WHERE aid = 7", true, []bool{true, false}},
		{"INSERT INTO h (tid, bid, aid, delta, mtime) VALUES (1, 2, 3, -4, CURRENT_TIMESTAMP)", true,
			[]bool{false, false, false, true}},
		{"UPDATE t SET a = 5, b = -6 WHERE c >= 1 AND d < 2 OR e <> 3", true, []bool{false, true, false, false, false}},
		{"DELETE FROM t WHERE a = 1", true, []bool{false}},
		{"SELECT a FROM t WHERE (a + 1) * 2 > 3", true, []bool{false, false, false}},
		{"SELECT a FROM t WHERE a IN (SELECT b FROM u WHERE b % 2 = 0)", true, []bool{false, false}},
		{"SELECT a FROM t", true, []bool{}},
		// not where a parameter means what the literal meant
		{"SELECT 1", false, nil},                                // select list: its own type
		{"SELECT a + 1 FROM t", true, []bool{false}},            // an operator over a column is fine there
		{"SELECT a FROM t ORDER BY 1", false, nil},              // a position
		{"SELECT a FROM t GROUP BY 1", false, nil},              // a position
		{"SELECT a FROM t LIMIT 1", false, nil},                 // not an operand
		{"SELECT a FROM t WHERE a = 1 + 2", false, nil},         // folded when planned
		{"SELECT a FROM t WHERE a = -(-1)", false, nil},         // two minuses
		{"SELECT a FROM t WHERE a = abs(1)", false, nil},        // a function argument
		{"SELECT a FROM t WHERE a = 1::int8", false, nil},       // a cast
		{"SELECT a FROM t WHERE a[1] = b", false, nil},          // a subscript
		{"SELECT a FROM t WHERE a IN (1, 2)", false, nil},       // not a binary operator
		{"SELECT a FROM t WHERE a BETWEEN 1 AND 2", false, nil}, // nor this
		{"SELECT a FROM t WHERE a || 1 = b", false, nil},        // nor ||
		{"INSERT INTO t VALUES (1), (2)", false, nil},           // several rows
		{"INSERT INTO t SELECT 1", false, nil},                  // a select list
		{"INSERT INTO t VALUES (1) RETURNING a + 0", true, []bool{false, false}},
		{"INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 2", false, nil},
		{"UPDATE t SET a[1] = 2", false, nil},
		{"SELECT a INTO u FROM t WHERE a = 1", false, nil}, // creates a table
		{"CREATE TABLE t (a numeric(10, 2))", false, nil},
		{"EXPLAIN SELECT a FROM t WHERE a = 1", false, nil},
	} {
		n, ok := parser.Normalize(tc.sql, nil)
		if !ok {
			t.Fatalf("Normalize(%q) refused", tc.sql)
		}
		stmts, err := parser.Parse(n.Text)
		if err != nil || len(stmts) != 1 {
			if tc.ok {
				t.Errorf("%q: normalised text %q does not parse: %v", tc.sql, n.Text, err)
			}
			continue
		}
		negated, ok := cacheableTree(stmts[0].Node, len(n.Lits))
		if ok != tc.ok {
			t.Errorf("cacheableTree(%q) = %v, want %v", tc.sql, ok, tc.ok)
			continue
		}
		if ok && fmt.Sprint(negated) != fmt.Sprint(tc.negated) {
			t.Errorf("cacheableTree(%q): negated %v, want %v", tc.sql, negated, tc.negated)
		}
	}
}

// rows is a result.Writer keeping the last statement's columns and rows.
type rows struct {
	cols []result.Column
	rows []string
	tag  string
}

func (r *rows) SetColumns(c []result.Column) error { r.cols = c; return nil }
func (r *rows) AddRow(row []types.Datum) error {
	r.rows = append(r.rows, fmt.Sprint(row...))
	return nil
}
func (r *rows) Complete(tag string) error { r.tag = tag; return nil }

func cacheSession(t *testing.T) *Session {
	t.Helper()
	s, err := New(Config{Engine: exectest.New(t)}, result.StartupInfo{User: "helios", Database: "heliosdb"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func run(t *testing.T, s *Session, sql string) *rows {
	t.Helper()
	r := &rows{}
	if err := s.Query(context.Background(), sql, r); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return r
}

// cached reports whether sql's shape has a usable plan in s's cache.
func cached(s *Session, sql string) bool {
	n, ok := parser.Normalize(sql, nil)
	if !ok {
		return false
	}
	e := s.plans[n.Key]
	return e != nil && !e.bad
}

func TestPlanCacheRuns(t *testing.T) {
	s := cacheSession(t)
	run(t, s, "CREATE TABLE acc (id int PRIMARY KEY, bal int8, note text)")
	for i := 1; i <= 5; i++ {
		run(t, s, fmt.Sprintf("INSERT INTO acc (id, bal) VALUES (%d, %d)", i, i*100))
	}
	if !cached(s, "INSERT INTO acc (id, bal) VALUES (1, 1)") {
		t.Fatal("the INSERT shape was not cached")
	}
	run(t, s, "UPDATE acc SET bal = bal + -7 WHERE id = 3")
	run(t, s, "UPDATE acc SET bal = bal + 2 WHERE id = 4")
	for id, want := range map[int]string{1: "100", 3: "293", 4: "402", 5: "500", 6: ""} {
		r := run(t, s, fmt.Sprintf("SELECT bal FROM acc WHERE id = %d", id))
		if got := strings.Join(r.rows, ","); got != want {
			t.Errorf("id %d: bal %q, want %q", id, got, want)
		}
	}
	if !cached(s, "SELECT bal FROM acc WHERE id = 1") {
		t.Fatal("the SELECT shape was not cached")
	}
	// An int8 and a numeric literal are other shapes, compared by value.
	if r := run(t, s, "SELECT id FROM acc WHERE id = 3000000000"); len(r.rows) != 0 {
		t.Errorf("id = 3000000000: %v", r.rows)
	}
	if r := run(t, s, "SELECT id FROM acc WHERE bal * 1.5 > 700"); strings.Join(r.rows, ",") != "5" {
		t.Errorf("bal * 1.5 > 700: %v", r.rows)
	}
	// -2147483648 is an int4 constant; -(2147483648) would be int8.
	r := run(t, s, "SELECT id + -2147483648 FROM acc WHERE id = 1")
	if r.cols[0].Type != types.Int4 || strings.Join(r.rows, ",") != "-2147483647" {
		t.Errorf("id + -2147483648: %v %v", r.cols[0].Type, r.rows)
	}
	r = run(t, s, "SELECT id + -2147483647 FROM acc WHERE id = 1")
	if r.cols[0].Type != types.Int4 || strings.Join(r.rows, ",") != "-2147483646" {
		t.Errorf("id + -2147483647: %v %v", r.cols[0].Type, r.rows)
	}
	// A plan follows the catalog: a new column is seen, in the row
	// description too.
	run(t, s, "SELECT * FROM acc WHERE id = 1")
	run(t, s, "ALTER TABLE acc ADD COLUMN extra int DEFAULT 9")
	if r := run(t, s, "SELECT * FROM acc WHERE id = 2"); len(r.cols) != 4 || strings.Join(r.rows, ",") != "2 200 <nil> 9" {
		t.Errorf("after ADD COLUMN: columns %v rows %q", r.cols, r.rows)
	}
}

// TestPlanCacheSearchPath: a plan is for the search_path it was made
// under.
func TestPlanCacheSearchPath(t *testing.T) {
	s := cacheSession(t)
	run(t, s, "CREATE SCHEMA a; CREATE SCHEMA b; CREATE TABLE a.t (id int, v text); CREATE TABLE b.t (id int, v text)")
	run(t, s, "INSERT INTO a.t VALUES (1, 'from a'); INSERT INTO b.t VALUES (1, 'from b')")
	for _, sp := range []string{"a", "b", "a"} {
		run(t, s, "SET search_path = "+sp)
		r := run(t, s, "SELECT v FROM t WHERE id = 1")
		if want := "from " + sp; strings.Join(r.rows, ",") != want {
			t.Errorf("search_path %s: %v, want %s", sp, r.rows, want)
		}
	}
}

// TestPlanCacheErrorPositions: errors point into the statement as sent.
func TestPlanCacheErrorPositions(t *testing.T) {
	s := cacheSession(t)
	run(t, s, "CREATE TABLE p (id int, w int, v int)")
	posOf := func(sql string) int32 {
		t.Helper()
		err := s.Query(context.Background(), sql, &rows{})
		pe := pgerror.As(err)
		if pe == nil {
			t.Fatalf("%s: error %v, want a pgerror", sql, err)
		}
		return pe.Position
	}
	// planning the normalised text fails: the ordinary path reports it
	sql := "SELECT v FROM p WHERE id = 123456789 AND nosuch = 1"
	if got, want := posOf(sql), int32(strings.Index(sql, "nosuch")+1); got != want {
		t.Errorf("%s: position %d, want %d", sql, got, want)
	}
	// a cached plan re-planned after the column went away
	run(t, s, "SELECT v FROM p WHERE id = 1 AND w = 2")
	if !cached(s, "SELECT v FROM p WHERE id = 1 AND w = 2") {
		t.Fatal("not cached")
	}
	run(t, s, "ALTER TABLE p DROP COLUMN w")
	sql = "SELECT v FROM p WHERE id = 123456789 AND w = 12"
	if got, want := posOf(sql), int32(strings.Index(sql, "w = ")+1); got != want {
		t.Errorf("%s: position %d, want %d", sql, got, want)
	}
}

func TestOrigPosition(t *testing.T) {
	sql := "select é from t where a = 12345 and b = 7 and c"
	n, ok := parser.Normalize(sql, nil)
	if !ok {
		t.Fatal("refused")
	}
	// n.Text is "select é from t where a = $1 and b = $2 and c"
	chars := func(s, sub string) int32 { return int32(len([]rune(s[:strings.Index(s, sub)])) + 1) }
	for _, tc := range []struct {
		at   string // in n.Text
		want string // in sql
	}{
		{"é", "é"}, {"a = ", "a = "}, {"$1", "12345"}, {"1 and b", "12345"}, {"b =", "b ="}, {"$2", "7"}, {"c", " c"},
	} {
		pos := chars(n.Text, tc.at)
		want := chars(sql, tc.want)
		if tc.at == "c" {
			pos, want = int32(len([]rune(n.Text))), int32(len([]rune(sql)))
		}
		if tc.at == "1 and b" {
			pos = chars(n.Text, "$1") + 1
		}
		err := origPosition(pgerror.New(pgerror.SyntaxError, "x").WithPosition(pos), sql, n)
		if got := pgerror.As(err).Position; got != want {
			t.Errorf("position of %q: %d, want %d", tc.at, got, want)
		}
	}
}
