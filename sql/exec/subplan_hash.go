package exec

import (
	"github.com/heliosdb/nano/sql/types"
)

// hashedIn is x = ANY (uncorrelated subquery) — x IN (SELECT …) — over
// integers or text, answered from a hash set of the subquery's rows built
// once per execution, as PostgreSQL's "hashed SubPlan" does (floats too), instead of
// comparing x with every row for every row of the outer query (a 1000-row
// IN (SELECT …) OR … filter took 0.3 s, PostgreSQL 15 ms).
//
// Three-valued as = ANY: true when x is in the set; NULL when x is NULL
// and the set is not empty, or x is not in the set and the subquery
// returned a NULL; false otherwise.
type hashedIn struct {
	set     map[Datum]struct{}
	sawNull bool
	n       int
}

// hashableIn reports whether l = ANY (rows of type rt) can use a hash set:
// the values of both sides are compared by Go equality (int64 for the
// integer types, float64 for real and double precision — with NaN made
// equal to NaN, as PostgreSQL orders it, and -0 = 0 as Go hashes it —,
// string for text and varchar; not char(n), whose trailing blanks do not
// count, nor numeric, whose values are pointers).
func hashableIn(op string, all, correlated bool, l *cexpr, rt types.T) bool {
	if op != "=" || all || correlated || l.unknown {
		return false
	}
	return isPlainInt(l.t) && isPlainInt(rt) || isPlainText(l.t) && isPlainText(rt) ||
		l.t.Family() == types.FamFloat && rt.Family() == types.FamFloat
}

// nanKey stands for every NaN in the set: NaN = NaN in PostgreSQL.
type nanKey struct{}

func inSetKey(d Datum) Datum {
	if f, ok := d.(float64); ok && f != f {
		return nanKey{}
	}
	return d
}

func isPlainInt(t types.T) bool {
	return t.Oid == types.OidInt2 || t.Oid == types.OidInt4 || t.Oid == types.OidInt8
}

func isPlainText(t types.T) bool { return t.Oid == types.OidText || t.Oid == types.OidVarchar }

// newHashedIn builds the set from the subquery's rows (first column).
func newHashedIn(rows [][]Datum) *hashedIn {
	h := &hashedIn{set: make(map[Datum]struct{}, len(rows)), n: len(rows)}
	for _, r := range rows {
		if r[0] == nil {
			h.sawNull = true
			continue
		}
		h.set[inSetKey(r[0])] = struct{}{}
	}
	return h
}

// test is x = ANY (the set).
func (h *hashedIn) test(x Datum) Datum {
	if h.n == 0 {
		return false
	}
	if x == nil {
		return nil
	}
	if _, ok := h.set[inSetKey(x)]; ok {
		return true
	}
	if h.sawNull {
		return nil
	}
	return false
}

// compileHashedIn is the cexpr of x IN (SELECT …) answered by a hashedIn;
// run gives the subquery's rows (cached for the execution).
func compileHashedIn(l *cexpr, run func(*env, []Datum) ([][]Datum, error)) *cexpr {
	key, lf := new(int), l.fn
	return &cexpr{t: types.Bool, s: "(hashed SubPlan)", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		h, ok := en.cache[key].(*hashedIn)
		if !ok {
			rows, err := run(en, row)
			if err != nil {
				return nil, err
			}
			h = newHashedIn(rows)
			if en.cache == nil {
				en.cache = map[any]any{}
			}
			en.cache[key] = h
		}
		if h.n == 0 {
			return false, nil // x is not evaluated, as PostgreSQL skips it for no rows
		}
		x, err := lf(en, row)
		if err != nil {
			return nil, err
		}
		return h.test(x), nil
	}}
}
