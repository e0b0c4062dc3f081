package tests

import (
	"context"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliosdb/nano/wal/waltest"
)

// crashCycles is 50 in `make test`; `make faults` raises it through
// HELIOSDB_CRASH_CYCLES.
func crashCycles() int {
	if n, err := strconv.Atoi(os.Getenv("HELIOSDB_CRASH_CYCLES")); err == nil && n > 0 {
		return n
	}
	if testing.Short() {
		return 5
	}
	return 50
}

// TestKill9KeepsAcknowledgedCommits kills a node with SIGKILL while several
// clients commit concurrently, restarts it, and checks that every
// acknowledged commit is there and that no transaction is half-applied.
func TestKill9KeepsAcknowledgedCommits(t *testing.T) {
	n := newNode(t)
	cycles := crashCycles()
	count := killCycles(t, n, cycles, 20, func(cycle int) {
		// Odd cycles flush the storage file and trim the WAL every few
		// milliseconds, so kills land before, during and after flushes and
		// checkpoints; even cycles keep the defaults (kills with changes
		// still pending in memory).
		n.extra = nil
		if cycle%2 == 1 {
			n.extra = []string{"--storage-flush-interval", "5ms", "--checkpoint-interval", "20ms"}
		}
	}, nil)
	t.Logf("%d kill -9 cycles, %d acknowledged rows all present", cycles, count)
}

// TestPowerCutKeepsAcknowledgedCommits is TestKill9KeepsAcknowledgedCommits
// with a power cut instead of a bare kill -9: after the kill, everything
// the WAL wrote after its last fsync is dropped (waltest.PowerCut, from the
// flushed LSN the node records under HELIOSDB_TEST_WAL_SYNC_MARK=1), as a
// machine losing power would. A kill -9 keeps the page cache, so only this
// shows that no commit is acknowledged before its WAL fsync.
func TestPowerCutKeepsAcknowledgedCommits(t *testing.T) {
	n := newNode(t)
	n.env = []string{"HELIOSDB_TEST_WAL_SYNC_MARK=1"}
	cycles := max(crashCycles()/5, 3)
	cut := 0
	count := killCycles(t, n, cycles, 50, nil, func(cycle int) {
		_, dropped, err := waltest.PowerCut(filepath.Join(n.dataDir, "wal"))
		if err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
		if dropped {
			cut++
		}
	})
	t.Logf("%d power cuts (%d dropped written WAL), %d acknowledged rows all present", cycles, cut, count)
	if cut == 0 {
		t.Fatal("no power cut dropped anything written: the test proved nothing")
	}
}

// killCycles runs cycles of: (re)start n (before(cycle) first), check every
// acknowledged row, commit from four clients for minSleep+0–150 ms, kill -9
// (then afterKill(cycle)); then a last start and check. It returns how many
// rows were acknowledged, failing the test when none was.
func killCycles(t *testing.T, n *nodeProc, cycles, minSleep int, before, afterKill func(cycle int)) int {
	var acked sync.Map // id -> pair id (0 when single)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	for cycle := 1; cycle <= cycles; cycle++ {
		if before != nil {
			before(cycle)
		}
		n.start()
		if cycle == 1 {
			c := n.connect(t)
			mustExec(t, c, "CREATE TABLE acked (id BIGINT PRIMARY KEY, writer INT NOT NULL, pair BIGINT)")
			c.Close(context.Background())
		} else {
			verifyAcked(t, n, &acked, cycle)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				writeUntilKilled(n, cycle, w, &acked, stop)
			}(w)
		}
		time.Sleep(time.Duration(minSleep+rng.Intn(150)) * time.Millisecond)
		n.kill()
		close(stop)
		wg.Wait()
		if afterKill != nil {
			afterKill(cycle)
		}
	}
	n.start()
	verifyAcked(t, n, &acked, cycles+1)
	count := 0
	acked.Range(func(_, _ any) bool { count++; return true })
	if count == 0 {
		t.Fatal("no commit was acknowledged in any cycle: the test proved nothing")
	}
	return count
}

// writeUntilKilled commits single-row inserts and two-row transactions,
// recording each acknowledged id, until the server goes away.
func writeUntilKilled(n *nodeProc, cycle, w int, acked *sync.Map, stop chan struct{}) {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, n.dsn())
	if err != nil {
		return
	}
	defer c.Close(ctx)
	base := int64(cycle)*10_000_000 + int64(w)*1_000_000
	for i := int64(0); ; i += 3 {
		select {
		case <-stop:
			return
		default:
		}
		id := base + i
		if _, err := c.Exec(ctx, "INSERT INTO acked (id, writer) VALUES ($1, $2)", id, w); err != nil {
			return
		}
		acked.Store(id, int64(0))
		tx, err := c.Begin(ctx)
		if err != nil {
			return
		}
		a, b := id+1, id+2
		if _, err := tx.Exec(ctx, "INSERT INTO acked (id, writer, pair) VALUES ($1, $2, $3), ($3, $2, $1)", a, w, b); err != nil {
			return
		}
		if err := tx.Commit(ctx); err != nil {
			return
		}
		acked.Store(a, b)
		acked.Store(b, a)
	}
}

func verifyAcked(t *testing.T, n *nodeProc, acked *sync.Map, cycle int) {
	t.Helper()
	ctx := context.Background()
	c := n.connect(t)
	defer c.Close(ctx)
	rows, err := c.Query(ctx, "SELECT id, pair FROM acked")
	if err != nil {
		t.Fatalf("cycle %d: %v", cycle, err)
	}
	present := map[int64]int64{}
	for rows.Next() {
		var id int64
		var pair *int64
		if err := rows.Scan(&id, &pair); err != nil {
			t.Fatal(err)
		}
		if pair != nil {
			present[id] = *pair
		} else {
			present[id] = 0
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("cycle %d: %v", cycle, err)
	}
	for id, pair := range present {
		if pair != 0 {
			if _, ok := present[pair]; !ok {
				t.Fatalf("cycle %d: transaction half applied: row %d present, its pair %d missing", cycle, id, pair)
			}
		}
	}
	acked.Range(func(k, _ any) bool {
		if _, ok := present[k.(int64)]; !ok {
			t.Fatalf("cycle %d: acknowledged row %d lost after kill -9\nlogs:\n%s", cycle, k, n.logs)
		}
		return true
	})
}
