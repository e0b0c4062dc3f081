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
