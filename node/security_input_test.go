package node_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
)

// TestInvalidTextRefused: NUL bytes and invalid UTF-8 are refused with
// PostgreSQL 15's 22021 and message on every path — simple Query, Parse,
// Bind text and binary, HTTP /query — and nothing is stored. (Messages as
// PostgreSQL 15 gives them for the same probes.)
func TestInvalidTextRefused(t *testing.T) {
	m := clustertest.NewMember(t, "primary", clustertest.Options{}, func(c *node.Config) { c.Role = node.RolePrimary })
	m.Start()
	m.Exec("CREATE TABLE t (id INT PRIMARY KEY, v TEXT, w VARCHAR(10))")
	ctx := context.Background()
	pc, err := pgconn.Connect(ctx, m.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(ctx)
	want := func(name string, err error, msg string) {
		t.Helper()
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "22021" || pe.Message != msg {
			t.Errorf("%s: %v, want 22021 %s", name, err, msg)
		}
		if _, err := pc.Exec(ctx, "SELECT 1").ReadAll(); err != nil {
			t.Fatalf("%s: session unusable afterwards: %v", name, err)
		}
	}
	const ff, nul = `invalid byte sequence for encoding "UTF8": 0xff`, `invalid byte sequence for encoding "UTF8": 0x00`
	_, err = pc.Exec(ctx, "INSERT INTO t VALUES (1, 'a\xffb')").ReadAll()
	want("simple query", err, ff)
	_, err = pc.Exec(ctx, "INSERT INTO t VALUES (1, 'a\xc3')").ReadAll()
	want("simple query, truncated", err, `invalid byte sequence for encoding "UTF8": 0xc3 0x27`)
	_, err = pc.Prepare(ctx, "s1", "INSERT INTO t VALUES (1, 'a\xffb')", nil)
	want("parse", err, ff)
	ins := "INSERT INTO t (id, v) VALUES (1, $1)"
	insW := "INSERT INTO t (id, w) VALUES (1, $1)"
	for _, tc := range []struct {
		name, sql string
		val       string
		oid       uint32
		format    int16
		msg       string
	}{
		{"bind text NUL", ins, "a\x00b", 0, 0, nul},
		{"bind text invalid", ins, "a\xffb", 0, 0, ff},
		{"bind text invalid into int", "SELECT $1::int", "1\xff", 0, 0, ff},
		{"bind binary text NUL", ins, "a\x00b", 25, 1, nul},
		{"bind binary text invalid", ins, "a\xffb", 25, 1, ff},
		{"bind binary varchar NUL", insW, "a\x00b", 1043, 1, nul},
		{"bind binary varchar invalid", insW, "a\xffb", 1043, 1, ff},
	} {
		var oids []uint32
		if tc.oid != 0 {
			oids = []uint32{tc.oid}
		}
		r := pc.ExecParams(ctx, tc.sql, [][]byte{[]byte(tc.val)}, oids, []int16{tc.format}, nil).Read()
		want(tc.name, r.Err, tc.msg)
	}
	// bytea in binary is not text: any byte goes.
	if r := pc.ExecParams(ctx, "SELECT $1::bytea", [][]byte{{0xff, 0}}, nil, []int16{1}, nil).Read(); r.Err != nil {
		t.Errorf("binary bytea: %v", r.Err)
	}

	for _, tc := range []struct{ name, body, msg string }{
		{"raw invalid UTF-8 in the body", `{"sql":"INSERT INTO t (id, v) VALUES (2, 'a` + "\xff" + `')"}`, ff},
		{"NUL in the SQL", `{"sql":"INSERT INTO t (id, v) VALUES (2, 'a\u0000b')"}`, nul},
		{"NUL in a parameter", `{"sql":"INSERT INTO t (id, v) VALUES (2, $1)","params":["a\u0000b"]}`, nul},
	} {
		code, body := do(t, m.HTTPURL(), httpProbe{"POST", "/query", tc.body}, basic("helios", "helios"))
		if code != http.StatusBadRequest || !strings.Contains(body, `"code":"22021"`) || !strings.Contains(body, strings.ReplaceAll(tc.msg, `"`, `\"`)) {
			t.Errorf("HTTP %s: %d %s", tc.name, code, body)
		}
	}
	var n int
	if err := m.Conn().QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows stored: %d %v", n, err)
	}
}

// TestHTTPMultiStatementAnswersLast: a /query body of several statements
// answers with the last statement's result, whatever shapes came before
// it. Before: the rows of an earlier statement stayed beside the last
// one's columns, and rendering them panicked (the client saw the
// connection close: the soak test's "Post …/query: EOF").
func TestHTTPMultiStatementAnswersLast(t *testing.T) {
	m := clustertest.NewMember(t, "primary", clustertest.Options{}, func(c *node.Config) { c.Role = node.RolePrimary })
	m.Start()
	for _, tc := range []struct{ sql, want string }{
		{"SELECT 1 AS a, 2 AS b; SELECT 'x' AS c", `"columns":["c"],"types":["text"],"rows":[["x"]],"command":"SELECT 1"`},
		{"SELECT 1 AS a; SET application_name = 'z'", `"columns":[],"types":[],"rows":[],"command":"SET"`},
		{"SELECT 1 AS a; CREATE TABLE m (id int); INSERT INTO m VALUES (1), (2)", `"columns":[],"types":[],"rows":[],"command":"INSERT 0 2"`},
		{"SELECT generate_series(1, 3) AS g; SELECT 4 AS h", `"columns":["h"],"types":["integer"],"rows":[[4]],"command":"SELECT 1"`},
		{"SELECT 5 AS i; SELECT FROM m", `"columns":[],"types":[],"rows":[[],[]],"command":"SELECT 2"`},
	} {
		body, _ := json.Marshal(map[string]string{"sql": tc.sql})
		code, out := do(t, m.HTTPURL(), httpProbe{"POST", "/query", string(body)}, basic("helios", "helios"))
		if code != http.StatusOK || !strings.Contains(out, tc.want) {
			t.Errorf("%s: %d %s, want %s", tc.sql, code, out, tc.want)
		}
	}
}
