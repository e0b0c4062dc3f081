package tests

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestWriteForwardingPsql: psql on a standby started with
// --write-forwarding writes through it (autocommit, a transaction block,
// DDL) and reads its writes back at once; the same standby without the
// flag refuses with 25006 naming the primary.
func TestWriteForwardingPsql(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		t.Fatal("psql not installed: run make deps (scripts/install-test-deps.sh)")
	}
	primary := newPrimary(t, "primary", "async")
	fwd := newStandby(t, "standby-fwd", primary, "async", "--write-forwarding")
	plain := newStandby(t, "standby-plain", primary, "async")
	waitStreaming(t, primary, "standby-fwd", "standby-plain")

	mustPsql(t, fwd, "-c", "CREATE TABLE f (id INT PRIMARY KEY, v TEXT)")
	mustPsql(t, fwd, "-c", "INSERT INTO f VALUES (1, 'one')")
	mustPsql(t, fwd, "-c", "BEGIN; INSERT INTO f VALUES (2, 'two'); UPDATE f SET v = 'uno' WHERE id = 1; COMMIT;")
	out := mustPsql(t, fwd, "-A", "-t", "-c", "SELECT v FROM f ORDER BY id")
	if strings.Join(strings.Fields(out), ",") != "uno,two" {
		t.Fatalf("standby reads %q right after its forwarded writes", out)
	}
	out, err := psqlRun(fwd, "-c", "INSERT INTO f VALUES (1, 'dup')")
	if err == nil || !strings.Contains(out, "duplicate key") {
		t.Fatalf("duplicate through the standby: %v\n%s", err, out)
	}

	eventually(t, 10*time.Second, "the plain standby has the table", func() (bool, string) {
		out, err := psqlRun(plain, "-A", "-t", "-c", "SELECT count(*) FROM f")
		return err == nil && strings.TrimSpace(out) == "2", out
	})
	out, err = psqlRun(plain, "-c", "INSERT INTO f VALUES (3, 'three')")
	if err == nil || !strings.Contains(out, "read-only transaction") || !strings.Contains(out, "standby of") {
		t.Fatalf("write on a standby without --write-forwarding: %v\n%s", err, out)
	}
}

// TestWriteForwardingSavepoints: a transaction block on a standby with
// --write-forwarding uses savepoints on the primary: one set before the
// first write (set there when forwarding starts), a failed statement
// recovered by ROLLBACK TO, RELEASE, and a rollback to the first one.
func TestWriteForwardingSavepoints(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		t.Fatal("psql not installed: run make deps (scripts/install-test-deps.sh)")
	}
	primary := newPrimary(t, "primary", "async")
	fwd := newStandby(t, "standby-fwd", primary, "async", "--write-forwarding")
	waitStreaming(t, primary, "standby-fwd")
	mustPsql(t, fwd, "-c", "CREATE TABLE fs (id INT PRIMARY KEY)")
	args := []string{"-v", "ON_ERROR_STOP=0", "-A", "-t"}
	for _, sql := range []string{"BEGIN", "SAVEPOINT early", "SELECT count(*) FROM fs", "INSERT INTO fs VALUES (1)",
		"SAVEPOINT a", "INSERT INTO fs VALUES (2)", "INSERT INTO fs VALUES (1)", "SELECT 1",
		"ROLLBACK TO a", "INSERT INTO fs VALUES (3)", "SAVEPOINT b", "INSERT INTO fs VALUES (4)", "RELEASE b",
		"SELECT string_agg(id::text, ',' ORDER BY id) FROM fs", "ROLLBACK TO early", "INSERT INTO fs VALUES (5)",
		"COMMIT", "SELECT string_agg(id::text, ',' ORDER BY id) FROM fs"} {
		args = append(args, "-c", sql)
	}
	out, _ := psqlRun(fwd, args...)
	want := []string{"BEGIN", "SAVEPOINT", "0", "INSERT 0 1", "SAVEPOINT", "INSERT 0 1", "duplicate key",
		"current transaction is aborted", "ROLLBACK", "INSERT 0 1", "SAVEPOINT", "INSERT 0 1", "RELEASE",
		"1,3,4", "ROLLBACK", "INSERT 0 1", "COMMIT", "5"}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(l, "DETAIL:") {
			lines = append(lines, l)
		}
	}
	if len(lines) != len(want) {
		t.Fatalf("psql printed %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d: %q, want %q\n%s", i+1, lines[i], w, out)
		}
	}
}
