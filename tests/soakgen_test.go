package tests

import (
	"fmt"
	"math/rand"
	"strings"
)

// soakGen generates issue 18's hostile SQL from a seeded RNG: deep
// expressions straddling the parser's nesting limit, huge batches, long
// literals and identifiers, values near and above the 1 GB value limit,
// big sorting joins, and truncated or garbled statements.
type soakGen struct {
	r *rand.Rand
}

// soakStmt is one generated statement; big marks the ones that may hold
// hundreds of MB on the server (run one at a time so RSS stays bounded).
type soakStmt struct {
	kind string
	sql  string
	big  bool
}

// parserLimit is sql/parser.MaxDepth; depths straddle it.
const parserLimit = 3000

func (g *soakGen) depth() int {
	switch g.r.Intn(4) {
	case 0:
		return 1 + g.r.Intn(200)
	case 1:
		return parserLimit - 50 + g.r.Intn(100)
	case 2:
		return parserLimit/2 + g.r.Intn(parserLimit*2)
	default:
		return parserLimit + g.r.Intn(60000)
	}
}

func (g *soakGen) next() soakStmt {
	switch n := g.r.Intn(100); {
	case n < 35:
		return g.deep()
	case n < 45:
		return g.batch()
	case n < 55:
		return g.long()
	case n < 67:
		return g.bigValue()
	case n < 77:
		return g.bigJoin()
	default:
		s := g.next()
		s.kind += "+garbled"
		s.sql = g.garble(s.sql)
		return s
	}
}

// deep nests one of several expression shapes d levels deep.
func (g *soakGen) deep() soakStmt {
	d := g.depth()
	var b strings.Builder
	shape := []string{"ops", "parens", "func", "case", "subquery", "cast", "unary", "concat", "mixed"}[g.r.Intn(9)]
	b.WriteString("SELECT ")
	switch shape {
	case "ops":
		b.WriteString("1")
		ops := []string{"+", "-", "*", " AND ", " OR "}
		op := ops[g.r.Intn(3)]
		for range d {
			b.WriteString(op + "1")
		}
	case "parens":
		b.WriteString(strings.Repeat("(", d) + "1" + strings.Repeat(")", d))
	case "func":
		b.WriteString(strings.Repeat("abs(", d) + "-1" + strings.Repeat(")", d))
	case "case":
		b.WriteString(strings.Repeat("CASE WHEN true THEN ", d) + "1" + strings.Repeat(" ELSE 0 END", d))
	case "subquery":
		b.WriteString(strings.Repeat("(SELECT ", d) + "1" + strings.Repeat(")", d))
	case "cast":
		b.WriteString("1" + strings.Repeat("::int", d))
	case "unary":
		b.WriteString(strings.Repeat("- ", d) + "1")
	case "concat":
		b.WriteString("'a'" + strings.Repeat("||'a'", d))
	default:
		parts := []string{"(", "abs(", "(SELECT ", "coalesce(", "CASE WHEN 1=1 THEN "}
		ends := []string{")", ")", ")", ", 0)", " END"}
		var stack []int
		for range d {
			i := g.r.Intn(len(parts))
			b.WriteString(parts[i])
			stack = append(stack, i)
		}
		b.WriteString("1")
		for i := len(stack) - 1; i >= 0; i-- {
			b.WriteString(ends[stack[i]])
		}
	}
	return soakStmt{kind: "deep/" + shape, sql: b.String()}
}

// batch is many statements in one Query message.
func (g *soakGen) batch() soakStmt {
	n := []int{100, 5000, 50000, 200000}[g.r.Intn(4)]
	one := []string{"SELECT 1;", "SELECT 'x';", "SELECT a FROM soak WHERE a = 1;", ";"}[g.r.Intn(4)]
	return soakStmt{kind: "batch", sql: strings.Repeat(one, n)}
}

// long has a multi-MB literal or a long identifier.
func (g *soakGen) long() soakStmt {
	n := 1 << (10 + g.r.Intn(14)) // 1 KiB … 8 MiB
	switch g.r.Intn(4) {
	case 0:
		return soakStmt{kind: "long/literal", sql: "SELECT length('" + strings.Repeat("x", n) + "')"}
	case 1:
		return soakStmt{kind: "long/ident", sql: "SELECT 1 AS " + strings.Repeat("i", n)}
	case 2:
		return soakStmt{kind: "long/table", sql: "SELECT * FROM " + strings.Repeat("t", n)}
	default:
		return soakStmt{kind: "long/quoted", sql: `SELECT "` + strings.Repeat("q", n) + `" FROM soak`}
	}
}

// bigValue builds values with repeat() and || near and above 1 GB.
func (g *soakGen) bigValue() soakStmt {
	sizes := []int64{1 << 20, 64 << 20, 256 << 20, 1<<30 - 1, 1 << 30, 1<<30 + 1, 2 << 30, 1 << 40}
	n := sizes[g.r.Intn(len(sizes))]
	var sql string
	switch g.r.Intn(4) {
	case 0:
		sql = fmt.Sprintf("SELECT length(repeat('x', %d))", n)
	case 1:
		sql = fmt.Sprintf("SELECT length(repeat('x', %d) || repeat('y', %d))", n/2+1, n/2+1)
	case 2:
		sql = fmt.Sprintf("SELECT length(repeat(repeat('ab', %d), 4))", n/8+1)
	default:
		sql = fmt.Sprintf("SELECT max(length(repeat(b, %d))) FROM soak", n/40+1)
	}
	return soakStmt{kind: "bigvalue", sql: sql, big: n >= 64<<20}
}

// bigJoin is a cross join that sorts, dedups or groups far more rows than
// fit in work_mem; the session's statement_timeout ends it.
func (g *soakGen) bigJoin() soakStmt {
	tail := []string{
		"ORDER BY x.b DESC, y.a",
		"",
		"GROUP BY x.a, y.b ORDER BY count(*) DESC",
	}[g.r.Intn(3)]
	sel := "count(*)"
	if g.r.Intn(2) == 0 {
		sel = "x.a, y.b"
	}
	sql := fmt.Sprintf("SELECT %s FROM soak x, soak y, soak z %s", sel, tail)
	if sel == "count(*)" && strings.HasPrefix(tail, "GROUP") {
		sql = "SELECT x.a, y.b, count(*) FROM soak x, soak y, soak z GROUP BY x.a, y.b ORDER BY 3 DESC LIMIT 5"
	}
	if g.r.Intn(3) == 0 {
		sql = "SELECT DISTINCT x.b || y.b || z.a FROM soak x, soak y, soak z ORDER BY 1 LIMIT 10"
	}
	if sel == "x.a, y.b" && tail != "" {
		sql += " LIMIT 3"
	}
	return soakStmt{kind: "join", sql: sql, big: true}
}

// garble truncates the statement, or overwrites random bytes with
// random (possibly invalid UTF-8 or NUL-free control) bytes.
func (g *soakGen) garble(s string) string {
	if len(s) == 0 {
		return s
	}
	if g.r.Intn(2) == 0 {
		return s[:g.r.Intn(len(s))]
	}
	b := []byte(s)
	for range 1 + g.r.Intn(8) {
		c := byte(1 + g.r.Intn(255))
		b[g.r.Intn(len(b))] = c
	}
	return string(b)
}
