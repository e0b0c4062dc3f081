package tests

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heliosdb/nano/storage"
)

// Issue 14, bulk load: COPY into a table truncated (or created) by the
// same transaction — what pgbench -i does — and the ALTER TABLE ... ADD
// PRIMARY KEY rewrite after it commit their rows in chunks as they go, so
// the node's memory does not grow with the size of the load; a committed
// load survives kill -9 right after COMMIT, a rolled back one leaves the
// table as it was.

// bulkRows is enough rows (~30 MB of row data) that holding the load in
// memory until commit shows in RSS (several hundred MB), small enough to
// load in a few seconds.
const bulkRows = 250000

// copyStream produces pgbench_accounts-like text COPY rows [lo, hi)
// without buffering them.
func copyStream(lo, hi int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 64<<10)
		pad := strings.Repeat(" ", 84)
		for i := lo; i < hi; i++ {
			fmt.Fprintf(w, "%d\t%d\t0\t%s\n", i, 1+i/100000, pad)
		}
		pw.CloseWithError(w.Flush())
	}()
	return pr
}

func copyIn(t *testing.T, c *pgx.Conn, lo, hi int) {
	t.Helper()
	tag, err := c.PgConn().CopyFrom(context.Background(), copyStream(lo, hi), "COPY acc FROM STDIN")
	if err != nil || tag.RowsAffected() != int64(hi-lo) {
		t.Fatalf("COPY: %v %v", tag, err)
	}
}

func checkAcc(t *testing.T, c *pgx.Conn, n int, what string) {
	t.Helper()
	var count, sum int64
	if err := c.QueryRow(context.Background(), "SELECT count(*), coalesce(sum(aid), 0) FROM acc").Scan(&count, &sum); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if count != int64(n) || sum != int64(n)*int64(n-1)/2 {
		t.Fatalf("%s: count %d sum %d, want %d rows 0..%d", what, count, sum, n, n-1)
	}
}

func TestCopyBulkLoadBoundedRSSAndKill9(t *testing.T) {
	n := newNode(t)
	n.start()
	pid := n.cmd.Process.Pid
	c := n.connect(t)
	mustExec(t, c, "CREATE TABLE acc (aid int NOT NULL, bid int, abalance int, filler char(84))")
	base, baseAnon := rssBytes(t, pid), rssAnon(pid)

	stop := make(chan struct{})
	peakc, anonc := peakRSS(pid, stop), peakAnon(pid, stop)
	// The load: BEGIN; TRUNCATE; COPY; a read of the load inside its
	// transaction; COMMIT — then the primary key, a table rewrite.
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "TRUNCATE acc")
	copyIn(t, c, 0, bulkRows)
	checkAcc(t, c, bulkRows, "inside the loading transaction")
	mustExec(t, c, "COMMIT")
	mustExec(t, c, "ALTER TABLE acc ADD PRIMARY KEY (aid)")
	close(stop)
	peak, peakA := <-peakc, <-anonc
	t.Logf("%d rows: RSS baseline %d MB, peak %d MB; anonymous RSS baseline %d MB, peak %d MB", bulkRows, base>>20, peak>>20, baseAnon>>20, peakA>>20)
	const bound = 128 << 20
	if peakA-baseAnon > bound {
		t.Errorf("anonymous RSS grew by %d MB loading %d rows (bound %d MB): the load is held in memory", (peakA-baseAnon)>>20, bulkRows, bound>>20)
	}

	// kill -9 right after a committed load: every row is there after
	// the restart.
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "TRUNCATE acc")
	copyIn(t, c, 0, bulkRows+1)
	mustExec(t, c, "COMMIT")
	n.kill()
	n.start()
	c = n.connect(t)
	checkAcc(t, c, bulkRows+1, "after kill -9")
	var bid int
	if err := c.QueryRow(context.Background(), "SELECT bid FROM acc WHERE aid = $1", bulkRows).Scan(&bid); err != nil || bid != 1+bulkRows/100000 {
		t.Fatalf("row %d after kill -9: bid %d %v", bulkRows, bid, err)
	}

	// A load that rolls back leaves the table as it was; the next load
	// works (it gets buckets of its own).
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "TRUNCATE acc")
	copyIn(t, c, 0, bulkRows/2)
	mustExec(t, c, "ROLLBACK")
	checkAcc(t, c, bulkRows+1, "after a rolled back load")
	// A duplicate key in a load into the keyed table: 23505, nothing kept.
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "TRUNCATE acc")
	copyIn(t, c, 0, bulkRows/2)
	_, err := c.PgConn().CopyFrom(context.Background(), copyStream(0, 1), "COPY acc FROM STDIN") // row 0 was staged long ago
	if err == nil || !strings.Contains(err.Error(), "23505") {
		t.Fatalf("duplicate key in a staged load: %v, want 23505", err)
	}
	mustExec(t, c, "ROLLBACK")
	checkAcc(t, c, bulkRows+1, "after a failed load")
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "TRUNCATE acc")
	copyIn(t, c, 0, 1000)
	mustExec(t, c, "COMMIT")
	checkAcc(t, c, 1000, "after a small load")
}

