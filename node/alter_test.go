package node_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heliosdb/nano/internal/clustertest"
)

// Regression test for #12 point 3: ALTER TABLE rewrites reach the standbys
// through the WAL (schema and rows), and a standby refuses ALTER with
// 25006. pgbench -i's "alter table ... add primary key" failed with 0A000.
func TestAlterTableAddPrimaryKeyThenColumn(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{})
	p := c.Primary
	conn := p.Conn()
	ctx := context.Background()
	copyExec(t, conn, "CREATE TABLE acc (aid int NOT NULL, bal int, filler char(10))")
	data := make([]byte, 0, 64<<10)
	for i := 1; i <= 5000; i++ {
		data = append(data, []byte(strconv.Itoa(i)+"\t0\t\\N\n")...)
	}
	if _, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(data), "COPY acc FROM STDIN"); err != nil {
		t.Fatal(err)
	}
	copyExec(t, conn, "ALTER TABLE acc ADD PRIMARY KEY (aid)",
		"ALTER TABLE acc ADD COLUMN note text NOT NULL DEFAULT 'n'",
		"ALTER TABLE acc ALTER COLUMN bal TYPE bigint",
		"ALTER TABLE acc RENAME COLUMN filler TO pad")
	_, err := conn.Exec(ctx, "INSERT INTO acc (aid, bal) VALUES (7, 1)")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" || pe.ConstraintName != "acc_pkey" {
		t.Fatalf("duplicate after ADD PRIMARY KEY: %v", err)
	}
	c.WaitCaughtUp()
	c.SameTables("acc")
	sc := c.Async.Conn()
	var note, typ string
	if err := sc.QueryRow(ctx, "SELECT note, pg_typeof(bal)::text FROM acc WHERE aid = 4999").Scan(&note, &typ); err != nil || note != "n" || typ != "bigint" {
		t.Fatalf("standby after ALTER: %q %q %v", note, typ, err)
	}
	_, err = sc.Exec(ctx, "ALTER TABLE acc DROP COLUMN note")
	if !errors.As(err, &pe) || pe.Code != "25006" {
		t.Fatalf("ALTER on a standby: %v", err)
	}
}
