package tests

import (
	"context"
	"encoding/binary"
	"testing"
)

// TestRegTypesBinaryResults: a result column of regclass, regnamespace or
// regrole is the object's name in text format and its OID in binary
// format, as PostgreSQL's output and send functions give them (a client
// asking for binary got XX000 "datum of Go type string is not a valid
// regclass").
func TestRegTypesBinaryResults(t *testing.T) {
	n := newNode(t)
	n.start()
	ctx := context.Background()
	c := n.connect(t)
	mustExec(t, c, "CREATE SCHEMA rb")
	mustExec(t, c, "CREATE TABLE rb.t (a int)")
	var oid, nsp uint32
	if err := c.QueryRow(ctx, "SELECT oid::int8, relnamespace::int8 FROM pg_class WHERE relname = 't'").Scan(&oid, &nsp); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sql  string
		oid  uint32
		text string
	}{
		{"SELECT 'rb.t'::regclass", oid, "rb.t"},
		{"SELECT relnamespace::regnamespace FROM pg_class WHERE relname = 't'", nsp, "rb"},
		{"SELECT 'pg_catalog'::regnamespace", 11, "pg_catalog"},
	} {
		for _, format := range []int16{0, 1} {
			res := c.PgConn().ExecParams(ctx, tc.sql, nil, nil, nil, []int16{format}).Read()
			if res.Err != nil || len(res.Rows) != 1 {
				t.Fatalf("%s (format %d): %v, %d rows", tc.sql, format, res.Err, len(res.Rows))
			}
			v := res.Rows[0][0]
			if format == 0 && string(v) != tc.text {
				t.Errorf("%s as text = %q, want %q", tc.sql, v, tc.text)
			}
			if format == 1 && (len(v) != 4 || binary.BigEndian.Uint32(v) != tc.oid) {
				t.Errorf("%s as binary = %x, want the OID %d in 4 bytes", tc.sql, v, tc.oid)
			}
		}
	}
}
