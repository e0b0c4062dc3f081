package plan

import "math"

// MaxDPRelations is the most relations whose join order is searched
// exhaustively (dynamic programming over subsets); larger FROM lists are
// ordered greedily.
const MaxDPRelations = 12

// Relation describes one relation of an inner join (a FROM-list item).
type Relation struct {
	Name string  // for EXPLAIN and tests
	Rows float64 // estimated size; <= 0: unknown (DefaultRows)
	// Keys are the keys the executor can look the relation up by (primary
	// key first); nil for a relation that is not a stored table.
	Keys []Key
	// Ordered: the relation's rows come in ascending order of column
	// OrderCol (a table read in primary key order: its first key column),
	// so a merge join can read it without sorting.
	Ordered  bool
	OrderCol int
}

// ColRef is a column of a relation: its position in the FROM list and its
// ordinal in that relation.
type ColRef struct{ Rel, Col int }

// Conjunct describes one AND-ed part of a WHERE clause (or of an inner
// join's ON) by what the planner needs to know about it.
type Conjunct struct {
	Refs RelSet // the relations whose columns it reads (0: none of them)
	// Late: evaluated only once every relation is joined (it contains a
	// subquery or a volatile function, whose evaluation count must not
	// depend on the plan).
	Late bool
	// Key: on the single relation of Refs, column Op value(s) with values
	// that read no relation of this join.
	Key *KeyPred
	// Equi: a column of one relation equals a column of another, with
	// types the executor can hash and look up by.
	Equi *[2]ColRef
}

// Step joins one more relation to the rows of the relations before it.
type Step struct {
	Rel  int  // the relation joined in
	Algo Algo // how
	// Keys are the Equi conjuncts that drive a hash join, a merge join
	// (one, between the ordered columns) or an index lookup; for
	// IndexLookup they follow the key's column order.
	Keys []int
	// Lookup: for IndexLookup, the position in Relation.Keys of the key
	// looked up (Keys cover a prefix of its columns).
	Lookup int
	// Filter: the other conjuncts that become evaluable at this step.
	Filter []int
}

// JoinPlan is a left-deep join order with each step's algorithm.
type JoinPlan struct {
	// First is the relation the join starts from.
	First int
	// Scan lists, per relation (FROM-list position), the conjuncts
	// filtered while reading it: its single-relation conjuncts; the
	// conjuncts that read none of the relations go to the first one.
	Scan [][]int
	// Steps join the other relations, in order.
	Steps []Step
	// Final lists the Late conjuncts, evaluated on the joined rows.
	Final []int
	// Rows and Cost are the estimates the order was chosen by.
	Rows, Cost float64
}

// Order returns the relations in join order.
func (p *JoinPlan) Order() []int {
	o := []int{p.First}
	for _, s := range p.Steps {
		o = append(o, s.Rel)
	}
	return o
}

// PlanJoin orders an inner join of rels under conj and picks each step's
// algorithm by the cost model (cost.go). It never plans a cross product
// while a relation joined by a predicate is left. len(rels) must be
// between 1 and MaxRelations.
func PlanJoin(rels []Relation, conj []Conjunct) JoinPlan {
	n := len(rels)
	if n == 0 || n > MaxRelations {
		panic("plan: PlanJoin needs 1 to 64 relations")
	}
	j := newJoinSpace(rels, conj)
	var order []int
	if n <= MaxDPRelations {
		order = j.dpOrder()
	} else {
		order = j.greedyOrder()
	}
	return j.build(order)
}

// PlanOuterJoin chooses how a join whose order its kind fixes (a LEFT
// JOIN, or an inner join planned on its own) reads its inner relation for
// outer rows estimated at outerRows: by the cost model, a hash join on the
// Equi conjuncts or index lookups into one of inner's keys; NestedLoop
// when no Equi conjunct joins them. In conj, relation 0 is the outer side
// and 1 the inner.
func PlanOuterJoin(outerRows float64, inner Relation, conj []Conjunct) Step {
	j := newJoinSpace([]Relation{{Rows: outerRows}, inner}, conj)
	st, _, _ := j.step(Rel(0), j.filtered[0], 1)
	return st
}

// joinSpace holds the derived facts of one PlanJoin call.
type joinSpace struct {
	rels     []Relation
	conj     []Conjunct
	base     []float64 // each relation's size
	filtered []float64 // each relation's size after its own conjuncts
	multi    []int     // conjuncts over two or more relations, not Late
	all      RelSet
}

