package exec

import (
	"math"
	"testing"
)

// TestHashedInThreeValued checks x = ANY (set) against the row-by-row
// definition: true when found, NULL for a NULL x over a non-empty set or a
// miss when the set holds a NULL, false otherwise (and always for no rows).
func TestHashedInThreeValued(t *testing.T) {
	rows := func(vs ...Datum) [][]Datum {
		out := make([][]Datum, len(vs))
		for i, v := range vs {
			out[i] = []Datum{v}
		}
		return out
	}
	tests := []struct {
		name string
		set  [][]Datum
		x    Datum
		want Datum
	}{
		{"found", rows(int64(1), int64(2)), int64(2), true},
		{"missing", rows(int64(1), int64(2)), int64(3), false},
		{"missing with a NULL row", rows(int64(1), nil), int64(3), nil},
		{"found with a NULL row", rows(nil, int64(3)), int64(3), true},
		{"NULL x", rows(int64(1)), nil, nil},
		{"NULL x, only NULL rows", rows(nil), nil, nil},
		{"empty set", rows(), int64(1), false},
		{"empty set, NULL x", rows(), nil, false},
		{"text found", rows("a", "b "), "b ", true},
		{"text is not trimmed", rows("a", "b "), "b", false},
		{"float found", rows(1.5, 2.0), 2.0, true},
		{"minus zero is zero", rows(0.0), math.Copysign(0, -1), true},
		{"NaN equals NaN", rows(math.NaN(), nil), math.NaN(), true},
		{"NaN missing", rows(1.0), math.NaN(), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := newHashedIn(tc.set).test(tc.x); got != tc.want {
				t.Fatalf("%v = ANY %v: got %v, want %v", tc.x, tc.set, got, tc.want)
			}
		})
	}
}
