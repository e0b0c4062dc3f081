package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// docs/faults.md, "a commit visible on the primary before its sync standby
// has it": in sync mode a commit becomes visible only once a sync standby
// flushed it. These tests hold the standby's flush back with SIGSTOP and
// read the primary meanwhile. Before the fix the primary applied a commit
// right after its own WAL fsync, so the reader saw it while the standby —
// the node a failover promotes — did not have it.

// syncVisibilityCluster is a sync primary n1 and its sync standby n2 under
// heliosdb-proxy, with a sync-timeout and failover timeout far beyond the
// test, so that nothing degrades or fails over while n2 is stopped.
func syncVisibilityCluster(t *testing.T) (*haCluster, *haNode, *haNode) {
	c := startHACluster(t, haOptions{mode: "sync", twoNodes: true, settleProxySync: true,
		nodeFlags: []string{"--advertise-host", "127.0.0.1", "--sync-timeout", "120s"},
		proxyConf: "write_timeout_secs = 30\nfailover_timeout_secs = 120\n"})
	n1, n2 := c.nodes[0], c.nodes[1]
	waitStreaming(t, n1.nodeProc, "n2")
	conn := n1.connect(t)
	mustExec(t, conn, "CREATE TABLE sv (id INT PRIMARY KEY, v INT)")
	mustExec(t, conn, "INSERT INTO sv VALUES (1, 0)")
	conn.Close(context.Background())
	waitCaughtUp(t, n1.nodeProc, n2.nodeProc)
	return c, n1, n2
}

