package tests

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// clientDSNs starts PostgreSQL 15 with the node's role and database
// (helios/heliosdb, so names match) and a node; it returns the DSN of
// each, in the postgresql://user:password@host:port/db form.
func clientDSNs(t *testing.T) (pgDSN, nodeDSN string) {
	t.Helper()
	ctx := context.Background()
	pg := startPostgres(t)
	admin, err := pgx.Connect(ctx, pg.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	mustExec(t, admin, `CREATE ROLE helios SUPERUSER CREATEROLE CREATEDB REPLICATION BYPASSRLS LOGIN PASSWORD 'helios'`)
	mustExec(t, admin, `CREATE DATABASE heliosdb OWNER helios`)
	pgDSN = strings.Replace(pg.DSN("heliosdb"), "postgres://postgres@", "postgres://helios:helios@", 1)
	node := newNode(t)
	node.start()
	return pgDSN, node.dsn()
}

// TestSQLAlchemyInspectMatchesPostgres runs SQLAlchemy's create_all and
// inspect() (Debian python3-sqlalchemy 1.4 over psycopg2) against a node
// and against PostgreSQL 15 and diffs what they saw (issue 12: the first
// connect failed on psycopg2's pg_type lookup, every inspect() on
// pg_catalog). In make compat.
func TestSQLAlchemyInspectMatchesPostgres(t *testing.T) {
	if !compatFull() {
		t.Skip("make compat (HELIOSDB_COMPAT=full)")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import sqlalchemy, psycopg2").Run(); err != nil {
		t.Fatalf("python3-sqlalchemy and python3-psycopg2 are needed (scripts/install-test-deps.sh): %v", err)
	}
	pgDSN, nodeDSN := clientDSNs(t)
	run := func(dsn string) string {
		dsn = strings.Replace(strings.TrimSuffix(dsn, "?sslmode=disable"), "postgres://", "postgresql+psycopg2://", 1)
		c := exec.Command("/usr/bin/python3", "../testdata/clients/sqlalchemy_inspect.py", dsn)
		c.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
		out, err := c.CombinedOutput()
		if err != nil {
			return string(out) + "\n(python3: " + err.Error() + ")"
		}
		return string(out)
	}
	want, got := run(pgDSN), run(nodeDSN)
	if got != want {
		t.Errorf("SQLAlchemy saw something else than on PostgreSQL 15\n--- PostgreSQL:\n%s\n--- ours:\n%s", want, got)
	}
}

// runClient runs a client program against PostgreSQL 15 and a node and
// fails when their outputs differ. dsn gets the postgres:// URL with
// helios:helios@127.0.0.1:port/heliosdb.
func runClient(t *testing.T, what string, run func(dsn string) string) {
	t.Helper()
	pgDSN, nodeDSN := clientDSNs(t)
	want, got := run(pgDSN), run(nodeDSN)
	if got != want {
		t.Errorf("%s saw something else than on PostgreSQL 15\n--- PostgreSQL:\n%s\n--- ours:\n%s", what, want, got)
	}
}

// output is a command's combined output, with its error appended.
func output(c *exec.Cmd) string {
	if c.Env == nil {
		c.Env = os.Environ()
	}
	c.Env = append(c.Env, "LC_ALL=C.UTF-8")
	out, err := c.CombinedOutput()
	if err != nil {
		return string(out) + "\n(" + c.Path + ": " + err.Error() + ")"
	}
	return string(out)
}

// TestPsycopg2NamedCursorsMatchPostgres runs psycopg2's named
// (server-side) cursors — iteration by itersize, fetchmany, scroll,
// NO SCROLL, WITH HOLD across a commit — on a node and on PostgreSQL 15
// (issue 12: DECLARE was refused). In make compat.
func TestPsycopg2NamedCursorsMatchPostgres(t *testing.T) {
	if !compatFull() {
		t.Skip("make compat (HELIOSDB_COMPAT=full)")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import psycopg2").Run(); err != nil {
		t.Fatalf("python3-psycopg2 is needed (scripts/install-test-deps.sh): %v", err)
	}
	runClient(t, "psycopg2", func(dsn string) string {
		return output(exec.Command("/usr/bin/python3", "../testdata/clients/psycopg2_cursors.py", strings.TrimSuffix(dsn, "?sslmode=disable")))
	})
}

// TestSavepointClientsMatchPostgres runs SQLAlchemy's ORM
// Session.begin_nested (failed, released and nested savepoints) and
// psycopg2 with explicit SAVEPOINT / ROLLBACK TO / RELEASE on a node and
// on PostgreSQL 15 (issues 11-13: savepoints were refused with 0A000).
// In make compat.
func TestSavepointClientsMatchPostgres(t *testing.T) {
	if !compatFull() {
		t.Skip("make compat (HELIOSDB_COMPAT=full)")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import sqlalchemy, psycopg2").Run(); err != nil {
		t.Fatalf("python3-sqlalchemy and python3-psycopg2 are needed (scripts/install-test-deps.sh): %v", err)
	}
	runClient(t, "SQLAlchemy and psycopg2", func(dsn string) string {
		dsn = strings.Replace(strings.TrimSuffix(dsn, "?sslmode=disable"), "postgres://", "postgresql://", 1)
		return output(exec.Command("/usr/bin/python3", "../testdata/clients/sqlalchemy_savepoints.py", dsn))
	})
}

// TestJDBCMatchesPostgres compiles testdata/clients/jdbc/JdbcCheck.java
// and runs it with Debian's pgjdbc on a node and on PostgreSQL 15:
// PreparedStatement batches and server-side prepares, generated keys,
// transactions, fetch-size portals, ResultSetMetaData and
// DatabaseMetaData getTables/getColumns/getPrimaryKeys/getIndexInfo/
// getSchemas (issue 12); savepoints and autosave=always (issues 11-13).
// In make compat.
func TestJDBCMatchesPostgres(t *testing.T) {
	if !compatFull() {
		t.Skip("make compat (HELIOSDB_COMPAT=full)")
	}
	const jar = "/usr/share/java/postgresql.jar"
	if _, err := os.Stat(jar); err != nil {
		t.Fatalf("libpostgresql-jdbc-java is needed (scripts/install-test-deps.sh): %v", err)
	}
	classes := t.TempDir()
	if out, err := exec.Command("javac", "-d", classes, "../testdata/clients/jdbc/JdbcCheck.java").CombinedOutput(); err != nil {
		t.Fatalf("javac (default-jdk-headless, scripts/install-test-deps.sh): %v\n%s", err, out)
	}
	runClient(t, "pgjdbc", func(dsn string) string {
		u := strings.TrimSuffix(strings.Replace(dsn, "postgres://helios:helios@", "jdbc:postgresql://", 1), "?sslmode=disable")
		return output(exec.Command("java", "-cp", jar+":"+classes, "JdbcCheck", u, "helios", "helios"))
	})
}

// TestGORMMatchesPostgres builds testdata/clients/gorm (its own module:
// gorm.io/gorm v1.31.2, gorm.io/driver/postgres v1.6.3) and runs it on a
// node and on PostgreSQL 15: AutoMigrate twice (the second finds every
// table: issue 12's HasTable answered false and the second start died
// with 42P07), Migrator introspection, CRUD, preloaded associations,
// soft delete, a rolled-back transaction, with the foreign keys of the
// relations. In make compat.
func TestGORMMatchesPostgres(t *testing.T) {
	if !compatFull() {
		t.Skip("make compat (HELIOSDB_COMPAT=full)")
	}
	bin := t.TempDir() + "/gormcheck"
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "../testdata/clients/gorm"
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the GORM client: %v\n%s", err, out)
	}
	runClient(t, "GORM", func(dsn string) string {
		return output(exec.Command(bin, dsn))
	})
}
