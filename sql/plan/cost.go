package plan

import "math"

// The cost model. Units are "rows touched": reading a row, probing a hash
// table or following one key lookup each cost about one. It only has to
// rank plans, not predict times.
const (
	// DefaultRows is the size assumed for a relation of unknown size
	// (a subquery, a system view).
	DefaultRows = 1000
	// selEq, selRange, selOther: fractions of rows kept by col = v, by a
	// range bound, and by any other predicate.
	selEq    = 0.1
	selRange = 1.0 / 3
	selOther = 0.5
	// lookupCost is the cost of one index lookup (a B-tree descent).
	lookupCost = 3
	// buildCost is the cost of inserting one row into a hash table.
	buildCost = 1.5
	// mergeCost is the cost of reading one row of a merge join's sorted
	// inner side (no table is built).
	mergeCost = 1
	// materializeCost is the cost of storing one row of a nested loop's
	// inner side (more than a hash insert: a join on equal keys is always
	// hashed, and the smaller side is the one kept).
	materializeCost = 2
)

// Selectivity is the fraction of a relation's rows that a predicate on it
// keeps, by the shape of the predicate. rows is the relation's size: an
// equality keeps at least one row's worth.
func Selectivity(p KeyPred, rows float64) float64 {
	eq := selEq
	if rows > 0 {
		eq = math.Max(selEq, 1/rows)
		if rows > 100 {
			eq = math.Max(1/rows, 1/math.Sqrt(rows))
		}
	}
	switch p.Op {
	case OpEq:
		return eq
	case OpIn:
		return math.Min(1, float64(max(p.N, 1))*eq)
	case OpBetween:
		return selRange * selRange * 2
	case OpLt, OpLe, OpGt, OpGe:
		return selRange
	}
	return selOther
}

// joinSelectivity is the fraction of the cross product of two relations of
// l and r rows that an equality between their columns keeps: each value of
// the smaller side is assumed to match one of the larger.
func joinSelectivity(l, r float64) float64 {
	m := math.Max(math.Max(l, r), 1)
	return 1 / m
}

// Algo is a join algorithm.
type Algo uint8

// Join algorithms, by the executor's operators.
const (
	// NestedLoop re-reads the (materialised) inner side for every outer row.
	NestedLoop Algo = iota
	// HashJoin builds a hash table on the inner side's join keys and probes
	// it with each outer row.
	HashJoin
	// IndexLookup looks each outer row's key up in the inner table's
	// primary key or index.
	IndexLookup
	// MergeJoin reads both sides in the order of the join key, side by
	// side (each in primary key order).
	MergeJoin
)

func (a Algo) String() string {
	switch a {
	case HashJoin:
		return "Hash Join"
	case IndexLookup:
		return "Index Nested Loop"
	case MergeJoin:
		return "Merge Join"
	}
	return "Nested Loop"
}

// stepCost is the cost of joining outer rows with an inner relation of
// inner rows (after its own filters) by algo, producing out rows. An index
// lookup's cost depends on the rows each lookup finds: PlanJoin adds it.
func stepCost(algo Algo, outer, inner, out float64) float64 {
	switch algo {
	case HashJoin:
		return inner*buildCost + outer + out
	case IndexLookup:
		return outer*lookupCost + out
	case MergeJoin:
		return inner*mergeCost + outer + out
	}
	return inner*materializeCost + outer*inner + out
}
