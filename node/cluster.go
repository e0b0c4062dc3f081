package node

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/replication"
)

// Node-local keys in storage. They travel with a base backup, which is
// what a re-seeded standby needs: the cluster it joined and the history
// of the WAL it now holds.
const (
	localClusterID = "cluster_id"
	localHistory   = "term_history"
)

// baseBackupMarker exists in the data dir while a base backup is being
// installed. Found at start, it means storage and WAL may be from
// different histories: the node wipes both and re-seeds.
const baseBackupMarker = "BASEBACKUP_IN_PROGRESS"

// identity is the node's cluster membership and term history.
type identity struct {
	clusterID string
	history   replication.History
}

// loadIdentity reads the identity from storage. A primary that has none
// (a new cluster, or a data dir from before replication) founds a cluster:
// a random id and term 1 from the start of the WAL. A standby that has
// none stays empty until its first base backup.
func (n *Node) loadIdentity() error {
	id := identity{clusterID: string(n.db.GetLocal(localClusterID))}
	if raw := n.db.GetLocal(localHistory); raw != nil {
		if err := json.Unmarshal(raw, &id.history); err != nil {
			return fmt.Errorf("node: term history in %s: %w", n.cfg.dbPath(), err)
		}
		if err := id.history.Validate(); err != nil {
			return err
		}
	}
	if id.clusterID == "" && n.role() == RolePrimary {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		id = identity{clusterID: hex.EncodeToString(b[:]), history: replication.History{{Term: 1, Start: 0}}}
		if err := n.saveIdentity(id); err != nil {
			return err
		}
		n.log.Info("new cluster", "cluster_id", id.clusterID, "term", 1)
	}
	n.mu.Lock()
	n.ident = id
	n.mu.Unlock()
	return nil
}

func (n *Node) saveIdentity(id identity) error {
	raw, err := json.Marshal(id.history)
	if err != nil {
		return err
	}
	if err := n.db.SetLocal(localHistory, raw); err != nil {
		return err
	}
	return n.db.SetLocal(localClusterID, []byte(id.clusterID))
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

func (n *Node) role() hastate.Role {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.roleName
}

func (n *Node) identity() identity {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ident
}

// term is the current term (0 on a standby that has never been seeded).
func (n *Node) term() uint64 { return n.identity().history.Term() }
