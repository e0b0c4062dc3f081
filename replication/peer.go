package replication

import (
	"context"
	"fmt"

	"google.golang.org/grpc"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/proto/replicationpb"
)

// PeerStatus is a peer's answer to the Status RPC.
type PeerStatus struct {
	NodeID    string
	Role      hastate.Role
	Term      uint64
	ClusterID string
}

// AskPeer calls the Status RPC of the node at addr (its native port) with
// secret (inside TLS when t is set). A restarted primary asks its known
// peers this before it takes writes: one of them may have seen a newer term.
func AskPeer(ctx context.Context, addr, secret, nodeID string, t *TLS) (PeerStatus, error) {
	conn, err := grpc.NewClient(addr, DialOption(secret, nodeID, t))
	if err != nil {
		return PeerStatus{}, fmt.Errorf("replication: peer %s: %w", addr, err)
	}
	defer conn.Close()
	// Not WaitForReady: a peer that refuses the connection is down, and
	// the caller refuses writes until every peer has answered or failed.
	st, err := replicationpb.NewReplicationClient(conn).Status(ctx, &replicationpb.StatusRequest{})
	if err != nil {
		return PeerStatus{}, fmt.Errorf("replication: peer %s: %w", addr, err)
	}
	return PeerStatus{NodeID: st.GetNodeId(), Role: hastate.Role(st.GetRole()), Term: st.GetTerm(), ClusterID: st.GetClusterId()}, nil
}
