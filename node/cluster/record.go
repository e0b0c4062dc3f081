package cluster

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/replication"
)

// Key is the node-local key of the Record.
const Key = "cluster"

// The node-local keys the Record replaces (see Migration in doc.go).
const (
	oldRoleKey      = "role"
	oldClusterIDKey = "cluster_id"
	oldHistoryKey   = "term_history"
	oldPeersKey     = "peers"
)

// OldKeys are the node-local keys of the layout before the Record; the
// node deletes them in the transaction that writes the Record.
var OldKeys = []string{oldRoleKey, oldClusterIDKey, oldHistoryKey, oldPeersKey}

// Record is the durable part of a State, as stored under Key.
type Record struct {
	Role        hastate.Role        `json:"role"`
	PrimaryHost string              `json:"primary_host,omitempty"`
	PrimaryPort int                 `json:"primary_port,omitempty"`
	Leased      bool                `json:"leased,omitempty"`
	ClusterID   string              `json:"cluster_id,omitempty"`
	History     replication.History `json:"term_history,omitempty"`
	Peers       map[string]string   `json:"peers,omitempty"`
	// FencedTerm and FencedBy: this primary learned that term exists
	// (from FencedBy) and refuses writes until it is demoted, across
	// restarts (absent in records written before fencing was durable).
	FencedTerm uint64 `json:"fenced_term,omitempty"`
	FencedBy   string `json:"fenced_by,omitempty"`
}

// Record is the durable part of s.
func (s State) Record() Record {
	return Record{Role: s.Role, PrimaryHost: s.PrimaryHost, PrimaryPort: s.PrimaryPort, Leased: s.Leased,
		ClusterID: s.ClusterID, History: s.History, Peers: s.Peers, FencedTerm: s.FencedTerm, FencedBy: s.FencedBy}
}

// Equal reports whether r and o hold the same values.
func (r Record) Equal(o Record) bool {
	if r.Role != o.Role || r.PrimaryHost != o.PrimaryHost || r.PrimaryPort != o.PrimaryPort || r.Leased != o.Leased ||
		r.ClusterID != o.ClusterID || len(r.History) != len(o.History) || !maps.Equal(r.Peers, o.Peers) ||
		r.FencedTerm != o.FencedTerm || r.FencedBy != o.FencedBy {
		return false
	}
	for i := range r.History {
		if r.History[i] != o.History[i] {
			return false
		}
	}
	return true
}

// Term is the newest term of the recorded history.
func (r Record) Term() uint64 { return r.History.Term() }

// State is the state r records (nothing volatile).
func (r Record) State() State {
	return State{Role: r.Role, PrimaryHost: r.PrimaryHost, PrimaryPort: r.PrimaryPort, Leased: r.Leased,
		ClusterID: r.ClusterID, History: r.History, Peers: r.Peers, FencedTerm: r.FencedTerm, FencedBy: r.FencedBy}
}

// Encode is the stored form of r.
func (r Record) Encode() []byte {
	raw, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("cluster: encode record: %v", err)) // plain fields: cannot fail
	}
	return raw
}

// Loaded is what Decode found in a data dir.
type Loaded struct {
	Record Record
	// RoleFound: a role is recorded (false on a new data dir: the flags'
	// role applies).
	RoleFound bool
	// Old: the values came from the old keys (OldKeys), which must be
	// replaced by the Record.
	Old bool
}

// Decode reads the Record through get (storage's GetLocal), or builds it
// from the old keys when there is none. A peer list that cannot be read is
// dropped (it only speeds up fencing at start), as before; anything else
// unreadable is an error.
func Decode(get func(key string) []byte) (Loaded, error) {
	if raw := get(Key); raw != nil {
		var r Record
		if err := json.Unmarshal(raw, &r); err != nil {
			return Loaded{}, fmt.Errorf("cluster: record %q is unreadable: %w", raw, err)
		}
		if !r.Role.Valid() {
			return Loaded{}, fmt.Errorf("cluster: record %q has no valid role", raw)
		}
		if err := r.History.Validate(); err != nil {
			return Loaded{}, err
		}
		return Loaded{Record: r, RoleFound: true}, nil
	}
	var l Loaded
	if raw := get(oldRoleKey); raw != nil {
		var rec struct {
			Role        hastate.Role `json:"role"`
			PrimaryHost string       `json:"primary_host,omitempty"`
			PrimaryPort int          `json:"primary_port,omitempty"`
			Leased      bool         `json:"leased,omitempty"`
		}
		if err := json.Unmarshal(raw, &rec); err != nil || !rec.Role.Valid() {
			return Loaded{}, fmt.Errorf("cluster: role recorded is unreadable (%q): %v", raw, err)
		}
		l.Record.Role, l.Record.PrimaryHost, l.Record.PrimaryPort, l.Record.Leased = rec.Role, rec.PrimaryHost, rec.PrimaryPort, rec.Leased
		l.RoleFound, l.Old = true, true
	}
	if raw := get(oldClusterIDKey); raw != nil {
		l.Record.ClusterID, l.Old = string(raw), true
	}
	if raw := get(oldHistoryKey); raw != nil {
		if err := json.Unmarshal(raw, &l.Record.History); err != nil {
			return Loaded{}, fmt.Errorf("cluster: term history: %w", err)
		}
		if err := l.Record.History.Validate(); err != nil {
			return Loaded{}, err
		}
		l.Old = true
	}
	if raw := get(oldPeersKey); raw != nil {
		l.Old = true
		if err := json.Unmarshal(raw, &l.Record.Peers); err != nil {
			l.Record.Peers = nil
		}
	}
	return l, nil
}

// Writes are the node-local values to store, in one transaction, to
// record r: the Record under Key, and the deletion (nil) of every old key.
func (r Record) Writes() map[string][]byte {
	w := map[string][]byte{Key: r.Encode()}
	for _, k := range OldKeys {
		w[k] = nil
	}
	return w
}
