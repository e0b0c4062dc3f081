package proxy_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/proxy/admin"
)

func TestAdminAPI(t *testing.T) {
	c := startCluster(t)
	tp := startProxy(t, c, nil)

	var health map[string]string
	if code, body := tp.admin("GET", "/health", &health); code != 200 || health["status"] != "ok" {
		t.Fatalf("/health: %d %s", code, body)
	}
	var nodes []admin.Node
	if code, body := tp.admin("GET", "/nodes", &nodes); code != 200 || len(nodes) != 3 {
		t.Fatalf("/nodes: %d %s", code, body)
	}
	wantRole := map[string]string{"primary": "primary", "standby-sync": "standby", "standby-async": "standby"}
	for _, n := range nodes {
		if n.Role != wantRole[n.Name] || n.ConfiguredRole != wantRole[n.Name] || !n.Healthy || !n.Enabled ||
			n.LastCheck == nil || n.Term < 1 || n.LSN == "" || n.Address == "" || n.FailureCount != 0 {
			t.Errorf("node %+v", n)
		}
	}

	// Disabling a node takes it out of routing at once.
	var n admin.Node
	if code, body := tp.admin("POST", "/nodes/standby-async/disable", &n); code != 200 || n.Enabled {
		t.Fatalf("disable: %d %s", code, body)
	}
	for range 6 {
		if got := servedBy(t, tp.conn()); got == "standby-async" {
			t.Fatal("read routed to a disabled node")
		}
	}
	if code, _ := tp.admin("POST", "/nodes/standby-async/enable", &n); code != 200 || !n.Enabled {
		t.Fatalf("enable: %d", code)
	}
	seen := map[string]bool{}
	for range 6 {
		seen[servedBy(t, tp.conn())] = true
	}
	if !seen["standby-async"] {
		t.Errorf("re-enabled node gets no reads: %v", seen)
	}
	if code, _ := tp.admin("POST", "/nodes/nosuch/disable", nil); code != http.StatusNotFound {
		t.Errorf("unknown node: %d", code)
	}
	if code, _ := tp.admin("GET", "/nodes/primary/disable", nil); code != http.StatusMethodNotAllowed {
		t.Errorf("GET on a POST endpoint: %d", code)
	}
	if code, body := tp.admin("POST", "/switchover", nil); code != http.StatusBadRequest {
		t.Errorf("switchover without a body: %d %s", code, body)
	}

	_, metrics := tp.admin("GET", "/metrics", nil)
	for _, name := range []string{"heliosdb_proxy_connections_total", "heliosdb_proxy_connections_active",
		"heliosdb_proxy_queries_total", "heliosdb_proxy_node_healthy", "heliosdb_proxy_node_replication_lag_bytes",
		"heliosdb_proxy_health_checks_total", "heliosdb_proxy_backend_connections_total"} {
		if !strings.Contains(metrics, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}

	// A stopped node shows as unhealthy with its error; it recovers.
	c.Async.Stop()
	clustertest.Eventually(t, 5*time.Second, "standby-async unhealthy", func() bool {
		tp.admin("GET", "/nodes", &nodes)
		return !nodes[2].Healthy && nodes[2].FailureCount >= 2 && nodes[2].LastError != ""
	})
	if tp.metric("heliosdb_proxy_node_healthy", `node="standby-async"`) != 0 {
		t.Error("metric still says healthy")
	}
	c.Async.Start()
	clustertest.Eventually(t, 5*time.Second, "standby-async healthy again", func() bool {
		tp.admin("GET", "/nodes", &nodes)
		return nodes[2].Healthy && nodes[2].LastError == ""
	})
}
