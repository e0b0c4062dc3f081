package proxy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/heliosdb/nano/proxy"
)

// noPrimaryReads keeps reads on the standbys, so a session's reads and
// writes use different backends.
func noPrimaryReads(c *proxy.Config) { c.ReadFromPrimary = false }

func TestTransactionsPinned(t *testing.T) {
	c := startCluster(t)
	tp := startProxy(t, c, noPrimaryReads)
	conn := tp.conn()
	ctx := context.Background()
	mustExec(t, conn, "CREATE TABLE tx (id int PRIMARY KEY, v text)")
	c.WaitCaughtUp() // sync commits wait for the standby's flush, not its apply

	reader := tp.conn() // a fresh session reads on a standby
	if n := servedBy(t, reader); n == "primary" {
		t.Fatalf("read served by %s with read_from_primary off", n)
	}
	// A read-write transaction runs entirely on the primary, reads included.
	tx, err := reader.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := servedByTx(t, tx); n != "primary" {
		t.Errorf("read inside BEGIN served by %s", n)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO tx VALUES (1, 'a')"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := tx.QueryRow(ctx, "SELECT v FROM tx WHERE id = 1").Scan(&v); err != nil || v != "a" {
		t.Fatalf("read your own uncommitted write: %q %v", v, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	// A rolled-back transaction left nothing.
	var n int
	if err := c.Primary.Conn().QueryRow(ctx, "SELECT count(*) FROM tx").Scan(&n); err != nil || n != 0 {
		t.Fatalf("after rollback: %d rows, %v", n, err)
	}

	// BEGIN READ ONLY stays on one standby from BEGIN to COMMIT.
	ro := tp.conn()
	rtx, err := ro.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	first := servedByTx(t, rtx)
	for range 3 {
		if n := servedByTx(t, rtx); n != first || n == "primary" {
			t.Errorf("read-only transaction on %s then %s", first, n)
		}
	}
	if _, err := rtx.Exec(ctx, "INSERT INTO tx VALUES (2, 'b')"); pgCode(err) != "25006" {
		t.Errorf("write in a read-only transaction: %v", err)
	}
	if err := rtx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if n := servedBy(t, ro); n != first {
		t.Errorf("after the transaction the session moved from %s to %s", first, n)
	}

	// A failed transaction stays pinned until ROLLBACK, with status E.
	mustExec(t, conn, "BEGIN")
	if _, err := conn.Exec(ctx, "SELECT * FROM nosuchtable"); pgCode(err) != "42P01" {
		t.Fatalf("error in transaction: %v", err)
	}
	if conn.PgConn().TxStatus() != 'E' {
		t.Errorf("tx status = %c, want E", conn.PgConn().TxStatus())
	}
	mustExec(t, conn, "ROLLBACK")
	if conn.PgConn().TxStatus() != 'I' {
		t.Errorf("tx status = %c, want I", conn.PgConn().TxStatus())
	}
}

func servedByTx(t *testing.T, tx pgx.Tx) string {
	t.Helper()
	var id string
	if err := tx.QueryRow(context.Background(), "SELECT node_id FROM helios_replication_status").Scan(&id); err != nil {
		t.Fatalf("node_id: %v", err)
	}
	return id
}

// TestExtendedProtocol drives pgx's statement cache, named prepared
// statements and batches through the proxy, moving a session between a
// standby and the primary so statements must be re-prepared.
func TestExtendedProtocol(t *testing.T) {
	c := startCluster(t)
	tp := startProxy(t, c, noPrimaryReads)
	ctx := context.Background()
	setup := tp.conn()
	mustExec(t, setup, "CREATE TABLE ext (id int PRIMARY KEY, v text)")
	mustExec(t, setup, "INSERT INTO ext VALUES ($1, $2), ($3, $4)", 1, "one", 2, "two")
	c.WaitCaughtUp()

	conn := tp.conn()
	const q = "SELECT v, node_id FROM ext, helios_replication_status WHERE id = $1"
	var v, node string
	if err := conn.QueryRow(ctx, q, 1).Scan(&v, &node); err != nil || v != "one" || node == "primary" {
		t.Fatalf("cached statement on a standby: %q %q %v", v, node, err)
	}
	if _, err := conn.Prepare(ctx, "byid", "SELECT v FROM ext WHERE id = $1"); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "byid", 2).Scan(&v); err != nil || v != "two" {
		t.Fatalf("named statement: %q %v", v, err)
	}
	// A write moves the session's reads to the primary (read-your-writes);
	// both statements must now be re-prepared there.
	if _, err := conn.Exec(ctx, "INSERT INTO ext VALUES ($1, $2)", 3, "three"); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, q, 3).Scan(&v, &node); err != nil || v != "three" || node != "primary" {
		t.Fatalf("cached statement after the write: %q %q %v", v, node, err)
	}
	if err := conn.QueryRow(ctx, "byid", 3).Scan(&v); err != nil || v != "three" {
		t.Fatalf("named statement after the write: %q %v", v, err)
	}
	// A batch: several statements, one Sync.
	b := &pgx.Batch{}
	b.Queue("INSERT INTO ext VALUES ($1, $2)", 4, "four")
	b.Queue("SELECT v FROM ext WHERE id = $1", 4)
	b.Queue("byid", 1)
	br := conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"four", "one"} {
		if err := br.QueryRow().Scan(&v); err != nil || v != want {
			t.Fatalf("batch read: %q %v, want %q", v, err, want)
		}
	}
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}
	// Deallocating works on whichever backend holds the statement.
	if err := conn.Deallocate(ctx, "byid"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "byid", 1); err == nil {
		t.Error("a deallocated statement still runs")
	}
	// Errors inside a batch skip to Sync and leave the session usable.
	if _, err := conn.Exec(ctx, "SELECT v FROM nosuch WHERE id = $1", 1); pgCode(err) != "42P01" {
		t.Errorf("error: %v", err)
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec} {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM ext WHERE id > $1", mode, 0).Scan(&n); err != nil || n != 4 {
			t.Errorf("mode %v: %d %v", mode, n, err)
		}
	}
}