func newJoinSpace(rels []Relation, conj []Conjunct) *joinSpace {
	j := &joinSpace{rels: rels, conj: conj, all: RelSet(1)<<uint(len(rels)) - 1}
	if len(rels) == MaxRelations {
		j.all = ^RelSet(0)
	}
	j.base = make([]float64, len(rels))
	j.filtered = make([]float64, len(rels))
	for i, r := range rels {
		j.base[i] = r.Rows
		if j.base[i] <= 0 {
			j.base[i] = DefaultRows
		}
		j.filtered[i] = j.base[i]
	}
	for ci, c := range conj {
		if c.Late {
			continue
		}
		if i, ok := c.Refs.Single(); ok {
			sel := selOther
			if c.Key != nil {
				sel = Selectivity(*c.Key, j.base[i])
			}
			j.filtered[i] *= sel
			continue
		}
		if c.Refs.Len() > 1 {
			j.multi = append(j.multi, ci)
		}
	}
	// An equality on every column of a unique key finds one row at most.
	preds := make([][]KeyPred, len(rels))
	for _, c := range conj {
		if i, ok := c.Refs.Single(); ok && c.Key != nil && !c.Late {
			preds[i] = append(preds[i], *c.Key)
		}
	}
	for i, r := range rels {
		if len(preds[i]) > 0 && ChooseAccess(r.Keys, preds[i]).Unique(r.Keys) {
			j.filtered[i] = 1
		}
		j.filtered[i] = math.Max(j.filtered[i], 1)
	}
	return j
}

// joinSel is the selectivity of the multi-relation conjuncts that become
// evaluable when r joins set s.
func (j *joinSpace) joinSel(s RelSet, r int) (sel float64, connected bool) {
	sel = 1
	ns := s | Rel(r)
	for _, ci := range j.multi {
		c := j.conj[ci]
		if !c.Refs.Has(r) || !c.Refs.SubsetOf(ns) {
			continue
		}
		connected = true
		if c.Equi != nil {
			sel *= joinSelectivity(j.base[c.Equi[0].Rel], j.base[c.Equi[1].Rel])
		} else {
			sel *= selOther
		}
	}
	return sel, connected
}

// connectedToAny reports whether some relation outside s is joined to s
// by a predicate.
func (j *joinSpace) connectedToAny(s RelSet) bool {
	for _, ci := range j.multi {
		r := j.conj[ci].Refs
		if r&s != 0 && r&^s != 0 {
			return true
		}
	}
	return false
}

// step chooses the algorithm for joining r to s (outer rows of s) and
// returns its cost and the rows it produces.
func (j *joinSpace) step(s RelSet, outer float64, r int) (Step, float64, float64) {
	sel, _ := j.joinSel(s, r)
	out := math.Max(outer*j.filtered[r]*sel, 1)
	st := Step{Rel: r, Algo: NestedLoop, Lookup: -1}
	best := stepCost(NestedLoop, outer, j.filtered[r], out)
	equi := j.equiKeys(s, r)
	if len(equi) > 0 {
		if c := stepCost(HashJoin, outer, j.filtered[r], out); c < best {
			best, st.Algo, st.Keys = c, HashJoin, equi
		}
	}
	if ci := j.mergeKey(s, r, equi); ci >= 0 {
		if c := stepCost(MergeJoin, outer, j.filtered[r], out); c < best {
			best, st.Algo, st.Keys = c, MergeJoin, []int{ci}
		}
	}
	for ki, k := range j.rels[r].Keys {
		keys := j.lookupKeys(k, equi, r)
		if len(keys) == 0 {
			continue
		}
		fetched := 1.0
		if !k.Unique || len(keys) < len(k.Cols) {
			fetched = math.Max(1, j.base[r]/math.Max(outer, 1))
			fetched = math.Min(fetched, j.base[r])
		}
		c := outer*(lookupCost+fetched) + out
		if c < best {
			best, st.Algo, st.Keys, st.Lookup = c, IndexLookup, keys, ki
		}
	}
	return st, best, out
}

// equiKeys lists the Equi conjuncts between r and s.
func (j *joinSpace) equiKeys(s RelSet, r int) []int {
	var keys []int
	for _, ci := range j.multi {
		c := j.conj[ci]
		if c.Equi == nil || !c.Refs.Has(r) || !c.Refs.SubsetOf(s|Rel(r)) {
			continue
		}
		keys = append(keys, ci)
	}
	return keys
}

// mergeKey returns the Equi conjunct of equi that equates the ordered
// columns of r and of the single relation of s (whose rows are the outer
// rows, in their order), or -1: a merge join needs both sides in the
// order of its key, and only a relation read on its own keeps its order.
func (j *joinSpace) mergeKey(s RelSet, r int, equi []int) int {
	f, ok := s.Single()
	if !ok || !j.rels[f].Ordered || !j.rels[r].Ordered {
		return -1
	}
	a, b := ColRef{f, j.rels[f].OrderCol}, ColRef{r, j.rels[r].OrderCol}
	for _, ci := range equi {
		if e := j.conj[ci].Equi; e[0] == a && e[1] == b || e[0] == b && e[1] == a {
			return ci
		}
	}
	return -1
}

