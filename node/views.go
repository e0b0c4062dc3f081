package node

import (
	"context"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// ReplicationStatus is helios_replication_status: one row about this node
// (DESIGN.md section 2). It is also part of GET /status.
type ReplicationStatus struct {
	NodeID          string            `json:"node_id"`
	Role            hastate.Role      `json:"role"`
	Term            uint64            `json:"term"`
	ReplicationMode string            `json:"replication_mode"`
	SyncState       hastate.SyncState `json:"sync_state"`
	CurrentLSN      lsn.LSN           `json:"current_lsn"`
	ReceivedLSN     lsn.LSN           `json:"received_lsn"`
	FlushedLSN      lsn.LSN           `json:"flushed_lsn"`
	AppliedLSN      lsn.LSN           `json:"applied_lsn"`
	LagBytes        int64             `json:"replication_lag_bytes"`
	LagMS           int64             `json:"replication_lag_ms"`
	PrimaryHost     *string           `json:"primary_host"`
	PrimaryPort     *int              `json:"primary_port"`
	Connected       bool              `json:"connected"`
	StandbyCount    int               `json:"standby_count"`
	StartedAt       time.Time         `json:"started_at"`
	LastError       string            `json:"last_error,omitempty"`
}

// StandbyNode is one row of helios_standby_nodes.
type StandbyNode struct {
	NodeID          string               `json:"node_id"`
	Address         string               `json:"address"`
	ReplicationMode string               `json:"replication_mode"`
	State           hastate.StandbyState `json:"state"`
	SentLSN         lsn.LSN              `json:"sent_lsn"`
	FlushedLSN      lsn.LSN              `json:"flushed_lsn"`
	AppliedLSN      lsn.LSN              `json:"applied_lsn"`
	LagBytes        int64                `json:"replication_lag_bytes"`
	LagMS           int64                `json:"replication_lag_ms"`
	ConnectedAt     *time.Time           `json:"connected_at"`
	LastAckAt       *time.Time           `json:"last_ack_at"`
}

// TopologyNode is one row of SHOW TOPOLOGY / helios_topology.
type TopologyNode struct {
	NodeID        string       `json:"node_id"`
	Role          hastate.Role `json:"role"`
	Address       *string      `json:"address"`
	NativeAddress *string      `json:"native_address"`
	Healthy       bool         `json:"healthy"`
	State         string       `json:"state"`
	Term          uint64       `json:"term"`
	LSN           lsn.LSN      `json:"lsn"`
	LagBytes      int64        `json:"replication_lag_bytes"`
	LagMS         int64        `json:"replication_lag_ms"`
}

func (n *Node) replicationStatus() ReplicationStatus {
	cur := n.state()
	role := cur.Role
	flushed := n.wal.FlushedLSN()
	st := ReplicationStatus{NodeID: n.cfg.NodeID, Role: role, Term: cur.Term(), ReplicationMode: n.cfg.ReplicationMode,
		CurrentLSN: flushed, ReceivedLSN: flushed, FlushedLSN: flushed, AppliedLSN: n.db.AppliedLSN(), StartedAt: n.startedAt}
	if role == RolePrimary {
		st.SyncState, st.Connected = n.repl.SyncState(), true
		for _, s := range n.repl.Standbys() {
			if s.State != hastate.Disconnected {
				st.StandbyCount++
			}
		}
		return st
	}
	st.SyncState = hastate.SyncState(n.cfg.ReplicationMode)
	host, port := cur.PrimaryHost, cur.PrimaryPort
	st.PrimaryHost, st.PrimaryPort = &host, &port
	s := n.standby.Status()
	st.ReceivedLSN, st.LagBytes, st.LagMS = s.ReceivedLSN, s.LagBytes, s.Lag.Milliseconds()
	st.Connected, st.LastError = s.Connected, s.LastError
	return st
}

func (n *Node) standbyNodes() []StandbyNode {
	if n.role() != RolePrimary {
		return nil
	}
	var out []StandbyNode
	for _, s := range n.repl.Standbys() {
		row := StandbyNode{NodeID: s.NodeID, Address: s.Address, ReplicationMode: modeName(s.Sync), State: s.State,
			SentLSN: s.SentLSN, FlushedLSN: s.FlushedLSN, AppliedLSN: s.AppliedLSN, LagBytes: s.LagBytes, LagMS: s.Lag.Milliseconds()}
		if !s.ConnectedAt.IsZero() {
			row.ConnectedAt, row.LastAckAt = &s.ConnectedAt, &s.LastAckAt
		}
		out = append(out, row)
	}
	return out
}

func modeName(sync bool) string {
	if sync {
		return ModeSync
	}
	return ModeAsync
}

// virtualTable is a system view backed by a row function.
type virtualTable struct {
	cols []result.Column
	rows func(ctx context.Context) [][]types.Datum
}

func (v virtualTable) Columns() []result.Column { return v.cols }

func (v virtualTable) Rows(ctx context.Context) ([][]types.Datum, error) { return v.rows(ctx), nil }

func cols(spec ...any) []result.Column {
	out := make([]result.Column, 0, len(spec)/2)
	for i := 0; i < len(spec); i += 2 {
		out = append(out, result.Column{Name: spec[i].(string), Type: spec[i+1].(types.T)})
	}
	return out
}

func lsnDatum(l lsn.LSN) types.Datum { return int64(l) }

func strPtr(p *string) types.Datum {
	if p == nil {
		return nil
	}
	return *p
}

func timePtr(p *time.Time) types.Datum {
	if p == nil {
		return nil
	}
	return *p
}

// virtualTables are the monitoring views of DESIGN.md section 2.
func (n *Node) virtualTables() map[string]exec.VirtualTable {
	return map[string]exec.VirtualTable{
		"helios_node": n.selfView(),
		"helios_replication_status": virtualTable{
			cols: cols("node_id", types.Text, "role", types.Text, "term", types.Int8, "replication_mode", types.Text,
				"sync_state", types.Text, "current_lsn", types.PgLSN, "received_lsn", types.PgLSN, "flushed_lsn", types.PgLSN,
				"applied_lsn", types.PgLSN, "replication_lag_bytes", types.Int8, "replication_lag_ms", types.Int8,
				"primary_host", types.Text, "primary_port", types.Int4, "connected", types.Bool, "standby_count", types.Int8,
				"started_at", types.Timestamptz),
			rows: func(ctx context.Context) [][]types.Datum {
				s := n.replicationStatus()
				var port types.Datum
				if s.PrimaryPort != nil {
					port = int64(*s.PrimaryPort)
				}
				return [][]types.Datum{{s.NodeID, string(s.Role), int64(s.Term), s.ReplicationMode, string(s.SyncState), lsnDatum(s.CurrentLSN),
					lsnDatum(s.ReceivedLSN), lsnDatum(s.FlushedLSN), lsnDatum(s.AppliedLSN), s.LagBytes, s.LagMS,
					strPtr(s.PrimaryHost), port, s.Connected, int64(s.StandbyCount), s.StartedAt}}
			},
		},
		"helios_standby_nodes": virtualTable{
			cols: cols("node_id", types.Text, "address", types.Text, "replication_mode", types.Text, "state", types.Text,
				"sent_lsn", types.PgLSN, "flushed_lsn", types.PgLSN, "applied_lsn", types.PgLSN,
				"replication_lag_bytes", types.Int8, "replication_lag_ms", types.Int8,
				"connected_at", types.Timestamptz, "last_ack_at", types.Timestamptz),
			rows: func(ctx context.Context) [][]types.Datum {
				var out [][]types.Datum
				for _, s := range n.standbyNodes() {
					out = append(out, []types.Datum{s.NodeID, s.Address, s.ReplicationMode, string(s.State), lsnDatum(s.SentLSN),
						lsnDatum(s.FlushedLSN), lsnDatum(s.AppliedLSN), s.LagBytes, s.LagMS, timePtr(s.ConnectedAt), timePtr(s.LastAckAt)})
				}
				return out
			},
		},
		"helios_topology": virtualTable{
			cols: cols("node_id", types.Text, "role", types.Text, "address", types.Text, "native_address", types.Text,
				"healthy", types.Bool, "state", types.Text, "term", types.Int8, "lsn", types.PgLSN,
				"replication_lag_bytes", types.Int8, "replication_lag_ms", types.Int8),
			rows: func(ctx context.Context) [][]types.Datum {
				var out [][]types.Datum
				for _, t := range n.clusterTopology(ctx) {
					out = append(out, []types.Datum{t.NodeID, string(t.Role), strPtr(t.Address), strPtr(t.NativeAddress), t.Healthy,
						t.State, int64(t.Term), lsnDatum(t.LSN), t.LagBytes, t.LagMS})
				}
				return out
			},
		},
	}
}

var errInRecovery = pgerror.New(pgerror.ObjectNotInPrereqState, "recovery is in progress").
	WithHint("WAL control functions cannot be executed during recovery.")

// functions are the node-level SQL functions (PostgreSQL's names).
func (n *Node) functions() map[string]exec.Function {
	standbyLSN := func(get func() lsn.LSN) exec.Function {
		return exec.Function{Result: types.PgLSN, Fn: func(context.Context, []types.Datum) (types.Datum, error) {
			if n.role() != RoleStandby {
				return nil, nil
			}
			return lsnDatum(get()), nil
		}}
	}
	return map[string]exec.Function{
		"pg_is_in_recovery": {Result: types.Bool, Fn: func(context.Context, []types.Datum) (types.Datum, error) {
			return n.role() == RoleStandby, nil
		}},
		"pg_current_wal_lsn": {Result: types.PgLSN, Fn: func(context.Context, []types.Datum) (types.Datum, error) {
			if n.role() == RoleStandby {
				return nil, errInRecovery
			}
			return lsnDatum(n.CurrentLSN()), nil
		}},
		"pg_last_wal_receive_lsn":     standbyLSN(n.wal.FlushedLSN),
		"pg_last_wal_replay_lsn":      standbyLSN(n.db.AppliedLSN),
		"helios_wait_for_applied_lsn": n.waitAppliedFunc(),
	}
}
