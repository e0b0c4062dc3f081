package tests

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
	"github.com/heliosdb/nano/proxy"
	"github.com/heliosdb/nano/proxy/config"
)

// Regression tests for #12 point 5: temporary tables. Each session's live
// in a private file the node unlinks at once (sql/exec/temp.go); these
// tests check from outside what that must give: one session never sees
// another's, nothing reaches the WAL or a standby, the tables go when the
// session ends however it ends, and heliosdb-proxy keeps a session that
// made one on the primary.

// tempFiles counts the temporary-table files the node process holds open
// (they are unlinked: /proc shows them as "(deleted)").
func tempFiles(t *testing.T, n *nodeProc) int {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", n.cmd.Process.Pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("list the node's files: %v", err)
	}
	count := 0
	for _, e := range ents {
		if target, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && strings.Contains(target, "temptables-") {
			count++
		}
	}
	return count
}

func queryString(t *testing.T, c *pgx.Conn, sql string, args ...any) string {
	t.Helper()
	var s string
	if err := c.QueryRow(context.Background(), sql, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestTempTablesAreSessionLocal(t *testing.T) {
	n := newNode(t)
	n.start()
	ctx := context.Background()
	a, b := n.connect(t), n.connect(t)
	mustExec(t, a, "CREATE TABLE shared (x text)")
	mustExec(t, a, "INSERT INTO shared VALUES ('permanent')")

	before := n.mustStatus(t).current()
	mustExec(t, a, "CREATE TEMP TABLE tt (id serial PRIMARY KEY, v text UNIQUE)")
	mustExec(t, a, "INSERT INTO tt (v) SELECT 'a' || g FROM generate_series(1, 100) g")
	mustExec(t, a, "CREATE TEMP TABLE shared (x text)") // shadows the permanent one in a only
	mustExec(t, a, "INSERT INTO shared VALUES ('a''s own')")
	mustExec(t, a, "CREATE INDEX ON tt (v)")
	mustExec(t, a, "UPDATE tt SET v = v || '!' WHERE id <= 10")
	mustExec(t, a, "TRUNCATE shared")
	mustExec(t, a, "INSERT INTO shared VALUES ('a''s own')")
	mustExec(t, a, "CREATE TEMP TABLE loaded (id int PRIMARY KEY)")
	rows := pgx.CopyFromSlice(20000, func(i int) ([]any, error) { return []any{i}, nil })
	if got, err := a.CopyFrom(ctx, pgx.Identifier{"loaded"}, []string{"id"}, rows); err != nil || got != 20000 {
		t.Fatalf("COPY into a temporary table: %d, %v", got, err)
	}
	mustExec(t, a, "ALTER TABLE loaded RENAME TO loaded2") // stays in a's temporary schema
	if after := n.mustStatus(t).current(); after != before {
		t.Fatalf("temporary-table work moved the WAL from %d to %d", before, after)
	}
	mustExec(t, b, "INSERT INTO shared VALUES ('control')") // the measure can move
	if after := n.mustStatus(t).current(); after == before {
		t.Fatal("a permanent insert did not move the WAL position: the check above proves nothing")
	}

	if got := queryString(t, a, "SELECT string_agg(x, ',') FROM shared"); got != "a's own" {
		t.Fatalf("a reads shared = %q, want its temporary table", got)
	}
	if got := queryString(t, b, "SELECT string_agg(x, ',' ORDER BY x) FROM shared"); got != "control,permanent" {
		t.Fatalf("b reads shared = %q, want the permanent table", got)
	}
	if _, err := b.Exec(ctx, "SELECT * FROM tt"); sqlState(err) != "42P01" {
		t.Fatalf("b reads a's temporary table: %v, want 42P01", err)
	}
	if got := queryString(t, b, "SELECT count(*)::text FROM pg_class WHERE relname = 'tt'"); got != "0" {
		t.Fatalf("b's pg_class shows %s of a's relations", got)
	}
	mustExec(t, b, "CREATE TEMP TABLE tt (other int)") // the same name, b's own
	mustExec(t, b, "INSERT INTO tt VALUES (7)")
	if got := queryString(t, b, "SELECT string_agg(other::text, ',') FROM tt"); got != "7" {
		t.Fatalf("b's tt = %q", got)
	}
	if got := queryString(t, a, "SELECT count(*)::text FROM tt"); got != "100" {
		t.Fatalf("a's tt has %s rows after b made its own", got)
	}
	aSchema := queryString(t, a, "SELECT pg_my_temp_schema()::text")
	if bSchema := queryString(t, b, "SELECT pg_my_temp_schema()::text"); aSchema == bSchema || aSchema == "0" {
		t.Fatalf("temporary schemas a %s, b %s", aSchema, bSchema)
	}
	if got := queryString(t, b, "SELECT pg_is_other_temp_schema($1::text::oid)::text", aSchema); got != "true" {
		t.Fatalf("b: pg_is_other_temp_schema(a's) = %s", got)
	}
	if got := queryString(t, a, "SELECT pg_is_other_temp_schema($1::text::oid)::text", aSchema); got != "false" {
		t.Fatalf("a: pg_is_other_temp_schema(its own) = %s", got)
	}
	if got := queryString(t, a, "SELECT count(*)::text FROM loaded2"); got != "20000" {
		t.Fatalf("a's loaded table has %s rows", got)
	}
	if _, err := b.Exec(ctx, "SELECT * FROM loaded2"); sqlState(err) != "42P01" {
		t.Fatalf("b reads a's renamed temporary table: %v, want 42P01", err)
	}
	if got := tempFiles(t, n); got != 2 {
		t.Fatalf("%d temporary-table files open with two sessions holding tables", got)
	}

	// A clean end (Terminate) and a dead connection both drop the tables.
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "a's temporary tables dropped after its Terminate", func() (bool, string) {
		got := tempFiles(t, n)
		return got == 1, strconv.Itoa(got) + " files open"
	})
	if err := b.PgConn().Conn().Close(); err != nil { // no Terminate: the socket just goes
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "b's temporary tables dropped after its connection died", func() (bool, string) {
		got := tempFiles(t, n)
		return got == 0, strconv.Itoa(got) + " files open"
	})
	c := n.connect(t)
	if got := queryString(t, c, "SELECT string_agg(x, ',' ORDER BY x) FROM shared"); got != "control,permanent" {
		t.Fatalf("a new session reads shared = %q", got)
	}
	if got := queryString(t, c, "SELECT count(*)::text FROM pg_class WHERE relpersistence = 't'"); got != "0" {
		t.Fatalf("a new session sees %s temporary relations", got)
	}
}

// TestTempTablesKill9: a node killed while sessions hold temporary tables
// restarts with none of them, and none of their files.
func TestTempTablesKill9(t *testing.T) {
	n := newNode(t)
	n.start()
	c := n.connect(t)
	mustExec(t, c, "CREATE TEMP TABLE doomed (id int PRIMARY KEY, v text)")
	mustExec(t, c, "INSERT INTO doomed SELECT g, 'x' FROM generate_series(1, 1000) g")
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "CREATE TEMP TABLE doomed2 AS SELECT * FROM doomed")
	if got := tempFiles(t, n); got != 1 {
		t.Fatalf("%d temporary-table files open", got)
	}
	n.kill()
	n.start()
	c = n.connect(t)
	if got := queryString(t, c, "SELECT count(*)::text FROM pg_class WHERE relname LIKE 'doomed%' OR relpersistence = 't'"); got != "0" {
		t.Fatalf("%s temporary relations survived kill -9", got)
	}
	if _, err := c.Exec(context.Background(), "SELECT * FROM doomed"); sqlState(err) != "42P01" {
		t.Fatalf("doomed after kill -9: %v", err)
	}
	var left []string
	filepath.WalkDir(n.dataDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), "temptables-") {
			left = append(left, p)
		}
		return nil
	})
	if len(left) > 0 {
		t.Fatalf("temporary-table files left in the data directory: %v", left)
	}
	mustExec(t, c, "CREATE TEMP TABLE doomed (a int)") // the name is free again
}

