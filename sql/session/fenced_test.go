package session_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/exec/exectest"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/session"
)

// exec.Config.TableReads (a fenced primary, node/gate.go) refuses more
// than statements on tables: every function that reads or changes stored
// data asks it at each call — nextval and setval of a sequence that is not
// temporary, pg_relation_size and the other size functions — so neither a
// transaction begun before the fence nor a statement kind the session lets
// through (a SELECT of functions) reads the storage. currval and lastval
// answer from the session's memory of values it was already given, as
// PostgreSQL's do in a read-only transaction; so do temporary sequences
// (the session's own) and functions that read no data.
func TestTableReadsRefusesDataFunctions(t *testing.T) {
	var fenced atomic.Bool
	refusal := pgerror.New(pgerror.CannotConnectNow, "cannot read tables on a fenced primary")
	e := exectest.NewConfig(t, exec.Config{TableReads: func() error {
		if fenced.Load() {
			return refusal
		}
		return nil
	}})
	s := newSession(t, session.Config{Engine: e}, nil)
	mustQuery(t, s, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT); CREATE INDEX ON t (v); CREATE SEQUENCE s; CREATE TEMP SEQUENCE ts")
	mustQuery(t, s, "INSERT INTO t VALUES (1, 'a')")
	mustQuery(t, s, "BEGIN")
	if got := mustQuery(t, s, "SELECT nextval('s'), nextval('ts')").Results[0].Rows[0]; got[0] != int64(1) || got[1] != int64(1) {
		t.Fatalf("nextval before the fence = %v, want [1 1]", got)
	}
	fenced.Store(true) // the rest of the block runs fenced
	for _, q := range []string{
		"SELECT nextval('s')", // the engine holds 31 more reserved values: not handed out
		"SELECT setval('s', 100)",
		"SELECT pg_relation_size('t')",
		"SELECT pg_relation_size('t', 'main')",
		"SELECT pg_total_relation_size('t')",
		"SELECT pg_table_size('t')",
		"SELECT pg_indexes_size('t')",
		"SELECT pg_database_size(current_database())",
		"SELECT pg_size_pretty(pg_relation_size('t'))",
		"SELECT x FROM (SELECT nextval('s') AS x) q",
		"SELECT id FROM t",
	} {
		mustQuery(t, s, "SAVEPOINT p")
		if code := queryCode(t, s, q); code != pgerror.CannotConnectNow {
			t.Errorf("%s on a fenced primary: %s, want 57P03", q, code)
		}
		mustQuery(t, s, "ROLLBACK TO SAVEPOINT p")
	}
	for _, c := range []struct {
		q    string
		want any
	}{ // in this order: lastval is the last nextval of any sequence, nextval('ts') changes it
		{"SELECT currval('s')", int64(1)},
		{"SELECT lastval()", int64(1)},
		{"SELECT nextval('ts')", int64(2)},
		{"SELECT pg_size_pretty(8192::bigint)", "8192 bytes"},
	} {
		if got := mustQuery(t, s, c.q).Results[0].Rows[0][0]; got != c.want {
			t.Errorf("%s on a fenced primary = %v, want %v", c.q, got, c.want)
		}
	}
	mustQuery(t, s, "ROLLBACK")
	fenced.Store(false)
	if got := mustQuery(t, s, "SELECT nextval('s')").Results[0].Rows[0][0]; got != int64(2) {
		t.Fatalf("nextval after the fence = %v, want 2 (the refused calls advanced nothing)", got)
	}
}

// On a read-only node (a standby, a fenced primary) a query whose only
// write is a sequence function is refused in that function's name, as a
// PostgreSQL hot standby refuses it ("cannot execute nextval() in a
// read-only transaction"), with the node's hint; one that writes a table
// is refused in its command's name.
func TestReadOnlyNodeNamesSequenceFunction(t *testing.T) {
	e := exectest.New(t)
	rw := newSession(t, session.Config{Engine: e}, nil)
	mustQuery(t, rw, "CREATE TABLE t (id INT PRIMARY KEY); CREATE SEQUENCE s")
	ro := newSession(t, session.Config{Engine: e, ReadOnly: func() (bool, string) { return true, "a standby" }}, nil)
	for q, want := range map[string]string{
		"SELECT nextval('s')":                          "cannot execute nextval() in a read-only transaction",
		"SELECT x FROM (SELECT setval('s', 5) AS x) q": "cannot execute setval() in a read-only transaction",
		"EXPLAIN ANALYZE SELECT nextval('s')":          "cannot execute nextval() in a read-only transaction",
		"INSERT INTO t VALUES (nextval('s'))":          "cannot execute INSERT in a read-only transaction",
	} {
		err := ro.Query(context.Background(), q, &recorder{})
		var pe *pgerror.Error
		if !errors.As(err, &pe) || pe.Code != pgerror.ReadOnlySQLTransaction || pe.Message != want || pe.Hint != "a standby" {
			t.Errorf("%s on a read-only node: %v, want 25006 %q with the node's hint", q, err, want)
		}
	}
}
