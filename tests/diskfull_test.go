package tests

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heliosdb/nano/internal/fstest"
)

// TestDiskFull runs a node on a real 64 MiB file system (tmpfs), fills it
// with a ballast file and writes until commits fail:
//   - the node starts on the 64 MiB volume (smaller WAL segments);
//   - a commit that fails is reported failed only: 53100, no command tag
//     before the error, with the simple and with the extended protocol,
//     also when a standby forwards it (--write-forwarding);
//   - /health answers 503 with a status that is not "ok" and says why;
//   - once the ballast is deleted, writes succeed again without a restart;
//   - a node restarted on the full disk starts, serves reads and refuses
//     writes;
//   - after a kill -9 and restart, every acknowledged row is there and no
//     row whose commit failed.
//
// Twice: the second round fills the disk again after the recovery.
func TestDiskFull(t *testing.T) {
	mnt := fstest.MountTmpfs(t, 64<<20)
	p := newNode(t)
	p.dataDir = filepath.Join(mnt, "data")
	p.nativePort = freePort(t)
	p.start()
	c := p.connect(t)
	ctx := context.Background()
	mustExec(t, c, "CREATE TABLE t (id int PRIMARY KEY, pad text)")
	// A standby (normal disk) forwarding writes to the full primary.
	fwd := newNode(t, standbyArgs("fwd", p.nativePort, "async", "--write-forwarding")...)
	fwd.nativePort = freePort(t)
	fwd.start()
	fc := fwd.connect(t)

	acked := map[int]bool{}
	failed := map[int]bool{}
	next := 0
	ballast := filepath.Join(mnt, "ballast")
	for round := range 2 {
		fstest.Fill(t, ballast, 0)
		var faults int
		for faults < 6 {
			if next > 200000 {
				t.Fatal("the disk never filled up")
			}
			id := next
			next++
			err := insertRow(ctx, t, c.PgConn(), id, id%2 == 0)
			if err == nil {
				// A commit may still fit after a refusal: the refused
				// commit's reservation was conservative, and a background
				// flush that lands later returns what it did not use. It is
				// acknowledged, so it must be there after the restart.
				acked[id] = true
				continue
			}
			failed[id] = true
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "53100" {
				t.Fatalf("round %d: insert %d: %v; want SQLSTATE 53100", round, id, err)
			}
			if faults == 0 {
				t.Logf("round %d: first failure after %d rows: %s (%s; hint %q)", round, len(acked), pe.Message, pe.Detail, pe.Hint)
			}
			faults++
		}
		// Forwarded through the standby: the same answer, 53100 (a
		// commit that still fits is acknowledged as above).
		for refused, tries := 0, 0; refused < 2; tries++ {
			if tries == 100000 {
				t.Fatalf("round %d: %d forwarded inserts on a full disk, %d refused with 53100; want 2", round, tries, refused)
			}
			id := next
			next++
			err := insertRow(ctx, t, fc.PgConn(), id, id%2 == 0)
			if err == nil {
				acked[id] = true
				continue
			}
			if pe := (*pgconn.PgError)(nil); !errors.As(err, &pe) || pe.Code != "53100" {
				t.Fatalf("round %d: forwarded insert %d: %v; want 53100", round, id, err)
			}
			failed[id] = true
			refused++
		}
		code, body := health(t, p)
		var h struct{ Status, Reason string }
		if err := json.Unmarshal([]byte(body), &h); err != nil {
			t.Fatalf("/health body %q: %v", body, err)
		}
		if code != 503 || h.Status == "ok" || !strings.Contains(h.Reason, "disk full") {
			t.Fatalf("round %d: /health during the fault = %d %s; want 503, a status other than ok and a disk-full reason", round, code, body)
		}
		t.Logf("round %d: /health = %d %s", round, code, body)
		if round == 1 {
			// A node restarted on the full disk starts, serves reads and
			// refuses writes with 53100.
			p.kill()
			p.start()
			c = p.connect(t)
			var n int
			if err := c.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != len(acked) {
				t.Fatalf("after a restart on the full disk: count = %d, %v; want %d", n, err, len(acked))
			}
			id := next
			next++
			err := insertRow(ctx, t, c.PgConn(), id, true)
			if pe := (*pgconn.PgError)(nil); !errors.As(err, &pe) || pe.Code != "53100" {
				t.Fatalf("insert after a restart on the full disk: %v; want 53100", err)
			}
			failed[id] = true
		}
		if err := os.Remove(ballast); err != nil {
			t.Fatal(err)
		}
		waitHealthy(t, p)
		for range 20 {
			id := next
			next++
			if err := insertRow(ctx, t, c.PgConn(), id, id%2 == 0); err != nil {
				t.Fatalf("round %d: insert %d after freeing space, without restart: %v", round, id, err)
			}
			acked[id] = true
		}
	}

	p.kill()
	p.start()
	c2 := p.connect(t)
	rows, err := c2.Query(ctx, "SELECT id FROM t")
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	present := map[int]bool{}
	for _, id := range ids {
		present[int(id)] = true
		if failed[int(id)] {
			t.Errorf("row %d is present but its commit was reported failed", id)
		}
	}
	for id := range acked {
		if !present[id] {
			t.Errorf("acknowledged row %d is missing after restart", id)
		}
	}
	if len(present) != len(acked) {
		t.Errorf("%d rows present, %d acknowledged", len(present), len(acked))
	}
	t.Logf("%d rows acknowledged, %d commits refused, all accounted for after restart", len(acked), len(failed))
}

