package node

import (
	"context"
	"net/http"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/httpapi"
	"github.com/heliosdb/nano/sql/result"
)

// httpBackend adapts the node to httpapi.Backend.
type httpBackend struct{ n *Node }

// Health is "ok" (200) while the node can commit (a standby: store what it
// receives); when writes fail (disk full, I/O error) it is 503 with status
// "unavailable" and the reason.
func (h httpBackend) Health() httpapi.Health {
	hl := httpapi.Health{Status: "ok", Role: h.n.role(), Term: h.n.term(), LSN: h.n.CurrentLSN().String(),
		NodeID: h.n.cfg.NodeID, Serving: true}
	reason := h.n.committer.health()
	if reason == "" && hl.Role == RoleStandby && h.n.standby != nil {
		if st := h.n.standby.Status(); st.DiskFull != "" {
			reason = "disk full: the standby cannot store what the primary sends: " + st.DiskFull
		}
	}
	if reason != "" {
		hl.Status, hl.Reason, hl.Serving = "unavailable", reason, false
	}
	return hl
}

func (h httpBackend) Query(ctx context.Context, user, sql string, params []any) (*result.Buffer, error) {
	return h.n.query(ctx, user, sql, params)
}

// Status is the GET /status document.
type Status struct {
	NodeID          string       `json:"node_id"`
	Role            hastate.Role `json:"role"`
	Term            uint64       `json:"term"`
	ReplicationMode string       `json:"replication_mode"`
	CurrentLSN      string       `json:"current_lsn"`
	AppliedLSN      string       `json:"applied_lsn"`
	StartedAt       time.Time    `json:"started_at"`
	Version         string       `json:"version"`
	PGAddr          string       `json:"pg_addr"`
	NativeAddr      string       `json:"native_addr"`

	Replication ReplicationStatus `json:"replication"`
	Standbys    []StandbyNode     `json:"standbys"`
	Topology    []TopologyNode    `json:"topology"`
}

func (h httpBackend) Status(context.Context) any {
	n := h.n
	standbys := n.standbyNodes()
	if standbys == nil {
		standbys = []StandbyNode{}
	}
	return Status{NodeID: n.cfg.NodeID, Role: n.role(), Term: n.term(), ReplicationMode: n.cfg.ReplicationMode,
		CurrentLSN: n.CurrentLSN().String(), AppliedLSN: n.db.AppliedLSN().String(), StartedAt: n.startedAt,
		Version: Version, PGAddr: n.pgLn.Addr().String(), NativeAddr: n.nativeLn.Addr().String(),
		Replication: n.replicationStatus(), Standbys: standbys, Topology: n.topology()}
}

func (h httpBackend) Promote(ctx context.Context, req httpapi.PromoteRequest) (any, error) {
	return h.n.PromoteWith(ctx, PromoteOptions{SyncDegraded: req.SyncDegraded, MinTerm: req.MinTerm})
}

func (h httpBackend) Demote(ctx context.Context, host string, port int) error {
	return h.n.Demote(ctx, host, port)
}

func (h httpBackend) GrantLease(ctx context.Context, req httpapi.LeaseRequest) (any, error) {
	lr := LeaseRequest{Term: req.Term, Duration: req.DurationMS, Holder: req.Holder, DegradedSeq: req.DegradedSeq}
	if req.ExpiresUnixMS > 0 {
		lr.NotAfter = time.UnixMilli(req.ExpiresUnixMS)
	}
	return h.n.GrantLease(ctx, lr)
}

// HTTP server limits: a client may take ReadHeaderTimeout to send its
// headers and httpReadTimeout for the whole request (the /query body is
// also bounded in size by httpapi); idle keep-alive connections are closed
// after httpIdleTimeout. There is no write timeout: a long query's answer
// is bounded by the statement, not by the transport.
const (
	httpReadHeaderTimeout = 10 * time.Second
	httpReadTimeout       = 60 * time.Second
	httpIdleTimeout       = 120 * time.Second
	httpMaxHeaderBytes    = 64 << 10
)

func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: httpReadHeaderTimeout, ReadTimeout: httpReadTimeout,
		IdleTimeout: httpIdleTimeout, MaxHeaderBytes: httpMaxHeaderBytes}
}
