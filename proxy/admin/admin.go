package admin

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/heliosdb/nano/internal/httpauth"
	"github.com/heliosdb/nano/proxy/health"
	"github.com/heliosdb/nano/proxy/switchover"
)

// Nodes is what the admin API needs from the health checker.
type Nodes interface {
	Statuses() []health.Status
	// Refresh probes every node now (health.Checker.Refresh).
	Refresh(ctx context.Context)
	// SetEnabled returns health.ErrUnknownNode for an unknown name.
	SetEnabled(name string, on bool) error
}

// Node is one entry of GET /nodes.
type Node struct {
	Name           string     `json:"name"`
	Address        string     `json:"address"`
	Role           string     `json:"role"`
	ConfiguredRole string     `json:"configured_role"`
	Healthy        bool       `json:"healthy"`
	Enabled        bool       `json:"enabled"`
	LastCheck      *time.Time `json:"last_check"`
	FailureCount   int        `json:"failure_count"`
	LastError      string     `json:"last_error"`
	LatencyMS      float64    `json:"latency_ms"`
	Term           uint64     `json:"term"`
	LSN            string     `json:"lsn"`
	LagBytes       int64      `json:"replication_lag_bytes"`
	NodeID         string     `json:"node_id"`        // as the node reports it ("" until it has)
	HTTPAddress    string     `json:"http_address"`   // where the proxy reaches its HTTP API
	NativeAddress  string     `json:"native_address"` // its replication address
	ConfigError    string     `json:"config_error,omitempty"`
}

// nodesRefreshTimeout bounds the probes GET /nodes runs before answering;
// a node that has not answered by then is shown as last probed.
const nodesRefreshTimeout = time.Second

// Switcher runs planned switchovers (proxy/switchover.Coordinator).
type Switcher interface {
	// Run moves the primary role to target; errors wrap the
	// proxy/switchover sentinels.
	Run(ctx context.Context, target string) (switchover.Result, error)
	// FailoverStatus reports the automatic failover's state.
	FailoverStatus() switchover.FailoverStatus
}

// Options configures the admin API's authentication.
type Options struct {
	// Auth guards every endpoint but GET /health (and the read-only
	// status endpoints GET /metrics, /nodes and /failover unless
	// ProtectMetrics); its zero value refuses every guarded request.
	Auth           httpauth.Config
	ProtectMetrics bool
}

// Handler returns the admin API. sw nil makes POST /switchover answer
// 501; log may be nil.
func Handler(nodes Nodes, sw Switcher, g prometheus.Gatherer, o Options, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Auth.Logger == nil {
		o.Auth.Logger = log
	}
	auth := httpauth.New(o.Auth)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	// The tutorial's Part 5 reads GET /nodes with a bare curl: the status
	// endpoints show roles, addresses and LSNs (no data, no secrets) and
	// change nothing, so they are open like /metrics unless ProtectMetrics.
	status := func(h http.HandlerFunc) http.Handler {
		if o.ProtectMetrics {
			return auth.RequireFunc(h)
		}
		return h
	}
	mux.Handle("GET /nodes", status(func(w http.ResponseWriter, r *http.Request) {
		// Probe first (bounded): the answer shows the nodes as they are,
		// not as of the last periodic probe (health_check_interval_secs).
		ctx, cancel := context.WithTimeout(r.Context(), nodesRefreshTimeout)
		nodes.Refresh(ctx)
		cancel()
		writeJSON(w, http.StatusOK, nodeList(nodes.Statuses()))
	}))
	var metrics http.Handler = promhttp.HandlerFor(g, promhttp.HandlerOpts{})
	if o.ProtectMetrics {
		metrics = auth.Require(metrics)
	}
	mux.Handle("GET /metrics", metrics)
	mux.Handle("POST /nodes/{name}/enable", auth.RequireFunc(setEnabled(nodes, log, true)))
	mux.Handle("POST /nodes/{name}/disable", auth.RequireFunc(setEnabled(nodes, log, false)))
	mux.Handle("POST /switchover", auth.RequireFunc(switchoverHandler(sw, log)))
	// Go's profiler, behind the same credentials as the node's (make profile).
	mux.Handle("GET /debug/pprof/", auth.RequireFunc(pprof.Index))
	mux.Handle("GET /debug/pprof/profile", auth.RequireFunc(pprof.Profile))
	mux.Handle("GET /failover", status(func(w http.ResponseWriter, _ *http.Request) {
		if sw == nil {
			writeJSON(w, http.StatusNotImplemented, map[string]string{"error": "failover is not available"})
			return
		}
		writeJSON(w, http.StatusOK, sw.FailoverStatus())
	}))
	return mux
}

// switchoverRequest is the POST /switchover body.
type switchoverRequest struct {
	Target string `json:"target"`
}

func switchoverHandler(sw Switcher, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if sw == nil {
			writeJSON(w, http.StatusNotImplemented, map[string]string{"error": "switchover is not available"})
			return
		}
		var req switchoverRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil || req.Target == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `body must be {"target": "<node name>"}`})
			return
		}
		httpauth.LogAction(log, r, "switchover requested", "target", req.Target)
		res, err := sw.Run(r.Context(), req.Target)
		if err != nil {
			writeJSON(w, switchoverStatus(err), map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, res)
	}
}

// switchoverStatus maps a switchover error to an HTTP status: 404 for an
// unknown node, 409 when nothing was changed, 500 otherwise.
func switchoverStatus(err error) int {
	switch {
	case errors.Is(err, switchover.ErrUnknownNode):
		return http.StatusNotFound
	case errors.Is(err, switchover.ErrRejected), errors.Is(err, switchover.ErrBusy):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

func setEnabled(nodes Nodes, log *slog.Logger, on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		err := nodes.SetEnabled(name, on)
		switch {
		case errors.Is(err, health.ErrUnknownNode):
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown node " + name})
			return
		case err != nil:
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		httpauth.LogAction(log, r, "node enabled changed", "node", name, "enabled", on)
		for _, st := range nodes.Statuses() {
			if st.Name == name {
				writeJSON(w, http.StatusOK, toNode(st))
				return
			}
		}
	}
}

func nodeList(sts []health.Status) []Node {
	out := make([]Node, len(sts))
	for i, st := range sts {
		out[i] = toNode(st)
	}
	return out
}

func toNode(st health.Status) Node {
	n := Node{Name: st.Name, Address: st.Address, Role: st.Role.String(), ConfiguredRole: st.ConfiguredRole,
		Healthy: st.Healthy, Enabled: st.Enabled, FailureCount: st.FailureCount, LastError: st.LastError,
		LatencyMS: float64(st.Latency.Microseconds()) / 1000, Term: st.Term, LSN: st.LSN.String(), LagBytes: st.LagBytes,
		NodeID: st.NodeID, HTTPAddress: st.HTTPAddress, NativeAddress: st.NativeAddress, ConfigError: st.Conflict}
	if !st.LastCheck.IsZero() {
		t := st.LastCheck.UTC()
		n.LastCheck = &t
	}
	return n
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
