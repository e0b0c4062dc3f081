package tests

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Regression test for #12 point 6: COPY FROM STDIN and TO STDOUT through
// heliosdb-proxy against a real node (binary from pgx, text and CSV), and a
// failed COPY leaves the table and the session usable.
func TestCopyThroughProxy(t *testing.T) {
	n := newNode(t)
	n.start()
	px := startProxy(t, n, "")
	ctx := context.Background()
	c, err := pgx.Connect(ctx, px.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	mustExec(t, c, "CREATE TABLE pc (id int PRIMARY KEY, v text)")
	rows := pgx.CopyFromSlice(5000, func(i int) ([]any, error) { return []any{i, "v"}, nil })
	if got, err := c.CopyFrom(ctx, pgx.Identifier{"pc"}, []string{"id", "v"}, rows); err != nil || got != 5000 {
		t.Fatalf("CopyFrom through the proxy: %d, %v", got, err)
	}
	_, err = c.PgConn().CopyFrom(ctx, strings.NewReader("9000\tx\n1\ty\n"), "COPY pc FROM STDIN")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" {
		t.Fatalf("duplicate through the proxy: %v", err)
	}
	var out bytes.Buffer
	if _, err := c.PgConn().CopyTo(ctx, &out, "COPY (SELECT count(*), max(id) FROM pc) TO STDOUT (FORMAT csv)"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "5000,4999\n" {
		t.Fatalf("COPY TO through the proxy: %q", out.String())
	}
}
