package types_test

import (
	"math"
	"testing"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

type arithFn func(a, b types.Datum, t types.T) (types.Datum, error)

func TestArithmetic(t *testing.T) {
	cases := []struct {
		name string
		fn   arithFn
		a, b types.Datum
		typ  types.T
		want string
		code pgerror.Code
		msg  string
	}{
		{"int add", types.Add, int64(2), int64(3), types.Int4, "5", "", ""},
		{"int4 add overflow", types.Add, int64(math.MaxInt32), int64(1), types.Int4, "", pgerror.NumericValueOutOfRange, "integer out of range"},
		{"int2 mul overflow", types.Mul, int64(200), int64(200), types.Int2, "", pgerror.NumericValueOutOfRange, "smallint out of range"},
		{"int8 add overflow", types.Add, int64(math.MaxInt64), int64(1), types.Int8, "", pgerror.NumericValueOutOfRange, "bigint out of range"},
		{"int8 sub overflow", types.Sub, int64(math.MinInt64), int64(1), types.Int8, "", pgerror.NumericValueOutOfRange, "bigint out of range"},
		{"int8 mul overflow", types.Mul, int64(1) << 62, int64(4), types.Int8, "", pgerror.NumericValueOutOfRange, "bigint out of range"},
		{"int8 mul min", types.Mul, int64(math.MinInt64), int64(-1), types.Int8, "", pgerror.NumericValueOutOfRange, "bigint out of range"},
		{"int8 mul ok", types.Mul, int64(-3037000499), int64(3037000499), types.Int8, "-9223372030926249001", "", ""},
		{"int div truncates", types.Div, int64(-7), int64(2), types.Int4, "-3", "", ""},
		{"int div zero", types.Div, int64(1), int64(0), types.Int4, "", pgerror.DivisionByZero, "division by zero"},
		{"int4 min / -1", types.Div, int64(math.MinInt32), int64(-1), types.Int4, "", pgerror.NumericValueOutOfRange, "integer out of range"},
		{"int8 min / -1", types.Div, int64(math.MinInt64), int64(-1), types.Int8, "", pgerror.NumericValueOutOfRange, "bigint out of range"},
		{"int mod sign", types.Mod, int64(-7), int64(3), types.Int4, "-1", "", ""},
		{"int mod -1", types.Mod, int64(math.MinInt64), int64(-1), types.Int8, "0", "", ""},
		{"int mod zero", types.Mod, int64(1), int64(0), types.Int8, "", pgerror.DivisionByZero, "division by zero"},
		{"float add", types.Add, 0.1, 0.2, types.Float8, "0.30000000000000004", "", ""},
		{"float overflow", types.Mul, 1e300, 1e300, types.Float8, "", pgerror.NumericValueOutOfRange, "value out of range: overflow"},
		{"float underflow", types.Mul, 1e-300, 1e-300, types.Float8, "", pgerror.NumericValueOutOfRange, "value out of range: underflow"},
		{"float inf ok", types.Add, math.Inf(1), 1.0, types.Float8, "Infinity", "", ""},
		{"float div zero", types.Div, 1.0, 0.0, types.Float8, "", pgerror.DivisionByZero, "division by zero"},
		{"float div", types.Div, 1.0, 3.0, types.Float8, "0.3333333333333333", "", ""},
		{"float4 overflow", types.Mul, 1e30, 1e30, types.Float4, "", pgerror.NumericValueOutOfRange, "value out of range: overflow"},
		{"float4 mul", types.Mul, 1.1, 1.1, types.Float4, "1.21", "", ""},
		{"numeric add keeps scale", types.Add, dec(t, "1.50"), dec(t, "1"), types.Numeric, "2.50", "", ""},
		{"numeric sub", types.Sub, dec(t, "1"), dec(t, "0.001"), types.Numeric, "0.999", "", ""},
		{"numeric mul scale", types.Mul, dec(t, "1.5"), dec(t, "2.25"), types.Numeric, "3.375", "", ""},
		{"numeric mul zeros", types.Mul, dec(t, "1.50"), dec(t, "2.0"), types.Numeric, "3.000", "", ""},
		{"numeric div third", types.Div, dec(t, "1"), dec(t, "3"), types.Numeric, "0.33333333333333333333", "", ""},
		{"numeric div two thirds", types.Div, dec(t, "2"), dec(t, "3"), types.Numeric, "0.66666666666666666667", "", ""},
		{"numeric div exact", types.Div, dec(t, "10"), dec(t, "4"), types.Numeric, "2.5000000000000000", "", ""},
		{"numeric div big", types.Div, dec(t, "123456789"), dec(t, "0.001"), types.Numeric, "123456789000.00000000", "", ""},
		{"numeric div scale operand", types.Div, dec(t, "1.0000000000000000000000"), dec(t, "3"), types.Numeric, "0.3333333333333333333333", "", ""},
		{"numeric div small", types.Div, dec(t, "1"), dec(t, "70000"), types.Numeric, "0.000014285714285714285714", "", ""},
		{"numeric div neg", types.Div, dec(t, "-2"), dec(t, "3"), types.Numeric, "-0.66666666666666666667", "", ""},
		{"numeric div zero", types.Div, dec(t, "1"), dec(t, "0.00"), types.Numeric, "", pgerror.DivisionByZero, "division by zero"},
		{"numeric mod", types.Mod, dec(t, "10.5"), dec(t, "3"), types.Numeric, "1.5", "", ""},
		{"numeric mod neg", types.Mod, dec(t, "-10.5"), dec(t, "3"), types.Numeric, "-1.5", "", ""},
		{"numeric mod zero", types.Mod, dec(t, "1"), dec(t, "0"), types.Numeric, "", pgerror.DivisionByZero, "division by zero"},
		{"numeric nan", types.Add, dec(t, "NaN"), dec(t, "1"), types.Numeric, "NaN", "", ""},
		{"numeric inf - inf", types.Sub, dec(t, "Infinity"), dec(t, "Infinity"), types.Numeric, "NaN", "", ""},
		{"numeric inf * -1", types.Mul, dec(t, "Infinity"), dec(t, "-1"), types.Numeric, "-Infinity", "", ""},
		{"numeric x / inf", types.Div, dec(t, "5"), dec(t, "Infinity"), types.Numeric, "0", "", ""},
		{"numeric int operand", types.Add, int64(1), dec(t, "0.5"), types.Numeric, "1.5", "", ""},
		{"numeric typmod result", types.Add, dec(t, "99.9"), dec(t, "0.1"), types.NumericPS(3, 1), "", pgerror.NumericValueOutOfRange, "numeric field overflow"},
		{"date + int", types.Add, ts("2024-02-28 00:00:00"), int64(2), types.Date, "2024-03-01", "", ""},
		{"int + date", types.Add, int64(1), ts("2024-12-31 00:00:00"), types.Date, "2025-01-01", "", ""},
		{"date - int", types.Sub, ts("2024-03-01 00:00:00"), int64(1), types.Date, "2024-02-29", "", ""},
		{"date - date", types.Sub, ts("2024-03-01 00:00:00"), ts("2024-01-01 00:00:00"), types.Int4, "60", "", ""},
		{"ts + interval month clamp", types.Add, ts("2024-01-31 10:00:00"), types.IntervalValue{Months: 1}, types.Timestamp, "2024-02-29 10:00:00", "", ""},
		{"ts + interval", types.Add, ts("2024-01-31 10:00:00"), types.IntervalValue{Days: 1, Micros: 3600e6}, types.Timestamp, "2024-02-01 11:00:00", "", ""},
		{"interval + ts", types.Add, types.IntervalValue{Micros: 1}, ts("2024-01-31 10:00:00"), types.Timestamp, "2024-01-31 10:00:00.000001", "", ""},
		{"ts + huge interval", types.Add, ts("2024-01-01 00:00:00"), types.IntervalValue{Micros: 400 * 365 * 86400e6}, types.Timestamp, "2423-09-26 00:00:00", "", ""},
		{"ts + interval out of range", types.Add, ts("2024-01-01 00:00:00"), types.IntervalValue{Months: math.MaxInt32}, types.Timestamp, "", pgerror.DatetimeFieldOverflow, "timestamp out of range"},
		{"ts - interval", types.Sub, ts("2024-03-31 00:00:00"), types.IntervalValue{Months: 1}, types.Timestamp, "2024-02-29 00:00:00", "", ""},
		{"ts - ts", types.Sub, ts("2024-01-02 03:00:00"), ts("2024-01-01 00:00:00.5"), types.Interval, "1 day 02:59:59.5", "", ""},
		{"interval + interval", types.Add, types.IntervalValue{Months: 1}, types.IntervalValue{Days: 2}, types.Interval, "1 mon 2 days", "", ""},
		{"interval * 1.5", types.Mul, types.IntervalValue{Months: 1, Days: 1}, 1.5, types.Interval, "1 mon 16 days 12:00:00", "", ""},
		{"interval / 2", types.Div, types.IntervalValue{Days: 3}, int64(2), types.Interval, "1 day 12:00:00", "", ""},
		{"interval overflow", types.Add, types.IntervalValue{Days: math.MaxInt32}, types.IntervalValue{Days: 1}, types.Interval, "", pgerror.DatetimeFieldOverflow, "interval out of range"},
		{"text + int", types.Add, "a", int64(1), types.Int4, "", pgerror.UndefinedFunction, "operator does not exist: text + bigint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.fn(tc.a, tc.b, tc.typ)
			if tc.code != "" {
				wantCode(t, err, tc.code)
				if err.Error() != tc.msg {
					t.Fatalf("message = %q, want %q", err.Error(), tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := types.FormatText(got, tc.typ); s != tc.want {
				t.Fatalf("result = %q, want %q", s, tc.want)
			}
		})
	}
}

func TestNeg(t *testing.T) {
	cases := []struct {
		name string
		a    types.Datum
		typ  types.T
		want string
		code pgerror.Code
	}{
		{"int", int64(5), types.Int4, "-5", ""},
		{"int4 min", int64(math.MinInt32), types.Int4, "", pgerror.NumericValueOutOfRange},
		{"int8 min", int64(math.MinInt64), types.Int8, "", pgerror.NumericValueOutOfRange},
		{"float", 1.5, types.Float8, "-1.5", ""},
		{"numeric zero", dec(t, "0.0"), types.Numeric, "0.0", ""},
		{"numeric", dec(t, "1.50"), types.Numeric, "-1.50", ""},
		{"interval", types.IntervalValue{Days: 1}, types.Interval, "-1 days", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := types.Neg(tc.a, tc.typ)
			if tc.code != "" {
				wantCode(t, err, tc.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := types.FormatText(got, tc.typ); s != tc.want {
				t.Fatalf("Neg = %q, want %q", s, tc.want)
			}
		})
	}
}

// TestArithDoesNotMutate guards the immutability contract of numerics.
func TestArithDoesNotMutate(t *testing.T) {
	a, b := dec(t, "1.5"), dec(t, "-2.25")
	for _, fn := range []arithFn{types.Add, types.Sub, types.Mul, types.Div, types.Mod} {
		if _, err := fn(a, b, types.Numeric); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := types.Neg(a, types.Numeric); err != nil {
		t.Fatal(err)
	}
	if a.String() != "1.5" || b.String() != "-2.25" {
		t.Fatalf("operands mutated: %s %s", a, b)
	}
}
