package exec_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/exec/exectest"
	"github.com/heliosdb/nano/sql/parser"
)

// TestLiteralValuesPlanAllocations: planning a long INSERT … VALUES of
// plain literals of the columns' types (scripts/bench-compare.sh's bulk
// load: an integer, a small integer and a string per row) allocates a few
// objects per row, not a dozen: each literal was bound to a Const and
// compiled into an expression of its own (12 allocations per row); now the
// expressions come from one slab (literalCell). The rows then insert the
// values the statement gave, with their columns' types.
func TestLiteralValuesPlanAllocations(t *testing.T) {
	ctx := context.Background()
	e := exectest.New(t)
	exectest.Exec(t, e, "CREATE TABLE bulk (id int PRIMARY KEY, v int, s text, b bigint, c varchar)")
	const rows = 1000
	var sb strings.Builder
	sb.WriteString("INSERT INTO bulk VALUES ")
	for i := 1; i <= rows; i++ {
		if i > 1 {
			sb.WriteByte(',')
		}
		if i%10 == 0 {
			fmt.Fprintf(&sb, "(%d,NULL,NULL,NULL,NULL)", i)
			continue
		}
		fmt.Fprintf(&sb, "(%d,%d,'row %d',%d,'it''s %d')", i, i%97, i, 3000000000+i, i)
	}
	stmts, err := parser.Parse(sb.String())
	if err != nil {
		t.Fatal(err)
	}
	txn, err := e.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Rollback()
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := e.Prepare(ctx, txn, stmts[0], nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%.2f allocations per row", allocs/rows)
	if perRow := allocs / rows; perRow > 9 {
		t.Errorf("planning the %d-row INSERT allocated %.1f objects per row, want at most 9", rows, perRow)
	}
	if _, err := exectest.RunStmt(ctx, e, txn, stmts[0], nil); err != nil {
		t.Fatal(err)
	}
	if _, err := txn.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got := exectest.Query(t, e, "SELECT count(*), count(v), sum(id), sum(v), sum(b), max(s), max(c), "+
		"pg_typeof(max(b))::text, pg_typeof(max(c))::text FROM bulk")
	want := "1000 900 500500 42309 2700000450000 row 999 it's 999 bigint character varying"
	if g := strings.Join(got[0], " "); g != want {
		t.Errorf("got %s, want %s", g, want)
	}
}
