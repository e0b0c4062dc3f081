package switchover

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/internal/httpauth"
	"github.com/heliosdb/nano/lsn"
)

// Status is the part of a node's GET /status document the switchover
// reads.
type Status struct {
	NodeID      string         `json:"node_id"`
	Role        hastate.Role   `json:"role"`
	Term        uint64         `json:"term"`
	CurrentLSN  lsn.LSN        `json:"current_lsn"`
	Replication Replication    `json:"replication"`
	Standbys    []Standby      `json:"standbys"` // a primary's standbys
	Topology    []TopologyNode `json:"topology"`
}

// Replication is GET /status "replication" (helios_replication_status).
type Replication struct {
	Connected       bool    `json:"connected"` // a standby streams from its primary
	ReplicationMode string  `json:"replication_mode"`
	FlushedLSN      lsn.LSN `json:"flushed_lsn"`
	AppliedLSN      lsn.LSN `json:"applied_lsn"`
	LagBytes        int64   `json:"replication_lag_bytes"`
}

// Standby is one entry of a primary's GET /status "standbys".
type Standby struct {
	NodeID          string               `json:"node_id"`
	State           hastate.StandbyState `json:"state"`
	ReplicationMode string               `json:"replication_mode"`
}

// TopologyNode is one entry of GET /status "topology".
type TopologyNode struct {
	NodeID        string `json:"node_id"`
	NativeAddress string `json:"native_address"` // "" when null
}

// standby returns the primary's entry for the standby nodeID.
func (st Status) standby(nodeID string) (Standby, bool) {
	for _, s := range st.Standbys {
		if s.NodeID == nodeID {
			return s, true
		}
	}
	return Standby{}, false
}

// nativeAddress is the replication address the node advertises for
// itself, "" when it does not say.
func (st Status) nativeAddress() string {
	for _, t := range st.Topology {
		if t.NodeID == st.NodeID {
			return t.NativeAddress
		}
	}
	return ""
}

// Promoted is the result of POST /admin/promote.
type Promoted struct {
	AlreadyPrimary bool    `json:"already_primary"`
	Term           uint64  `json:"term"`
	LSN            lsn.LSN `json:"lsn"`
	BehindBytes    int64   `json:"behind_bytes"`
}

// NodeAPI is what the switchover asks of a node, by configured name.
// Errors wrap ErrNodeAPI when the node answered with an error.
type NodeAPI interface {
	Status(ctx context.Context, node string) (Status, error)
	// Demote makes node a standby of the primary at host:port (its native
	// port); on a standby it re-points it.
	Demote(ctx context.Context, node, host string, port int) error
	// Promote makes node the primary of a new term.
	Promote(ctx context.Context, node string, req PromoteRequest) (Promoted, error)
	// Lease grants a primary its failover lease.
	Lease(ctx context.Context, node string, req LeaseRequest) (LeaseResult, error)
	// WaitApplied returns node's applied LSN as soon as it is at least at,
	// or after timeout (then the LSN it reached).
	WaitApplied(ctx context.Context, node string, at lsn.LSN, timeout time.Duration) (lsn.LSN, error)
}

// HTTPNodes is NodeAPI over the nodes' HTTP APIs. URL returns the base
// URL of a node's API ("http://host:8080") by its configured name, at the
// time of the call (the proxy learns it from the node); an error wrapping
// ErrUnknownNode for a name it does not know. Client nil means
// http.DefaultClient; each call is bounded by ctx. Every proxy→node HTTP
// request goes through call.
type HTTPNodes struct {
	URL    func(node string) (string, error)
	Client *http.Client
	// Creds log in to the nodes' APIs (the proxy's user and password).
	Creds httpauth.Credentials
}

var _ NodeAPI = (*HTTPNodes)(nil)

// Status implements NodeAPI with GET /status.
func (h *HTTPNodes) Status(ctx context.Context, node string) (Status, error) {
	var st Status
	err := h.call(ctx, node, http.MethodGet, "/status", nil, &st)
	return st, err
}

// Demote implements NodeAPI with POST /admin/demote.
func (h *HTTPNodes) Demote(ctx context.Context, node, host string, port int) error {
	body, _ := json.Marshal(map[string]any{"primary_host": host, "primary_port": port})
	return h.call(ctx, node, http.MethodPost, "/admin/demote", body, nil)
}

