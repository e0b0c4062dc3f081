package types_test

import (
	"math"
	"testing"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

func TestCast(t *testing.T) {
	cases := []struct {
		name     string
		from, to types.T
		in       types.Datum
		explicit bool
		want     string       // text of the result in type to
		code     pgerror.Code // expected error code, "" for success
	}{
		{"int8 to int4", types.Int8, types.Int4, int64(7), false, "7", ""},
		{"int8 to int4 range", types.Int8, types.Int4, int64(1 << 40), false, "", pgerror.NumericValueOutOfRange},
		{"int4 to int2 range", types.Int4, types.Int2, int64(40000), true, "", pgerror.NumericValueOutOfRange},
		{"float to int ties even", types.Float8, types.Int4, 2.5, false, "2", ""},
		{"float to int ties even odd", types.Float8, types.Int4, 3.5, false, "4", ""},
		{"float to int neg", types.Float8, types.Int4, -2.5, false, "-2", ""},
		{"float nan to int", types.Float8, types.Int4, math.NaN(), true, "", pgerror.NumericValueOutOfRange},
		{"float big to int8", types.Float8, types.Int8, 1e19, true, "", pgerror.NumericValueOutOfRange},
		{"numeric to int half away", types.Numeric, types.Int4, dec(t, "2.5"), false, "3", ""},
		{"numeric to int neg half away", types.Numeric, types.Int4, dec(t, "-2.5"), false, "-3", ""},
		{"numeric nan to int", types.Numeric, types.Int4, dec(t, "NaN"), true, "", pgerror.FeatureNotSupported},
		{"numeric to int8 range", types.Numeric, types.Int8, dec(t, "9223372036854775808"), true, "", pgerror.NumericValueOutOfRange},
		{"int to numeric(5,2)", types.Int4, types.NumericPS(5, 2), int64(12), false, "12.00", ""},
		{"int to numeric(3,2) overflow", types.Int4, types.NumericPS(3, 2), int64(12), false, "", pgerror.NumericValueOutOfRange},
		{"numeric to numeric(4,1)", types.Numeric, types.NumericPS(4, 1), dec(t, "123.45"), false, "123.5", ""},
		{"float to numeric", types.Float8, types.Numeric, 0.1, false, "0.1", ""},
		{"float to numeric 15 digits", types.Float8, types.Numeric, 1.0 / 3, false, "0.333333333333333", ""},
		{"float4 to numeric", types.Float4, types.Numeric, float64(float32(0.1)), false, "0.1", ""},
		{"float inf to numeric", types.Float8, types.Numeric, math.Inf(-1), false, "-Infinity", ""},
		{"numeric to float", types.Numeric, types.Float8, dec(t, "1.25"), false, "1.25", ""},
		{"float8 to float4 overflow", types.Float8, types.Float4, 1e300, false, "", pgerror.NumericValueOutOfRange},
		{"float8 to float4 underflow", types.Float8, types.Float4, 1e-300, false, "", pgerror.NumericValueOutOfRange},
		{"int to float8", types.Int8, types.Float8, int64(1) << 53, false, "9.007199254740992e+15", ""},
		{"int to text", types.Int4, types.Text, int64(-5), false, "-5", ""},
		{"bool to text", types.Bool, types.Text, true, true, "true", ""},
		{"numeric to text", types.Numeric, types.Text, dec(t, "1.50"), false, "1.50", ""},
		{"float to text", types.Float8, types.Text, 1e20, false, "1e+20", ""},
		{"text to int", types.Text, types.Int4, " 12 ", true, "12", ""},
		{"text to int bad", types.Text, types.Int4, "x", true, "", pgerror.InvalidTextRepresentation},
		{"unknown to date", types.Unknown, types.Date, "2024-01-02", false, "2024-01-02", ""},
		{"text to bool", types.Text, types.Bool, "yes", true, "t", ""},
		{"varchar explicit truncates", types.Text, types.VarcharN(3), "abcdef", true, "abc", ""},
		{"varchar assignment fails", types.Text, types.VarcharN(3), "abcdef", false, "", pgerror.StringDataRightTruncation},
		{"char pads", types.Text, types.BpcharN(3), "a", false, "a  ", ""},
		{"char to text trims", types.BpcharN(3), types.Text, "a  ", false, "a", ""},
		{"int to bool explicit", types.Int4, types.Bool, int64(5), true, "t", ""},
		{"int to bool zero", types.Int4, types.Bool, int64(0), true, "f", ""},
		{"int to bool assignment", types.Int4, types.Bool, int64(1), false, "", pgerror.CannotCoerce},
		{"bool to int", types.Bool, types.Int4, true, true, "1", ""},
		{"bool to int assignment", types.Bool, types.Int4, true, false, "", pgerror.CannotCoerce},
		{"timestamp to date", types.Timestamp, types.Date, ts("2024-01-02 23:59:59"), false, "2024-01-02", ""},
		{"date to timestamp", types.Date, types.Timestamp, ts("2024-01-02 00:00:00"), false, "2024-01-02 00:00:00", ""},
		{"date to timestamptz", types.Date, types.Timestamptz, ts("2024-01-02 00:00:00"), false, "2024-01-02 00:00:00+00", ""},
		{"timestamptz to timestamp", types.Timestamptz, types.Timestamp, ts("2024-01-02 10:00:00"), false, "2024-01-02 10:00:00", ""},
		{"date to int", types.Date, types.Int4, ts("2024-01-02 00:00:00"), true, "", pgerror.CannotCoerce},
		{"interval to text", types.Interval, types.Text, types.IntervalValue{Days: 1}, false, "1 day", ""},
		{"bytea to text", types.Bytea, types.Text, []byte{1}, false, `\x01`, ""},
		{"text to bytea", types.Text, types.Bytea, `\x01`, false, `\x01`, ""},
		{"text to json bad", types.Text, types.T{Oid: types.OidJSON, Mod: -1}, "{", true, "", pgerror.InvalidTextRepresentation},
		{"int to oid", types.Int4, types.Oid4, int64(-1), false, "4294967295", ""},
		{"int8 to oid range", types.Int8, types.Oid4, int64(-1), false, "", pgerror.NumericValueOutOfRange},
		{"text to uuid", types.Text, uuidT, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", false, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := types.Cast(tc.in, tc.from, tc.to, tc.explicit)
			if tc.code != "" {
				wantCode(t, err, tc.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := types.FormatText(got, tc.to); s != tc.want {
				t.Fatalf("Cast = %q, want %q", s, tc.want)
			}
		})
	}
}

func TestCastNull(t *testing.T) {
	got, err := types.Cast(nil, types.Text, types.Int4, false)
	if got != nil || err != nil {
		t.Fatalf("Cast(NULL) = %v, %v", got, err)
	}
}

func TestParseTypeName(t *testing.T) {
	cases := []struct {
		name string
		mods []int32
		want string
		code pgerror.Code
	}{
		{"int4", nil, "integer", ""},
		{"INTEGER", nil, "integer", ""},
		{"pg_catalog.int8", nil, "bigint", ""},
		{"smallint", nil, "smallint", ""},
		{"varchar", []int32{5}, "character varying(5)", ""},
		{"character varying", nil, "character varying", ""},
		{"bpchar", []int32{3}, "character(3)", ""},
		{"char", nil, "character(1)", ""},
		{"numeric", []int32{10, 2}, "numeric(10,2)", ""},
		{"decimal", []int32{7}, "numeric(7,0)", ""},
		{"float8", nil, "double precision", ""},
		{"double precision", nil, "double precision", ""},
		{"real", nil, "real", ""},
		{"float", []int32{10}, "real", ""},
		{"float", []int32{30}, "double precision", ""},
		{"boolean", nil, "boolean", ""},
		{"timestamptz", nil, "timestamp with time zone", ""},
		{"timestamp", nil, "timestamp without time zone", ""},
		{"date", nil, "date", ""},
		{"bytea", nil, "bytea", ""},
		{"interval", nil, "interval", ""},
		{"uuid", nil, "uuid", ""},
		{"jsonb", nil, "jsonb", ""},
		{"name", nil, "name", ""},
		{"oid", nil, "oid", ""},
		{"widget", nil, "", pgerror.UndefinedObject},
		{"varchar", []int32{0}, "", pgerror.InvalidParameterValue},
		{"numeric", []int32{1001}, "", pgerror.InvalidParameterValue},
		{"numeric", []int32{5, 6}, "", pgerror.InvalidParameterValue},
		{"float", []int32{54}, "", pgerror.InvalidParameterValue},
		{"int4", []int32{3}, "", pgerror.SyntaxError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := types.ParseTypeName(tc.name, tc.mods)
			if tc.code != "" {
				wantCode(t, err, tc.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want {
				t.Fatalf("ParseTypeName = %s, want %s", got, tc.want)
			}
		})
	}
	_, err := types.ParseTypeName("widget", nil)
	if err.Error() != `type "widget" does not exist` {
		t.Fatalf("message = %q", err.Error())
	}
}

func TestCommonType(t *testing.T) {
	cases := []struct {
		name string
		a, b types.T
		want types.T
		ok   bool
	}{
		{"same", types.Int4, types.Int4, types.Int4, true},
		{"int widen", types.Int2, types.Int8, types.Int8, true},
		{"int numeric", types.Int8, types.Numeric, types.Numeric, true},
		{"numeric float", types.Numeric, types.Float8, types.Float8, true},
		{"int real", types.Int4, types.Float4, types.Float4, true},
		{"unknown adopts", types.Unknown, types.Date, types.Date, true},
		{"unknown both", types.Unknown, types.Unknown, types.Text, true},
		{"strings", types.VarcharN(3), types.Text, types.Text, true},
		{"varchar mods differ", types.VarcharN(3), types.VarcharN(5), types.Varchar, true},
		{"date timestamp", types.Date, types.Timestamp, types.Timestamp, true},
		{"timestamp tz", types.Timestamp, types.Timestamptz, types.Timestamptz, true},
		{"int text", types.Int4, types.Text, types.Unknown, false},
		{"bool int", types.Bool, types.Int4, types.Unknown, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := types.CommonType(tc.a, tc.b)
			if ok != tc.ok || (ok && got != tc.want) {
				t.Fatalf("CommonType = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
			if got2, ok2 := types.CommonType(tc.b, tc.a); ok2 != ok || got2 != got {
				t.Fatalf("CommonType not symmetric: %v vs %v", got, got2)
			}
		})
	}
}
