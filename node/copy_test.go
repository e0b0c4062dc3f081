package node_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
)

// Regression tests for #12 point 6: COPY FROM STDIN / TO STDOUT with the
// clients that use it (pgx CopyFrom sends binary COPY; pgconn's CopyFrom
// and CopyTo carry text and CSV as psql's \copy and psycopg2 do).

func copyNode(t *testing.T) (*clustertest.Member, *pgx.Conn) {
	t.Helper()
	m := clustertest.NewMember(t, "primary", clustertest.Options{}, func(cfg *node.Config) {
		cfg.Role, cfg.ReplicationMode = node.RolePrimary, node.ModeAsync
	})
	m.Start()
	return m, m.Conn()
}

func TestCopyFromPgxBinary(t *testing.T) {
	_, c := copyNode(t)
	ctx := context.Background()
	copyExec(t, c, "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), at timestamptz, ok bool, f float8)")
	const n = 100000
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	rows := pgx.CopyFromSlice(n, func(i int) ([]any, error) {
		var name any = fmt.Sprintf("item %d", i)
		if i%10 == 0 {
			name = nil
		}
		return []any{i, name, fmt.Sprintf("%d.25", i%1000), at.Add(time.Duration(i) * time.Second), i%2 == 0, float64(i) / 4}, nil
	})
	got, err := c.CopyFrom(ctx, pgx.Identifier{"items"}, []string{"id", "name", "price", "at", "ok", "f"}, rows)
	if err != nil {
		t.Fatalf("CopyFrom: %v", err)
	}
	if got != n {
		t.Fatalf("CopyFrom copied %d rows, want %d", got, n)
	}
	var count, nulls int
	var sum float64
	if err := c.QueryRow(ctx, "SELECT count(*), count(*) - count(name), sum(f) FROM items").Scan(&count, &nulls, &sum); err != nil {
		t.Fatal(err)
	}
	if count != n || nulls != n/10 || sum != float64(n-1)*n/8 {
		t.Fatalf("count=%d nulls=%d sum=%v", count, nulls, sum)
	}
	var name string
	var price string
	var ts time.Time
	if err := c.QueryRow(ctx, "SELECT name, price::text, at FROM items WHERE id = 1234").Scan(&name, &price, &ts); err != nil {
		t.Fatal(err)
	}
	if name != "item 1234" || price != "234.25" || !ts.Equal(at.Add(1234*time.Second)) {
		t.Fatalf("row 1234 = %q %q %v", name, price, ts)
	}
}

