package pgwire

import (
	"context"
	"io"
	"testing"

	"github.com/heliosdb/nano/sql/result"
)

// syncSession is a Session whose Sync only records whether pgwire armed a
// statement context (cancellable by a CancelRequest) around it.
type syncSession struct {
	Session // nil: only the methods below are called
	c       *conn
	work    bool // SyncHasWork: an implicit transaction to commit
	armed   bool // stmtCancel was set during the last Sync
}

func (s *syncSession) SyncHasWork() bool         { return s.work }
func (s *syncSession) ParametersChanged() bool   { return false }
func (s *syncSession) TxStatus() result.TxStatus { return result.TxInTx }
func (s *syncSession) Sync(context.Context) error {
	s.c.mu.Lock()
	s.armed = s.c.stmtCancel != nil
	s.c.mu.Unlock()
	return nil
}

func newSyncTestConn(t *testing.T, work bool) (*conn, *syncSession) {
	t.Helper()
	m, err := newMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c := &conn{srv: &Server{metrics: m}, rw: io.Discard, ctx: ctx, cancel: cancel,
		wbuf: make([]byte, 0, 8<<10), execMark: -1, reported: map[string]string{}}
	s := &syncSession{c: c, work: work}
	c.sess = s
	return c, s
}

// A Sync with nothing to commit (inside a transaction block, after BEGIN
// or COMMIT: every Sync of pgbench's prepared transactions) arms no
// statement context: it allocates nothing and writes one ReadyForQuery.
// Before, each such Sync built a cancellable context (two allocations).
func TestSyncWithoutWorkArmsNoStatementContext(t *testing.T) {
	c, s := newSyncTestConn(t, false)
	c.sync()
	if s.armed {
		t.Fatal("a Sync with nothing to commit armed a statement context")
	}
	if n := testing.AllocsPerRun(200, c.sync); n != 0 {
		t.Fatalf("Sync with nothing to commit: %.1f allocations, want 0", n)
	}
}

// A Sync that commits an implicit transaction runs under a statement
// context, so that a CancelRequest or pg_terminate_backend can withdraw
// the commit while it waits.
func TestSyncWithWorkArmsStatementContext(t *testing.T) {
	c, s := newSyncTestConn(t, true)
	c.sync()
	if !s.armed {
		t.Fatal("a committing Sync ran without a statement context")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stmtCancel != nil {
		t.Fatal("the statement context outlived the Sync")
	}
}
