package exec

import (
	"math"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// The ordered-set aggregates: percentile_cont(fraction) and
// percentile_disc(fraction) WITHIN GROUP (ORDER BY value), and mode()
// WITHIN GROUP (ORDER BY value). NULL values are ignored; a group without
// values is NULL. The fraction may be an array (one result per element);
// it must lie in [0, 1] (22003), checked even for an empty group, and a
// NULL fraction gives NULL, as PostgreSQL's final functions. The fraction
// is a "direct argument": it is evaluated once per group and may name only
// enclosing queries' columns and parameters here (PostgreSQL also allows
// the grouped columns; we answer 42703 for those).

// finishOrderedSet computes the result from the collected (non-NULL)
// values.
func finishOrderedSet(e *env, a *aggSpec, st *aggState) (Datum, error) {
	var frac Datum
	if a.direct != nil {
		var err error
		if frac, err = a.direct.fn(e, nil); err != nil || frac == nil {
			return nil, err
		}
	}
	var fracs []Datum
	arr, isArr := frac.(*types.Array)
	if isArr {
		fracs = arr.Elems
	} else if a.direct != nil {
		fracs = []Datum{frac}
	}
	for _, f := range fracs {
		if x, ok := f.(float64); ok && (x < 0 || x > 1 || math.IsNaN(x)) {
			return nil, pgerror.Newf(pgerror.NumericValueOutOfRange, "percentile value %s is not between 0 and 1", types.FormatText(x, types.Float8))
		}
	}
	if len(st.items) == 0 {
		return nil, nil
	}
	sortItems(a, st)
	if a.name == "mode" {
		return modeOf(st.items), nil
	}
	one := func(f Datum) (Datum, error) {
		if f == nil {
			return nil, nil
		}
		p := f.(float64)
		if a.name == "percentile_disc" {
			k := int(math.Ceil(p * float64(len(st.items))))
			return st.items[max(k, 1)-1].val, nil
		}
		pos := p * float64(len(st.items)-1)
		lo, hi := math.Floor(pos), math.Ceil(pos)
		x := st.items[int(lo)].val
		if lo == hi {
			return x, nil
		}
		y := st.items[int(hi)].val
		return lerp(x, y, pos-lo, a.arg.t)
	}
	if !isArr {
		return one(frac)
	}
	out := make([]Datum, len(fracs))
	for i, f := range fracs {
		v, err := one(f)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	res := *arr
	res.Elem, res.Elems = a.arg.t, out
	return &res, nil
}

// lerp is float8_lerp / interval_lerp: lo + (hi - lo) * p.
func lerp(lo, hi Datum, p float64, t types.T) (Datum, error) {
	if x, ok := lo.(float64); ok {
		return x + p*(hi.(float64)-x), nil
	}
	d, err := types.Sub(hi, lo, t)
	if err != nil {
		return nil, err
	}
	m, err := types.Mul(d, p, t)
	if err != nil {
		return nil, err
	}
	return types.Add(lo, m, t)
}

// modeOf is the most frequent value of sorted items, the first in sort
// order among equally frequent ones.
func modeOf(items []aggItem) Datum {
	var best, run Datum
	bestN, n := 0, 0
	for i, it := range items {
		if i > 0 && types.Compare(it.val, items[i-1].val) == 0 {
			n++
		} else {
			run, n = it.val, 1
		}
		if n > bestN {
			best, bestN = run, n // a run's value is its first item's
		}
	}
	return best
}
