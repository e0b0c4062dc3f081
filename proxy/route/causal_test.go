package route_test

import (
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/proxy/route"
)

func at(n route.Node, l lsn.LSN) route.Node { n.AppliedLSN = l; return n }

// TestDecideCausal: a causal read goes only to a node that has applied
// MinLSN (the primary as well: in sync mode a standby can show a commit
// before the primary's release), waits while the wait is not over, then
// goes to the primary.
func TestDecideCausal(t *testing.T) {
	causal := route.Policy{ReadFromPrimary: true, ReadYourWrites: false, Consistency: route.ConsistencyCausal}
	noPrimaryReads := route.Policy{Consistency: route.ConsistencyCausal}
	need := func(l lsn.LSN) route.Session { return route.Session{MinLSN: l} }
	over := func(s route.Session) route.Session { s.CausalWaitOver = true; return s }
	cases := []struct {
		name   string
		policy route.Policy
		nodes  []route.Node
		sess   route.Session
		kind   route.Kind
		rr     uint64
		want   route.Decision
	}{
		{"nothing committed yet: round robin", causal, []route.Node{p1, s1, s2}, need(0), route.Read, 1,
			route.Decision{Node: "s1", Reason: "round-robin"}},
		{"pick has applied it", causal, []route.Node{p1, at(s1, 100), s2}, need(100), route.Read, 1,
			route.Decision{Node: "s1", Reason: "round-robin"}},
		{"pick is behind: the next standby that has it", causal, []route.Node{p1, at(s1, 99), at(s2, 120)}, need(100), route.Read, 1,
			route.Decision{Node: "s2", Reason: "causal-standby"}},
		{"pick is behind: wraps around", causal, []route.Node{p1, at(s1, 150), at(s2, 99)}, need(100), route.Read, 2,
			route.Decision{Node: "s1", Reason: "causal-standby"}},
		{"pick is the primary, which has it", causal, []route.Node{at(p1, 100), at(s1, 1), at(s2, 1)}, need(100), route.Read, 0,
			route.Decision{Node: "p", Reason: "round-robin"}},
		{"pick is the primary, behind what a standby showed: the standby", causal, []route.Node{at(p1, 90), at(s1, 100), at(s2, 1)}, need(100), route.Read, 0,
			route.Decision{Node: "s1", Reason: "causal-standby"}},
		{"pick is the primary, everyone behind: wait", causal, []route.Node{at(p1, 0), at(s1, 1), at(s2, 1)}, need(100), route.Read, 0,
			route.Decision{Reason: "causal-wait"}},
		{"every standby behind: wait", causal, []route.Node{p1, at(s1, 99), at(s2, 50)}, need(100), route.Read, 1,
			route.Decision{Reason: "causal-wait"}},
		{"wait over: the primary", causal, []route.Node{p1, at(s1, 99), at(s2, 50)}, over(need(100)), route.Read, 1,
			route.Decision{Node: "p", Reason: "causal-primary"}},
		{"sticky node caught up", causal, []route.Node{p1, at(s1, 100), at(s2, 100)}, route.Session{MinLSN: 100, ReadNode: "s2"}, route.Read, 1,
			route.Decision{Node: "s2", Reason: "sticky"}},
		{"sticky node behind: another standby that has it", causal, []route.Node{p1, at(s1, 100), at(s2, 99)}, route.Session{MinLSN: 100, ReadNode: "s2"}, route.Read, 1,
			route.Decision{Node: "s1", Reason: "causal-standby"}},
		{"sticky node behind, no other: wait for it", causal, []route.Node{p1, at(s1, 99), at(s2, 99)}, route.Session{MinLSN: 100, ReadNode: "s2"}, route.Read, 0,
			route.Decision{Reason: "causal-wait"}},
		{"sticky node behind after the wait: the primary, not round robin", causal, []route.Node{p1, at(s1, 99), at(s2, 99)},
			route.Session{MinLSN: 100, ReadNode: "s2", CausalWaitOver: true}, route.Read, 0, route.Decision{Node: "p", Reason: "causal-primary"}},
		{"sticky primary", causal, []route.Node{at(p1, 100), at(s1, 99)}, route.Session{MinLSN: 100, ReadNode: "p"}, route.Read, 1,
			route.Decision{Node: "p", Reason: "sticky"}},
		{"sticky primary behind: wait", causal, []route.Node{at(p1, 99), at(s1, 99)}, route.Session{MinLSN: 100, ReadNode: "p"}, route.Read, 1,
			route.Decision{Reason: "causal-wait"}},
		{"own writes need no primary", causal, []route.Node{p1, at(s1, 100)}, route.Session{MinLSN: 100, Wrote: true}, route.Read, 1,
			route.Decision{Node: "s1", Reason: "round-robin"}},
		{"own writes not applied yet: wait", causal, []route.Node{p1, at(s1, 99)}, route.Session{MinLSN: 100, Wrote: true}, route.Read, 1,
			route.Decision{Reason: "causal-wait"}},
		{"no reads from primary: wait, then primary", noPrimaryReads, []route.Node{p1, at(s1, 99)}, over(need(100)), route.Read, 0,
			route.Decision{Node: "p", Reason: "causal-primary"}},
		{"lagging standby filtered first", route.Policy{Consistency: route.ConsistencyCausal, MaxLagBytes: 10},
			[]route.Node{p1, lag(at(s1, 200), 11)}, need(100), route.Read, 0, route.Decision{Node: "p", Reason: "causal-primary"}},
		{"primary down, standbys behind: wait for a primary", causal, []route.Node{down(p1), at(s1, 99)}, over(need(100)), route.Read, 0,
			route.Decision{Reason: "no-primary"}},
		{"primary down, standby caught up", causal, []route.Node{down(p1), at(s1, 100)}, need(100), route.Read, 0,
			route.Decision{Node: "s1", Reason: "round-robin"}},
		{"stale primary is behind like a standby", causal, []route.Node{node("p", route.Primary, 1), at(node("s1", route.Primary, 2), 5)},
			need(100), route.Read, 0, route.Decision{Node: "s1", Reason: "causal-primary"}},
		{"writes unchanged", causal, []route.Node{p1, s1}, need(100), route.Write, 1, route.Decision{Node: "p", Reason: "primary"}},
		{"transactions unchanged", causal, []route.Node{p1, at(s1, 0)}, route.Session{MinLSN: 100, TxNode: "s1"}, route.Read, 0,
			route.Decision{Node: "s1", Reason: "transaction"}},
		{"any stays on the last node", causal, []route.Node{p1, at(s1, 0)}, route.Session{MinLSN: 100, LastNode: "s1"}, route.Any, 0,
			route.Decision{Node: "s1", Reason: "same-backend"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := route.Decide(tc.policy, tc.nodes, tc.sess, tc.kind, tc.rr)
			if got != tc.want {
				t.Errorf("Decide = %+v, want %+v", got, tc.want)
			}
		})
	}
}