// TestTempTablesStandby: a temporary table made on the primary never
// reaches a standby; a standby refuses CREATE TEMP TABLE as PostgreSQL's
// hot standby does (25006), and clearly (0A000) when it forwards writes.
func TestTempTablesStandby(t *testing.T) {
	primary := newPrimary(t, "primary", "async")
	plain := newStandby(t, "standby-plain", primary, "async")
	fwd := newStandby(t, "standby-fwd", primary, "async", "--write-forwarding")
	waitStreaming(t, primary, "standby-plain", "standby-fwd")

	p := primary.connect(t)
	mustExec(t, p, "CREATE TEMP TABLE only_here (a int)")
	mustExec(t, p, "INSERT INTO only_here VALUES (1)")
	mustExec(t, p, "CREATE TABLE marker (a int)") // after the temporary work in WAL order
	waitCaughtUp(t, primary, plain, fwd)
	for _, sb := range []*nodeProc{plain, fwd} {
		c := sb.connect(t)
		if got := queryString(t, c, "SELECT count(*)::text FROM pg_class WHERE relname IN ('only_here', 'marker')"); got != "1" {
			t.Fatalf("standby %s sees %s of only_here and marker, want marker alone", sb.dataDir, got)
		}
	}
	c := plain.connect(t)
	for _, q := range []string{"CREATE TEMP TABLE s (a int)", "CREATE TEMP TABLE s AS SELECT 1 AS a"} {
		if _, err := c.Exec(context.Background(), q); sqlState(err) != "25006" {
			t.Fatalf("%s on a standby: %v, want 25006", q, err)
		}
	}
	f := fwd.connect(t)
	_, err := f.Exec(context.Background(), "CREATE TEMP TABLE s (a int)")
	if sqlState(err) != "0A000" || !strings.Contains(err.Error(), "write forwarding") {
		t.Fatalf("CREATE TEMP TABLE on a forwarding standby: %v, want a clear 0A000", err)
	}
	mustExec(t, f, "INSERT INTO marker VALUES (1)") // the session still forwards writes
}

