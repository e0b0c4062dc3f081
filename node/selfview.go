package node

import (
	"context"
	"net"
	"strconv"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/pgerror"
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
	Role          hastate.Role
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
	d := SelfDescription{NodeID: n.cfg.NodeID, ClusterID: n.state().ClusterID, Role: rs.Role, Term: rs.Term,
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
		rows: func(context.Context) [][]types.Datum {
			d := n.selfDescription()
			return [][]types.Datum{{d.NodeID, d.ClusterID, string(d.Role), int64(d.Term), d.PGAddress, d.NativeAddress,
				strPtr(d.HTTPAddress), lsnDatum(d.CurrentLSN), lsnDatum(d.AppliedLSN), d.LagBytes}}
		},
	}
}

// maxLSNWait bounds helios_wait_for_applied_lsn's timeout.
const maxLSNWait = time.Minute

// waitAppliedFunc is helios_wait_for_applied_lsn(lsn, timeout_ms): it
// returns this node's applied LSN as soon as it is at least lsn, or when
// timeout_ms (at most a minute) has passed, whichever comes first; the
// statement can be cancelled. heliosdb-proxy's causal reads ask standbys
// with it how far they have applied (a wait that wakes when storage
// applies, not a poll).
func (n *Node) waitAppliedFunc() exec.Function {
	return exec.Function{Result: types.PgLSN, Fn: func(ctx context.Context, args []types.Datum) (types.Datum, error) {
		if len(args) != 2 {
			return nil, pgerror.New(pgerror.UndefinedFunction, "function helios_wait_for_applied_lsn takes (lsn, timeout_ms)")
		}
		target, err := lsnArg(args[0])
		if err != nil {
			return nil, err
		}
		ms, ok := args[1].(int64)
		if !ok || ms < 0 {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "helios_wait_for_applied_lsn: timeout_ms must be a non-negative integer")
		}
		wctx, cancel := context.WithTimeout(ctx, min(time.Duration(ms)*time.Millisecond, maxLSNWait))
		defer cancel()
		if err := n.db.WaitApplied(wctx, target); err != nil && ctx.Err() != nil {
			return nil, pgerror.New(pgerror.QueryCanceled, "canceling statement due to user request")
		}
		return lsnDatum(n.db.AppliedLSN()), nil
	}}
}

func lsnArg(d types.Datum) (lsn.LSN, error) {
	switch v := d.(type) {
	case int64:
		return lsn.LSN(v), nil
	case string:
		at, err := lsn.Parse(v)
		if err != nil {
			return 0, pgerror.Newf(pgerror.InvalidTextRepresentation, "invalid input syntax for type pg_lsn: %q", v)
		}
		return at, nil
	}
	return 0, pgerror.New(pgerror.InvalidParameterValue, "helios_wait_for_applied_lsn: lsn must be a pg_lsn or its text")
}
