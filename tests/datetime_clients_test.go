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

// TestTimePgx reads and writes time without time zone (OID 1083) with pgx:
// the binary result (microseconds since midnight) and the simple
// protocol's text form decode to the same pgtype.Time, a binary parameter
// is stored and compared, and RowDescription names the type.
func TestTimePgx(t *testing.T) {
	node := newNode(t)
	node.start()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := node.connect(t)
	mustExec(t, c, `CREATE TABLE ptime (id int PRIMARY KEY, t time)`)
	in := pgtype.Time{Microseconds: (22*3600+30*60+15)*1e6 + 250000, Valid: true}
	if _, err := c.Exec(ctx, `INSERT INTO ptime VALUES (1, $1), (2, '24:00')`, in); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		rows, err := c.Query(ctx, `SELECT t, t + interval '2 hours' FROM ptime ORDER BY id`, mode)
		if err != nil {
			t.Fatalf("mode %v: %v", mode, err)
		}
		if oid := rows.FieldDescriptions()[0].DataTypeOID; oid != 1083 {
			t.Fatalf("mode %v: column type OID %d, want 1083", mode, oid)
		}
		var got []int64
		for rows.Next() {
			var a, b pgtype.Time
			if err := rows.Scan(&a, &b); err != nil {
				t.Fatalf("mode %v: %v", mode, err)
			}
			got = append(got, a.Microseconds, b.Microseconds)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("mode %v: %v", mode, err)
		}
		want := []int64{in.Microseconds, (30*60+15)*1e6 + 250000, 24 * 3600 * 1e6, 2 * 3600 * 1e6}
		if len(got) != len(want) {
			t.Fatalf("mode %v: read %v, want %v", mode, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("mode %v: read %v, want %v", mode, got, want)
			}
		}
	}
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM ptime WHERE t = $1`, in).Scan(&n); err != nil || n != 1 {
		t.Fatalf("time parameter comparison: %d %v", n, err)
	}
}
