package tests

import (
	"context"
	"fmt"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// followingWriter inserts ids through a connection to whichever node is
// primary, switching when the node it uses stops being one. An insert
// whose outcome is unknown (the connection broke) is retried with the same
// id: a unique violation then proves the first attempt committed, so no
// row is ever written twice and every acknowledged id is known.
type followingWriter struct {
	t       *testing.T
	nodes   []*nodeProc
	next    atomic.Int64
	mu      sync.Mutex
	acked   map[int64]bool
	errors  int // statements that failed and were retried
	maxGap  time.Duration
	stopped atomic.Bool
	wg      sync.WaitGroup
}

func (w *followingWriter) primary() *pgx.Conn {
	for {
		for _, n := range w.nodes {
			if st, err := n.status(); err == nil && st.Role == "primary" {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				c, err := pgx.Connect(ctx, n.dsn())
				cancel()
				if err == nil {
					return c
				}
			}
		}
		if w.stopped.Load() {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (w *followingWriter) run() {
	defer w.wg.Done()
	c := w.primary()
	lastOK := time.Now()
	for !w.stopped.Load() && c != nil {
		id := w.next.Add(1)
		for {
			_, err := c.Exec(context.Background(), "INSERT INTO sw VALUES ($1, 'v')", id)
			if err == nil || sqlState(err) == "23505" {
				w.mu.Lock()
				w.acked[id] = true
				if gap := time.Since(lastOK); gap > w.maxGap {
					w.maxGap = gap
				}
				w.mu.Unlock()
				lastOK = time.Now()
				break
			}
			w.mu.Lock()
			w.errors++
			w.mu.Unlock()
			c.Close(context.Background())
			if c = w.primary(); c == nil {
				return
			}
		}
	}
	if c != nil {
		c.Close(context.Background())
	}
}

func TestSwitchoverUnderWriteLoad(t *testing.T) {
	adv := []string{"--advertise-host", "127.0.0.1"}
	primary := newPrimary(t, "primary", "sync", adv...)
	syncSb := newStandby(t, "standby-sync", primary, "sync", adv...)
	asyncSb := newStandby(t, "standby-async", primary, "async", adv...)
	waitStreaming(t, primary, "standby-sync", "standby-async")
	c := primary.connect(t)
	mustExec(t, c, "CREATE TABLE sw (id INT PRIMARY KEY, v TEXT)")
	c.Close(context.Background())

	w := &followingWriter{t: t, nodes: []*nodeProc{primary, syncSb, asyncSb}, acked: map[int64]bool{}}
	for i := 0; i < 4; i++ {
		w.wg.Add(1)
		go w.run()
	}
	time.Sleep(time.Second)
	url := func(n *nodeProc) string { return fmt.Sprintf("http://127.0.0.1:%d", n.httpPort) }
	out, err := exec.Command(nanoBin, "switchover", "--from", url(primary), "--to", url(syncSb), "--standby", url(asyncSb)).CombinedOutput()
	if err != nil {
		t.Fatalf("switchover: %v\n%s", err, out)
	}
	time.Sleep(time.Second)
	w.stopped.Store(true)
	w.wg.Wait()

	if st := syncSb.mustStatus(t); st.Role != "primary" {
		t.Fatalf("after the switchover standby-sync is %s", st.Role)
	}
	waitCaughtUp(t, syncSb, primary, asyncSb)
	rows, err := syncSb.connect(t).Query(context.Background(), "SELECT id FROM sw")
	if err != nil {
		t.Fatal(err)
	}
	have := map[int64]bool{}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		have[id] = true
	}
	lost := 0
	for id := range w.acked {
		if !have[id] {
			lost++
		}
	}
	if lost > 0 || len(w.acked) < 50 {
		t.Fatalf("%d of %d acknowledged rows missing on the new primary", lost, len(w.acked))
	}
	hash, n := assertSameTable(t, "SELECT id, v FROM sw ORDER BY id", len(w.acked), syncSb, primary, asyncSb)
	t.Logf("switchover under 4 writers: %d acknowledged, 0 lost, 0 duplicates (PK), %d rows equal on 3 nodes (hash %.12s); %d statements retried on the new primary; longest write pause seen by a writer %s\n%s",
		len(w.acked), n, hash, w.errors, w.maxGap.Round(time.Millisecond), out)
}
