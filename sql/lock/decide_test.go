package lock

import (
	"reflect"
	"testing"
)

func TestConflictTableMatchesPostgreSQL(t *testing.T) {
	// Rows: requested; columns: held. From the PostgreSQL 15 manual,
	// table 13.3 "Conflicting Row-Level Locks".
	want := map[[2]Mode]bool{}
	x := true
	for _, c := range []struct {
		req  Mode
		held [4]bool // KeyShare, Share, NoKeyUpdate, Update
	}{
		{ForKeyShare, [4]bool{false, false, false, x}},
		{ForShare, [4]bool{false, false, x, x}},
		{ForNoKeyUpdate, [4]bool{false, x, x, x}},
		{ForUpdate, [4]bool{x, x, x, x}},
	} {
		for h := Mode(0); h < numRowModes; h++ {
			want[[2]Mode{h, c.req}] = c.held[h]
		}
	}
	for k, v := range want {
		if Conflicts(k[0], k[1]) != v {
			t.Errorf("Conflicts(held %v, want %v) = %v, want %v", k[0], k[1], !v, v)
		}
	}
}

func TestGrantable(t *testing.T) {
	h := func(o OwnerID, s Scope, m Mode) holder {
		x := holder{owner: o}
		x.counts[s][m] = 1
		return x
	}
	w := func(o OwnerID, m Mode) *waiter { return &waiter{owner: o, mode: m} }
	cases := []struct {
		name string
		e    entry
		o    OwnerID
		m    Mode
		want bool
	}{
		{"free", entry{}, 1, ForUpdate, true},
		{"held by other, conflicting", entry{holders: []holder{h(2, Xact, ForNoKeyUpdate)}}, 1, ForNoKeyUpdate, false},
		{"held by other, compatible", entry{holders: []holder{h(2, Xact, ForKeyShare)}}, 1, ForNoKeyUpdate, true},
		{"held by self", entry{holders: []holder{h(1, Xact, ForUpdate)}}, 1, ForUpdate, true},
		{"shared holders", entry{holders: []holder{h(2, Session, ForShare), h(3, Xact, ForShare)}}, 1, ForShare, true},
		{"upgrade blocked by other sharer", entry{holders: []holder{h(1, Xact, ForShare), h(2, Xact, ForShare)}}, 1, ForUpdate, false},
		{"queued writer ahead blocks a sharer", entry{holders: []holder{h(2, Xact, ForShare)}, queue: []*waiter{w(3, ForUpdate)}}, 1, ForShare, false},
		{"holder ignores the queue", entry{holders: []holder{h(1, Xact, ForShare)}, queue: []*waiter{w(3, ForUpdate)}}, 1, ForShare, true},
		{"compatible queue", entry{holders: []holder{h(2, Xact, ForKeyShare)}, queue: []*waiter{w(3, ForKeyShare)}}, 1, ForShare, true},
	}
	for _, c := range cases {
		if got := c.e.grantable(c.o, c.m, len(c.e.queue)); got != c.want {
			t.Errorf("%s: grantable = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestWakeableQueueOrder(t *testing.T) {
	// Owner 1 released its exclusive lock: the two sharers at the head are
	// granted together, the writer behind them and the sharer behind the
	// writer stay queued (no overtaking a conflicting waiter).
	e := entry{queue: []*waiter{
		{owner: 2, mode: ForShare}, {owner: 3, mode: ForShare},
		{owner: 4, mode: ForUpdate}, {owner: 5, mode: ForShare},
	}}
	var got []OwnerID
	for _, w := range e.wakeable() {
		got = append(got, w.owner)
	}
	if !reflect.DeepEqual(got, []OwnerID{2, 3}) {
		t.Fatalf("woken %v, want [2 3]", got)
	}
	if len(e.queue) != 2 || e.queue[0].owner != 4 || e.queue[1].owner != 5 {
		t.Fatalf("queue left %v", e.queue)
	}
	if len(e.holders) != 2 {
		t.Fatalf("holders %v", e.holders)
	}
}

func TestBlockers(t *testing.T) {
	w4 := &waiter{owner: 4, mode: ForUpdate}
	w5 := &waiter{owner: 5, mode: ForKeyShare}
	e := entry{holders: []holder{{owner: 2}, {owner: 3}}, queue: []*waiter{w4, w5}}
	e.holders[0].counts[Xact][ForShare] = 1
	e.holders[1].counts[Xact][ForKeyShare] = 1
	if got := e.blockers(w4); !reflect.DeepEqual(got, []OwnerID{2, 3}) {
		t.Errorf("blockers(writer) = %v", got)
	}
	// A key-sharer is blocked neither by sharers nor... but by the queued
	// writer ahead of it.
	if got := e.blockers(w5); !reflect.DeepEqual(got, []OwnerID{4}) {
		t.Errorf("blockers(key sharer) = %v", got)
	}
}

func TestFindCycle(t *testing.T) {
	graph := func(g map[OwnerID][]OwnerID) func(OwnerID) []OwnerID {
		return func(o OwnerID) []OwnerID { return g[o] }
	}
	cases := []struct {
		name  string
		g     map[OwnerID][]OwnerID
		start OwnerID
		want  []OwnerID
	}{
		{"none", map[OwnerID][]OwnerID{1: {2}, 2: {3}}, 1, nil},
		{"two", map[OwnerID][]OwnerID{1: {2}, 2: {1}}, 1, []OwnerID{1, 2}},
		{"three", map[OwnerID][]OwnerID{1: {2}, 2: {3}, 3: {1}}, 1, []OwnerID{1, 2, 3}},
		{"cycle not through start", map[OwnerID][]OwnerID{1: {2}, 2: {3}, 3: {2}}, 1, nil},
		{"branch", map[OwnerID][]OwnerID{1: {5, 2}, 5: {6}, 2: {1}}, 1, []OwnerID{1, 2}},
	}
	for _, c := range cases {
		if got := findCycle(c.start, graph(c.g)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: findCycle = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestTableConflictTableMatchesPostgreSQL(t *testing.T) {
	// Rows: requested; columns: held, ACCESS SHARE … ACCESS EXCLUSIVE. From
	// the PostgreSQL 15 manual, table 13.2 "Conflicting Lock Modes".
	rows := []string{
		".......X",
		"......XX",
		"....XXXX",
		"...XXXXX",
		"..XX.XXX",
		"..XXXXXX",
		".XXXXXXX",
		"XXXXXXXX",
	}
	for r, row := range rows {
		req, _ := TableModeByNumber(r + 1)
		for c := range row {
			held, _ := TableModeByNumber(c + 1)
			if got, want := Conflicts(held, req), row[c] == 'X'; got != want {
				t.Errorf("Conflicts(held %v, requested %v) = %v, want %v", held, req, got, want)
			}
		}
		for m := Mode(0); m < numRowModes; m++ {
			if Conflicts(m, req) || Conflicts(req, m) {
				t.Errorf("row mode %v conflicts with table mode %v", m, req)
			}
		}
	}
	if !covers(AccessExclusive, RowExclusive) || covers(RowExclusive, Share) || !covers(ExclusiveTable, RowShare) ||
		covers(ForUpdate, AccessShare) {
		t.Error("covers")
	}
}

func TestEarlyDeadlock(t *testing.T) {
	h := func(o OwnerID, m Mode) holder {
		x := holder{owner: o}
		x.counts[Xact][m] = 1
		return x
	}
	w := &waiter{owner: 2, mode: RowExclusive}
	cases := []struct {
		name string
		e    entry
		want *waiter
	}{
		{"both hold SHARE, the other queued for ROW EXCLUSIVE", entry{holders: []holder{h(1, Share), h(2, Share)}, queue: []*waiter{w}}, w},
		{"not a holder", entry{holders: []holder{h(2, Share)}, queue: []*waiter{w}}, nil},
		{"my holding does not block the waiter", entry{holders: []holder{h(1, AccessShare), h(2, Share)}, queue: []*waiter{w}}, nil},
		{"the waiter's holding does not block me", entry{holders: []holder{h(1, Share), h(2, AccessShare)}, queue: []*waiter{w}}, nil},
	}
	for _, c := range cases {
		if got := c.e.earlyDeadlock(1, RowExclusive); got != c.want {
			t.Errorf("%s: earlyDeadlock = %v, want %v", c.name, got, c.want)
		}
	}
}