// TestTempTablesPinThroughProxy: through heliosdb-proxy reading from a
// standby, a session that creates a temporary table runs everything on
// the primary from then on (its reads of the table too); a session that
// made none still reads from the standby.
func TestTempTablesPinThroughProxy(t *testing.T) {
	primary := clustertest.NewMember(t, "primary", clustertest.Options{}, func(c *node.Config) {
		c.Role, c.ReplicationMode = node.RolePrimary, node.ModeAsync
	})
	primary.Start()
	standby := clusterStandby(t, primary)
	standby.Start()
	clustertest.Eventually(t, 20*time.Second, "the standby streams", func() bool {
		_, _, _, connected := standby.Status()
		return connected
	})
	cfg := proxy.Config{Config: config.Defaults()}
	cfg.ListenAddr, cfg.AdminAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.HealthCheckInterval, cfg.FailureThreshold = 100*time.Millisecond, 2
	cfg.ReadFromPrimary, cfg.ReadYourWrites, cfg.ReadConsistency = false, false, config.ConsistencyEventual
	cfg.Nodes = []config.Node{proxyNodeOf(t, primary, config.RolePrimary), proxyNodeOf(t, standby, config.RoleStandby)}
	px, err := proxy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- px.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("proxy run: %v", err)
		}
	})

	c, other := proxyConn(t, px), proxyConn(t, px)
	inRecovery := func(c *pgx.Conn) bool {
		t.Helper()
		var r bool
		if err := c.QueryRow(context.Background(), "SELECT pg_is_in_recovery()").Scan(&r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	clustertest.Eventually(t, 20*time.Second, "the proxy sends reads to the standby", func() bool { return inRecovery(c) })
	mustExec(t, c, "CREATE TEMP TABLE pinned (a int)")
	mustExec(t, c, "INSERT INTO pinned VALUES (1), (2)")
	for i := 0; i < 10; i++ { // round robin would reach the standby within a few reads
		if inRecovery(c) {
			t.Fatal("a session holding a temporary table read from the standby")
		}
		var n int
		if err := c.QueryRow(context.Background(), "SELECT count(*) FROM pinned").Scan(&n); err != nil || n != 2 {
			t.Fatalf("read of the temporary table through the proxy: %d, %v", n, err)
		}
	}
	if !inRecovery(other) {
		t.Fatal("a session without temporary tables was pinned to the primary too")
	}
	if _, err := other.Exec(context.Background(), "SELECT * FROM pinned"); sqlState(err) != "42P01" {
		t.Fatalf("another proxy session reads the temporary table: %v", err)
	}
}

func clusterStandby(t *testing.T, primary *clustertest.Member) *clustertest.Member {
	t.Helper()
	host, port := splitHostPort(t, primary.NativeAddr())
	return clustertest.NewMember(t, "standby", clustertest.Options{}, func(c *node.Config) {
		c.Role, c.ReplicationMode, c.PrimaryHost, c.PrimaryPort = node.RoleStandby, node.ModeAsync, host, port
	})
}

func splitHostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	u, err := url.Parse("//" + addr)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return u.Hostname(), p
}

