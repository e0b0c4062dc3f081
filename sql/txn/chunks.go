package txn

import (
	"context"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/storage"
)

// Committer makes a batch durable and visible as one commit, checking it
// for conflicts with what was committed after read. sql/exec's engine
// passes its node's committer.
type Committer interface {
	Commit(ctx context.Context, b *storage.Batch, read lsn.LSN) (lsn.LSN, error)
}

// SnapshotSource opens snapshots of the newest committed state.
type SnapshotSource interface {
	Snapshot() (*storage.Snapshot, error)
}

// Chunks commits the chunks a bulk statement stages (WriteSet.Stage), one
// at most in flight, and keeps a snapshot that holds them all for the
// transaction's reads of its staged buckets and shadows.
//
// Pipelining: a chunk is committed in the background (Start) while the
// statement goes on building the next one (parsing, encoding: CPU) — the
// commit is mostly waiting for the WAL and file writes and their fsyncs.
// The next chunk, any read of a staged bucket (Snapshot), the
// transaction's end and the end of the bulk statement wait for it first
// (Settle), so reads and the chunks' order are as if each commit had been
// waited for, and a failed chunk fails the statement that staged it. A
// failure sticks: the transaction lost that chunk's writes (they left the
// write set with the chunk), so the caller must poison its write set.
//
// The zero value has staged nothing.
type Chunks struct {
	flight *flight
	err    error
	// end: the end of the last chunk committed; 0 = none. view: a
	// snapshot holding it.
	end  lsn.LSN
	view *storage.Snapshot
}

// flight is a chunk being committed in the background.
type flight struct {
	done chan struct{} // closed when at and err are set
	at   lsn.LSN
	err  error
}

// Settle waits for the chunk in flight, if any, and returns the first
// failure of any chunk.
func (c *Chunks) Settle() error {
	if f := c.flight; f != nil {
		<-f.done
		c.flight = nil
		if f.err != nil {
			c.err = f.err
		} else {
			c.end = f.at
		}
	}
	return c.err
}

// Start commits chunk b, read as of read, in the background; the caller
// has settled the previous one.
func (c *Chunks) Start(ctx context.Context, cm Committer, b *storage.Batch, read lsn.LSN) {
	f := &flight{done: make(chan struct{})}
	c.flight = f
	go func() {
		defer close(f.done)
		f.at, f.err = cm.Commit(ctx, b, read)
	}()
}

// Commit commits chunk b, read as of read, and waits for it (the last
// chunk, from the transaction's commit); the caller settles it.
func (c *Chunks) Commit(ctx context.Context, cm Committer, b *storage.Batch, read lsn.LSN) {
	f := &flight{done: make(chan struct{})}
	c.flight = f
	f.at, f.err = cm.Commit(ctx, b, read)
	close(f.done)
}

// Staged reports whether a chunk was committed or is in flight.
func (c *Chunks) Staged() bool { return c.end != 0 || c.flight != nil }

// End is the end of the last chunk committed (0: none); call Settle first.
func (c *Chunks) End() lsn.LSN { return c.end }

// Snapshot returns a snapshot that holds every chunk committed so far
// (call Settle first), opening one from src when the one it has is older.
// The snapshot it replaces, if any, is returned for the caller to close
// when the transaction ends (an iterator may still read it).
func (c *Chunks) Snapshot(src SnapshotSource) (s, replaced *storage.Snapshot, err error) {
	if c.view != nil && c.view.AppliedLSN() >= c.end {
		return c.view, nil, nil
	}
	s, err = src.Snapshot()
	if err != nil {
		return nil, nil, err
	}
	replaced, c.view = c.view, s
	return s, replaced, nil
}

// Close closes the snapshot Snapshot keeps.
func (c *Chunks) Close() {
	if c.view != nil {
		_ = c.view.Close()
	}
}
