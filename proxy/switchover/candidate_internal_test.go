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
		want      string // "" = none
		otherSync bool
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
		// A standby that missed a promotion would take a term another
		// node holds: two primaries of one term (faults set-async, seed
		// 1796680674326778792, "n1 primary/59, n2 primary/59").
		{name: "data loss allowed: not a standby behind the primary's term", last: listed(hastate.Async), allowLoss: true,
			standbys: map[string]Status{"b": sb("nb", "async", 2, 99), "c": sb("nc", "async", 3, 10)}, want: "c"},
		{name: "data loss allowed: only standbys behind the primary's term", last: listed(hastate.Async), allowLoss: true,
			standbys: map[string]Status{"b": sb("nb", "async", 2, 99)}, why: "behind term 3"},
		{name: "data loss allowed, no lease answer: not behind another standby's term", allowLoss: true,
			standbys: map[string]Status{"b": sb("nb", "async", 4, 10), "c": sb("nc", "async", 5, 5)}, want: "c"},
		{name: "a listed sync standby behind the term", last: listed(hastate.Sync, syncSB("nb")),
			standbys: map[string]Status{"b": sb("nb", "sync", 2, 10)}, why: "behind term 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A pure function: the same answer every time (map order must not matter).
			for range 20 {
				name, st, other, why := chooseCandidate("p", tc.last, tc.allowLoss, tc.standbys)
				if name != tc.want || other != tc.otherSync {
					t.Fatalf("got %q (other sync %t, why %q), want %q (other sync %t)", name, other, why, tc.want, tc.otherSync)
				}
				if tc.want != "" && (why != "" || st.NodeID != tc.standbys[tc.want].NodeID) {
					t.Fatalf("candidate %q with status of %q, why %q", name, st.NodeID, why)
				}
				if tc.want == "" && !strings.Contains(why, tc.why) {
					t.Fatalf("why = %q, want it to contain %q", why, tc.why)
				}
			}
		})
	}
}
