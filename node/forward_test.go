package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
)

// forwardingCluster starts a cluster whose standbys forward writes.
func forwardingCluster(t testing.TB, timeout time.Duration) *clustertest.Cluster {
	t.Helper()
	return clustertest.Start(t, clustertest.Options{Mutate: func(name string, c *node.Config) {
		c.WriteForwarding = true
		if timeout > 0 {
			c.WriteForwardingTimeout = timeout
		}
	}})
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func mustExec(t *testing.T, c *pgx.Conn, sql string, args ...any) pgconn.CommandTag {
	t.Helper()
	tag, err := c.Exec(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return tag
}

func count(t *testing.T, c interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := c.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestWriteForwarding(t *testing.T) {
	c := forwardingCluster(t, 0)
	ctx := context.Background()
	c.Primary.Exec("CREATE TABLE t (id INT PRIMARY KEY, v TEXT, n NUMERIC(10,2), at TIMESTAMPTZ)")
	c.WaitCaughtUp()

	for _, sb := range []*clustertest.Member{c.Sync, c.Async} {
		conn := sb.Conn()
		base := map[*clustertest.Member]int{c.Sync: 0, c.Async: 1000}[sb]
		id := func(i int) int { return base + i }

		t.Run(sb.Name+"/simple", func(t *testing.T) {
			tag, err := conn.Exec(ctx, fmt.Sprintf("INSERT INTO t (id, v) VALUES (%d, 'simple')", id(1)), pgx.QueryExecModeSimpleProtocol)
			if err != nil || tag.String() != "INSERT 0 1" {
				t.Fatalf("insert = %q, %v", tag, err)
			}
			// Read-your-writes on the same standby connection, at once.
			var v string
			if err := conn.QueryRow(ctx, "SELECT v FROM t WHERE id = $1", id(1)).Scan(&v); err != nil || v != "simple" {
				t.Fatalf("read back = %q, %v", v, err)
			}
		})

		t.Run(sb.Name+"/extended", func(t *testing.T) {
			at := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
			mustExec(t, conn, "INSERT INTO t VALUES ($1, $2, $3, $4)", id(2), "ext", "12.34", at)
			var v, n string
			var got time.Time
			if err := conn.QueryRow(ctx, "SELECT v, n::text, at FROM t WHERE id = $1", id(2)).Scan(&v, &n, &got); err != nil {
				t.Fatal(err)
			}
			if v != "ext" || n != "12.34" || !got.Equal(at) {
				t.Fatalf("read back %q %q %v", v, n, got)
			}
			// RETURNING rows come back from the primary.
			var rid int
			var rv string
			if err := conn.QueryRow(ctx, "UPDATE t SET v = v || '!' WHERE id = $1 RETURNING id, v", id(2)).Scan(&rid, &rv); err != nil || rv != "ext!" || rid != id(2) {
				t.Fatalf("returning = %d %q, %v", rid, rv, err)
			}
		})

		t.Run(sb.Name+"/transaction", func(t *testing.T) {
			before := count(t, conn, "SELECT count(*) FROM t")
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			mustExec(t, tx.Conn(), "INSERT INTO t (id, v) VALUES ($1, 'tx')", id(3))
			// The transaction reads its own uncommitted write (on the primary).
			if n := count(t, tx, "SELECT count(*) FROM t"); n != before+1 {
				t.Fatalf("inside the transaction: %d rows, want %d", n, before+1)
			}
			mustExec(t, tx.Conn(), "UPDATE t SET v = 'tx2' WHERE id = $1", id(3))
			mustExec(t, tx.Conn(), "INSERT INTO t (id, v) VALUES ($1, 'tx')", id(4))
			// Not visible elsewhere before COMMIT.
			if n := count(t, c.Primary.Conn(), "SELECT count(*) FROM t WHERE id IN ($1, $2)", id(3), id(4)); n != 0 {
				t.Fatalf("uncommitted rows visible on the primary: %d", n)
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			var v string
			if err := conn.QueryRow(ctx, "SELECT v FROM t WHERE id = $1", id(3)).Scan(&v); err != nil || v != "tx2" {
				t.Fatalf("after commit = %q, %v", v, err)
			}
			if n := count(t, conn, "SELECT count(*) FROM t"); n != before+2 {
				t.Fatalf("after commit: %d rows, want %d", n, before+2)
			}
		})

		t.Run(sb.Name+"/rollback", func(t *testing.T) {
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			mustExec(t, tx.Conn(), "INSERT INTO t (id, v) VALUES ($1, 'rolled back')", id(5))
			if n := count(t, tx, "SELECT count(*) FROM t WHERE id = $1", id(5)); n != 1 {
				t.Fatalf("own write not visible: %d", n)
			}
			if err := tx.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			if n := count(t, conn, "SELECT count(*) FROM t WHERE id = $1", id(5)); n != 0 {
				t.Fatal("rolled-back row visible on the standby")
			}
			if n := count(t, c.Primary.Conn(), "SELECT count(*) FROM t WHERE id = $1", id(5)); n != 0 {
				t.Fatal("rolled-back row visible on the primary")
			}
		})

		t.Run(sb.Name+"/errors", func(t *testing.T) {
			_, err := conn.Exec(ctx, "INSERT INTO t (id, v) VALUES ($1, 'dup')", id(1))
			if pgCode(err) != "23505" {
				t.Fatalf("duplicate key: %v, want 23505", err)
			}
			// In an explicit transaction the error fails the block, as on the primary.
			tx, _ := conn.Begin(ctx)
			mustExec(t, tx.Conn(), "INSERT INTO t (id, v) VALUES ($1, 'x')", id(6))
			if _, err := tx.Exec(ctx, "INSERT INTO t (id, v) VALUES ($1, 'dup')", id(1)); pgCode(err) != "23505" {
				t.Fatalf("duplicate in transaction: %v", err)
			}
			if _, err := tx.Exec(ctx, "SELECT 1"); pgCode(err) != "25P02" {
				t.Fatalf("after the error: %v, want 25P02", err)
			}
			tx.Rollback(ctx)
			if n := count(t, conn, "SELECT count(*) FROM t WHERE id = $1", id(6)); n != 0 {
				t.Fatal("row of the failed transaction exists")
			}
			// The connection is still usable, and forwarding too.
			mustExec(t, conn, "INSERT INTO t (id, v) VALUES ($1, 'after')", id(6))
			// A transaction the client made read-only is not forwarded.
			tx, _ = conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
			if _, err := tx.Exec(ctx, "INSERT INTO t (id) VALUES ($1)", id(7)); pgCode(err) != "25006" {
				t.Fatalf("write in a read-only transaction: %v, want 25006", err)
			}
			tx.Rollback(ctx)
		})

		t.Run(sb.Name+"/ddl", func(t *testing.T) {
			tbl := "d_" + strings.ReplaceAll(sb.Name, "-", "_")
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			mustExec(t, tx.Conn(), "CREATE TABLE "+tbl+" (k INT PRIMARY KEY, s TEXT)")
			// Parse of a statement on a table that exists only in the
			// forwarded transaction: described by the primary.
			mustExec(t, tx.Conn(), "INSERT INTO "+tbl+" VALUES ($1, $2)", 1, "one")
			if n := count(t, tx, "SELECT count(*) FROM "+tbl); n != 1 {
				t.Fatalf("%d rows inside the transaction", n)
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if n := count(t, conn, "SELECT count(*) FROM "+tbl+" WHERE s = $1", "one"); n != 1 {
				t.Fatalf("%d rows after commit", n)
			}
		})

		t.Run(sb.Name+"/prepare-execute", func(t *testing.T) {
			mustExec(t, conn, "PREPARE ins (int, text) AS INSERT INTO t (id, v) VALUES ($1, $2)", pgx.QueryExecModeSimpleProtocol)
			mustExec(t, conn, fmt.Sprintf("EXECUTE ins (%d, 'prepared')", id(8)), pgx.QueryExecModeSimpleProtocol)
			if n := count(t, conn, "SELECT count(*) FROM t WHERE v = 'prepared' AND id = $1", id(8)); n != 1 {
				t.Fatalf("%d prepared rows", n)
			}
			mustExec(t, conn, "DEALLOCATE ins", pgx.QueryExecModeSimpleProtocol)
		})

		t.Run(sb.Name+"/multi-statement", func(t *testing.T) {
			q := fmt.Sprintf("INSERT INTO t (id, v) VALUES (%d, 'm'); UPDATE t SET v = 'm2' WHERE id = %d; SELECT v FROM t WHERE id = %d", id(9), id(9), id(9))
			rr := conn.PgConn().Exec(ctx, q)
			res, err := rr.ReadAll()
			if err != nil || len(res) != 3 || string(res[2].Rows[0][0]) != "m2" {
				t.Fatalf("results %v, %v", res, err)
			}
		})

		t.Run(sb.Name+"/read-your-writes-loop", func(t *testing.T) {
			for i := 0; i < 30; i++ {
				mustExec(t, conn, "UPDATE t SET v = $1 WHERE id = $2", fmt.Sprint(i), id(1))
				var v string
				if err := conn.QueryRow(ctx, "SELECT v FROM t WHERE id = $1", id(1)).Scan(&v); err != nil || v != fmt.Sprint(i) {
					t.Fatalf("iteration %d: read %q, %v", i, v, err)
				}
			}
		})
	}

	t.Run("http", func(t *testing.T) {
		body, _ := json.Marshal(map[string]any{"sql": "INSERT INTO t (id, v) VALUES ($1, $2)", "params": []any{5000, "http"}})
		req, err := http.NewRequest(http.MethodPost, c.Async.HTTPURL()+"/query", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(c.Async.Cfg.User, c.Async.Cfg.Password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("POST /query on the standby: %s", resp.Status)
		}
		if n := count(t, c.Async.Conn(), "SELECT count(*) FROM t WHERE id = 5000"); n != 1 {
			t.Fatal("HTTP write not visible on the standby right after")
		}
	})

	c.WaitCaughtUp()
	c.SameTables("t")
}

// TestWriteForwardingOff: by default a standby refuses writes with 25006
// and a hint naming its primary.
func TestWriteForwardingOff(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{})
	c.Primary.Exec("CREATE TABLE t (id INT PRIMARY KEY)")
	c.WaitCaughtUp()
	conn := c.Async.Conn()
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
		_, err := conn.Exec(context.Background(), "INSERT INTO t VALUES (1)", mode)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "25006" {
			t.Fatalf("%v: write on a standby: %v, want 25006", mode, err)
		}
		if !strings.Contains(pe.Hint, c.Primary.NativeAddr()) {
			t.Fatalf("hint %q does not name the primary %s", pe.Hint, c.Primary.NativeAddr())
		}
	}
}

// TestWriteForwardingPrimaryDown: with the primary gone, a forwarded write
// fails within the bound with a clear error, and an open forwarded
// transaction fails instead of hanging.
func TestWriteForwardingPrimaryDown(t *testing.T) {
	c := forwardingCluster(t, time.Second)
	ctx := context.Background()
	c.Primary.Exec("CREATE TABLE t (id INT PRIMARY KEY)")
	c.WaitCaughtUp()
	conn := c.Async.Conn()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, tx.Conn(), "INSERT INTO t VALUES (1)")

	c.Primary.Stop()

	start := time.Now()
	_, err = tx.Exec(ctx, "INSERT INTO t VALUES (2)")
	if code := pgCode(err); code != "08006" {
		t.Fatalf("statement of an open forwarded transaction: %v, want 08006", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("the open transaction's failure took %s", took)
	}
	tx.Rollback(ctx)

	start = time.Now()
	_, err = conn.Exec(ctx, "INSERT INTO t VALUES (3)")
	took := time.Since(start)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "08001" || !strings.Contains(pe.Hint, c.Primary.NativeAddr()) {
		t.Fatalf("write with the primary down: %v (hint %q), want 08001 naming the primary", err, hintOf(pe))
	}
	if took > 3*time.Second {
		t.Fatalf("the failure took %s; the bound is 1s", took)
	}
	t.Logf("primary down: %s after %s", pe.Message, took.Round(time.Millisecond))
	// Reads keep working on the standby.
	if n := count(t, conn, "SELECT count(*) FROM t"); n != 0 {
		t.Fatalf("%d rows", n)
	}
}

func hintOf(pe *pgconn.PgError) string {
	if pe == nil {
		return ""
	}
	return pe.Hint
}

// TestWriteForwardingSwitchover: a standby that is re-pointed forwards to
// the new primary; a transaction open on the old one fails cleanly; a
// node that becomes primary writes locally.
func TestWriteForwardingSwitchover(t *testing.T) {
	c := forwardingCluster(t, 2*time.Second)
	ctx := context.Background()
	c.Primary.Exec("CREATE TABLE t (id INT PRIMARY KEY)")
	c.WaitCaughtUp()
	conn := c.Async.Conn()
	syncConn := c.Sync.Conn()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, tx.Conn(), "INSERT INTO t VALUES (1)")

	// Switchover: demote the old primary to follow the sync standby,
	// promote it, re-point the async standby.
	syncHost, syncPort := hostPort(t, c.Sync.NativeAddr())
	if err := c.Primary.Node().Demote(ctx, syncHost, syncPort); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sync.Node().Promote(ctx); err != nil {
		t.Fatal(err)
	}
	// A write on the async standby while it still follows the old
	// primary: refused there ("not the primary"), retried until the
	// standby is re-pointed, then forwarded to the new primary.
	during := make(chan error, 1)
	go func() {
		_, err := c.Async.Conn().Exec(ctx, "INSERT INTO t VALUES (5)")
		during <- err
	}()
	time.Sleep(300 * time.Millisecond)
	if err := c.Async.Node().Demote(ctx, syncHost, syncPort); err != nil {
		t.Fatal(err)
	}
	if err := <-during; err != nil {
		t.Fatalf("write during the switchover: %v", err)
	}

	if err := tx.Commit(ctx); err == nil {
		t.Fatal("a transaction forwarded to the demoted primary committed")
	} else {
		t.Logf("open forwarded transaction at switchover: %v", err)
	}
	mustExec(t, conn, "INSERT INTO t VALUES (2)")
	if n := count(t, conn, "SELECT count(*) FROM t WHERE id = 2"); n != 1 {
		t.Fatal("write forwarded to the new primary not visible")
	}
	// The promoted node writes locally; the old primary now forwards.
	mustExec(t, syncConn, "INSERT INTO t VALUES (3)")
	old := c.Primary.Conn()
	mustExec(t, old, "INSERT INTO t VALUES (4)")
	if n := count(t, old, "SELECT count(*) FROM t WHERE id IN (2, 3, 4, 5)"); n != 4 {
		t.Fatalf("old primary sees %d of 4 rows", n)
	}
	if n := count(t, c.Sync.Conn(), "SELECT count(*) FROM t"); n != 4 {
		t.Fatalf("new primary has %d rows, want 4", n)
	}
}

// TestWriteForwardingConcurrency: autocommit writes forwarded from several
// connections that conflict on one row all succeed (the primary's session
// retries them as for its own clients); a session that disconnects in the
// middle of a forwarded transaction leaves nothing behind.
func TestWriteForwardingConcurrency(t *testing.T) {
	c := forwardingCluster(t, 0)
	ctx := context.Background()
	c.Primary.Exec("CREATE TABLE counter (k INT PRIMARY KEY, n INT)", "INSERT INTO counter VALUES (1, 0)", "CREATE TABLE ser (id SERIAL PRIMARY KEY, v TEXT)")
	c.WaitCaughtUp()
	const workers, each = 4, 25
	errs := make(chan error, workers)
	for i := 0; i < workers; i++ {
		conn := c.Async.Conn()
		go func() {
			for j := 0; j < each; j++ {
				if _, err := conn.Exec(ctx, "UPDATE counter SET n = n + 1 WHERE k = $1", 1); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for i := 0; i < workers; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("forwarded update: %v", err)
		}
	}
	if n := count(t, c.Async.Conn(), "SELECT n FROM counter WHERE k = 1"); n != workers*each {
		t.Fatalf("counter = %d, want %d", n, workers*each)
	}

	// A serial column's nextval runs on the primary.
	if n := count(t, c.Async.Conn(), "INSERT INTO ser (v) VALUES ('a') RETURNING id"); n != 1 {
		t.Fatalf("serial id on the standby = %d", n)
	}
	var nv int64
	err := c.Async.Conn().QueryRow(ctx, "SELECT nextval('ser_id_seq')").Scan(&nv)
	if err != nil || nv < 2 {
		t.Fatalf("SELECT nextval on the standby: %d, %v", nv, err)
	}

	// A client that goes away mid-transaction: the primary rolls back.
	conn := c.Async.Conn()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, tx.Conn(), "INSERT INTO counter VALUES (2, 2)")
	conn.Close(ctx)
	mustExec(t, c.Async.Conn(), "INSERT INTO counter VALUES (3, 3)")
	if n := count(t, c.Primary.Conn(), "SELECT count(*) FROM counter WHERE k = 2"); n != 0 {
		t.Fatal("the abandoned transaction's row exists")
	}
	mustExec(t, c.Async.Conn(), "INSERT INTO counter VALUES (2, 22)")
}
