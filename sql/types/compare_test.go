package types_test

import (
	"math"
	"testing"

	"github.com/heliosdb/nano/sql/types"
)

func TestCompare(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name string
		a, b types.Datum
		want int
	}{
		{"ints", int64(1), int64(2), -1},
		{"bools", true, false, 1},
		{"float nan eq", nan, nan, 0},
		{"float nan last", nan, math.Inf(1), 1},
		{"float inf", math.Inf(-1), -1e308, -1},
		{"float -0", math.Copysign(0, -1), 0.0, 0},
		{"numeric scale", dec(t, "1.5"), dec(t, "1.50"), 0},
		{"numeric nan", dec(t, "NaN"), dec(t, "Infinity"), 1},
		{"numeric neg", dec(t, "-2"), dec(t, "-1.99"), -1},
		{"strings bytewise", "B", "a", -1},
		{"strings prefix", "ab", "abc", -1},
		{"bytes", []byte{1}, []byte{0, 9}, 1},
		{"timestamps", ts("2024-01-01 00:00:00"), ts("2024-01-01 00:00:00.000001"), -1},
		{"interval month = 30 days", types.IntervalValue{Months: 1}, types.IntervalValue{Days: 30}, 0},
		{"interval day = 24h", types.IntervalValue{Days: 1}, types.IntervalValue{Micros: 86400e6}, 0},
		{"interval order", types.IntervalValue{Days: 1, Micros: -1}, types.IntervalValue{Days: 1}, -1},
		{"mixed int numeric", int64(2), dec(t, "1.5"), 1},
		{"mixed int float", int64(2), 2.0, 0},
		{"nil first", nil, int64(0), -1},
		{"nil nil", nil, nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := types.Compare(tc.a, tc.b); got != tc.want {
				t.Fatalf("Compare = %d, want %d", got, tc.want)
			}
			if got := types.Compare(tc.b, tc.a); got != -tc.want {
				t.Fatalf("Compare reversed = %d, want %d", got, -tc.want)
			}
		})
	}
}

// bpchar comparisons ignore trailing blanks (bpcharcmp), and only those.
func TestCompareBpchar(t *testing.T) {
	cases := []struct {
		a, b types.Datum
		want int
	}{
		{"a", "a  ", 0},
		{"a   ", "a", 0},
		{"", "   ", 0},
		{"a\t", "a  ", 1}, // a tab is kept: 'a\t' > 'a'
		{" a", "a", -1},   // leading blanks count
		{"ab ", "a    ", 1},
		{"a", "b", -1},
	}
	for _, c := range cases {
		if got := types.CompareBpchar(c.a, c.b); got != c.want {
			t.Errorf("CompareBpchar(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
