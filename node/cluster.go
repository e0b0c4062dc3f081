package node

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/node/cluster"
)

// The node's place in its cluster (role, followed primary, cluster id,
// term history, lease, fencing, peers) is one cluster.State, stored as one
// record in storage's node-local bucket (package cluster). The record
// travels with a base backup, which is what a re-seeded standby needs: the
// cluster it joined and the history of the WAL it now holds.

// baseBackupMarker exists in the data dir while a base backup is being
// installed. Found at start, it means storage and WAL may be from
// different histories: the node wipes both and re-seeds.
const baseBackupMarker = "BASEBACKUP_IN_PROGRESS"

// errUnchanged is returned by a transition passed to update that changes
// nothing: update then neither persists nor publishes.
var errUnchanged = errors.New("unchanged")

// state is the current cluster state.
func (n *Node) state() cluster.State {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.st
}

// update runs the transition fn on the current state. When the durable
// part changes it is written first (one bbolt transaction); only then
// does the result become current. Transitions are serialised by stateMu,
// so none is lost to a concurrent one. fn must not block: it runs with
// stateMu held.
func (n *Node) update(fn func(cluster.State) (cluster.State, error)) (prev, next cluster.State, err error) {
	n.stateMu.Lock()
	defer n.stateMu.Unlock()
	prev = n.state()
	next, err = fn(prev)
	if err != nil {
		return prev, prev, err
	}
	return prev, next, n.install(prev, next, false)
}

// install persists next (when its record differs from prev's, or always
// with force) and makes it current. stateMu is held.
func (n *Node) install(prev, next cluster.State, force bool) error {
	if force || !next.Record().Equal(prev.Record()) {
		if err := n.db.SetLocals(next.Record().Writes()); err != nil {
			return fmt.Errorf("node: record the cluster state: %w", err)
		}
	}
	n.mu.Lock()
	n.st = next
	n.mu.Unlock()
	return nil
}

// roleChanged tells the parts that depend on the role that it changed.
func (n *Node) roleChanged() {
	if n.repl != nil {
		n.repl.StandingChanged()
	}
	n.metrics.role.Reset()
	n.metrics.role.WithLabelValues(string(n.role())).Set(1)
	if n.role() != RolePrimary && n.gate.open() {
		n.log.Info("no longer primary: the restart gate is open (standby rules apply)")
	}
}

// loadState adopts the state the data dir records (migrating the old
// keys), or records the flags' role on first start. A primary that has no
// cluster id (a new cluster, or a data dir from before replication) founds
// a cluster: a random id and term 1 from the start of the WAL. A standby
// that has none stays empty until its first base backup.
func (n *Node) loadState() error {
	l, err := cluster.Decode(n.db.GetLocal)
	if err != nil {
		return fmt.Errorf("node: cluster state in %s: %w", n.cfg.dbPath(), err)
	}
	want := cluster.Initial(hastate.Role(n.cfg.Role), n.cfg.PrimaryHost, n.cfg.PrimaryPort)
	st := l.Record.State()
	switch {
	case !l.RoleFound:
		st.Role, st.PrimaryHost, st.PrimaryPort = want.Role, want.PrimaryHost, want.PrimaryPort
	case st.Role != want.Role || st.PrimaryHost != want.PrimaryHost || st.PrimaryPort != want.PrimaryPort:
		n.log.Warn("the data dir records a different role than the flags; resuming the recorded one (use promote/demote to change it)",
			"recorded_role", st.Role, "recorded_primary", st.PrimaryAddr(), "flag_role", want.Role, "flag_primary", want.PrimaryAddr())
	}
	if st.Leased {
		n.log.Info("this primary was under a failover lease: it accepts writes once heliosdb-proxy renews it")
	}
	if st.Fenced() {
		n.log.Warn("this primary was fenced before it stopped: it refuses writes until it is demoted to follow the new primary",
			"own_term", st.Term(), "newer_term", st.FencedTerm, "learned_from", st.FencedBy)
	}
	founded := false
	if st.Role == hastate.Primary && st.ClusterID == "" {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		st, founded = st.Found(hex.EncodeToString(b[:]))
	}
	n.stateMu.Lock()
	defer n.stateMu.Unlock()
	if err := n.install(cluster.State{}, st, l.Old || !l.RoleFound || founded); err != nil {
		return err
	}
	if l.Old {
		n.log.Info("cluster state migrated to one record", "role", st.Role, "term", st.Term())
	}
	if founded {
		n.log.Info("new cluster", "cluster_id", st.ClusterID, "term", 1)
	}
	n.metrics.role.Reset()
	n.metrics.role.WithLabelValues(string(st.Role)).Set(1)
	return nil
}

// wipeInterruptedBaseBackup empties a data dir whose base backup install
// was interrupted (see baseBackupMarker).
func (n *Node) wipeInterruptedBaseBackup() error {
	marker := filepath.Join(n.cfg.DataDir, baseBackupMarker)
	if _, err := os.Stat(marker); err != nil {
		return nil
	}
	n.log.Warn("a base backup install was interrupted; emptying the data dir to re-seed from the primary", "data_dir", n.cfg.DataDir)
	for _, p := range []string{n.cfg.dbPath(), n.cfg.walDir()} {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("node: wipe %s: %w", p, err)
		}
	}
	return os.Remove(marker)
}

func (n *Node) role() hastate.Role { return n.state().Role }

// term is the current term (0 on a standby that has never been seeded).
func (n *Node) term() uint64 { return n.state().Term() }

// primaryAddr is the native address of the primary this node follows.
func (n *Node) primaryAddr() string { return n.state().PrimaryAddr() }
