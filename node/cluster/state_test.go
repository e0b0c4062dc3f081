package cluster

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/replication"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// A seeded standby of term 2 following p:5433.
func standby() State {
	return State{Role: hastate.Standby, PrimaryHost: "p", PrimaryPort: 5433, ClusterID: "c1",
		History: replication.History{{Term: 1, Start: 0}, {Term: 2, Start: 100}}, Peers: map[string]string{"p": "p:5433"}}
}

// The primary of term 2.
func primary() State {
	return State{Role: hastate.Primary, ClusterID: "c1", History: replication.History{{Term: 1, Start: 0}, {Term: 2, Start: 100}}}
}

func leased(s State, until time.Time) State {
	s.Leased, s.LeaseUntil, s.LeaseHolder = true, until, "proxy1"
	return s
}

func fenced(s State) State { s.FencedTerm, s.FencedBy = 3, "n2"; return s }

func TestTransitions(t *testing.T) {
	for _, tc := range []struct {
		name string
		from State
		step func(State) (State, error)
		want State
		err  error // errors.Is; the state must then be unchanged
	}{
		{name: "promote a seeded standby: next term from the WAL end, primary cleared",
			from: standby(), step: func(s State) (State, error) { return s.Promote(500, 0) },
			want: State{Role: hastate.Primary, ClusterID: "c1", History: replication.History{{Term: 1, Start: 0}, {Term: 2, Start: 100}, {Term: 3, Start: 500}}, Peers: map[string]string{"p": "p:5433"}}},
		{name: "promote with a minimum term above its own: the minimum, the history skips terms",
			from: standby(), step: func(s State) (State, error) { return s.Promote(500, 7) },
			want: State{Role: hastate.Primary, ClusterID: "c1", History: replication.History{{Term: 1, Start: 0}, {Term: 2, Start: 100}, {Term: 7, Start: 500}}, Peers: map[string]string{"p": "p:5433"}}},
		{name: "promote with a minimum term below its own + 1: its own + 1",
			from: standby(), step: func(s State) (State, error) { return s.Promote(500, 2) },
			want: State{Role: hastate.Primary, ClusterID: "c1", History: replication.History{{Term: 1, Start: 0}, {Term: 2, Start: 100}, {Term: 3, Start: 500}}, Peers: map[string]string{"p": "p:5433"}}},
		{name: "promote a never-seeded standby", from: State{Role: hastate.Standby, PrimaryHost: "p", PrimaryPort: 1},
			step: func(s State) (State, error) { return s.Promote(0, 0) }, err: ErrNotSeeded},
		{name: "promote a primary is not a transition", from: primary(),
			step: func(s State) (State, error) { return s.Promote(500, 0) }, err: errAny},
		{name: "promote before the current term's start", from: standby(),
			step: func(s State) (State, error) { return s.Promote(50, 0) }, err: errAny},
		{name: "lift the lease of a primary", from: leased(primary(), t0),
			step: func(s State) (State, error) { return s.LiftLease(), nil },
			want: func() State { s := leased(primary(), t0); s.Leased = false; return s }()},
		{name: "demote a leased fenced primary: lease and fence gone",
			from: fenced(leased(primary(), t0)), step: func(s State) (State, error) { return s.Demote("q", 6433) },
			want: State{Role: hastate.Standby, PrimaryHost: "q", PrimaryPort: 6433, ClusterID: "c1", History: primary().History}},
		{name: "re-point a standby", from: standby(), step: func(s State) (State, error) { return s.Demote("q", 6433) },
			want: func() State { s := standby(); s.PrimaryHost, s.PrimaryPort = "q", 6433; return s }()},
		{name: "demote without a port", from: primary(), step: func(s State) (State, error) { return s.Demote("q", 0) }, err: ErrBadPrimary},
		{name: "demote without a host", from: primary(), step: func(s State) (State, error) { return s.Demote("", 5433) }, err: ErrBadPrimary},
		{name: "demote to port 65536", from: primary(), step: func(s State) (State, error) { return s.Demote("q", 65536) }, err: ErrBadPrimary},
		{name: "grant a lease: required from now on", from: primary(),
			step: func(s State) (State, error) { return s.GrantLease("n1", 2, t0, time.Second, "proxy1", time.Time{}) },
			want: leased(primary(), t0.Add(time.Second))},
		{name: "renew a lease", from: leased(primary(), t0),
			step: func(s State) (State, error) {
				return s.GrantLease("n1", 2, t0.Add(time.Hour), time.Second, "proxy1", time.Time{})
			},
			want: leased(primary(), t0.Add(time.Hour+time.Second))},
		{name: "grant capped by the holder's expiry", from: leased(primary(), t0),
			step: func(s State) (State, error) {
				return s.GrantLease("n1", 2, t0, time.Second, "proxy1", t0.Add(300*time.Millisecond))
			},
			want: leased(primary(), t0.Add(300*time.Millisecond))},
		{name: "grant the holder's expiry does not shorten", from: primary(),
			step: func(s State) (State, error) {
				return s.GrantLease("n1", 2, t0, time.Second, "proxy1", t0.Add(time.Hour))
			},
			want: leased(primary(), t0.Add(time.Second))},
		{name: "grant arriving after it expired (a primary waking from a pause)", from: leased(primary(), t0),
			step: func(s State) (State, error) {
				return s.GrantLease("n1", 2, t0.Add(3*time.Second), time.Second, "proxy1", t0.Add(time.Second))
			}, err: ErrLeaseRefused},
		{name: "grant to a standby", from: standby(),
			step: func(s State) (State, error) { return s.GrantLease("n1", 2, t0, time.Second, "x", time.Time{}) }, err: ErrLeaseRefused},
		{name: "grant to a fenced primary", from: fenced(primary()),
			step: func(s State) (State, error) { return s.GrantLease("n1", 2, t0, time.Second, "x", time.Time{}) }, err: ErrLeaseRefused},
		{name: "grant for another term", from: primary(),
			step: func(s State) (State, error) { return s.GrantLease("n1", 1, t0, time.Second, "x", time.Time{}) }, err: ErrLeaseRefused},
		{name: "grant too short", from: primary(),
			step: func(s State) (State, error) { return s.GrantLease("n1", 2, t0, MinLease-1, "x", time.Time{}) }, err: ErrLeaseRefused},
		{name: "grant too long", from: primary(),
			step: func(s State) (State, error) { return s.GrantLease("n1", 2, t0, MaxLease+1, "x", time.Time{}) }, err: ErrLeaseRefused},
		{name: "fence a primary with a newer term", from: primary(), step: fenceStep(3, "n2"), want: fenced(primary())},
		{name: "fence: an older fencing term changes nothing", from: fenced(primary()), step: fenceStep(3, "n9"), err: errUnchangedT},
		{name: "fence: own term changes nothing", from: primary(), step: fenceStep(2, "n2"), err: errUnchangedT},
		{name: "fence: a standby is not fenced", from: standby(), step: fenceStep(9, "n2"), err: errUnchangedT},
		{name: "adopt the primary's history", from: State{Role: hastate.Standby, PrimaryHost: "p", PrimaryPort: 1, ClusterID: "c1"},
			step: func(s State) (State, error) {
				return s.AdoptHistory(replication.History{{Term: 1, Start: 0}, {Term: 2, Start: 100}})
			},
			want: State{Role: hastate.Standby, PrimaryHost: "p", PrimaryPort: 1, ClusterID: "c1", History: replication.History{{Term: 1, Start: 0}, {Term: 2, Start: 100}}}},
		{name: "adopt a bad history", from: standby(),
			step: func(s State) (State, error) {
				return s.AdoptHistory(replication.History{{Term: 2, Start: 0}, {Term: 1, Start: 100}})
			}, err: errAny},
		{name: "add a peer", from: primary(), step: peerStep("n1", "s1", "s1:5433"),
			want: func() State { s := primary(); s.Peers = map[string]string{"s1": "s1:5433"}; return s }()},
		{name: "a known peer changes nothing", from: standby(), step: peerStep("n1", "p", "p:5433"), err: errUnchangedT},
		{name: "self is no peer", from: primary(), step: peerStep("n1", "n1", "n1:5433"), err: errUnchangedT},
		{name: "found a cluster", from: State{Role: hastate.Primary}, step: foundStep("c9"),
			want: State{Role: hastate.Primary, ClusterID: "c9", History: replication.History{{Term: 1, Start: 0}}}},
		{name: "a member founds nothing", from: primary(), step: foundStep("c9"), err: errUnchangedT},
		{name: "a standby founds nothing", from: State{Role: hastate.Standby}, step: foundStep("c9"), err: errUnchangedT},
		{name: "re-seeded: cluster, history and peers from the backup, own role",
			from: State{Role: hastate.Standby, PrimaryHost: "p", PrimaryPort: 5433, ClusterID: "old", History: replication.History{{Term: 1, Start: 0}}},
			step: func(s State) (State, error) {
				return s.Reseeded(leased(State{Role: hastate.Primary, ClusterID: "c1", History: primary().History, Peers: map[string]string{"s2": "s2:1"}}, t0)), nil
			},
			want: State{Role: hastate.Standby, PrimaryHost: "p", PrimaryPort: 5433, ClusterID: "c1", History: primary().History, Peers: map[string]string{"s2": "s2:1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := deepCopy(tc.from)
			got, err := tc.step(tc.from)
			if !equal(tc.from, before) {
				t.Fatalf("the transition changed its receiver: %+v, was %+v", tc.from, before)
			}
			if tc.err != nil {
				if err == nil || (tc.err != errAny && !errors.Is(err, tc.err)) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				if !equal(got, tc.from) {
					t.Fatalf("a refused transition returned %+v, not its receiver", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !equal(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
			// The result shares nothing mutable with the receiver.
			if len(got.History) > 0 && len(tc.from.History) > 0 && &got.History[0] == &tc.from.History[0] && !slices.Equal(got.History, tc.from.History) {
				t.Fatal("history shared with the receiver")
			}
		})
	}
}

var (
	errAny        = errors.New("any error")
	errUnchangedT = errors.New("unchanged")
)

func fenceStep(term uint64, by string) func(State) (State, error) {
	return func(s State) (State, error) { return okOrUnchanged(s.Fence(term, by)) }
}

func peerStep(self, id, addr string) func(State) (State, error) {
	return func(s State) (State, error) { return okOrUnchanged(s.AddPeer(self, id, addr)) }
}

func foundStep(id string) func(State) (State, error) {
	return func(s State) (State, error) { return okOrUnchanged(s.Found(id)) }
}

func okOrUnchanged(s State, ok bool) (State, error) {
	if !ok {
		return s, errUnchangedT
	}
	return s, nil
}

func deepCopy(s State) State { return s.clone() }

func equal(a, b State) bool {
	return a.Record().Equal(b.Record()) && a.LeaseUntil.Equal(b.LeaseUntil) && a.LeaseHolder == b.LeaseHolder &&
		a.FencedTerm == b.FencedTerm && a.FencedBy == b.FencedBy
}

func TestWritableAndStanding(t *testing.T) {
	for _, tc := range []struct {
		name     string
		s        State
		now      time.Time
		writable bool
		policy   replication.DegradePolicy
		lapsed   bool
	}{
		{"a primary without a lease", primary(), t0, true, replication.DegradeOnTimeout, false},
		{"a standby", standby(), t0, false, replication.DegradeNever, false},
		{"a fenced primary", fenced(primary()), t0, false, replication.DegradeNever, false},
		{"a leased primary before expiry", leased(primary(), t0.Add(time.Second)), t0, true, replication.DegradeApproved, false},
		{"a leased primary at expiry", leased(primary(), t0), t0, false, replication.DegradeApproved, true},
		{"a leased primary after expiry", leased(primary(), t0), t0.Add(time.Minute), false, replication.DegradeApproved, true},
		{"a restarted leased primary (no grant yet)", leased(primary(), time.Time{}), t0, false, replication.DegradeApproved, true},
		{"a leased, fenced primary", fenced(leased(primary(), t0.Add(time.Hour))), t0, false, replication.DegradeNever, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.Writable(tc.now); got != tc.writable {
				t.Errorf("Writable = %t", got)
			}
			ro, hint := tc.s.ReadOnly("n1", tc.now)
			if ro == tc.writable || (ro && hint == "") {
				t.Errorf("ReadOnly = %t, %q", ro, hint)
			}
			st := tc.s.Standing(tc.now)
			if st.Policy != tc.policy || st.LeaseLapsed != tc.lapsed {
				t.Errorf("Standing = %+v, want %s lapsed %t", st, tc.policy, tc.lapsed)
			}
		})
	}
}

func TestLeaseLapsedSince(t *testing.T) {
	s := leased(primary(), t0)
	if lapsed, since := s.LeaseLapsed(t0.Add(1500 * time.Millisecond)); !lapsed || since != 1500*time.Millisecond {
		t.Fatalf("lapsed %t since %s", lapsed, since)
	}
	if lapsed, _ := s.LeaseLapsed(t0.Add(-time.Nanosecond)); lapsed {
		t.Fatal("lapsed before its end")
	}
	ro, hint := s.ReadOnly("n1", t0.Add(time.Second))
	if !ro || !contains(hint, "lapsed 1s ago") || !contains(hint, "proxy1") {
		t.Fatalf("hint %q", hint)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// store is storage's node-local bucket: SetLocals is one transaction, so
// a crash leaves all of a write or none of it.
type store map[string][]byte

func (m store) get(k string) []byte { return m[k] }

func (m store) setLocals(w map[string][]byte) {
	for k, v := range w {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
}

// TestCrashPoints runs every transition the node persists, over the
// store, crashing before and after its one write: what loads is the
// state before or the state after, never a mix, and the volatile part
// (lease expiry) is gone; fencing is not volatile (TestFenceCrashPoints).
func TestCrashPoints(t *testing.T) {
	steps := []struct {
		name string
		step func(State) (State, error)
	}{
		{"found", foundStep("c1")},
		{"grant a lease", func(s State) (State, error) { return s.GrantLease("n1", 1, t0, time.Second, "proxy1", time.Time{}) }},
		{"add a peer", peerStep("n1", "s1", "s1:6433")},
		{"fence", fenceStep(2, "s1")},
		{"lift the lease", func(s State) (State, error) { return s.LiftLease(), nil }},
		{"demote", func(s State) (State, error) { return s.Demote("s1", 6433) }},
		{"adopt a history", func(s State) (State, error) {
			return s.AdoptHistory(replication.History{{Term: 1, Start: 0}, {Term: 2, Start: 700}})
		}},
		{"promote", func(s State) (State, error) { return s.Promote(900, 0) }},
		{"grant again", func(s State) (State, error) { return s.GrantLease("n1", 3, t0, time.Second, "proxy1", time.Time{}) }},
	}
	cur := Initial(hastate.Primary, "ignored", 1)
	disk := store{}
	disk.setLocals(cur.Record().Writes())
	for _, st := range steps {
		next, err := st.step(cur)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		// Crash before the write: the previous state loads.
		if l, err := Decode(disk.get); err != nil || !l.Record.Equal(cur.Record()) || l.Old {
			t.Fatalf("%s, crash before: loaded %+v (%v), want %+v", st.name, l.Record, err, cur.Record())
		}
		if !next.Record().Equal(cur.Record()) {
			disk.setLocals(next.Record().Writes())
		}
		// Crash after: the next one, without its volatile parts.
		l, err := Decode(disk.get)
		if err != nil || !l.Record.Equal(next.Record()) {
			t.Fatalf("%s, crash after: loaded %+v (%v), want %+v", st.name, l.Record, err, next.Record())
		}
		if got := l.Record.State(); !got.LeaseUntil.IsZero() || got.FencedTerm != next.FencedTerm {
			t.Fatalf("%s: volatile state persisted: %+v", st.name, got)
		}
		cur = next
	}
	if cur.Role != hastate.Primary || cur.Term() != 3 || !cur.Leased || cur.Peers["s1"] != "s1:6433" {
		t.Fatalf("end state %+v", cur)
	}
	if len(disk) != 1 {
		t.Fatalf("keys on disk: %v, want only %q", slices.Sorted(maps.Keys(disk)), Key)
	}
}

// TestFenceCrashPoints: a primary is fenced, then crashes before or after
// the next step is recorded. Either way it loads fenced unless the step
// that was recorded lifts the fence (a demotion: the new role and the
// cleared fence are one write) — before, the fence was volatile and a
// fenced primary that restarted while its peers were unreachable took
// writes again.
func TestFenceCrashPoints(t *testing.T) {
	for _, tc := range []struct {
		name       string
		step       func(State) (State, error) // nil: a crash right after fencing
		wantFenced bool                       // after the step was recorded
		wantTerm   uint64                     // FencedTerm then
	}{
		{name: "restart (no next step)", wantFenced: true, wantTerm: 3},
		{name: "a peer connects", step: peerStep("n1", "s2", "s2:6433"), wantFenced: true, wantTerm: 3},
		{name: "a newer term is seen", step: fenceStep(4, "s3"), wantFenced: true, wantTerm: 4},
		{name: "the operator lifts the lease", step: func(s State) (State, error) { return s.LiftLease(), nil }, wantFenced: true, wantTerm: 3},
		{name: "demoted to follow the new primary", step: func(s State) (State, error) { return s.Demote("n2", 6433) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			disk := store{}
			cur := primary()
			disk.setLocals(cur.Record().Writes())
			f, ok := cur.Fence(3, "n2")
			if !ok {
				t.Fatal("Fence changed nothing")
			}
			disk.setLocals(f.Record().Writes()) // the node's update: one write
			check := func(when string, wantFenced bool, wantTerm uint64) {
				t.Helper()
				l, err := Decode(disk.get)
				if err != nil {
					t.Fatalf("%s: %v", when, err)
				}
				got := l.Record.State()
				if got.Fenced() != wantFenced || got.FencedTerm != wantTerm {
					t.Fatalf("%s: loaded fenced=%v term %d (%+v), want fenced=%v term %d", when, got.Fenced(), got.FencedTerm, got, wantFenced, wantTerm)
				}
				ro, hint := got.ReadOnly("n1", t0)
				if wantFenced && (!ro || !strings.Contains(hint, "fenced")) {
					t.Fatalf("%s: a fenced primary loads writable (%v, %q)", when, ro, hint)
				}
				if got.Leaseable("n1", got.Term()) == nil && wantFenced {
					t.Fatalf("%s: a fenced primary takes a lease", when)
				}
			}
			check("crash after fencing, before the next step", true, 3)
			if tc.step == nil {
				return
			}
			next, err := tc.step(f)
			if err != nil {
				t.Fatal(err)
			}
			if !next.Record().Equal(f.Record()) {
				disk.setLocals(next.Record().Writes())
			}
			check("crash after the next step", tc.wantFenced, tc.wantTerm)
		})
	}
}

// TestDecodeOldKeys loads the layout before the record, at every crash
// point of the code that wrote it (each key was its own transaction), and
// checks that writing the migration leaves only the record, which loads
// the same.
func TestDecodeOldKeys(t *testing.T) {
	h2 := `[{"term":1,"start_lsn":"0/0"},{"term":2,"start_lsn":"0/64"}]`
	h3 := `[{"term":1,"start_lsn":"0/0"},{"term":2,"start_lsn":"0/64"},{"term":3,"start_lsn":"0/1F4"}]`
	hist := func(terms ...uint64) replication.History {
		all := replication.History{{Term: 1, Start: 0}, {Term: 2, Start: 100}, {Term: 3, Start: 500}}
		return all[:len(terms)]
	}
	for _, tc := range []struct {
		name      string
		old       map[string]string
		want      Record
		roleFound bool
		err       bool
	}{
		{name: "new data dir", old: map[string]string{}, want: Record{}},
		{name: "first start: crash after the role, before the identity",
			old: map[string]string{"role": `{"role":"primary"}`}, want: Record{Role: hastate.Primary}, roleFound: true},
		{name: "founding: crash after the history, before the cluster id",
			old:  map[string]string{"role": `{"role":"primary"}`, "term_history": `[{"term":1,"start_lsn":"0/0"}]`},
			want: Record{Role: hastate.Primary, History: hist(1)}, roleFound: true},
		{name: "a standby of term 2",
			old:  map[string]string{"role": `{"role":"standby","primary_host":"p","primary_port":5433}`, "cluster_id": "c1", "term_history": h2},
			want: Record{Role: hastate.Standby, PrimaryHost: "p", PrimaryPort: 5433, ClusterID: "c1", History: hist(1, 2)}, roleFound: true},
		{name: "promotion: crash after the new term, before the role (loads as the old code did)",
			old:  map[string]string{"role": `{"role":"standby","primary_host":"p","primary_port":5433}`, "cluster_id": "c1", "term_history": h3},
			want: Record{Role: hastate.Standby, PrimaryHost: "p", PrimaryPort: 5433, ClusterID: "c1", History: hist(1, 2, 3)}, roleFound: true},
		{name: "promotion done",
			old:  map[string]string{"role": `{"role":"primary"}`, "cluster_id": "c1", "term_history": h3},
			want: Record{Role: hastate.Primary, ClusterID: "c1", History: hist(1, 2, 3)}, roleFound: true},
		{name: "a leased primary with peers",
			old:  map[string]string{"role": `{"role":"primary","leased":true}`, "cluster_id": "c1", "term_history": h2, "peers": `{"s1":"s1:6433"}`},
			want: Record{Role: hastate.Primary, Leased: true, ClusterID: "c1", History: hist(1, 2), Peers: map[string]string{"s1": "s1:6433"}}, roleFound: true},
		{name: "an unreadable peer list is dropped",
			old:  map[string]string{"role": `{"role":"primary"}`, "cluster_id": "c1", "term_history": h2, "peers": `{`},
			want: Record{Role: hastate.Primary, ClusterID: "c1", History: hist(1, 2)}, roleFound: true},
		{name: "identity without a role (a data dir from before roles were recorded)",
			old:  map[string]string{"cluster_id": "c1", "term_history": h2},
			want: Record{ClusterID: "c1", History: hist(1, 2)}},
		{name: "unreadable role", old: map[string]string{"role": `{"role":"leader"}`}, err: true},
		{name: "unreadable history", old: map[string]string{"role": `{"role":"primary"}`, "term_history": `[{"term":2,"start_lsn":"0/0"},{"term":1,"start_lsn":"0/0"}]`}, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			disk := store{}
			for k, v := range tc.old {
				disk[k] = []byte(v)
			}
			l, err := Decode(disk.get)
			if tc.err {
				if err == nil {
					t.Fatalf("loaded %+v", l)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !l.Record.Equal(tc.want) || l.RoleFound != tc.roleFound || l.Old != (len(tc.old) > 0) {
				t.Fatalf("loaded %+v (role found %t, old %t), want %+v (role found %t)", l.Record, l.RoleFound, l.Old, tc.want, tc.roleFound)
			}
			if !l.RoleFound {
				return // the node records the flags' role first
			}
			disk.setLocals(l.Record.Writes())
			if len(disk) != 1 || disk[Key] == nil {
				t.Fatalf("after the migration: keys %v", slices.Sorted(maps.Keys(disk)))
			}
			again, err := Decode(disk.get)
			if err != nil || !again.Record.Equal(tc.want) || again.Old || !again.RoleFound {
				t.Fatalf("migrated record loads as %+v (old %t, %v)", again.Record, again.Old, err)
			}
		})
	}
}

func TestDecodeRecordErrors(t *testing.T) {
	for _, raw := range []string{`{`, `{"role":"leader"}`, `{"role":"primary","term_history":[{"term":2,"start_lsn":"0/0"},{"term":1,"start_lsn":"0/0"}]}`} {
		if l, err := Decode(store{Key: []byte(raw)}.get); err == nil {
			t.Errorf("%s loaded as %+v", raw, l.Record)
		}
	}
	// The record wins over leftover old keys.
	disk := store{Key: Record{Role: hastate.Standby, PrimaryHost: "p", PrimaryPort: 1}.Encode(), "role": []byte(`{"role":"primary"}`)}
	if l, err := Decode(disk.get); err != nil || l.Record.Role != hastate.Standby || l.Old {
		t.Fatalf("loaded %+v, %v", l, err)
	}
}
