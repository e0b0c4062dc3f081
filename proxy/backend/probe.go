package backend

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/lsn"
)

// ProbeQuery is what a health probe asks every node: helios_node, the
// row in which a node describes itself.
const ProbeQuery = "SELECT role, term, applied_lsn, replication_lag_bytes, node_id, http_address, native_address FROM helios_node"

// Status is a node's answer to a probe.
type Status struct {
	Role     hastate.Role // as the node reports it (not checked)
	Term     uint64
	LSN      lsn.LSN // applied LSN
	LagBytes int64   // the node's own replication_lag_bytes (0 on a primary)
	// NodeID, HTTPAddr and NativeAddr are what the node advertises
	// (host:port; HTTPAddr "" when its HTTP API is off).
	NodeID     string
	HTTPAddr   string
	NativeAddr string
	Params     map[string]string
	Latency    time.Duration // dial + login + query
}

// Probe logs in to the node with o, runs ProbeQuery and disconnects.
func (d *Dialer) Probe(ctx context.Context, o Options) (Status, error) {
	start := time.Now()
	c, err := d.Dial(ctx, o)
	if err != nil {
		return Status{}, err
	}
	defer c.Close()
	rows, err := c.SimpleQuery(ctx, ProbeQuery)
	if err != nil {
		return Status{}, err
	}
	st, err := parseStatus(rows)
	st.Params, st.Latency = c.Params, time.Since(start)
	return st, err
}

func parseStatus(rows [][]string) (Status, error) {
	if len(rows) != 1 || len(rows[0]) != 7 {
		return Status{}, fmt.Errorf("%w: helios_node returned %d rows", ErrProtocol, len(rows))
	}
	r := rows[0]
	term, err := strconv.ParseUint(r[1], 10, 64)
	if err != nil {
		return Status{}, fmt.Errorf("%w: term %q", ErrProtocol, r[1])
	}
	at, err := lsn.Parse(r[2])
	if err != nil {
		return Status{}, fmt.Errorf("%w: applied_lsn %q", ErrProtocol, r[2])
	}
	var lag int64
	if r[3] != "" {
		if lag, err = strconv.ParseInt(r[3], 10, 64); err != nil {
			return Status{}, fmt.Errorf("%w: replication_lag_bytes %q", ErrProtocol, r[3])
		}
	}
	return Status{Role: hastate.Role(r[0]), Term: term, LSN: at, LagBytes: lag, NodeID: r[4], HTTPAddr: r[5], NativeAddr: r[6]}, nil
}
