package tests

import (
	"context"
	"testing"
	"time"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
)

// A client of a standby with write forwarding that dies while its
// autocommit write runs on the primary has the write stopped there within
// a second and rolled back. Before the fix the primary ran it to the end:
// a forwarded commit ignored every cancellation.
func TestForwardedWriteOfDisconnectedClientStops(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{Mutate: func(name string, cfg *node.Config) {
		cfg.WriteForwarding = name == "standby-async"
	}})
	setupJoinTables(t, c.Primary.Conn())
	c.Primary.Exec("CREATE TABLE sink (n bigint)")
	c.WaitCaughtUp()
	primaryMetrics := c.Primary.HTTPURL() + "/metrics"
	standbyMetrics := c.Async.HTTPURL() + "/metrics"
	v := startVictim(t, c.Async.DSN(), "INSERT INTO sink "+heavyJoin)
	waitMetric(t, primaryMetrics, "helios_statements_running", 1, 10*time.Second)
	v.die(t, false)
	took := waitMetric(t, primaryMetrics, "helios_statements_running", 0, time.Second)
	t.Logf("the forwarded write stopped on the primary %v after the client closed its socket", took)
	waitMetric(t, standbyMetrics, "helios_statements_running", 0, time.Second)
	var rows int
	if err := c.Primary.Conn().QueryRow(context.Background(), "SELECT count(*) FROM sink").Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("sink has %d rows (%v), want 0: the abandoned write was committed", rows, err)
	}
}
