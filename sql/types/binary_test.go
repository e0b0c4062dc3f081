package types_test

import (
	"bytes"
	"encoding/hex"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
	"github.com/jackc/pgx/v5/pgtype"
)

var uuidT = types.T{Oid: types.OidUUID, Mod: -1}

// binaryCases are values of every binary-capable type, given as text.
var binaryCases = []struct {
	typ  types.T
	text string
}{
	{types.Bool, "t"}, {types.Bool, "f"},
	{types.Int2, "-32768"}, {types.Int4, "2147483647"}, {types.Int8, "-9223372036854775808"},
	{types.Oid4, "4294967295"},
	{types.Float4, "3.1415927"}, {types.Float8, "-1e+300"}, {types.Float8, "NaN"}, {types.Float8, "-Infinity"},
	{types.Numeric, "0"}, {types.Numeric, "0.00"}, {types.Numeric, "1.50"}, {types.Numeric, "-12345.6789"},
	{types.Numeric, "0.000012345"}, {types.Numeric, "100000000"}, {types.Numeric, "99999999999999999999.99999999999999999999"},
	{types.Numeric, "NaN"}, {types.Numeric, "Infinity"}, {types.Numeric, "-Infinity"},
	{types.Text, "héllo wörld"}, {types.Varchar, ""}, {types.Name, "pg_class"}, {types.Bpchar, "ab  "},
	{types.Bytea, `\x00ff10`}, {types.Date, "2024-02-29"}, {types.Date, "1999-12-31"}, {types.Date, "0044-03-15 BC"},
	{types.Timestamp, "2024-01-02 03:04:05.123456"}, {types.Timestamp, "1970-01-01 00:00:00"},
	{types.Timestamptz, "1999-12-31 23:59:59.999999+00"},
	{types.Interval, "1 year 2 mons -3 days +04:05:06.789"},
	{uuidT, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	{types.T{Oid: types.OidJSONB, Mod: -1}, `{"a": 1}`},
	{types.PgLSN, "1/6B374D48"},
}

func TestBinaryRoundTrip(t *testing.T) {
	for _, tc := range binaryCases {
		t.Run(tc.typ.String()+" "+tc.text, func(t *testing.T) {
			if !types.HasBinary(tc.typ.Oid) {
				t.Fatalf("HasBinary(%d) = false", tc.typ.Oid)
			}
			d := mustParse(t, tc.typ, tc.text)
			b, err := types.AppendBinary([]byte("prefix"), d, tc.typ)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte("prefix")) {
				t.Fatalf("AppendBinary dropped the prefix")
			}
			got, err := types.DecodeBinary(tc.typ, b[6:])
			if err != nil {
				t.Fatal(err)
			}
			if s := types.FormatText(got, tc.typ); s != tc.text {
				t.Fatalf("round trip prints %q, want %q", s, tc.text)
			}
		})
	}
}

// TestBinaryKnownBytes pins encodings to bytes PostgreSQL sends.
func TestBinaryKnownBytes(t *testing.T) {
	cases := []struct {
		typ  types.T
		text string
		hex  string
	}{
		{types.Int4, "1", "00000001"},
		{types.Int2, "-2", "fffe"},
		{types.Float8, "1.5", "3ff8000000000000"},
		{types.Numeric, "1.50", "0002000000000002" + "00011388"},
		{types.Numeric, "-0.0001", "0001ffff40000004" + "0001"},
		{types.Numeric, "NaN", "00000000c0000000"},
		{types.Numeric, "0", "0000000000000000"},
		{types.Date, "2000-01-02", "00000001"},
		{types.Timestamp, "2000-01-01 00:00:01", "00000000000f4240"},
		{types.Interval, "1 mon 2 days 00:00:01", "00000000000f4240" + "00000002" + "00000001"},
		{types.Bool, "t", "01"},
	}
	for _, tc := range cases {
		t.Run(tc.typ.String()+" "+tc.text, func(t *testing.T) {
			b, err := types.AppendBinary(nil, mustParse(t, tc.typ, tc.text), tc.typ)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(b); got != tc.hex {
				t.Fatalf("AppendBinary = %s, want %s", got, tc.hex)
			}
		})
	}
}

func TestDecodeBinaryErrors(t *testing.T) {
	cases := []struct {
		name string
		typ  types.T
		b    []byte
		code pgerror.Code
	}{
		{"int4 short", types.Int4, []byte{1, 2}, pgerror.InvalidBinaryRepresentation},
		{"int8 long", types.Int8, make([]byte, 9), pgerror.InvalidBinaryRepresentation},
		{"bool empty", types.Bool, nil, pgerror.InvalidBinaryRepresentation},
		{"numeric short", types.Numeric, []byte{0, 1, 0}, pgerror.InvalidBinaryRepresentation},
		{"numeric ndigits", types.Numeric, []byte{0, 2, 0, 0, 0, 0, 0, 0, 0, 1}, pgerror.InvalidBinaryRepresentation},
		{"numeric digit", types.Numeric, []byte{0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10}, pgerror.InvalidBinaryRepresentation},
		{"numeric sign", types.Numeric, []byte{0, 0, 0, 0, 0x12, 0x34, 0, 0}, pgerror.InvalidBinaryRepresentation},
		{"text utf8", types.Text, []byte{0xff}, pgerror.InvalidBinaryRepresentation},
		{"interval short", types.Interval, make([]byte, 12), pgerror.InvalidBinaryRepresentation},
		{"uuid short", uuidT, make([]byte, 15), pgerror.InvalidBinaryRepresentation},
		{"unsupported", types.T{Oid: types.OidRecord, Mod: -1}, nil, pgerror.FeatureNotSupported},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := types.DecodeBinary(tc.typ, tc.b)
			wantCode(t, err, tc.code)
		})
	}
}

