package types

import (
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
)

// parseInt's one-pass path answers exactly as the general int2in/int4in/
// int8in path for every input: the same value, or the same error (code
// and message) — the fast path must only ever be a shortcut.
func TestParseIntFastPathMatchesGeneral(t *testing.T) {
	inputs := []string{"", "-", "+", "0", "-0", "+0", "007", "-007", "1", "-1", "+1", "+-1", "--1", "-+1",
		" 1", "1 ", " -1 ", "\t7\n", "1_000", "1e3", "0x10", "1.0", "١٢", "12a", "a12",
		"32767", "32768", "-32768", "-32769", "2147483647", "2147483648", "-2147483648", "-2147483649",
		"999999999999999999", "-999999999999999999", "1000000000000000000", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "-9223372036854775809", "99999999999999999999",
		"000000000000000000001", "+000000000000000001"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		inputs = append(inputs, strconv.FormatInt(r.Int64N(1<<62)-1<<61>>uint(r.IntN(62)), 10))
	}
	for _, typ := range []T{Int2, Int4, Int8} {
		for _, s := range inputs {
			got, gotErr := parseInt(typ, s)
			want, wantErr := parseIntGeneral(typ, s)
			if !reflect.DeepEqual(got, want) || (gotErr == nil) != (wantErr == nil) ||
				(gotErr != nil && gotErr.Error() != wantErr.Error()) {
				t.Errorf("%s %q: got %v, %v; general path %v, %v", typ, s, got, gotErr, want, wantErr)
			}
		}
	}
}

// Bind parameters of pgbench's transactions are text integers: parsing
// one allocates nothing beyond the boxed value.
func BenchmarkParseTextInt(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseText(Int4, "95863"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseIntGeneral is the general path alone, for comparison.
func BenchmarkParseIntGeneral(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseIntGeneral(Int4, "95863"); err != nil {
			b.Fatal(err)
		}
	}
}
