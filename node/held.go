package node

import (
	"context"
	"errors"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/replication"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/storage"
)

// Held groups: the publish stage could not get a release for groups that
// are durable in the local WAL (the node stepped down or was fenced while
// they waited for a sync standby, or its failover lease lapsed).
//
// Their sessions get the error at once (57P01 or 40003: committed locally,
// maybe not on the standby that is or will be promoted), as every commit
// waiting for a sync standby at that moment did before this stage existed
// — but the groups stay invisible: a reader must not see a write a
// failover may discard. They become visible when
//
//   - synchronous replication releases the WAL up to their end after all
//     (a sync standby flushes it, or a degradation the node's standing
//     allows), tried again until it does; or
//   - something else applies that WAL: the standby receiver after a
//     demotion, once the new primary's released LSN covers it (if it
//     diverged from the new primary's history the node re-seeds from a
//     base backup instead, and the held commits are discarded with its
//     WAL), or a promotion's replay.
//
// Storage applies the WAL in order, so while groups are held the writer
// writes nothing new (waitHeld): new commits wait before the WAL, where
// their sessions can still cancel them (57014: a cancel request or
// statement_timeout; the commit did not happen). A group written just as
// the hold began joins the held ones (holdItems). When the hold ends the
// waiting commits are written, unless the node stopped being a writable
// primary meanwhile (25006, unwritten). The held groups' sessions released their row
// locks when they were answered, so a transaction may read (and lock) a
// row without the held write: a request whose snapshot is older than a
// held group and that writes a key the group wrote — row-locked or not —
// fails with 40001 (committer.held), so no write is based on a version
// the held group replaced.

// maxHeldRetryDelay bounds the pause between two release attempts that
// failed at once (a lapsed lease decides without waiting).
const maxHeldRetryDelay = time.Second

// hold answers items — and every group queued behind them: all of them
// were waiting — with the release error, keeps them invisible and tries
// again until they are released or applied, or the committer stops.
func (c *committer) hold(items []*pubItem, end lsn.LSN, batches []*storage.Batch, err error) {
	done := make(chan struct{})
	c.mu.Lock()
	c.holding = done // the writer writes nothing new from here on (waitHeld)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.holding = nil
		c.mu.Unlock()
		close(done)
	}()
	c.log.Warn("commit path: commits durable here were not released by synchronous replication; they stay invisible until a sync standby confirms them (or the node follows a new primary)",
		"lsn", end.String(), "err", err)
	end, batches = c.holdItems(items, end, batches, err)
	delay := 50 * time.Millisecond
	for {
		// A group the writer wrote just before the hold began joins it.
		end, batches = c.holdItems(nil, end, batches, err)
		if c.db.AppliedLSN() >= end {
			c.log.Info("commit path: held commits were applied by replay or replication", "lsn", end.String())
			return
		}
		if c.wal.FlushedLSN() < end {
			// Demoted, the node's WAL diverged from the new primary's and
			// a base backup replaced it (Reset to an earlier LSN): the
			// held commits are gone with it.
			c.log.Info("commit path: held commits discarded: the node re-seeded from its new primary, whose history lacks them", "lsn", end.String())
			return
		}
		changed := c.db.AppliedChanged()
		err = c.releaseUnlessApplied(changed, end)
		switch {
		case err == nil:
			if aerr := c.applyDurable(end, batches); aerr != nil {
				if !errors.Is(aerr, errShuttingDown) {
					c.fail(aerr)
					c.log.Error("commit path failed", "err", aerr)
				}
				return
			}
			c.log.Info("commit path: held commits released by synchronous replication and visible", "lsn", end.String())
			return
		case c.stopping(err):
			return
		case errors.Is(err, errAppliedMeanwhile):
			continue
		}
		t := time.NewTimer(delay)
		select {
		case <-c.stop:
			t.Stop()
			return
		case <-changed:
			t.Stop()
		case <-t.C:
		}
		delay = min(2*delay, maxHeldRetryDelay)
	}
}

