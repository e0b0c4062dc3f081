package types

import (
	"bytes"
	"cmp"
	"math"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
)

// Compare returns -1, 0 or +1 as a sorts before, equal to or after b. Both
// should be Datums of the same family (the executor coerces first); the
// order is total:
//   - floats: -0 = 0, NaN = NaN and NaN sorts after every other value;
//   - numerics: NaN = NaN and sorts after +Infinity; 1.5 = 1.50;
//   - strings bytewise (C collation), bytea bytewise;
//   - intervals by their 30-day-month span, as PostgreSQL ('1 mon' = '30 days').
//
// Mixed int64/float64/*apd.Decimal operands compare numerically. nil (NULL)
// sorts before everything, matching the key encoding's NULLS FIRST; SQL
// comparison with NULL is the caller's business. Other mismatched Go types
// order by a fixed rank of their kinds, never panicking.
func Compare(a, b Datum) int {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmp.Compare(x, y)
		}
	case float64:
		if y, ok := b.(float64); ok {
			return compareFloat(x, y)
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case *apd.Decimal:
		if y, ok := b.(*apd.Decimal); ok {
			return compareDecimal(x, y)
		}
	case bool:
		if y, ok := b.(bool); ok {
			return compareBool(x, y)
		}
	case []byte:
		if y, ok := b.([]byte); ok {
			return bytes.Compare(x, y)
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	case IntervalValue:
		if y, ok := b.(IntervalValue); ok {
			return compareInterval(x, y)
		}
	case *Array:
		if y, ok := b.(*Array); ok {
			return CompareArrays(x, y)
		}
	case *Record:
		if y, ok := b.(*Record); ok {
			return compareRecords(x, y)
		}
	}
	return compareMixed(a, b)
}

// compareRecords is PostgreSQL's record ordering (btrecordcmp): field by
// field, a NULL field after any value, a shorter record first when one is
// a prefix of the other.
func compareRecords(x, y *Record) int {
	if c := compareElems(x.Vals, y.Vals); c != 0 {
		return c
	}
	return cmp.Compare(len(x.Vals), len(y.Vals))
}

// compareElems compares the common prefix of two value lists in order, a
// NULL after every value (records and arrays order their elements so);
// 0 when one list is a prefix of the other.
func compareElems(x, y []Datum) int {
	for i := 0; i < len(x) && i < len(y); i++ {
		a, b := x[i], y[i]
		switch {
		case a == nil && b == nil:
			continue
		case a == nil:
			return 1
		case b == nil:
			return -1
		}
		if c := Compare(a, b); c != 0 {
			return c
		}
	}
	return 0
}

func compareBool(x, y bool) int {
	switch {
	case x == y:
		return 0
	case !x:
		return -1
	}
	return 1
}

// compareFloat orders floats as PostgreSQL's float8_cmp_internal.
func compareFloat(x, y float64) int {
	xn, yn := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// compareDecimal orders numerics as PostgreSQL's cmp_numerics.
func compareDecimal(x, y *apd.Decimal) int {
	xn, yn := x.Form == apd.NaN, y.Form == apd.NaN
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	}
	return x.Cmp(y)
}

func compareInterval(x, y IntervalValue) int {
	xd, xu := intervalSpan(x)
	yd, yu := intervalSpan(y)
	if c := cmp.Compare(xd, yd); c != 0 {
		return c
	}
	return cmp.Compare(xu, yu)
}

// compareMixed handles operands of different Go types.
func compareMixed(a, b Datum) int {
	if a == nil || b == nil {
		return cmp.Compare(boolRank(a != nil), boolRank(b != nil))
	}
	if isNumberDatum(a) && isNumberDatum(b) {
		if fa, ok := a.(float64); ok {
			return compareFloat(fa, Float64Of(b))
		}
		if fb, ok := b.(float64); ok {
			return compareFloat(Float64Of(a), fb)
		}
		return compareDecimal(toDecimal(a), toDecimal(b))
	}
	return cmp.Compare(kindRank(a), kindRank(b))
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func isNumberDatum(d Datum) bool {
	switch d.(type) {
	case int64, float64, *apd.Decimal:
		return true
	}
	return false
}

// toDecimal converts an int64 or decimal datum to a decimal.
func toDecimal(d Datum) *apd.Decimal {
	switch v := d.(type) {
	case int64:
		return apd.New(v, 0)
	case *apd.Decimal:
		return v
	}
	return &apd.Decimal{Form: apd.NaN}
}

func kindRank(d Datum) int {
	switch d.(type) {
	case bool:
		return 1
	case int64, float64, *apd.Decimal:
		return 2
	case string:
		return 3
	case []byte:
		return 4
	case time.Time:
		return 5
	case IntervalValue:
		return 6
	}
	return 7
}

// TrimBpchar is a char(n) value as its comparisons see it: without its
// trailing blanks (PostgreSQL's bpchar operators, and the bpchar-to-text
// and bpchar-to-varchar casts, ignore them). Other datums are returned as
// they are.
func TrimBpchar(d Datum) Datum {
	if s, ok := d.(string); ok {
		return strings.TrimRight(s, " ")
	}
	return d
}

// CompareBpchar is Compare for two bpchar values (bpcharcmp): trailing
// blanks do not count, so 'a' = 'a  ' and 'a\t' sorts after 'a  '.
func CompareBpchar(a, b Datum) int {
	return Compare(TrimBpchar(a), TrimBpchar(b))
}
