package node

import (
	"fmt"
	"time"

	"github.com/heliosdb/nano/forward"
	"github.com/heliosdb/nano/sql/session"
)

// Write forwarding (--write-forwarding; docs/replication.md) lives in
// package forward; the node only wires it: every node serves the
// primary's side on its native port (forward.Server, behind the same
// authentication as replication), and a standby with WriteForwarding gives
// its sessions a forward.Client, which waits on storage after a forwarded
// commit (read-your-writes). SHOW TOPOLOGY on a standby uses a second
// client with a short timeout (topology.go).

// startForwarding registers the Forwarding service on the native port and,
// with write forwarding on, gives sessions the client. Called by Open
// after startReplication.
func (n *Node) startForwarding() {
	n.fwdServer = forward.Register(n.grpcSrv, forward.ServerConfig{Session: n.forwardSession, Logger: n.log})
	n.topoClient = forward.NewClient(n.forwardClientConfig(topologyTimeout))
	if !n.cfg.WriteForwarding {
		return
	}
	cfg := n.forwardClientConfig(n.cfg.WriteForwardingTimeout)
	cfg.Applied, cfg.ApplyWait = n.db, n.metrics.forwardApplyWait
	cfg.NoPrimaryHint = func() string { _, hint := n.readOnly(); return hint }
	n.fwdClient = forward.NewClient(cfg)
	n.sessCfg.Forward = n.fwdClient
}

func (n *Node) forwardClientConfig(timeout time.Duration) forward.ClientConfig {
	return forward.ClientConfig{Secret: n.cfg.secret(), NodeID: n.cfg.NodeID, TLS: n.nativeTLS(), Primary: n.forwardTarget,
		Timeout: timeout, Logger: n.log}
}

// stopForwarding rolls back the forwarded transactions this node runs for
// standbys and closes the connections to the primary.
func (n *Node) stopForwarding() {
	if n.fwdServer != nil {
		n.fwdServer.Close()
	}
	if n.fwdClient != nil {
		n.fwdClient.Close()
	}
	if n.topoClient != nil {
		n.topoClient.Close()
	}
}

// forwardTarget is the primary to forward to: the one this node follows,
// or none when it is itself primary.
func (n *Node) forwardTarget() string {
	if n.role() != RoleStandby {
		return ""
	}
	return n.primaryAddr()
}

// forwardSession is the session configuration of a standby's forwarded
// transaction, on a primary that takes writes.
func (n *Node) forwardSession() (session.Config, error) {
	if ro, hint := n.readOnly(); ro || n.role() != RolePrimary {
		return session.Config{}, fmt.Errorf("%w: %s refuses writes: %s", forward.ErrNotPrimary, n.cfg.NodeID, hint)
	}
	return n.sessCfg, nil
}
