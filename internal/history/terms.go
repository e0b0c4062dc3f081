package history

import (
	"fmt"
	"sort"
	"time"
)

// CheckTerms checks that no node acknowledged an operation for an older
// term after a newer term's primary was serving: an OK operation B
// acknowledged in term T is stale when some OK operation A acknowledged
// in a term above T returned before B was invoked. A's acknowledgement
// proves the newer primary was promoted before B was sent, and a primary
// is promoted only once the old one's failover lease has lapsed, so the
// old primary must have refused B (its lease check runs after B arrives).
// An old primary that acknowledges B is one whose lease is not checked:
// a split brain, whose writes a failover loses. Operations without a term
// (Term 0) are not checked.
//
// (Acknowledged after the promotion but invoked before it is not an
// anomaly: the old primary may have checked its lease before it was
// paused, and acknowledged on waking.)
func CheckTerms(ops []Op) Result {
	var r Result
	var acked []Op
	for _, op := range ops {
		if op.Status == OK && op.Term > 0 {
			acked = append(acked, op)
		}
	}
	// Prefix maxima of the term over the operations ordered by return.
	byReturn := append([]Op(nil), acked...)
	sort.Slice(byReturn, func(i, j int) bool { return byReturn[i].Return < byReturn[j].Return })
	best := make([]int, len(byReturn)) // index of the highest term returned so far
	for i := range byReturn {
		best[i] = i
		if i > 0 && byReturn[best[i-1]].Term >= byReturn[i].Term {
			best[i] = best[i-1]
		}
	}
	terms := map[uint64]bool{}
	var stale []string
	for _, b := range acked {
		terms[b.Term] = true
		// The operations that returned before b was invoked.
		n := sort.Search(len(byReturn), func(i int) bool { return byReturn[i].Return >= b.Call })
		if n == 0 {
			continue
		}
		a := byReturn[best[n-1]]
		if a.Term > b.Term {
			stale = append(stale, fmt.Sprintf("terms: %s acknowledged by %s in term %d, invoked %s after %s acknowledged #%d in term %d",
				b, b.Node, b.Term, time.Duration(b.Call-a.Return).Round(time.Millisecond), a.Node, a.ID, a.Term))
		}
	}
	r.Anomalies = len(stale)
	r.Details = append(r.Details, head(stale)...)
	if len(stale) > 10 {
		r.problem("terms: … %d more operations acknowledged in an older term", len(stale)-10)
	}
	r.Notes = append(r.Notes, fmt.Sprintf("terms: %d acknowledged operations carry their term (%d terms); %d acknowledged in an older term after a newer one served", len(acked), len(terms), len(stale)))
	return r
}
