package replication

import "testing"

// Every path that can release a commit waiting for a sync standby, as
// facts: it is acknowledged only after a sync standby's flush or a
// degradation the node's standing allows, never once the lease has lapsed
// or the node is no longer an unfenced primary.
func TestDecideReleaseRule(t *testing.T) {
	var (
		never    = Standing{Policy: DegradeNever}
		timeout  = Standing{Policy: DegradeOnTimeout}
		leased   = Standing{Policy: DegradeApproved}
		lapsed   = Standing{Policy: DegradeApproved, LeaseLapsed: true}
		standing = map[string]Standing{"never": never, "on-timeout": timeout, "leased": leased, "lapsed": lapsed}
	)
	for _, tc := range []struct {
		name string
		f    waitFacts
		want verdict
	}{
		// A sync standby's flush releases the commit whatever the standing.
		{"flushed/never", waitFacts{syncFlushed: true, standing: never}, acknowledge},
		{"flushed/lapsed", waitFacts{syncFlushed: true, degraded: true, standing: lapsed}, acknowledge},
		{"flushed/timed-out-never", waitFacts{syncFlushed: true, timedOut: true, standing: never}, acknowledge},
		// Shutdown and step-down fail the wait, flushed or not.
		{"closed", waitFacts{closed: true, syncFlushed: true, standing: timeout}, failClosed},
		{"closed/degraded", waitFacts{closed: true, degraded: true, standing: timeout}, failClosed},
		{"stepped-down", waitFacts{steppedDown: true, degraded: true, approved: true, standing: leased}, failSteppedDown},
		{"stepped-down/flushed", waitFacts{steppedDown: true, syncFlushed: true, standing: timeout}, failSteppedDown},
		// Nothing happened yet.
		{"waiting/never", waitFacts{standing: never}, keepWaiting},
		{"waiting/on-timeout", waitFacts{standing: timeout}, keepWaiting},
		{"waiting/leased", waitFacts{standing: leased}, keepWaiting},
		{"waiting/lapsed", waitFacts{standing: lapsed}, keepWaiting}, // a sync standby may still flush it
		// No lease: sync-timeout degrades, the degradation releases.
		{"timeout/on-timeout", waitFacts{timedOut: true, standing: timeout}, degradeFirst},
		{"degraded/on-timeout", waitFacts{degraded: true, standing: timeout}, acknowledge},
		{"degraded-timed-out/on-timeout", waitFacts{degraded: true, timedOut: true, standing: timeout}, acknowledge},
		// Lease: the degradation releases only once approved, and not after the lapse.
		{"timeout/leased", waitFacts{timedOut: true, standing: leased}, degradeFirst},
		{"timeout/lapsed", waitFacts{timedOut: true, standing: lapsed}, degradeFirst}, // then fails (next row)
		{"degraded/lapsed", waitFacts{degraded: true, timedOut: true, standing: lapsed}, failLeaseLapsed},
		{"degraded-approved/lapsed", waitFacts{degraded: true, approved: true, standing: lapsed}, failLeaseLapsed},
		{"degraded/leased", waitFacts{degraded: true, timedOut: true, standing: leased}, keepWaiting},
		{"degraded-approved/leased", waitFacts{degraded: true, approved: true, standing: leased}, acknowledge},
		// Demoting, demoted or fenced (issue 18: the demotion lifted the
		// lease with the role and the degraded waiters were acknowledged).
		{"degraded/never", waitFacts{degraded: true, standing: never}, keepWaiting},
		{"degraded-approved/never", waitFacts{degraded: true, approved: true, standing: never}, keepWaiting},
		{"timeout/never", waitFacts{timedOut: true, standing: never}, failSteppedDown},
		{"degraded-timed-out/never", waitFacts{degraded: true, approved: true, timedOut: true, standing: never}, failSteppedDown},
	} {
		if got := decide(tc.f); got != tc.want {
			t.Errorf("%s: decide(%+v) = %s, want %s", tc.name, tc.f, got, tc.want)
		}
	}

	// Exhaustively: an acknowledgement without a sync standby's flush
	// needs a degradation the standing allows.
	for name, st := range standing {
		for bits := range 1 << 6 {
			f := waitFacts{closed: bits&1 != 0, steppedDown: bits&2 != 0, timedOut: bits&4 != 0,
				degraded: bits&8 != 0, approved: bits&16 != 0, syncFlushed: bits&32 != 0, standing: st}
			if decide(f) != acknowledge || f.syncFlushed {
				continue
			}
			ok := f.degraded && !f.closed && !f.steppedDown &&
				(st.Policy == DegradeOnTimeout || (st.Policy == DegradeApproved && f.approved && !st.LeaseLapsed))
			if !ok {
				t.Errorf("%s: decide(%+v) acknowledges a commit no sync standby flushed", name, f)
			}
		}
	}
}
