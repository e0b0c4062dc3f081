package node

import (
	"context"
	"fmt"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/node/cluster"
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

// ErrLeaseRefused wraps the reasons a node does not take a lease: it is
// not a primary, it is fenced, or the proxy's view of its term is stale.
var ErrLeaseRefused = cluster.ErrLeaseRefused

// LeaseRequest is a grant from the failover manager.
type LeaseRequest struct {
	Term     uint64 `json:"term"`
	Duration int64  `json:"duration_ms"`
	Holder   string `json:"holder"`
	// DegradedSeq is the primary's degradation (LeaseResult.DegradedSeq)
	// the holder saw at its previous grant: commits waiting in it may be
	// acknowledged without a sync standby.
	DegradedSeq uint64 `json:"degraded_seq"`
	// NotAfter, when not zero, is when the grant expires by the holder's
	// clock (cluster.State.GrantLease): a grant read late, by a primary
	// waking from a pause, neither extends the lease past it nor renews
	// one after it.
	NotAfter time.Time `json:"-"`
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
// answer and adds a margin), and never past req.NotAfter.
func (n *Node) GrantLease(ctx context.Context, req LeaseRequest) (LeaseResult, error) {
	d := time.Duration(req.Duration) * time.Millisecond
	// Not while a demotion or promotion runs: a grant taken in the middle
	// of a demotion would renew the lease of a node that is no longer
	// primary.
	n.roleMu.Lock()
	defer n.roleMu.Unlock()
	if _, err := n.state().GrantLease(n.cfg.NodeID, req.Term, n.cfg.now(), d, req.Holder, req.NotAfter); err != nil {
		return LeaseResult{}, err
	}
	// A grant the holder gave up on (its request timed out) must not
	// extend the lease: the holder counts from the time it gave up.
	if ctx.Err() != nil {
		return LeaseResult{}, fmt.Errorf("%w: the holder gave up on this grant", ErrLeaseRefused)
	}
	// The lease and, the first time, its requirement in one step: a write
	// never finds a required lease that is not there yet. The requirement
	// is recorded durably, so a restarted primary waits for a grant too.
	prev, _, err := n.update(func(s cluster.State) (cluster.State, error) {
		return s.GrantLease(n.cfg.NodeID, req.Term, n.cfg.now(), d, req.Holder, req.NotAfter)
	})
	if err != nil {
		return LeaseResult{}, err
	}
	left := n.state().LeaseUntil.Sub(n.cfg.now()) // at most d: capped by req.NotAfter
	n.mu.Lock()
	if n.leaseTimer != nil {
		n.leaseTimer.Stop()
	}
	n.leaseTimer = time.AfterFunc(left, n.leaseExpired)
	n.mu.Unlock()
	if !prev.Leased {
		n.repl.StandingChanged()
		n.log.Info("primary is now under a failover lease: it refuses writes whenever the lease lapses")
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
	st := n.state()
	if lapsed, _ := st.LeaseLapsed(n.cfg.now()); lapsed {
		n.log.Warn("failover lease lapsed: refusing writes until it is renewed", "holder", st.LeaseHolder)
		n.repl.StandingChanged()
	}
}

// standing tells synchronous replication whether a degradation to async
// may release waiting commits (replication/release.go; the rules are
// cluster.State.Standing). It is called with the replication server's
// lock held.
func (n *Node) standing() replication.Standing { return n.state().Standing(n.cfg.now()) }

// failLapsedWaiters fails the commits waiting for a sync standby on a
// leased primary whose lease has lapsed, before the requirement is lifted:
// the holder may have promoted a standby without them, and once the lease
// is lifted a sync-timeout would acknowledge them.
func (n *Node) failLapsedWaiters() {
	if lapsed, _ := n.state().LeaseLapsed(n.cfg.now()); lapsed {
		n.log.Warn("promote on a primary whose failover lease lapsed: commits still waiting for a sync standby fail")
		n.repl.StepDown()
	}
}