// insertRow inserts one row with the simple or the extended protocol and
// fails the test when the client saw a command tag together with an error.
func insertRow(ctx context.Context, t *testing.T, pc *pgconn.PgConn, id int, simple bool) error {
	t.Helper()
	pad := strings.Repeat("x", 2000)
	if simple {
		results, err := pc.Exec(ctx, fmt.Sprintf("INSERT INTO t VALUES (%d, '%s')", id, pad)).ReadAll()
		for _, r := range results {
			if err == nil {
				err = r.Err
			}
		}
		if err != nil {
			for _, r := range results {
				if tag := r.CommandTag.String(); tag != "" {
					t.Fatalf("simple protocol: the client got %q and then the error %v", tag, err)
				}
			}
		}
		return err
	}
	r := pc.ExecParams(ctx, "INSERT INTO t VALUES ($1, $2)", [][]byte{[]byte(fmt.Sprint(id)), []byte(pad)}, nil, nil, nil).Read()
	if r.Err != nil && r.CommandTag.String() != "" {
		t.Fatalf("extended protocol: the client got %q and then the error %v", r.CommandTag.String(), r.Err)
	}
	return r.Err
}

func health(t *testing.T, p *nodeProc) (int, string) {
	t.Helper()
	code, body, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/health", p.httpPort))
	if err != nil {
		t.Fatal(err)
	}
	return code, body
}

// waitHealthy waits (up to 10 s) for /health to turn 200 by itself.
func waitHealthy(t *testing.T, p *nodeProc) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := health(t, p)
		if code == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/health still %d %s 10 s after space was freed", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStandbyDiskFull: a standby on a 64 MiB tmpfs whose disk fills while
