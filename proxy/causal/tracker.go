package causal

import (
	"sync/atomic"

	"github.com/heliosdb/nano/lsn"
)

// Tracker holds the highest commit LSN seen from any primary connection.
type Tracker struct {
	acked atomic.Uint64
}

// Observe records a commit's end LSN (lower values are ignored).
func (t *Tracker) Observe(at lsn.LSN) {
	for {
		cur := t.acked.Load()
		if uint64(at) <= cur || t.acked.CompareAndSwap(cur, uint64(at)) {
			return
		}
	}
}

// Acked is the highest commit LSN observed.
func (t *Tracker) Acked() lsn.LSN { return lsn.LSN(t.acked.Load()) }

// Parameter names shared with the nodes (sql/session).
const (
	// ReportParam, a startup parameter, asks a node to report commit LSNs.
	ReportParam = "helios.report_commit_lsn"
	// CommitParam is the ParameterStatus that carries one.
	CommitParam = "helios.commit_lsn"
)
