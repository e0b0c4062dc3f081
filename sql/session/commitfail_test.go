package session_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/exec/exectest"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/session"
	"github.com/heliosdb/nano/storage"
)

// failingCommitter fails every commit with 53100 while fail is set.
type failingCommitter struct {
	exec.Committer
	fail atomic.Bool
}

func (c *failingCommitter) Commit(ctx context.Context, b *storage.Batch, readLSN lsn.LSN) (lsn.LSN, error) {
	if c.fail.Load() {
		return 0, pgerror.New(pgerror.DiskFull, "could not write to the write-ahead log: No space left on device")
	}
	return c.Committer.Commit(ctx, b, readLSN)
}

// A commit that fails is reported as failed only: the last statement of
// the string gets the error and no CommandComplete, as PostgreSQL orders
// them (earlier statements' results are sent, as PostgreSQL sends them
// before the commit).
func TestFailedCommitSendsNoTag(t *testing.T) {
	fc := &failingCommitter{}
	e := exectest.NewWrapped(t, func(c exec.Committer) exec.Committer { fc.Committer = c; return fc })
	s := newSession(t, session.Config{Engine: e}, nil)
	mustQuery(t, s, "CREATE TABLE t (id int primary key)")
	fc.fail.Store(true)
	for _, c := range []struct {
		sql  string
		tags []string
		rows int
	}{
		{"INSERT INTO t VALUES (1)", nil, 0},
		{"INSERT INTO t VALUES (2); INSERT INTO t VALUES (3)", []string{"INSERT 0 1"}, 0},
		{"INSERT INTO t VALUES (4) RETURNING id", nil, 1},
		{"CREATE TABLE u (a int)", nil, 0},
		{"SELECT 1; INSERT INTO t VALUES (7)", []string{"SELECT 1"}, 1},
	} {
		r := &recorder{}
		err := s.Query(context.Background(), c.sql, r)
		if pgerror.CodeOf(err) != pgerror.DiskFull {
			t.Fatalf("%s: %v; want 53100", c.sql, err)
		}
		rows := len(r.cur.Rows)
		for _, x := range r.Results {
			rows += len(x.Rows)
		}
		if !slices.Equal(r.tags(), c.tags) || rows != c.rows {
			t.Errorf("%s: tags %q and %d rows before the error; want %q and %d", c.sql, r.tags(), rows, c.tags, c.rows)
		}
	}
	fc.fail.Store(false)
	if r := mustQuery(t, s, "INSERT INTO t VALUES (6)"); !slices.Equal(r.tags(), []string{"INSERT 0 1"}) {
		t.Fatalf("after the fault: tags %q", r.tags())
	}
	if r := mustQuery(t, s, "SELECT id FROM t"); len(r.Results) != 1 || len(r.Results[0].Rows) != 1 {
		t.Fatalf("rows after failed commits: %v", r.Results)
	}
}