// stopStandby SIGSTOPs n and resumes it at the end of the test unless the
// test did.
func stopStandby(t *testing.T, n *haNode) (resume func()) {
	if err := n.signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := true
	resume = func() {
		if stopped {
			stopped = false
			if err := n.signal(syscall.SIGCONT); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(resume)
	return resume
}

// execAsync runs sql on a new connection to n; the channel gets its error.
func execAsync(t *testing.T, n *haNode, sql string) <-chan error {
	conn := n.connect(t)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		_, err := conn.Exec(ctx, sql)
		done <- err
		conn.Close(context.Background())
	}()
	return done
}

// waitDurableUnapplied waits until n's WAL is ahead of what it applied:
// a commit is durable locally and not visible.
func waitDurableUnapplied(t *testing.T, n *haNode) {
	eventually(t, 20*time.Second, n.id+" has a commit in its WAL that it did not apply", func() (bool, string) {
		st, err := n.status()
		return err == nil && st.CurrentLSN != st.AppliedLSN, fmt.Sprintf("%+v %v", st, err)
	})
}

func readV(ctx context.Context, conn *pgx.Conn) (int, error) {
	var v int
	err := conn.QueryRow(ctx, "SELECT v FROM sv WHERE id = 1").Scan(&v)
	return v, err
}

// A reader on the primary does not see a commit its stopped sync standby
// has not flushed; a writer of the same row waits for the commit (its row
// lock) rather than failing; once the standby resumes, both commits are
// acknowledged and visible, on both nodes.
func TestSyncCommitInvisibleUntilStandbyFlushed(t *testing.T) {
	_, n1, n2 := syncVisibilityCluster(t)
	resume := stopStandby(t, n2)
	first := execAsync(t, n1, "UPDATE sv SET v = 1 WHERE id = 1")
	second := execAsync(t, n1, "UPDATE sv SET v = v + 10 WHERE id = 1")

	reader := n1.connect(t)
	defer reader.Close(context.Background())
	ctx := context.Background()
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); {
		v, err := readV(ctx, reader)
		if err != nil {
			t.Fatal(err)
		}
		if v != 0 {
			t.Fatalf("a reader on the primary saw v=%d: a commit its sync standby (stopped) has not flushed", v)
		}
		select {
		case err := <-first:
			t.Fatalf("the first UPDATE returned (%v) while its sync standby is stopped", err)
		case err := <-second:
			t.Fatalf("the second UPDATE returned (%v) while its sync standby is stopped", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	waitDurableUnapplied(t, n1)

	resume()
	for i, ch := range []<-chan error{first, second} {
		select {
		case err := <-ch:
			if err != nil {
				t.Fatalf("UPDATE %d after the standby resumed: %v", i+1, err)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("UPDATE %d still waiting after the standby resumed\n%s", i+1, n1.logs.tail(30))
		}
	}
	if v, err := readV(ctx, reader); err != nil || v != 11 {
		t.Fatalf("after both commits v=%d (%v), want 11", v, err)
	}
	waitCaughtUp(t, n1.nodeProc, n2.nodeProc)
	if h1, _ := tableHash(t, n1.nodeProc, "SELECT id, v FROM sv ORDER BY id"); true {
		if h2, _ := tableHash(t, n2.nodeProc, "SELECT id, v FROM sv ORDER BY id"); h1 != h2 {
			t.Fatalf("n1 and n2 differ after catching up")
		}
	}
}

// A sync primary killed with a commit in its WAL that its (stopped) sync
// standby never flushed restarts and serves no SQL (57P03) until the
// standby has it; then the commit is visible on both.
func TestSyncRestartedPrimaryWaitsForStandbyBeforeServing(t *testing.T) {
	_, n1, n2 := syncVisibilityCluster(t)
	before, err := n1.status()
	if err != nil {
		t.Fatal(err)
	}
	resume := stopStandby(t, n2)
	pending := execAsync(t, n1, "UPDATE sv SET v = 1 WHERE id = 1")
	eventually(t, 20*time.Second, "the UPDATE in n1's WAL", func() (bool, string) {
		st, err := n1.status()
		return err == nil && st.CurrentLSN != before.CurrentLSN, fmt.Sprintf("%+v %v", st, err)
	})
	n1.kill9()
	<-pending // the connection died with the node
	n1.launch(t)
	eventually(t, 30*time.Second, "n1 answering /status after its restart", func() (bool, string) {
		_, err := n1.status()
		return err == nil, fmt.Sprint(err)
	})

	refused := 0
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, n1.dsn())
		var v int
		if err == nil {
			v, err = readV(ctx, conn)
			conn.Close(ctx)
		}
		cancel()
		var pe *pgconn.PgError
		switch {
		case err == nil:
			t.Fatalf("the restarted primary served v=%d while its sync standby (stopped) has not flushed its WAL", v)
		case errors.As(err, &pe) && pe.Code == "57P03":
			refused++
		}
	}
	if refused == 0 {
		t.Fatalf("the restarted primary never refused with 57P03 while its sync standby is stopped\n%s", n1.logs.tail(30))
	}

	resume()
	eventually(t, 60*time.Second, "the restarted n1 serving the commit once n2 flushed it", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, n1.dsn())
		if err != nil {
			return false, err.Error()
		}
		defer conn.Close(ctx)
		v, err := readV(ctx, conn)
		return err == nil && v == 1, fmt.Sprintf("v=%d %v", v, err)
	})
	waitCaughtUp(t, n1.nodeProc, n2.nodeProc)
	if _, rows := tableHash(t, n2.nodeProc, "SELECT id FROM sv WHERE v = 1"); rows != 1 {
		t.Fatalf("n2 lacks the commit n1 serves")
	}
}

