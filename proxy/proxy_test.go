package proxy_test

import (
	"context"
	"fmt"
	"testing"
)

// TestTWR is the tutorial's Part 3 test: create and insert through the
// proxy, then verify on the primary and on a standby directly.
func TestTWR(t *testing.T) {
	c := startCluster(t)
	tp := startProxy(t, c, nil)
	conn := tp.conn()
	mustExec(t, conn, `CREATE TABLE twr_test (
    id INTEGER PRIMARY KEY,
    data TEXT,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP
)`)
	mustExec(t, tp.conn(), "INSERT INTO twr_test (id, data) VALUES (1, 'test data')")
	c.WaitCaughtUp()
	for _, m := range []string{"primary", "standby"} {
		member := c.Primary
		if m == "standby" {
			member = c.Sync
		}
		var data string
		if err := member.Conn().QueryRow(context.Background(), "SELECT data FROM twr_test WHERE id = 1").Scan(&data); err != nil || data != "test data" {
			t.Errorf("%s: data = %q, %v", m, data, err)
		}
	}
	if n := tp.metric("heliosdb_proxy_queries_total", `node="primary"`, `kind="write"`); n < 2 {
		t.Errorf("writes routed to the primary: %v", n)
	}
	if n := tp.metric("heliosdb_proxy_queries_total", `kind="write"`) - tp.metric("heliosdb_proxy_queries_total", `node="primary"`, `kind="write"`); n != 0 {
		t.Errorf("%v writes went elsewhere than the primary", n)
	}
}

// TestTRR is the tutorial's Part 4 test: ten SELECT sessions spread over
// every healthy node; each session stays on its node.
func TestTRR(t *testing.T) {
	c := startCluster(t)
	tp := startProxy(t, c, nil)
	seen := map[string]int{}
	for i := 1; i <= 10; i++ {
		conn := tp.conn()
		var s string
		if err := conn.QueryRow(context.Background(), fmt.Sprintf("SELECT '%d', current_timestamp", i)).Scan(&s, new(any)); err != nil {
			t.Fatal(err)
		}
		node := servedBy(t, conn)
		if again := servedBy(t, conn); again != node {
			t.Errorf("session %d moved from %s to %s (not sticky)", i, node, again)
		}
		seen[node]++
		conn.Close(context.Background())
	}
	if len(seen) != 3 {
		t.Fatalf("reads served by %v, want all three nodes", seen)
	}
	for _, n := range []string{"primary", "standby-sync", "standby-async"} {
		if tp.metric("heliosdb_proxy_queries_total", `node="`+n+`"`, `kind="read"`) == 0 {
			t.Errorf("no reads counted for %s", n)
		}
	}
}
