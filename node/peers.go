package node

import (
	"context"
	"errors"
	"maps"
	"sync"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/node/cluster"
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

const peerCheckTimeout = 2 * time.Second

// recordPeer remembers a peer's native address (node id → address).
func (n *Node) recordPeer(nodeID, addr string) {
	_, _, err := n.update(func(s cluster.State) (cluster.State, error) {
		next, ok := s.AddPeer(n.cfg.NodeID, nodeID, addr)
		if !ok {
			return s, errUnchanged
		}
		return next, nil
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		n.log.Warn("cannot record a peer's address", "peer", nodeID, "address", addr, "err", err)
	}
}

// checkPeers asks every recorded peer of a primary its term and fences
// the node if one is newer.
func (n *Node) checkPeers(ctx context.Context) {
	own := n.state()
	peers := own.Peers
	if own.Role != hastate.Primary || len(peers) == 0 {
		return
	}
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
			if st.ClusterID == own.ClusterID && st.Term > own.Term() {
				n.fence(st.Term, st.NodeID+" ("+addr+", asked at start)")
			}
		})
	}
	wg.Wait()
	n.log.Info("peer term check done", "peers", len(peers), "answered", len(answered), "term", own.Term())
}
