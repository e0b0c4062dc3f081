package replication_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/replication"
)

// waitDurable runs WaitDurable in the background; the channel gets its
// result.
func waitDurable(ctx context.Context, srv *replication.Server, end lsn.LSN) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- srv.WaitDurable(ctx, end) }()
	return ch
}

// requireBlocked fails if ch delivers within d.
func requireBlocked(t *testing.T, ch <-chan error, d time.Duration, why string) {
	t.Helper()
	select {
	case err := <-ch:
		t.Fatalf("WaitDurable returned (%v) %s", err, why)
	case <-time.After(d):
	}
}

// requireReturns waits for ch and returns its error.
func requireReturns(t *testing.T, ch <-chan error, why string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("WaitDurable still blocked: %s", why)
		return nil
	}
}

// mustWaitDurable calls WaitDurable, failing the test if it errs or does
// not return within 10s, and returns how long it took.
func mustWaitDurable(t *testing.T, srv *replication.Server, end lsn.LSN) time.Duration {
	t.Helper()
	start := time.Now()
	if err := requireReturns(t, waitDurable(t.Context(), srv, end), fmt.Sprintf("WaitDurable(%s)", end)); err != nil {
		t.Fatalf("WaitDurable(%s): %v", end, err)
	}
	return time.Since(start)
}

func TestWaitDurableAsync(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{})
	if got := p.srv.SyncState(); got != "async" {
		t.Fatalf("SyncState() = %q, want async", got)
	}
	if took := mustWaitDurable(t, p.srv, 1<<40); took >= testSyncTimeout {
		t.Fatalf("async WaitDurable took %v", took)
	}
}

func TestWaitDurableWaitsForFlushAck(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{Sync: true, SyncTimeout: time.Minute})
	if got := p.srv.SyncState(); got != "waiting" {
		t.Fatalf("SyncState() with no standby = %q, want waiting", got)
	}
	m := connectManual(t, p.addr, helloFor("s1", true, 0))
	eventually(t, "sync standby registered", func() bool { return p.srv.SyncState() == "sync" })

	mid := appendRecs(t, p.wal, 1, 0, 3)
	end := appendRecs(t, p.wal, 1, 3, 3)
	done := waitDurable(t.Context(), p.srv, end)
	requireBlocked(t, done, 100*time.Millisecond, "before any ack")
	m.ack(t, mid, end) // applied does not count, only flushed
	requireBlocked(t, done, 100*time.Millisecond, "after an ack short of the commit")
	m.ack(t, end, 0)
	if err := requireReturns(t, done, "after the flush ack"); err != nil {
		t.Fatalf("WaitDurable: %v", err)
	}
	// Already acknowledged: at once.
	mustWaitDurable(t, p.srv, mid)
	if got := p.srv.SyncState(); got != "sync" {
		t.Fatalf("SyncState() = %q, want sync", got)
	}
}

func TestWaitDurableWithRealSyncStandby(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{Sync: true, SyncTimeout: time.Minute})
	s := startStandby(t, p.addr, standbyOpts{sync: true})
	eventually(t, "sync standby connected", func() bool { return p.srv.SyncState() == "sync" })
	for i := range 20 {
		end := appendRecs(t, p.wal, 1, i*3, 3)
		mustWaitDurable(t, p.srv, end)
		if got := s.wal.FlushedLSN(); got < end {
			t.Fatalf("WaitDurable(%s) returned with the standby flushed only to %s", end, got)
		}
	}
	if got := p.srv.SyncState(); got != "sync" {
		t.Fatalf("SyncState() = %q, want sync", got)
	}
}

func TestSyncDegradesAndRestores(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{Sync: true})
	// An async standby does not count for synchronous commit.
	async := startStandby(t, p.addr, standbyOpts{nodeID: "async1"})
	end := appendRecs(t, p.wal, 1, 0, 5)
	eventually(t, "async standby caught up", func() bool { return async.caughtUp(p) })

	if took := mustWaitDurable(t, p.srv, end); took < testSyncTimeout {
		t.Fatalf("WaitDurable returned after %v, before SyncTimeout %v", took, testSyncTimeout)
	}
	if got := p.srv.SyncState(); got != "degraded" {
		t.Fatalf("SyncState() = %q, want degraded", got)
	}
	// Degraded: later commits do not wait.
	end = appendRecs(t, p.wal, 1, 5, 5)
	if took := mustWaitDurable(t, p.srv, end); took >= testSyncTimeout {
		t.Fatalf("WaitDurable while degraded took %v", took)
	}

	// A sync standby connects and catches up: sync is restored without
	// waiting for the next commit.
	s := startStandby(t, p.addr, standbyOpts{nodeID: "sync1", sync: true})
	eventually(t, "sync standby caught up", func() bool { return s.caughtUp(p) })
	eventually(t, "sync restored", func() bool { return p.srv.SyncState() == "sync" })
	for i := range 5 {
		end = appendRecs(t, p.wal, 1, 10+i, 1)
		mustWaitDurable(t, p.srv, end)
		if got := s.wal.FlushedLSN(); got < end {
			t.Fatalf("WaitDurable(%s) returned with the sync standby flushed only to %s", end, got)
		}
	}
	if got := p.srv.SyncState(); got != "sync" {
		t.Fatalf("SyncState() = %q, want sync", got)
	}
}

