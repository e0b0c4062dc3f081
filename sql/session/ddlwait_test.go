package session_test

import (
	"testing"

	"github.com/heliosdb/nano/sql/session"
)

// Regression test for issue 13: under READ COMMITTED a transaction whose
// first write predates a concurrent DDL commits, whether it then changes
// the catalog itself or writes into a table the DDL created or truncated
// (PostgreSQL gives no error). Both failed with 40001 at COMMIT: every
// DDL writes the catalog version, and the commit checked the catalog and
// table buckets against the transaction's first snapshot.
func TestReadCommittedAfterConcurrentDDL(t *testing.T) {
	eng := newEngine(t)
	a := newSession(t, session.Config{Engine: eng}, nil)
	b := newSession(t, session.Config{Engine: eng}, nil)
	mustQuery(t, a, "CREATE TABLE xa (a int); CREATE TABLE xb (a int); INSERT INTO xb VALUES (0)")

	mustQuery(t, a, "BEGIN; INSERT INTO xa VALUES (1)")
	mustQuery(t, b, "CREATE TABLE xe (a int)")
	mustQuery(t, a, "CREATE TABLE xd (a int)")
	mustQuery(t, a, "COMMIT")

	mustQuery(t, a, "BEGIN; INSERT INTO xa VALUES (2)")
	mustQuery(t, b, "TRUNCATE xb")
	mustQuery(t, b, "CREATE TABLE xc (a int)")
	mustQuery(t, a, "INSERT INTO xb VALUES (1); INSERT INTO xc VALUES (1)")
	mustQuery(t, a, "COMMIT")
	if got := scalar(t, a, "SELECT (SELECT count(*) FROM xa) || ' ' || (SELECT count(*) FROM xb) || ' ' || (SELECT count(*) FROM xc) || ' ' || (SELECT count(*) FROM xd)"); got != "2 1 1 0" {
		t.Fatalf("counts xa xb xc xd = %s, want 2 1 1 0", got)
	}
}
