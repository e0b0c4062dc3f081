package tests

import (
	"context"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestArraysPgx sends and reads arrays with pgx in its default extended
// protocol (binary arrays both ways: []int64 is sent as int8[], int[] and
// text[] results decoded from array_send's format) and over the simple
// protocol (the text form), including = ANY($1) with a []int64.
func TestArraysPgx(t *testing.T) {
	node := newNode(t)
	node.start()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, node.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	mustExec(t, c, `CREATE TABLE pa (id bigint PRIMARY KEY, tags text[], nums int[])`)
	if _, err := c.Exec(ctx, `INSERT INTO pa VALUES ($1, $2, $3), ($4, $5, $6)`,
		int64(1), []string{"a", "b c", `"q"`}, []int32{1, 2}, int64(2), []string{}, []int32{7}); err != nil {
		t.Fatal(err)
	}
	mustExec(t, c, `INSERT INTO pa VALUES (3, '{x,NULL}', '{{1,2},{3,4}}')`)
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		rows, err := c.Query(ctx, `SELECT id FROM pa WHERE id = ANY($1) ORDER BY id`, mode, []int64{1, 3, 9})
		if err != nil {
			t.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil || !reflect.DeepEqual(ids, []int64{1, 3}) {
			t.Fatalf("mode %v: = ANY($1) gave %v, %v; want [1 3]", mode, ids, err)
		}
		var tags []string
		var nums []int32
		if err := c.QueryRow(ctx, `SELECT tags, nums FROM pa WHERE id = 1`, mode).Scan(&tags, &nums); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(tags, []string{"a", "b c", `"q"`}) || !reflect.DeepEqual(nums, []int32{1, 2}) {
			t.Fatalf("mode %v: read %q %v", mode, tags, nums)
		}
		var withNull []*string
		var grid [][]int32
		if err := c.QueryRow(ctx, `SELECT tags, nums FROM pa WHERE id = 3`, mode).Scan(&withNull, &grid); err != nil {
			t.Fatal(err)
		}
		if len(withNull) != 2 || *withNull[0] != "x" || withNull[1] != nil || !reflect.DeepEqual(grid, [][]int32{{1, 2}, {3, 4}}) {
			t.Fatalf("mode %v: read %v %v", mode, withNull, grid)
		}
		var agg []int64
		if err := c.QueryRow(ctx, `SELECT array_agg(id ORDER BY id DESC) FROM pa`, mode).Scan(&agg); err != nil || !reflect.DeepEqual(agg, []int64{3, 2, 1}) {
			t.Fatalf("mode %v: array_agg %v %v", mode, agg, err)
		}
	}
}

// TestArraysPsycopg2MatchesPostgres runs testdata/clients/psycopg2_arrays.py
// against a node and PostgreSQL 15 and diffs what psycopg2 decoded.
func TestArraysPsycopg2MatchesPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import psycopg2").Run(); err != nil {
		t.Fatalf("python3-psycopg2 is needed (scripts/install-test-deps.sh): %v", err)
	}
	pgDSN, nodeDSN := clientDSNs(t)
	run := func(dsn string) string {
		c := exec.Command("/usr/bin/python3", "../testdata/clients/psycopg2_arrays.py", strings.TrimSuffix(dsn, "?sslmode=disable"))
		c.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
		out, err := c.CombinedOutput()
		if err != nil {
			return string(out) + "\n(python3: " + err.Error() + ")"
		}
		return string(out)
	}
	want, got := run(pgDSN), run(nodeDSN)
	if got != want {
		t.Errorf("psycopg2 saw something else than on PostgreSQL 15\n--- PostgreSQL:\n%s\n--- ours:\n%s", want, got)
	}
}
