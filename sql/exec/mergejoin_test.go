package exec_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/exec/exectest"
	"github.com/heliosdb/nano/sql/parser"
)

// Two tables read in primary key order and joined on their first key
// columns merge; the rows are those of the same join planned otherwise
// (a hash join, when the key is compared through an expression), with
// duplicate keys on the inner side (a composite key), keys missing on
// either side, filters, and a transaction's own uncommitted rows.
func TestMergeJoinPlansAndMatchesHashJoin(t *testing.T) {
	e := exectest.New(t)
	exectest.Exec(t, e, "CREATE TABLE o (id int PRIMARY KEY, v int)")
	exectest.Exec(t, e, "CREATE TABLE l (oid bigint, n int, w text, PRIMARY KEY (oid, n))")
	exectest.Exec(t, e, "CREATE TABLE p (id smallint PRIMARY KEY, z int)")
	exectest.Exec(t, e, "INSERT INTO o SELECT i, i % 13 FROM generate_series(1, 3000) i WHERE i % 7 <> 0")
	exectest.Exec(t, e, "INSERT INTO l SELECT i / 3, i % 3, 'w' || i FROM generate_series(0, 9500) i WHERE i % 11 <> 0")
	exectest.Exec(t, e, "INSERT INTO p SELECT i, i FROM generate_series(-100, 3100, 2) i")
	exectest.Exec(t, e, "ANALYZE")
	for _, tc := range []struct{ merge, hash string }{
		{"SELECT o.id, o.v, l.n, l.w FROM o JOIN l ON l.oid = o.id ORDER BY 1, 3",
			"SELECT o.id, o.v, l.n, l.w FROM o JOIN (SELECT * FROM l ORDER BY w) l ON l.oid = o.id ORDER BY 1, 3"},
		{"SELECT o.id, p.z FROM o, p WHERE o.id = p.id AND o.v > 3 ORDER BY 1",
			"SELECT o.id, p.z FROM o, (SELECT * FROM p ORDER BY z) p WHERE o.id = p.id AND o.v > 3 ORDER BY 1"},
		{"SELECT count(*), sum(l.n), max(o.v) FROM o JOIN l ON o.id = l.oid AND l.n <> o.v % 3",
			"SELECT count(*), sum(l.n), max(o.v) FROM o JOIN (SELECT * FROM l ORDER BY w) l ON o.id = l.oid AND l.n <> o.v % 3"},
		{"SELECT o.id, l.w FROM o JOIN l ON l.oid = o.id WHERE o.id BETWEEN 100 AND 400 AND l.oid > 350 ORDER BY 1, 2",
			"SELECT o.id, l.w FROM o JOIN (SELECT * FROM l ORDER BY w) l ON l.oid = o.id WHERE o.id BETWEEN 100 AND 400 AND l.oid > 350 ORDER BY 1, 2"},
	} {
		if p := explainText(t, e, "EXPLAIN "+tc.merge); !strings.Contains(p, "Merge Join") || !strings.Contains(p, "Merge Cond: (") {
			t.Errorf("%s: want a merge join, got\n%s", tc.merge, p)
		}
		if p := explainText(t, e, "EXPLAIN "+tc.hash); strings.Contains(p, "Merge Join") {
			t.Errorf("%s: want no merge join, got\n%s", tc.hash, p)
		}
		got, want := exectest.Query(t, e, tc.merge), exectest.Query(t, e, tc.hash)
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %d rows, the hash join %d; first difference:\n%s", tc.merge, len(got), len(want), firstDiff(flat(got), flat(want)))
		}
	}
	// The transaction's own rows (the overlay) come in key order too.
	ctx := context.Background()
	txn, err := e.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Rollback()
	inTxn := func(sql string) [][]string {
		t.Helper()
		st, err := parser.Parse(sql)
		if err != nil {
			t.Fatal(err)
		}
		r, err := exectest.RunStmt(ctx, e, txn, st[0], nil)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return r.Rows
	}
	inTxn("INSERT INTO o VALUES (7, 70), (3500, 1)")
	inTxn("INSERT INTO l VALUES (7, 9, 'new'), (3500, 0, 'end')")
	inTxn("DELETE FROM l WHERE oid = 8")
	got := inTxn("SELECT o.id, l.w FROM o JOIN l ON l.oid = o.id WHERE o.id IN (7, 8, 3500) OR o.id > 3000 ORDER BY 1, 2")
	want := inTxn("SELECT o.id, l.w FROM o JOIN (SELECT * FROM l ORDER BY w) l ON l.oid = o.id WHERE o.id IN (7, 8, 3500) OR o.id > 3000 ORDER BY 1, 2")
	if len(want) == 0 || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(got[0], []string{"7", "new"}) {
		t.Errorf("inside a transaction: %v, the hash join %v", got, want)
	}
	txn.Rollback()
	// A key range the planner took through an index is not in key order:
	// the join is hashed instead.
	exectest.Exec(t, e, "CREATE INDEX o_v ON o (v)")
	q := "SELECT o.id, l.w FROM o JOIN l ON l.oid = o.id WHERE o.v = 5 ORDER BY 1, 2"
	if p := explainText(t, e, "EXPLAIN "+q); strings.Contains(p, "Merge Join") && strings.Contains(p, "o_v") {
		t.Errorf("a merge join over an index scan:\n%s", p)
	}
}

