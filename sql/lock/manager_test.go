package lock

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func req(o OwnerID, key string, m Mode) Request {
	return Request{Owner: o, PID: uint32(100 + o), XID: uint64(1000 + o), Key: key, Mode: m}
}

func TestWaitThenGrantOnRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := New()
		ctx := context.Background()
		if ok, err := m.Acquire(ctx, req(1, "k", ForUpdate)); !ok || err != nil {
			t.Fatal(ok, err)
		}
		done := make(chan error)
		go func() {
			_, err := m.Acquire(ctx, req(2, "k", ForNoKeyUpdate))
			done <- err
		}()
		synctest.Wait()
		if !m.Waiting(2) {
			t.Fatal("owner 2 should wait")
		}
		if got := m.BlockingPIDs(2); len(got) != 1 || got[0] != 101 {
			t.Fatalf("BlockingPIDs = %v", got)
		}
		m.ReleaseXact(1)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		m.ReleaseXact(2)
		if m.Len() != 0 {
			t.Fatalf("%d entries left", m.Len())
		}
	})
}

func TestNoWaitAndSkipLocked(t *testing.T) {
	m := New()
	ctx := context.Background()
	if ok, _ := m.Acquire(ctx, req(1, "k", ForShare)); !ok {
		t.Fatal("not granted")
	}
	r := req(2, "k", ForUpdate)
	r.Policy = NoWait
	if _, err := m.Acquire(ctx, r); !errors.Is(err, ErrWouldBlock) {
		t.Fatalf("NoWait: %v", err)
	}
	r.Policy = SkipLocked
	if ok, err := m.Acquire(ctx, r); ok || err != nil {
		t.Fatalf("SkipLocked: %v %v", ok, err)
	}
	r = req(2, "k", ForKeyShare)
	r.Policy = NoWait
	if ok, err := m.Acquire(ctx, r); !ok || err != nil {
		t.Fatalf("compatible NoWait: %v %v", ok, err)
	}
}

func TestContextEndsWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := New()
		bg := context.Background()
		m.Acquire(bg, req(1, "k", ForUpdate))
		cause := errors.New("lock timeout")
		ctx, cancel := context.WithTimeoutCause(bg, 50*time.Millisecond, cause)
		defer cancel()
		if _, err := m.Acquire(ctx, req(2, "k", ForUpdate)); !errors.Is(err, cause) {
			t.Fatalf("err = %v", err)
		}
		if m.Waiting(2) {
			t.Fatal("still queued")
		}
		// A third owner queued behind the one that gave up is not held back.
		m.ReleaseXact(1)
		if ok, _ := m.Acquire(bg, req(3, "k", ForUpdate)); !ok {
			t.Fatal("not granted")
		}
	})
}

func TestDeadlockOneVictim(t *testing.T) {
	for _, n := range []int{2, 3} {
		synctest.Test(t, func(t *testing.T) {
			m := New()
			ctx := context.Background()
			keys := []string{"a", "b", "c"}[:n]
			for i := range n {
				m.Acquire(ctx, req(OwnerID(i+1), keys[i], ForUpdate))
			}
			errs := make(chan error, n)
			for i := range n {
				go func() {
					r := req(OwnerID(i+1), keys[(i+1)%n], ForUpdate)
					// Staggered timers: the first timer to fire after
					// the cycle formed finds it (owner 1).
					r.DeadlockTimeout = time.Second + time.Duration(i)*time.Millisecond
					ok, err := m.Acquire(ctx, r)
					if ok {
						time.Sleep(10 * time.Millisecond)
						m.ReleaseXact(OwnerID(i + 1))
					}
					errs <- err
				}()
			}
			var victims []*DeadlockError
			for range n {
				var d *DeadlockError
				if err := <-errs; errors.As(err, &d) {
					victims = append(victims, d)
					m.ReleaseXact(d.Cycle[0].WaiterOwn)
				} else if err != nil {
					t.Fatal(err)
				}
			}
			if len(victims) != 1 {
				t.Fatalf("%d victims, want 1", len(victims))
			}
			if c := victims[0].Cycle; len(c) != n || c[0].Waiter != 101 {
				t.Fatalf("cycle %+v", c)
			}
		})
	}
}

func TestAdvisorySessionNesting(t *testing.T) {
	m := New()
	ctx := context.Background()
	r := req(1, "a1", Exclusive)
	r.Scope = Session
	m.Acquire(ctx, r)
	m.Acquire(ctx, r)
	m.ReleaseXact(1) // transaction end keeps session locks
	if !m.Holds(1, "a1", Exclusive) {
		t.Fatal("lost session lock at transaction end")
	}
	if !m.Unlock(1, "a1", Exclusive) || !m.Holds(1, "a1", Exclusive) {
		t.Fatal("first unlock")
	}
	if !m.Unlock(1, "a1", Exclusive) || m.Holds(1, "a1", Exclusive) {
		t.Fatal("second unlock")
	}
	if m.Unlock(1, "a1", Exclusive) {
		t.Fatal("unlock of a lock not held")
	}
	m.Acquire(ctx, r)
	m.ReleaseAll(1)
	if m.Len() != 0 {
		t.Fatal("ReleaseAll left locks")
	}
}

// TestReleaseSince: a rolled-back subtransaction gives back the locks it
// took (a waiter proceeds) and keeps those taken before the mark, even on
// the same key in a weaker mode; session-scope locks stay.
func TestReleaseSince(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := New()
		ctx := context.Background()
		mustGrant := func(r Request) {
			t.Helper()
			if ok, err := m.Acquire(ctx, r); !ok || err != nil {
				t.Fatal(r.Key, ok, err)
			}
		}
		mustGrant(req(1, "before", ForUpdate))
		mustGrant(req(1, "k", ForShare))
		mark := m.Mark(1)
		mustGrant(req(1, "k", ForUpdate))
		mustGrant(req(1, "after", ForUpdate))
		sess := req(1, "sess", ForUpdate)
		sess.Scope = Session
		mustGrant(sess)
		done := make(chan error)
		go func() {
			_, err := m.Acquire(ctx, req(2, "after", ForUpdate))
			done <- err
		}()
		synctest.Wait()
		if !m.Waiting(2) {
			t.Fatal("owner 2 should wait")
		}
		m.ReleaseSince(1, mark)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			key  string
			mode Mode
			want bool
		}{{"before", ForUpdate, true}, {"k", ForShare, true}, {"k", ForUpdate, false}, {"after", ForKeyShare, false}, {"sess", ForUpdate, true}} {
			if got := m.Holds(1, c.key, c.mode); got != c.want {
				t.Errorf("Holds(%s, %v) = %v, want %v", c.key, c.mode, got, c.want)
			}
		}
		m.ReleaseAll(1)
		m.ReleaseAll(2)
		if m.Len() != 0 {
			t.Fatalf("%d entries left", m.Len())
		}
	})
}
