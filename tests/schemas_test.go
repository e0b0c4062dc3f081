package tests

import (
	"strings"
	"testing"
	"time"
)

// Schemas are catalog entries, so CREATE/DROP SCHEMA and the tables of a
// schema travel in the WAL like any DDL: a standby reads s.t and sees
// s in pg_namespace, loses both after DROP SCHEMA … CASCADE on the
// primary, and a primary killed with SIGKILL keeps its schemas.
func TestSchemasReplicatedAndDurable(t *testing.T) {
	requirePsql(t)
	primary := newPrimary(t, "primary", "async")
	standby := newStandby(t, "standby", primary, "async")
	waitStreaming(t, primary, "standby")

	mustPsql(t, primary, "-c", "CREATE SCHEMA app")
	mustPsql(t, primary, "-c", "CREATE TABLE app.t (id serial PRIMARY KEY, v text)")
	mustPsql(t, primary, "-c", "INSERT INTO app.t (v) SELECT 'row ' || g FROM generate_series(1, 20) g")
	const q = "SELECT count(*), max(id) FROM app.t JOIN pg_namespace n ON n.nspname = 'app'"
	eventually(t, 20*time.Second, "the standby to read app.t", func() (bool, string) {
		out, err := psqlRun(standby, "-At", "-c", q)
		return err == nil && strings.TrimSpace(out) == "20|20", out
	})

	mustPsql(t, primary, "-c", "CREATE SCHEMA other")
	primary.kill()
	primary.start()
	if out := mustPsql(t, primary, "-At", "-c", "SELECT nspname FROM pg_namespace WHERE nspname IN ('app', 'other') ORDER BY 1"); strings.TrimSpace(out) != "app\nother" {
		t.Fatalf("after kill -9 and recovery the schemas are %q", out)
	}
	waitStreaming(t, primary, "standby")
	mustPsql(t, primary, "-c", "DROP SCHEMA app CASCADE")
	eventually(t, 20*time.Second, "the standby to see the schema dropped", func() (bool, string) {
		out, err := psqlRun(standby, "-At", "-c", "SELECT count(*) FROM app.t")
		return err != nil && strings.Contains(out, `relation "app.t" does not exist`), out
	})
}
