package replication

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/lsn"
)

// ErrClosed is returned to commits waiting for a sync standby when the
// server closes (shutdown or demotion). The commit is durable locally but
// was not confirmed by a sync standby.
var ErrClosed = errors.New("replication: server closed while waiting for a sync standby")

// ErrSteppedDown is returned to commits waiting for a sync standby when
// the node stops being primary, or when one waits SyncTimeout on a node
// whose standing forbids degrading (DegradeNever: being demoted, fenced).
// The commit is durable locally but may not be on the new primary.
var ErrSteppedDown = errors.New("replication: stepped down while waiting for a sync standby")

// ErrLeaseLapsed is returned to commits waiting for a sync standby, past
// the sync timeout, when the failover lease lapsed before its holder could
// approve the degradation: the commit is durable locally but a standby
// may be promoted without it.
var ErrLeaseLapsed = errors.New("replication: failover lease lapsed while waiting for a sync standby")

// syncRep holds commits until a sync standby has flushed them.
//
// Rules (DESIGN.md section 4): a commit waits until a connected sync
// standby has acknowledged a flush at or past its end LSN. A commit that
// waits SyncTimeout without that degrades the primary to async: every
// waiter is released and later commits do not wait, until a sync standby
// has flushed everything the primary had flushed — then sync is restored.
// Strict mode never degrades.
//
// Whether a degradation releases anyone depends on the node's standing
// (release.go): a primary without a failover lease releases its waiters
// when it degrades; under a lease a degradation releases nobody until the
// lease holder has seen it — the holder promotes a sync standby only if
// the primary was not degraded at its last grant — and nobody once the
// lease has lapsed; a node that is no longer an unfenced primary releases
// nobody by degrading. Each degradation gets a sequence number, which the
// holder echoes back with its next grant (renewed).
type syncRep struct {
	enabled, strict bool
	timeout         time.Duration
	log             *slog.Logger
	metrics         *serverMetrics

	mu        sync.Mutex
	flushed   lsn.LSN // best flush ack of a connected sync standby
	connected bool    // a sync standby is connected
	degraded  bool
	changed   chan struct{} // closed and replaced on every state change
	closed    bool
	epoch     int // incremented by stepDown

	// standing is asked with mu held at every decision: it must not call
	// into the Server.
	standing func() Standing
	// degradedSeq is incremented by every degradation. It starts at the
	// clock's microseconds (exact in a JSON number), not 0, so that a
	// lease holder echoing the number of a degradation from before a
	// restart never approves one after it.
	degradedSeq uint64
	approved    uint64 // the degradation the lease holder has seen
	// recorded is the last degradation RecordDegradedAck recorded.
	recorded     uint64
	recordAck    func(seq uint64) error
	syncRestored func(seq uint64)
}

func newSyncRep(cfg ServerConfig, log *slog.Logger, m *serverMetrics) *syncRep {
	standing := cfg.Standing
	if standing == nil {
		standing = func() Standing { return Standing{Policy: DegradeOnTimeout} }
	}
	return &syncRep{enabled: cfg.Sync, strict: cfg.SyncStrict, timeout: cfg.SyncTimeout, log: log, metrics: m,
		changed: make(chan struct{}), standing: standing, degradedSeq: uint64(cfg.Now().UnixMicro()),
		recordAck: cfg.RecordDegradedAck, syncRestored: cfg.SyncRestored}
}

func (r *syncRep) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// update records the best flushed LSN of the connected sync standbys, and
// restores sync when one has caught up with end, the primary's flushed
// LSN (without waiting for the next commit to notice).
func (r *syncRep) update(flushed lsn.LSN, connected bool, end lsn.LSN) {
	r.mu.Lock()
	defer r.mu.Unlock()
	degraded := r.degraded
	if flushed == r.flushed && connected == r.connected && !degraded {
		return
	}
	changed := flushed != r.flushed || connected != r.connected
	r.flushed, r.connected = flushed, connected
	r.restoreLocked(end)
	if changed || r.degraded != degraded {
		r.notifyLocked()
	}
}

// restoreLocked leaves degraded mode once a sync standby has caught up
// with end, the primary's flushed LSN.
func (r *syncRep) restoreLocked(end lsn.LSN) {
	if r.degraded && r.connected && r.flushed >= end {
		r.degraded = false
		r.metrics.degraded.Set(0)
		r.restoredLocked()
		r.log.Info("replication: sync standby caught up; synchronous replication restored", "lsn", r.flushed.String())
	}
}

func (r *syncRep) state() hastate.SyncState {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case !r.enabled:
		return hastate.Async
	case r.degraded:
		return hastate.Degraded
	case !r.connected:
		return hastate.Waiting
	}
	return hastate.Sync
}

