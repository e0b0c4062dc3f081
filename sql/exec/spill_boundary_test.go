package exec_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/exec/exectest"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/types"
)

type mapVars map[string]string

func (m mapVars) Get(name string) (string, bool) { v, ok := m[name]; return v, ok }

// runWith runs one query with the given settings and returns its rows as
// text and the temporary bytes it wrote.
func runWith(t *testing.T, e *exec.Engine, sql string, vars exec.Vars) ([]string, int64) {
	t.Helper()
	ctx := context.Background()
	st, err := parser.ParseOne(sql)
	if err != nil {
		t.Fatal(err)
	}
	txn, err := e.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Rollback()
	p, err := e.Prepare(ctx, txn, st, nil)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	before := e.TempBytesWritten()
	cur, err := p.Open(ctx, txn, nil, vars)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var out []string
	cols := p.Columns()
	for {
		row, err := cur.Next(ctx)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if row == nil {
			break
		}
		vals := make([]string, len(row))
		for i, d := range row {
			vals[i] = "NULL"
			if d != nil {
				vals[i] = types.FormatText(d, cols[i].Type)
			}
		}
		out = append(out, strings.Join(vals, "|"))
	}
	cur.Close()
	return out, e.TempBytesWritten() - before
}

// spillData fills t (4000 rows) and u (600 rows) with NULLs, duplicates,
// numerics of several scales and timestamps.
func spillData(t *testing.T, e *exec.Engine) {
	exectest.Exec(t, e, "CREATE TABLE t (id int PRIMARY KEY, g int, v text, n numeric, f float8, d timestamptz, b bool)")
	exectest.Exec(t, e, "CREATE TABLE u (id int PRIMARY KEY, w text)")
	for lo := 0; lo < 4000; lo += 500 {
		var sb strings.Builder
		sb.WriteString("INSERT INTO t VALUES ")
		for i := lo; i < lo+500; i++ {
			if i > lo {
				sb.WriteString(",")
			}
			v := fmt.Sprintf("'v%04d'", i*37%1000)
			if i%7 == 0 {
				v = "NULL"
			}
			g := fmt.Sprint(i % 700)
			if i%11 == 0 {
				g = "NULL"
			}
			fmt.Fprintf(&sb, "(%d, %s, %s, %d.%s, %d.25, '2024-01-%02d %02d:00:00+00', %v)",
				i, g, v, i%13, strings.Repeat("5", i%3+1), i%17, 1+i%28, i%24, i%3 == 0)
		}
		if _, err := exectest.Run(context.Background(), e, sb.String()); err != nil {
			t.Fatalf("fill t: %v", err)
		}
	}
	var sb strings.Builder
	sb.WriteString("INSERT INTO u VALUES ")
	for i := 0; i < 600; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, "(%d, 'w%d-%s')", i, i%9, strings.Repeat("x", 40))
	}
	exectest.Exec(t, e, sb.String())
}

// The spilling operators give the same rows with work_mem=64kB (spilling)
// as with 1GB (in memory): orderings, NULLs first/last, DESC, LIMIT,
// grouping, DISTINCT, joins. (These queries were also run on PostgreSQL
// 15 with the same data; see docs/memory.md.)
func TestSpillBoundaryGivesSameResults(t *testing.T) {
	e := exectest.New(t)
	spillData(t, e)
	queries := []struct {
		sql   string
		spill bool
	}{
		{"SELECT id, g, v, n, f, d, b FROM t ORDER BY v DESC NULLS FIRST, id", true},
		{"SELECT id, v FROM t ORDER BY v NULLS FIRST, g DESC, id LIMIT 25 OFFSET 1000", true},
		{"SELECT g, n FROM t ORDER BY n DESC, g NULLS FIRST, id", true},
		{"SELECT d, count(*) FROM t GROUP BY d ORDER BY d DESC", false},
		{"SELECT g, count(*), count(v), sum(n), min(v), max(v), avg(f), bool_and(b), bool_or(b) FROM t GROUP BY g ORDER BY g NULLS FIRST", true},
		{"SELECT v, g, count(DISTINCT n) FROM t GROUP BY v, g HAVING count(*) > 0 ORDER BY v, g", true},
		{"SELECT count(*), sum(n), min(d), max(d) FROM t", false},
		{"SELECT v, g, GROUPING(v, g), count(*), sum(n) FROM t GROUP BY ROLLUP (v, g) ORDER BY v NULLS FIRST, g NULLS FIRST, 3", true},
		{"SELECT g, n % 3, GROUPING(g, n % 3), count(v) FROM t GROUP BY CUBE (g, n % 3) ORDER BY 1 NULLS FIRST, 2 NULLS FIRST, 3", true},
		{"SELECT DISTINCT v, g FROM t ORDER BY v NULLS FIRST, g DESC", true},
		{"SELECT count(*) FROM (SELECT DISTINCT g, v, n FROM t) x", true},
		{"SELECT t.id, u.w FROM t JOIN u ON t.g = u.id WHERE t.id % 5 = 0 ORDER BY t.id", true},
		{"SELECT u.id, t.id FROM u LEFT JOIN t ON t.g = u.id AND t.id < 200 WHERE u.id < 300 ORDER BY u.id, t.id NULLS FIRST", true},
		{"SELECT v FROM t UNION SELECT w FROM u ORDER BY 1", true},
		{"SELECT count(*) FROM (SELECT v, g FROM t UNION ALL SELECT v, g FROM t) x", false},
	}
	small, big := mapVars{"work_mem": "64kB"}, mapVars{"work_mem": "1GB"}
	for _, q := range queries {
		want, wrote := runWith(t, e, q.sql, big)
		if wrote != 0 {
			t.Errorf("%s: wrote %d temporary bytes with work_mem=1GB", q.sql, wrote)
		}
		got, wrote := runWith(t, e, q.sql, small)
		if q.spill && wrote == 0 {
			t.Errorf("%s: did not spill with work_mem=64kB", q.sql)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %d rows with 64kB, %d with 1GB; first difference:\n%s", q.sql, len(got), len(want), firstDiff(got, want))
		}
		if len(want) == 0 {
			t.Errorf("%s: no rows", q.sql)
		}
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("row %d: %q vs %q", i, a[i], b[i])
		}
	}
	return "(one is a prefix of the other)"
}