// Regression test for issue 16 (make faults bank, seed
// 1796641367600757267: "two primaries: n1 primary/5 degraded, n2
// primary/6 degraded" for two minutes): a sync primary restarted with WAL
// its sync standby never flushed sits behind its restart gate (57P03) and
// fails the proxy's SQL probe, so the proxy neither demotes nor fences it.
// A standby promoted while it sat there must still fence it: it asks its
// peers for a newer term while gated, not only at start. Before, it
// stayed an unfenced gated primary beside the new one.
//
// Fenced, its restart gate opens (so the proxy's probe of helios_node
// answers and the proxy demotes it), but a client connected to it directly
// still cannot read the unconfirmed UPDATE in its WAL tail: table reads on
// a fenced primary fail with 57P03 (issue 16). Before, it served v = 1.
func TestGatedPrimaryFencedByPromotionWhileGated(t *testing.T) {
	c := startSVCluster(t)
	n1, n2, n3 := c.nodes[0], c.nodes[1], c.nodes[2]
	before, err := n1.status()
	if err != nil {
		t.Fatal(err)
	}

	stopStandby(t, n2) // the sync standby never flushes the UPDATE
	pending := execAsync(t, n1, "UPDATE sv SET v = 1 WHERE id = 1")
	eventually(t, 20*time.Second, "the UPDATE in n1's WAL", func() (bool, string) {
		st, err := n1.status()
		return err == nil && st.CurrentLSN != before.CurrentLSN, fmt.Sprintf("%+v %v", st, err)
	})
	n1.kill9()
	<-pending
	n1.launch(t)
	// refusedWith reads sv on n1: whether it fails with 57P03 and a
	// message containing msg.
	refusedWith := func(msg string) (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, n1.dsn())
		if err == nil {
			var v int
			v, err = readV(ctx, conn)
			if err == nil {
				err = fmt.Errorf("served v = %d", v)
			}
			conn.Close(ctx)
		}
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "57P03" && strings.Contains(pe.Message, msg), err
	}
	gated := func() (bool, error) { return refusedWith("not yet accepting connections") }
	eventually(t, 30*time.Second, "the restarted n1 behind its restart gate (57P03)", func() (bool, string) {
		ok, err := gated()
		return ok, fmt.Sprint(err)
	})
	time.Sleep(2 * time.Second) // n1's check of its peers at start is over

	var ans struct {
		Status string `json:"status"`
	}
	// Without the proxy, which would demote the fenced n1 (as it should)
	// and end the window in which a direct client of n1 reads it as the
	// fenced primary; the fence itself comes from n1's own peer check.
	c.killProxy()
	_, body, err := adminPost(fmt.Sprintf("http://127.0.0.1:%d/admin/promote", n3.httpPort), "{}")
	if err != nil || json.Unmarshal([]byte(body), &ans) != nil || ans.Status != "ok" {
		t.Fatalf("promote n3: %v: %s", err, body)
	}
	eventually(t, 20*time.Second, "n1 fenced by n3's newer term (its restart gate open, its tables refused)", func() (bool, string) {
		ok, err := refusedWith("cannot read tables on a fenced primary")
		return ok && strings.Contains(n1.logs.String(), "fenced: a newer term exists"), fmt.Sprint(err)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, n1.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var role string
	if err := conn.QueryRow(ctx, "SELECT role FROM helios_node").Scan(&role); err != nil || role != "primary" {
		t.Fatalf("helios_node on the fenced n1 (the proxy's probe): %q, %v; want its row", role, err)
	}
}

// startSVCluster starts a sync primary n1 with standbys n2 and n3 behind a
// proxy that fails over only after 120 s (commits wait as long for a sync
// standby), with table sv holding (1, 0) on every node.
func startSVCluster(t *testing.T) *haCluster {
	c := startHACluster(t, haOptions{mode: "sync", settleProxySync: true,
		nodeFlags: []string{"--advertise-host", "127.0.0.1", "--sync-timeout", "120s"},
		proxyConf: "write_timeout_secs = 30\nfailover_timeout_secs = 120\n"})
	n1 := c.nodes[0]
	waitStreaming(t, n1.nodeProc, "n2")
	waitStreaming(t, n1.nodeProc, "n3")
	conn := n1.connect(t)
	mustExec(t, conn, "CREATE TABLE sv (id INT PRIMARY KEY, v INT)")
	mustExec(t, conn, "INSERT INTO sv VALUES (1, 0)")
	conn.Close(context.Background())
	waitCaughtUp(t, n1.nodeProc, c.nodes[1].nodeProc, c.nodes[2].nodeProc)
	return c
}
