package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/replication"
)

// A failover lease lets heliosdb-proxy promote a standby when the primary
// stops answering, without two nodes ever accepting writes in overlapping
// terms. The proxy grants the primary a lease of a few seconds with every
// renewal; a primary that has been granted one refuses writes once it
// lapses, and the proxy promotes only after the last lease it could have
// granted has expired (docs/replication.md, "Automatic failover").
//
// Once granted, the requirement is recorded with the role, so a restarted
// primary also waits for a grant. Running `heliosdb-nano promote` on a
// primary lifts it (the operator takes the node out of the proxy's care);
// promote and demote of a standby start without one.

// Lease bounds what a grant may ask.
const (
	minLease = 100 * time.Millisecond
	maxLease = 5 * time.Minute
)

// ErrLeaseRefused wraps the reasons a node does not take a lease: it is
// not a primary, it is fenced, or the proxy's view of its term is stale.
var ErrLeaseRefused = errors.New("lease refused")

// LeaseRequest is a grant from the failover manager.
type LeaseRequest struct {
	Term     uint64 `json:"term"`
	Duration int64  `json:"duration_ms"`
	Holder   string `json:"holder"`
	// DegradedSeq is the primary's degradation (LeaseResult.DegradedSeq)
	// the holder saw at its previous grant: commits waiting in it may be
	// acknowledged without a sync standby.
	DegradedSeq uint64 `json:"degraded_seq"`
}

// LeaseResult is the primary's answer to a grant: what the holder needs
// to decide a failover safely.
type LeaseResult struct {
	NodeID      string            `json:"node_id"`
	Term        uint64            `json:"term"`
	SyncState   hastate.SyncState `json:"sync_state"`
	DegradedSeq uint64            `json:"degraded_seq"` // 0 = not degraded
	FlushedLSN  string            `json:"flushed_lsn"`
	Standbys    []StandbyNode     `json:"standbys"`
}

// GrantLease extends the primary's lease to Duration from now (as this
// node measures it; the holder counts from its own later receipt of the
// answer and adds a margin).
func (n *Node) GrantLease(ctx context.Context, req LeaseRequest) (LeaseResult, error) {
	d := time.Duration(req.Duration) * time.Millisecond
	if d < minLease || d > maxLease {
		return LeaseResult{}, fmt.Errorf("%w: duration_ms must be between %d and %d", ErrLeaseRefused, minLease.Milliseconds(), maxLease.Milliseconds())
	}
	// Not while a demotion or promotion runs: a grant taken in the middle
	// of a demotion would renew the lease of a node that is no longer
	// primary.
	n.roleMu.Lock()
	defer n.roleMu.Unlock()
	if err := n.leaseable(req.Term); err != nil {
		return LeaseResult{}, err
	}
	// A grant the holder gave up on (its request timed out) must not
	// extend the lease: the holder counts from the time it gave up.
	if ctx.Err() != nil {
		return LeaseResult{}, fmt.Errorf("%w: the holder gave up on this grant", ErrLeaseRefused)
	}
	n.mu.Lock()
	n.leaseUntil, n.leaseHolder = n.cfg.now().Add(d), req.Holder
	if n.leaseTimer != nil {
		n.leaseTimer.Stop()
	}
	n.leaseTimer = time.AfterFunc(d, n.leaseExpired)
	n.mu.Unlock()
	// Only now, with the lease in place, does the requirement start: in the
	// other order a write could find a required lease that is not there yet.
	if !n.leaseRecorded() {
		if err := n.recordLease(true); err != nil {
			return LeaseResult{}, err
		}
	}
	n.repl.LeaseRenewed(req.DegradedSeq)
	standbys := n.standbyNodes()
	if standbys == nil {
		standbys = []StandbyNode{}
	}
	return LeaseResult{NodeID: n.cfg.NodeID, Term: n.term(), SyncState: n.repl.SyncState(),
		DegradedSeq: n.repl.Degradation(), FlushedLSN: n.wal.FlushedLSN().String(), Standbys: standbys}, nil
}

