package types_test

import (
	"testing"
	"time"

	"github.com/heliosdb/nano/sql/types"
	"github.com/jackc/pgx/v5/pgtype"
)

// TestTextPgtypeInterop: text pgx sends as parameters parses here, and our
// text output scans in pgx.
func TestTextPgtypeInterop(t *testing.T) {
	m := pgtype.NewMap()
	tm := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	cases := []struct {
		name string
		typ  types.T
		pgx  any
		ours types.Datum
	}{
		{"timestamptz", types.Timestamptz, tm, tm},
		{"timestamptz zone", types.Timestamptz, tm.In(time.FixedZone("x", -7*3600-1800)), tm},
		{"timestamp", types.Timestamp, pgtype.Timestamp{Time: tm, Valid: true}, tm},
		{"date", types.Date, pgtype.Date{Time: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), Valid: true}, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"interval", types.Interval, pgtype.Interval{Months: 14, Days: -3, Microseconds: -3723000004, Valid: true}, types.IntervalValue{Months: 14, Days: -3, Micros: -3723000004}},
		{"numeric", types.Numeric, pgtype.Numeric{Int: bigInt(-12345), Exp: -3, Valid: true}, dec(t, "-12.345")},
		{"float8", types.Float8, 1e20, 1e20},
		{"bool", types.Bool, true, true},
		{"bytea", types.Bytea, []byte{0, 0xff}, []byte{0, 0xff}},
		{"uuid", uuidT, pgtype.UUID{Bytes: [16]byte{0xa0, 0xee, 1}, Valid: true}, "a0ee0100-0000-0000-0000-000000000000"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" pgx text to ours", func(t *testing.T) {
			b, err := m.Encode(tc.typ.Oid, pgtype.TextFormatCode, tc.pgx, nil)
			if err != nil {
				t.Fatalf("pgx encode: %v", err)
			}
			got, err := types.ParseText(tc.typ, string(b))
			if err != nil {
				t.Fatalf("ParseText(%q): %v", b, err)
			}
			if types.Compare(got, tc.ours) != 0 {
				t.Fatalf("ParseText(%q) = %v, want %v", b, got, tc.ours)
			}
		})
		t.Run(tc.name+" ours text to pgx", func(t *testing.T) {
			txt := types.FormatText(tc.ours, tc.typ)
			var dst any
			if err := m.Scan(tc.typ.Oid, pgtype.TextFormatCode, []byte(txt), &dst); err != nil {
				t.Fatalf("pgx scan %q: %v", txt, err)
			}
			b, err := m.Encode(tc.typ.Oid, pgtype.BinaryFormatCode, dst, nil)
			if err != nil {
				t.Fatalf("pgx re-encode %v: %v", dst, err)
			}
			got, err := types.DecodeBinary(tc.typ, b)
			if err != nil {
				t.Fatal(err)
			}
			if types.Compare(got, tc.ours) != 0 {
				t.Fatalf("pgx read %q as %v, want %v", txt, got, tc.ours)
			}
		})
	}
}
