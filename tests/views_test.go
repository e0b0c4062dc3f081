package tests

import (
	"strings"
	"testing"
	"time"
)

// Views live in the catalog, so their DDL travels in the WAL like a
// table's: a standby answers through a view created on the primary, stops
// answering once it is dropped there, and a primary killed with SIGKILL
// still has its views after recovery.
func TestViewsReplicatedAndDurable(t *testing.T) {
	requirePsql(t)
	primary := newPrimary(t, "primary", "async")
	standby := newStandby(t, "standby", primary, "async")
	waitStreaming(t, primary, "standby")

	mustPsql(t, primary, "-c", "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")
	mustPsql(t, primary, "-c", "INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 50) g")
	mustPsql(t, primary, "-c", "CREATE VIEW evens (n, label) AS SELECT id, v FROM t WHERE id % 2 = 0")
	mustPsql(t, primary, "-c", "CREATE VIEW big_evens AS SELECT n FROM evens WHERE n > 40")
	const q = "SELECT count(*), max(label) FROM evens WHERE n IN (SELECT n FROM big_evens)"
	const want = "5|row 50"
	eventually(t, 20*time.Second, "the standby to answer through the views", func() (bool, string) {
		out, err := psqlRun(standby, "-At", "-c", q)
		return err == nil && strings.TrimSpace(out) == want, out
	})

	mustPsql(t, primary, "-c", "DROP VIEW big_evens")
	eventually(t, 20*time.Second, "the standby to see the view dropped", func() (bool, string) {
		out, err := psqlRun(standby, "-At", "-c", "SELECT count(*) FROM big_evens")
		return err != nil && strings.Contains(out, `relation "big_evens" does not exist`), out
	})
	if out, err := psqlRun(standby, "-At", "-c", "SELECT count(*) FROM evens"); err != nil || strings.TrimSpace(out) != "25" {
		t.Fatalf("the view left on the standby: %q, %v", out, err)
	}

	primary.kill()
	primary.start()
	if out := mustPsql(t, primary, "-At", "-c", "SELECT n, label FROM evens ORDER BY n DESC LIMIT 1"); strings.TrimSpace(out) != "50|row 50" {
		t.Fatalf("after kill -9 and recovery the view answers %q", out)
	}
	if out, err := psqlRun(primary, "-At", "-c", "DROP TABLE t"); err == nil || !strings.Contains(out, "2BP01") && !strings.Contains(out, "other objects depend on it") {
		t.Fatalf("DROP TABLE under a recovered view: %q, %v", out, err)
	}
}
