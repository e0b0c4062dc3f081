package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/replication"
)

// localRole is the node-local key recording the node's role and the
// primary it follows: a restarted node resumes it, whatever its flags say.
const localRole = "role"

type roleRecord struct {
	Role        hastate.Role `json:"role"`
	PrimaryHost string       `json:"primary_host,omitempty"`
	PrimaryPort int          `json:"primary_port,omitempty"`
	Leased      bool         `json:"leased,omitempty"` // a primary that needs a failover lease (lease.go)
}

// loadRole adopts the role the data dir records, or records the flags'
// role on first start.
func (n *Node) loadRole() error {
	want := roleRecord{Role: hastate.Role(n.cfg.Role), PrimaryHost: n.cfg.PrimaryHost, PrimaryPort: n.cfg.PrimaryPort}
	if want.Role == RolePrimary {
		want.PrimaryHost, want.PrimaryPort = "", 0
	}
	raw := n.db.GetLocal(localRole)
	if raw == nil {
		return n.setRole(want)
	}
	var rec roleRecord
	if err := json.Unmarshal(raw, &rec); err != nil || (rec.Role != RolePrimary && rec.Role != RoleStandby) {
		return fmt.Errorf("node: role recorded in %s is unreadable (%q): %v", n.cfg.dbPath(), raw, err)
	}
	if got := (roleRecord{Role: rec.Role, PrimaryHost: rec.PrimaryHost, PrimaryPort: rec.PrimaryPort}); got != want {
		n.log.Warn("the data dir records a different role than the flags; resuming the recorded one (use promote/demote to change it)",
			"recorded_role", rec.Role, "recorded_primary", joinHostPort(rec.PrimaryHost, rec.PrimaryPort),
			"flag_role", want.Role, "flag_primary", joinHostPort(want.PrimaryHost, want.PrimaryPort))
	}
	n.mu.Lock()
	n.roleName, n.primaryHost, n.primaryPort, n.leased = rec.Role, rec.PrimaryHost, rec.PrimaryPort, rec.Leased
	n.mu.Unlock()
	if rec.Leased {
		n.log.Info("this primary was under a failover lease: it accepts writes once heliosdb-proxy renews it")
	}
	return nil
}

func joinHostPort(host string, port int) string {
	if host == "" {
		return ""
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

func (n *Node) saveRole(rec roleRecord) error {
	raw, _ := json.Marshal(rec)
	if err := n.db.SetLocal(localRole, raw); err != nil {
		return fmt.Errorf("node: record role: %w", err)
	}
	return nil
}

// setRole records rec durably, then makes it the node's role. A new role
// starts without a failover lease requirement.
func (n *Node) setRole(rec roleRecord) error {
	if err := n.saveRole(rec); err != nil {
		return err
	}
	n.mu.Lock()
	n.roleName, n.primaryHost, n.primaryPort = rec.Role, rec.PrimaryHost, rec.PrimaryPort
	n.fencedTerm, n.fencedBy = 0, ""
	n.leased, n.leaseUntil = rec.Leased, time.Time{}
	n.mu.Unlock()
	if n.repl != nil {
		n.repl.StandingChanged()
	}
	n.metrics.role.Reset()
	n.metrics.role.WithLabelValues(string(rec.Role)).Set(1)
	return nil
}

// primaryAddr is the native address of the primary this node follows.
func (n *Node) primaryAddr() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return joinHostPort(n.primaryHost, n.primaryPort)
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
	if n.role() == RolePrimary {
		if n.leaseRecorded() {
			n.failLapsedWaiters()
			if err := n.recordLease(false); err != nil {
				return PromoteResult{}, fmt.Errorf("%w: %w", ErrRoleChange, err)
			}
		}
		return PromoteResult{AlreadyPrimary: true, Term: n.term(), LSN: n.wal.FlushedLSN()}, nil
	}
	var behind int64
	if n.standby != nil {
		st := n.standby.Status()
		behind = st.LagBytes
		n.recordPeer(st.PrimaryNodeID, n.primaryAddr()) // the primary it followed: asked after a restart
	}
	n.stopFollowing()
	if err := n.replay(); err != nil { // apply anything flushed but not applied
		return PromoteResult{}, fmt.Errorf("%w: %w", ErrRoleChange, err)
	}
	id := n.identity()
	if id.clusterID == "" {
		n.startFollowing()
		return PromoteResult{}, fmt.Errorf("%w: this standby has never been seeded from a primary; there is nothing to promote", ErrRoleChange)
	}
	start := n.wal.FlushedLSN()
	id.history = append(append(replication.History(nil), id.history...), replication.TermStart{Term: id.history.Term() + 1, Start: start})
	if err := n.saveIdentity(id); err != nil {
		return PromoteResult{}, fmt.Errorf("%w: record the new term: %w", ErrRoleChange, err)
	}
	n.mu.Lock()
	n.ident = id
	n.mu.Unlock()
	n.engine.ResetCaches()
	if err := n.setRole(roleRecord{Role: RolePrimary}); err != nil {
		return PromoteResult{}, fmt.Errorf("%w: %w", ErrRoleChange, err)
	}
	if opt.SyncDegraded {
		n.repl.Degrade("promoted by a failover with no sync standby connected")
	}
	res := PromoteResult{Term: id.history.Term(), LSN: start, BehindBytes: behind}
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
	if host == "" || port <= 0 || port > 65535 {
		return fmt.Errorf("%w: demote needs the new primary's host and native port", ErrRoleChange)
	}
	n.roleMu.Lock()
	defer n.roleMu.Unlock()
	wasPrimary := n.role() == RolePrimary
	n.stopFollowing()
	if err := n.setRole(roleRecord{Role: RoleStandby, PrimaryHost: host, PrimaryPort: port}); err != nil {
		return fmt.Errorf("%w: %w", ErrRoleChange, err)
	}
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
	if !n.committer.drain(n.cfg.SyncTimeout) {
		n.log.Warn("demote: commits still waiting after sync-timeout; failing them", "sync_timeout", n.cfg.SyncTimeout.String())
		n.repl.StepDown()
		n.committer.drain(n.cfg.ShutdownTimeout)
	}
	end := n.wal.FlushedLSN()
	wctx, cancel := context.WithTimeout(ctx, n.cfg.SyncTimeout)
	defer cancel()
	if !n.repl.WaitStandbysFlushed(wctx, end) {
		n.log.Warn("demote: a standby did not receive the WAL up to the end in time", "lsn", end.String())
	}
	n.repl.StepDown()
}

// startFollowing runs the standby receiver towards the recorded primary,
// once Run has started the background tasks.
func (n *Node) startFollowing() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.bgCtx == nil || n.roleName != RoleStandby || n.followCancel != nil {
		return
	}
	addr := joinHostPort(n.primaryHost, n.primaryPort)
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
