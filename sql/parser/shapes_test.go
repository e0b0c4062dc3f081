package parser

import (
	"context"
	"fmt"
	"strings"
)

// shape builds a statement of one nesting shape at size n.
type shape struct {
	name string
	gen  func(n int) string
}

var r = strings.Repeat

var deepShapes = []shape{
	{"sum", func(n int) string { return "SELECT 1" + r("+1", n-1) }},
	{"columns-sum", func(n int) string { return "SELECT c" + r("+c", n-1) + " FROM t" }},
	{"concat", func(n int) string { return "SELECT 'a'" + r("||'a'", n-1) }},
	{"params", func(n int) string {
		var b strings.Builder
		b.WriteString("SELECT $1::int")
		for i := 2; i <= n; i++ {
			fmt.Fprintf(&b, "+$%d::int", i)
		}
		return b.String()
	}},
	{"parens", func(n int) string { return "SELECT " + r("(", n) + "1" + r(")", n) }},
	{"unary-minus", func(n int) string { return "SELECT " + r("- ", n) + "1" }},
	{"not", func(n int) string { return "SELECT " + r("NOT ", n) + "true" }},
	{"functions", func(n int) string { return "SELECT " + r("abs(", n) + "1" + r(")", n) }},
	{"subqueries", func(n int) string { return "SELECT " + r("(SELECT ", n) + "1" + r(")", n) }},
	{"exists", func(n int) string { return "SELECT " + r("EXISTS (SELECT 1 WHERE ", n) + "true" + r(")", n) }},
	{"casts", func(n int) string { return "SELECT 1" + r("::int", n) }},
	{"case", func(n int) string { return "SELECT " + r("CASE WHEN true THEN ", n) + "1" + r(" END", n) }},
	{"arrays", func(n int) string { return "SELECT " + r("ARRAY[", n) + "1" + r("]", n) }},
	{"subscripts", func(n int) string { return "SELECT " + r("(", n) + "x" + r(")[1]", n) + " FROM t" }},
	{"collate", func(n int) string { return "SELECT 'a'" + r(` COLLATE "C"`, n) }},
	{"at-time-zone", func(n int) string { return "SELECT now()" + r(" AT TIME ZONE 'UTC'", n) }},
	{"union", func(n int) string { return "SELECT 1" + r(" UNION ALL SELECT 1", n-1) }},
	{"joins", func(n int) string { return "SELECT * FROM t0" + r(" JOIN t ON true", n) }},
	{"in-sum", func(n int) string { return "SELECT 1 IN (1" + r("+1", n-1) + ")" }},
	{"and-or-sum", func(n int) string { return "SELECT true AND (1" + r("+1", n-1) + ") > 0" }},
	{"rows", func(n int) string { return "SELECT " + r("ROW(", n) + "1" + r(")", n) }},
	{"is-null", func(n int) string { return "SELECT " + r("(", n) + "1" + r(") IS NULL", n) }},
	{"like", func(n int) string { return "SELECT " + r("(", n) + "'a'" + r(" LIKE 'a')::text", n) }},
	{"between", func(n int) string { return "SELECT " + r("(1 BETWEEN 0 AND ", n) + "1" + r(")", n) }},
	{"join-func", func(n int) string { return "SELECT 1" + r("+1", n) + "+join(1)" + r("+1", n) }},
}

// maxAccepted returns the largest n (up to limit) whose statement Split
// estimates within MaxDepth.
func maxAccepted(sh shape, limit int) int {
	lo, hi := 0, limit+1
	for hi-lo > 1 {
		m := (lo + hi) / 2
		p, err := Split(context.Background(), sh.gen(m))
		if err != nil || len(p) != 1 {
			panic(fmt.Sprint(sh.name, err, len(p)))
		}
		if p[0].Depth <= MaxDepth {
			lo = m
		} else {
			hi = m
		}
	}
	return lo
}
