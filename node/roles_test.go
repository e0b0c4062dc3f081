package node_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
)

func hostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	return h, port
}

func term(t *testing.T, m *clustertest.Member) int64 {
	t.Helper()
	var v int64
	if err := m.Conn().QueryRow(context.Background(), "SELECT term FROM helios_replication_status").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// waitTerm waits until m reports term want.
func waitTerm(t *testing.T, m *clustertest.Member, want int64, who string) {
	t.Helper()
	clustertest.Eventually(t, 10*time.Second, fmt.Sprintf("%s at term %d", who, want), func() bool { return term(t, m) == want })
}

// sameTable waits until every member holds the reference's rows of table.
func sameTable(t *testing.T, table string, ref *clustertest.Member, others ...*clustertest.Member) int {
	t.Helper()
	want, n := ref.TableHash(table)
	if n == 0 {
		t.Fatalf("%s is empty on %s", table, ref.Name)
	}
	for _, m := range others {
		clustertest.Eventually(t, 20*time.Second, m.Name+" has "+ref.Name+"'s rows", func() bool {
			got, _ := m.TableHash(table)
			return got == want
		})
	}
	return n
}

func TestPromoteDemoteRepointRejoin(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{})
	ctx := context.Background()
	c.Primary.Exec("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")
	w := startWriter(t, c.Primary, 4)
	time.Sleep(300 * time.Millisecond)
	acked := w.finish()
	c.Primary.Stop() // the primary is gone

	res, err := c.Sync.Node().Promote(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Term != 2 || res.AlreadyPrimary {
		t.Fatalf("promote = %+v, want term 2", res)
	}
	if again, err := c.Sync.Node().Promote(ctx); err != nil || !again.AlreadyPrimary {
		t.Fatalf("second promote = %+v, %v; want a no-op", again, err)
	}
	// Every acknowledged row (sync mode) is on the promoted standby.
	var n int64
	if err := c.Sync.Conn().QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n < acked {
		t.Fatalf("promoted standby has %d rows (%v), %d were acknowledged", n, err, acked)
	}
	c.Sync.Exec("INSERT INTO t VALUES (-1, 'written on the new primary')")

	// The async standby follows the new primary.
	host, port := hostPort(t, c.Sync.NativeAddr())
	if err := c.Async.Node().Demote(ctx, host, port); err != nil {
		t.Fatal(err)
	}
	sameTable(t, "t", c.Sync, c.Async)
	if got := term(t, c.Async); got != 2 {
		t.Fatalf("async standby term = %d after following the new primary, want 2", got)
	}
	if _, err := c.Async.Conn().Exec(ctx, "INSERT INTO t VALUES (-2, 'x')"); !isReadOnly(err) {
		t.Fatalf("write on the re-pointed standby: %v, want 25006", err)
	}

	// The old primary restarts as what it was (a primary of term 1) while
	// its peers are unreachable (so its start-up peer check cannot fence
	// it), is demoted to follow the new primary, and ends up with its
	// history.
	c.Sync.Stop()
	c.Async.Stop()
	c.Primary.Start()
	if got := term(t, c.Primary); got != 1 {
		t.Fatalf("restarted old primary term = %d, want 1", got)
	}
	// It diverges: a write in term 1 after term 2 began elsewhere; it must
	// not survive the rejoin.
	clustertest.Eventually(t, 10*time.Second, "the old primary takes a write after its peer check", func() bool {
		_, err := c.Primary.Conn().Exec(ctx, "INSERT INTO t VALUES (-100, 'diverged')")
		return err == nil
	})
	c.Sync.Start()
	c.Async.Start()
	// Fencing: a standby of term 2 pointed at the old primary makes it
	// learn that its term is over; it stops accepting writes, and the
	// standby refuses to follow it.
	oldHost, oldPort := hostPort(t, c.Primary.NativeAddr())
	if err := c.Async.Node().Demote(ctx, oldHost, oldPort); err != nil {
		t.Fatal(err)
	}
	probe := -1000 // a fresh id each time: a write before the fencing succeeds
	clustertest.Eventually(t, 10*time.Second, "old primary fenced", func() bool {
		probe--
		_, err := c.Primary.Conn().Exec(ctx, "INSERT INTO t VALUES ($1, 'fenced?')", probe)
		return isReadOnly(err)
	})
	if err := c.Async.Node().Demote(ctx, host, port); err != nil {
		t.Fatal(err)
	}
	if err := c.Primary.Node().Demote(ctx, host, port); err != nil {
		t.Fatal(err)
	}
	rows := sameTable(t, "t", c.Sync, c.Primary, c.Async) // the diverged row is gone
	// (A re-seed installs the data before the identity it carries: wait.)
	waitTerm(t, c.Primary, 2, "the old primary after rejoining")
	c.Primary.Restart() // the role is remembered: still a standby
	if _, err := c.Primary.Conn().Exec(ctx, "INSERT INTO t VALUES (-3, 'x')"); !isReadOnly(err) {
		t.Fatalf("write on the restarted, demoted old primary: %v, want 25006", err)
	}
	// (The new primary restarted above: it takes writes once its peers
	// have told it their terms.)
	clustertest.Eventually(t, 10*time.Second, "a write on the new primary", func() bool {
		_, err := c.Sync.Conn().Exec(ctx, "INSERT INTO t VALUES (-4, 'after the rejoin')")
		return err == nil
	})
	sameTable(t, "t", c.Sync, c.Primary, c.Async)
	t.Logf("%d acknowledged before the failover; %d rows equal on all three nodes after promote, re-point and rejoin", acked, rows)
}

func isReadOnly(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "25006"
}

// The async standby is ahead of the sync standby when the primary dies
// (the sync standby was away and the primary degraded): after the sync
// standby is promoted, the async one follows it with one history — its
// extra term-1 tail is replaced by a base backup — where PostgreSQL's
// standby would be stuck on a timeline it cannot follow.
func TestAsyncAheadOfPromotedSyncFollowsIt(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{})
	ctx := context.Background()
	c.Primary.Exec("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")
	c.Primary.Exec("INSERT INTO t VALUES (1, 'everywhere')")
	c.WaitCaughtUp()
	c.Sync.Stop()
	// Degrades after sync-timeout, then the async standby gets what the
	// sync one misses.
	c.Primary.Exec("INSERT INTO t VALUES (2, 'primary and async only')", "INSERT INTO t VALUES (3, 'primary and async only')")
	want, _ := c.Primary.TableHash("t")
	clustertest.Eventually(t, 10*time.Second, "async standby has rows 2 and 3", func() bool {
		got, _ := c.Async.TableHash("t")
		return got == want
	})
	c.Primary.Stop()
	c.Sync.Start()
	res, err := c.Sync.Node().Promote(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, _, asyncApplied, _ := c.Async.Status()
	if asyncApplied <= res.LSN {
		t.Fatalf("async standby applied %s, not ahead of the new term's start %s: the test setup failed", asyncApplied, res.LSN)
	}
	c.Sync.Exec("INSERT INTO t VALUES (10, 'term 2')")

	host, port := hostPort(t, c.Sync.NativeAddr())
	if err := c.Async.Node().Demote(ctx, host, port); err != nil {
		t.Fatal(err)
	}
	rows := sameTable(t, "t", c.Sync, c.Async)
	waitTerm(t, c.Async, 2, "the re-seeded async standby")
	var n int
	if err := c.Async.Conn().QueryRow(ctx, "SELECT count(*) FROM t WHERE id IN (2, 3)").Scan(&n); err != nil || n != 0 {
		t.Fatalf("async standby still has %d rows of the abandoned term-1 tail (%v)", n, err)
	}
	c.Sync.Exec("INSERT INTO t VALUES (11, 'streams on')")
	sameTable(t, "t", c.Sync, c.Async)
	t.Logf("async standby was %d bytes ahead of the new term's start; re-seeded, %d rows equal, streaming term 2", int64(asyncApplied-res.LSN), rows)
}

// A primary restarted after a failover asks the peers it knows for their
// terms before it takes writes, and is fenced when one has a newer term.
func TestRestartedPrimaryAsksPeersTerms(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{})
	ctx := context.Background()
	c.Primary.Exec("CREATE TABLE t (id INT PRIMARY KEY)", "CREATE SEQUENCE s")
	// A restart with no failover: the peers have its term; writes go on.
	c.Primary.Restart()
	clustertest.Eventually(t, 10*time.Second, "writes after the peer check", func() bool {
		_, err := c.Primary.Conn().Exec(ctx, "INSERT INTO t VALUES (1)")
		return err == nil
	})

	c.Primary.Stop()
	if _, err := c.Sync.Node().Promote(ctx); err != nil {
		t.Fatal(err)
	}
	c.Primary.Start()
	// Its very first write is refused: it asked before serving.
	_, err := c.Primary.Conn().Exec(ctx, "INSERT INTO t VALUES (2)")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "25006" || !strings.Contains(pe.Hint, "fenced") {
		t.Fatalf("first write on the restarted old primary: %v, want 25006 with a hint that it is fenced", err)
	}
	t.Logf("restarted old primary refuses writes: %s", pe.Hint)

	// Nor does it serve its tables (issue 16): they may hold commits the
	// new primary never received. helios_node still answers, so the
	// proxy's health probe sees it and demotes it.
	var id int
	err = c.Primary.Conn().QueryRow(ctx, "SELECT id FROM t LIMIT 1").Scan(&id)
	if !errors.As(err, &pe) || pe.Code != "57P03" || !strings.Contains(pe.Detail, "fenced") {
		t.Fatalf("read on the fenced old primary: %v, want 57P03 with a detail that it is fenced", err)
	}
	// Nor anything else that reads or changes what its storage holds
	// (issue 16): the size functions measure the unconfirmed tail (57P03
	// as a table read), COPY TO reads the table, and nextval/setval would
	// read and advance a sequence's unconfirmed state (25006: writes).
	conn := c.Primary.Conn()
	for _, q := range []string{"SELECT pg_relation_size('t')", "SELECT pg_total_relation_size('t')", "SELECT pg_table_size('t')",
		"SELECT pg_indexes_size('t')", "SELECT pg_database_size(current_database())", "SELECT nextval('s')", "SELECT setval('s', 10)",
		"SELECT pg_size_pretty(pg_total_relation_size('t'))"} {
		var n any
		err := conn.QueryRow(ctx, q).Scan(&n)
		if !errors.As(err, &pe) || !(pe.Code == "57P03" && strings.Contains(pe.Detail, "fenced") || pe.Code == "25006" && strings.Contains(pe.Hint, "fenced")) {
			t.Errorf("%s on the fenced old primary: %v, %v; want 57P03 or 25006 saying it is fenced", q, n, err)
		}
	}
	var out strings.Builder
	_, err = conn.PgConn().CopyTo(ctx, &out, "COPY t TO STDOUT")
	if !errors.As(err, &pe) || pe.Code != "57P03" || out.Len() > 0 {
		t.Errorf("COPY t TO STDOUT on the fenced old primary: %q, %v; want 57P03", out.String(), err)
	}
	var role string
	if err := conn.QueryRow(ctx, "SELECT role FROM helios_node").Scan(&role); err != nil || role != "primary" {
		t.Fatalf("helios_node on the fenced old primary: %q, %v; want its row (role primary)", role, err)
	}
}

