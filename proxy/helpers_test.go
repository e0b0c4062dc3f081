package proxy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/proxy"
	"github.com/heliosdb/nano/proxy/config"
)

// testProxy is a proxy in front of an in-process cluster.
type testProxy struct {
	t    *testing.T
	c    *clustertest.Cluster
	p    *proxy.Proxy
	stop func() // shuts the proxy down gracefully and waits; idempotent
}

// startCluster runs a primary, a sync standby and an async standby.
func startCluster(t *testing.T) *clustertest.Cluster {
	t.Helper()
	return clustertest.Start(t, clustertest.Options{})
}

// startProxy runs a proxy in front of c with fast health checks (100ms,
// threshold 2) and a 3s write timeout; mutate adjusts the config.
func startProxy(t *testing.T, c *clustertest.Cluster, mutate func(*proxy.Config)) *testProxy {
	t.Helper()
	cfg := proxy.Config{Config: config.Defaults()}
	cfg.ListenAddr, cfg.AdminAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.HealthCheckInterval, cfg.FailureThreshold = 100*time.Millisecond, 2
	cfg.WriteTimeout, cfg.ConnectTimeout, cfg.ShutdownTimeout = 3*time.Second, 2*time.Second, 2*time.Second
	cfg.PollInterval = 100 * time.Millisecond
	for _, m := range []*clustertest.Member{c.Primary, c.Sync, c.Async} {
		host, port := hostPort(t, m)
		role := config.RoleStandby
		if m == c.Primary {
			role = config.RolePrimary
		}
		// No http_port: the proxy learns it from the node (helios_node).
		cfg.Nodes = append(cfg.Nodes, config.Node{Name: m.Name, Host: host, Port: port, Role: role, Enabled: true})
	}
	cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := proxy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("proxy run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return &testProxy{t: t, c: c, p: p, stop: stop}
}

func hostPort(t *testing.T, m *clustertest.Member) (string, int) {
	t.Helper()
	u, err := url.Parse(m.DSN())
	if err != nil {
		t.Fatal(err)
	}
	var port int
	fmt.Sscan(u.Port(), &port)
	return u.Hostname(), port
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (tp *testProxy) dsn() string {
	return fmt.Sprintf("postgres://helios:helios@%s/heliosdb?sslmode=disable", tp.p.Addr())
}

// conn opens a pgx connection through the proxy, closed at the end of the
// test.
func (tp *testProxy) conn() *pgx.Conn {
	tp.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, tp.dsn())
	if err != nil {
		tp.t.Fatalf("connect through the proxy: %v", err)
	}
	tp.t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func mustExec(t *testing.T, c *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// servedBy returns the node that answers a read on c.
func servedBy(t *testing.T, c *pgx.Conn) string {
	t.Helper()
	var id string
	if err := c.QueryRow(context.Background(), "SELECT node_id FROM helios_replication_status").Scan(&id); err != nil {
		t.Fatalf("node_id: %v", err)
	}
	return id
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// admin calls the admin API and decodes a JSON answer into out (when not
// nil); it returns the status code and the body.
func (tp *testProxy) admin(method, path string, out any) (int, string) {
	tp.t.Helper()
	req, err := http.NewRequest(method, "http://"+tp.p.AdminAddr()+path, nil)
	if err != nil {
		tp.t.Fatal(err)
	}
	req.SetBasicAuth("helios", "helios")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tp.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(body, out); err != nil {
			tp.t.Fatalf("%s %s: %v in %s", method, path, err, body)
		}
	}
	return resp.StatusCode, string(body)
}

// metric sums the samples of a metric whose labels contain every given
// name="value" pair.
func (tp *testProxy) metric(name string, labels ...string) float64 {
	tp.t.Helper()
	_, body := tp.admin("GET", "/metrics", nil)
	var sum float64
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		var v float64
		fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
		sum += v
	}
	return sum
}