// leaseExpired fails the commits waiting for an approval to degrade that
// the lapsed lease's holder can no longer give. (They decide by the clock
// (standing), so it does not matter whether this timer fires before or
// after their own sync-timeout timers — after a pause all fire at once.)
func (n *Node) leaseExpired() {
	n.mu.Lock()
	lapsed, _ := n.leaseLapsedLocked()
	holder := n.leaseHolder
	n.mu.Unlock()
	if lapsed {
		n.log.Warn("failover lease lapsed: refusing writes until it is renewed", "holder", holder)
		n.repl.StandingChanged()
	}
}

// standing tells synchronous replication whether a degradation to async
// may release waiting commits (replication/release.go): never on a node
// that is not an unfenced primary; under a failover lease only with the
// holder's approval and while the lease holds; otherwise on sync-timeout.
// It is called with the replication server's lock held.
func (n *Node) standing() replication.Standing {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case n.roleName != RolePrimary || n.fencedTerm > 0:
		return replication.Standing{Policy: replication.DegradeNever}
	case n.leased:
		lapsed, _ := n.leaseLapsedLocked()
		return replication.Standing{Policy: replication.DegradeApproved, LeaseLapsed: lapsed}
	}
	return replication.Standing{Policy: replication.DegradeOnTimeout}
}

// failLapsedWaiters fails the commits waiting for a sync standby on a
// leased primary whose lease has lapsed, before the requirement is lifted:
// the holder may have promoted a standby without them, and once the lease
// is lifted a sync-timeout would acknowledge them.
func (n *Node) failLapsedWaiters() {
	n.mu.Lock()
	lapsed, _ := n.leaseLapsedLocked()
	n.mu.Unlock()
	if lapsed {
		n.log.Warn("promote on a primary whose failover lease lapsed: commits still waiting for a sync standby fail")
		n.repl.StepDown()
	}
}

// leaseable checks that this node is the unfenced primary of term.
func (n *Node) leaseable(term uint64) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	own := n.ident.history.Term()
	switch {
	case n.roleName != RolePrimary:
		return fmt.Errorf("%w: %s is a standby", ErrLeaseRefused, n.cfg.NodeID)
	case n.fencedTerm > 0:
		return fmt.Errorf("%w: %s is fenced (term %d exists)", ErrLeaseRefused, n.cfg.NodeID, n.fencedTerm)
	case term != own:
		return fmt.Errorf("%w: %s is primary of term %d, not %d", ErrLeaseRefused, n.cfg.NodeID, own, term)
	}
	return nil
}

func (n *Node) leaseRecorded() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.leased
}

// recordLease records durably whether this primary needs a lease.
func (n *Node) recordLease(on bool) error {
	n.mu.Lock()
	rec := roleRecord{Role: n.roleName, PrimaryHost: n.primaryHost, PrimaryPort: n.primaryPort, Leased: on}
	n.mu.Unlock()
	if err := n.saveRole(rec); err != nil {
		return err
	}
	n.mu.Lock()
	n.leased = on
	n.mu.Unlock()
	n.repl.StandingChanged()
	if on {
		n.log.Info("primary is now under a failover lease: it refuses writes whenever the lease lapses")
	} else {
		n.log.Info("failover lease requirement lifted: this primary accepts writes without a lease")
	}
	return nil
}

// leaseLapsed reports whether this node needs a lease and has none, and
// since when. n.mu is held.
func (n *Node) leaseLapsedLocked() (bool, time.Duration) {
	if !n.leased || n.roleName != RolePrimary {
		return false, 0
	}
	now := n.cfg.now()
	if now.Before(n.leaseUntil) {
		return false, 0
	}
	if n.leaseUntil.IsZero() {
		return true, 0
	}
	return true, now.Sub(n.leaseUntil)
}
