package node

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/session"
	"github.com/heliosdb/nano/sql/types"
)

// topologyTimeout bounds a standby's request for its primary's topology.
const topologyTimeout = time.Second

// topologyQuery is what a standby runs on its primary (over the
// forwarding service) to show the cluster as the primary sees it; every
// column as text, which crosses the wire as its bytes.
const topologyQuery = "SELECT node_id, role, address, native_address, healthy::text, state, term::text, lsn::text, " +
	"replication_lag_bytes::text, replication_lag_ms::text FROM helios_topology"

// clusterTopology is SHOW TOPOLOGY / helios_topology: one row per node of
// the cluster (the primary, then its standbys), the same on every node. A
// primary answers from what it knows; a standby asks its primary, and
// falls back to what it knows itself (its primary and itself) when the
// primary does not answer within topologyTimeout.
func (n *Node) clusterTopology(ctx context.Context) []TopologyNode {
	if n.role() == RolePrimary || n.forwardTarget() == "" || n.topoClient == nil {
		return n.topology()
	}
	ctx, cancel := context.WithTimeout(ctx, topologyTimeout)
	defer cancel()
	rows, err := n.primaryTopology(ctx)
	if err != nil {
		n.log.Debug("topology: the primary did not answer; showing this node's own view", "err", err)
		return n.topology()
	}
	return rows
}

// primaryTopology runs topologyQuery on the primary, in a forwarded
// transaction that is rolled back.
func (n *Node) primaryTopology(ctx context.Context) ([]TopologyNode, error) {
	t := n.topoClient.Begin(ctx, result.StartupInfo{User: n.cfg.User, Database: "heliosdb"}, nil, "")
	defer t.Close()
	var w topologyRows
	err := t.Exec(ctx, session.ForwardStatement{SQL: topologyQuery}, &w)
	if err == nil {
		err = w.err
	}
	if err == nil && len(w.rows) == 0 {
		err = fmt.Errorf("topology: the primary returned no rows")
	}
	return w.rows, err
}

// topologyRows decodes topologyQuery's rows (text columns: strings or nil).
type topologyRows struct {
	rows []TopologyNode
	err  error
}

func (w *topologyRows) SetColumns([]result.Column) error { return nil }
func (w *topologyRows) Complete(string) error            { return nil }

func (w *topologyRows) AddRow(values []types.Datum) error {
	if len(values) != 10 {
		w.err = fmt.Errorf("topology: %d columns", len(values))
		return w.err
	}
	text := func(i int) string {
		if values[i] == nil {
			return ""
		}
		return fmt.Sprint(values[i])
	}
	ptr := func(i int) *string {
		if values[i] == nil {
			return nil
		}
		s := text(i)
		return &s
	}
	t := TopologyNode{NodeID: text(0), Role: hastate.Role(text(1)), Address: ptr(2), NativeAddress: ptr(3), Healthy: text(4) == "true",
		State: text(5)}
	var err error
	if t.Term, err = strconv.ParseUint(text(6), 10, 64); err == nil {
		if t.LSN, err = lsn.Parse(text(7)); err == nil {
			if t.LagBytes, err = strconv.ParseInt(text(8), 10, 64); err == nil {
				t.LagMS, err = strconv.ParseInt(text(9), 10, 64)
			}
		}
	}
	if err != nil {
		w.err = fmt.Errorf("topology: %w", err)
		return w.err
	}
	w.rows = append(w.rows, t)
	return nil
}

// topology is what this node knows of the cluster by itself (GET /status
// "topology"; the fallback of clusterTopology). A primary lists itself and
// its standbys; a standby its primary and itself.
func (n *Node) topology() []TopologyNode {
	rs := n.replicationStatus()
	pg, native := n.advertisedPG(), n.advertisedNative()
	self := TopologyNode{NodeID: n.cfg.NodeID, Role: rs.Role, Address: &pg, NativeAddress: &native, Healthy: n.committer.err() == nil,
		State: "serving", Term: rs.Term, LSN: rs.AppliedLSN, LagBytes: rs.LagBytes, LagMS: rs.LagMS}
	if rs.Role == RolePrimary {
		self.LSN = rs.CurrentLSN
		out := []TopologyNode{self}
		for _, s := range n.repl.Standbys() {
			addr, nat := s.Address, s.NativeAddress
			row := TopologyNode{NodeID: s.NodeID, Role: RoleStandby, Address: &addr, Healthy: s.State != hastate.Disconnected,
				State: string(s.State), Term: rs.Term, LSN: s.AppliedLSN, LagBytes: s.LagBytes, LagMS: s.Lag.Milliseconds()}
			if nat != "" {
				row.NativeAddress = &nat
			}
			out = append(out, row)
		}
		return out
	}
	if !rs.Connected {
		self.State = string(hastate.Connecting)
	} else if rs.LagBytes > 0 {
		self.State = string(hastate.CatchingUp)
	} else {
		self.State = string(hastate.Streaming)
	}
	primaryNative := net.JoinHostPort(*rs.PrimaryHost, strconv.Itoa(*rs.PrimaryPort))
	primary := TopologyNode{NodeID: *rs.PrimaryHost, Role: RolePrimary, NativeAddress: &primaryNative, Healthy: rs.Connected,
		State: "serving", Term: rs.Term}
	if !rs.Connected {
		primary.State = "unreachable"
	}
	s := n.standby.Status()
	if s.PrimaryNodeID != "" {
		primary.NodeID = s.PrimaryNodeID
	}
	primary.LSN = s.PrimaryLSN
	return []TopologyNode{primary, self}
}
