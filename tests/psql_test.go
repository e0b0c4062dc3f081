package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// psqlSchema is created on both servers before the describe commands run.
const psqlSchema = `
CREATE TABLE t (id serial PRIMARY KEY, name text NOT NULL DEFAULT 'x', v int, created timestamptz DEFAULT now());
CREATE INDEX t_v ON t (v);
CREATE UNIQUE INDEX t_name ON t (name);
CREATE TABLE accounts (code varchar(20) NOT NULL DEFAULT 'none', balance numeric(12,2), n bigint DEFAULT 0,
  active boolean DEFAULT true, UNIQUE (code));
CREATE VIEW tv AS SELECT id, name FROM t;
CREATE TABLE fkp (id int PRIMARY KEY, code text UNIQUE, qty numeric CHECK (qty > 0), CHECK (id BETWEEN 1 AND 1000));
CREATE TABLE fkc (id int PRIMARY KEY, pid int REFERENCES fkp ON DELETE CASCADE, code text, parent int REFERENCES fkc,
  CONSTRAINT fkc_code FOREIGN KEY (code) REFERENCES fkp (code) MATCH FULL ON UPDATE SET NULL, CHECK (code <> '' OR code IS NULL));
CREATE TABLE fkd (a int REFERENCES fkp DEFERRABLE INITIALLY DEFERRED, b int REFERENCES fkp DEFERRABLE, c int REFERENCES fkp INITIALLY IMMEDIATE DEFERRABLE);
`

// psqlCommands are the describe commands whose output must equal
// PostgreSQL 15's, byte for byte (both run with the same role and
// database names, so owners match too).
var psqlCommands = []string{`\dt`, `\di`, `\dn`, `\df`, `\dfS lower`, `\dfS generate_series`, `\dfa count`, `\dfw row_number`, `\l heliosdb`, `\du helios`, `\ds`, `\d t`, `\d accounts`, `\d t_id_seq`, `\dv`, `\d tv`, `\d fkp`, `\d fkc`, `\d fkd`}

// psqlOut runs one psql command against dsn and returns what it printed.
func psqlOut(t *testing.T, dsn, cmd string) string {
	t.Helper()
	c := exec.Command("psql", "-X", "-d", dsn, "-c", cmd)
	c.Env = append(os.Environ(), "PGCLIENTENCODING=UTF8", "LC_ALL=C", "PAGER=")
	out, err := c.CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%s\n(psql: %v)", out, err)
	}
	return string(out)
}

// TestPsqlDescribeMatchesPostgres runs psql's describe commands against a
// node and against PostgreSQL 15 holding the same schema and diffs the
// outputs (issue 12: they failed with `relation "pg_class" does not exist`).
func TestPsqlDescribeMatchesPostgres(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("psql is not installed (scripts/install-test-deps.sh)")
	}
	ctx := context.Background()
	pg := startPostgres(t)
	admin, err := pgx.Connect(ctx, pg.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	// The node's bootstrap role and database, so owner names match.
	mustExec(t, admin, `CREATE ROLE helios SUPERUSER CREATEROLE CREATEDB REPLICATION BYPASSRLS LOGIN PASSWORD 'helios'`)
	mustExec(t, admin, `CREATE DATABASE heliosdb OWNER helios`)
	pgDSN := strings.Replace(pg.DSN("heliosdb"), "postgres://postgres@", "postgres://helios:helios@", 1)
	pgc, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatalf("connect to PostgreSQL as helios (%s): %v", pgDSN, err)
	}
	defer pgc.Close(ctx)

	node := newNode(t)
	node.start()
	nc := node.connect(t)
	for _, c := range []*pgx.Conn{pgc, nc} {
		for _, st := range strings.Split(strings.TrimSpace(psqlSchema), ";\n") {
			mustExec(t, c, st)
		}
	}
	for _, cmd := range psqlCommands {
		want := psqlOut(t, pgDSN, cmd)
		got := psqlOut(t, node.dsn(), cmd)
		if got != want {
			t.Errorf("psql %s differs from PostgreSQL 15's\n--- PostgreSQL:\n%s\n--- ours:\n%s", cmd, want, got)
		}
	}
}

// psqlOnErrorRollback is a psql script run with ON_ERROR_ROLLBACK on: psql
// then wraps each statement of a transaction in SAVEPOINT
// pg_psql_temporary_savepoint, RELEASE on success and ROLLBACK TO on
// error, so a failed statement does not abort the transaction.
const psqlOnErrorRollback = `\set ON_ERROR_ROLLBACK on
\set VERBOSITY terse
CREATE TABLE oer (id int PRIMARY KEY, v text);
BEGIN;
INSERT INTO oer VALUES (1, 'a');
INSERT INTO oer VALUES (1, 'dup');
INSERT INTO oer VALUES (2, 'b');
SELECT 1/0;
UPDATE oer SET v = 'c' WHERE id = 2;
SELECT * FROM oer ORDER BY id;
COMMIT;
SELECT * FROM oer ORDER BY id;
BEGIN;
DELETE FROM oer;
SELECT nosuch FROM oer;
ROLLBACK;
SELECT count(*) FROM oer;
`

// TestPsqlOnErrorRollback runs psqlOnErrorRollback on a node and on
// PostgreSQL 15 and diffs psql's output (savepoints were refused with
// 0A000, so the first error aborted the transaction).
func TestPsqlOnErrorRollback(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("psql is not installed (scripts/install-test-deps.sh)")
	}
	ctx := context.Background()
	pg := startPostgres(t)
	if err := pg.CreateDatabase(ctx, "oer"); err != nil {
		t.Fatal(err)
	}
	node := newNode(t)
	node.start()
	run := func(dsn string) string {
		c := exec.Command("psql", "-X", "-a", "-d", dsn)
		c.Stdin = strings.NewReader(psqlOnErrorRollback)
		c.Env = append(os.Environ(), "PGCLIENTENCODING=UTF8", "LC_ALL=C", "PAGER=")
		out, err := c.CombinedOutput()
		if err != nil {
			return fmt.Sprintf("%s\n(psql: %v)", out, err)
		}
		return string(out)
	}
	want, got := run(pg.DSN("oer")), run(node.dsn())
	if got != want {
		t.Errorf("psql with ON_ERROR_ROLLBACK differs from PostgreSQL 15's\n--- PostgreSQL:\n%s\n--- ours:\n%s", want, got)
	}
	if !strings.Contains(want, " 2 | c") {
		t.Errorf("PostgreSQL's output lacks the row updated after the errors (script wrong?):\n%s", want)
	}
}