// holdItems adds items, and every group queued in the publish stage
// behind them (all of them were waiting for the release that failed), to
// the held WAL up to end: it records their writes in the held tracker
// (before their sessions release their row locks) and answers them with
// the release error err. It returns the new end and batches.
func (c *committer) holdItems(items []*pubItem, end lsn.LSN, batches []*storage.Batch, err error) (lsn.LSN, []*storage.Batch) {
	for queued := true; queued; {
		select {
		case it := <-c.pub:
			// Taken from the hand-off count now rather than when the hold
			// ends: groups are held only after a failed release, and the
			// writer reads the count only when there is no release step.
			c.handed.Add(-1)
			items = append(items, it)
		default:
			queued = false
		}
	}
	if len(items) == 0 {
		return end, batches
	}
	c.mu.Lock()
	if c.held == nil {
		c.held = newConflictTracker(0, nil, nil)
	}
	for _, it := range items {
		end = max(end, it.end())
		batches = append(batches, it.batches...)
		for i, b := range it.batches {
			c.held.record(b, it.ends[i])
		}
	}
	c.mu.Unlock()
	c.answerItems(items, syncWaitError(err))
	return end, batches
}

// waitHeld is the writer's step before it writes group: while groups are
// held nothing new is written — a commit could not become visible before
// them anyway, and a request not yet written can still be withdrawn by its
// session (a cancel request or statement_timeout: 57014, it did not
// happen) instead of waiting behind them without limit. Requests that
// would fail against the held writes are answered at once (40001). When
// the hold ends the node may have stopped being a writable primary (the
// hold ended because a demotion's receiver applied the WAL): the
// requests are then refused as at the session, unwritten. It returns the
// requests left to write.
func (c *committer) waitHeld(group []*commitReq) []*commitReq {
	c.mu.Lock()
	held, holding := c.held, c.holding
	c.mu.Unlock()
	if holding == nil {
		return group
	}
	left := group[:0]
	for _, r := range group {
		if held != nil && c.heldConflict(held, r) && r.take() {
			c.metrics.conflicts.Inc()
			r.done <- commitResult{err: errSerialization}
			continue
		}
		left = append(left, r)
	}
	group = left
	select {
	case <-holding:
	case <-c.stop:
		answer(group, errShuttingDown) // not written
		return nil
	}
	if c.readOnly != nil {
		if ro, hint := c.readOnly(); ro {
			answer(group, pgerror.New(pgerror.ReadOnlySQLTransaction, "cannot execute a write on a standby").WithHint("%s", hint))
			return nil
		}
	}
	return group
}

// heldConflict reports whether r writes what a held group wrote, from a
// snapshot without it. Only the writer goroutine calls it (held is only
// added to, under c.mu).
func (c *committer) heldConflict(held *conflictTracker, r *commitReq) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return held.conflicts(r.batch, r.readLSN, false) // held writes were not under locks any more
}

var errAppliedMeanwhile = errors.New("storage applied more WAL while waiting")

// releaseUnlessApplied waits for the release of the WAL up to end, giving
// up when storage applies something (changed closes) or the committer
// stops.
func (c *committer) releaseUnlessApplied(changed <-chan struct{}, end lsn.LSN) error {
	if c.release == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(c.stopCtx)
	defer cancel()
	go func() {
		select {
		case <-changed:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := c.release(ctx, end)
	if err != nil && ctx.Err() != nil && c.stopCtx.Err() == nil {
		return errAppliedMeanwhile
	}
	return err
}

// syncWaitError is what a session gets when synchronous replication did
// not release its commit.
func syncWaitError(err error) error {
	if errors.Is(err, replication.ErrLeaseLapsed) {
		return pgerror.New(pgerror.StatementCompletionUnknown, "the commit may not survive a failover: no sync standby confirmed it and the failover lease lapsed").
			WithDetail("The transaction is durable on this node but not visible; a standby may be promoted without it.")
	}
	return pgerror.New(pgerror.AdminShutdown, "terminating connection due to administrator command").
		WithDetail("The transaction is durable on this node but might not have been replicated to the standby.")
}