// PromoteRequest is the body of POST /admin/promote.
type PromoteRequest struct {
	// SyncDegraded starts the new primary degraded to async when no sync
	// standby is connected to it.
	SyncDegraded bool `json:"sync_degraded"`
	// MinTerm: the new term is max(the node's term + 1, MinTerm); the
	// coordinator sends every term it has seen + 1 (seenTerm).
	MinTerm uint64 `json:"min_term,omitempty"`
}

// Promote implements NodeAPI with POST /admin/promote.
func (h *HTTPNodes) Promote(ctx context.Context, node string, req PromoteRequest) (Promoted, error) {
	var out struct {
		Result Promoted `json:"result"`
	}
	body, _ := json.Marshal(req)
	err := h.call(ctx, node, http.MethodPost, "/admin/promote", body, &out)
	return out.Result, err
}

// Lease implements NodeAPI with POST /admin/lease.
func (h *HTTPNodes) Lease(ctx context.Context, node string, req LeaseRequest) (LeaseResult, error) {
	body, _ := json.Marshal(req)
	var out struct {
		Lease LeaseResult `json:"lease"`
	}
	err := h.call(ctx, node, http.MethodPost, "/admin/lease", body, &out)
	return out.Lease, err
}

// WaitApplied implements NodeAPI with POST /query running
// helios_wait_for_applied_lsn(at, timeout_ms), which the node answers as
// soon as its storage has applied at (a wait woken by the apply).
func (h *HTTPNodes) WaitApplied(ctx context.Context, node string, at lsn.LSN, timeout time.Duration) (lsn.LSN, error) {
	body, _ := json.Marshal(map[string]string{"sql": fmt.Sprintf("SELECT helios_wait_for_applied_lsn('%s', %d)", at, max(timeout.Milliseconds(), 1))})
	var out struct {
		Rows [][]json.RawMessage `json:"rows"`
	}
	if err := h.call(ctx, node, http.MethodPost, "/query", body, &out); err != nil {
		return 0, err
	}
	if len(out.Rows) != 1 || len(out.Rows[0]) != 1 {
		return 0, fmt.Errorf("%w: helios_wait_for_applied_lsn on %s answered %d rows", ErrNodeAPI, node, len(out.Rows))
	}
	raw := out.Rows[0][0]
	var applied lsn.LSN
	if err := json.Unmarshal(raw, &applied); err == nil { // "0/16B3748"
		return applied, nil
	}
	n, err := strconv.ParseUint(string(raw), 10, 64) // a number
	if err != nil {
		return 0, fmt.Errorf("%w: helios_wait_for_applied_lsn on %s answered %s", ErrNodeAPI, node, raw)
	}
	return lsn.LSN(n), nil
}

// call sends one request and decodes a 2xx JSON answer into out (when not
// nil). Other answers become an error carrying the node's message.
func (h *HTTPNodes) call(ctx context.Context, node, method, path string, body []byte, out any) error {
	base, err := h.URL(node)
	if err != nil {
		return fmt.Errorf("switchover: %s %s on %s: %w", method, path, node, err)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(base, "/")+path, rd)
	if err != nil {
		return fmt.Errorf("switchover: %s %s on %s: %w", method, path, node, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	h.Creds.Apply(req)
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("switchover: %s %s on %s: %w", method, path, node, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("switchover: %s %s on %s: %w", method, path, node, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%w: %s %s on %s: HTTP %d: %s", ErrNodeAPI, method, path, node, resp.StatusCode, errorText(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%w: %s %s on %s: %v", ErrNodeAPI, method, path, node, err)
		}
	}
	return nil
}

// errorText extracts the message of a node's {"error": {"message": …}}
// (or {"error": "…"}) answer, else returns the body.
func errorText(body []byte) string {
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && len(e.Error) > 0 {
		var m struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(e.Error, &m) == nil && m.Message != "" {
			return m.Message
		}
		var s string
		if json.Unmarshal(e.Error, &s) == nil && s != "" {
			return s
		}
	}
	return strings.TrimSpace(string(body))
}
