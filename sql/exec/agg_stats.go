package exec

import (
	"math"

	"github.com/cockroachdb/apd/v3"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// The statistical aggregates: stddev/stddev_samp/stddev_pop and
// variance/var_samp/var_pop. As PostgreSQL: integer and numeric input give
// numeric (numeric_stddev_internal: exact sums, the quotient at
// select_div_scale's scale, the square root at that scale; a numerator that
// is not positive gives 0, any NaN or infinite input NaN), real and double
// precision input give double precision (float8_accum's Youngs-Cramer
// sums). The sample forms are NULL below two rows, the population forms
// without rows.

// statNum accumulates numeric input: the count, sum and sum of squares,
// exactly (their scales as PostgreSQL's: twice the input's for squares).
type statNum struct {
	n          int64
	sum, sumSq *apd.Decimal
	special    bool // a NaN or infinite input
}

// statFloat is float8_accum's state: N, Sx and Sxx.
type statFloat struct {
	n, sx, sxx float64
}

func accumulateStat(a *aggSpec, st *aggState, v Datum) error {
	if a.t.Oid == types.OidFloat8 {
		x, ok := v.(float64)
		if !ok {
			return pgerror.Newf(pgerror.InternalError, "%s: unexpected %T", a.name, v)
		}
		s, _ := st.val.(*statFloat)
		if s == nil {
			s = &statFloat{}
			st.val = s
		}
		return s.add(x)
	}
	d, err := types.Cast(v, a.arg.t, types.Numeric, false)
	if err != nil {
		return err
	}
	x := d.(*apd.Decimal)
	s, _ := st.val.(*statNum)
	if s == nil {
		s = &statNum{sum: new(apd.Decimal), sumSq: new(apd.Decimal)}
		st.val = s
	}
	s.n++
	if x.Form != apd.Finite {
		s.special = true
		return nil
	}
	sq := new(apd.Decimal)
	if _, err := ctx1000.Mul(sq, x, x); err != nil {
		return err
	}
	if _, err := ctx1000.Add(s.sum, s.sum, x); err != nil {
		return err
	}
	_, err = ctx1000.Add(s.sumSq, s.sumSq, sq)
	return err
}

// add is float8_accum.
func (s *statFloat) add(x float64) error {
	n0 := s.n
	s.n++
	s.sx += x
	if n0 > 0 {
		tmp := x*s.n - s.sx
		s.sxx += tmp * tmp / (s.n * n0)
		if math.IsInf(s.sx, 0) || math.IsInf(s.sxx, 0) {
			if !math.IsInf(x, 0) && !math.IsInf(s.sx-x, 0) {
				return pgerror.New(pgerror.NumericValueOutOfRange, "value out of range: overflow")
			}
			s.sxx = math.NaN()
		}
	} else if math.IsInf(x, 0) || math.IsNaN(x) {
		s.sxx = math.NaN()
	}
	return nil
}

func statSample(name string) bool {
	return name == "stddev" || name == "stddev_samp" || name == "variance" || name == "var_samp"
}

func statIsStddev(name string) bool {
	return name == "stddev" || name == "stddev_samp" || name == "stddev_pop"
}

func finishStat(a *aggSpec, st *aggState) (Datum, error) {
	sample, root := statSample(a.name), statIsStddev(a.name)
	if s, ok := st.val.(*statFloat); ok {
		if s.n == 0 || sample && s.n <= 1 {
			return nil, nil
		}
		d := s.n
		if sample {
			d = s.n - 1
		}
		v := s.sxx / d
		if root {
			v = math.Sqrt(v)
		}
		return v, nil
	}
	s, _ := st.val.(*statNum)
	if s == nil || s.n == 0 {
		return nil, nil
	}
	if s.special {
		return &apd.Decimal{Form: apd.NaN}, nil
	}
	if s.n <= 1 && sample || s.n == 0 {
		return nil, nil
	}
	return numericStat(s, sample, root)
}

// numericStat is numeric_stddev_internal's arithmetic.
func numericStat(s *statNum, sample, root bool) (Datum, error) {
	n := apd.New(s.n, 0)
	sq := new(apd.Decimal) // sumX * sumX
	if _, err := ctx1000.Mul(sq, s.sum, s.sum); err != nil {
		return nil, err
	}
	num := new(apd.Decimal) // N * sumX2 - sumX * sumX
	if _, err := ctx1000.Mul(num, n, s.sumSq); err != nil {
		return nil, err
	}
	if _, err := ctx1000.Sub(num, num, sq); err != nil {
		return nil, err
	}
	// PostgreSQL multiplies at rscale = dscale(sumX) * 2
	if sc := 2 * dscale(s.sum); dscale(num) < sc {
		if _, err := ctx1000.Quantize(num, num, -sc); err != nil {
			return nil, err
		}
	}
	if num.Sign() <= 0 {
		return apd.New(0, 0), nil
	}
	den := s.n * s.n
	if sample {
		den = s.n * (s.n - 1)
	}
	q, err := types.Div(num, apd.New(den, 0), types.Numeric)
	if err != nil {
		return nil, err
	}
	if !root {
		return q, nil
	}
	v := q.(*apd.Decimal)
	return numResult(dscale(v), nbaseWeight(v), func(c *apd.Context, out *apd.Decimal) error {
		_, err := c.Sqrt(out, v)
		return err
	})
}
