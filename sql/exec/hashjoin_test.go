package exec_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/exec/exectest"
)

// A hash join whose build side exceeds work_mem spills partitions to
// temporary files (and, past the first level, re-partitions them) and
// gives the rows it gives in memory; the planner picks a hash join for an
// equality between unindexed columns and an index lookup into a primary
// key.
func TestHashJoinSpillsAndPlans(t *testing.T) {
	e := exectest.New(t)
	spillData(t, e)
	plan := func(sql string) string {
		rows, _ := runWith(t, e, "EXPLAIN "+sql, mapVars{})
		return strings.Join(rows, "\n")
	}
	if p := plan("SELECT a.id FROM t a, t b WHERE a.g = b.g"); !strings.Contains(p, "Hash Join") {
		t.Errorf("equality of unindexed columns: want a hash join, got\n%s", p)
	}
	if p := plan("SELECT a.id FROM t a, u WHERE u.id = a.g AND a.id = 7"); !strings.Contains(p, "Index Scan using u_pkey") || strings.Contains(p, "Hash") {
		t.Errorf("equality on the other table's primary key: want an index lookup, got\n%s", p)
	}
	for _, sql := range []string{
		"SELECT a.id, b.id FROM t a, t b WHERE a.g = b.g AND a.v = b.v ORDER BY 1, 2",
		"SELECT a.g, count(*), count(b.v) FROM t a JOIN t b ON a.g = b.g AND a.id <> b.id GROUP BY a.g ORDER BY 1",
		"SELECT a.id, b.id FROM t a, t b WHERE a.v = b.v AND a.id % 100 = 0 ORDER BY 1, 2",
	} {
		want, wrote := runWith(t, e, sql, mapVars{"work_mem": "1GB"})
		if wrote != 0 {
			t.Errorf("%s: wrote %d temporary bytes with work_mem=1GB", sql, wrote)
		}
		got, wrote := runWith(t, e, sql, mapVars{"work_mem": "64kB"})
		if wrote == 0 {
			t.Errorf("%s: did not spill with work_mem=64kB", sql)
		}
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %d rows with 64kB, %d with 1GB; first difference:\n%s", sql, len(got), len(want), firstDiff(got, want))
		}
	}
}
