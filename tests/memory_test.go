package tests

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Issue 18 (5): a statement's memory is bounded. Sorts (and hash
// aggregates, DISTINCT, join inner sides) spill to temporary files past
// work_mem, values are limited to 1 GB (54000), a statement's memory to
// --statement-memory-limit (53200), and RSS goes back near its baseline
// after a big query.

// rssBytes reads a process's resident set size, failing the test when
// the process is gone. Call it from the test's goroutine.
func rssBytes(t testing.TB, pid int) int64 {
	t.Helper()
	r := vmRSS(pid)
	if r == 0 {
		t.Fatalf("read RSS of process %d: gone or no VmRSS", pid)
	}
	return r
}

// vmRSS is a process's resident set in bytes (0 if it is gone).
func vmRSS(pid int) int64 { return procStatusBytes(pid, "VmRSS:") }

// rssAnon reads a process's anonymous resident memory (heap and stacks:
// RSS without the pages of mapped files — the bbolt file is mapped, and
// its pages are page cache that grows with the database, not memory the
// node holds); 0 if it is gone.
func rssAnon(pid int) int64 { return procStatusBytes(pid, "RssAnon:") }

// procStatusBytes reads a "Name:  N kB" field of /proc/pid/status in
// bytes; 0 when the process is gone or has no such field.
func procStatusBytes(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// peakRSS samples pid's RSS every 20 ms until stop is closed and returns
// the highest value seen.
func peakRSS(pid int, stop <-chan struct{}) <-chan int64 {
	return peakOf(func() int64 { return vmRSS(pid) }, stop)
}

// peakAnon samples pid's anonymous RSS every 20 ms until stop is closed
// and returns the highest value seen.
func peakAnon(pid int, stop <-chan struct{}) <-chan int64 {
	return peakOf(func() int64 { return rssAnon(pid) }, stop)
}

// peakOf calls sample every 20 ms until stop is closed and returns the
// highest value it gave.
func peakOf(sample func() int64, stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, sample())
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// waitRSSBelow waits up to d for pid's RSS to drop to limit and returns
// the last value read.
func waitRSSBelow(t testing.TB, pid int, limit int64, d time.Duration) int64 {
	deadline := time.Now().Add(d)
	for {
		r := rssBytes(t, pid)
		if r <= limit || time.Now().After(deadline) {
			return r
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// memRows is the side of the cross join: make test uses 800 (640k sorted
// rows of ~550 bytes each: about 400 MB of RSS on a node that does not
// spill); make bench sets HELIOSDB_MEMTEST_ROWS=3000 (9M rows, several GB).
func memRows() int {
	if n, err := strconv.Atoi(os.Getenv("HELIOSDB_MEMTEST_ROWS")); err == nil && n > 1 {
		return n
	}
	return 800
}

func fillMemTable(t *testing.T, c *pgx.Conn, n int) {
	t.Helper()
	mustExec(t, c, "CREATE TABLE a (i int PRIMARY KEY, s text)")
	for lo := 0; lo < n; lo += 500 {
		var sb strings.Builder
		sb.WriteString("INSERT INTO a VALUES ")
		for i := lo; i < min(lo+500, n); i++ {
			if i > lo {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, "(%d, repeat('%c', 250))", i, 'a'+i%26)
		}
		if _, err := c.Exec(context.Background(), sb.String()); err != nil {
			t.Fatalf("fill table a: %v", err)
		}
	}
}

func TestSortOverCrossJoinSpillsWithBoundedRSS(t *testing.T) {
	n := newNode(t)
	n.start()
	pid := n.cmd.Process.Pid
	c := n.connect(t)
	ctx := context.Background()
	rows := memRows()
	fillMemTable(t, c, rows)
	mustExec(t, c, "SELECT count(*) FROM a")
	base := waitRSSBelow(t, pid, 0, 0)

	stop := make(chan struct{})
	peakc := peakRSS(pid, stop)
	var i1, i2 int64
	var l int64
	var first string
	start := time.Now()
	// Every row is new (a.s || b.s), so an unspilled sort holds all of them.
	err := c.QueryRow(ctx, fmt.Sprintf(`SELECT i, j, length(x), substr(x, 1, 1) || substr(x, 300, 1) FROM
		(SELECT a.i, b.i, a.s || b.s AS x FROM a, a b ORDER BY b.i DESC, a.i NULLS FIRST, x LIMIT 1 OFFSET %d) t(i, j, x)`,
		rows*rows-1)).Scan(&i1, &i2, &l, &first)
	close(stop)
	peak := <-peakc
	took := time.Since(start)
	if err != nil {
		t.Fatalf("sort: %v", err)
	}
	// The last row of ORDER BY b.i DESC, a.i is a.i = rows-1, b.i = 0.
	wantFirst := string(rune('a'+(rows-1)%26)) + "a"
	if i1 != int64(rows-1) || i2 != 0 || l != 500 || first != wantFirst {
		t.Fatalf("last row = (%d, %d, %d, %q), want (%d, 0, 500, %q)", i1, i2, l, first, rows-1, wantFirst)
	}
	t.Logf("%d rows sorted in %v: RSS baseline %d MB, peak %d MB", rows*rows, took, base>>20, peak>>20)
	if peak > 256<<20 {
		t.Fatalf("RSS peaked at %d MB sorting %d rows (baseline %d MB): the sort did not spill", peak>>20, rows*rows, base>>20)
	}
	after := waitRSSBelow(t, pid, base+64<<20, 10*time.Second)
	if after > base+64<<20 {
		t.Fatalf("RSS is %d MB 10s after the sort, baseline %d MB", after>>20, base>>20)
	}
	var one int
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("session after the sort: %v", err)
	}
}

// expectCode runs sql on c and wants a *pgconn.PgError with code (and, if
// given, message).
func expectCode(t *testing.T, c *pgx.Conn, sql, code, msg string) {
	t.Helper()
	var v any
	err := c.QueryRow(context.Background(), sql).Scan(&v)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != code || msg != "" && pe.Message != msg {
		t.Fatalf("%s: got %v, want %s %q", sql, err, code, msg)
	}
	var one int
	if err := c.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("session after %s: %v", code, err)
	}
}

func expectHTTPCode(t *testing.T, n *nodeProc, sql, code string) {
	t.Helper()
	base := "http://127.0.0.1:" + strconv.Itoa(n.httpPort)
	body := fmt.Sprintf(`{"sql":%q}`, sql)
	resp, err := httpPost(base+"/query", body)
	if err != nil || !strings.Contains(resp, `"code":"`+code+`"`) {
		t.Fatalf("HTTP %s: %.300s %v, want %s", sql, resp, err, code)
	}
	resp, err = httpPost(base+"/query", `{"sql":"SELECT 1 AS one"}`)
	if err != nil || !strings.Contains(resp, `"rows":[[1]]`) {
		t.Fatalf("HTTP after %s: %s %v", code, resp, err)
	}
}

// Values larger than PostgreSQL's 1 GB limit fail before they are built,
// with PostgreSQL's messages; RSS goes back near the baseline afterwards.
func TestValueLimit54000(t *testing.T) {
	n := newNode(t)
	n.start()
	pid := n.cmd.Process.Pid
	c := n.connect(t)
	base := rssBytes(t, pid)
	cases := []struct{ sql, msg string }{
		{"SELECT repeat('x', 2000000000)", "requested length too large"},
		{"SELECT length(x || x) FROM (SELECT repeat('x', 540000000) AS x) t", "invalid memory alloc request size 1080000004"},
		// a DataRow reaching 1 GB (PostgreSQL: "Cannot enlarge string
		// buffer containing 600000010 bytes by 600000000 more bytes.")
		{"SELECT x AS a, x AS b FROM (SELECT repeat('x', 600000000) AS x) t", "out of memory"},
	}
	for _, tc := range cases {
		expectCode(t, c, tc.sql, "54000", tc.msg)
	}
	expectHTTPCode(t, n, cases[0].sql, "54000")
	after := waitRSSBelow(t, pid, base+64<<20, 10*time.Second)
	if after > base+64<<20 {
		t.Fatalf("RSS is %d MB after the failed 1.2 GB values, baseline %d MB", after>>20, base>>20)
	}
}

// A statement that would hold more than --statement-memory-limit fails
// with 53200 before allocating, over pgwire and HTTP; the session and the
// node go on.
func TestStatementMemoryLimit53200(t *testing.T) {
	n := newNode(t, "--statement-memory-limit", "128MB")
	n.start()
	c := n.connect(t)
	fillMemTable(t, c, 600)
	queries := []string{
		// one value bigger than what the statement may hold
		"SELECT length(repeat('x', 200000000))",
		// an INTERSECT holds its left side in memory (360k rows of 500 bytes)
		"SELECT count(*) FROM (SELECT a.s || b.s FROM a, a b INTERSECT SELECT 'x') t",
	}
	for _, q := range queries {
		expectCode(t, c, q, "53200", "out of memory")
	}
	expectHTTPCode(t, n, queries[0], "53200")
	// An HTTP result is held whole to be sent as one JSON document.
	expectHTTPCode(t, n, "SELECT a.s || b.s FROM a, a b", "53200")
	// Spilling operators are not affected: a sort of the same rows works.
	var cnt int64
	if err := c.QueryRow(context.Background(), "SELECT count(*) FROM (SELECT a.s || b.s AS x FROM a, a b ORDER BY x) t").Scan(&cnt); err != nil || cnt != 360000 {
		t.Fatalf("sort under a 128MB statement limit: %d, %v", cnt, err)
	}
}

// --memory-limit sets the node's Go soft memory limit (what GOMEMLIMIT
// sets; the Go collector's go_gc_gomemlimit_bytes shows it): an explicit
// size as given; auto a finite limit; with auto, a GOMEMLIMIT in the
// environment stays in force; unlimited none.
func TestMemoryLimitApplied(t *testing.T) {
	limitOf := func(env []string, extra ...string) float64 {
		n := newNode(t, extra...)
		n.env = env
		n.start()
		defer n.kill()
		return metricValue(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", n.httpPort), "go_gc_gomemlimit_bytes")
	}
	const none = float64(math.MaxInt64)
	if got := limitOf(nil, "--memory-limit", "300MB"); got != 300<<20 {
		t.Errorf("--memory-limit 300MB: go_gc_gomemlimit_bytes = %v", got)
	}
	if got := limitOf(nil); got <= 0 || got >= none {
		t.Errorf("default (auto): go_gc_gomemlimit_bytes = %v, want a finite limit", got)
	}
	if got := limitOf([]string{"GOMEMLIMIT=640MiB"}); got != 640<<20 {
		t.Errorf("auto with GOMEMLIMIT=640MiB: go_gc_gomemlimit_bytes = %v", got)
	}
	if got := limitOf([]string{"GOMEMLIMIT=640MiB"}, "--memory-limit", "unlimited"); got != none {
		t.Errorf("--memory-limit unlimited: go_gc_gomemlimit_bytes = %v, want none", got)
	}
}
