package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/internal/httpauth"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// Health is what GET /health reports.
type Health struct {
	Status  string       `json:"status"`           // "ok" when serving, else "unavailable"
	Reason  string       `json:"reason,omitempty"` // what is wrong when not serving
	Role    hastate.Role `json:"role"`
	Term    uint64       `json:"term"`
	LSN     string       `json:"lsn"`
	NodeID  string       `json:"node_id"`
	Serving bool         `json:"-"`
}

// Backend is what the API needs from a node.
type Backend interface {
	Health() Health
	// Query runs sql as user (the authenticated caller; "" when it was
	// authenticated by the admin token or not at all: the node's
	// configured user).
	Query(ctx context.Context, user, sql string, params []any) (*result.Buffer, error)
	Status(ctx context.Context) any
	// Promote makes the node primary; the result is reported as JSON.
	Promote(ctx context.Context, req PromoteRequest) (any, error)
	// Demote makes the node a standby of the primary at host:port (its
	// native port).
	Demote(ctx context.Context, host string, port int) error
	// GrantLease extends a primary's failover lease (heliosdb-proxy's
	// automatic failover); the result is reported as JSON.
	GrantLease(ctx context.Context, req LeaseRequest) (any, error)
}

// PromoteRequest is the optional body of POST /admin/promote.
type PromoteRequest struct {
	// SyncDegraded starts the new primary degraded to async when it is in
	// sync mode and no sync standby is connected (automatic failover: the
	// sync standby was the one promoted), instead of making the first
	// commits wait sync-timeout for a standby that is not coming.
	SyncDegraded bool `json:"sync_degraded"`
	// MinTerm: the new term is max(the node's term + 1, MinTerm), so that
	// a promoter that has seen a term the node has not never makes two
	// primaries of one term (heliosdb-proxy sends every term it has seen
	// + 1). 0 or absent: the node's term + 1.
	MinTerm uint64 `json:"min_term,omitempty"`
}

// LeaseRequest is the body of POST /admin/lease.
type LeaseRequest struct {
	Term        uint64 `json:"term"`
	DurationMS  int64  `json:"duration_ms"`
	Holder      string `json:"holder"`
	DegradedSeq uint64 `json:"degraded_seq"`
	// ExpiresUnixMS, when set, is when the grant expires by the holder's
	// clock (its send time plus duration_ms, Unix milliseconds): the lease
	// ends then at the latest, and a grant read after it is refused (a
	// primary waking from a pause must not take a grant its holder gave
	// up on).
	ExpiresUnixMS int64 `json:"expires_unix_ms,omitempty"`
}

// maxBody bounds a /query request.
const maxBody = 16 << 20

// Options configures the handler.
type Options struct {
	// Gatherer serves GET /metrics; nil = no /metrics.
	Gatherer prometheus.Gatherer
	// Auth guards every endpoint but GET /health (and GET /metrics unless
	// ProtectMetrics); its zero value refuses every guarded request.
	Auth httpauth.Config
	// ProtectMetrics puts GET /metrics behind Auth too.
	ProtectMetrics bool
	Logger         *slog.Logger // nil = discard
}

// NewHandler returns the API's handler.
func NewHandler(b Backend, o Options) http.Handler {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Auth.Logger == nil {
		o.Auth.Logger = log
	}
	auth := httpauth.New(o.Auth)
	h := &handler{b: b, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", h.health)
	mux.HandleFunc("GET /healthz", h.health)
	mux.Handle("POST /query", auth.RequireFunc(h.query))
	mux.Handle("GET /status", auth.RequireFunc(h.status))
	mux.Handle("POST /admin/promote", auth.RequireFunc(h.promote))
	mux.Handle("POST /admin/demote", auth.RequireFunc(h.demote))
	mux.Handle("POST /admin/lease", auth.RequireFunc(h.lease))
	// Go's profiler (make profile), behind the same credentials.
	mux.Handle("GET /debug/pprof/", auth.RequireFunc(pprof.Index))
	mux.Handle("GET /debug/pprof/profile", auth.RequireFunc(pprof.Profile))
	if o.Gatherer != nil {
		var m http.Handler = promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{})
		if o.ProtectMetrics {
			m = auth.Require(m)
		}
		mux.Handle("GET /metrics", m)
	}
	return mux
}

type handler struct {
	b   Backend
	log *slog.Logger
}

func (h *handler) health(w http.ResponseWriter, r *http.Request) {
	hl := h.b.Health()
	code := http.StatusOK
	if !hl.Serving {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, hl)
}

func (h *handler) status(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, h.b.Status(r.Context()))
}

func (h *handler) promote(w http.ResponseWriter, r *http.Request) {
	var req PromoteRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		writeJSON(w, http.StatusBadRequest, map[string]errorBody{"error": {Message: `body must be empty or {"sync_degraded": true|false, "min_term": N}`}})
		return
	}
	httpauth.LogAction(h.log, r, "promote", "sync_degraded", req.SyncDegraded, "min_term", req.MinTerm)
	res, err := h.b.Promote(r.Context(), req)
	if err != nil {
		writeJSON(w, http.StatusConflict, map[string]errorBody{"error": {Message: err.Error()}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "result": res})
}

