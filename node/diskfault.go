package node

import (
	"errors"
	"fmt"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/storage"
	"github.com/heliosdb/nano/wal"
)

// Disk full and other write failures on the commit path.
//
// The committer never acknowledges what is not fsynced and never loses
// what it acknowledged; a full disk makes it refuse writes (53100, as
// PostgreSQL reports ENOSPC) until space returns, then it resumes by
// itself — no restart. docs/durability.md ("Disk full") has the user's view.
//
//   - Before a group is written, prepare recovers a WAL that failed earlier
//     (wal.Log.Recover drops what was never durable) and reserves storage
//     room for the group (storage.DB.Reserve). If either fails the group is
//     refused: nothing was written.
//   - A WAL append or sync that fails fails the group (none of it is
//     durable) and the WAL is recovered before the next group; commits
//     recorded by the conflict tracker beyond the durable end are forgotten
//     conservatively.
//   - A storage Apply that fails for lack of space after the WAL sync (the
//     reservation was too small, or someone else took the space) is
//     retried with backoff until it succeeds; its sessions wait, because
//     their commits are durable (replayed at restart) yet not visible.
//     Groups that arrive meanwhile are refused before they are written
//     (53100); those already written wait behind it.
//   - While a fault lasts, a probe every faultProbeInterval retries the
//     recovery without waiting for a write, so /health turns back to ok
//     when space returns.

// faultProbeInterval: how often a faulted committer retries on its own.
const faultProbeInterval = time.Second

// maxApplyRetryDelay bounds the backoff of a failing Apply.
const maxApplyRetryDelay = time.Second

// prepare makes sure the group can be written; see above.
func (c *committer) prepare(group []*commitReq) error {
	if err := c.recoverWAL(); err != nil {
		return err
	}
	batches := make([]*storage.Batch, len(group))
	for i, r := range group {
		batches[i] = r.batch
	}
	if err := c.db.Reserve(storage.ApplyRoom(batches...)); err != nil {
		return c.diskFault(err, pgerror.Newf(pgerror.DiskFull, "could not extend file %q: No space left on device", c.db.Path()))
	}
	return nil
}

// recoverWAL recovers the WAL after an earlier write failure.
func (c *committer) recoverWAL() error {
	if c.wal.Failed() == nil {
		return nil
	}
	if err := c.wal.Recover(); err != nil {
		return c.diskFault(err, nil)
	}
	c.log.Warn("commit path: the WAL is writable again", "lsn", c.wal.FlushedLSN().String())
	return nil
}

// probe retries the recovery of a faulted committer without a write.
func (c *committer) probe() {
	if err := c.recoverWAL(); err != nil {
		return
	}
	if err := c.db.Reserve(storage.ApplyRoom()); err != nil {
		c.diskFault(err, nil)
		return
	}
	c.setFault(nil)
}

// walFailed answers reqs, none of which is durable, after a WAL append or
// sync failed. The conflict tracker may hold their writes: it forgets
// everything after the durable end (conservatively) before they are
// discarded.
func (c *committer) walFailed(reqs []*commitReq, err error) {
	if errors.Is(err, wal.ErrClosed) {
		answer(reqs, errShuttingDown)
		return
	}
	c.tracker.forgetAfter(c.wal.FlushedLSN())
	if c.release != nil && c.wal.WrittenLSN() > c.wal.FlushedLSN() {
		// Written but not durable: a sync primary's standby may have
		// received the group before the fsync failed
		// (replication/tentative.go), and a failover to it would show it
		// committed: not "not committed".
		e := c.diskFault(err, pgerror.New(pgerror.TransactionResolutionUnknown, "could not make the write-ahead log durable"))
		answer(reqs, e.WithDetail("The transaction may have reached a standby before the failure: its outcome is unknown: %v", err))
	} else {
		answer(reqs, c.diskFault(err, nil))
	}
	_ = c.recoverWAL() // at once when space is already back; else before the next group
}

// applyDurable applies a durable group to storage, retrying while the disk
// is full (see above). It returns errShuttingDown when the committer stops
// first, and other errors at once.
func (c *committer) applyDurable(end lsn.LSN, batches []*storage.Batch) error {
	delay := 10 * time.Millisecond
	var restore func() // puts back the refusal in force before the fault
	defer func() {
		if restore != nil {
			restore()
		}
	}()
	for {
		err := c.db.Apply(end, batches...)
		if err == nil || !wal.IsNoSpace(err) {
			return err
		}
		if restore == nil {
			prev := c.refusal()
			restore = func() { c.setRefuse(prev) }
		}
		if c.faultErr() == nil {
			c.log.Error("commit path: storage is full; the durable commits wait until they can be applied", "lsn", end.String(), "err", err)
		}
		c.setFault(err)
		// New groups are refused now rather than kept waiting behind this one.
		c.setRefuse(c.diskFault(err, pgerror.Newf(pgerror.DiskFull, "could not extend file %q: No space left on device", c.db.Path())))
		t := time.NewTimer(delay)
		select {
		case <-c.stop:
			t.Stop()
			return errShuttingDown
		case <-t.C:
		}
		delay = min(2*delay, maxApplyRetryDelay)
	}
}

// diskFault records err as the current fault (for /health) and returns
// the error a client gets: 53100 for a full disk (with msg when given),
// 58030 for other I/O errors. The transaction was not committed.
func (c *committer) diskFault(err error, msg *pgerror.Error) *pgerror.Error {
	if c.faultErr() == nil {
		c.log.Error("commit path: write failed; refusing writes until it can write again", "err", err)
	}
	c.setFault(err)
	e := msg
	switch {
	case e != nil:
	case wal.IsNoSpace(err):
		e = pgerror.New(pgerror.DiskFull, "could not write to the write-ahead log: No space left on device")
	default:
		e = pgerror.New(pgerror.IOError, "could not write to the write-ahead log")
	}
	e = e.WithDetail("The transaction was not committed: %v", err)
	if wal.IsNoSpace(err) {
		e = e.WithHint("Check free disk space.")
	}
	return e
}

func (c *committer) setFault(err error) {
	c.mu.Lock()
	c.fault = err
	c.mu.Unlock()
}

// faultErr is the current transient write fault, nil when writes work.
func (c *committer) faultErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fault
}

// health describes the commit path for /health: "" when writes work.
func (c *committer) health() string {
	if err := c.err(); err != nil {
		return err.Error()
	}
	err := c.faultErr()
	switch {
	case err == nil:
		return ""
	case wal.IsNoSpace(err):
		return fmt.Sprintf("disk full: %v", err)
	}
	return fmt.Sprintf("write failing: %v", err)
}

// forgetAfter conservatively forgets the commits recorded after at (they
// failed and are discarded): a snapshot older than at now conflicts with
// any write, and entries beyond at are clamped to at.
func (c *conflictTracker) forgetAfter(at lsn.LSN) {
	c.horizon = max(c.horizon, at)
	for _, m := range []map[string]lsn.LSN{c.cur, c.prev, c.bucketDDL, c.bucketAny} {
		for k, v := range m {
			if v > at {
				m[k] = at
			}
		}
	}
}
