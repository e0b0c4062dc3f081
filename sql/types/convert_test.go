package types_test

import (
	"math"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/heliosdb/nano/sql/types"
)

func TestNumericConversions(t *testing.T) {
	d := func(s string) types.Datum {
		v, _, err := apd.NewFromString(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		in types.Datum
		f  float64
		i  int64
	}{
		{int64(7), 7, 7},
		{2.5, 2.5, 3},
		{-2.5, -2.5, -3},
		{d("2.5"), 2.5, 3},
		{d("-2.5"), -2.5, -3},
		{d("1e30"), 1e30, math.MaxInt64},
		{d("-Infinity"), math.Inf(-1), math.MinInt64},
		{"x", math.NaN(), 0},
	} {
		f, i := types.Float64Of(tc.in), types.Int64Of(tc.in)
		if !(f == tc.f || math.IsNaN(f) && math.IsNaN(tc.f)) || i != tc.i {
			t.Errorf("%v: Float64Of %v Int64Of %d, want %v %d", tc.in, f, i, tc.f, tc.i)
		}
	}
}
