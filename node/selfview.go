package node

import (
	"net"
	"strconv"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/types"
)

// SelfDescription is helios_node: one row in which the node describes
// itself, with the addresses it advertises (--advertise-host and the ports
// it listens on). heliosdb-proxy's health probe reads it to learn each
// node's identity and its HTTP and native (replication) addresses over
// the PostgreSQL connection it already has.
type SelfDescription struct {
	NodeID        string
	ClusterID     string
	Role          string
	Term          uint64
	PGAddress     string
	NativeAddress string
	HTTPAddress   *string // nil when the HTTP API is off (--http-port 0)
	CurrentLSN    lsn.LSN
	AppliedLSN    lsn.LSN
	LagBytes      int64
}

func (n *Node) selfDescription() SelfDescription {
	rs := n.replicationStatus()
	d := SelfDescription{NodeID: n.cfg.NodeID, ClusterID: n.identity().clusterID, Role: rs.Role, Term: rs.Term,
		PGAddress: n.advertisedPG(), NativeAddress: n.advertisedNative(), CurrentLSN: rs.CurrentLSN,
		AppliedLSN: rs.AppliedLSN, LagBytes: rs.LagBytes}
	if a := n.HTTPAddr(); a != nil {
		h := net.JoinHostPort(n.cfg.AdvertiseHost, strconv.Itoa(portOf(a, n.cfg.HTTPPort)))
		d.HTTPAddress = &h
	}
	return d
}

func (n *Node) selfView() virtualTable {
	return virtualTable{
		cols: cols("node_id", types.Text, "cluster_id", types.Text, "role", types.Text, "term", types.Int8,
			"pg_address", types.Text, "native_address", types.Text, "http_address", types.Text,
			"current_lsn", types.PgLSN, "applied_lsn", types.PgLSN, "replication_lag_bytes", types.Int8),
		rows: func() [][]types.Datum {
			d := n.selfDescription()
			return [][]types.Datum{{d.NodeID, d.ClusterID, d.Role, int64(d.Term), d.PGAddress, d.NativeAddress,
				strPtr(d.HTTPAddress), lsnDatum(d.CurrentLSN), lsnDatum(d.AppliedLSN), d.LagBytes}}
		},
	}
}