func proxyNodeOf(t *testing.T, m *clustertest.Member, role string) config.Node {
	t.Helper()
	dsn, err := url.Parse(m.DSN())
	if err != nil {
		t.Fatal(err)
	}
	api, err := url.Parse(m.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(dsn.Port())
	httpPort, _ := strconv.Atoi(api.Port())
	return config.Node{Name: m.Name, Host: dsn.Hostname(), Port: port, Role: role, Enabled: true, HTTPPort: httpPort}
}

func proxyConn(t *testing.T, p *proxy.Proxy) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), proxyDSN(p))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// TestTempViewsSequencesReadOnly: temporary views and sequences (#12
// point 5) are the session's own like its tables — another session never
// sees them, none of them moves the WAL — and a READ ONLY transaction may
// write temporary tables (INSERT, COPY FROM, nextval of a temporary
// sequence) but nothing permanent, as in PostgreSQL.
func TestTempViewsSequencesReadOnly(t *testing.T) {
	n := newNode(t)
	n.start()
	ctx := context.Background()
	a, b := n.connect(t), n.connect(t)
	mustExec(t, a, "CREATE TABLE base (x int)")
	mustExec(t, a, "INSERT INTO base VALUES (1), (2)")

	before := n.mustStatus(t).current()
	mustExec(t, a, "CREATE TEMP TABLE tt (id int PRIMARY KEY, v text)")
	mustExec(t, a, "CREATE TEMP SEQUENCE ts START 100")
	mustExec(t, a, "CREATE TEMP VIEW tv AS SELECT x FROM base WHERE x > 1")
	mustExec(t, a, "CREATE VIEW auto_tv AS SELECT v FROM tt") // reads a temporary table: temporary too
	tx, err := a.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO tt VALUES (nextval('ts'), 'ro')"); err != nil {
		t.Fatalf("INSERT into a temporary table in a READ ONLY transaction: %v", err)
	}
	rows := pgx.CopyFromSlice(1000, func(i int) ([]any, error) { return []any{1000 + i, "copied"}, nil })
	if got, err := tx.CopyFrom(ctx, pgx.Identifier{"tt"}, []string{"id", "v"}, rows); err != nil || got != 1000 {
		t.Fatalf("COPY into a temporary table in a READ ONLY transaction: %d, %v", got, err)
	}
	if _, err := tx.Exec(ctx, "SAVEPOINT s"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO base VALUES (3)"); sqlState(err) != "25006" {
		t.Fatalf("INSERT into a permanent table in a READ ONLY transaction: %v, want 25006", err)
	}
	if _, err := tx.Exec(ctx, "ROLLBACK TO s"); err != nil {
		t.Fatal(err)
	}
	rows = pgx.CopyFromSlice(1, func(int) ([]any, error) { return []any{3}, nil })
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"base"}, []string{"x"}, rows); sqlState(err) != "25006" {
		t.Fatalf("COPY into a permanent table in a READ ONLY transaction: %v, want 25006", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	mustExec(t, a, "BEGIN READ ONLY")
	mustExec(t, a, "INSERT INTO tt VALUES (nextval('ts'), 'kept')")
	mustExec(t, a, "COMMIT")
	if got := queryString(t, a, "SELECT string_agg(id::text || v, ',') FROM auto_tv JOIN tt USING (v)"); got != "101kept" {
		t.Fatalf("a's temporary view over its temporary table = %q", got)
	}
	if got := queryString(t, a, "SELECT string_agg(x::text, ',') FROM tv"); got != "2" {
		t.Fatalf("a's temporary view = %q", got)
	}
	if after := n.mustStatus(t).current(); after != before {
		t.Fatalf("temporary views, sequences and rows moved the WAL from %d to %d", before, after)
	}

	for _, q := range []string{"SELECT * FROM tv", "SELECT * FROM auto_tv", "SELECT nextval('ts')"} {
		if _, err := b.Exec(ctx, q); sqlState(err) != "42P01" {
			t.Fatalf("b: %s: %v, want 42P01", q, err)
		}
	}
	mustExec(t, b, "CREATE TEMP SEQUENCE ts") // the same names, b's own
	mustExec(t, b, "CREATE TEMP VIEW tv AS SELECT 'b' AS x")
	if got := queryString(t, b, "SELECT nextval('ts')::text || x FROM tv"); got != "1b" {
		t.Fatalf("b's own temporary sequence and view: %q", got)
	}
	if got := queryString(t, a, "SELECT nextval('ts')::text"); got != "102" {
		t.Fatalf("a's sequence after b made its own: %s", got)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	c := n.connect(t)
	eventually(t, 10*time.Second, "a's temporary relations gone after it ended", func() (bool, string) {
		got := queryString(t, c, "SELECT count(*)::text FROM pg_class WHERE relname IN ('tt', 'ts', 'tv', 'auto_tv')")
		return got == "0", got + " left"
	})
	if _, err := c.Exec(ctx, "SELECT * FROM auto_tv"); sqlState(err) != "42P01" {
		t.Fatalf("a new session reads a's view: %v, want 42P01", err)
	}
}

// TestTempSequenceDefaultOfPermanentTable: a permanent table's DEFAULT
// nextval('ts') of a temporary sequence is bound to that sequence (its OID,
// as in PostgreSQL), not to the name: another session — even one with a
// temporary ts of its own — gets PostgreSQL's 0A000 instead of a value of
// its own sequence; when the creating session ends, the default goes with
// the sequence (the column keeps working, without a default); and after
// kill -9, where no session ends, the restarted primary drops such
// defaults itself before a new session's temporary sequence could take
// the dead one's identity.
func TestTempSequenceDefaultOfPermanentTable(t *testing.T) {
	n := newNode(t)
	n.start()
	ctx := context.Background()
	a, b := n.connect(t), n.connect(t)
	mustExec(t, a, "CREATE TEMP SEQUENCE ts START 100")
	mustExec(t, a, "CREATE TABLE p (a int DEFAULT nextval('ts'), n int)")
	mustExec(t, a, "INSERT INTO p (n) VALUES (1)")
	for _, own := range []bool{false, true} {
		if own {
			mustExec(t, b, "CREATE TEMP SEQUENCE ts START 1000")
		}
		_, err := b.Exec(ctx, "INSERT INTO p (n) VALUES (2)")
		if sqlState(err) != "0A000" || !strings.Contains(err.Error(), "cannot access temporary tables of other sessions") {
			t.Fatalf("another session (own ts: %v) inserting with a's temporary sequence as the default: %v, want 0A000", own, err)
		}
	}
	if got := queryString(t, b, "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'p'::regclass"); !strings.HasPrefix(got, "nextval('pg_temp_") {
		t.Fatalf("p's default seen by another session: %s", got)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "p's default dropped with a's temporary sequence", func() (bool, string) {
		got := queryString(t, b, "SELECT count(*)::text FROM pg_attrdef WHERE adrelid = 'p'::regclass")
		return got == "0", got + " defaults"
	})
	mustExec(t, b, "INSERT INTO p (n) VALUES (3)")
	if got := queryString(t, b, "SELECT string_agg(coalesce(a::text, 'null') || ':' || n, ',' ORDER BY n) FROM p"); got != "100:1,null:3" {
		t.Fatalf("p = %s, want 100:1,null:3", got)
	}
	if got := queryString(t, b, "SELECT nextval('ts')::text"); got != "1000" {
		t.Fatalf("b's own temporary sequence was used by p's default: nextval = %s", got)
	}

	// kill -9: no session ends; the restarted node drops the dead binding.
	c := n.connect(t)
	mustExec(t, c, "CREATE TEMP SEQUENCE ts START 100")
	mustExec(t, c, "CREATE TABLE q (a int DEFAULT nextval('ts'), n int)")
	mustExec(t, c, "INSERT INTO q (n) VALUES (1)")
	n.kill()
	n.start()
	d := n.connect(t)
	mustExec(t, d, "CREATE TEMP SEQUENCE ts START 5000") // the same slot and name as c's
	_, err := d.Exec(ctx, "INSERT INTO q (n) VALUES (2)")
	if err != nil && sqlState(err) != "0A000" {
		t.Fatalf("insert into q after kill -9: %v", err)
	}
	eventually(t, 10*time.Second, "q's default dropped after kill -9", func() (bool, string) {
		got := queryString(t, d, "SELECT count(*)::text FROM pg_attrdef WHERE adrelid = 'q'::regclass")
		return got == "0", got + " defaults"
	})
	mustExec(t, d, "INSERT INTO q (n) VALUES (3)")
	if got := queryString(t, d, "SELECT string_agg(coalesce(a::text, 'null') || ':' || n, ',' ORDER BY n) FROM q WHERE n <> 2"); got != "100:1,null:3" {
		t.Fatalf("q = %s, want 100:1,null:3", got)
	}
	if got := queryString(t, d, "SELECT coalesce(max(a), 0)::text FROM q"); got == "5000" {
		t.Fatalf("q's default used the new session's temporary sequence")
	}
	if got := queryString(t, d, "SELECT nextval('ts')::text"); got != "5000" {
		t.Fatalf("d's own temporary sequence was used by q's default: nextval = %s", got)
	}
}
