package plan_test

import (
	"reflect"
	"testing"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/plan"
)

func TestTargetPrivilegesOf(t *testing.T) {
	const (
		sel, ins, upd, del = catalog.PrivSelect, catalog.PrivInsert, catalog.PrivUpdate, catalog.PrivDelete
		own                = plan.PrivOwner
	)
	cases := []struct {
		sql       string
		want      []plan.PrivNeed
		hasTarget bool
	}{
		{`SELECT * FROM t`, nil, false},
		{`INSERT INTO t VALUES (1)`, []plan.PrivNeed{{Rel: "t", Priv: ins}}, true},
		{`INSERT INTO t VALUES (1) RETURNING a`, []plan.PrivNeed{{Rel: "t", Priv: ins | sel}}, true},
		{`INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 1`, []plan.PrivNeed{{Rel: "t", Priv: ins | upd}}, true},
		{`INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = excluded.b`, []plan.PrivNeed{{Rel: "t", Priv: ins | upd | sel}}, true},
		{`INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING`, []plan.PrivNeed{{Rel: "t", Priv: ins}}, true},
		{`UPDATE t SET a = 1`, []plan.PrivNeed{{Rel: "t", Priv: upd}}, true},
		{`UPDATE t SET a = a + 1`, []plan.PrivNeed{{Rel: "t", Priv: upd | sel}}, true},
		{`UPDATE t SET a = 1 WHERE b = 2`, []plan.PrivNeed{{Rel: "t", Priv: upd | sel}}, true},
		{`DELETE FROM t`, []plan.PrivNeed{{Rel: "t", Priv: del}}, true},
		{`DELETE FROM t RETURNING *`, []plan.PrivNeed{{Rel: "t", Priv: del | sel}}, true},
		{`MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT VALUES (s.a)`,
			[]plan.PrivNeed{{Rel: "t", Priv: sel | del | ins}}, true},
		{`TRUNCATE t, u`, []plan.PrivNeed{{Rel: "t", Priv: catalog.PrivTruncate}, {Rel: "u", Priv: catalog.PrivTruncate}}, false},
		{`CREATE TABLE n (a int)`, []plan.PrivNeed{{Priv: plan.PrivCreateSchema}}, false},
		{`CREATE TABLE n AS SELECT 1`, []plan.PrivNeed{{Priv: plan.PrivCreateSchema}}, false},
		{`CREATE INDEX i ON t (a)`, []plan.PrivNeed{{Rel: "t", Priv: own}}, false},
		{`ALTER INDEX i RENAME TO j`, []plan.PrivNeed{{Rel: "i", Index: true, Priv: own}}, false},
		{`ALTER TABLE t RENAME TO u`, []plan.PrivNeed{{Rel: "t", Priv: own}}, false},
		{`ALTER TABLE t ADD COLUMN b int`, []plan.PrivNeed{{Rel: "t", Priv: own}}, false},
		{`DROP TABLE t, public.u`, []plan.PrivNeed{{Rel: "t", Priv: own}, {Rel: "u", Priv: own}}, false},
		{`DROP INDEX i`, []plan.PrivNeed{{Rel: "i", Index: true, Priv: own}}, false},
		{`DROP VIEW v`, nil, false},
	}
	for _, c := range cases {
		n := stmt(t, c.sql)
		tp := plan.TargetPrivilegesOf(n)
		if !reflect.DeepEqual(tp.Needs, c.want) || tp.HasTarget != c.hasTarget {
			t.Errorf("%s: got %+v (target %v), want %+v (target %v)", c.sql, tp.Needs, tp.HasTarget, c.want, c.hasTarget)
		}
	}
	// The target is the statement's own RangeVar, not another of its name.
	n := stmt(t, `UPDATE t SET a = 1 FROM t AS o`)
	tp := plan.TargetPrivilegesOf(n)
	if !tp.Target.Is(n.GetUpdateStmt().Relation) || tp.Target.Is(n.GetUpdateStmt().FromClause[0].GetRangeVar()) {
		t.Errorf("UPDATE t … FROM t: the target is not the updated relation alone")
	}
	if (plan.DMLTarget{}).Is(n.GetUpdateStmt().Relation) {
		t.Errorf("the zero DMLTarget is a target")
	}
}