// its WAL needs a new segment stops (its last error and /health say why),
// never acks beyond what it flushed, and catches up by itself once space
// is freed; after a kill -9 it holds the primary's rows.
func TestStandbyDiskFull(t *testing.T) {
	mnt := fstest.MountTmpfs(t, 64<<20)
	primary := newPrimary(t, "p1", "async")
	s := newNode(t, standbyArgs("s1", primary.nativePort, "async")...)
	s.dataDir = filepath.Join(mnt, "data")
	s.nativePort = freePort(t)
	s.start()
	waitStreaming(t, primary, "s1")
	c := primary.connect(t)
	mustExec(t, c, "CREATE TABLE t (id int PRIMARY KEY, pad text)")
	next := 0
	insertUpTo := func(lsn uint64) {
		for primary.mustStatus(t).current() < lsn {
			var vals []string
			for range 100 {
				vals = append(vals, fmt.Sprintf("(%d, repeat('x', 2000))", next))
				next++
			}
			mustExec(t, c, "INSERT INTO t VALUES "+strings.Join(vals, ", "))
		}
	}
	// The standby's WAL segments are 8 MiB (a 64 MiB volume): stop just
	// before the first cut, leave 3 MiB free, then cross it.
	insertUpTo(7<<20 + 512<<10)
	waitCaughtUp(t, primary, s)
	ballast := filepath.Join(mnt, "ballast")
	fstest.Fill(t, ballast, 3<<20)
	insertUpTo(9 << 20)
	eventually(t, 20*time.Second, "the standby reports a full disk", func() (bool, string) {
		st := s.mustStatus(t)
		return strings.Contains(st.Replication.LastError, "no space left on device"), st.Replication.LastError
	})
	// Never acknowledged beyond its durable WAL.
	for range 20 {
		p, st := primary.mustStatus(t), s.mustStatus(t)
		for _, sb := range p.Standbys {
			acked, _ := lsnOf(sb.FlushedLSN)
			if sb.NodeID == "s1" && acked > st.current() {
				t.Fatalf("primary saw s1 flushed up to %s; s1 has %s durable", sb.FlushedLSN, st.CurrentLSN)
			}
		}
		if p.current() <= st.current() {
			t.Fatalf("the standby kept up (at %s) on a full disk; the test did not fill it", st.CurrentLSN)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("standby stalled at %s, primary at %s: %s", s.mustStatus(t).CurrentLSN, primary.mustStatus(t).CurrentLSN, s.mustStatus(t).Replication.LastError)
	code, body := health(t, s)
	if code != 503 || strings.Contains(body, `"status":"ok"`) || !strings.Contains(body, "disk full") {
		t.Fatalf("standby /health during the fault = %d %s; want 503 with a disk-full reason", code, body)
	}
	t.Logf("standby /health = %d %s", code, body)
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, primary, s) // without a restart
	waitHealthy(t, s)
	mustExec(t, c, "INSERT INTO t VALUES (-1, 'after')")
	waitCaughtUp(t, primary, s)
	s.kill()
	s.start()
	waitCaughtUp(t, primary, s)
	assertSameTable(t, "SELECT id, length(pad) FROM t ORDER BY id", next, primary, s)
}

// TestDiskFullAfterDurableCommit: the storage room reserved for commits is
// taken away (punched out of the file) and the disk filled, so the storage
// file cannot take the changes already acknowledged (durable in the WAL,
// visible from memory, pending a flush). Commits go on until the room the
// pending changes need cannot be reserved; then they are refused with
// 53100 and /health says why; once space is freed commits resume without a
// restart, and after a kill -9 every acknowledged row is present and no
// refused one.
func TestDiskFullAfterDurableCommit(t *testing.T) {
	mnt := fstest.MountTmpfs(t, 64<<20)
	p := newNode(t)
	p.dataDir = filepath.Join(mnt, "data")
	p.start()
	c := p.connect(t)
	ctx := context.Background()
	mustExec(t, c, "CREATE TABLE t (id int PRIMARY KEY, pad text)")
	for id := range 50 {
		mustExec(t, c, "INSERT INTO t VALUES ($1, repeat('x', 2000))", id)
	}
	db, err := os.OpenFile(filepath.Join(p.dataDir, "data.db"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Free every block past bbolt's high-water mark (pages never written):
	// the room the node reserved is gone, though it believes it has it.
	const punch = 0x01 | 0x02 // FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE
	if err := syscall.Fallocate(int(db.Fd()), punch, boltHighWater(t, db), 1<<30); err != nil {
		t.Fatalf("punch out the reservation: %v", err)
	}
	db.Close()
	ballast := filepath.Join(mnt, "ballast")
	fstest.Fill(t, ballast, 0)

	// Big rows until one is refused.
	var acked []int
	id := 1000
	for ; ; id++ {
		_, err := c.Exec(ctx, "INSERT INTO t VALUES ($1, repeat('y', 200000))", id)
		if err == nil {
			acked = append(acked, id)
			if id > 3000 {
				t.Fatal("no commit was ever refused on a full disk")
			}
			continue
		}
		if pe := (*pgconn.PgError)(nil); !errors.As(err, &pe) || pe.Code != "53100" {
			t.Fatalf("insert %d on a full disk: %v; want 53100", id, err)
		}
		break
	}
	t.Logf("%d inserts acknowledged, insert %d refused with 53100", len(acked), id)
	code, body := health(t, p)
	if code != 503 || !strings.Contains(body, "disk full") {
		t.Fatalf("/health while storage is full: %d %s", code, body)
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := c.Exec(ctx, "INSERT INTO t VALUES (-2, 'after')")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("commits still refused 20 s after space returned: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitHealthy(t, p)
	p.kill()
	p.start()
	c2 := p.connect(t)
	for _, a := range append(acked, -2) {
		var n int
		if err := c2.QueryRow(ctx, "SELECT count(*) FROM t WHERE id = $1", a).Scan(&n); err != nil || n != 1 {
			t.Fatalf("acknowledged insert %d after restart: count %d, %v", a, n, err)
		}
	}
	var refused int
	if err := c2.QueryRow(ctx, "SELECT count(*) FROM t WHERE id = $1", id).Scan(&refused); err != nil || refused != 0 {
		t.Fatalf("the refused insert %d is present after restart: %d, %v", id, refused, err)
	}
}

// boltHighWater reads the end of the pages a bbolt file uses from its
// newest meta page (page header 16 bytes; meta: page size at 24, high-water
// page id at 56, txid at 64).
func boltHighWater(t *testing.T, f *os.File) int64 {
	t.Helper()
	var hw int64
	var txid uint64
	for _, off := range []int64{0, 4096} {
		b := make([]byte, 72)
		if _, err := f.ReadAt(b, off); err != nil {
			t.Fatal(err)
		}
		if binary.LittleEndian.Uint32(b[24:]) != 4096 {
			t.Fatalf("bbolt page size %d, want 4096", binary.LittleEndian.Uint32(b[24:]))
		}
		if tx := binary.LittleEndian.Uint64(b[64:]); tx >= txid {
			txid, hw = tx, int64(binary.LittleEndian.Uint64(b[56:]))*4096
		}
	}
	return hw
}
