package route_test

import (
	"testing"

	"github.com/heliosdb/nano/proxy/route"
)

func node(name string, role route.Role, term uint64) route.Node {
	return route.Node{Name: name, Role: role, Term: term, Healthy: true, Enabled: true}
}

func down(n route.Node) route.Node     { n.Healthy = false; return n }
func disabled(n route.Node) route.Node { n.Enabled = false; return n }
func held(n route.Node) route.Node     { n.Held = true; return n }
func lag(n route.Node, b int64) route.Node {
	n.LagBytes = b
	return n
}

var (
	p1 = node("p", route.Primary, 1)
	s1 = node("s1", route.Standby, 1)
	s2 = node("s2", route.Standby, 1)
)

func TestDecide(t *testing.T) {
	def := route.Policy{ReadFromPrimary: true, ReadYourWrites: true}
	cases := []struct {
		name   string
		policy route.Policy
		nodes  []route.Node
		sess   route.Session
		kind   route.Kind
		rr     uint64
		want   route.Decision
	}{
		{"write to primary", def, []route.Node{p1, s1, s2}, route.Session{}, route.Write, 0, route.Decision{Node: "p", Reason: "primary"}},
		{"write follows the reported role, not the config order", def,
			[]route.Node{node("p", route.Standby, 2), node("s1", route.Primary, 2), s2}, route.Session{}, route.Write, 0,
			route.Decision{Node: "s1", Reason: "primary"}},
		{"highest term wins", def, []route.Node{p1, node("s1", route.Primary, 2)}, route.Session{}, route.Write, 0,
			route.Decision{Node: "s1", Reason: "primary"}},
		{"split brain waits", def, []route.Node{p1, node("s1", route.Primary, 1)}, route.Session{}, route.Write, 0,
			route.Decision{Reason: "conflicting-primaries"}},
		{"primary down waits", def, []route.Node{down(p1), s1}, route.Session{}, route.Write, 0, route.Decision{Reason: "no-primary"}},
		{"primary disabled waits", def, []route.Node{disabled(p1), s1}, route.Session{}, route.Write, 0, route.Decision{Reason: "no-primary"}},
		{"transaction pins even a dead node", def, []route.Node{down(p1), s1}, route.Session{TxNode: "p"}, route.Read, 0,
			route.Decision{Node: "p", Reason: "transaction"}},
		{"round robin 0", def, []route.Node{p1, s1, s2}, route.Session{}, route.Read, 0, route.Decision{Node: "p", Reason: "round-robin"}},
		{"round robin 1", def, []route.Node{p1, s1, s2}, route.Session{}, route.Read, 1, route.Decision{Node: "s1", Reason: "round-robin"}},
		{"round robin 5", def, []route.Node{p1, s1, s2}, route.Session{}, route.Read, 5, route.Decision{Node: "s2", Reason: "round-robin"}},
		{"sticky", def, []route.Node{p1, s1, s2}, route.Session{ReadNode: "s2"}, route.Read, 0, route.Decision{Node: "s2", Reason: "sticky"}},
		{"sticky node down moves", def, []route.Node{p1, s1, down(s2)}, route.Session{ReadNode: "s2"}, route.Read, 1,
			route.Decision{Node: "s1", Reason: "round-robin"}},
		{"no reads from primary", route.Policy{}, []route.Node{p1, s1, s2}, route.Session{}, route.Read, 2,
			route.Decision{Node: "s1", Reason: "round-robin"}},
		{"no reads from primary, standbys down", route.Policy{}, []route.Node{p1, down(s1)}, route.Session{}, route.Read, 0,
			route.Decision{Node: "p", Reason: "primary-fallback"}},
		{"reads continue with the primary down", def, []route.Node{down(p1), s1, s2}, route.Session{}, route.Read, 0,
			route.Decision{Node: "s1", Reason: "round-robin"}},
		{"lagging standby skipped", route.Policy{MaxLagBytes: 100}, []route.Node{p1, lag(s1, 101), lag(s2, 100)}, route.Session{}, route.Read, 0,
			route.Decision{Node: "s2", Reason: "round-robin"}},
		{"stale primary gets no reads", def, []route.Node{p1, node("s1", route.Primary, 2)}, route.Session{}, route.Read, 0,
			route.Decision{Node: "s1", Reason: "round-robin"}},
		{"old primary back while the newer one is down: no writes", def,
			[]route.Node{down(node("p", route.Primary, 2)), node("s1", route.Primary, 1), node("s2", route.Standby, 2)}, route.Session{}, route.Write, 0,
			route.Decision{Reason: "no-primary"}},
		{"old primary back while the newer one is down: no reads", def,
			[]route.Node{down(node("p", route.Primary, 2)), node("s1", route.Primary, 1), node("s2", route.Standby, 2)}, route.Session{}, route.Read, 0,
			route.Decision{Node: "s2", Reason: "round-robin"}},
		{"old primary: a standby's newer term is enough", def,
			[]route.Node{node("s1", route.Primary, 1), node("s2", route.Standby, 2)}, route.Session{}, route.Write, 0,
			route.Decision{Reason: "no-primary"}},
		{"unknown role gets no reads", def, []route.Node{node("p", route.Unknown, 0), s1}, route.Session{}, route.Read, 0,
			route.Decision{Node: "s1", Reason: "round-robin"}},
		{"nothing healthy waits", def, []route.Node{down(p1), down(s1)}, route.Session{}, route.Read, 0, route.Decision{Reason: "no-healthy-node"}},
		{"read your writes", def, []route.Node{p1, s1}, route.Session{Wrote: true, ReadNode: "s1"}, route.Read, 1,
			route.Decision{Node: "p", Reason: "read-your-writes"}},
		{"read your writes off", route.Policy{ReadFromPrimary: true}, []route.Node{p1, s1}, route.Session{Wrote: true, ReadNode: "s1"}, route.Read, 0,
			route.Decision{Node: "s1", Reason: "sticky"}},
		{"read your writes, primary down", def, []route.Node{down(p1), s1}, route.Session{Wrote: true}, route.Read, 0,
			route.Decision{Node: "s1", Reason: "round-robin"}},
		{"temp objects pin reads to the primary", def, []route.Node{p1, s1}, route.Session{PinPrimary: true, ReadNode: "s1"}, route.Read, 1,
			route.Decision{Node: "p", Reason: "pinned-primary"}},
		{"held primary: writes wait", def, []route.Node{held(p1), s1}, route.Session{}, route.Write, 0,
			route.Decision{Reason: "switchover"}},
		{"held primary: pinned sessions wait", def, []route.Node{held(p1), s1}, route.Session{PinPrimary: true}, route.Read, 0,
			route.Decision{Reason: "switchover"}},
		{"held primary: open transactions go on", def, []route.Node{held(p1), s1}, route.Session{TxNode: "p"}, route.Write, 0,
			route.Decision{Node: "p", Reason: "transaction"}},
		{"held primary: reads go on", def, []route.Node{held(p1), s1}, route.Session{Wrote: true}, route.Read, 0,
			route.Decision{Node: "p", Reason: "read-your-writes"}},
		{"held old primary: writes go to the new one", def, []route.Node{held(node("p", route.Standby, 1)), node("s1", route.Primary, 2)},
			route.Session{}, route.Write, 0, route.Decision{Node: "s1", Reason: "primary"}},
		{"any stays on the last node", def, []route.Node{p1, s1, s2}, route.Session{LastNode: "s2"}, route.Any, 0,
			route.Decision{Node: "s2", Reason: "same-backend"}},
		{"any without a last node reads", def, []route.Node{p1, s1, s2}, route.Session{}, route.Any, 1,
			route.Decision{Node: "s1", Reason: "round-robin"}},
		{"any with the last node down", def, []route.Node{p1, down(s1)}, route.Session{LastNode: "s1", ReadNode: "s1"}, route.Any, 0,
			route.Decision{Node: "p", Reason: "round-robin"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := route.Decide(tc.policy, tc.nodes, tc.sess, tc.kind, tc.rr)
			if got != tc.want {
				t.Errorf("Decide = %+v, want %+v", got, tc.want)
			}
			if got.Wait() != (tc.want.Node == "") {
				t.Errorf("Wait = %v", got.Wait())
			}
		})
	}
}
