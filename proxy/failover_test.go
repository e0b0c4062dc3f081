package proxy_test

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
	"github.com/heliosdb/nano/proxy"
	"github.com/heliosdb/nano/proxy/admin"
	"github.com/heliosdb/nano/proxy/config"
)

// writerNode returns the node a write transaction on c runs on.
func writerNode(t *testing.T, c *pgx.Conn) string {
	t.Helper()
	ctx := context.Background()
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	return servedByTx(t, tx)
}

// TestWritesFollowPromotion: after a standby is promoted and the old
// primary demoted through the nodes' own API, writes go to the new
// primary with no proxy restart or configuration change.
func TestWritesFollowPromotion(t *testing.T) {
	c := startCluster(t)
	tp := startProxy(t, c, nil)
	ctx := context.Background()
	conn := tp.conn()
	mustExec(t, conn, "CREATE TABLE p (id int PRIMARY KEY)")
	mustExec(t, conn, "INSERT INTO p VALUES (1)")
	c.WaitCaughtUp()

	if _, err := c.Sync.Node().Promote(ctx); err != nil {
		t.Fatal(err)
	}
	host, portStr, _ := net.SplitHostPort(c.Sync.NativeAddr())
	port, _ := strconv.Atoi(portStr)
	for _, m := range []*clustertest.Member{c.Primary, c.Async} {
		if err := m.Node().Demote(ctx, host, port); err != nil {
			t.Fatalf("demote %s: %v", m.Name, err)
		}
	}
	clustertest.Eventually(t, 10*time.Second, "proxy sees standby-sync as primary", func() bool {
		var nodes []admin.Node
		tp.admin("GET", "/nodes", &nodes)
		return nodes[0].Role == "standby" && nodes[1].Role == "primary" && nodes[1].Term == 2
	})
	// The old session and a new one both write to the new primary.
	mustExec(t, conn, "INSERT INTO p VALUES (2)")
	mustExec(t, tp.conn(), "INSERT INTO p VALUES (3)")
	if n := writerNode(t, conn); n != "standby-sync" {
		t.Errorf("write transaction on %s", n)
	}
	var n int
	if err := c.Sync.Conn().QueryRow(ctx, "SELECT count(*) FROM p").Scan(&n); err != nil || n != 3 {
		t.Errorf("new primary has %d rows, %v", n, err)
	}
}

// TestBackendReplaced: backend connections the nodes closed between
// statements (a restart) are replaced without the client noticing, and a
// session whose read node goes away reads elsewhere.
func TestBackendReplaced(t *testing.T) {
	c := startCluster(t)
	tp := startProxy(t, c, func(cfg *proxy.Config) { cfg.ReadFromPrimary = false })
	conn := tp.conn()
	mustExec(t, conn, "CREATE TABLE r (id int)")
	c.Primary.Restart()
	c.WaitStreaming(c.Sync, c.Async)
	mustExec(t, conn, "INSERT INTO r VALUES (1)") // the old backend connection is dead: replaced

	reader := tp.conn()
	first := servedBy(t, reader)
	m := c.Sync
	if first == c.Async.Name {
		m = c.Async
	}
	m.Stop()
	if got := servedBy(t, reader); got == first || got == "primary" {
		t.Errorf("read after %s stopped served by %s", first, got)
	}
	m.Start()
}

func TestClientAuth(t *testing.T) {
	c := startCluster(t)
	ctx := context.Background()
	cases := []struct {
		name     string
		method   string
		users    []config.User
		user, pw string
		code     string // "" means the login works
	}{
		{"scram ok", config.AuthSCRAM, nil, "helios", "helios", ""},
		{"scram wrong password", config.AuthSCRAM, nil, "helios", "nope", "28P01"},
		{"scram unknown user", config.AuthSCRAM, nil, "mallory", "helios", "28P01"},
		{"md5 ok", config.AuthMD5, nil, "helios", "helios", ""},
		{"md5 wrong password", config.AuthMD5, nil, "helios", "nope", "28P01"},
		{"cleartext ok", config.AuthPassword, nil, "helios", "helios", ""},
		{"user list", config.AuthSCRAM, []config.User{{Name: "helios", Password: "helios"}, {Name: "app", Password: "pw"}}, "helios", "helios", ""},
		// The proxy accepts app, but the nodes do not know it: the node's
		// refusal fails the startup.
		{"user unknown to the nodes", config.AuthSCRAM, []config.User{{Name: "app", Password: "pw"}}, "app", "pw", "28P01"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tp := startProxy(t, c, func(cfg *proxy.Config) { cfg.AuthMethod, cfg.Users = tc.method, tc.users })
			dsn := "postgres://" + tc.user + ":" + tc.pw + "@" + tp.p.Addr() + "/heliosdb?sslmode=disable"
			conn, err := pgx.Connect(ctx, dsn)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(ctx)
				mustExec(t, conn, "SELECT 1")
				return
			}
			if pgCode(err) != tc.code {
				t.Fatalf("connect: %v, want SQLSTATE %s", err, tc.code)
			}
		})
	}
}

// TestShutdown: an idle client is told 57P01 when the proxy stops.
func TestShutdown(t *testing.T) {
	c := startCluster(t)
	tp := startProxy(t, c, nil)
	conn := tp.conn()
	mustExec(t, conn, "SELECT 1")
	tp.stop()
	_, err := conn.Exec(context.Background(), "SELECT 1")
	if err == nil {
		t.Fatal("query after shutdown succeeded")
	}
	if code := pgCode(err); code != "57P01" {
		t.Logf("after shutdown: %v (the FATAL may be lost when the socket closes first)", err)
	}
	if _, err := pgx.Connect(context.Background(), tp.dsn()); err == nil {
		t.Error("connected to a stopped proxy")
	}
}

// TestWaitingWriteSeesPrimaryReturn: while a write waits for a primary,
// the proxy re-probes the nodes every PollInterval rather than every
// health_check_interval_secs (30s here), so the write runs soon after the
// primary is back. The primary commits asynchronously, so that the
// write's time is not that of the sync standby reconnecting to it.
func TestWaitingWriteSeesPrimaryReturn(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{Mutate: func(name string, cfg *node.Config) {
		if name == "primary" {
			cfg.ReplicationMode = node.ModeAsync
		}
	}})
	tp := startProxy(t, c, func(cfg *proxy.Config) {
		cfg.HealthCheckInterval, cfg.FailureThreshold = 30*time.Second, 3
		cfg.PollInterval, cfg.WriteTimeout = 500*time.Millisecond, 20*time.Second
	})
	conn := tp.conn()
	mustExec(t, conn, "CREATE TABLE w (id int PRIMARY KEY)")

	c.Primary.Stop()
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := conn.Exec(context.Background(), "INSERT INTO w VALUES (1)")
		done <- err
	}()
	time.Sleep(time.Second)
	select {
	case err := <-done:
		t.Fatalf("write finished while the primary was down: %v", err)
	default:
	}
	c.Primary.Start() // serving when it returns
	ready := time.Now()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("write: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("write still waiting 10s after the primary came back")
	}
	took := time.Since(ready)
	t.Logf("write waited %s in all, %s after the primary was ready", time.Since(start).Round(time.Millisecond), took.Round(time.Millisecond))
	if took > 1500*time.Millisecond {
		t.Errorf("write completed %s after the primary was ready; want within 1.5s", took)
	}
	var n int
	if err := c.Primary.Conn().QueryRow(context.Background(), "SELECT count(*) FROM w").Scan(&n); err != nil || n != 1 {
		t.Errorf("primary has %d rows, %v", n, err)
	}
}
