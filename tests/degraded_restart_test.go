package tests

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The history suite's lost commits (docs/faults.md, register seed
// 1796615365678704982), as a fixed sequence: in sync mode under
// heliosdb-proxy's automatic failover, the sync standby n2 stops
// answering; primary n1 degrades to async, the proxy approves and n1
// acknowledges a commit n2 does not have. n1 is killed (the proxy rightly
// refuses to fail over: n1 was degraded), restarts while n2 is still away,
// and is killed again; then n2 comes back. The proxy must not promote n2:
// n1's acknowledged commit is on n1 only. Before the fix n1 forgot the
// degradation at its restart (it answered "waiting"), the proxy promoted
// n2 and the commit was lost. Once n1 is back, n2 catches up from it, n1
// reports sync again and the commit is on both.
func TestSyncDegradedPrimaryRestartKeepsFailoverRefused(t *testing.T) {
	c := startHACluster(t, haOptions{mode: "sync", twoNodes: true, settleProxySync: true,
		nodeFlags: []string{"--advertise-host", "127.0.0.1", "--sync-timeout", pauseSyncTimeout.String()},
		proxyConf: fmt.Sprintf("write_timeout_secs = 30\nfailover_timeout_secs = %g\n", pauseFailover.Seconds())})
	n1, n2 := c.nodes[0], c.nodes[1]
	p, s := n1.nodeProc, n2.nodeProc
	waitStreaming(t, p, "n2")
	conn := p.connect(t)
	mustExec(t, conn, "CREATE TABLE dr (id INT PRIMARY KEY)")
	mustExec(t, conn, "INSERT INTO dr VALUES (1)")
	conn.Close(context.Background())
	waitCaughtUp(t, p, s)

	// 1. n2 stops answering; n1 degrades with the proxy's approval and
	// acknowledges row 2, which n2 does not have.
	if err := n2.signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := true
	t.Cleanup(func() {
		if stopped {
			n2.signal(syscall.SIGCONT)
		}
	})
	conn = p.connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	if _, err := conn.Exec(ctx, "INSERT INTO dr VALUES (2)"); err != nil {
		t.Fatalf("commit while degraded: %v\n%s", err, p.logs.String())
	}
	cancel()
	conn.Close(context.Background())
	eventually(t, 30*time.Second, "the proxy to see n1 degraded", func() (bool, string) {
		fs, err := c.failover()
		return err == nil && fs.Primary == "n1" && fs.SyncState == "degraded", fmt.Sprintf("%+v %v", fs, err)
	})

	// 2. n1 is killed: the proxy refuses to fail over.
	n1.kill9()
	eventually(t, 60*time.Second, "the proxy to refuse a failover", func() (bool, string) {
		fs, err := c.failover()
		return err == nil && strings.Contains(fs.Blocked, "n1 was degraded"), fmt.Sprintf("%+v %v", fs, err)
	})

	// 3. n1 restarts, n2 still away; the proxy renews n1's lease.
	n1.launch(t)
	n1.waitSQL(t)
	var after string
	eventually(t, 60*time.Second, "the proxy to renew n1's lease after its restart", func() (bool, string) {
		fs, err := c.failover()
		after = fs.SyncState
		return err == nil && fs.Primary == "n1" && fs.DownSince == nil && fs.SyncState != "", fmt.Sprintf("%+v %v", fs, err)
	})
	t.Logf("restarted n1 answers the proxy's renewal with sync_state %q", after)

	// 4. n1 is killed again before n2 caught up; n2 comes back. The proxy
	// must keep refusing: n2 lacks row 2.
	n1.kill9()
	if err := n2.signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	stopped = false
	eventually(t, 60*time.Second, "the proxy to decide about a failover to n2", func() (bool, string) {
		st, err := n2.status()
		if err == nil && st.Role == "primary" {
			_, rows := tableHash(t, s, "SELECT id FROM dr ORDER BY id")
			t.Fatalf("the proxy promoted n2 after the restarted degraded n1 failed again (n1 answered %q after its restart): n2 has %d of the 2 acknowledged rows\n%s",
				after, rows, c.proxyLog.tail(30))
		}
		fs, ferr := c.failover()
		return err == nil && ferr == nil && st.Role == "standby" && strings.Contains(fs.Blocked, "n1 was degraded"),
			fmt.Sprintf("n2 %+v %v; proxy %+v %v", st, err, fs, ferr)
	})

	// 5. n1 returns: n2 catches up from it, and sync is restored.
	n1.launch(t)
	n1.waitSQL(t)
	eventually(t, 60*time.Second, "n1 back in sync with n2 under the proxy's lease", func() (bool, string) {
		fs, err := c.failover()
		return err == nil && fs.Primary == "n1" && fs.DownSince == nil && fs.SyncState == "sync", fmt.Sprintf("%+v %v", fs, err)
	})
	waitCaughtUp(t, p, s)
	if _, rows := tableHash(t, s, "SELECT id FROM dr ORDER BY id"); rows != 2 {
		t.Fatalf("n2 has %d rows, want 2", rows)
	}
}
