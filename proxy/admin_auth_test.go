package proxy_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/heliosdb/nano/proxy"
	"github.com/heliosdb/nano/proxy/admin"
)

// TestAdminAPINeedsCredentials: the proxy's admin API answers /health (and
// /metrics) to anyone and everything else (pprof too) only to a client user's name and
// password or the admin token; refused calls change nothing.
func TestAdminAPINeedsCredentials(t *testing.T) {
	c := startCluster(t)
	tp := startProxy(t, c, func(cfg *proxy.Config) { cfg.AdminToken = "tok-9" })
	call := func(method, path, authz string) (int, string) {
		req, err := http.NewRequest(method, "http://"+tp.p.AdminAddr()+path, strings.NewReader(`{"target":"standby-sync"}`))
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
	wrong := (&http.Request{Header: http.Header{}})
	wrong.SetBasicAuth("helios", "guess")
	right := (&http.Request{Header: http.Header{}})
	right.SetBasicAuth("helios", "helios")
	for _, p := range []struct{ method, path string }{
		{"POST", "/nodes/primary/disable"}, {"POST", "/nodes/standby-sync/enable"}, {"POST", "/switchover"},
		{"GET", "/debug/pprof/"}, {"GET", "/debug/pprof/profile?seconds=1"},
	} {
		for _, authz := range []string{"", wrong.Header.Get("Authorization"), "Bearer tok-8"} {
			if code, body := call(p.method, p.path, authz); code != http.StatusUnauthorized {
				t.Errorf("%s %s with %q: %d %s, want 401", p.method, p.path, authz, code, body)
			}
		}
	}
	var nodes []admin.Node
	if code, body := tp.admin("GET", "/nodes", &nodes); code != 200 {
		t.Fatalf("/nodes: %d %s", code, body)
	}
	for _, n := range nodes {
		if !n.Enabled {
			t.Errorf("%s was disabled by a refused call", n.Name)
		}
		if n.Name == "primary" && n.Role != "primary" {
			t.Errorf("the primary is %s after a refused switchover", n.Role)
		}
	}
	// The read-only status endpoints answer anyone (the tutorial's Part 5
	// runs a bare curl on /nodes).
	for _, path := range []string{"/health", "/metrics", "/nodes", "/failover"} {
		if code, _ := call("GET", path, ""); code != http.StatusOK {
			t.Errorf("GET %s without credentials: %d", path, code)
		}
	}
	for _, authz := range []string{right.Header.Get("Authorization"), "Bearer tok-9"} {
		for _, path := range []string{"/nodes", "/debug/pprof/", "/debug/pprof/goroutine?debug=1"} {
			if code, body := call("GET", path, authz); code != http.StatusOK {
				t.Errorf("GET %s with %q: %d %s", path, authz, code, body)
			}
		}
	}
}