// TestCopyStagedLoadOutOfKeyOrder: a load into a keyed table created by
// its transaction, in descending key order, checks each key against the
// chunks already staged — one of which may still be committing in the
// background while the next is built (sql/exec/stage.go) — so a duplicate
// of a row staged chunks earlier is 23505 and nothing of the load stays,
// and the rows of a clean load are all there, inside the transaction and
// after its commit.
func TestCopyStagedLoadOutOfKeyOrder(t *testing.T) {
	n := newNode(t)
	n.start()
	c := n.connect(t)
	ctx := context.Background()
	const rows = 120000 // ~15 MB of row data: several 4 MiB chunks
	descending := func(dup bool) io.Reader {
		pr, pw := io.Pipe()
		go func() {
			w := bufio.NewWriterSize(pw, 64<<10)
			pad := strings.Repeat(" ", 84)
			for i := rows - 1; i >= 0; i-- {
				fmt.Fprintf(w, "%d\t%d\t0\t%s\n", i, 1+i/100000, pad)
				if dup && i == rows-45000 {
					// Row 30000 of the stream, in the first chunk (~38000
					// rows), likely still committing when this is read.
					fmt.Fprintf(w, "%d\t1\t0\tdup\n", rows-1-30000)
				}
			}
			pw.CloseWithError(w.Flush())
		}()
		return pr
	}
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "CREATE TABLE acc (aid int PRIMARY KEY, bid int, abalance int, filler char(84))")
	_, err := c.PgConn().CopyFrom(ctx, descending(true), "COPY acc FROM STDIN")
	if err == nil || !strings.Contains(err.Error(), "23505") {
		t.Fatalf("duplicate of a staged key: %v, want 23505", err)
	}
	mustExec(t, c, "ROLLBACK")
	var exists bool
	if err := c.QueryRow(ctx, "SELECT to_regclass('acc') IS NOT NULL").Scan(&exists); err != nil || exists {
		t.Fatalf("table after the failed load rolled back: exists=%t %v", exists, err)
	}

	mustExec(t, c, "BEGIN")
	mustExec(t, c, "CREATE TABLE acc (aid int PRIMARY KEY, bid int, abalance int, filler char(84))")
	tag, err := c.PgConn().CopyFrom(ctx, descending(false), "COPY acc FROM STDIN")
	if err != nil || tag.RowsAffected() != rows {
		t.Fatalf("COPY: %v %v", tag, err)
	}
	checkAcc(t, c, rows, "inside the loading transaction")
	mustExec(t, c, "COMMIT")
	checkAcc(t, c, rows, "after commit")
	var bid int
	if err := c.QueryRow(ctx, "SELECT bid FROM acc WHERE aid = $1", rows-1).Scan(&bid); err != nil || bid != 2 {
		t.Fatalf("row %d: bid %d %v", rows-1, bid, err)
	}
}

