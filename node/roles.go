package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/node/cluster"
)

func joinHostPort(host string, port int) string {
	if host == "" {
		return ""
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// PromoteResult says what Promote did.
type PromoteResult struct {
	AlreadyPrimary bool    `json:"already_primary"`
	Term           uint64  `json:"term"`
	LSN            lsn.LSN `json:"lsn"`
	// BehindBytes is how far the standby was behind its primary's last
	// known position when it stopped following (0 when caught up or
	// unknown).
	BehindBytes int64 `json:"behind_bytes"`
}

// ErrRoleChange wraps failures of promote and demote.
var ErrRoleChange = errors.New("role change failed")

// PromoteOptions adjust a promotion.
type PromoteOptions struct {
	// SyncDegraded: in sync mode with no sync standby connected, start
	// degraded to async instead of making the first commits wait
	// sync-timeout (an automatic failover that promoted the only sync
	// standby). Sync is restored when a sync standby catches up.
	SyncDegraded bool
	// MinTerm: the new term is at least this (cluster.State.Promote).
	MinTerm uint64
}

// Promote makes a standby the primary of a new term: it stops following,
// applies what it has received, records the new term durably with the LSN
// it starts at, and accepts writes. On a primary it only lifts a failover
// lease requirement (the operator takes the node out of the proxy's care).
func (n *Node) Promote(ctx context.Context) (PromoteResult, error) {
	return n.PromoteWith(ctx, PromoteOptions{})
}

// PromoteWith is Promote with options.
func (n *Node) PromoteWith(ctx context.Context, opt PromoteOptions) (PromoteResult, error) {
	n.roleMu.Lock()
	defer n.roleMu.Unlock()
	cur := n.state()
	if cur.Role == hastate.Primary {
		if cur.Leased {
			n.failLapsedWaiters()
			if _, _, err := n.update(func(s cluster.State) (cluster.State, error) { return s.LiftLease(), nil }); err != nil {
				return PromoteResult{}, fmt.Errorf("%w: %w", ErrRoleChange, err)
			}
			n.repl.StandingChanged()
			n.log.Info("failover lease requirement lifted: this primary accepts writes without a lease")
		}
		return PromoteResult{AlreadyPrimary: true, Term: cur.Term(), LSN: n.wal.FlushedLSN()}, nil
	}
	var behind int64
	if n.standby != nil {
		st := n.standby.Status()
		behind = st.LagBytes
		n.recordPeer(st.PrimaryNodeID, cur.PrimaryAddr()) // the primary it followed: asked after a restart
	}
	n.stopFollowing()
	if err := n.replay(); err != nil { // apply anything flushed but not applied
		return PromoteResult{}, fmt.Errorf("%w: %w", ErrRoleChange, err)
	}
	if n.state().ClusterID == "" {
		n.startFollowing()
		return PromoteResult{}, fmt.Errorf("%w: %w", ErrRoleChange, cluster.ErrNotSeeded)
	}
	// Nothing changes storage from here on (the receiver is stopped and
	// writes are refused until the new state is current).
	n.engine.ResetCaches()
	n.markOrphans() // what the old primary's dead transactions left (sql/exec/reclaim.go)
	start := n.wal.FlushedLSN()
	// The new term and the role in one record: a crash leaves the
	// standby of the old term or the primary of the new one.
	_, next, err := n.update(func(s cluster.State) (cluster.State, error) { return s.Promote(start, opt.MinTerm) })
	if err != nil {
		return PromoteResult{}, fmt.Errorf("%w: record the new term: %w", ErrRoleChange, err)
	}
	n.roleChanged()
	if opt.SyncDegraded {
		n.repl.Degrade("promoted by a failover with no sync standby connected")
	}
	res := PromoteResult{Term: next.Term(), LSN: start, BehindBytes: behind}
	n.log.Info("promoted to primary", "term", res.Term, "start_lsn", start.String(), "behind_bytes", behind)
	return res, nil
}

// Demote makes the node a standby of the primary at host:port (its native
// port). On a primary, new writes are refused at once, commits already
// queued finish, streams to its standbys end and commits still waiting for
// a sync standby fail (they may not be on the new primary). From the role
// change on, a degradation to async releases no commit (standing): only a
// sync standby's flush does. On a standby it re-points it.
func (n *Node) Demote(ctx context.Context, host string, port int) error {
	if _, err := n.state().Demote(host, port); err != nil {
		return fmt.Errorf("%w: %w", ErrRoleChange, err)
	}
	n.roleMu.Lock()
	defer n.roleMu.Unlock()
	wasPrimary := n.role() == hastate.Primary
	n.stopFollowing()
	if _, _, err := n.update(func(s cluster.State) (cluster.State, error) { return s.Demote(host, port) }); err != nil {
		return fmt.Errorf("%w: %w", ErrRoleChange, err)
	}
	n.roleChanged()
	if wasPrimary {
		n.handOver(ctx)
		n.log.Info("demoted to standby", "primary", joinHostPort(host, port), "term", n.term(), "lsn", n.wal.FlushedLSN().String())
	} else {
		n.log.Info("following a new primary", "primary", joinHostPort(host, port))
	}
	n.startFollowing()
	return nil
}

// handOver ends a primary's tenure without losing what its standbys can
// still receive: new writes are already refused; the commits in flight
// finish (their sync waits are released as usual while the standbys still
// stream); every connected standby receives the WAL up to the end; then
// the streams end. Each wait is bounded by SyncTimeout, after which
// waiting commits fail (57P01: committed here, maybe not on the new
// primary).
func (n *Node) handOver(ctx context.Context) {
	dctx, cancel := context.WithTimeout(ctx, n.cfg.SyncTimeout)
	drained := n.committer.drain(dctx)
	cancel()
	if !drained {
		n.log.Warn("demote: commits still waiting after sync-timeout (or the demotion was cancelled); failing them", "sync_timeout", n.cfg.SyncTimeout.String())
		n.repl.StepDown()
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.cfg.ShutdownTimeout)
		n.committer.drain(dctx)
		cancel()
	}
	// The standbys apply only what this primary released (the stream
	// carries its released LSN): wait until they have, so that the
	// standby a switchover promotes next has applied every acknowledged
	// commit before the streams end.
	end, released := n.wal.FlushedLSN(), replNode{n}.ReleasedLSN()
	wctx, cancel := context.WithTimeout(ctx, n.cfg.SyncTimeout)
	defer cancel()
	if !n.repl.WaitStandbysCaughtUp(wctx, end, released) {
		n.log.Warn("demote: a standby did not receive the WAL up to the end (or apply what was released) in time",
			"lsn", end.String(), "released", released.String())
	}
	n.repl.StepDown()
}

// startFollowing runs the standby receiver towards the recorded primary,
// once Run has started the background tasks.
func (n *Node) startFollowing() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.bgCtx == nil || n.st.Role != hastate.Standby || n.followCancel != nil {
		return
	}
	addr := n.st.PrimaryAddr()
	n.standby.SetPrimary(addr)
	ctx, cancel := context.WithCancel(n.bgCtx)
	done := make(chan struct{})
	n.followCancel, n.followDone = cancel, done
	n.bg.Add(1)
	go func() {
		defer n.bg.Done()
		defer close(done)
		n.standby.Run(ctx)
	}()
}

// stopFollowing stops the receiver and waits until it has applied what it
// flushed.
func (n *Node) stopFollowing() {
	n.mu.Lock()
	cancel, done := n.followCancel, n.followDone
	n.followCancel, n.followDone = nil, nil
	n.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}
