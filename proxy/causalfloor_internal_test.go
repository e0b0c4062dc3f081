package proxy

import (
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/proxy/route"
)

// TestCausalFloorAfterRestart: a proxy that starts knows nothing of the
// commits an earlier run acknowledged. Until a current primary is in its
// view a read must see an LSN no standby can prove (so it goes to a
// primary or waits); then the primary's applied LSN is the floor. Before
// the fix the tracker started at 0 and the first reads after a proxy
// restart went to any standby (the history suite's register checker saw
// a stale read 0.8 s after a proxy restart).
func TestCausalFloorAfterRestart(t *testing.T) {
	c := &causalReads{}
	standby := route.Node{Name: "s", Role: route.Standby, Term: 3, Healthy: true, Enabled: true, AppliedLSN: 100}
	oldPrimary := route.Node{Name: "o", Role: route.Primary, Term: 2, Healthy: true, Enabled: true, AppliedLSN: 90}
	if got := c.acked([]route.Node{standby}); got != unknownLSN {
		t.Fatalf("no primary in view: floor %s, want unknown", got)
	}
	if got := c.acked([]route.Node{oldPrimary, standby}); got != unknownLSN {
		t.Fatalf("only a stale primary in view: floor %s, want unknown", got)
	}
	policy := route.Policy{ReadFromPrimary: true, Consistency: route.ConsistencyCausal}
	d := route.Decide(policy, []route.Node{standby}, route.Session{MinLSN: unknownLSN, CausalWaitOver: true}, route.Read, 0)
	if d.Node != "" {
		t.Fatalf("unknown floor, no primary: read routed to %q (%s), want a wait", d.Node, d.Reason)
	}
	primary := route.Node{Name: "p", Role: route.Primary, Term: 3, Healthy: true, Enabled: true, AppliedLSN: 250}
	if got := c.acked([]route.Node{primary, standby}); got != 250 {
		t.Fatalf("primary at 250 in view: floor %s, want 0/FA", got)
	}
	c.tracker.Observe(lsn.LSN(300))
	if got := c.acked([]route.Node{standby}); got != 300 {
		t.Fatalf("after a relayed commit at 300: floor %s", got)
	}
}
