package types_test

import (
	"math"
	"testing"
	"time"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// TestFormatText checks output against strings printed by PostgreSQL 15.
func TestFormatText(t *testing.T) {
	negZero := math.Copysign(0, -1)
	cases := []struct {
		name string
		d    types.Datum
		typ  types.T
		want string
	}{
		{"true", true, types.Bool, "t"},
		{"false", false, types.Bool, "f"},
		{"int", int64(-42), types.Int4, "-42"},
		{"int8 min", int64(math.MinInt64), types.Int8, "-9223372036854775808"},
		{"float 1.5", 1.5, types.Float8, "1.5"},
		{"float 0.1", 0.1, types.Float8, "0.1"},
		{"float 1e20", 1e20, types.Float8, "1e+20"},
		{"float 1e15", 1e15, types.Float8, "1e+15"},
		{"float 1e14", 1e14, types.Float8, "100000000000000"},
		{"float 1e-5", 1e-5, types.Float8, "1e-05"},
		{"float 1e-4", 1e-4, types.Float8, "0.0001"},
		{"float third", 1.0 / 3, types.Float8, "0.3333333333333333"},
		{"float 1e100", 1e100, types.Float8, "1e+100"},
		{"float -2.5e-7", -2.5e-7, types.Float8, "-2.5e-07"},
		{"float max", math.MaxFloat64, types.Float8, "1.7976931348623157e+308"},
		{"float inf", math.Inf(1), types.Float8, "Infinity"},
		{"float -inf", math.Inf(-1), types.Float8, "-Infinity"},
		{"float nan", math.NaN(), types.Float8, "NaN"},
		{"float -0", negZero, types.Float8, "-0"},
		{"real third", float64(float32(1.0 / 3)), types.Float4, "0.33333334"},
		{"real 1e6", 1e6, types.Float4, "1e+06"},
		{"real 100000", 1e5, types.Float4, "100000"},
		{"real 1.1", float64(float32(1.1)), types.Float4, "1.1"},
		{"numeric scale", dec(t, "1.50"), types.Numeric, "1.50"},
		{"numeric exp", dec(t, "1.5e3"), types.Numeric, "1500"},
		{"numeric exp scale", dec(t, "1.50e1"), types.Numeric, "15.0"},
		{"numeric neg zero", dec(t, "-0.00"), types.Numeric, "0.00"},
		{"numeric small", dec(t, "0.00001234"), types.Numeric, "0.00001234"},
		{"numeric nan", dec(t, "nan"), types.Numeric, "NaN"},
		{"numeric -inf", dec(t, "-Infinity"), types.Numeric, "-Infinity"},
		{"text", "héllo", types.Text, "héllo"},
		{"bytea", []byte{1, 2, 0xab}, types.Bytea, `\x0102ab`},
		{"bytea empty", []byte{}, types.Bytea, `\x`},
		{"date", ts("2024-01-02 00:00:00"), types.Date, "2024-01-02"},
		{"date bc", time.Date(-43, 3, 15, 0, 0, 0, 0, time.UTC), types.Date, "0044-03-15 BC"},
		{"timestamp", ts("2024-01-02 03:04:05.123456"), types.Timestamp, "2024-01-02 03:04:05.123456"},
		{"timestamp trim", ts("2024-01-02 03:04:05.12"), types.Timestamp, "2024-01-02 03:04:05.12"},
		{"timestamp whole", ts("2024-01-02 03:04:05"), types.Timestamp, "2024-01-02 03:04:05"},
		{"timestamptz", ts("2024-01-02 03:04:05.5"), types.Timestamptz, "2024-01-02 03:04:05.5+00"},
		{"interval full", types.IntervalValue{Months: 14, Days: 3, Micros: 14706000000}, types.Interval, "1 year 2 mons 3 days 04:05:06"},
		{"interval zero", types.IntervalValue{}, types.Interval, "00:00:00"},
		{"interval mixed sign", types.IntervalValue{Days: -1, Micros: 7200000000}, types.Interval, "-1 days +02:00:00"},
		{"interval neg time", types.IntervalValue{Micros: -1500000}, types.Interval, "-00:00:01.5"},
		{"interval one", types.IntervalValue{Months: 1, Days: 1}, types.Interval, "1 mon 1 day"},
		{"interval years", types.IntervalValue{Months: -24}, types.Interval, "-2 years"},
		{"interval hours", types.IntervalValue{Micros: 100 * 3600e6}, types.Interval, "100:00:00"},
		{"uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", types.T{Oid: types.OidUUID, Mod: -1}, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"pg_lsn", int64(0x16B374D48), types.PgLSN, "1/6B374D48"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := types.FormatText(tc.d, tc.typ); got != tc.want {
				t.Fatalf("FormatText = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAppendTextLoc(t *testing.T) {
	loc := time.FixedZone("IST", 5*3600+1800)
	got := string(types.AppendTextLoc([]byte("x="), ts("2024-01-02 03:04:05"), types.Timestamptz, loc))
	if want := "x=2024-01-02 08:34:05+05:30"; got != want {
		t.Fatalf("AppendTextLoc = %q, want %q", got, want)
	}
}

// TestParseTextRoundTrip parses PostgreSQL literals and checks the
// canonical output PostgreSQL 15 prints for them.
func TestParseTextRoundTrip(t *testing.T) {
	uuidT := types.T{Oid: types.OidUUID, Mod: -1}
	cases := []struct {
		name string
		typ  types.T
		in   string
		want string
	}{
		{"bool yes", types.Bool, " YES ", "t"},
		{"bool on", types.Bool, "on", "t"},
		{"bool off", types.Bool, "off", "f"},
		{"bool prefix", types.Bool, "tr", "t"},
		{"bool 0", types.Bool, "0", "f"},
		{"int spaces", types.Int4, "  42 ", "42"},
		{"int plus", types.Int4, "+7", "7"},
		{"int2 min", types.Int2, "-32768", "-32768"},
		{"int8 max", types.Int8, "9223372036854775807", "9223372036854775807"},
		{"oid negative wraps", types.Oid4, "-1", "4294967295"},
		{"float exp", types.Float8, "1.5e3", "1500"},
		{"float inf", types.Float8, "-infinity", "-Infinity"},
		{"float dot", types.Float8, ".5", "0.5"},
		{"real", types.Float4, "3.14159265", "3.1415927"},
		{"numeric keeps scale", types.Numeric, "1.500", "1.500"},
		{"numeric(5,2) rounds", types.NumericPS(5, 2), "1.005", "1.01"},
		{"numeric(5,2) rounds neg", types.NumericPS(5, 2), "-1.005", "-1.01"},
		{"numeric(5,2) pads", types.NumericPS(5, 2), "1", "1.00"},
		{"numeric(3,0)", types.NumericPS(3, 0), "999.4", "999"},
		{"numeric inf", types.Numeric, "inf", "Infinity"},
		{"varchar fits", types.VarcharN(5), "hello", "hello"},
		{"varchar trailing spaces cut", types.VarcharN(3), "abc   ", "abc"},
		{"varchar runes", types.VarcharN(2), "éé", "éé"},
		{"char pads", types.BpcharN(4), "ab", "ab  "},
		{"name truncates", types.Name, string(make([]byte, 70)), string(make([]byte, 63))},
		{"bytea hex", types.Bytea, `\xDE AD be ef`, `\xdeadbeef`},
		{"bytea escape", types.Bytea, `a\\b\001`, `\x615c6201`},
		{"date", types.Date, "2024-1-2", "2024-01-02"},
		{"date with time", types.Date, "2024-01-02 10:00", "2024-01-02"},
		{"date mdy", types.Date, "12/31/1999", "1999-12-31"},
		{"date two-digit year", types.Date, "24-01-02", "2024-01-02"},
		{"date two-digit year 1900s", types.Date, "1/2/99", "1999-01-02"},
		{"date bc", types.Date, "0044-03-15 BC", "0044-03-15 BC"},
		{"date epoch", types.Date, "epoch", "1970-01-01"},
		{"ts T", types.Timestamp, "2024-01-02T03:04:05.25", "2024-01-02 03:04:05.25"},
		{"ts zone ignored", types.Timestamp, "2024-01-02 03:04:05+02", "2024-01-02 03:04:05"},
		{"ts rounds", types.Timestamp, "2024-01-02 03:04:05.9999995", "2024-01-02 03:04:06"},
		{"ts(0)", types.T{Oid: types.OidTimestamp, Mod: 0}, "2024-01-02 03:04:05.5", "2024-01-02 03:04:06"},
		{"tstz Z", types.Timestamptz, "2024-01-02T03:04:05Z", "2024-01-02 03:04:05+00"},
		{"tstz offset", types.Timestamptz, "2024-01-02 03:04:05+05:30", "2024-01-01 21:34:05+00"},
		{"tstz offset compact", types.Timestamptz, "2024-01-02 03:04:05-0800", "2024-01-02 11:04:05+00"},
		{"tstz utc word", types.Timestamptz, "2024-01-02 03:04:05 UTC", "2024-01-02 03:04:05+00"},
		{"tstz no zone", types.Timestamptz, "2024-01-02 03:04", "2024-01-02 03:04:00+00"},
		{"interval pg", types.Interval, "1 year 2 mons 3 days 04:05:06", "1 year 2 mons 3 days 04:05:06"},
		{"interval units", types.Interval, "2 hours 30 minutes", "02:30:00"},
		{"interval fraction months", types.Interval, "1.5 months", "1 mon 15 days"},
		{"interval fraction days", types.Interval, "1.5 days", "1 day 12:00:00"},
		{"interval ago", types.Interval, "@ 3 days ago", "-3 days"},
		{"interval week", types.Interval, "1 week", "7 days"},
		{"interval iso", types.Interval, "P1Y2M3DT4H5M6.5S", "1 year 2 mons 3 days 04:05:06.5"},
		{"interval bare number", types.Interval, "10", "00:00:10"},
		{"interval mixed", types.Interval, "-1 days +02:00:00", "-1 days +02:00:00"},
		{"uuid braces upper", uuidT, "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"uuid no hyphens", uuidT, "a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"json", types.T{Oid: types.OidJSON, Mod: -1}, `{"a": [1, 2]}`, `{"a": [1, 2]}`},
		{"pg_lsn", types.PgLSN, "16/B374D848", "16/B374D848"},
		{"jsonb normalizes", types.JSONB, ` {"bb":1,"a":[1.50,2e2,true,null],"a":"x\u0001\n"} `, `{"a": "x\u0001\n", "bb": 1}`},
		{"jsonb nested", types.JSONB, `[{"b":{},"a":[]},"é"]`, `[{"a": [], "b": {}}, "é"]`},
		{"jsonb numbers", types.JSONB, `[1.50,2e2,-0.0]`, `[1.50, 200, 0.0]`},
		{"jsonb scalar", types.JSONB, `"s"`, `"s"`},
		{"json keeps text", types.JSON, `{"b":1, "a":2}`, `{"b":1, "a":2}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := mustParse(t, tc.typ, tc.in)
			if got := types.FormatText(d, tc.typ); got != tc.want {
				t.Fatalf("ParseText(%q) prints %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseTextErrors(t *testing.T) {
	cases := []struct {
		name    string
		typ     types.T
		in      string
		code    pgerror.Code
		message string
	}{
		{"int syntax", types.Int4, "abc", pgerror.InvalidTextRepresentation, `invalid input syntax for type integer: "abc"`},
		{"int empty", types.Int4, "", pgerror.InvalidTextRepresentation, `invalid input syntax for type integer: ""`},
		{"int inner space", types.Int4, "1 2", pgerror.InvalidTextRepresentation, `invalid input syntax for type integer: "1 2"`},
		{"int decimal", types.Int8, "1.5", pgerror.InvalidTextRepresentation, `invalid input syntax for type bigint: "1.5"`},
		{"int range", types.Int4, "99999999999", pgerror.NumericValueOutOfRange, `value "99999999999" is out of range for type integer`},
		{"int2 range", types.Int2, "32768", pgerror.NumericValueOutOfRange, `value "32768" is out of range for type smallint`},
		{"int8 range", types.Int8, "9223372036854775808", pgerror.NumericValueOutOfRange, `value "9223372036854775808" is out of range for type bigint`},
		{"bool", types.Bool, "maybe", pgerror.InvalidTextRepresentation, `invalid input syntax for type boolean: "maybe"`},
		{"bool o ambiguous", types.Bool, "o", pgerror.InvalidTextRepresentation, `invalid input syntax for type boolean: "o"`},
		{"float syntax", types.Float8, "1.2.3", pgerror.InvalidTextRepresentation, `invalid input syntax for type double precision: "1.2.3"`},
		{"float hex rejected", types.Float8, "0x10", pgerror.InvalidTextRepresentation, `invalid input syntax for type double precision: "0x10"`},
		{"float range", types.Float8, "1e400", pgerror.NumericValueOutOfRange, `"1e400" is out of range for type double precision`},
		{"real range", types.Float4, "1e39", pgerror.NumericValueOutOfRange, `"1e39" is out of range for type real`},
		{"numeric syntax", types.Numeric, "12a", pgerror.InvalidTextRepresentation, `invalid input syntax for type numeric: "12a"`},
		{"numeric overflow", types.NumericPS(5, 2), "1000", pgerror.NumericValueOutOfRange, "numeric field overflow"},
		{"numeric round overflow", types.NumericPS(3, 1), "99.96", pgerror.NumericValueOutOfRange, "numeric field overflow"},
		{"numeric inf typmod", types.NumericPS(3, 1), "Infinity", pgerror.NumericValueOutOfRange, "numeric field overflow"},
		{"numeric huge exponent", types.Numeric, "1e1001", pgerror.InvalidTextRepresentation, `invalid input syntax for type numeric: "1e1001"`},
		{"varchar too long", types.VarcharN(5), "abcdef", pgerror.StringDataRightTruncation, "value too long for type character varying(5)"},
		{"char too long", types.BpcharN(2), "abc", pgerror.StringDataRightTruncation, "value too long for type character(2)"},
		{"bytea hex digit", types.Bytea, `\xzz`, pgerror.InvalidTextRepresentation, `invalid hexadecimal digit: "z"`},
		{"bytea odd", types.Bytea, `\xabc`, pgerror.InvalidTextRepresentation, "invalid hexadecimal data: odd number of digits"},
		{"bytea escape", types.Bytea, `\9`, pgerror.InvalidTextRepresentation, "invalid input syntax for type bytea"},
		{"date syntax", types.Date, "yesterdayish", pgerror.InvalidDatetimeFormat, `invalid input syntax for type date: "yesterdayish"`},
		{"date range", types.Date, "2024-02-30", pgerror.DatetimeFieldOverflow, `date/time field value out of range: "2024-02-30"`},
		{"date month", types.Date, "2024-13-01", pgerror.DatetimeFieldOverflow, `date/time field value out of range: "2024-13-01"`},
		{"timestamp syntax", types.Timestamp, "2024-01-02 xx", pgerror.InvalidDatetimeFormat, `invalid input syntax for type timestamp: "2024-01-02 xx"`},
		{"timestamptz syntax", types.Timestamptz, "nope", pgerror.InvalidDatetimeFormat, `invalid input syntax for type timestamp with time zone: "nope"`},
		{"timestamp hour", types.Timestamp, "2024-01-02 25:00:00", pgerror.DatetimeFieldOverflow, `date/time field value out of range: "2024-01-02 25:00:00"`},
		{"interval", types.Interval, "1 fortnight", pgerror.InvalidDatetimeFormat, `invalid input syntax for type interval: "1 fortnight"`},
		{"uuid", types.T{Oid: types.OidUUID, Mod: -1}, "a0ee-bc99", pgerror.InvalidTextRepresentation, `invalid input syntax for type uuid: "a0ee-bc99"`},
		{"json", types.T{Oid: types.OidJSON, Mod: -1}, "{", pgerror.InvalidTextRepresentation, `invalid input syntax for type json`},
		{"jsonb trailing", types.JSONB, "{} x", pgerror.InvalidTextRepresentation, `invalid input syntax for type json`},
		{"unsupported", types.T{Oid: types.OidRecord, Mod: -1}, "(1)", pgerror.FeatureNotSupported, "input of type record is not supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := types.ParseText(tc.typ, tc.in)
			wantCode(t, err, tc.code)
			if err.Error() != tc.message {
				t.Fatalf("message = %q, want %q", err.Error(), tc.message)
			}
		})
	}
}

func TestParseTextLocZone(t *testing.T) {
	loc := time.FixedZone("X", -3*3600)
	d, err := types.ParseTextLoc(types.Timestamptz, "2024-01-02 03:04:05", loc)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := types.FormatText(d, types.Timestamptz), "2024-01-02 06:04:05+00"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
