package switchover

import (
	"strings"
	"testing"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/lsn"
)

// TestChooseCandidate covers the failover decision as a pure function of
// the primary's last lease answer and the standbys' statuses.
func TestChooseCandidate(t *testing.T) {
	sb := func(id, mode string, term uint64, flushed lsn.LSN) Status {
		return Status{NodeID: id, Role: hastate.Standby, Term: term,
			Replication: Replication{Connected: true, ReplicationMode: mode, FlushedLSN: flushed}}
	}
	listed := func(state hastate.SyncState, sbs ...Standby) *LeaseResult {
		return &LeaseResult{NodeID: "p", Term: 3, SyncState: state, Standbys: sbs}
	}
	syncSB := func(id string) Standby { return Standby{NodeID: id, State: hastate.Streaming, ReplicationMode: "sync"} }
	asyncSB := func(id string) Standby {
		return Standby{NodeID: id, State: hastate.Streaming, ReplicationMode: "async"}
	}
	for _, tc := range []struct {
		name      string
		last      *LeaseResult
		allowLoss bool
		standbys  map[string]Status
		seen      uint64 // newest term the proxy knows besides last and standbys
		want      string // "" = none
		otherSync bool
		minTerm   uint64 // when want != ""
		why       string // substring of the refusal
	}{
		{name: "no lease answer yet", standbys: map[string]Status{"b": sb("nb", "sync", 3, 10)}, why: "never answered a lease renewal"},
		{name: "no lease answer, data loss allowed", allowLoss: true, standbys: map[string]Status{"b": sb("nb", "async", 3, 10)}, want: "b"},
		{name: "degraded primary", last: listed(hastate.Degraded, syncSB("nb")), standbys: map[string]Status{"b": sb("nb", "sync", 3, 10)},
			why: "was degraded at its last lease renewal"},
		{name: "async primary", last: listed(hastate.Async, asyncSB("nb")), standbys: map[string]Status{"b": sb("nb", "async", 3, 10)},
			why: "was async at its last lease renewal"},
		{name: "async primary, data loss allowed: most WAL wins", last: listed(hastate.Async), allowLoss: true,
			standbys: map[string]Status{"b": sb("nb", "async", 3, 10), "c": sb("nc", "async", 3, 20)}, want: "c"},
		{name: "the sync standby", last: listed(hastate.Sync, syncSB("nb"), asyncSB("nc")),
			standbys: map[string]Status{"b": sb("nb", "sync", 3, 10), "c": sb("nc", "async", 3, 99)}, want: "b"},
		{name: "waiting counts as sync", last: listed(hastate.Waiting, syncSB("nb")),
			standbys: map[string]Status{"b": sb("nb", "sync", 3, 10)}, want: "b"},
		{name: "a listed sync standby does not answer", last: listed(hastate.Sync, syncSB("nb"), syncSB("nc")),
			standbys: map[string]Status{"b": sb("nb", "sync", 3, 50)}, why: "sync standby nc does not answer"},
		{name: "most flushed of two sync standbys, the other follows", last: listed(hastate.Sync, syncSB("nb"), syncSB("nc")),
			standbys: map[string]Status{"b": sb("nb", "sync", 3, 10), "c": sb("nc", "sync", 3, 20)}, want: "c", otherSync: true},
		{name: "tie goes to the smaller name", last: listed(hastate.Sync, syncSB("nc"), syncSB("nb")),
			standbys: map[string]Status{"b": sb("nb", "sync", 3, 20), "c": sb("nc", "sync", 3, 20)}, want: "b", otherSync: true},
		{name: "unlisted sync standby of the term qualifies", last: listed(hastate.Sync, syncSB("nb")),
			standbys: map[string]Status{"b": sb("nb", "sync", 3, 10), "c": sb("nc", "sync", 3, 30)}, want: "c", otherSync: true},
		{name: "unlisted sync standby of an older term does not", last: listed(hastate.Sync, syncSB("nb")),
			standbys: map[string]Status{"b": sb("nb", "sync", 3, 10), "c": sb("nc", "sync", 2, 30)}, want: "b", otherSync: true},
		{name: "only async standbys answer", last: listed(hastate.Sync, asyncSB("nb")),
			standbys: map[string]Status{"b": sb("nb", "async", 3, 10)}, why: "no reachable standby qualifies"},
		{name: "nothing answers", last: listed(hastate.Sync), standbys: map[string]Status{}, why: "no reachable standby qualifies"},
		// A standby that missed a promotion took its own term + 1, which
		// another node may hold (faults set-async, seed
		// 1796680674326778792, "n1 primary/59, n2 primary/59"); then it
		// was never promoted, and the failover waited. Now it is, above
		// every term known; a standby of a newer term still goes first.
		{name: "data loss allowed: the newer term before more WAL", last: listed(hastate.Async), allowLoss: true,
			standbys: map[string]Status{"b": sb("nb", "async", 2, 99), "c": sb("nc", "async", 3, 10)}, want: "c", minTerm: 4},
		{name: "data loss allowed: only a standby behind the primary's term, promoted above it", last: listed(hastate.Async), allowLoss: true,
			standbys: map[string]Status{"b": sb("nb", "async", 2, 99)}, want: "b", minTerm: 4},
		{name: "data loss allowed, no lease answer: above another standby's term", allowLoss: true,
			standbys: map[string]Status{"b": sb("nb", "async", 4, 10), "c": sb("nc", "async", 5, 5)}, want: "c", minTerm: 6},
		{name: "data loss allowed, no lease answer: above a term only the proxy saw", allowLoss: true, seen: 9,
			standbys: map[string]Status{"b": sb("nb", "async", 4, 10)}, want: "b", minTerm: 10},
		{name: "a listed sync standby behind the term, promoted above it", last: listed(hastate.Sync, syncSB("nb")),
			standbys: map[string]Status{"b": sb("nb", "sync", 2, 10)}, want: "b", minTerm: 4},
		{name: "the sync standby, above a newer term an async standby reports", last: listed(hastate.Sync, syncSB("nb"), asyncSB("nc")),
			standbys: map[string]Status{"b": sb("nb", "sync", 3, 10), "c": sb("nc", "async", 7, 99)}, want: "b", minTerm: 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A pure function: the same answer every time (map order must not matter).
			for range 20 {
				ch, why := chooseCandidate("p", tc.last, tc.allowLoss, tc.seen, tc.standbys)
				if ch.Name != tc.want || ch.OtherSync != tc.otherSync {
					t.Fatalf("got %q (other sync %t, why %q), want %q (other sync %t)", ch.Name, ch.OtherSync, why, tc.want, tc.otherSync)
				}
				if tc.want != "" && (why != "" || ch.Status.NodeID != tc.standbys[tc.want].NodeID) {
					t.Fatalf("candidate %q with status of %q, why %q", ch.Name, ch.Status.NodeID, why)
				}
				if tc.want != "" && tc.minTerm != 0 && ch.MinTerm != tc.minTerm {
					t.Fatalf("candidate %q with minimum term %d, want %d", ch.Name, ch.MinTerm, tc.minTerm)
				}
				if tc.want == "" && !strings.Contains(why, tc.why) {
					t.Fatalf("why = %q, want it to contain %q", why, tc.why)
				}
			}
		})
	}
}
