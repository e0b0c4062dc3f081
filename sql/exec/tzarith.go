package exec

import (
	"time"

	"github.com/heliosdb/nano/sql/types"
)

// zonedArith is timestamptz ± interval (and interval + timestamptz) as
// timestamptz_pl_interval does it: the interval's months and days step the
// calendar in the session's TimeZone (a day across a daylight-saving change
// is 23 or 25 hours), its time part is exact. f is the plain arithmetic;
// it sees the timestamp in the session's zone. Never folded while
// planning: the answer depends on the session's TimeZone.
func zonedArith(t types.T, s string, l, r *cexpr, f func(a, b Datum) (Datum, error)) *cexpr {
	lf, rf := l.fn, r.fn
	e := &cexpr{t: t, s: s, colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		if en == nil {
			return nil, errNoFold
		}
		a, err := lf(en, row)
		if err != nil || a == nil {
			return nil, err
		}
		c, err := rf(en, row)
		if err != nil || c == nil {
			return nil, err
		}
		loc := sessionLoc(en)
		var orig *time.Location
		if ts, ok := a.(time.Time); ok {
			orig, a = ts.Location(), ts.In(loc)
		} else if ts, ok := c.(time.Time); ok {
			orig, c = ts.Location(), ts.In(loc)
		}
		v, err := f(a, c)
		if ts, ok := v.(time.Time); ok && err == nil && orig != nil {
			return ts.In(orig), nil
		}
		return v, err
	}}
	e.foldErr = firstFoldErr([]*cexpr{l, r})
	return e
}
