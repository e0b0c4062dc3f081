package node

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/internal/fsutil"
	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/node/cluster"
	"github.com/heliosdb/nano/replication"
	"github.com/heliosdb/nano/storage"
	"github.com/heliosdb/nano/wal"
)

// replNode adapts the node to the replication package's seams
// (replication.Node on the primary side, replication.Target on the
// standby side).
type replNode struct{ n *Node }

func (r replNode) Identity() replication.Identity {
	st := r.n.state()
	following := ""
	if st.Role == hastate.Standby {
		following = st.PrimaryAddr()
	}
	return replication.Identity{ClusterID: st.ClusterID, NodeID: r.n.cfg.NodeID, Primary: st.Role == hastate.Primary,
		History: st.History, Following: following}
}

// AdoptHistory records the primary's term history.
func (r replNode) AdoptHistory(h replication.History) error {
	_, _, err := r.n.update(func(s cluster.State) (cluster.State, error) { return s.AdoptHistory(h) })
	return err
}

func (r replNode) WriteBackup(w io.Writer) (lsn.LSN, int64, error) { return r.n.db.WriteBackup(w) }

func (r replNode) AppliedLSN() lsn.LSN { return r.n.db.AppliedLSN() }

// ReleasedLSN is how far a sync primary has released its WAL: the commit
// path applies a group only once synchronous replication released it
// (committer.go), so it is storage's applied LSN — except behind the
// restart gate (gate.go), where replay applied a tail nobody released.
func (r replNode) ReleasedLSN() lsn.LSN {
	if stored, shut := r.n.gate.released(); shut {
		return stored
	}
	return r.n.db.AppliedLSN()
}

func (r replNode) ReleasedChanged() <-chan struct{} { return r.n.db.AppliedChanged() }

// Apply makes received records visible in one storage transaction.
func (r replNode) Apply(recs []wal.Record) error {
	batches := make([]*storage.Batch, 0, len(recs))
	for _, rec := range recs {
		b, err := decodeRecord(rec)
		if err != nil {
			return err
		}
		if b != nil {
			batches = append(batches, b)
		}
	}
	return r.n.db.Apply(recs[len(recs)-1].End(), batches...)
}

// InstallBaseBackup replaces storage with the backup, restarts the WAL at
// its LSN and adopts the identity it carries. The marker file makes the
// two steps safe against a crash in between.
func (r replNode) InstallBaseBackup(src io.Reader) (lsn.LSN, error) {
	n := r.n
	marker := filepath.Join(n.cfg.DataDir, baseBackupMarker)
	if err := fsutil.WriteFileAtomic(marker, []byte("installing a base backup\n"), 0o600); err != nil {
		return 0, err
	}
	at, err := n.db.Replace(src)
	if err != nil {
		os.Remove(marker) // storage is unchanged
		return 0, err
	}
	if err := n.wal.Reset(at); err != nil {
		return 0, fmt.Errorf("node: restart WAL at %s: %w", at, err)
	}
	// The backup carries the primary's node-local values: the cluster id,
	// term history and peers are now this node's; its role is its own.
	l, err := cluster.Decode(n.db.GetLocal)
	if err != nil {
		return 0, fmt.Errorf("node: cluster state in the base backup: %w", err)
	}
	n.stateMu.Lock()
	cur := n.state()
	err = n.install(cur, cur.Reseeded(l.Record.State()), true)
	n.stateMu.Unlock()
	if err != nil {
		return 0, err
	}
	n.roleChanged()
	n.engine.ResetCaches()
	if err := os.Remove(marker); err != nil {
		return 0, err
	}
	if err := fsutil.SyncDir(n.cfg.DataDir); err != nil {
		return 0, err
	}
	st := n.state()
	n.log.Info("re-seeded from a base backup", "lsn", at.String(), "cluster_id", st.ClusterID, "term", st.Term())
	return at, nil
}