// TestCopyIntoExistingTableBoundedRSSAndKill9: COPY into an existing,
// empty table — psql's \copy after CREATE TABLE, a separate statement —
// loads in chunks too (sql/exec/copyswap.go): memory stays flat; a bad
// row after chunks were committed is 22P02 with its line and leaves the
// table empty; kill -9 in the middle of the load leaves it empty; a DDL
// committed by another session during the load does not fail its COMMIT;
// and a committed load survives kill -9.
func TestCopyIntoExistingTableBoundedRSSAndKill9(t *testing.T) {
	n := newNode(t)
	n.start()
	c := n.connect(t)
	ctx := context.Background()
	mustExec(t, c, "CREATE TABLE acc (aid int PRIMARY KEY, bid int, abalance int, filler char(84))")
	mustExec(t, c, "CREATE INDEX acc_bid ON acc (bid)")

	// A bad row on the last line, after many chunks: nothing stays.
	bad := io.MultiReader(copyStream(0, bulkRows/2), strings.NewReader("x\t1\t0\t\n"))
	_, err := c.PgConn().CopyFrom(ctx, bad, "COPY acc FROM STDIN")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "22P02" || pe.Where != fmt.Sprintf(`COPY acc, line %d, column aid: "x"`, bulkRows/2+1) {
		t.Fatalf("bad row: %v (%+v), want 22P02 at line %d", err, pe, bulkRows/2+1)
	}
	checkAcc(t, c, 0, "after a failed load")

	// kill -9 with half the load sent (the client's pipe stays open, so
	// the COPY never ends): the table is as before.
	copying := startHalfCopy(ctx, c)
	n.kill()
	copying.end()
	n.start()
	pid := n.cmd.Process.Pid
	c = n.connect(t)
	checkAcc(t, c, 0, "after kill -9 in the middle of a load")

	// The load, measured, with a DDL by another session while its
	// transaction is open: the load holds the catalog lock (its storage
	// swap is catalog DDL), so the DDL waits for the COMMIT and then runs.
	base := rssAnon(pid)
	stop := make(chan struct{})
	anonc := peakAnon(pid, stop)
	mustExec(t, c, "BEGIN")
	copyIn(t, c, 0, bulkRows)
	other := n.connect(t)
	checkAcc(t, other, 0, "another session during the load")
	ddl := make(chan error, 1)
	go func() {
		_, err := other.Exec(ctx, "CREATE TABLE unrelated (a int)")
		ddl <- err
	}()
	checkAcc(t, c, bulkRows, "inside the loading transaction")
	mustExec(t, c, "COMMIT")
	select {
	case err := <-ddl:
		if err != nil {
			t.Fatalf("DDL of another session during the load: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("DDL of another session still waiting 30 s after the load committed")
	}
	close(stop)
	peak := <-anonc
	t.Logf("%d rows into an existing table: anonymous RSS baseline %d MB, peak %d MB", bulkRows, base>>20, peak>>20)
	const bound = 128 << 20
	if peak-base > bound {
		t.Errorf("anonymous RSS grew by %d MB loading %d rows into an existing table (bound %d MB): the load is held in memory", (peak-base)>>20, bulkRows, bound>>20)
	}
	var bid int
	if err := other.QueryRow(ctx, "SELECT count(*) FROM acc WHERE bid = 2").Scan(&bid); err != nil || bid != 100000 {
		t.Fatalf("index scan after the load: %d rows with bid 2, %v", bid, err)
	}
	n.kill()
	n.start()
	c = n.connect(t)
	checkAcc(t, c, bulkRows, "after kill -9")
	// Not empty any more: the next COPY adds to it in its write set.
	_, err = c.PgConn().CopyFrom(ctx, copyStream(bulkRows-1, bulkRows+1), "COPY acc FROM STDIN")
	if err == nil || !strings.Contains(err.Error(), "23505") {
		t.Fatalf("COPY of a loaded key: %v, want 23505", err)
	}
	copyIn(t, c, bulkRows, bulkRows+10)
	checkAcc(t, c, bulkRows+10, "after a second load")
}

// TestCopyIntoNonEmptyTableBoundedRSSAndKill9 (issue 12): COPY into a
// table that already has rows, which other sessions read and write
// meanwhile, moves its rows in chunks to shadow buckets as it goes and
// publishes them with one OpMoveBucket at COMMIT (sql/exec/shadow.go):
// memory stays flat; other sessions see none of the rows before the
// COMMIT and all after; the loading transaction sees its own rows (by a
// scan and by the index); a duplicate of a row moved chunks earlier is
// 23505 and nothing of the load stays; kill -9 in the middle of the load
// loses the whole load and nothing else (a row another session committed
// meanwhile stays); a committed load survives kill -9.
func TestCopyIntoNonEmptyTableBoundedRSSAndKill9(t *testing.T) {
	n := newNode(t)
	n.start()
	c := n.connect(t)
	ctx := context.Background()
	mustExec(t, c, "CREATE TABLE acc (aid int PRIMARY KEY, bid int, abalance int, filler char(84))")
	mustExec(t, c, "CREATE INDEX acc_bid ON acc (bid)")
	const pre = -10 // rows -10..-1 are there before every load
	mustExec(t, c, "INSERT INTO acc SELECT g, 0, 0, '' FROM generate_series(-10, -1) g")
	check := func(c *pgx.Conn, hi int, what string) {
		t.Helper()
		var count, sum int64
		if err := c.QueryRow(ctx, "SELECT count(*), coalesce(sum(aid), 0) FROM acc WHERE aid >= 0").Scan(&count, &sum); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var old int64
		if err := c.QueryRow(ctx, "SELECT count(*) FROM acc WHERE aid BETWEEN -10 AND -1").Scan(&old); err != nil || old != -pre {
			t.Fatalf("%s: %d rows that were there before the load, want %d (%v)", what, old, -pre, err)
		}
		if count != int64(hi) || sum != int64(hi)*int64(hi-1)/2 {
			t.Fatalf("%s: count %d sum %d, want %d loaded rows 0..%d", what, count, sum, hi, hi-1)
		}
	}

	// A duplicate of a row moved to a shadow long before: 23505, and the
	// table is as it was.
	dup := io.MultiReader(copyStream(0, bulkRows/2), strings.NewReader("5\t1\t0\t\n"))
	_, err := c.PgConn().CopyFrom(ctx, dup, "COPY acc FROM STDIN")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" {
		t.Fatalf("duplicate of a shadowed row: %v, want 23505", err)
	}
	check(c, 0, "after a failed load")

	// kill -9 with half the load sent, after another session committed a
	// row of its own beside it: that row stays, the load goes.
	copying := startHalfCopy(ctx, c)
	other := n.connect(t)
	mustExec(t, other, "INSERT INTO acc VALUES (-100, 0, 0, 'beside')")
	check(other, 0, "another session during the load")
	n.kill()
	copying.end()
	n.start()
	pid := n.cmd.Process.Pid
	c = n.connect(t)
	check(c, 0, "after kill -9 in the middle of a load")
	var beside int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM acc WHERE aid = -100").Scan(&beside); err != nil || beside != 1 {
		t.Fatalf("a row committed beside the killed load: %d %v", beside, err)
	}
	mustExec(t, c, "DELETE FROM acc WHERE aid = -100")

	// The load, measured, in a transaction that reads it back.
	base := rssAnon(pid)
	stop := make(chan struct{})
	anonc := peakAnon(pid, stop)
	mustExec(t, c, "BEGIN")
	copyIn(t, c, 0, bulkRows)
	other = n.connect(t)
	check(other, 0, "another session before the COMMIT")
	check(c, bulkRows, "inside the loading transaction")
	var bid int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM acc WHERE bid = 2").Scan(&bid); err != nil || bid != 100000 {
		t.Fatalf("index scan inside the loading transaction: %d rows with bid 2, %v", bid, err)
	}
	mustExec(t, c, "COMMIT")
	close(stop)
	peak := <-anonc
	t.Logf("%d rows into a non-empty table: anonymous RSS baseline %d MB, peak %d MB", bulkRows, base>>20, peak>>20)
	const bound = 128 << 20
	if peak-base > bound {
		t.Errorf("anonymous RSS grew by %d MB loading %d rows into a non-empty table (bound %d MB): the load is held in memory", (peak-base)>>20, bulkRows, bound>>20)
	}
	check(other, bulkRows, "another session after the COMMIT")
	if err := other.QueryRow(ctx, "SELECT count(*) FROM acc WHERE bid = 2").Scan(&bid); err != nil || bid != 100000 {
		t.Fatalf("index scan after the load: %d rows with bid 2, %v", bid, err)
	}
	n.kill()
	n.start()
	c = n.connect(t)
	check(c, bulkRows, "after kill -9")

	// A rolled back load leaves nothing.
	mustExec(t, c, "BEGIN")
	copyIn(t, c, bulkRows, bulkRows+bulkRows/2)
	mustExec(t, c, "ROLLBACK")
	check(c, bulkRows, "after a rolled back load")
}

