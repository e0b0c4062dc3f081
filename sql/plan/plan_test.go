package plan

import (
	"reflect"
	"testing"
)

func TestChooseAccess(t *testing.T) {
	pk := Key{Index: -1, Cols: []int{0}, Unique: true}
	pk2 := Key{Index: -1, Cols: []int{0, 1}, Unique: true}
	ixB := Key{Index: 0, Cols: []int{1}}
	hidden := Key{Index: -1, Cols: []int{3}, Unique: true, Hidden: true}
	full := Access{Key: -1, In: -1, Between: -1, Lo: -1, Hi: -1}
	for _, tc := range []struct {
		name  string
		keys  []Key
		preds []KeyPred
		want  Access
	}{
		{"no predicates", []Key{pk}, nil, full},
		{"pk equality", []Key{pk, ixB}, []KeyPred{{Col: 1, Op: OpGt}, {Col: 0, Op: OpEq}},
			Access{Key: 0, Eq: []int{1}, In: -1, Between: -1, Lo: -1, Hi: -1, Score: 15}},
		{"index equality beats pk range", []Key{pk, ixB}, []KeyPred{{Col: 0, Op: OpLt}, {Col: 1, Op: OpEq}},
			Access{Key: 1, Eq: []int{1}, In: -1, Between: -1, Lo: -1, Hi: -1, Score: 15}},
		{"pk IN list", []Key{pk}, []KeyPred{{Col: 0, Op: OpIn, N: 3}},
			Access{Key: 0, In: 0, Between: -1, Lo: -1, Hi: -1, Score: 8}},
		{"IN not on a composite key", []Key{pk2}, []KeyPred{{Col: 0, Op: OpIn, N: 3}}, full},
		{"equality prefix then range", []Key{pk2}, []KeyPred{{Col: 1, Op: OpGe}, {Col: 0, Op: OpEq}, {Col: 1, Op: OpLt}},
			Access{Key: 0, Eq: []int{1}, In: -1, Between: -1, Lo: 0, Hi: 2, Score: 14}},
		{"between", []Key{pk}, []KeyPred{{Col: 0, Op: OpBetween}},
			Access{Key: 0, In: -1, Between: 0, Lo: -1, Hi: -1, Score: 4}},
		{"hidden key never used", []Key{hidden}, []KeyPred{{Col: 3, Op: OpEq}}, full},
		{"tie keeps the primary key", []Key{pk, {Index: 0, Cols: []int{0}, Unique: true}}, []KeyPred{{Col: 0, Op: OpEq}},
			Access{Key: 0, Eq: []int{0}, In: -1, Between: -1, Lo: -1, Hi: -1, Score: 15}},
		{"non-leading column unusable", []Key{pk2}, []KeyPred{{Col: 1, Op: OpEq}}, full},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ChooseAccess(tc.keys, tc.preds)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ChooseAccess = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func eq(r1, c1, r2, c2 int) Conjunct {
	return Conjunct{Refs: Rel(r1) | Rel(r2), Equi: &[2]ColRef{{r1, c1}, {r2, c2}}}
}

func constEq(r, c int) Conjunct {
	return Conjunct{Refs: Rel(r), Key: &KeyPred{Col: c, Op: OpEq}}
}

func TestPlanJoinOrder(t *testing.T) {
	pk := func() []Key { return []Key{{Index: -1, Cols: []int{0}, Unique: true}} }
	noKey := func() []Key { return []Key{{Index: -1, Cols: []int{9}, Unique: true, Hidden: true}} }
	for _, tc := range []struct {
		name      string
		rels      []Relation
		conj      []Conjunct
		wantOrder []int
		wantAlgo  []Algo
	}{
		{
			name:      "single relation",
			rels:      []Relation{{Rows: 10}},
			conj:      []Conjunct{constEq(0, 1), {Refs: 0}},
			wantOrder: []int{0},
		},
		{
			name: "filtered small side first, hash join without keys",
			rels: []Relation{{Name: "big", Rows: 1000, Keys: noKey()}, {Name: "small", Rows: 1000, Keys: noKey()}},
			conj: []Conjunct{eq(0, 1, 1, 1), constEq(1, 2)},
			// small (filtered to ~32 rows) builds... it is the outer; the
			// big side is hashed once.
			wantOrder: []int{1, 0},
			wantAlgo:  []Algo{HashJoin},
		},
		{
			name:      "index lookup into a primary key",
			rels:      []Relation{{Name: "a", Rows: 1000, Keys: pk()}, {Name: "b", Rows: 1000, Keys: noKey()}},
			conj:      []Conjunct{eq(0, 0, 1, 1), constEq(1, 2)},
			wantOrder: []int{1, 0},
			wantAlgo:  []Algo{IndexLookup},
		},
		{
			name: "no cross product while a joined relation is left",
			rels: []Relation{{Rows: 10, Keys: noKey()}, {Rows: 10, Keys: noKey()}, {Rows: 10, Keys: noKey()}},
			// 0-1 and 1-2 joined; 0 is the most filtered
			conj:      []Conjunct{eq(0, 1, 1, 1), eq(1, 2, 2, 2), constEq(0, 3), constEq(0, 4)},
			wantOrder: []int{0, 1, 2},
			wantAlgo:  []Algo{HashJoin, HashJoin},
		},
		{
			name: "a unique key equality makes a relation one row: it goes first",
			rels: []Relation{{Name: "big", Rows: 5000, Keys: noKey()}, {Name: "one", Rows: 5000, Keys: pk()}},
			conj: []Conjunct{eq(0, 1, 1, 1), constEq(0, 2), constEq(1, 0)},
			// without the unique key, both sides would be ~70 rows
			wantOrder: []int{1, 0},
			wantAlgo:  []Algo{HashJoin},
		},
		{
			name: "both read in key order and joined on their key columns: merge join",
			rels: []Relation{{Name: "a", Rows: 5000, Keys: pk(), Ordered: true}, {Name: "b", Rows: 5000, Keys: pk(), Ordered: true}},
			conj: []Conjunct{eq(0, 0, 1, 0), eq(0, 2, 1, 2)},
			// no table to build (hash) and no descent per row (lookup)
			wantOrder: []int{0, 1},
			wantAlgo:  []Algo{MergeJoin},
		},
		{
			name:      "merge needs the ordered columns equated: a.x = b.id is looked up",
			rels:      []Relation{{Name: "a", Rows: 5000, Keys: pk(), Ordered: true}, {Name: "b", Rows: 5000, Keys: pk(), Ordered: true}},
			conj:      []Conjunct{eq(0, 1, 1, 0), constEq(0, 2)},
			wantOrder: []int{0, 1},
			wantAlgo:  []Algo{IndexLookup},
		},
		{
			name: "a few outer rows: index lookups beat reading the inner side",
			rels: []Relation{{Name: "a", Rows: 5000, Keys: pk(), Ordered: true}, {Name: "b", Rows: 5000, Keys: pk(), Ordered: true}},
			conj: []Conjunct{eq(0, 0, 1, 0), constEq(0, 2)},
			// a filtered to ~71 rows: 71 lookups, not 5000 rows merged
			wantOrder: []int{0, 1},
			wantAlgo:  []Algo{IndexLookup},
		},
		{
			name:      "only the first step merges: the outer of the next is a join",
			rels:      []Relation{{Rows: 5000, Keys: noKey(), Ordered: true}, {Rows: 5000, Keys: noKey(), Ordered: true}, {Rows: 5000, Keys: noKey(), Ordered: true}},
			conj:      []Conjunct{eq(0, 0, 1, 0), eq(1, 0, 2, 0)},
			wantOrder: []int{0, 1, 2},
			wantAlgo:  []Algo{MergeJoin, HashJoin},
		},
		{
			name:      "cross join of unrelated relations",
			rels:      []Relation{{Rows: 5, Keys: noKey()}, {Rows: 100, Keys: noKey()}},
			conj:      nil,
			wantOrder: []int{1, 0}, // the smaller side is the one materialised
			wantAlgo:  []Algo{NestedLoop},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := PlanJoin(tc.rels, tc.conj)
			if got := p.Order(); !reflect.DeepEqual(got, tc.wantOrder) {
				t.Fatalf("order %v, want %v (plan %+v)", got, tc.wantOrder, p)
			}
			var algos []Algo
			for _, s := range p.Steps {
				algos = append(algos, s.Algo)
			}
			if !reflect.DeepEqual(algos, tc.wantAlgo) {
				t.Fatalf("algorithms %v, want %v", algos, tc.wantAlgo)
			}
		})
	}
}

// TestPlanJoinPlacement checks where each conjunct is evaluated.
func TestPlanJoinPlacement(t *testing.T) {
	rels := []Relation{{Rows: 10}, {Rows: 10}, {Rows: 10}}
	conj := []Conjunct{
		constEq(2, 0),                       // 0: scan of 2
		eq(0, 1, 2, 1),                      // 1: join key
		{Refs: Rel(0) | Rel(1) | Rel(2)},    // 2: filter at the last step
		{Refs: 0},                           // 3: constant: scan of the first
		{Refs: Rel(0) | Rel(1), Late: true}, // 4: final
		eq(0, 2, 1, 2),                      // 5: join key
	}
	p := PlanJoin(rels, conj)
	scanned, keyed, filtered := map[int]int{}, map[int]bool{}, map[int]bool{}
	for r, cs := range p.Scan {
		for _, c := range cs {
			scanned[c] = r
		}
	}
	for i, s := range p.Steps {
		for _, k := range s.Keys {
			keyed[k] = true
		}
		for _, f := range s.Filter {
			filtered[f] = true
			if f == 2 && i != len(p.Steps)-1 {
				t.Errorf("three-relation conjunct evaluated at step %d of %d", i, len(p.Steps))
			}
		}
	}
	if r, ok := scanned[0]; !ok || r != 2 {
		t.Errorf("conjunct 0 scanned on %d, %v; want relation 2", r, ok)
	}
	if r, ok := scanned[3]; !ok || r != p.First {
		t.Errorf("constant conjunct on %d, %v; want the first relation %d", r, ok, p.First)
	}
	if !reflect.DeepEqual(p.Final, []int{4}) {
		t.Errorf("final %v, want [4]", p.Final)
	}
	for _, c := range []int{1, 5} {
		if !keyed[c] && !filtered[c] {
			t.Errorf("join conjunct %d never evaluated", c)
		}
	}
	if !filtered[2] {
		t.Errorf("conjunct 2 never evaluated: %+v", p)
	}
}

// TestPlanJoinSevenTables is the shape of the slt select5 queries: seven
// small tables in a chain of equalities, each with constant predicates;
// the plan must never take a cross product and must hash or look up
// every step.
func TestPlanJoinSevenTables(t *testing.T) {
	var rels []Relation
	for i := 0; i < 7; i++ {
		rels = append(rels, Relation{Rows: 10, Keys: []Key{{Index: -1, Cols: []int{5}, Hidden: true}}})
	}
	conj := []Conjunct{constEq(4, 2), constEq(2, 0)}
	for i := 0; i+1 < 7; i++ {
		conj = append(conj, eq(i, 3, i+1, 1))
	}
	p := PlanJoin(rels, conj)
	for _, s := range p.Steps {
		if s.Algo == NestedLoop {
			t.Fatalf("nested loop in %+v", p)
		}
	}
	if p.First != 2 && p.First != 4 {
		t.Fatalf("starts at %d, want a filtered relation (2 or 4)", p.First)
	}
	// 13 relations: the greedy path
	rels = append(rels, rels[:6]...)
	for i := 6; i+1 < 13; i++ {
		conj = append(conj, eq(i, 3, i+1, 1))
	}
	p = PlanJoin(rels, conj)
	if len(p.Order()) != 13 {
		t.Fatalf("order %v", p.Order())
	}
	for _, s := range p.Steps {
		if s.Algo == NestedLoop {
			t.Fatalf("nested loop in greedy plan %+v", p)
		}
	}
}

// A conjunct over three or more relations connects no pair: the order
// must still cover every relation once (it looped forever, growing its
// order until the node ran out of memory), by DP and greedily.
func TestJoinOrderWithOnlyWideConjuncts(t *testing.T) {
	for _, n := range []int{3, 5, 13} {
		rels := make([]Relation, n)
		all := RelSet(0)
		for i := range rels {
			rels[i] = Relation{Rows: 40}
			all |= Rel(i)
		}
		p := PlanJoin(rels, []Conjunct{{Refs: all}})
		seen := RelSet(0)
		for _, r := range p.Order() {
			if r < 0 || r >= n || seen.Has(r) {
				t.Fatalf("%d relations: order %v", n, p.Order())
			}
			seen |= Rel(r)
		}
		if seen != all {
			t.Fatalf("%d relations: order %v misses some", n, p.Order())
		}
	}
}

// An outer join keeps its outer side first: a few outer rows look the
// inner side up by its key, many hash it, and without a key to look up by
// it is hashed whatever the sizes.
func TestPlanOuterJoin(t *testing.T) {
	pk := []Key{{Index: -1, Cols: []int{0}, Unique: true}}
	byCol1 := []Key{{Index: -1, Cols: []int{0}, Unique: true}, {Index: 0, Cols: []int{1}}}
	for _, tc := range []struct {
		name   string
		outer  float64
		inner  Relation
		conj   []Conjunct
		algo   Algo
		lookup int
	}{
		{"one outer row, inner primary key", 1, Relation{Rows: 100000, Keys: pk}, []Conjunct{eq(0, 3, 1, 0)}, IndexLookup, 0},
		{"one outer row, inner secondary index", 1, Relation{Rows: 100000, Keys: byCol1}, []Conjunct{eq(0, 3, 1, 1)}, IndexLookup, 1},
		{"many outer rows, small inner side", 100000, Relation{Rows: 50, Keys: pk}, []Conjunct{eq(0, 3, 1, 0)}, HashJoin, -1},
		{"no key on the joined column", 1, Relation{Rows: 100000, Keys: pk}, []Conjunct{eq(0, 3, 1, 2)}, HashJoin, -1},
		{"no equality", 10, Relation{Rows: 100, Keys: pk}, []Conjunct{{Refs: Rel(0) | Rel(1)}}, NestedLoop, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := PlanOuterJoin(tc.outer, tc.inner, tc.conj)
			if st.Rel != 1 || st.Algo != tc.algo || st.Algo == IndexLookup && st.Lookup != tc.lookup {
				t.Fatalf("step %+v, want %v (lookup %d)", st, tc.algo, tc.lookup)
			}
		})
	}
}
