package tests

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// TestInfinityPgx reads and writes infinite date/timestamp/timestamptz values
// with pgx: binary results (int32/int64 max and min on the wire, as
// PostgreSQL sends them) decode to InfinityModifier values, binary
// parameters are stored and read back, and the simple protocol's text form
// decodes the same way.
func TestInfinityPgx(t *testing.T) {
	node := newNode(t)
	node.start()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, node.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	mustExec(t, c, `CREATE TABLE pinf (id int PRIMARY KEY, d date, ts timestamp, tz timestamptz)`)
	if _, err := c.Exec(ctx, `INSERT INTO pinf VALUES (1, $1, $2, $3)`,
		pgtype.Date{InfinityModifier: pgtype.NegativeInfinity, Valid: true},
		pgtype.Timestamp{InfinityModifier: pgtype.Infinity, Valid: true},
		pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		var tz pgtype.Timestamptz
		var d pgtype.Date
		var ts pgtype.Timestamp
		if err := c.QueryRow(ctx, `SELECT 'infinity'::timestamptz, '-infinity'::date, ' Infinity '::timestamp`, mode).Scan(&tz, &d, &ts); err != nil {
			t.Fatalf("mode %v: %v", mode, err)
		}
		if !tz.Valid || tz.InfinityModifier != pgtype.Infinity || d.InfinityModifier != pgtype.NegativeInfinity || ts.InfinityModifier != pgtype.Infinity {
			t.Fatalf("mode %v: read %+v %+v %+v", mode, tz, d, ts)
		}
		if err := c.QueryRow(ctx, `SELECT d, ts, tz FROM pinf WHERE id = 1`, mode).Scan(&d, &ts, &tz); err != nil {
			t.Fatalf("mode %v: %v", mode, err)
		}
		if d.InfinityModifier != pgtype.NegativeInfinity || ts.InfinityModifier != pgtype.Infinity || tz.InfinityModifier != pgtype.NegativeInfinity {
			t.Fatalf("mode %v: stored %+v %+v %+v", mode, d, ts, tz)
		}
	}
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM pinf WHERE ts = 'infinity' AND tz < '4000-01-01' AND d = '-infinity'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("infinity comparisons: %d %v", n, err)
	}
}
