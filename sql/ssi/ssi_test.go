package ssi

import (
	"context"
	"fmt"
	"testing"

	"github.com/heliosdb/nano/sql/pgerror"
)

func begin(t *testing.T, m *Manager, id uint64, ro bool) *Xact {
	t.Helper()
	x, err := m.Begin(id, uint32(id), ro, func() error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func key(s string) []byte { return []byte(s) }

func point(x *Xact, b, k string) error {
	return x.Read(b, key(k), append(key(k), 0))
}

func isSerializationFailure(err error) bool {
	return pgerror.CodeOf(err) == pgerror.SerializationFailure
}

// Write skew: each reads both rows, writes a different one; the second
// committer fails.
func TestWriteSkew(t *testing.T) {
	m := New(Limits{})
	a, b := begin(t, m, 1, false), begin(t, m, 2, false)
	for _, x := range []*Xact{a, b} {
		if err := x.Read("t/1", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Write("t/1", key("alice")); err != nil {
		t.Fatal(err)
	}
	err := b.Write("t/1", key("bob"))
	if err == nil {
		if err = a.PreCommit(); err == nil {
			a.Commit()
			err = b.PreCommit()
		}
	}
	if !isSerializationFailure(err) {
		t.Fatalf("write skew: got %v, want 40001", err)
	}
}

// Disjoint keys: no conflict at all.
func TestDisjointKeys(t *testing.T) {
	m := New(Limits{})
	a, b := begin(t, m, 1, false), begin(t, m, 2, false)
	for i, x := range []*Xact{a, b} {
		k := fmt.Sprint(i)
		if err := point(x, "t/1", k); err != nil {
			t.Fatal(err)
		}
		if err := x.Write("t/1", key(k)); err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range []*Xact{a, b} {
		if err := x.PreCommit(); err != nil {
			t.Fatal(err)
		}
		x.Commit()
	}
	if s := m.Stats(); s.Active != 0 || s.Committed != 0 {
		t.Fatalf("after both committed: %+v, want nothing kept", s)
	}
}

// A long-running transaction keeps committed ones alive; past
// MaxCommitted they are summarised, and the summary still catches a
// conflict with what they read. When the long one ends, everything goes.
func TestBoundedMemory(t *testing.T) {
	m := New(Limits{MaxCommitted: 10, LocksPerBucket: 4, WritesPerBucket: 4})
	long := begin(t, m, 1, false)
	if err := point(long, "t/9", "k"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		x := begin(t, m, uint64(i+2), false)
		for j := 0; j < 10; j++ { // promoted to the whole bucket past 4
			if err := point(x, "t/1", fmt.Sprint(i, "/", j)); err != nil {
				t.Fatal(err)
			}
			if err := x.Write("t/2", key(fmt.Sprint(i, "/", j))); err != nil {
				t.Fatal(err)
			}
		}
		if err := x.PreCommit(); err != nil {
			t.Fatal(err)
		}
		x.Commit()
		if len(x.reads) != 0 && (len(x.reads["t/1"].spans) > 4 || len(x.writes["t/2"].keys) > 4) {
			t.Fatalf("locks not promoted: %d spans, %d keys", len(x.reads["t/1"].spans), len(x.writes["t/2"].keys))
		}
	}
	s := m.Stats()
	if s.Committed > 10 || !s.Summarised {
		t.Fatalf("stats %+v: want at most 10 committed kept and a summary", s)
	}
	// long writes what the summarised transactions read: flagged in
	// from the summary.
	if err := long.Write("t/1", key("anything")); err != nil {
		t.Fatal(err)
	}
	if !long.summaryIn {
		t.Fatal("a write under the summary's reads did not flag a conflict in")
	}
	long.Abort()
	if s := m.Stats(); s != (Stats{}) {
		t.Fatalf("after the long transaction ended: %+v, want empty", s)
	}
}

// READ ONLY: with no read-write transaction running the snapshot is safe
// at once (not tracked); otherwise WaitSafe waits for the writers.
func TestSafeSnapshot(t *testing.T) {
	m := New(Limits{})
	if x := begin(t, m, 1, true); x != nil {
		t.Fatal("READ ONLY with no writers running is tracked")
	}
	w := begin(t, m, 2, false)
	ro := begin(t, m, 3, true)
	if ro == nil {
		t.Fatal("READ ONLY beside a writer not tracked")
	}
	if got := m.SafeSnapshotBlockers(3); len(got) != 0 {
		t.Fatalf("blockers before waiting: %v", got)
	}
	done := make(chan bool)
	go func() {
		safe, err := ro.WaitSafe(context.Background())
		if err != nil {
			t.Error(err)
		}
		done <- safe
	}()
	if err := w.Write("t/1", key("x")); err != nil {
		t.Fatal(err)
	}
	if err := w.PreCommit(); err != nil {
		t.Fatal(err)
	}
	w.Commit()
	if !<-done {
		t.Fatal("snapshot not found safe after the only writer committed without conflicts")
	}
	if ro.Tracked() {
		t.Fatal("safe READ ONLY transaction still tracked")
	}
}

// ReadLocks lists what each transaction read (pg_locks' SIReadLock rows),
// keeps a committed one's while an overlapping transaction runs, and
// drops an aborted one's.
func TestReadLocks(t *testing.T) {
	m := New(Limits{})
	a, b, c := begin(t, m, 1, false), begin(t, m, 2, false), begin(t, m, 3, false)
	a.SetOwner(7)
	for _, err := range []error{a.Read("t/1", nil, nil), point(a, "t/2", "k"), a.Read("i/3", key("a"), key("c")),
		b.Read("t/1", key("m"), nil), point(c, "t/9", "z")} {
		if err != nil {
			t.Fatal(err)
		}
	}
	render := func() string {
		var s string
		for _, l := range m.ReadLocks() {
			s += fmt.Sprintf("%d/%d %s whole=%v single=%v inf=%v [%q,%q) ", l.Owner, l.ID, l.Bucket, l.Whole, l.Single(), l.Inf, l.Lo, l.Hi)
		}
		return s
	}
	want := `7/1 i/3 whole=false single=false inf=false ["a","c") 7/1 t/1 whole=true single=false inf=false ["","") ` +
		`7/1 t/2 whole=false single=true inf=false ["k","k\x00") 0/2 t/1 whole=false single=false inf=true ["m","") ` +
		`0/3 t/9 whole=false single=true inf=false ["z","z\x00") `
	if got := render(); got != want {
		t.Fatalf("ReadLocks:\n got %s\nwant %s", got, want)
	}
	c.Abort()
	if err := a.PreCommit(); err != nil {
		t.Fatal(err)
	}
	a.Commit() // b overlapped a: a's locks stay
	if got := render(); got != want[:len(want)-len(`0/3 t/9 whole=false single=true inf=false ["z","z\x00") `)] {
		t.Fatalf("after a's commit and c's abort: %s", got)
	}
	b.Abort()
	if got := render(); got != "" {
		t.Fatalf("after every transaction ended: %s", got)
	}
}