type demoteRequest struct {
	PrimaryHost string `json:"primary_host"`
	PrimaryPort int    `json:"primary_port"`
}

func (h *handler) demote(w http.ResponseWriter, r *http.Request) {
	var req demoteRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil || req.PrimaryHost == "" || req.PrimaryPort <= 0 {
		writeJSON(w, http.StatusBadRequest, map[string]errorBody{"error": {
			Message: `body must be {"primary_host": "...", "primary_port": <native port>}`}})
		return
	}
	httpauth.LogAction(h.log, r, "demote", "primary_host", req.PrimaryHost, "primary_port", req.PrimaryPort)
	if err := h.b.Demote(r.Context(), req.PrimaryHost, req.PrimaryPort); err != nil {
		writeJSON(w, http.StatusConflict, map[string]errorBody{"error": {Message: err.Error()}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "role": "standby", "primary_host": req.PrimaryHost, "primary_port": req.PrimaryPort})
}

func (h *handler) lease(w http.ResponseWriter, r *http.Request) {
	var req LeaseRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil || req.Term == 0 || req.DurationMS <= 0 {
		writeJSON(w, http.StatusBadRequest, map[string]errorBody{"error": {
			Message: `body must be {"term": <primary's term>, "duration_ms": <lease>, "holder": "...", "degraded_seq": <last seen>}`}})
		return
	}
	httpauth.LogActionAt(h.log, slog.LevelDebug, r, "lease", "term", req.Term, "duration_ms", req.DurationMS, "holder", req.Holder)
	res, err := h.b.GrantLease(r.Context(), req)
	if err != nil {
		writeJSON(w, http.StatusConflict, map[string]errorBody{"error": {Message: err.Error()}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "lease": res})
}

type queryRequest struct {
	SQL    string `json:"sql"`
	Params []any  `json:"params"`
}

type queryResponse struct {
	Columns []string `json:"columns"`
	Types   []string `json:"types"`
	Rows    [][]any  `json:"rows"`
	Command string   `json:"command"`
}

type errorBody struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Detail   string `json:"detail,omitempty"`
	Hint     string `json:"hint,omitempty"`
	Position int32  `json:"position,omitempty"`
}

func (h *handler) query(w http.ResponseWriter, r *http.Request) {
	var req queryRequest
	// Read the body to its end (only then does net/http watch the
	// connection and cancel r.Context() — and with it the statement — when
	// the client disconnects), and check it is UTF-8 before encoding/json
	// turns invalid bytes into U+FFFD silently: refuse it as PostgreSQL
	// refuses it on its port. NULs written as \u0000 are refused by the
	// session (query text and parameters).
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, pgerror.Newf(pgerror.InvalidParameterValue, "invalid request body: %v", err))
		return
	}
	if err := types.VerifyEncoding(body); err != nil {
		writeError(w, err)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		writeError(w, pgerror.Newf(pgerror.InvalidParameterValue, "invalid JSON request body: %v", err))
		return
	}
	if strings.TrimSpace(req.SQL) == "" {
		writeError(w, pgerror.New(pgerror.InvalidParameterValue, `request needs a non-empty "sql"`))
		return
	}
	caller, _ := httpauth.CallerFrom(r.Context())
	user := ""
	if caller.Method == httpauth.MethodBasic {
		user = caller.User
	}
	buf, err := h.b.Query(r.Context(), user, req.SQL, req.Params)
	if err != nil {
		if errors.Is(err, result.ErrEmptyQuery) {
			writeJSON(w, http.StatusOK, queryResponse{Columns: []string{}, Rows: [][]any{}})
			return
		}
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, render(buf))
}

func render(buf *result.Buffer) queryResponse {
	resp := queryResponse{Columns: []string{}, Types: []string{}, Rows: make([][]any, 0, len(buf.Rows)), Command: buf.Tag}
	for _, c := range buf.Columns {
		resp.Columns = append(resp.Columns, c.Name)
		resp.Types = append(resp.Types, c.Type.String())
	}
	for _, row := range buf.Rows {
		out := make([]any, len(row))
		for i, d := range row {
			out[i] = jsonValue(d, buf.Columns[i].Type)
		}
		resp.Rows = append(resp.Rows, out)
	}
	return resp
}

func jsonValue(d types.Datum, t types.T) any {
	switch v := d.(type) {
	case nil:
		return nil
	case bool:
		return v
	case int64:
		return v
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return types.FormatText(v, t)
		}
		return v
	}
	return types.FormatText(d, t)
}

// statusFor maps SQLSTATE classes to HTTP statuses.
func statusFor(code pgerror.Code) int {
	switch code.Class() {
	case "42", "22", "0A", "26", "34":
		return http.StatusBadRequest
	case "23", "40", "25":
		return http.StatusConflict
	case "28":
		return http.StatusUnauthorized
	case "57", "08":
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func writeError(w http.ResponseWriter, err error) {
	pe := pgerror.Flatten(err)
	writeJSON(w, statusFor(pe.Code), map[string]errorBody{"error": {
		Code: string(pe.Code), Message: pe.Message, Detail: pe.Detail, Hint: pe.Hint, Position: pe.Position,
	}})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.Encode(v)
}
