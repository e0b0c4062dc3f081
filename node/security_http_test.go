package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
)

type httpProbe struct {
	method, path, body string
}

// do sends one request with the given Authorization header ("" = none).
func do(t *testing.T, base string, p httpProbe, authz string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(p.method, base+p.path, strings.NewReader(p.body))
	if err != nil {
		t.Fatal(err)
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func basic(user, password string) string {
	r, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	r.SetBasicAuth(user, password)
	return r.Header.Get("Authorization")
}

// TestHTTPNeedsCredentials replays the attacker's probes of issue 15 on a
// primary and its standby: without valid credentials every endpoint but
// /health (and /metrics) answers 401 and changes nothing; with the
// database's user and password, or the admin token, they work.
func TestHTTPNeedsCredentials(t *testing.T) {
	logs := &lockedBuffer{}
	primary := clustertest.NewMember(t, "primary", clustertest.Options{Mutate: func(_ string, c *node.Config) {
		c.AdminToken = "tok-123"
		c.Logger = newTestLogger(logs)
	}}, func(c *node.Config) { c.Role = node.RolePrimary })
	primary.Start()
	host, port := hostPort(t, primary.NativeAddr())
	standby := clustertest.NewMember(t, "standby", clustertest.Options{}, func(cfg *node.Config) {
		cfg.Role, cfg.PrimaryHost, cfg.PrimaryPort = node.RoleStandby, host, port
	})
	standby.Start()
	primary.Exec("CREATE TABLE secrets (id INT PRIMARY KEY, v TEXT)", "INSERT INTO secrets VALUES (1, 'top')",
		"CREATE TABLE victim (id INT PRIMARY KEY)")
	clustertest.Eventually(t, 10*time.Second, "standby has victim", func() bool {
		var n int
		return standby.Conn().QueryRow(context.Background(), "SELECT count(*) FROM victim").Scan(&n) == nil
	})

	probes := []struct {
		m *clustertest.Member
		p httpProbe
	}{
		{primary, httpProbe{"POST", "/query", `{"sql":"SELECT * FROM secrets"}`}},
		{primary, httpProbe{"POST", "/query", `{"sql":"DROP TABLE victim"}`}},
		{primary, httpProbe{"GET", "/status", ""}},
		{primary, httpProbe{"POST", "/admin/lease", `{"term":1,"duration_ms":100,"holder":"x"}`}},
		{primary, httpProbe{"POST", "/admin/demote", fmt.Sprintf(`{"primary_host":"127.0.0.1","primary_port":%d}`, port)}},
		{standby, httpProbe{"POST", "/admin/promote", ""}},
	}
	bad := map[string]string{
		"none":           "",
		"wrong password": basic("helios", "nope"),
		"unknown user":   basic("mallory", "helios"),
		"wrong token":    "Bearer tok-124",
		"empty bearer":   "Bearer ",
		"garbage":        "Basic !!!",
	}
	for _, pr := range probes {
		for name, authz := range bad {
			code, body := do(t, pr.m.HTTPURL(), pr.p, authz)
			if code != http.StatusUnauthorized || strings.Contains(body, "top") {
				t.Errorf("%s %s with %s credentials: %d %s, want 401", pr.p.method, pr.p.path, name, code, body)
			}
		}
	}
	// Nothing changed: the table is there, the standby is a standby, the
	// primary takes writes (no lease was granted to anyone).
	primary.Exec("INSERT INTO victim VALUES (1)")
	if role, _, _, _ := standby.Status(); role != node.RoleStandby {
		t.Fatalf("standby's role is %s after the refused promote", role)
	}

	// /health and /metrics answer without credentials.
	for _, path := range []string{"/health", "/metrics"} {
		if code, _ := do(t, primary.HTTPURL(), httpProbe{"GET", path, ""}, ""); code != http.StatusOK {
			t.Errorf("GET %s without credentials: %d, want 200", path, code)
		}
	}

	// The right credentials work, and /query runs as that user.
	q := httpProbe{"POST", "/query", `{"sql":"SELECT v, current_user FROM secrets"}`}
	for _, authz := range []string{basic("helios", "helios"), "Bearer tok-123"} {
		code, body := do(t, primary.HTTPURL(), q, authz)
		if code != http.StatusOK || !strings.Contains(body, `"top"`) || !strings.Contains(body, `"helios"`) {
			t.Errorf("%q: %d %s", authz, code, body)
		}
	}
	if !strings.Contains(logs.String(), "request refused") {
		t.Error("refused requests were not logged")
	}
	code, body := do(t, primary.HTTPURL(), httpProbe{"POST", "/admin/promote", ""}, basic("helios", "helios"))
	if code != http.StatusOK {
		t.Fatalf("promote with credentials: %d %s", code, body)
	}
	if !strings.Contains(logs.String(), "admin: promote") || !strings.Contains(logs.String(), "user=helios") {
		t.Errorf("the promote was not logged with its caller:\n%s", logs.String())
	}
}

// TestHTTPAdminAuthNoneAndProtectMetrics: --admin-auth none lets everything
// through; --protect-metrics puts /metrics behind credentials.
func TestHTTPAdminAuthNoneAndProtectMetrics(t *testing.T) {
	open := clustertest.NewMember(t, "open", clustertest.Options{Mutate: func(_ string, c *node.Config) {
		c.AdminAuth = node.AdminAuthNone
	}}, func(c *node.Config) { c.Role = node.RolePrimary })
	open.Start()
	if code, body := do(t, open.HTTPURL(), httpProbe{"POST", "/query", `{"sql":"SELECT 1"}`}, ""); code != http.StatusOK {
		t.Errorf("--admin-auth none: %d %s", code, body)
	}
	closed := clustertest.NewMember(t, "closed", clustertest.Options{Mutate: func(_ string, c *node.Config) {
		c.ProtectMetrics = true
	}}, func(c *node.Config) { c.Role = node.RolePrimary })
	closed.Start()
	if code, _ := do(t, closed.HTTPURL(), httpProbe{"GET", "/metrics", ""}, ""); code != http.StatusUnauthorized {
		t.Errorf("protected /metrics without credentials: %d", code)
	}
	if code, _ := do(t, closed.HTTPURL(), httpProbe{"GET", "/metrics", ""}, basic("helios", "helios")); code != http.StatusOK {
		t.Errorf("protected /metrics with credentials: %d", code)
	}
	if code, _ := do(t, closed.HTTPURL(), httpProbe{"GET", "/health", ""}, ""); code != http.StatusOK {
		t.Errorf("/health: %d", code)
	}
	var v map[string]any
	_, body := do(t, closed.HTTPURL(), httpProbe{"GET", "/health", ""}, "")
	if err := json.Unmarshal([]byte(body), &v); err != nil || v["status"] != "ok" {
		t.Errorf("/health body %s", body)
	}
}

// lockedBuffer collects a node's log lines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