// TestSetReplayed: a SET made while the session used one backend holds on
// every backend the session uses later.
func TestSetReplayed(t *testing.T) {
	c := startCluster(t)
	tp := startProxy(t, c, noPrimaryReads)
	ctx := context.Background()
	conn := tp.conn()
	mustExec(t, conn, "SET TimeZone = 'Europe/Paris'")
	mustExec(t, conn, "BEGIN")
	mustExec(t, conn, "SET application_name = 'rolled-back'")
	mustExec(t, conn, "ROLLBACK")
	mustExec(t, conn, "CREATE TABLE s (id int)") // on the primary: a new backend
	var tz, app, node string
	err := conn.QueryRow(ctx, "SELECT current_setting('TimeZone'), current_setting('application_name'), node_id FROM helios_replication_status").
		Scan(&tz, &app, &node)
	if err != nil || tz != "Europe/Paris" || app == "rolled-back" || node != "primary" {
		t.Errorf("on the primary: TimeZone %q, application_name %q, node %q, %v", tz, app, node, err)
	}
	if got := conn.PgConn().ParameterStatus("TimeZone"); got != "Europe/Paris" {
		t.Errorf("ParameterStatus TimeZone = %q", got)
	}
}

// TestWriteTimeout: with the primary down a write waits; it succeeds when
// the primary returns in time and fails with 57P03 after
// write_timeout_secs; reads keep working on the standbys meanwhile, and
// the session stays usable. The timeout is generous because a restarted
// node on a loaded 2-core machine took 2.1–6 s to open its WAL (the last
// segment is scanned): the restart must land inside the wait. The failing
// write's bound scales with it, and automatic failover waits longer than
// the write so that the outage ends in 57P03, not in a promotion.
func TestWriteTimeout(t *testing.T) {
	const writeTimeout = 12 * time.Second
	c := startCluster(t)
	tp := startProxy(t, c, func(cfg *proxy.Config) {
		cfg.WriteTimeout = writeTimeout
		cfg.FailoverTimeout = 3 * writeTimeout
	})
	ctx := context.Background()
	conn := tp.conn()
	mustExec(t, conn, "CREATE TABLE wt (id int PRIMARY KEY)")
	reader := tp.conn()
	servedBy(t, reader)

	c.Primary.Stop()
	// Reads continue on the standbys, in this session and in new ones.
	for range 3 {
		if n := servedBy(t, tp.conn()); n == "primary" {
			t.Fatal("read served by the stopped primary")
		}
	}

	// The primary comes back within the timeout: the write waits and succeeds.
	errc := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := conn.Exec(ctx, "INSERT INTO wt VALUES (1)")
		errc <- err
	}()
	time.Sleep(700 * time.Millisecond)
	c.Primary.Start()
	if err := <-errc; err != nil {
		t.Fatalf("write during the outage: %v", err)
	}
	if waited := time.Since(start); waited < 600*time.Millisecond {
		t.Errorf("write did not wait (%v)", waited)
	}
	if tp.metric("heliosdb_proxy_write_timeout_waits_total", `outcome="ok"`) < 1 {
		t.Error("no successful wait counted")
	}

	// The primary stays down: the write fails with 57P03 after the timeout.
	c.Primary.Stop()
	start = time.Now()
	_, err := conn.Exec(ctx, "INSERT INTO wt VALUES (2)")
	if pgCode(err) != "57P03" {
		t.Fatalf("write with no primary: %v", err)
	}
	if waited := time.Since(start); waited < writeTimeout || waited > writeTimeout+3*time.Second {
		t.Errorf("failed after %v, want about %v", waited, writeTimeout)
	}
	t.Logf("error: %v", err)
	// The session is still usable: a read works at once.
	if n := servedBy(t, conn); n == "primary" {
		t.Errorf("read after the timeout served by %s", n)
	}
	if tp.metric("heliosdb_proxy_write_timeout_waits_total", `outcome="timeout"`) != 1 {
		t.Error("timeout not counted")
	}
	c.Primary.Start()
	mustExec(t, conn, "INSERT INTO wt VALUES (3)")
}