func TestAppendBinaryWrongGoType(t *testing.T) {
	_, err := types.AppendBinary(nil, "x", types.Int4)
	wantCode(t, err, pgerror.InternalError)
}

// TestBinaryPgtypeInterop encodes with this package and decodes with pgx's
// pgtype codecs, and the reverse.
func TestBinaryPgtypeInterop(t *testing.T) {
	m := pgtype.NewMap()
	tm := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	cases := []struct {
		name  string
		typ   types.T
		ours  types.Datum
		pgx   any            // value pgx encodes
		scan  func() any     // new scan target
		equal func(any) bool // checks the scanned target against ours
	}{
		{"int4", types.Int4, int64(-123456), int32(-123456), func() any { return new(int32) }, func(v any) bool { return *v.(*int32) == -123456 }},
		{"int8", types.Int8, int64(math.MaxInt64), int64(math.MaxInt64), func() any { return new(int64) }, func(v any) bool { return *v.(*int64) == math.MaxInt64 }},
		{"float8", types.Float8, 0.1, 0.1, func() any { return new(float64) }, func(v any) bool { return *v.(*float64) == 0.1 }},
		{"bool", types.Bool, true, true, func() any { return new(bool) }, func(v any) bool { return *v.(*bool) }},
		{"text", types.Text, "héllo", "héllo", func() any { return new(string) }, func(v any) bool { return *v.(*string) == "héllo" }},
		{"bytea", types.Bytea, []byte{0, 1, 255}, []byte{0, 1, 255}, func() any { return new([]byte) }, func(v any) bool { return bytes.Equal(*v.(*[]byte), []byte{0, 1, 255}) }},
		{"date", types.Date, time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC),
			func() any { return new(time.Time) }, func(v any) bool { return v.(*time.Time).Equal(time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)) }},
		{"timestamp", types.Timestamp, tm, tm, func() any { return new(time.Time) }, func(v any) bool { return v.(*time.Time).Equal(tm) }},
		{"timestamptz", types.Timestamptz, tm, tm, func() any { return new(time.Time) }, func(v any) bool { return v.(*time.Time).Equal(tm) }},
		{"interval", types.Interval, types.IntervalValue{Months: 3, Days: -2, Micros: 5}, pgtype.Interval{Months: 3, Days: -2, Microseconds: 5, Valid: true},
			func() any { return new(pgtype.Interval) }, func(v any) bool {
				iv := v.(*pgtype.Interval)
				return iv.Months == 3 && iv.Days == -2 && iv.Microseconds == 5
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name+" ours to pgx", func(t *testing.T) {
			b, err := types.AppendBinary(nil, tc.ours, tc.typ)
			if err != nil {
				t.Fatal(err)
			}
			dst := tc.scan()
			if err := m.Scan(tc.typ.Oid, pgtype.BinaryFormatCode, b, dst); err != nil {
				t.Fatalf("pgtype scan: %v", err)
			}
			if !tc.equal(dst) {
				t.Fatalf("pgtype decoded %v, want %v", dst, tc.ours)
			}
		})
		t.Run(tc.name+" pgx to ours", func(t *testing.T) {
			b, err := m.Encode(tc.typ.Oid, pgtype.BinaryFormatCode, tc.pgx, nil)
			if err != nil {
				t.Fatalf("pgtype encode: %v", err)
			}
			got, err := types.DecodeBinary(tc.typ, b)
			if err != nil {
				t.Fatal(err)
			}
			if types.Compare(got, tc.ours) != 0 {
				t.Fatalf("decoded %v, want %v", got, tc.ours)
			}
		})
	}
}

func TestBinaryPgtypeNumeric(t *testing.T) {
	m := pgtype.NewMap()
	for _, s := range []string{"0", "1.50", "-12345.6789", "0.000012345", "100000000", "123456789012345678901234567890.123", "NaN", "Infinity", "-Infinity"} {
		t.Run(s, func(t *testing.T) {
			ours := dec(t, s)
			b, err := types.AppendBinary(nil, ours, types.Numeric)
			if err != nil {
				t.Fatal(err)
			}
			var n pgtype.Numeric
			if err := m.Scan(types.OidNumeric, pgtype.BinaryFormatCode, b, &n); err != nil {
				t.Fatalf("pgtype scan: %v", err)
			}
			if got := pgxNumericString(n); got != types.FormatText(ours, types.Numeric) && numCmp(t, got, ours) != 0 {
				t.Fatalf("pgtype decoded %s, want %s", got, s)
			}
			b2, err := m.Encode(types.OidNumeric, pgtype.BinaryFormatCode, n, nil)
			if err != nil {
				t.Fatalf("pgtype encode: %v", err)
			}
			back, err := types.DecodeBinary(types.Numeric, b2)
			if err != nil {
				t.Fatal(err)
			}
			if types.Compare(back, ours) != 0 {
				t.Fatalf("pgtype encoding decodes to %s, want %s", types.FormatText(back, types.Numeric), s)
			}
		})
	}
}

// pgxNumericString renders a pgtype.Numeric as Int×10^Exp.
func pgxNumericString(n pgtype.Numeric) string {
	switch {
	case n.NaN:
		return "NaN"
	case n.InfinityModifier == pgtype.Infinity:
		return "Infinity"
	case n.InfinityModifier == pgtype.NegativeInfinity:
		return "-Infinity"
	}
	d := apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(new(big.Int).Set(n.Int)), n.Exp)
	return d.Text('f')
}

func numCmp(t *testing.T, s string, d *apd.Decimal) int {
	t.Helper()
	x, _, err := apd.NewFromString(s)
	if err != nil {
		t.Fatalf("bad decimal %q", s)
	}
	return types.Compare(x, d)
}
