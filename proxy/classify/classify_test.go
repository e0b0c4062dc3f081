package classify_test

import (
	"slices"
	"testing"

	"github.com/heliosdb/nano/proxy/classify"
)

func TestClassify(t *testing.T) {
	R, W, A := classify.Read, classify.Write, classify.Any
	cases := []struct {
		sql    string
		kind   classify.Kind
		reason string
	}{
		// The tutorial's is_write_query table (Part 3).
		{"INSERT INTO users (name) VALUES ('Alice')", W, "dml"},
		{"UPDATE users SET active = true", W, "dml"},
		{"DELETE FROM users WHERE id = 5", W, "dml"},
		{"CREATE TABLE t (id int)", W, "ddl"},
		{"DROP TABLE t", W, "ddl"},
		{"ALTER TABLE t ADD COLUMN x int", W, "ddl"},
		{"TRUNCATE t", W, "ddl"},
		{"BEGIN", W, "begin"},
		{"START TRANSACTION ISOLATION LEVEL SERIALIZABLE", W, "begin"},
		{"COMMIT", A, "transaction-control"},
		{"ROLLBACK", A, "transaction-control"},
		{"SELECT * FROM users", R, "select"},
		{"SHOW transaction_read_only", R, "show"},
		{"SHOW TOPOLOGY", R, "show"},
		{"EXPLAIN SELECT 1", R, "explain"},
		// DESIGN.md section 6 refinements.
		{"MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", W, "dml"},
		{"SELECT * FROM t FOR UPDATE", W, "locking"},
		{"SELECT * FROM t FOR SHARE", W, "locking"},
		{"SELECT * INTO t2 FROM t", W, "select-into"},
		{"WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", W, "data-modifying-cte"},
		{"WITH x AS (SELECT 1) SELECT * FROM x", R, "select"},
		{"SELECT nextval('s')", W, "volatile-function"},
		{"SELECT pg_catalog.setval('s', 3)", W, "volatile-function"},
		{"SELECT (SELECT pg_advisory_lock(1))", W, "volatile-function"},
		{"SELECT now(), lower('X')", R, "select"},
		{"SELECT role, term, applied_lsn FROM helios_replication_status", R, "select"},
		{"VALUES (1)", R, "select"},
		{"EXPLAIN ANALYZE DELETE FROM t", W, "dml"},
		{"EXPLAIN (ANALYZE) SELECT 1", R, "explain"},
		{"EXPLAIN DELETE FROM t", R, "explain"},
		{"COPY t FROM STDIN", W, "copy-from"},
		{"COPY t TO STDOUT", R, "copy-to"},
		{"COPY (SELECT 1) TO STDOUT", R, "copy-to"},
		{"COPY (DELETE FROM t RETURNING *) TO STDOUT", W, "dml"},
		{"LOCK TABLE t", W, "utility"},
		{"BEGIN READ ONLY", R, "begin-read-only"},
		{"START TRANSACTION READ ONLY", R, "begin-read-only"},
		{"BEGIN READ WRITE", W, "begin"},
		{"SAVEPOINT a", A, "transaction-control"},
		{"SET search_path = public", A, "set"},
		{"SET LOCAL statement_timeout = 0", A, "set-local"},
		{"SET TRANSACTION READ ONLY", A, "set-local"},
		{"RESET ALL", A, "set"},
		{"DISCARD ALL", A, "discard"},
		{"DEALLOCATE ALL", A, "deallocate"},
		{"CREATE TEMP TABLE tt (x int)", W, "temp-object"},
		{"DECLARE c CURSOR FOR SELECT 1", W, "cursor"},
		{"PREPARE p AS SELECT 1", W, "sql-prepare"},
		{"LISTEN ch", W, "listen-notify"},
		{"VACUUM", W, "utility"},
		{"", A, "empty"},
		{" ; ", A, "empty"},
		{"SELEKT 1", A, "unparsed"},
		// Several statements: the strongest kind wins.
		{"SELECT 1; INSERT INTO t VALUES (1)", W, "dml"},
		{"SET x = 1; SELECT 1", R, "select"},
		{"BEGIN READ ONLY; SELECT 1; COMMIT", R, "begin-read-only"},
	}
	c := classify.New()
	for _, tc := range cases {
		t.Run(tc.sql, func(t *testing.T) {
			for range 2 { // second round from the cache
				got := c.Classify(tc.sql)
				if got.Kind != tc.kind || got.Reason != tc.reason {
					t.Fatalf("Classify(%q) = %v, want %s(%s)", tc.sql, got, tc.kind, tc.reason)
				}
			}
		})
	}
}

func TestSessionState(t *testing.T) {
	got := classify.Classify("SET search_path = a; SELECT 1; SET LOCAL x = 1; RESET TimeZone")
	if want := []string{"SET search_path = a", "RESET TimeZone"}; !slices.Equal(got.Set, want) {
		t.Errorf("Set = %q, want %q", got.Set, want)
	}
	for _, q := range []string{"CREATE TEMPORARY TABLE x (a int)", "CREATE LOCAL TEMP TABLE x (a int)",
		"CREATE TABLE pg_temp.x (a int)", "CREATE TEMP TABLE x AS SELECT 1", "SELECT 1 AS a INTO TEMP x"} {
		if c := classify.Classify(q); !c.Temp || !c.Modifies() {
			t.Errorf("%s: %+v, want a temporary object", q, c)
		}
	}
	if c := classify.Classify("CREATE TABLE public.x (a int)"); c.Temp {
		t.Errorf("permanent table: %+v", c)
	}
	if c := classify.Classify("DISCARD ALL"); !c.DiscardAll {
		t.Errorf("DISCARD ALL: %+v", c)
	}
	if c := classify.Classify("DEALLOCATE p1; DEALLOCATE ALL"); !slices.Equal(c.Deallocate, []string{"p1", "*"}) {
		t.Errorf("DEALLOCATE: %+v", c)
	}
	if classify.Classify("BEGIN").Modifies() {
		t.Error("BEGIN modifies")
	}
}
