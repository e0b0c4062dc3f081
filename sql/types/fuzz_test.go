package types_test

import (
	"testing"

	"github.com/heliosdb/nano/sql/types"
)

var fuzzTypes = []types.T{
	types.Bool, types.Int2, types.Int4, types.Int8, types.Oid4, types.Float4, types.Float8,
	types.Numeric, types.NumericPS(6, 2), types.Text, types.VarcharN(4), types.BpcharN(3),
	types.Name, types.Bytea, types.Date, types.Timestamp, types.Timestamptz, types.Interval,
	uuidT, types.T{Oid: types.OidJSONB, Mod: -1}, types.PgLSN,
}

// FuzzDecodeBinary: DecodeBinary never panics, and decoded values survive
// a binary and a text round trip.
func FuzzDecodeBinary(f *testing.F) {
	for _, tc := range binaryCases {
		d, err := types.ParseText(tc.typ, tc.text)
		if err != nil {
			f.Fatal(err)
		}
		b, err := types.AppendBinary(nil, d, tc.typ)
		if err != nil {
			f.Fatal(err)
		}
		for i, ft := range fuzzTypes {
			if ft.Oid == tc.typ.Oid {
				f.Add(uint8(i), b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, ti uint8, b []byte) {
		typ := fuzzTypes[int(ti)%len(fuzzTypes)]
		d, err := types.DecodeBinary(typ, b)
		if err != nil {
			return
		}
		enc, err := types.AppendBinary(nil, d, typ)
		if err != nil {
			return // e.g. a timestamp beyond PostgreSQL's range
		}
		d2, err := types.DecodeBinary(typ, enc)
		if err != nil || types.Compare(d, d2) != 0 {
			t.Fatalf("binary round trip: %v -> %v, %v", d, d2, err)
		}
		_ = types.FormatText(d, typ)
	})
}

// FuzzParseText: input functions never panic, and accepted values print
// to text that parses back to an equal value.
func FuzzParseText(f *testing.F) {
	seeds := []string{"1", "-1.5e3", "NaN", "2024-01-02 03:04:05.5+05:30", "1 year 2 mons", "P1DT2H",
		`\x0102`, "t", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "16/B374D848", "0044-03-15 BC", "12/31/1999"}
	for i := range fuzzTypes {
		for _, s := range seeds {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, ti uint8, s string) {
		typ := fuzzTypes[int(ti)%len(fuzzTypes)]
		d, err := types.ParseText(typ, s)
		if err != nil {
			return
		}
		out := types.FormatText(d, typ)
		d2, err := types.ParseText(typ, out)
		if err != nil {
			t.Fatalf("%s: output %q of %q does not parse: %v", typ, out, s, err)
		}
		if types.Compare(d, d2) != 0 {
			t.Fatalf("%s: %q -> %q -> %v, want %v", typ, s, out, d2, d)
		}
	})
}