// halfCopy is a COPY FROM into acc of which half the rows were sent and
// that never ends while the client holds it open.
type halfCopy struct {
	pw   *io.PipeWriter
	done chan struct{}
}

// startHalfCopy sends half of a bulk load on c and returns once it is sent.
func startHalfCopy(ctx context.Context, c *pgx.Conn) halfCopy {
	pr, pw := io.Pipe()
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		_, _ = io.Copy(pw, copyStream(0, bulkRows/2))
	}()
	h := halfCopy{pw: pw, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		_, _ = c.PgConn().CopyFrom(ctx, pr, "COPY acc FROM STDIN")
	}()
	<-sent
	return h
}

// end waits for the COPY to end (the server went away) and closes the
// client's side.
func (h halfCopy) end() {
	<-h.done
	h.pw.Close()
}

// dataBuckets lists the table and index buckets of a stopped node's
// storage file.
func dataBuckets(t *testing.T, n *nodeProc) []string {
	t.Helper()
	db, err := storage.Open(storage.Config{Path: filepath.Join(n.dataDir, "data.db")})
	if err != nil {
		t.Fatalf("open the stopped node's storage: %v", err)
	}
	defer db.Close()
	snap, err := db.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	var out []string
	snap.ForEachBucket(func(name []byte) error {
		if s := string(name); strings.HasPrefix(s, "t/") || strings.HasPrefix(s, "i/") {
			out = append(out, s)
		}
		return nil
	})
	return out
}

