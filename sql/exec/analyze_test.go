package exec_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/exec/exectest"
	"github.com/heliosdb/nano/sql/pgerror"
)

// EXPLAIN ANALYZE runs the query and writes each operator's actual rows
// and loops on its line, then the planning and execution times.
func TestExplainAnalyze(t *testing.T) {
	e := exectest.New(t)
	exectest.Exec(t, e, "CREATE TABLE a (id int PRIMARY KEY, g int)")
	exectest.Exec(t, e, "CREATE TABLE b (id int PRIMARY KEY, g int)")
	exectest.Exec(t, e, "INSERT INTO a SELECT i, i % 10 FROM generate_series(1, 100) i")
	exectest.Exec(t, e, "INSERT INTO b SELECT i, i % 5 FROM generate_series(1, 20) i")
	plan := func(sql string) []string {
		t.Helper()
		var out []string
		for _, r := range exectest.Query(t, e, sql) {
			out = append(out, r[0])
		}
		return out
	}

	got := plan("EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF) SELECT a.id FROM a JOIN b ON a.g = b.g WHERE a.id <= 50")
	text := strings.Join(got, "\n")
	// 50 rows of a (g 0..9, five each) meet b's g 0..4 (four each): 25 rows of a match 4 each.
	if !strings.Contains(got[0], "(actual rows=100 loops=1)") {
		t.Errorf("top operator: want 100 rows, got\n%s", text)
	}
	scans := regexp.MustCompile(`Scan (?:using \S+ )?on (a|b) .*\(actual rows=(\d+) loops=1\)`).FindAllStringSubmatch(text, -1)
	seen := map[string]string{}
	for _, m := range scans {
		seen[m[1]] = m[2]
	}
	if seen["a"] != "50" || seen["b"] != "20" {
		t.Errorf("scans: want a 50 rows and b 20, got %v in\n%s", seen, text)
	}
	if strings.Contains(text, "Planning Time") || strings.Contains(text, "actual time") {
		t.Errorf("TIMING OFF, SUMMARY OFF: want no times, got\n%s", text)
	}

	got = plan("EXPLAIN ANALYZE SELECT count(*) FROM a WHERE g = 3")
	text = strings.Join(got, "\n")
	if !regexp.MustCompile(`^Aggregate.* \(actual time=\d+\.\d{3}\.\.\d+\.\d{3} rows=1 loops=1\)$`).MatchString(got[0]) {
		t.Errorf("first line: %q", got[0])
	}
	if !regexp.MustCompile(`(?m)^Planning Time: \d+\.\d{3} ms\nExecution Time: \d+\.\d{3} ms$`).MatchString(text) {
		t.Errorf("want the planning and execution times last, got\n%s", text)
	}

	for sql, code := range map[string]pgerror.Code{
		"EXPLAIN (TIMING) SELECT 1":                   pgerror.InvalidParameterValue,
		"EXPLAIN ANALYZE INSERT INTO a VALUES (0, 0)": pgerror.FeatureNotSupported,
		"EXPLAIN (FORMAT JSON) SELECT 1":              pgerror.FeatureNotSupported,
		"EXPLAIN (ANALYZE maybe) SELECT 1":            pgerror.SyntaxError,
	} {
		_, err := exectest.Run(context.Background(), e, sql)
		if pgerror.CodeOf(err) != code {
			t.Errorf("%s: want %s, got %v", sql, code, err)
		}
	}
	// EXPLAIN ANALYZE INSERT was refused, not run.
	if n := exectest.Query(t, e, "SELECT count(*) FROM a")[0][0]; n != "100" {
		t.Errorf("a has %s rows after the refused EXPLAIN ANALYZE INSERT", n)
	}

	// UPDATE and DELETE run (as in PostgreSQL) and show what they read.
	got = plan("EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF) UPDATE a SET g = a.g + b.g FROM b WHERE a.id = b.id AND b.id <= 5")
	text = strings.Join(got, "\n")
	if got[0] != "Update on a (actual rows=0 loops=1)" || !regexp.MustCompile(`Scan .*on b .*\(actual rows=5 loops=1\)`).MatchString(text) {
		t.Errorf("EXPLAIN ANALYZE UPDATE … FROM:\n%s", text)
	}
	if n := exectest.Query(t, e, "SELECT sum(g) FROM a WHERE id <= 5")[0][0]; n != "25" { // (1..5) + (1,2,3,4,0)
		t.Errorf("after EXPLAIN ANALYZE UPDATE, sum(g) = %s, want 25", n)
	}
	got = plan("EXPLAIN (ANALYZE, TIMING OFF) DELETE FROM a x WHERE id > 90 RETURNING id")
	if got[0] != "Delete on a x (actual rows=10 loops=1)" || !strings.HasPrefix(got[len(got)-1], "Execution Time: ") {
		t.Errorf("EXPLAIN ANALYZE DELETE … RETURNING:\n%s", strings.Join(got, "\n"))
	}
	if n := exectest.Query(t, e, "SELECT count(*) FROM a")[0][0]; n != "90" {
		t.Errorf("after EXPLAIN ANALYZE DELETE, a has %s rows, want 90", n)
	}
}

// ORDER BY … LIMIT sorts in a bounded heap (PostgreSQL's "top-N heapsort"),
// which EXPLAIN ANALYZE names, as PostgreSQL does; a LIMIT far beyond the
// heap's bound, or a sort not right below the Limit, sorts everything.
func TestExplainAnalyzeTopNSort(t *testing.T) {
	e := exectest.New(t)
	exectest.Exec(t, e, "CREATE TABLE a (id int PRIMARY KEY, g int)")
	exectest.Exec(t, e, "INSERT INTO a SELECT i, (i * 37) % 1000 FROM generate_series(1, 1000) i")
	explain := func(sql string) string {
		t.Helper()
		return explainText(t, e, "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF) "+sql)
	}
	top := regexp.MustCompile(`(?m)^\s+Sort Method: top-N heapsort  Memory: \d+kB$`)
	for _, q := range []string{
		"SELECT id FROM a ORDER BY g LIMIT 3",
		"SELECT id FROM a ORDER BY g DESC LIMIT 3 OFFSET 10",
	} {
		if text := explain(q); !top.MatchString(text) || !strings.Contains(text, "Sort (actual rows=") {
			t.Errorf("%s: want a top-N sort, got\n%s", q, text)
		}
	}
	for _, q := range []string{
		"SELECT id FROM a ORDER BY g",
		"SELECT id FROM a ORDER BY g LIMIT 2000000",
		"SELECT DISTINCT ON (g) id FROM a ORDER BY g LIMIT 3",
	} {
		if text := explain(q); top.MatchString(text) {
			t.Errorf("%s: want no top-N sort, got\n%s", q, text)
		}
	}
	got := exectest.Query(t, e, "SELECT id, g FROM a ORDER BY g DESC, id LIMIT 3 OFFSET 1")
	if len(got) != 3 || got[0][1] != "998" || got[2][1] != "996" {
		t.Errorf("ORDER BY g DESC LIMIT 3 OFFSET 1: %v", got)
	}
}