// startReplication builds the replication server every node serves on its
// native port, and the standby receiver when this node is a standby.
func (n *Node) startReplication() error {
	n.repl = replication.NewServer(replication.ServerConfig{
		WAL: n.wal, Node: replNode{n}, Secret: n.cfg.secret(), NodeID: n.cfg.NodeID, TLS: n.nativeTLS(),
		Sync: n.cfg.ReplicationMode == ModeSync, SyncStrict: n.cfg.SyncStrict, SyncTimeout: n.cfg.SyncTimeout,
		MaxRetainBytes:    int64(n.cfg.WALKeepMB) << 20,
		OnStandby:         func(s replication.StandbyInfo) { n.recordPeer(s.NodeID, s.NativeAddress) },
		Standing:          n.standing,
		RecordDegradedAck: n.recordDegradedAck, SyncRestored: n.syncRestored,
		Logger: n.log, Registerer: n.reg, Now: n.cfg.now,
	})
	n.grpcSrv = n.repl.GRPCServer()
	var err error
	n.nativeLn = n.cfg.NativeListener
	if n.nativeLn == nil {
		if n.nativeLn, err = net.Listen("tcp", net.JoinHostPort(n.cfg.Listen, strconv.Itoa(n.cfg.NativePort))); err != nil {
			return &ConfigError{Key: "native-port", Reason: err.Error()}
		}
	}
	// Every node has a receiver: a primary may be demoted and follow.
	n.standby = replication.NewStandby(replication.StandbyConfig{
		PrimaryAddr: n.primaryAddr(), Secret: n.cfg.secret(), NodeID: n.cfg.NodeID, TLS: n.nativeTLS(),
		Sync: n.cfg.ReplicationMode == ModeSync, Address: n.advertisedPG(), NativeAddress: n.advertisedNative(),
		WAL: n.wal, Target: replNode{n}, TempDir: n.cfg.DataDir, MinBackoff: n.cfg.ReplicationBackoff,
		Logger: n.log, Registerer: n.reg, Now: n.cfg.now,
	})
	return nil
}

func (n *Node) advertisedPG() string {
	return net.JoinHostPort(n.cfg.AdvertiseHost, strconv.Itoa(portOf(n.pgLn.Addr(), n.cfg.PGPort)))
}

func (n *Node) advertisedNative() string {
	return net.JoinHostPort(n.cfg.AdvertiseHost, strconv.Itoa(portOf(n.nativeLn.Addr(), n.cfg.NativePort)))
}

func portOf(a net.Addr, def int) int {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.Port
	}
	return def
}

// NewerTerm fences a primary that learns its term is over.
func (r replNode) NewerTerm(term uint64, from string) { r.n.fence(term, from) }

// fence makes a primary refuse writes because a newer term exists
// elsewhere. The fence is recorded with the rest of the cluster state (one
// bbolt write), so it stays until a role change, across restarts, and says
// how to resolve it: demote it to follow the new primary.
func (n *Node) fence(term uint64, from string) {
	prev, _, err := n.update(func(s cluster.State) (cluster.State, error) {
		next, ok := s.Fence(term, from)
		if !ok {
			return s, errUnchanged
		}
		return next, nil
	})
	if err != nil {
		return
	}
	n.log.Error("fenced: a newer term exists; refusing writes (demote this node to follow the new primary)",
		"own_term", prev.Term(), "newer_term", term, "learned_from", from)
	n.repl.StepDown() // fails the waiting commits; later ones cannot degrade (standing)
	// The restart gate (gate.go) would keep it from ever answering the
	// proxy's health probe, so the proxy would never demote it; a fenced
	// primary gets no reads from the proxy.
	if n.gate.open() {
		n.log.Warn("fenced: the restart gate is open (its unconfirmed WAL is discarded when it follows the new primary)")
	}
}

// readOnly reports whether writes are refused here, and the hint. Every
// statement asks (cluster.State.ReadOnly).
func (n *Node) readOnly() (bool, string) { return n.state().ReadOnly(n.cfg.NodeID, n.cfg.now()) }

// checkpoints removes WAL segments nobody needs any more: the storage file
// holds them (DurableLSN) and no known standby still has to receive them.
func (n *Node) checkpoints(ctx context.Context) {
	t := time.NewTicker(n.cfg.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		before := n.db.DurableLSN() // a crash replays from there, not from AppliedLSN
		if n.role() == RolePrimary {
			if keep, ok := n.repl.RetainFrom(); ok {
				before = min(before, keep)
			}
		}
		if err := n.wal.TruncateFront(before); err != nil {
			n.log.Warn("checkpoint: cannot remove old WAL", "before", before.String(), "err", err)
		}
	}
}
