package replication

import (
	"fmt"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/proto/replicationpb"
)

// TermStart is one entry of a term history: Term began at Start.
type TermStart struct {
	Term  uint64  `json:"term"`
	Start lsn.LSN `json:"start_lsn"`
}

// History is a node's term history, oldest first. Like PostgreSQL's
// timeline history it says which primary wrote each range of the WAL: term
// h[i].Term wrote [h[i].Start, h[i+1].Start).
type History []TermStart

// Term is the newest term (0 for an empty history).
func (h History) Term() uint64 {
	if len(h) == 0 {
		return 0
	}
	return h[len(h)-1].Term
}

// startOf returns where term t began in h.
func (h History) startOf(t uint64) (lsn.LSN, bool) {
	for _, e := range h {
		if e.Term == t {
			return e.Start, true
		}
	}
	return 0, false
}

// endOf returns where term t ended in h (the next term's start), or false
// when t is h's newest term.
func (h History) endOf(t uint64) (lsn.LSN, bool) {
	for i, e := range h {
		if e.Term == t && i+1 < len(h) {
			return h[i+1].Start, true
		}
	}
	return 0, false
}

// Validate checks that terms and start LSNs increase.
func (h History) Validate() error {
	for i := 1; i < len(h); i++ {
		if h[i].Term <= h[i-1].Term || h[i].Start < h[i-1].Start {
			return fmt.Errorf("replication: bad term history: %v after %v", h[i], h[i-1])
		}
	}
	return nil
}

// divergence reports why a standby with history sh, flushed up to
// flushed, cannot continue streaming from a primary with history ph, or ""
// when it can. The standby's WAL is a prefix of the primary's when the
// standby's newest term is in the primary's history with the same start
// and the standby did not write past the point where the primary's history
// moved to a later term.
func divergence(ph, sh History, flushed lsn.LSN) string {
	st := sh.Term()
	if st == 0 {
		return ""
	}
	if st > ph.Term() {
		return fmt.Sprintf("standby has term %d, newer than this primary's term %d", st, ph.Term())
	}
	start, ok := ph.startOf(st)
	sstart, _ := sh.startOf(st)
	if !ok || start != sstart {
		return fmt.Sprintf("term %d is not in this primary's history the same way (standby: started at %s)", st, sstart)
	}
	if end, ok := ph.endOf(st); ok && flushed > end {
		return fmt.Sprintf("diverged at %s: the standby wrote term %d up to %s, past the start of term %d", end, st, flushed, nextTerm(ph, st))
	}
	return ""
}

func nextTerm(h History, t uint64) uint64 {
	for i, e := range h {
		if e.Term == t && i+1 < len(h) {
			return h[i+1].Term
		}
	}
	return 0
}

func historyToPB(h History) []*replicationpb.TermStart {
	out := make([]*replicationpb.TermStart, len(h))
	for i, e := range h {
		out[i] = &replicationpb.TermStart{Term: e.Term, StartLsn: uint64(e.Start)}
	}
	return out
}

func historyFromPB(p []*replicationpb.TermStart) History {
	out := make(History, len(p))
	for i, e := range p {
		out[i] = TermStart{Term: e.GetTerm(), Start: lsn.LSN(e.GetStartLsn())}
	}
	return out
}
