package exec_test

import (
	"context"
	"testing"

	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/exec/exectest"
	"github.com/heliosdb/nano/sql/parser"
)

// TestReadCommittedSeesDDLBetweenStatements: a READ COMMITTED
// transaction's statements read the catalog of their own snapshot — a
// table created by another transaction between two of them is in the
// second's pg_class, and one dropped meanwhile is not (the transaction
// caches the catalog per snapshot, never across snapshots).
func TestReadCommittedSeesDDLBetweenStatements(t *testing.T) {
	ctx := context.Background()
	e := exectest.New(t)
	exectest.Exec(t, e, "CREATE TABLE gone (k int PRIMARY KEY)")
	txn, err := e.BeginTx(ctx, exec.TxOptions{Isolation: exec.ReadCommitted})
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Rollback()
	run := func(sql string) (*exectest.Result, error) {
		t.Helper()
		stmts, err := parser.Parse(sql)
		if err != nil {
			t.Fatal(err)
		}
		return exectest.RunStmt(ctx, e, txn, stmts[0], nil)
	}
	count := func(name string) string {
		t.Helper()
		res, err := run("SELECT count(*) FROM pg_class WHERE relname = '" + name + "'")
		if err != nil {
			t.Fatal(err)
		}
		return res.Rows[0][0]
	}
	if got := count("fresh") + count("gone"); got != "01" {
		t.Fatalf("fresh, gone counted %s, want 0 and 1", got)
	}
	exectest.Exec(t, e, "CREATE TABLE fresh (k int PRIMARY KEY)")
	exectest.Exec(t, e, "DROP TABLE gone")
	if got := count("fresh") + count("gone"); got != "10" {
		t.Fatalf("after CREATE TABLE fresh and DROP TABLE gone elsewhere: fresh, gone counted %s, want 1 and 0", got)
	}
}
