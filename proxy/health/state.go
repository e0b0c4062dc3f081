package health

import (
	"strconv"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/proxy/backend"
	"github.com/heliosdb/nano/proxy/route"
)

// Status is the admin view of one node.
type Status struct {
	Name           string
	Address        string
	Role           route.Role // as last reported by the node
	ConfiguredRole string
	Healthy        bool
	Enabled        bool
	LastCheck      time.Time // zero before the first probe
	FailureCount   int       // consecutive failures
	LastError      string    // of the last failed probe or data-path connect; "" after a success
	Latency        time.Duration
	Term           uint64
	LSN            lsn.LSN
	LagBytes       int64
	// NodeID is the node_id the node reported; HTTPAddress and
	// NativeAddress are where its HTTP API and its replication port are
	// reached (configured overrides, else what it advertises; "" until it
	// has said). All three are kept from the last successful probe.
	NodeID        string
	HTTPAddress   string
	NativeAddress string
	// Conflict is a configuration error: another [[nodes]] entry reaches
	// the same node. "" when none.
	Conflict string
}

// change is a transition worth logging.
type change struct {
	what     string // "healthy", "unhealthy", "role", "term"
	from, to string
}

// state is one node's health state machine; it does no I/O.
type state struct {
	Status
	spec                             Spec
	advertisedHTTP, advertisedNative string            // from the last probe that said
	params                           map[string]string // ParameterStatus from the last good probe
	started                          uint64            // probes started (the last one's sequence number)
	applied                          uint64            // sequence number of the last probe applied
}

// observe applies one probe result and returns the transitions it caused.
func (s *state) observe(now time.Time, st backend.Status, err error, threshold int) []change {
	s.LastCheck = now
	if err != nil {
		return s.fail(err, threshold)
	}
	var out []change
	role := route.ParseRole(st.Role)
	if role != s.Role {
		out = append(out, change{"role", s.Role.String(), role.String()})
	}
	if st.Term != s.Term && s.Term != 0 {
		out = append(out, change{"term", u64(s.Term), u64(st.Term)})
	}
	if !s.Healthy {
		out = append(out, change{"healthy", "", ""})
	}
	s.Healthy, s.FailureCount, s.LastError = true, 0, ""
	s.Role, s.Term, s.LSN, s.LagBytes, s.Latency = role, st.Term, st.LSN, st.LagBytes, st.Latency
	if len(st.Params) > 0 {
		s.params = st.Params
	}
	s.resolve(st)
	return out
}

// fail counts a failure; the node turns unhealthy at threshold.
func (s *state) fail(err error, threshold int) []change {
	s.FailureCount++
	s.LastError = err.Error()
	if s.Healthy && s.FailureCount >= threshold {
		s.Healthy = false
		return []change{{"unhealthy", "", ""}}
	}
	return nil
}

// failNow marks the node unhealthy at once (a data-path failure).
func (s *state) failNow(err error, threshold int) []change {
	if s.FailureCount < threshold-1 {
		s.FailureCount = threshold - 1
	}
	return s.fail(err, 1)
}

func u64(v uint64) string { return strconv.FormatUint(v, 10) }
