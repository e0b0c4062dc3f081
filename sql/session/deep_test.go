package session_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/session"
)

// deepest returns gen(n) for the largest n the parser accepts.
func deepest(t *testing.T, gen func(n int) string) (string, int) {
	lo, hi := 1, 20000
	for hi-lo > 1 {
		m := (lo + hi) / 2
		p, err := parser.Split(context.Background(), gen(m))
		if err != nil || len(p) != 1 {
			t.Fatal(err)
		}
		if p[0].Depth <= parser.MaxDepth {
			lo = m
		} else {
			hi = m
		}
	}
	return gen(lo), lo
}

// TestDeepestAcceptedStatementsRun: every shape at the deepest the parser
// accepts plans and runs (or fails cleanly) without exhausting a stack —
// the executor recurses over the same trees.
func TestDeepestAcceptedStatementsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs statements thousands of levels deep")
	}
	r := strings.Repeat
	s := newSession(t, session.Config{Engine: newEngine(t)}, nil)
	mustQuery(t, s, "CREATE TABLE t (c int)")
	mustQuery(t, s, "INSERT INTO t VALUES (1)")
	tests := []struct {
		name string
		gen  func(n int) string
		want func(n int) string // "" when any clean answer will do
	}{
		{"sum", func(n int) string { return "SELECT 1" + r("+1", n-1) }, func(n int) string { return itoa(n) }},
		{"columns", func(n int) string { return "SELECT c" + r("+c", n-1) + " FROM t" }, func(n int) string { return itoa(n) }},
		{"concat", func(n int) string { return "SELECT length('a'" + r("||'a'", n-1) + ")" }, nil},
		{"parens", func(n int) string { return "SELECT " + r("(", n) + "1" + r(")", n) }, func(int) string { return "1" }},
		{"minus", func(n int) string { return "SELECT " + r("- ", n) + "c FROM t" }, nil},
		{"not", func(n int) string { return "SELECT " + r("NOT ", n) + "true" }, nil},
		{"functions", func(n int) string { return "SELECT " + r("abs(", n) + "-1" + r(")", n) }, func(int) string { return "1" }},
		{"subqueries", func(n int) string { return "SELECT " + r("(SELECT ", n) + "1" + r(")", n) }, func(int) string { return "1" }},
		{"casts", func(n int) string { return "SELECT 1" + r("::int", n) }, func(int) string { return "1" }},
		{"case", func(n int) string { return "SELECT " + r("CASE WHEN c = 1 THEN ", n) + "7" + r(" END", n) + " FROM t" }, func(int) string { return "7" }},
		{"coalesce", func(n int) string { return "SELECT " + r("coalesce(NULL, ", n) + "3" + r(")", n) }, func(int) string { return "3" }},
		{"exists", func(n int) string { return "SELECT " + r("EXISTS (SELECT 1 WHERE ", n) + "true" + r(")", n) }, func(int) string { return "true" }},
		{"in", func(n int) string { return "SELECT " + r("1 IN (", n) + "1" + r(")", n) }, nil},
	}
	for _, tc := range tests {
		sql, n := deepest(t, tc.gen)
		err := s.Query(context.Background(), sql, &recorder{})
		if tc.want == nil {
			t.Logf("%s (n=%d): %v", tc.name, n, err)
			continue
		}
		if err != nil {
			t.Errorf("%s (n=%d): %v", tc.name, n, err)
			continue
		}
		if got := scalar(t, s, sql); got != tc.want(n) {
			t.Errorf("%s (n=%d): %s, want %s", tc.name, n, got, tc.want(n))
		}
	}
	if got := scalar(t, s, "SELECT 1"); got != "1" {
		t.Fatal(got)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
