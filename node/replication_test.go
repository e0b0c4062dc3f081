package node_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
)

// writer inserts rows into t(id, v) from several connections until
// stopped, and remembers every acknowledged id.
type writer struct {
	stop  chan struct{}
	wg    sync.WaitGroup
	next  atomic.Int64
	acked sync.Map
	count atomic.Int64
}

func startWriter(t *testing.T, m *clustertest.Member, conns int) *writer {
	w := &writer{stop: make(chan struct{})}
	for i := 0; i < conns; i++ {
		c := m.Conn()
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for {
				select {
				case <-w.stop:
					return
				default:
				}
				id := w.next.Add(1)
				if _, err := c.Exec(context.Background(), "INSERT INTO t VALUES ($1, $2)", id, fmt.Sprintf("row %d", id)); err != nil {
					t.Errorf("insert %d: %v", id, err)
					return
				}
				w.acked.Store(id, true)
				w.count.Add(1)
			}
		}()
	}
	return w
}

func (w *writer) finish() int64 {
	close(w.stop)
	w.wg.Wait()
	return w.count.Load()
}

func TestReplicationStreamsToBothStandbys(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{})
	c.Primary.Exec("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)", "CREATE TABLE u (k TEXT PRIMARY KEY, n INT)")
	w := startWriter(t, c.Primary, 4)
	time.Sleep(500 * time.Millisecond)
	c.Primary.Exec("INSERT INTO u VALUES ('a', 1), ('b', 2)", "UPDATE u SET n = n + 10", "DELETE FROM t WHERE id % 7 = 0")
	n := w.finish()
	c.WaitCaughtUp()
	c.SameTables("t", "u")
	t.Logf("%d acknowledged inserts; tables equal on all three nodes", n)

	rows := c.Primary.Conn()
	var standbys int
	if err := rows.QueryRow(context.Background(), "SELECT count(*) FROM helios_standby_nodes WHERE state = 'streaming'").Scan(&standbys); err != nil {
		t.Fatal(err)
	}
	if standbys != 2 {
		t.Fatalf("primary sees %d streaming standbys, want 2", standbys)
	}
}

func TestStandbyRefusesWrites(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{})
	c.Primary.Exec("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")
	c.WaitCaughtUp() // a sync commit waits for the standby's flush, not its apply
	conn := c.Sync.Conn()
	for _, sql := range []string{"INSERT INTO t VALUES (1, 'x')", "CREATE TABLE x (a INT)", "DELETE FROM t"} {
		_, err := conn.Exec(context.Background(), sql)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "25006" {
			t.Fatalf("%s on a standby: %v, want 25006", sql, err)
		}
	}
}

func TestStandbyRestartUnderLoadCatchesUp(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{})
	c.Primary.Exec("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")
	w := startWriter(t, c.Primary, 4)
	time.Sleep(300 * time.Millisecond)
	c.Async.Stop()
	time.Sleep(300 * time.Millisecond)
	c.Async.Start()
	c.Sync.Restart() // sync standby too: commits wait or degrade, never fail
	time.Sleep(300 * time.Millisecond)
	n := w.finish()
	c.WaitCaughtUp()
	c.SameTables("t")
	t.Logf("%d acknowledged inserts across standby restarts; tables equal", n)
}

func TestWipedStandbyReseeds(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{})
	c.Primary.Exec("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")
	w := startWriter(t, c.Primary, 2)
	time.Sleep(300 * time.Millisecond)
	c.Async.Wipe()
	c.Async.Start()
	time.Sleep(300 * time.Millisecond)
	w.finish()
	c.WaitCaughtUp()
	c.SameTables("t")
}

func TestPrimaryRestartStandbysReconnect(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{})
	c.Primary.Exec("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)", "INSERT INTO t VALUES (1, 'before')")
	c.Primary.Restart()
	c.Primary.Exec("INSERT INTO t VALUES (2, 'after')")
	c.WaitStreaming(c.Sync, c.Async)
	c.WaitCaughtUp()
	c.SameTables("t")
}

func TestSyncDegradesAndRecovers(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{Mutate: func(name string, cfg *node.Config) {
		cfg.SyncTimeout = 300 * time.Millisecond
	}})
	c.Primary.Exec("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")
	if _, state, _, _ := c.Primary.Status(); state != "sync" {
		t.Fatalf("sync_state = %s, want sync", state)
	}
	c.Sync.Stop()
	start := time.Now()
	c.Primary.Exec("INSERT INTO t VALUES (1, 'waits')")
	if took := time.Since(start); took < 250*time.Millisecond {
		t.Fatalf("commit without a sync standby returned after %s, want it to wait sync_timeout", took)
	}
	if _, state, _, _ := c.Primary.Status(); state != "degraded" {
		t.Fatalf("sync_state = %s, want degraded", state)
	}
	c.Primary.Exec("INSERT INTO t VALUES (2, 'degraded: no wait')")
	c.Sync.Start()
	clustertest.Eventually(t, 10*time.Second, "sync restored", func() bool {
		_, state, _, _ := c.Primary.Status()
		return state == "sync"
	})
	c.Primary.Exec("INSERT INTO t VALUES (3, 'sync again')")
	c.WaitCaughtUp()
	c.SameTables("t")
}
