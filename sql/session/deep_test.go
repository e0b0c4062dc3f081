package session_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
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
		// Each operand of - was compiled twice (jsonb's - looks at the
		// left side's type first): 2^n, the soak's SELECT 1-1-1-… hung.
		{"difference", func(n int) string { return "SELECT 1" + r("-1", n-1) }, func(n int) string { return itoa(2 - n) }},
		{"jsonb minus", func(n int) string { return `SELECT '{"a":1}'::jsonb` + r(" - 'a'", n) }, func(int) string { return "{}" }},
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

// TestDeepestJoinsAndUnionsStopOnTimeout: a join of 747 tables and a UNION
// ALL of 2,989 branches (the most the parser accepts) answer promptly or
// stop at statement_timeout. Planning them was cubic and deaf to cancel:
// every level recomputed its column list from the whole tree (the join
// ignored a 1 s statement_timeout for over a minute).
func TestDeepestJoinsAndUnionsStopOnTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("plans statements of thousands of levels")
	}
	r := strings.Repeat
	s := newSession(t, session.Config{Engine: newEngine(t)}, nil)
	mustQuery(t, s, "CREATE TABLE t (c int)")
	mustQuery(t, s, "INSERT INTO t VALUES (1)")
	mustQuery(t, s, "SET statement_timeout = '1s'")
	for name, gen := range map[string]func(n int) string{
		"joins": func(n int) string {
			var b strings.Builder
			b.WriteString("SELECT count(*) FROM t t0")
			for i := 1; i <= n; i++ {
				b.WriteString(" JOIN t t" + itoa(i) + " ON true")
			}
			return b.String()
		},
		"union": func(n int) string { return "SELECT count(*) FROM (SELECT 1" + r(" UNION ALL SELECT 1", n-1) + ") u" },
	} {
		sql, n := deepest(t, gen)
		start := time.Now()
		err := s.Query(context.Background(), sql, &recorder{})
		took := time.Since(start)
		t.Logf("%s (n=%d): %v after %v", name, n, err, took)
		if err != nil && pgerror.CodeOf(err) != pgerror.QueryCanceled {
			t.Errorf("%s: %v", name, err)
		}
		if took > 10*time.Second { // 1 s timeout; generous for a loaded machine
			t.Errorf("%s (n=%d): answered after %v with statement_timeout = 1s", name, n, took)
		}
	}
}