// TestCopyKill9OrphansReclaimed: kill -9 in the middle of a COPY into a
// non-empty table leaves the chunks it had committed in shadow buckets no
// catalog names (sql/exec/shadow.go), and in the middle of a COPY into a
// table its transaction created, staged buckets (stage.go). The restarted
// primary drops them (sql/exec/reclaim.go): afterwards the storage file
// holds only the buckets of the tables and indexes the catalog names, and
// the data is intact.
func TestCopyKill9OrphansReclaimed(t *testing.T) {
	n := newNode(t)
	n.start()
	c := n.connect(t)
	ctx := context.Background()
	mustExec(t, c, "CREATE TABLE acc (aid int PRIMARY KEY, bid int, abalance int, filler char(84))")
	mustExec(t, c, "CREATE INDEX acc_bid ON acc (bid)")
	mustExec(t, c, "INSERT INTO acc SELECT g, 0, 0, '' FROM generate_series(-10, -1) g")
	size := func(c *pgx.Conn) int64 {
		var s int64
		if err := c.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := size(c)
	copying := startHalfCopy(ctx, c) // shadows of acc
	other := n.connect(t)
	mustExec(t, other, "BEGIN")
	mustExec(t, other, "CREATE TABLE fresh (aid int PRIMARY KEY, bid int, abalance int, filler char(84))")
	pr, pw := io.Pipe()
	go func() { _, _ = io.Copy(pw, copyStream(0, bulkRows/2)) }()
	go func() { _, _ = other.PgConn().CopyFrom(ctx, pr, "COPY fresh FROM STDIN") }() // staged buckets of fresh
	other2 := n.connect(t)
	eventually(t, 60*time.Second, "the loads' chunks committed", func() (bool, string) {
		s := size(other2)
		return s-base > 16<<20, fmt.Sprintf("database grew by %d bytes", s-base)
	})
	n.kill()
	copying.end()
	pw.Close()
	n.start()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if strings.Contains(n.logs.String(), "reclaimed orphans") {
			break // else the bucket listing below says what was left
		}
	}
	c = n.connect(t)
	var count int64
	if err := c.QueryRow(ctx, "SELECT count(*) FROM acc").Scan(&count); err != nil || count != 10 {
		t.Fatalf("acc after kill -9 and the reclaim: %d rows, %v (want the 10 from before the load)", count, err)
	}
	if _, err := c.Exec(ctx, "SELECT 1 FROM fresh"); sqlState(err) != "42P01" {
		t.Fatalf("fresh, created by the killed transaction: %v, want 42P01", err)
	}
	mustExec(t, c, "INSERT INTO acc VALUES (1, 0, 0, 'after')")
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	if got := dataBuckets(t, n); len(got) != 2 {
		t.Fatalf("storage holds %d table/index buckets %v; want 2 (acc and acc_bid): orphans of the killed loads were not reclaimed", len(got), got)
	}
	n.start()
	c = n.connect(t)
	if err := c.QueryRow(ctx, "SELECT count(*) FROM acc WHERE bid = 0").Scan(&count); err != nil || count != 11 {
		t.Fatalf("acc by its index after the reclaim: %d rows, %v", count, err)
	}
}