// A promotion with a minimum term (the proxy's failover: every term it has
// seen + 1) takes it when it is above the node's term + 1; the history
// then skips terms, and the standbys that follow the new primary — one
// re-pointed, the old primary demoted after a restart — adopt it and
// stream.
func TestPromoteMinTermSkipsTerms(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{})
	ctx := context.Background()
	c.Primary.Exec("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	c.WaitCaughtUp()
	c.Primary.Stop()
	res, err := c.Sync.Node().PromoteWith(ctx, node.PromoteOptions{MinTerm: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Term != 5 {
		t.Fatalf("promote with minimum term 5 from term 1 = term %d", res.Term)
	}
	c.Sync.Exec("INSERT INTO t VALUES (2)")
	host, port := hostPort(t, c.Sync.NativeAddr())
	if err := c.Async.Node().Demote(ctx, host, port); err != nil {
		t.Fatal(err)
	}
	c.Primary.Start()
	if err := c.Primary.Node().Demote(ctx, host, port); err != nil {
		t.Fatal(err)
	}
	sameTable(t, "t", c.Sync, c.Async, c.Primary)
	waitTerm(t, c.Async, 5, "the re-pointed async standby")
	waitTerm(t, c.Primary, 5, "the demoted old primary")
	// A minimum below the node's term + 1 changes nothing.
	c.Sync.Stop()
	res, err = c.Async.Node().PromoteWith(ctx, node.PromoteOptions{MinTerm: 3})
	if err != nil || res.Term != 6 {
		t.Fatalf("promote with minimum term 3 from term 5 = %+v, %v; want term 6", res, err)
	}
}