func TestSyncStrictNeverDegrades(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{Sync: true, SyncStrict: true})
	end := appendRecs(t, p.wal, 1, 0, 5)
	// The caller's context ends long before: a commit that reached the
	// wait is not undone, so it keeps waiting.
	ctx, cancel := context.WithTimeout(t.Context(), testSyncTimeout/3)
	defer cancel()
	done := waitDurable(ctx, p.srv, end)
	requireBlocked(t, done, 3*testSyncTimeout, "in strict mode with no sync standby")
	if got := p.srv.SyncState(); got != "waiting" {
		t.Fatalf("SyncState() = %q, want waiting", got)
	}

	s := startStandby(t, p.addr, standbyOpts{sync: true})
	if err := requireReturns(t, done, "after a sync standby caught up"); err != nil {
		t.Fatalf("WaitDurable: %v", err)
	}
	if got := s.wal.FlushedLSN(); got < end {
		t.Fatalf("WaitDurable(%s) returned with the standby flushed only to %s", end, got)
	}
	if got := p.srv.SyncState(); got != "sync" {
		t.Fatalf("SyncState() = %q, want sync", got)
	}
}

func TestCloseReleasesSyncWaiters(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(map[bool]string{false: "timeout", true: "strict"}[strict], func(t *testing.T) {
			p := startPrimary(t, replication.ServerConfig{Sync: true, SyncStrict: strict, SyncTimeout: time.Minute})
			end := appendRecs(t, p.wal, 1, 0, 1)
			var waits []<-chan error
			for range 3 {
				waits = append(waits, waitDurable(t.Context(), p.srv, end))
			}
			for _, w := range waits {
				requireBlocked(t, w, 20*time.Millisecond, "before Close")
			}
			p.srv.Close()
			for _, w := range waits {
				if err := requireReturns(t, w, "after Close"); !errors.Is(err, replication.ErrClosed) {
					t.Fatalf("WaitDurable after Close = %v, want ErrClosed", err)
				}
			}
			if err := p.srv.WaitDurable(t.Context(), end); !errors.Is(err, replication.ErrClosed) {
				t.Fatalf("WaitDurable on a closed server = %v, want ErrClosed", err)
			}
		})
	}
}

// standingVar is a node's Standing that a test changes.
type standingVar struct {
	mu sync.Mutex
	st replication.Standing
}

func (v *standingVar) get() replication.Standing {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.st
}

func (v *standingVar) set(srv *replication.Server, st replication.Standing) {
	v.mu.Lock()
	v.st = st
	v.mu.Unlock()
	srv.StandingChanged()
}

func leasedPrimary(t *testing.T) (*primary, *standingVar) {
	v := &standingVar{st: replication.Standing{Policy: replication.DegradeApproved}}
	return startPrimary(t, replication.ServerConfig{Sync: true, Standing: v.get}), v
}

// Under a failover lease a degradation releases nobody until the lease
// holder has seen it (its sequence number comes back with a renewal);
// if the lease lapses first, the waiters fail with ErrLeaseLapsed.
func TestLeasedDegradationNeedsApproval(t *testing.T) {
	p, _ := leasedPrimary(t)
	p.srv.LeaseRenewed(0)
	end := appendRecs(t, p.wal, 1, 0, 5)
	done := waitDurable(t.Context(), p.srv, end)
	requireBlocked(t, done, 2*testSyncTimeout, "degraded but not approved by the lease holder")
	seq := p.srv.Degradation()
	if seq == 0 || p.srv.SyncState() != "degraded" {
		t.Fatalf("Degradation() = %d, SyncState() = %q: want a degradation reported", seq, p.srv.SyncState())
	}
	p.srv.LeaseRenewed(seq - 1) // a renewal from a holder that has not seen it yet
	requireBlocked(t, done, testSyncTimeout/2, "approved an older degradation only")
	p.srv.LeaseRenewed(seq)
	if err := requireReturns(t, done, "after the holder approved the degradation"); err != nil {
		t.Fatalf("WaitDurable: %v", err)
	}
	// Approved: later commits in the same degradation do not wait.
	mustWaitDurable(t, p.srv, appendRecs(t, p.wal, 1, 5, 1))
}

