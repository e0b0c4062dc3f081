package tests

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
	"github.com/heliosdb/nano/proxy"
	"github.com/heliosdb/nano/proxy/config"
)

// startProxyOverPrimary runs one in-process primary and an in-process
// heliosdb-proxy in front of it, both on 127.0.0.1.
func startProxyOverPrimary(t *testing.T) (*clustertest.Member, *proxy.Proxy) {
	m, p, _ := startProxyOverPrimaryStop(t)
	return m, p
}

// startProxyOverPrimaryStop is startProxyOverPrimary that also returns a
// stop function: it shuts the proxy down (shutdown_timeout 2s) and
// returns how long that took.
func startProxyOverPrimaryStop(t *testing.T) (*clustertest.Member, *proxy.Proxy, func() time.Duration) {
	t.Helper()
	m := clustertest.NewMember(t, "primary", clustertest.Options{}, func(c *node.Config) {
		c.Role, c.ReplicationMode = node.RolePrimary, node.ModeAsync
	})
	m.Start()
	dsn, err := url.Parse(m.DSN())
	if err != nil {
		t.Fatal(err)
	}
	api, err := url.Parse(m.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	host := dsn.Hostname()
	port, _ := strconv.Atoi(dsn.Port())
	httpPort, _ := strconv.Atoi(api.Port())
	cfg := proxy.Config{Config: config.Defaults()}
	cfg.ListenAddr, cfg.AdminAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.HealthCheckInterval, cfg.FailureThreshold = 100*time.Millisecond, 2
	cfg.WriteTimeout, cfg.ConnectTimeout, cfg.ShutdownTimeout = 3*time.Second, 2*time.Second, 2*time.Second
	cfg.Nodes = []config.Node{{Name: m.Name, Host: host, Port: port, Role: config.RolePrimary, Enabled: true, HTTPPort: httpPort}}
	p, err := proxy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	var took time.Duration
	stop := func() time.Duration {
		once.Do(func() {
			start := time.Now()
			cancel()
			if err := <-done; err != nil {
				t.Errorf("proxy run: %v", err)
			}
			took = time.Since(start)
		})
		return took
	}
	t.Cleanup(func() { stop() })
	return m, p, stop
}

func proxyDSN(p *proxy.Proxy) string {
	return fmt.Sprintf("postgres://helios:helios@%s/heliosdb?sslmode=disable", p.Addr())
}

func connectTo(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// A client of the proxy that dies while its statement runs on a node has
// that statement stopped on the node within a second (the proxy forwards
// a CancelRequest and drops its backend connection), and the proxy stays
// up. Before the fix the node worked on for minutes.
func TestProxyDisconnectedClientStatementStops(t *testing.T) {
	m, p := startProxyOverPrimary(t)
	setupJoinTables(t, connectTo(t, proxyDSN(p)))
	nodeMetrics := m.HTTPURL() + "/metrics"
	proxyMetrics := "http://" + p.AdminAddr() + "/metrics"
	direct := connectTo(t, m.DSN())
	stops := func(t *testing.T, what string, kill func()) {
		t.Helper()
		// The proxy's health probes (every 100 ms) also count as running
		// statements: wait for the join itself.
		waitJoinActive(t, direct, 10*time.Second)
		lost := metricValue(t, proxyMetrics, "heliosdb_proxy_client_lost_total")
		kill()
		took := waitMetric(t, nodeMetrics, "helios_statements_running", 0, time.Second)
		t.Logf("the join stopped on the node %v after %s", took, what)
		if got := metricValue(t, proxyMetrics, "heliosdb_proxy_client_lost_total"); got != lost+1 {
			t.Errorf("heliosdb_proxy_client_lost_total = %v, want %v", got, lost+1)
		}
	}
	t.Run("close", func(t *testing.T) {
		v := startVictim(t, proxyDSN(p), heavyJoin)
		stops(t, "the client closed its socket", func() { v.die(t, false) })
	})
	t.Run("reset", func(t *testing.T) {
		v := startVictim(t, proxyDSN(p), heavyJoin)
		stops(t, "the client reset its socket", func() { v.die(t, true) })
	})
	t.Run("psql killed", func(t *testing.T) {
		host, port, _ := net.SplitHostPort(p.Addr())
		portNum, _ := strconv.Atoi(port)
		cmd := startPsqlVictim(t, host, portNum)
		stops(t, "psql was killed", func() { cmd.Process.Kill() })
	})
	var one int
	if err := connectTo(t, proxyDSN(p)).QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("proxy unusable afterwards: %v", err)
	}
}

// waitJoinActive waits until the node's pg_stat_activity shows heavyJoin
// running.
func waitJoinActive(t *testing.T, c *pgx.Conn, limit time.Duration) {
	t.Helper()
	eventually(t, limit, "the join running on the node", func() (bool, string) {
		var n int
		err := c.QueryRow(context.Background(),
			"SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = $1", heavyJoin).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n == 1, fmt.Sprintf("%d such statements active", n)
	})
}

// Through the proxy too, a CancelRequest and statement_timeout stop the
// join with 57014 within 100 ms.
func TestProxyCancelAndTimeoutStopHeavyJoin(t *testing.T) {
	_, p := startProxyOverPrimary(t)
	c := connectTo(t, proxyDSN(p))
	setupJoinTables(t, c)
	checkCancelAndTimeout(t, c)
}

// The proxy shuts down within its shutdown timeout even while a session's
// statement runs on a node: closing the client's socket wakes the session
// (its client check sees the socket gone), which cancels the statement on
// the node. Before, the session stayed blocked reading the node's answer
// until the join ended, minutes later.
func TestProxyShutdownDuringHeavyJoin(t *testing.T) {
	m, p, stop := startProxyOverPrimaryStop(t)
	c := connectTo(t, proxyDSN(p))
	setupJoinTables(t, c)
	nodeMetrics := m.HTTPURL() + "/metrics"
	done := startQuery(c, heavyJoin)
	waitMetric(t, nodeMetrics, "helios_statements_running", 1, 10*time.Second)
	took := stop()
	if took > 3*time.Second {
		t.Errorf("proxy shutdown took %v with a statement running, want within shutdown_timeout (2s) + 1s", took)
	}
	t.Logf("proxy shut down in %v", took)
	if err := <-done; err == nil {
		t.Error("the join succeeded through a proxy that shut down")
	}
	waitMetric(t, nodeMetrics, "helios_statements_running", 0, time.Second)
}
