package history

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Status is an operation's outcome.
type Status uint8

const (
	// Invoked: sent, no answer yet (an operation still open when the
	// history is read counts as Unknown).
	Invoked Status = iota
	// OK: acknowledged; it took effect.
	OK
	// Fail: definitely did not take effect (the server refused it before
	// committing anything).
	Fail
	// Unknown: the answer was lost (connection error, timeout, a failure
	// during commit); it may or may not have taken effect.
	Unknown
)

func (s Status) String() string {
	switch s {
	case Invoked:
		return "invoke"
	case OK:
		return "ok"
	case Fail:
		return "fail"
	case Unknown:
		return "unknown"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Op is one operation of a history.
type Op struct {
	ID      int
	Process int
	// Call and Return are nanoseconds since the history began; an
	// operation of unknown outcome returns at math.MaxInt64.
	Call, Return int64
	Status       Status
	F            string // the workload's function ("read", "write", "cas", "add", "txn", …)
	Value        any    // the workload's input, completed with the output on OK
	Err          string
	// Node and Term name the node that acknowledged an OK operation and
	// the term it was primary of, when the workload asked it in the same
	// statement (else "" and 0; CheckTerms).
	Node string
	Term uint64
}

func (o Op) String() string {
	s := fmt.Sprintf("#%d p%d %s %s %v", o.ID, o.Process, o.Status, o.F, o.Value)
	if o.Err != "" {
		s += " (" + o.Err + ")"
	}
	return s
}

// History collects operations from concurrent clients.
type History struct {
	start time.Time
	mu    sync.Mutex
	ops   []*Op
}

// New starts an empty history.
func New() *History { return &History{start: time.Now()} }

// Start is when the history began (its operations' times count from it).
func (h *History) Start() time.Time { return h.start }

func (h *History) now() int64 { return int64(time.Since(h.start)) }

// Invoke records that process starts f with value v.
func (h *History) Invoke(process int, f string, v any) *Op {
	h.mu.Lock()
	defer h.mu.Unlock()
	op := &Op{ID: len(h.ops), Process: process, Call: h.now(), Status: Invoked, F: f, Value: v}
	h.ops = append(h.ops, op)
	return op
}

// Finish records op's outcome; v replaces its value when not nil.
func (h *History) Finish(op *Op, st Status, v any, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	op.Return, op.Status = h.now(), st
	if v != nil {
		op.Value = v
	}
	if err != nil {
		op.Err = err.Error()
	}
}

// FinishAcked is Finish for an operation whose acknowledging node and term
// the workload learned in the same statement.
func (h *History) FinishAcked(op *Op, st Status, v any, err error, node string, term uint64) {
	h.mu.Lock()
	op.Node, op.Term = node, term
	h.mu.Unlock()
	h.Finish(op, st, v, err)
}

// Ops is a copy of the history in invocation order; open and unknown
// operations return at math.MaxInt64 with status Unknown.
func (h *History) Ops() []Op {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Op, len(h.ops))
	for i, op := range h.ops {
		out[i] = *op
		if out[i].Status == Invoked {
			out[i].Status = Unknown
		}
		if out[i].Status == Unknown {
			out[i].Return = math.MaxInt64
		}
	}
	return out
}

// Counts tallies the outcomes of ops.
func Counts(ops []Op) (ok, fail, unknown int) {
	for _, op := range ops {
		switch op.Status {
		case OK:
			ok++
		case Fail:
			fail++
		default:
			unknown++
		}
	}
	return ok, fail, unknown
}

// Result is what a checker found.
type Result struct {
	Lost       int      // acknowledged effects missing at the end
	Duplicated int      // effects present more than once
	Anomalies  int      // everything else the checker forbids
	Details    []string // one line per problem (capped by the caller)
	Notes      []string // what was checked and what is not an error
}

func (r *Result) problem(format string, args ...any) {
	r.Details = append(r.Details, fmt.Sprintf(format, args...))
}

// Merge adds other's counts and lines to r.
func (r *Result) Merge(other Result) {
	r.Lost += other.Lost
	r.Duplicated += other.Duplicated
	r.Anomalies += other.Anomalies
	r.Details = append(r.Details, other.Details...)
	r.Notes = append(r.Notes, other.Notes...)
}