func flat(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join(r, "|"))
	}
	return out
}

// LEFT, RIGHT and USING joins whose condition equates columns of the two
// sides hash the inner side (they were nested loops: 3,000 × 9,000 pairs
// for a LEFT JOIN on a key); the rows are those of the nested loop the
// same join gets when its condition is not a plain column equality.
func TestOuterJoinHashesAndMatchesNestedLoop(t *testing.T) {
	e := exectest.New(t)
	exectest.Exec(t, e, "CREATE TABLE o (id int PRIMARY KEY, v int, k text)")
	exectest.Exec(t, e, "CREATE TABLE l (oid bigint, n int, w text, k text, PRIMARY KEY (oid, n))")
	exectest.Exec(t, e, "INSERT INTO o SELECT i, i % 13, CASE WHEN i % 5 = 0 THEN NULL ELSE 'k' || (i % 40) END FROM generate_series(1, 600) i WHERE i % 7 <> 0")
	exectest.Exec(t, e, "INSERT INTO l SELECT i / 3, i % 3, 'w' || i, CASE WHEN i % 4 = 0 THEN NULL ELSE 'k' || (i % 50) END FROM generate_series(0, 2000) i WHERE i % 11 <> 0")
	for _, tc := range []struct{ hash, loop, plan string }{
		{"SELECT o.id, l.n, l.w FROM o LEFT JOIN l ON l.oid = o.id ORDER BY 1, 2, 3",
			"SELECT o.id, l.n, l.w FROM o LEFT JOIN l ON l.oid = o.id + 0 ORDER BY 1, 2, 3", "Hash Left Join"},
		{"SELECT o.id, l.n, l.w FROM o LEFT JOIN l ON l.oid = o.id AND l.n > 0 AND o.v < 7 ORDER BY 1, 2, 3",
			"SELECT o.id, l.n, l.w FROM o LEFT JOIN l ON l.oid = o.id + 0 AND l.n > 0 AND o.v < 7 ORDER BY 1, 2, 3", "Hash Left Join"},
		{"SELECT o.id, l.oid, l.n FROM o RIGHT JOIN l ON o.id = l.oid ORDER BY 2, 3, 1",
			"SELECT o.id, l.oid, l.n FROM o RIGHT JOIN l ON o.id + 0 = l.oid ORDER BY 2, 3, 1", "Hash Left Join"},
		{"SELECT o.id, l.w FROM o LEFT JOIN l USING (k) ORDER BY 1, 2",
			"SELECT o.id, l.w FROM o LEFT JOIN l ON o.k = l.k || '' ORDER BY 1, 2", "Hash Left Join"},
		{"SELECT k, o.id, l.w FROM o RIGHT JOIN l USING (k) ORDER BY 1, 2, 3",
			"SELECT l.k, o.id, l.w FROM o RIGHT JOIN l ON o.k || '' = l.k ORDER BY 1, 2, 3", "Hash Left Join"},
		{"SELECT k, o.id, l.w FROM o JOIN l USING (k) WHERE o.id < 100 ORDER BY 1, 2, 3",
			"SELECT o.k, o.id, l.w FROM o JOIN l ON o.k || '' = l.k WHERE o.id < 100 ORDER BY 1, 2, 3", "Hash Join"},
		{"SELECT count(*), count(l.w) FROM o LEFT JOIN l ON l.oid = o.v",
			"SELECT count(*), count(l.w) FROM o LEFT JOIN l ON l.oid = o.v + 0", "Hash Left Join"},
		// WHERE conjuncts on the left-most table choose its key range; a
		// few left rows then look the right table up by its key.
		{"SELECT o.id, l.n, l.w FROM o LEFT JOIN l ON l.oid = o.id WHERE o.id = 36 ORDER BY 2",
			"SELECT o.id, l.n, l.w FROM o LEFT JOIN l ON l.oid = o.id + 0 WHERE o.id = 36 ORDER BY 2", "Index Cond: (id = 36)"},
		{"SELECT o.id, l.n FROM o LEFT JOIN l ON l.oid = o.id WHERE o.id IN (6, 7, 8, 599) AND o.v > 0 ORDER BY 1, 2",
			"SELECT o.id, l.n FROM o LEFT JOIN l ON l.oid = o.id + 0 WHERE o.id IN (6, 7, 8, 599) AND o.v > 0 ORDER BY 1, 2", "Nested Loop Left Join"},
		{"SELECT o.id, l.n, l2.w FROM o LEFT JOIN l ON l.oid = o.id LEFT JOIN l l2 ON l2.oid = l.oid AND l2.n = l.n WHERE o.id BETWEEN 10 AND 14 ORDER BY 1, 2",
			"SELECT o.id, l.n, l2.w FROM o LEFT JOIN l ON l.oid = o.id + 0 LEFT JOIN l l2 ON l2.oid = l.oid + 0 AND l2.n = l.n + 0 WHERE o.id BETWEEN 10 AND 14 ORDER BY 1, 2", "Index Cond: (id >= 10 AND id <= 14)"},
		{"SELECT o.id FROM o LEFT JOIN l ON l.oid = o.id AND l.n = 2 WHERE l.oid IS NULL AND o.id < 100 ORDER BY 1",
			"SELECT o.id FROM o LEFT JOIN l ON l.oid = o.id + 0 AND l.n = 2 WHERE l.oid IS NULL AND o.id < 100 ORDER BY 1", "Left Join"},
		{"SELECT o.id, l.n FROM o LEFT JOIN l ON l.oid = o.id WHERE o.id = (SELECT min(oid) + 1 FROM l) ORDER BY 2",
			"SELECT o.id, l.n FROM o LEFT JOIN l ON l.oid = o.id + 0 WHERE o.id = (SELECT min(oid) + 1 FROM l) ORDER BY 2", "Hash Left Join"},
		{"SELECT o.id, l.w, o2.v FROM o JOIN l USING (k) LEFT JOIN o o2 ON o2.id = l.oid WHERE o.id = 12 ORDER BY 1, 2, 3",
			"SELECT o.id, l.w, o2.v FROM o JOIN l ON o.k || '' = l.k LEFT JOIN o o2 ON o2.id = l.oid + 0 WHERE o.id = 12 ORDER BY 1, 2, 3", "Index Cond: (id = 12)"},
	} {
		if p := explainText(t, e, "EXPLAIN "+tc.hash); !strings.Contains(p, tc.plan) {
			t.Errorf("%s: want a %s, got\n%s", tc.hash, tc.plan, p)
		}
		if p := explainText(t, e, "EXPLAIN "+tc.loop); strings.Contains(p, "Hash") {
			t.Errorf("%s: want a nested loop, got\n%s", tc.loop, p)
		}
		got, want := exectest.Query(t, e, tc.hash), exectest.Query(t, e, tc.loop)
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %d rows, the nested loop %d; first difference:\n%s", tc.hash, len(got), len(want), firstDiff(flat(got), flat(want)))
		}
	}
	// Spilled partitions keep the outer rows: the same rows with 64kB of work_mem.
	q := "SELECT o.id, o.k, l.w FROM o LEFT JOIN l USING (k) ORDER BY 1, 2, 3"
	want, _ := runWith(t, e, q, mapVars{"work_mem": "1GB"})
	got, wrote := runWith(t, e, q, mapVars{"work_mem": "64kB"})
	if wrote == 0 {
		t.Errorf("%s: did not spill with work_mem=64kB", q)
	}
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("%s: %d rows with 64kB, %d with 1GB; first difference:\n%s", q, len(got), len(want), firstDiff(got, want))
	}
}

// explainText runs an EXPLAIN statement and returns its lines as one text.
func explainText(t *testing.T, e *exec.Engine, sql string) string {
	t.Helper()
	var out []string
	for _, r := range exectest.Query(t, e, sql) {
		out = append(out, r[0])
	}
	return strings.Join(out, "\n")
}
