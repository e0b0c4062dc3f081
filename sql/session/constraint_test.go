package session_test

import (
	"context"
	"errors"
	"testing"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/session"
)

// Constraint errors name the table's own schema and bare name (pgx's
// SchemaName and TableName), as PostgreSQL does; they said "public" and
// "s.t" for a table of schema s.
func TestConstraintErrorsNameTheSchema(t *testing.T) {
	s := newSession(t, session.Config{Engine: newEngine(t)}, nil)
	for _, q := range []string{
		"CREATE SCHEMA s",
		"CREATE TABLE s.p (id int PRIMARY KEY)",
		"CREATE TABLE s.t (id int PRIMARY KEY, c int CHECK (c > 0), n int NOT NULL DEFAULT 0, pid int REFERENCES s.p)",
		"CREATE TABLE s.d (pid int REFERENCES s.p DEFERRABLE INITIALLY DEFERRED)",
		"INSERT INTO s.p VALUES (1)",
		"INSERT INTO s.t VALUES (1, 1, 0, 1)",
	} {
		mustQuery(t, s, q)
	}
	cases := []struct {
		sql   string
		code  pgerror.Code
		table string
		msg   string
	}{
		{"INSERT INTO s.t VALUES (1, 1)", pgerror.UniqueViolation, "t", `duplicate key value violates unique constraint "t_pkey"`},
		{"INSERT INTO s.t VALUES (2, -1)", pgerror.CheckViolation, "t", `new row for relation "t" violates check constraint "t_c_check"`},
		{"INSERT INTO s.t VALUES (2, 1, NULL)", pgerror.NotNullViolation, "t", `null value in column "n" of relation "t" violates not-null constraint`},
		{"INSERT INTO s.t VALUES (2, 1, 0, 9)", pgerror.ForeignKeyViolation, "t", `insert or update on table "t" violates foreign key constraint "t_pid_fkey"`},
		{"DELETE FROM s.p", pgerror.ForeignKeyViolation, "t", `update or delete on table "p" violates foreign key constraint "t_pid_fkey" on table "t"`},
		{"BEGIN; INSERT INTO s.d VALUES (7); COMMIT", pgerror.ForeignKeyViolation, "d", `insert or update on table "d" violates foreign key constraint "d_pid_fkey"`},
	}
	for _, c := range cases {
		err := s.Query(context.Background(), c.sql, &recorder{})
		var pe *pgerror.Error
		if !errors.As(err, &pe) {
			t.Fatalf("%s: %v, want a pgerror", c.sql, err)
		}
		if pe.Code != c.code || pe.SchemaName != "s" || pe.TableName != c.table || pe.Message != c.msg {
			t.Errorf("%s: %s %q schema %q table %q; want %s %q schema s table %s", c.sql, pe.Code, pe.Message, pe.SchemaName, pe.TableName, c.code, c.msg, c.table)
		}
	}
	if got := scalar(t, s, "SELECT count(*) FROM s.d"); got != "0" {
		t.Fatalf("the failed COMMIT kept %s rows", got)
	}
}

// Regression test for #12 point 5: CREATE TEMP TABLE makes a table of the
// session's own (it used to be refused, and before that to create an
// ordinary table, shared by every session, replicated and kept after the
// session ended); TEMP VIEW and TEMP SEQUENCE are still refused.
func TestTempRelations(t *testing.T) {
	eng := newEngine(t)
	s := newSession(t, session.Config{Engine: eng}, nil)
	other := newSession(t, session.Config{Engine: eng}, nil)
	for _, q := range []string{
		"CREATE TEMP TABLE t1 (a int)",
		"CREATE TEMPORARY TABLE t2 (a int)",
		"CREATE LOCAL TEMP TABLE t3 (a int)",
		"CREATE TEMP TABLE t4 AS SELECT 1 AS a",
		"SELECT 1 AS a INTO TEMP t5",
		"CREATE TABLE pg_temp.t6 (a int)",
	} {
		mustQuery(t, s, q)
	}
	if got := scalar(t, s, "SELECT count(*) FROM pg_class WHERE relpersistence = 't' AND relkind = 'r'"); got != "6" {
		t.Fatalf("the session sees %s temporary tables, want 6", got)
	}
	if got := scalar(t, other, "SELECT count(*) FROM pg_class WHERE relname LIKE 't_'"); got != "0" {
		t.Fatalf("another session sees %s of them", got)
	}
	mustQuery(t, s, "CREATE TEMP VIEW tv AS SELECT 1 AS a")
	mustQuery(t, s, "CREATE TEMP SEQUENCE ts")
	if got := scalar(t, s, "SELECT count(*) FROM pg_class WHERE relpersistence = 't' AND relkind IN ('v', 'S')"); got != "2" {
		t.Fatalf("the session sees %s temporary views and sequences, want 2", got)
	}
	for _, q := range []string{"SELECT * FROM tv", "SELECT nextval('ts')"} {
		if code := queryCode(t, other, q); code != pgerror.UndefinedTable {
			t.Errorf("another session: %s: %s, want 42P01", q, code)
		}
	}
	mustQuery(t, s, "CREATE UNLOGGED TABLE ut (a int)")
}