// TestCopyKill9DuringMerge: a COPY into a non-empty table is visible in
// full from its COMMIT on, while storage still moves its rows into the
// table in bounded transactions (storage/merge.go; small steps here, so
// the move is still running); kill -9 in the middle of that move keeps
// the whole load, by scan and by index, and the restarted node finishes
// the move: afterwards the file holds only the table's and its index's
// buckets.
func TestCopyKill9DuringMerge(t *testing.T) {
	n := newNode(t)
	n.env = []string{"HELIOSDB_TEST_STORAGE_MERGE_STEP_KEYS=50"}
	n.start()
	c := n.connect(t)
	ctx := context.Background()
	metrics := fmt.Sprintf("http://127.0.0.1:%d/metrics", n.httpPort)
	mustExec(t, c, "CREATE TABLE acc (aid int PRIMARY KEY, bid int, abalance int, filler char(84))")
	mustExec(t, c, "CREATE INDEX acc_bid ON acc (bid)")
	mustExec(t, c, "INSERT INTO acc SELECT g, 0, 0, '' FROM generate_series(-10, -1) g")
	const rows = bulkRows / 2
	check := func(c *pgx.Conn, what string) {
		t.Helper()
		var count, sum, bid int64
		if err := c.QueryRow(ctx, "SELECT count(*), coalesce(sum(aid), 0) FROM acc WHERE aid >= 0").Scan(&count, &sum); err != nil || count != rows || sum != rows*(rows-1)/2 {
			t.Fatalf("%s: count %d sum %d (%v), want %d loaded rows", what, count, sum, err, rows)
		}
		if err := c.QueryRow(ctx, "SELECT count(*) FROM acc WHERE bid = 1").Scan(&bid); err != nil || bid != 100000 {
			t.Fatalf("%s: %d rows with bid 1 by the index, %v", what, bid, err)
		}
	}
	copyIn(t, c, 0, rows)
	if m := metricValue(t, metrics, "helios_storage_merges"); m == 0 {
		t.Fatal("helios_storage_merges is 0 right after the COPY: its move is not running in the background")
	}
	check(n.connect(t), "another session right after the COMMIT")
	n.kill()
	n.start()
	c = n.connect(t)
	check(c, "after kill -9 during the move")
	eventually(t, 5*time.Minute, "the move finished after the restart", func() (bool, string) {
		m := metricValue(t, metrics, "helios_storage_merges")
		return m == 0, fmt.Sprintf("helios_storage_merges %v", m)
	})
	check(c, "after the move")
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	if got := dataBuckets(t, n); len(got) != 2 {
		t.Fatalf("storage holds %d table/index buckets %v; want 2 (acc and acc_bid)", len(got), got)
	}
}

