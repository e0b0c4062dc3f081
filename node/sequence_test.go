package node_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// Regression test for #12 point 5: a SERIAL's sequence is dropped with its
// table, so a re-created table starts at 1 again (it started at 3: the
// engine's cache of reserved values outlived the sequence); currval and
// lastval last across the session's transactions; TRUNCATE ... RESTART
// IDENTITY starts over; GENERATED ALWAYS refuses explicit values.
func TestSerialRecreatedTableStartsAtOne(t *testing.T) {
	_, c := copyNode(t)
	ctx := context.Background()
	for round := 0; round < 2; round++ {
		copyExec(t, c, "CREATE TABLE s (id serial PRIMARY KEY, v text)", "INSERT INTO s (v) VALUES ('a'), ('b')")
		var first int
		if err := c.QueryRow(ctx, "SELECT min(id) FROM s").Scan(&first); err != nil || first != 1 {
			t.Fatalf("round %d: first id %d, %v", round, first, err)
		}
		var cur, last int
		if err := c.QueryRow(ctx, "SELECT currval('s_id_seq'), lastval()").Scan(&cur, &last); err != nil || cur != 2 || last != 2 {
			t.Fatalf("round %d: currval %d lastval %d, %v", round, cur, last, err)
		}
		copyExec(t, c, "DROP TABLE s")
	}
	copyExec(t, c, "CREATE TABLE s (id serial, v text)", "INSERT INTO s (v) VALUES ('a'), ('b')",
		"TRUNCATE s RESTART IDENTITY", "INSERT INTO s (v) VALUES ('c')")
	var id int
	if err := c.QueryRow(ctx, "SELECT id FROM s").Scan(&id); err != nil || id != 1 {
		t.Fatalf("after RESTART IDENTITY: id %d, %v", id, err)
	}
	copyExec(t, c, "CREATE TABLE g (id int GENERATED ALWAYS AS IDENTITY, v text)")
	_, err := c.Exec(ctx, "INSERT INTO g (id, v) VALUES (5, 'x')")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "428C9" {
		t.Fatalf("explicit value into GENERATED ALWAYS: %v", err)
	}
}
