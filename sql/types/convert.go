package types

import (
	"math"

	"github.com/cockroachdb/apd/v3"
)

// The numeric conversions that operators and functions need outside the
// cast rules live here, once: the executor's functions (power, round,
// repeat, LIMIT …) and this package's mixed-type arithmetic and
// comparisons use the same ones.

// Float64Of converts an int8, float8 or numeric datum to float64 (numeric
// NaN and ±Infinity keep their meaning; a numeric beyond float8's range
// becomes ±Inf). Any other datum, NULL included, gives NaN.
func Float64Of(d Datum) float64 {
	switch v := d.(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	case *apd.Decimal:
		return decimalToFloat(v)
	}
	return math.NaN()
}

// Int64Of converts an int8, float8 or numeric datum to int64, rounding a
// fraction half away from zero as PostgreSQL's casts to integer do and
// saturating at the int64 range (NaN gives 0). Any other datum gives 0.
// Callers that must report overflow use Cast instead.
func Int64Of(d Datum) int64 {
	switch v := d.(type) {
	case int64:
		return v
	case float64:
		return saturate(math.Round(v))
	case *apd.Decimal:
		if v.Form != apd.Finite {
			return saturate(decimalToFloat(v))
		}
		var r apd.Decimal
		ctx := apd.BaseContext.WithPrecision(uint32(v.NumDigits()) + 1)
		ctx.Rounding = apd.RoundHalfUp
		if _, err := ctx.RoundToIntegralValue(&r, v); err != nil {
			return saturate(decimalToFloat(v))
		}
		if i, err := r.Int64(); err == nil {
			return i
		}
		return saturate(decimalToFloat(v))
	}
	return 0
}

func saturate(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}