// lookupKeys picks, for each leading column of key k of relation r, an
// Equi conjunct binding it from the outer side; nil when the first column
// is not bound.
func (j *joinSpace) lookupKeys(k Key, equi []int, r int) []int {
	var out []int
	for _, col := range k.Cols {
		found := -1
		for _, ci := range equi {
			e := j.conj[ci].Equi
			if e[0].Rel == r && e[0].Col == col || e[1].Rel == r && e[1].Col == col {
				found = ci
				break
			}
		}
		if found < 0 {
			break
		}
		out = append(out, found)
	}
	return out
}

// dpOrder finds the cheapest left-deep order by dynamic programming over
// subsets of relations.
func (j *joinSpace) dpOrder() []int {
	n := len(j.rels)
	type entry struct {
		cost, rows float64
		last       int
		ok         bool
	}
	best := make([]entry, 1<<uint(n))
	for i := 0; i < n; i++ {
		best[Rel(i)] = entry{cost: j.filtered[i], rows: j.filtered[i], last: i, ok: true}
	}
	for pass := 0; pass < 2 && !best[j.all].ok; pass++ {
		// The first pass joins connected relations where it can. When a
		// conjunct spans three or more relations no pair is connected and
		// nothing reaches the full set: the second pass allows cross
		// products anywhere.
		crossOK := pass == 1
		for s := RelSet(1); s <= j.all; s++ {
			e := best[s]
			if !e.ok || s == j.all {
				continue
			}
			mustConnect := !crossOK && j.connectedToAny(s)
			for r := 0; r < n; r++ {
				if s.Has(r) {
					continue
				}
				if _, conn := j.joinSel(s, r); mustConnect && !conn {
					continue
				}
				_, c, rows := j.step(s, e.rows, r)
				ns := s | Rel(r)
				total := e.cost + c
				if b := best[ns]; !b.ok || total < b.cost {
					best[ns] = entry{cost: total, rows: rows, last: r, ok: true}
				}
			}
		}
	}
	if !best[j.all].ok {
		return j.greedyOrder()
	}
	order := make([]int, 0, n)
	for s := j.all; s != 0; {
		r := best[s].last
		order = append(order, r)
		s &^= Rel(r)
	}
	for a, b := 0, len(order)-1; a < b; a, b = a+1, b-1 {
		order[a], order[b] = order[b], order[a]
	}
	return order
}

// greedyOrder starts from the smallest filtered relation and repeatedly
// adds the connected relation giving the cheapest step.
func (j *joinSpace) greedyOrder() []int {
	n := len(j.rels)
	first := 0
	for i := 1; i < n; i++ {
		if j.filtered[i] < j.filtered[first] {
			first = i
		}
	}
	order := []int{first}
	s, rows := Rel(first), j.filtered[first]
	for len(order) < n {
		bestR, bestC, bestRows := -1, 0.0, 0.0
		// Connected relations first; a cross product when none is (a
		// conjunct spanning three or more relations connects no pair).
		for _, mustConnect := range []bool{j.connectedToAny(s), false} {
			for r := 0; r < n; r++ {
				if s.Has(r) {
					continue
				}
				if _, conn := j.joinSel(s, r); mustConnect && !conn {
					continue
				}
				_, c, out := j.step(s, rows, r)
				if bestR < 0 || c < bestC {
					bestR, bestC, bestRows = r, c, out
				}
			}
			if bestR >= 0 {
				break
			}
		}
		order = append(order, bestR)
		s |= Rel(bestR)
		rows = bestRows
	}
	return order
}

// build turns an order into the plan: scan filters, steps, final filters.
func (j *joinSpace) build(order []int) JoinPlan {
	p := JoinPlan{First: order[0], Scan: make([][]int, len(j.rels))}
	for ci, c := range j.conj {
		switch {
		case c.Late:
			p.Final = append(p.Final, ci)
		case c.Refs == 0:
			p.Scan[order[0]] = append(p.Scan[order[0]], ci)
		case c.Refs.Len() == 1:
			i, _ := c.Refs.Single()
			p.Scan[i] = append(p.Scan[i], ci)
		}
	}
	s, rows := Rel(order[0]), j.filtered[order[0]]
	p.Cost = rows
	for _, r := range order[1:] {
		st, c, out := j.step(s, rows, r)
		keyed := map[int]bool{}
		for _, k := range st.Keys {
			keyed[k] = true
		}
		for _, ci := range j.multi {
			cr := j.conj[ci].Refs
			if cr.Has(r) && cr.SubsetOf(s|Rel(r)) && !keyed[ci] {
				st.Filter = append(st.Filter, ci)
			}
		}
		p.Steps = append(p.Steps, st)
		p.Cost += c
		s |= Rel(r)
		rows = out
	}
	p.Rows = rows
	return p
}
