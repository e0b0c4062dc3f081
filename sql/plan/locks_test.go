package plan_test

import (
	"fmt"
	"testing"

	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/plan"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

func stmt(t *testing.T, sql string) *pg_query.Node {
	t.Helper()
	sts, err := parser.Parse(sql)
	if err != nil || len(sts) != 1 {
		t.Fatalf("parse %q: %v (%d statements)", sql, err, len(sts))
	}
	return sts[0].Node
}

func TestTargetLocks(t *testing.T) {
	ae := lock.AccessExclusive
	for _, tc := range []struct {
		sql  string
		want []plan.TargetLock
	}{
		{"SELECT * FROM t", nil},
		{"INSERT INTO t VALUES (1)", []plan.TargetLock{{Name: "t", Mode: lock.RowExclusive}}},
		{"UPDATE t SET a = 1", []plan.TargetLock{{Name: "t", Mode: lock.RowExclusive}}},
		{"DELETE FROM s.t", []plan.TargetLock{{Name: "t", Mode: lock.RowExclusive}}},
		{"MERGE INTO t USING u ON t.a = u.a WHEN MATCHED THEN DELETE", []plan.TargetLock{{Name: "t", Mode: lock.RowExclusive}}},
		{"TRUNCATE a, b", []plan.TargetLock{{Name: "a", Mode: ae}, {Name: "b", Mode: ae}}},
		{"CREATE INDEX i ON t (a)", []plan.TargetLock{{Name: "t", Mode: lock.Share}}},
		{"ALTER TABLE t ADD COLUMN b int", []plan.TargetLock{{Name: "t", Mode: ae}}},
		{"ALTER TABLE t RENAME TO u", []plan.TargetLock{{Name: "t", Mode: ae}}},
		{"ALTER INDEX i RENAME TO j", []plan.TargetLock{{Name: "i", Index: true, Mode: ae}}},
		{"DROP TABLE a, s.B", []plan.TargetLock{{Name: "a", Mode: ae}, {Name: "b", Mode: ae}}},
		{"DROP INDEX i", []plan.TargetLock{{Name: "i", Index: true, Mode: ae}}},
		{"DROP VIEW v", nil},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			got := plan.TargetLocks(stmt(t, tc.sql))
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("TargetLocks = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStatementClass(t *testing.T) {
	for _, tc := range []struct {
		sql          string
		dml, catalog bool
	}{
		{"SELECT 1", true, false},
		{"WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", true, false},
		{"SELECT 1 INTO t2", false, true},
		{"INSERT INTO t VALUES (1)", true, false},
		{"UPDATE t SET a = 1", true, false},
		{"DELETE FROM t", true, false},
		{"MERGE INTO t USING u ON t.a = u.a WHEN MATCHED THEN DELETE", true, false},
		{"LOCK TABLE t", false, false},
		{"CREATE TABLE t (a int)", false, true},
		{"TRUNCATE t", false, true},
	} {
		n := stmt(t, tc.sql)
		if got := plan.IsDML(n); got != tc.dml {
			t.Errorf("IsDML(%s) = %v", tc.sql, got)
		}
		if got := plan.MayWriteCatalog(n); got != tc.catalog {
			t.Errorf("MayWriteCatalog(%s) = %v", tc.sql, got)
		}
	}
}

func TestLockTableOf(t *testing.T) {
	lt, err := plan.LockTableOf(stmt(t, "LOCK TABLE a, s.b IN SHARE ROW EXCLUSIVE MODE NOWAIT").GetLockStmt())
	if err != nil || lt.Mode != lock.ShareRowExclusive || !lt.NoWait || len(lt.Tables) != 2 || lt.Tables[0].Name != "a" || lt.Tables[1].Name != "b" || lt.Tables[1].Location != 14 {
		t.Fatalf("LockTableOf = %+v, %v", lt, err)
	}
	lt, err = plan.LockTableOf(stmt(t, "LOCK t").GetLockStmt())
	if err != nil || lt.Mode != lock.AccessExclusive || lt.NoWait || len(lt.Tables) != 1 {
		t.Fatalf("LOCK t (default ACCESS EXCLUSIVE) = %+v, %v", lt, err)
	}
}
