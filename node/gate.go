package node

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/replication"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/storage"
)

// The restart rule of a sync primary.
//
// In sync mode the commit path makes a group visible only once
// synchronous replication released it (committer.go), so the storage file
// never holds a commit that was not released — but the WAL may: a group
// fsynced locally whose sync standby had not flushed it when the primary
// died. Replay (replay.go) applies the whole WAL at start. A primary of
// sync mode that restarts with WAL beyond what storage had (the storage
// file's LSN before replay) therefore serves no SQL — every snapshot is
// refused with 57P03 — until synchronous replication releases the WAL up
// to its end by the rule a commit's acknowledgement follows
// (replication/release.go): a sync standby flushed it, or a degradation
// the node's standing allows (without a failover lease: after
// --sync-timeout; under one: once the lease holder has seen it). If
// another node was promoted meanwhile, this node learns the newer term
// (checkPeers, a standby's handshake), is fenced and never serves the
// tail; demoted, it follows the new primary, whose handshake finds the
// divergence and re-seeds it. The gate opens when the node stops being
// primary (a standby's reads follow the standby rules).
//
// Refusing rather than serving the older storage: the tail may hold
// commits that were acknowledged (a sync standby confirmed them before the
// crash), and a read without them would go back in time. Async mode and
// standbys are not gated; a clean shutdown leaves no tail.

// errNotReady refuses SQL while the gate is shut.
var errNotReady = pgerror.New(pgerror.CannotConnectNow, "the database system is not yet accepting connections").
	WithDetail("This primary restarted with WAL that no sync standby has confirmed; it serves queries once one has, or synchronous replication degrades to async.")

// gate holds SQL back while a restarted sync primary's WAL tail is not
// released.
type gate struct {
	mu     sync.Mutex
	shut   bool
	end    lsn.LSN // the WAL end to be released
	stored lsn.LSN // what the storage file held before replay: released
}

func (g *gate) close(stored, end lsn.LSN) {
	g.mu.Lock()
	g.shut, g.stored, g.end = true, stored, end
	g.mu.Unlock()
}

// released is, while the gate is shut, how far the WAL is known released
// (the storage file's LSN before replay).
func (g *gate) released() (lsn.LSN, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stored, g.shut
}

// open reports whether it was shut.
func (g *gate) open() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	was := g.shut
	g.shut = false
	return was
}

func (g *gate) pending() (lsn.LSN, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.end, g.shut
}

// gatedSnapshots is the SQL engine's snapshot source: storage behind the
// gate.
type gatedSnapshots struct {
	*storage.DB
	gate *gate
}

func (s gatedSnapshots) Snapshot() (*storage.Snapshot, error) {
	if _, shut := s.gate.pending(); shut {
		return nil, errNotReady
	}
	return s.DB.Snapshot()
}

// shutGateAfterRestart shuts the gate when this is a sync primary whose
// WAL goes beyond what storage held before replay (from).
func (n *Node) shutGateAfterRestart(from lsn.LSN) {
	end := n.wal.FlushedLSN()
	if n.cfg.ReplicationMode != ModeSync || n.role() != RolePrimary || from >= end {
		return
	}
	n.gate.close(from, end)
	n.log.Warn("restarted as a sync primary with WAL no sync standby may have confirmed: refusing SQL until one has flushed it (or sync degrades)",
		"storage_lsn", from.String(), "wal_end", end.String())
}

// awaitRelease opens the gate once synchronous replication releases the
// WAL up to end (or the node is no longer primary: roleChanged).
func (n *Node) awaitRelease(ctx context.Context, end lsn.LSN) {
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go n.checkPeersWhileGated(pctx)
	delay := 50 * time.Millisecond
	for {
		if _, shut := n.gate.pending(); !shut {
			return
		}
		err := n.repl.WaitReleased(ctx, end)
		switch {
		case err == nil:
			if n.gate.open() {
				n.log.Info("the WAL this primary restarted with is released by synchronous replication: serving SQL", "lsn", end.String())
			}
			return
		case ctx.Err() != nil, errors.Is(err, replication.ErrClosed):
			return
		}
		// Stepped down or lease lapsed: try again (roleChanged opens the
		// gate if the node becomes a standby).
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(2*delay, time.Second)
	}
}

// gatedPeerCheckInterval: how often a gated primary asks its peers for a
// newer term.
const gatedPeerCheckInterval = time.Second

// checkPeersWhileGated asks the peers for a newer term every second while
// the gate is shut. The check at start is not enough: a standby promoted
// while this node sat gated (it fails the proxy's SQL health probe, so the
// proxy fails over) would otherwise never fence it — the proxy demotes
// only primaries that answer — and the cluster kept two primaries
// (faults bank, "n1 primary/5 degraded, n2 primary/6"). Fenced, the gate
// opens (fence) and the proxy demotes it.
func (n *Node) checkPeersWhileGated(ctx context.Context) {
	t := time.NewTicker(gatedPeerCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, shut := n.gate.pending(); !shut || n.role() != RolePrimary {
			return
		}
		n.checkPeers(ctx)
	}
}

// tableReads refuses statements on tables while this primary is fenced
// (exec.Config.TableReads). Its storage may hold commits no standby
// confirmed — the WAL tail replayed at a restart, which the restart gate
// stops hiding once fenced, or in async mode anything the new primary
// never received — so reading them directly would show data the cluster
// lost. Writes are refused with 25006 (readOnly); system views such as
// helios_node stay readable, so the proxy still probes and demotes it.
func (n *Node) tableReads() error {
	st := n.state()
	if !st.Fenced() {
		return nil
	}
	_, why := st.ReadOnly(n.cfg.NodeID, n.cfg.now())
	return pgerror.New(pgerror.CannotConnectNow, "cannot read tables on a fenced primary").
		WithDetail("%s", why).
		WithHint("Its data may include commits the new primary never received. Read from the current primary or through heliosdb-proxy.")
}