// TestCopyBesideWritersQueues: a COPY into a table with rows and another
// session's INSERT or UPDATE of the same key wait for one another as in
// PostgreSQL — the second waits for the first and then gets 23505 or
// succeeds — and never both, which was a 40P01 (sql/exec/copylocks.go:
// the load's claim on a key whose row lock another writer holds is pending
// while it waits, and that writer does not wait for the load).
func TestCopyBesideWritersQueues(t *testing.T) {
	n := newNode(t)
	n.start()
	ctx := context.Background()
	a, b := n.connect(t), n.connect(t)
	mustExec(t, a, "CREATE TABLE cl (k int PRIMARY KEY, v text)")
	mustExec(t, a, "INSERT INTO cl VALUES (100, 'before')")
	copyRows := func(c *pgx.Conn, rows string) error {
		_, err := c.PgConn().CopyFrom(ctx, strings.NewReader(rows), "COPY cl FROM STDIN")
		return err
	}
	async := func(fn func() error) chan error {
		ch := make(chan error, 1)
		go func() { ch <- fn() }()
		return ch
	}
	waiting := func(ch chan error, what string) {
		t.Helper()
		select {
		case err := <-ch:
			t.Fatalf("%s did not wait: %v", what, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
	want := func(ch chan error, code, what string) {
		t.Helper()
		select {
		case err := <-ch:
			if sqlState(err) != code {
				t.Fatalf("%s: %v, want %q", what, err, code)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s still waits", what)
		}
	}

	// A load that wrote key 2 waits for nobody when it writes 2 again,
	// though a writer of 2 waits for it: 23505 (PostgreSQL's answer), not
	// a deadlock; the writer then goes on.
	mustExec(t, a, "BEGIN")
	if err := copyRows(a, "1\ta\n2\ta\n3\ta\n"); err != nil {
		t.Fatal(err)
	}
	w := async(func() error { _, err := b.Exec(ctx, "INSERT INTO cl VALUES (2, 'w')"); return err })
	waiting(w, "an INSERT of a key an uncommitted COPY wrote")
	if err := copyRows(a, "2\tagain\n"); sqlState(err) != "23505" {
		t.Fatalf("the load writing its own key again while a writer waits for it: %v, want 23505", err)
	}
	mustExec(t, a, "ROLLBACK")
	want(w, "", "the INSERT after the load rolled back")

	// The load first: the writer waits for it, then 23505.
	mustExec(t, a, "BEGIN")
	if err := copyRows(a, "7\ta\n"); err != nil {
		t.Fatal(err)
	}
	w = async(func() error { _, err := b.Exec(ctx, "INSERT INTO cl VALUES (7, 'w')"); return err })
	waiting(w, "an INSERT of a key an uncommitted COPY wrote")
	mustExec(t, a, "COMMIT")
	want(w, "23505", "the INSERT after the load committed")

	// The writer first (INSERT, then UPDATE to a new key): the load waits
	// for it, then 23505.
	for _, write := range []string{"INSERT INTO cl VALUES (8, 'w')", "UPDATE cl SET k = 9 WHERE k = 100"} {
		key := write[strings.IndexAny(write, "89")]
		mustExec(t, b, "BEGIN")
		mustExec(t, b, write)
		l := async(func() error {
			tx, err := a.Begin(ctx)
			if err != nil {
				return err
			}
			defer tx.Rollback(ctx)
			if err := copyRows(a, "50\tx\n"+string(key)+"\tload\n"); err != nil {
				return err
			}
			return tx.Commit(ctx)
		})
		waiting(l, "a COPY of a key an uncommitted "+write+" wrote")
		mustExec(t, b, "COMMIT")
		want(l, "23505", "the COPY after "+write+" committed")
	}

	// Both at once, many times: one of them wins, the other gets 23505.
	for i := 0; i < 40; i++ {
		k := 1000 + i
		w := async(func() error {
			_, err := b.Exec(ctx, fmt.Sprintf("INSERT INTO cl VALUES (%d, 'w')", k))
			return err
		})
		lerr := copyRows(a, fmt.Sprintf("%d\tx\n%d\tload\n", k+100000, k))
		werr := <-w
		if sqlState(lerr) == "40P01" || sqlState(werr) == "40P01" {
			t.Fatalf("round %d: COPY %v, INSERT %v: a deadlock", i, lerr, werr)
		}
		if (lerr == nil) == (werr == nil) || sqlState(lerr)+sqlState(werr) != "23505" {
			t.Fatalf("round %d: COPY %v, INSERT %v: want one success and one 23505", i, lerr, werr)
		}
	}
}
