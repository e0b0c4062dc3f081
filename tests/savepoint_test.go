package tests

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestSavepointsThroughProxy runs savepoints through heliosdb-proxy in the
// simple and the extended protocol: a failed statement recovered by
// ROLLBACK TO, RELEASE, and the proxy's view of the transaction status
// (the session stays on its backend while the block is failed).
func TestSavepointsThroughProxy(t *testing.T) {
	n := newNode(t)
	n.start()
	px := startProxy(t, n, "")
	ctx := context.Background()
	c, err := pgx.Connect(ctx, px.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	mustExec(t, c, "CREATE TABLE spx (id int PRIMARY KEY)")
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
		exec := func(sql string, args ...any) error {
			_, err := c.Exec(ctx, sql, append([]any{mode}, args...)...)
			return err
		}
		mustExec(t, c, "TRUNCATE spx")
		for _, st := range []struct {
			sql  string
			args []any
			code string
		}{
			{sql: "BEGIN"}, {sql: "INSERT INTO spx VALUES ($1)", args: []any{1}}, {sql: "SAVEPOINT a"},
			{sql: "INSERT INTO spx VALUES ($1)", args: []any{2}},
			{sql: "INSERT INTO spx VALUES ($1)", args: []any{1}, code: "23505"},
			{sql: "SELECT 1", code: "25P02"}, {sql: "RELEASE a", code: "25P02"},
			{sql: "ROLLBACK TO SAVEPOINT a"}, {sql: "INSERT INTO spx VALUES ($1)", args: []any{3}},
			{sql: "SAVEPOINT b"}, {sql: "INSERT INTO spx VALUES ($1)", args: []any{4}}, {sql: "RELEASE SAVEPOINT b"},
			{sql: "ROLLBACK TO b", code: "3B001"}, {sql: "ROLLBACK TO a"}, {sql: "INSERT INTO spx VALUES ($1)", args: []any{5}},
			{sql: "COMMIT"},
		} {
			err := exec(st.sql, st.args...)
			var pe *pgconn.PgError
			switch {
			case st.code == "" && err != nil:
				t.Fatalf("mode %v: %s: %v", mode, st.sql, err)
			case st.code != "" && (!errors.As(err, &pe) || pe.Code != st.code):
				t.Fatalf("mode %v: %s: %v, want %s", mode, st.sql, err, st.code)
			}
		}
		var got string
		if err := c.QueryRow(ctx, "SELECT string_agg(id::text, ',' ORDER BY id) FROM spx").Scan(&got); err != nil {
			t.Fatal(err)
		}
		// 2 went with the failed subtransaction, 3 and 4 with ROLLBACK TO a;
		// the 3B001 failed the block, which ROLLBACK TO a recovered.
		if got != "1,5" {
			t.Fatalf("mode %v: rows %s, want 1,5", mode, got)
		}
	}
}