// TestCancelDuringWait: a CancelRequest ends a write's wait with 57014
// and the session stays usable.
func TestCancelDuringWait(t *testing.T) {
	c := startCluster(t)
	tp := startProxy(t, c, func(cfg *proxy.Config) { cfg.WriteTimeout = 10 * time.Second })
	conn := tp.conn()
	ctx := context.Background()
	c.Primary.Stop()
	go func() {
		time.Sleep(300 * time.Millisecond)
		if err := conn.PgConn().CancelRequest(ctx); err != nil {
			t.Errorf("cancel request: %v", err)
		}
	}()
	start := time.Now()
	_, err := conn.Exec(ctx, "CREATE TABLE never (id int)")
	if pgCode(err) != "57014" || time.Since(start) > 5*time.Second {
		t.Fatalf("cancelled write: %v after %v", err, time.Since(start))
	}
	if tp.metric("heliosdb_proxy_write_timeout_waits_total", `outcome="canceled"`) != 1 {
		t.Error("cancel not counted")
	}
	if n := servedBy(t, conn); n == "primary" {
		t.Errorf("read after the cancel served by %s", n)
	}
}

// TestCancelForwarded: a CancelRequest sent to the proxy reaches the node
// running the session's statement.
func TestCancelForwarded(t *testing.T) {
	c := startCluster(t)
	tp := startProxy(t, c, nil)
	ctx := context.Background()
	conn := tp.conn()
	mustExec(t, conn, "CREATE TABLE big (id int)")
	var values []string
	for i := range 200 {
		values = append(values, fmt.Sprintf("(%d)", i))
	}
	mustExec(t, conn, "INSERT INTO big VALUES "+strings.Join(values, ","))
	go func() {
		time.Sleep(300 * time.Millisecond)
		if err := conn.PgConn().CancelRequest(ctx); err != nil {
			t.Errorf("cancel request: %v", err)
		}
	}()
	start := time.Now()
	var n int64
	err := conn.QueryRow(ctx, "SELECT count(*) FROM big a, big b, big c, big d").Scan(&n)
	if pgCode(err) != "57014" {
		t.Fatalf("long query: %d, %v after %v", n, err, time.Since(start))
	}
	t.Logf("cancelled after %v: %v", time.Since(start), err)
	if n := servedBy(t, conn); n != "primary" {
		t.Errorf("session moved to %s", n)
	}
}

// TestContextCancelOfPgSleep (issue 16): pgx configured to send a
// CancelRequest when its context is cancelled — as pg_cancel_backend would
// from another session, but for the proxy's own BackendKeyData — stops a
// pg_sleep(30) through the proxy with 57014 within a second, and the
// session stays usable.
func TestContextCancelOfPgSleep(t *testing.T) {
	c := startCluster(t)
	tp := startProxy(t, c, nil)
	cfg, err := pgx.ParseConfig(tp.dsn())
	if err != nil {
		t.Fatal(err)
	}
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: 10 * time.Second}
	}
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	const after = 500 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), after)
	defer cancel()
	start := time.Now()
	_, err = conn.Exec(ctx, "SELECT pg_sleep(30)")
	took := time.Since(start) - after
	if pgCode(err) != "57014" {
		t.Fatalf("SELECT pg_sleep(30) through the proxy, context cancelled: %v after %v; want 57014", err, took)
	}
	if took > time.Second {
		t.Fatalf("57014 came %v after the context was cancelled, want within 1s", took)
	}
	t.Logf("57014 %v after the context was cancelled: %v", took, err)
	var one int
	if err := conn.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("the session after the cancel: %d, %v", one, err)
	}
}
