package node

import (
	"context"
	"encoding/json"
	"maps"
	"sync"
	"time"

	"github.com/heliosdb/nano/replication"
)

// A primary remembers the native addresses of the nodes it has seen (its
// standbys, and the primary it followed before a promotion) in the
// node-local bucket. When it starts as primary it asks each of them its
// term before it serves anything (clients' connections wait in the
// listen backlog): if one has seen a newer term (a failover happened
// while it was down), it is fenced at once instead of acknowledging
// writes that would be discarded when it rejoins. Peers that refuse the
// connection or do not answer within peerCheckTimeout are skipped (a
// single node, or a whole cluster restarting, must come up).

const (
	localPeers       = "peers"
	peerCheckTimeout = 2 * time.Second
)

// recordPeer remembers a peer's native address (node id → address).
func (n *Node) recordPeer(nodeID, addr string) {
	if nodeID == "" || addr == "" || nodeID == n.cfg.NodeID {
		return
	}
	n.peersMu.Lock()
	defer n.peersMu.Unlock()
	peers := n.peers()
	if peers[nodeID] == addr {
		return
	}
	peers[nodeID] = addr
	raw, _ := json.Marshal(peers)
	if err := n.db.SetLocal(localPeers, raw); err != nil {
		n.log.Warn("cannot record a peer's address", "peer", nodeID, "address", addr, "err", err)
	}
}

// peers returns the recorded peers (a new map).
func (n *Node) peers() map[string]string {
	out := map[string]string{}
	if raw := n.db.GetLocal(localPeers); raw != nil {
		if err := json.Unmarshal(raw, &out); err != nil {
			n.log.Warn("recorded peer list is unreadable; ignoring it", "err", err)
			return map[string]string{}
		}
	}
	return out
}

// checkPeers asks every recorded peer of a primary its term and fences
// the node if one is newer.
func (n *Node) checkPeers(ctx context.Context) {
	peers := n.peers()
	if n.role() != RolePrimary || len(peers) == 0 {
		return
	}
	own := n.identity()
	ctx, cancel := context.WithTimeout(ctx, peerCheckTimeout)
	defer cancel()
	var mu sync.Mutex
	var answered []string
	var wg sync.WaitGroup
	for id, addr := range maps.All(peers) {
		wg.Go(func() {
			st, err := replication.AskPeer(ctx, addr, n.cfg.secret(), n.cfg.NodeID, n.nativeTLS())
			if err != nil {
				n.log.Info("peer term check: no answer", "peer", id, "address", addr, "err", err)
				return
			}
			mu.Lock()
			answered = append(answered, id)
			mu.Unlock()
			if st.ClusterID == own.clusterID && st.Term > own.history.Term() {
				n.fence(st.Term, st.NodeID+" ("+addr+", asked at start)")
			}
		})
	}
	wg.Wait()
	n.log.Info("peer term check done", "peers", len(peers), "answered", len(answered), "term", own.history.Term())
}