func TestLeaseLapseFailsUnapprovedWaiters(t *testing.T) {
	p, v := leasedPrimary(t)
	end := appendRecs(t, p.wal, 1, 0, 5)
	done := waitDurable(t.Context(), p.srv, end)
	requireBlocked(t, done, 2*testSyncTimeout, "degraded but not approved")
	v.set(p.srv, replication.Standing{Policy: replication.DegradeApproved, LeaseLapsed: true})
	if err := requireReturns(t, done, "after the lease lapsed"); !errors.Is(err, replication.ErrLeaseLapsed) {
		t.Fatalf("WaitDurable = %v, want ErrLeaseLapsed", err)
	}
	// An approval that arrives with the lease lapsed releases nothing.
	late := waitDurable(t.Context(), p.srv, appendRecs(t, p.wal, 1, 5, 1))
	p.srv.LeaseRenewed(p.srv.Degradation())
	if err := requireReturns(t, late, "a commit in a degradation while the lease has lapsed"); !errors.Is(err, replication.ErrLeaseLapsed) {
		t.Fatalf("WaitDurable = %v, want ErrLeaseLapsed", err)
	}
	// Without a lease requirement the sync-timeout rule holds again.
	v.set(p.srv, replication.Standing{Policy: replication.DegradeOnTimeout})
	mustWaitDurable(t, p.srv, appendRecs(t, p.wal, 1, 6, 1))
}

// A lease holder echoes the number of the last degradation it saw. After
// the primary restarts, that number must not approve a new degradation
// the holder has not seen (it would release commits while the holder
// believes the primary in sync).
func TestDegradationNumbersDifferAcrossRestarts(t *testing.T) {
	before, _ := leasedPrimary(t)
	first := waitDurable(t.Context(), before.srv, appendRecs(t, before.wal, 1, 0, 1))
	requireBlocked(t, first, 2*testSyncTimeout, "degraded, not approved")
	old := before.srv.Degradation()
	before.srv.Close()

	after, _ := leasedPrimary(t) // the restarted primary
	after.srv.LeaseRenewed(old)  // the holder's first grant echoes the old number
	done := waitDurable(t.Context(), after.srv, appendRecs(t, after.wal, 1, 0, 1))
	requireBlocked(t, done, 2*testSyncTimeout, "a new degradation approved by the number of one before the restart")
	if seq := after.srv.Degradation(); seq == 0 || seq == old {
		t.Fatalf("degradation after the restart numbered %d, before %d: want a new, different number", seq, old)
	}
}

// The reproduction of issue 18: a leased primary degraded (its waiters
// held for the holder's approval) is demoted. The demotion lifts the
// lease requirement with the role; the waiters must not take that as
// leave to go: they fail, whatever the order in which the role change,
// the lapse and their timers arrive.
func TestDemotionReleasesNoDegradedWaiter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []replication.Standing
	}{
		{"demoted", []replication.Standing{{Policy: replication.DegradeNever}}},
		{"lapsed-then-demoted", []replication.Standing{{Policy: replication.DegradeApproved, LeaseLapsed: true}, {Policy: replication.DegradeNever}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, v := leasedPrimary(t)
			end := appendRecs(t, p.wal, 1, 0, 5)
			done := waitDurable(t.Context(), p.srv, end)
			requireBlocked(t, done, 2*testSyncTimeout, "degraded but not approved")
			var err error
			for _, st := range tc.steps {
				v.set(p.srv, st)
				select {
				case err = <-done:
				case <-time.After(2 * testSyncTimeout):
					continue
				}
				break
			}
			if err == nil {
				err = requireReturns(t, done, "after the demotion")
			}
			if err == nil {
				t.Fatal("a commit waiting for the lease holder's approval was acknowledged after the demotion")
			}
			// A commit that starts waiting on the demoted node fails at its
			// sync-timeout instead of degrading.
			v.set(p.srv, replication.Standing{Policy: replication.DegradeNever})
			late := waitDurable(t.Context(), p.srv, appendRecs(t, p.wal, 1, 5, 1))
			if err := requireReturns(t, late, "a commit waiting on a demoted node"); !errors.Is(err, replication.ErrSteppedDown) {
				t.Fatalf("WaitDurable on a node that may not degrade = %v, want ErrSteppedDown", err)
			}
		})
	}
}

// A node that may not degrade (DegradeNever) still acknowledges a commit
// a sync standby has flushed: a demotion hands over what the standbys
// can still receive.
func TestDemotingNodeReleasesFlushedCommits(t *testing.T) {
	v := &standingVar{st: replication.Standing{Policy: replication.DegradeNever}}
	p := startPrimary(t, replication.ServerConfig{Sync: true, SyncTimeout: time.Minute, Standing: v.get})
	m := connectManual(t, p.addr, helloFor("s1", true, 0))
	eventually(t, "sync standby registered", func() bool { return p.srv.SyncState() == "sync" })
	end := appendRecs(t, p.wal, 1, 0, 3)
	done := waitDurable(t.Context(), p.srv, end)
	requireBlocked(t, done, 50*time.Millisecond, "before the flush ack")
	m.ack(t, end, 0)
	if err := requireReturns(t, done, "after the flush ack"); err != nil {
		t.Fatalf("WaitDurable: %v", err)
	}
}