func TestCopyTextAndCSVRoundTrip(t *testing.T) {
	_, c := copyNode(t)
	ctx := context.Background()
	copyExec(t, c, "CREATE TABLE t (a int PRIMARY KEY, b text, c float8)")
	in := "1\thello\t1.5\n2\t\\N\t2\n3\ttab\\there, \"q\"\t3\n\\.\n"
	tag, err := c.PgConn().CopyFrom(ctx, strings.NewReader(in), "COPY t FROM STDIN")
	if err != nil || tag.String() != "COPY 3" {
		t.Fatalf("COPY FROM: %v %v", tag, err)
	}
	var out bytes.Buffer
	if _, err := c.PgConn().CopyTo(ctx, &out, "COPY t TO STDOUT"); err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSuffix(in, "\\.\n"); out.String() != want {
		t.Fatalf("COPY TO text:\n%q\nwant\n%q", out.String(), want)
	}
	out.Reset()
	if _, err := c.PgConn().CopyTo(ctx, &out, "COPY t (c, b) TO STDOUT WITH (FORMAT csv, HEADER, FORCE_QUOTE (b))"); err != nil {
		t.Fatal(err)
	}
	wantCSV := "c,b\n1.5,\"hello\"\n2,\n3,\"tab\there, \"\"q\"\"\"\n"
	if out.String() != wantCSV {
		t.Fatalf("COPY TO csv:\n%q\nwant\n%q", out.String(), wantCSV)
	}
	copyExec(t, c, "CREATE TABLE t2 (c float8, b text)")
	if _, err := c.PgConn().CopyFrom(ctx, bytes.NewReader(out.Bytes()), "COPY t2 FROM STDIN (FORMAT csv, HEADER)"); err != nil {
		t.Fatal(err)
	}
	var same bool
	if err := c.QueryRow(ctx, "SELECT count(*) = 3 AND count(b) = 2 AND sum(c) = 6.5 FROM t2").Scan(&same); err != nil || !same {
		t.Fatalf("CSV round trip: %v %v", same, err)
	}
	out.Reset()
	if _, err := c.PgConn().CopyTo(ctx, &out, "COPY (SELECT a, a * 2 AS twice FROM t WHERE a > 1 ORDER BY a) TO STDOUT (FORMAT csv)"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "2,4\n3,6\n" {
		t.Fatalf("COPY (query) TO: %q", out.String())
	}
}

// Bad data: 22P02 with PostgreSQL's CONTEXT line, and nothing of the COPY
// stays in the table.
func TestCopyBadDataLeavesTableUnchanged(t *testing.T) {
	_, c := copyNode(t)
	ctx := context.Background()
	copyExec(t, c, "CREATE TABLE t (a int PRIMARY KEY, b int)", "INSERT INTO t VALUES (100, 100)")
	cases := []struct {
		data, code, where string
	}{
		{"1\t1\n2\t2\n3\tx\n4\t4\n", "22P02", `COPY t, line 3, column b: "x"`},
		{"1\t1\n2\n", "22P04", `COPY t, line 2: "2"`},
		{"1\t1\n100\t1\n", "23505", `COPY t, line 2`},
		{"1\t1\n2\t\xff\n", "22021", `COPY t, line 2`},
	}
	for _, tc := range cases {
		_, err := c.PgConn().CopyFrom(ctx, strings.NewReader(tc.data), "COPY t FROM STDIN")
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != tc.code || pe.Where != tc.where {
			t.Fatalf("COPY of %q: got %v (where %q), want %s %q", tc.data, err, whereOf(pe), tc.code, tc.where)
		}
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 1 {
			t.Fatalf("after failed COPY: %d rows, %v", n, err)
		}
	}
}

func whereOf(pe *pgconn.PgError) string {
	if pe == nil {
		return ""
	}
	return pe.Where
}

// A client that gives up sends CopyFail: 57014, nothing inserted, and the
// connection stays usable. In an explicit transaction the rows commit with
// it, or vanish with ROLLBACK.
func TestCopyFailAndTransactions(t *testing.T) {
	_, c := copyNode(t)
	ctx := context.Background()
	copyExec(t, c, "CREATE TABLE t (a int)")
	_, err := c.PgConn().CopyFrom(ctx, io.MultiReader(strings.NewReader("1\n2\n"), errReader{}), "COPY t FROM STDIN")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" {
		t.Fatalf("CopyFail: %v", err)
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, strings.NewReader("1\n2\n"), "COPY t FROM STDIN"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("inside the transaction: %d rows, %v", n, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 0 {
		t.Fatalf("after ROLLBACK: %d rows, %v", n, err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("client gave up") }

func copyExec(t *testing.T, c *pgx.Conn, sql ...string) {
	t.Helper()
	for _, s := range sql {
		if _, err := c.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// COPY into a table truncated by the same transaction (pgbench -i) writes
// without row locks; duplicates are still 23505.
func TestCopyIntoTruncatedTable(t *testing.T) {
	_, c := copyNode(t)
	ctx := context.Background()
	copyExec(t, c, "CREATE TABLE t (a int PRIMARY KEY, b int UNIQUE)", "INSERT INTO t VALUES (1, 1)")
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "TRUNCATE t"); err != nil {
		t.Fatal(err)
	}
	_, err = tx.Conn().PgConn().CopyFrom(ctx, strings.NewReader("1\t1\n2\t1\n"), "COPY t FROM STDIN")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" || pe.ConstraintName != "t_b_key" {
		t.Fatalf("duplicate in a truncated table: %v", err)
	}
}

// Regression test for #12 (COPY's lock): COPY FROM into an existing table
// holds ROW EXCLUSIVE, as PostgreSQL's: readers and writers of other keys
// go on beside the load, two transactions that INSERT then COPY into one
// table both run (SHARE ROW EXCLUSIVE deadlocked them), and a writer of a
// key the load wrote waits for the load's transaction, as the load waits
// for an in-flight writer of a key it loads — then 23505 or success by how
// the other ended, as an INSERT's uniqueness check.
func TestCopyRowExclusiveBesideWriters(t *testing.T) {
	m, c := copyNode(t)
	ctx := context.Background()
	copyExec(t, c, "CREATE TABLE t (a int PRIMARY KEY, b int UNIQUE)", "INSERT INTO t VALUES (100, 100)")
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, strings.NewReader("1\t1\n2\t2\n"), "COPY t FROM STDIN"); err != nil {
		t.Fatal(err)
	}
	other := m.Conn()
	var mode string
	if err := other.QueryRow(ctx, "SELECT mode FROM pg_locks WHERE relation = 't'::regclass AND granted").Scan(&mode); err != nil || mode != "RowExclusiveLock" {
		t.Fatalf("pg_locks during COPY: %q, %v", mode, err)
	}
	var n int
	if err := other.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("reader during COPY: %d rows, %v", n, err)
	}
	copyExec(t, other, "SET lock_timeout = '200ms'", "INSERT INTO t VALUES (3, 3)") // another key: at once
	var pe *pgconn.PgError
	for _, q := range []string{"INSERT INTO t VALUES (1, 50)", "INSERT INTO t VALUES (51, 2)", "UPDATE t SET b = 1 WHERE a = 3"} {
		if _, err = other.Exec(ctx, q); !errors.As(err, &pe) || pe.Code != "55P03" {
			t.Fatalf("%s during COPY of its key: %v, want to wait (55P03 at lock_timeout)", q, err)
		}
	}

	// Two transactions that INSERT then COPY into one table: both go on.
	tx2, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx2.Rollback(ctx)
	if _, err := tx2.Exec(ctx, "INSERT INTO t VALUES (10, 10)"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO t VALUES (20, 20)"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx2.Conn().PgConn().CopyFrom(ctx, strings.NewReader("11\t11\n"), "COPY t FROM STDIN"); err != nil {
		t.Fatalf("second COPY beside the first: %v", err)
	}
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, strings.NewReader("21\t21\n"), "COPY t FROM STDIN"); err != nil {
		t.Fatalf("first transaction's second COPY: %v", err)
	}
	// A load of a key an in-flight transaction inserted waits for it:
	// 23505 when it commits.
	done := make(chan error, 1)
	go func() {
		_, err := tx.Conn().PgConn().CopyFrom(ctx, strings.NewReader("12\t12\n10\t99\n"), "COPY t FROM STDIN")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("COPY of a key another transaction inserted did not wait: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx2.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.As(err, &pe) || pe.Code != "23505" || pe.Where != "COPY t, line 2" {
		t.Fatalf("COPY of a key committed meanwhile: %v", err)
	}
	_ = tx.Rollback(ctx)
	if err := other.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 4 { // 100, 3, 10, 11
		t.Fatalf("after: %d rows, %v", n, err)
	}

	// A second load of one key in one transaction is 23505 (the first's
	// claim is its own).
	tx3, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"", "23505"} {
		_, err := tx3.Conn().PgConn().CopyFrom(ctx, strings.NewReader("60\t60\n"), "COPY t FROM STDIN")
		if want == "" && err != nil || want != "" && (!errors.As(err, &pe) || pe.Code != want) {
			t.Fatalf("load %d of one key in one transaction: %v, want %q", i+1, err, want)
		}
	}
	_ = tx3.Rollback(ctx)

	// Two loads of one key: the second waits for the first.
	copyExec(t, other, "SET lock_timeout = 0")
	l1, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l1.Conn().PgConn().CopyFrom(ctx, strings.NewReader("40\t40\n"), "COPY t FROM STDIN"); err != nil {
		t.Fatal(err)
	}
	go func() {
		_, err := other.PgConn().CopyFrom(ctx, strings.NewReader("41\t41\n40\t42\n"), "COPY t FROM STDIN")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("COPY of a key another load wrote did not wait: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := l1.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.As(err, &pe) || pe.Code != "23505" || pe.ConstraintName != "t_pkey" {
		t.Fatalf("COPY of a key another load committed: %v", err)
	}
	copyExec(t, other, "DELETE FROM t WHERE a = 40")

	// A writer waiting for a load goes on when the load rolls back, and
	// fails with 23505 when it commits.
	for _, commit := range []bool{false, true} {
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Conn().PgConn().CopyFrom(ctx, strings.NewReader("30\t30\n"), "COPY t FROM STDIN"); err != nil {
			t.Fatal(err)
		}
		copyExec(t, other, "SET lock_timeout = 0")
		go func() {
			_, err := other.Exec(ctx, "INSERT INTO t VALUES (30, 31)")
			done <- err
		}()
		select {
		case err := <-done:
			t.Fatalf("INSERT of a key a load wrote did not wait: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		if commit {
			err = tx.Commit(ctx)
		} else {
			err = tx.Rollback(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		err = <-done
		if commit && (!errors.As(err, &pe) || pe.Code != "23505") || !commit && err != nil {
			t.Fatalf("INSERT after the load (commit %v): %v", commit, err)
		}
		if !commit {
			copyExec(t, other, "DELETE FROM t WHERE a = 30")
		}
	}
}

// A COPY into an existing, empty table that commits its rows in chunks
// before the COMMIT swaps them in (sql/exec/copyswap.go) reaches the
// standbys whole: chunks and swap are ordinary WAL commits.
func TestCopyIntoEmptyTableReplicated(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{})
	conn := c.Primary.Conn()
	ctx := context.Background()
	copyExec(t, conn, "CREATE TABLE acc (aid int PRIMARY KEY, filler char(84))")
	var data bytes.Buffer
	const rows = 80000 // about 9 MB of rows: two chunks before the COMMIT
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(&data, "%d\tx\n", i)
	}
	if tag, err := conn.PgConn().CopyFrom(ctx, &data, "COPY acc FROM STDIN"); err != nil || tag.RowsAffected() != rows {
		t.Fatalf("COPY: %v %v", tag, err)
	}
	c.WaitCaughtUp()
	c.SameTables("acc")
	var n, sum int64
	if err := c.Async.Conn().QueryRow(ctx, "SELECT count(*), sum(aid) FROM acc").Scan(&n, &sum); err != nil || n != rows || sum != rows*(rows+1)/2 {
		t.Fatalf("standby after COPY: %d rows, sum %d, %v", n, sum, err)
	}
}

// TestCopyIntoNonEmptyTableReplicated (issue 12): a COPY into a table
// that has rows stages its chunks in shadow buckets and publishes them
// with its COMMIT's move (sql/exec/shadow.go); the standbys apply the
// same WAL records and end with the same table, its index included.
func TestCopyIntoNonEmptyTableReplicated(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{})
	conn := c.Primary.Conn()
	ctx := context.Background()
	copyExec(t, conn, "CREATE TABLE acc (aid int PRIMARY KEY, bid int, filler char(84))", "CREATE INDEX acc_bid ON acc (bid)",
		"INSERT INTO acc VALUES (0, 0, 'there before')")
	var data bytes.Buffer
	const rows = 80000 // about 9 MB of rows: two chunks before the COMMIT
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(&data, "%d\t%d\tx\n", i, i%10)
	}
	if tag, err := conn.PgConn().CopyFrom(ctx, &data, "COPY acc FROM STDIN"); err != nil || tag.RowsAffected() != rows {
		t.Fatalf("COPY: %v %v", tag, err)
	}
	c.WaitCaughtUp()
	c.SameTables("acc")
	for _, m := range []*clustertest.Member{c.Primary, c.Sync, c.Async} {
		var n, sum, bid int64
		q := m.Conn()
		if err := q.QueryRow(ctx, "SELECT count(*), sum(aid) FROM acc").Scan(&n, &sum); err != nil || n != rows+1 || sum != rows*(rows+1)/2 {
			t.Fatalf("%s after COPY: %d rows, sum %d, %v", m.Name, n, sum, err)
		}
		if err := q.QueryRow(ctx, "SELECT count(*) FROM acc WHERE bid = 3").Scan(&bid); err != nil || bid != rows/10 {
			t.Fatalf("%s: index scan after COPY: %d rows, %v", m.Name, bid, err)
		}
	}
}

// TestCopyRetiredClaimsStillHold: a COPY into a table others write keeps
// a claim per key only until the chunk holding the key is committed to
// its shadow bucket; after that (the claim retired, sql/exec/copylocks.go)
// a writer or another load of one of its keys still waits for it — of
// the primary key and of a unique index, found in the load's shadows — the
// load writing its own key again is still 23505 and no deadlock, and
// after the COMMIT the writers get 23505.
func TestCopyRetiredClaimsStillHold(t *testing.T) {
	m, c := copyNode(t)
	ctx := context.Background()
	copyExec(t, c, "CREATE TABLE t (a int PRIMARY KEY, b int UNIQUE, f text)", "INSERT INTO t VALUES (0, 0, 'before')")
	const rows = 100000 // ~14 MB of writes: several chunks, the first ones' claims retired
	var data bytes.Buffer
	pad := strings.Repeat("x", 100)
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(&data, "%d\t%d\t%s\n", i, i, pad)
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if tag, err := tx.Conn().PgConn().CopyFrom(ctx, &data, "COPY t FROM STDIN"); err != nil || tag.RowsAffected() != rows {
		t.Fatalf("COPY: %v %v", tag, err)
	}
	other, third := m.Conn(), m.Conn()
	copyExec(t, other, "SET lock_timeout = '200ms'", "INSERT INTO t VALUES (-1, -1, 'w')") // another key: at once
	copyExec(t, third, "SET lock_timeout = '200ms'")
	var pe *pgconn.PgError
	for _, q := range []string{"INSERT INTO t VALUES (1, -2, 'w')", "INSERT INTO t VALUES (-3, 2, 'w')", "INSERT INTO t VALUES (-4, -4, 'w') ON CONFLICT (a) DO NOTHING",
		"UPDATE t SET a = 3 WHERE a = -1", fmt.Sprintf("INSERT INTO t VALUES (%d, -5, 'w')", rows)} {
		if _, err = other.Exec(ctx, q); strings.Contains(q, "-4") {
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			continue
		}
		if !errors.As(err, &pe) || pe.Code != "55P03" {
			t.Fatalf("%s during COPY of its key: %v, want to wait (55P03 at lock_timeout)", q, err)
		}
	}
	if _, err := third.PgConn().CopyFrom(ctx, strings.NewReader("-6\t-6\tl\n5\t-7\tl\n"), "COPY t FROM STDIN"); !errors.As(err, &pe) || pe.Code != "55P03" {
		t.Fatalf("another COPY of a key the load wrote: %v, want to wait (55P03 at lock_timeout)", err)
	}
	if _, err := third.PgConn().CopyFrom(ctx, strings.NewReader("-8\t7\tl\n"), "COPY t FROM STDIN"); !errors.As(err, &pe) || pe.Code != "55P03" {
		t.Fatalf("another COPY of a unique value the load wrote: %v, want to wait (55P03 at lock_timeout)", err)
	}

	// The load writes its key 2 again while a writer waits for it: 23505.
	copyExec(t, other, "SET lock_timeout = 0")
	copyExec(t, third, "SET lock_timeout = 0")
	w := make(chan error, 1)
	go func() { _, err := other.Exec(ctx, "INSERT INTO t VALUES (2, -9, 'w')"); w <- err }()
	time.Sleep(300 * time.Millisecond)
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, strings.NewReader("2\t-10\tagain\n"), "COPY t FROM STDIN"); !errors.As(err, &pe) || pe.Code != "23505" {
		t.Fatalf("the load writing its own key again while a writer waits: %v, want 23505", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-w; err != nil {
		t.Fatalf("the writer after the load rolled back: %v", err)
	}

	// A committed load: the writers of its keys get 23505.
	tx, err = c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	data.Reset()
	for i := 10; i <= rows; i++ {
		fmt.Fprintf(&data, "%d\t%d\t%s\n", i, i, pad)
	}
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, &data, "COPY t FROM STDIN"); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	go func() { _, err := other.Exec(ctx, "INSERT INTO t VALUES (10, -11, 'w')"); errs <- err }()
	go func() {
		_, err := third.PgConn().CopyFrom(ctx, strings.NewReader("-12\t11\tl\n"), "COPY t FROM STDIN")
		errs <- err
	}()
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-errs:
		t.Fatalf("a writer of a key of the load did not wait: %v", err)
	default:
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-errs; !errors.As(err, &pe) || pe.Code != "23505" {
			t.Fatalf("a writer of a key of the committed load: %v, want 23505", err)
		}
	}
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != rows-9+4 { // 0, -1, -4, 2 and the load
		t.Fatalf("after the load: %d rows, %v; want %d", n, err, rows-9+4)
	}
}
