// Package exectest builds an exec.Engine over a real storage.DB in a temp
// dir with an in-process Committer (first-committer-wins conflict check and
// a fake increasing LSN), for tests that do not need the node.
package exectest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
	"github.com/heliosdb/nano/storage"
)

// Committer is a simple in-process committer.
type Committer struct {
	DB      *storage.DB
	mu      sync.Mutex
	last    lsn.LSN
	written map[string]lsn.LSN // bucket\x00key -> commit LSN
	buckets map[string]lsn.LSN
}

// Commit checks write-write conflicts and applies b.
func (c *Committer) Commit(ctx context.Context, b *storage.Batch, readLSN lsn.LSN) (lsn.LSN, error) {
	return c.commit(b, readLSN, false)
}

// CommitLocked implements exec.LockedCommitter: writes to the buckets
// exec.CatalogLocked names are not checked.
func (c *Committer) CommitLocked(ctx context.Context, b *storage.Batch, readLSN lsn.LSN) (lsn.LSN, error) {
	return c.commit(b, readLSN, true)
}

func (c *Committer) commit(b *storage.Batch, readLSN lsn.LSN, locked bool) (lsn.LSN, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, op := range b.Ops {
		if locked && exec.CatalogLocked(op.Bucket) {
			continue
		}
		if c.buckets[string(op.Bucket)] > readLSN {
			return 0, pgerror.New(pgerror.SerializationFailure, "could not serialize access due to concurrent update")
		}
		if (op.Kind == storage.OpPut || op.Kind == storage.OpDelete) && !exec.LockProtected(op.Bucket) {
			if c.written[string(op.Bucket)+"\x00"+string(op.Key)] > readLSN {
				return 0, pgerror.New(pgerror.SerializationFailure, "could not serialize access due to concurrent update")
			}
		}
	}
	c.last += 100
	for _, op := range b.Ops {
		if op.Kind == storage.OpPut || op.Kind == storage.OpDelete {
			c.written[string(op.Bucket)+"\x00"+string(op.Key)] = c.last
		} else if op.Kind != storage.OpMoveBucket { // publishes rows under their locks, as puts do

			c.buckets[string(op.Bucket)] = c.last
		}
	}
	if err := c.DB.Apply(c.last, b); err != nil {
		return 0, err
	}
	return c.last, nil
}

// New returns an engine over a fresh database in t.TempDir().
func New(t testing.TB) *exec.Engine {
	t.Helper()
	return NewWrapped(t, nil)
}

// NewWrapped is New with the committer wrapped by wrap (nil = none), for
// tests that make commits fail.
func NewWrapped(t testing.TB, wrap func(exec.Committer) exec.Committer) *exec.Engine {
	t.Helper()
	return newEngine(t, wrap, exec.Config{})
}

// NewConfig is New with the other fields of cfg (its Snapshots and
// Committer are set here), e.g. a StatementMemoryLimit.
func NewConfig(t testing.TB, cfg exec.Config) *exec.Engine {
	t.Helper()
	return newEngine(t, nil, cfg)
}

func newEngine(t testing.TB, wrap func(exec.Committer) exec.Committer, cfg exec.Config) *exec.Engine {
	t.Helper()
	db, err := storage.Open(storage.Config{Path: filepath.Join(t.TempDir(), "data.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	var c exec.Committer = &Committer{DB: db, written: map[string]lsn.LSN{}, buckets: map[string]lsn.LSN{}, last: db.AppliedLSN()}
	if wrap != nil {
		c = wrap(c)
	}
	cfg.Snapshots, cfg.Committer = db, c
	e, err := exec.NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Result is the outcome of one statement.
type Result struct {
	Columns []string
	Types   []types.T
	Rows    [][]string
	Tag     string
}

// Run executes sql (one or more statements, each in its own autocommit
// transaction) and returns the last result.
func Run(ctx context.Context, e *exec.Engine, sql string, params ...types.Datum) (*Result, error) {
	stmts, err := parser.Parse(sql)
	if err != nil {
		return nil, err
	}
	var res *Result
	for _, st := range stmts {
		if res, err = RunStmt(ctx, e, nil, st, params); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// RunStmt runs one statement in txn (nil = autocommit).
func RunStmt(ctx context.Context, e *exec.Engine, txn *exec.Txn, st parser.Statement, params []types.Datum) (*Result, error) {
	auto := txn == nil
	if auto {
		var err error
		if txn, err = e.Begin(ctx, false); err != nil {
			return nil, err
		}
		defer txn.Rollback()
	}
	p, err := e.Prepare(ctx, txn, st, nil)
	if err != nil {
		return nil, err
	}
	cur, err := p.Open(ctx, txn, params, nil)
	if err != nil {
		return nil, err
	}
	defer cur.Close()
	res := &Result{}
	for _, c := range p.Columns() {
		res.Columns = append(res.Columns, c.Name)
		res.Types = append(res.Types, c.Type)
	}
	for {
		row, err := cur.Next(ctx)
		if err != nil {
			return nil, err
		}
		if row == nil {
			break
		}
		out := make([]string, len(row))
		for i, d := range row {
			if d == nil {
				out[i] = "NULL"
			} else {
				out[i] = types.FormatText(d, res.Types[i])
			}
		}
		res.Rows = append(res.Rows, out)
	}
	res.Tag = cur.Tag()
	if auto {
		if _, err := txn.Commit(ctx); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Exec runs sql and fails the test on error.
func Exec(t testing.TB, e *exec.Engine, sql string) *Result {
	t.Helper()
	r, err := Run(context.Background(), e, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return r
}

// Query runs sql and returns its text rows.
func Query(t testing.TB, e *exec.Engine, sql string) [][]string {
	return Exec(t, e, sql).Rows
}
