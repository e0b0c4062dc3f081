package backend

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/heliosdb/nano/lsn"
)

// ProbeQuery is what a health probe asks every node.
const ProbeQuery = "SELECT role, term, applied_lsn, replication_lag_bytes FROM helios_replication_status"

// Status is a node's answer to a probe.
type Status struct {
	Role     string // "primary" or "standby" as the node reports it
	Term     uint64
	LSN      lsn.LSN // applied LSN
	LagBytes int64   // the node's own replication_lag_bytes (0 on a primary)
	Params   map[string]string
	Latency  time.Duration // dial + login + query
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
	if len(rows) != 1 || len(rows[0]) != 4 {
		return Status{}, fmt.Errorf("%w: helios_replication_status returned %d rows", ErrProtocol, len(rows))
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
	return Status{Role: r[0], Term: term, LSN: at, LagBytes: lag}, nil
}