// wait holds a commit ending at end until the release rule (release.go)
// decides. When abortOnCancel is false a cancelled ctx is ignored (the
// commit keeps waiting, as a session's commit must); when true it returns
// ctx's error, deciding nothing.
func (r *syncRep) wait(ctx context.Context, end lsn.LSN, flushedNow func() lsn.LSN, abortOnCancel bool) error {
	if !r.enabled {
		return nil
	}
	start := time.Now()
	r.mu.Lock()
	epoch := r.epoch
	r.mu.Unlock()
	var timer <-chan time.Time
	if !r.strict {
		t := time.NewTimer(r.timeout)
		defer t.Stop()
		timer = t.C
	}
	timedOut := false
	for {
		r.mu.Lock()
		r.restoreLocked(flushedNow())
		f := waitFacts{closed: r.closed, steppedDown: r.epoch != epoch, syncFlushed: r.connected && r.flushed >= end,
			timedOut: timedOut, degraded: r.degraded, approved: r.approved == r.degradedSeq, standing: r.standing()}
		v := decide(f)
		if v == degradeFirst {
			r.degradeLocked(end)
			f.degraded, f.approved = r.degraded, r.approved == r.degradedSeq
			v = decide(f)
		}
		ch := r.changed
		r.mu.Unlock()
		switch v {
		case acknowledge:
			if f.syncFlushed {
				r.metrics.syncWait.Observe(time.Since(start).Seconds())
				return nil
			}
			return r.recordDegradedAck()
		case failClosed:
			return ErrClosed
		case failSteppedDown:
			return ErrSteppedDown
		case failLeaseLapsed:
			return ErrLeaseLapsed
		}
		select {
		case <-ch:
		case <-timer:
			timedOut, timer = true, nil
		case <-ctx.Done():
			if abortOnCancel {
				return ctx.Err()
			}
			// Like PostgreSQL, a cancelled wait does not undo the commit:
			// keep waiting, the client learns the outcome with the rest.
			ctx = context.Background()
		}
	}
}

// degradeLocked degrades the primary to async because the commit ending
// at end waited SyncTimeout.
func (r *syncRep) degradeLocked(end lsn.LSN) {
	if r.degraded || r.closed {
		return
	}
	r.degraded = true
	r.degradedSeq++
	r.metrics.degraded.Set(1)
	r.metrics.degradations.Inc()
	r.log.Warn("replication: no sync standby acknowledged within sync-timeout; degrading to async until one catches up (use --sync-strict to wait instead)",
		"sync_timeout", r.timeout.String(), "commit_lsn", end.String(), "sync_standby_connected", r.connected, "sync_standby_flushed", r.flushed.String(),
		"release", r.standing().Policy.String())
	r.notifyLocked()
}

// degradeNow degrades at once when sync mode has no sync standby
// connected (not in strict mode).
func (r *syncRep) degradeNow(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.enabled || r.strict || r.connected || r.degraded || r.closed || r.standing().Policy == DegradeNever {
		return
	}
	r.degraded = true
	r.degradedSeq++
	r.metrics.degraded.Set(1)
	r.metrics.degradations.Inc()
	r.log.Warn("replication: degraded to async until a sync standby catches up", "reason", reason)
	r.notifyLocked()
}

func (r *syncRep) stepDown() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.epoch++
	if r.degraded {
		r.degraded = false
		r.metrics.degraded.Set(0)
		r.restoredLocked()
	}
	r.notifyLocked()
}

func (r *syncRep) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		r.notifyLocked()
	}
}

// standingChanged wakes the waiting commits to decide again: the node's
// standing changed (role, fencing, lease granted, lifted or lapsed).
func (r *syncRep) standingChanged() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notifyLocked()
}

// renewed records a lease renewal whose holder has seen degradation seq.
func (r *syncRep) renewed(seq uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.approved = seq
	r.notifyLocked()
}

// degradation returns the current degradation's sequence number (0 when
// not degraded).
func (r *syncRep) degradation() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.degraded {
		return 0
	}
	return r.degradedSeq
}

// recordDegradedAck records durably, before a commit released by the
// current degradation is acknowledged, that this primary acknowledges
// commits no sync standby may have (once per degradation).
func (r *syncRep) recordDegradedAck() error {
	r.mu.Lock()
	seq := r.degradedSeq
	done := r.recorded == seq || r.recordAck == nil
	r.mu.Unlock()
	if done {
		return nil
	}
	if err := r.recordAck(seq); err != nil {
		return fmt.Errorf("replication: record the acknowledgement of commits while degraded: %w", err)
	}
	r.mu.Lock()
	if r.recorded < seq {
		r.recorded = seq
	}
	r.mu.Unlock()
	return nil
}

// restoredLocked reports the end of the current degradation. r.mu is held.
func (r *syncRep) restoredLocked() {
	if r.syncRestored != nil {
		go r.syncRestored(r.degradedSeq)
	}
}

// startDegraded degrades a restarted primary that had acknowledged
// commits while degraded (Server.StartDegraded).
func (r *syncRep) startDegraded(reason string) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.enabled || r.closed {
		return 0
	}
	if !r.degraded {
		r.degraded = true
		r.degradedSeq++
		r.metrics.degraded.Set(1)
		r.metrics.degradations.Inc()
		r.log.Warn("replication: starting degraded to async until a sync standby catches up", "reason", reason)
		r.notifyLocked()
	}
	return r.degradedSeq
}
