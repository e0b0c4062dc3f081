package types_test

import (
	"testing"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// TestTimeOfDayText: time_in's accepted spellings and time_out's form, as
// PostgreSQL 15 answers them (checked with psql), and the errors' codes.
func TestTimeOfDayText(t *testing.T) {
	for _, c := range []struct {
		typ      types.T
		in, want string
	}{
		{types.Time, "12:34", "12:34:00"},
		{types.Time, " 1:2:3 ", "01:02:03"},
		{types.Time, "10:00 PM", "22:00:00"},
		{types.Time, "12:00 am", "00:00:00"},
		{types.Time, "10:00:00.1234567", "10:00:00.123457"},
		{types.Time, "23:59:59.9999999", "24:00:00"},
		{types.Time, "24:00", "24:00:00"},
		{types.Time, "10:20:60", "10:21:00"},
		{types.Time, "1030", "10:30:00"},
		{types.Time, "103015", "10:30:15"},
		{types.Time, "allballs", "00:00:00"},
		{types.Time, "2024-01-01 10:00+05", "10:00:00"},
		{types.Time, "T10:00", "10:00:00"},
		{types.Time, "10:00:00 UTC", "10:00:00"},
		{types.T{Oid: types.OidTime, Mod: 1}, "23:59:59.99", "24:00:00"},
		{types.T{Oid: types.OidTime, Mod: 2}, "12:34:56.789", "12:34:56.79"},
		{types.T{Oid: types.OidTime, Mod: 0}, "10:00:00.5", "10:00:01"},
	} {
		d, err := types.ParseText(c.typ, c.in)
		if err != nil {
			t.Errorf("%s %q: %v", c.typ, c.in, err)
			continue
		}
		if got := types.FormatText(d, c.typ); got != c.want {
			t.Errorf("%s %q: %q, want %q", c.typ, c.in, got, c.want)
		}
	}
	for in, code := range map[string]pgerror.Code{
		"10": pgerror.InvalidDatetimeFormat, "x": pgerror.InvalidDatetimeFormat, "-1:00": pgerror.InvalidDatetimeFormat,
		"10:00:00 Europe/Paris": pgerror.InvalidDatetimeFormat,
		"25:00":                 pgerror.DatetimeFieldOverflow, "24:00:01": pgerror.DatetimeFieldOverflow,
		"10:60": pgerror.DatetimeFieldOverflow, "13:00 pm": pgerror.DatetimeFieldOverflow,
	} {
		_, err := types.ParseText(types.Time, in)
		wantCode(t, err, code)
	}
}

// TestTimeOfDayArithmetic: time ± interval wraps modulo a day and ignores
// the interval's days and months; casts from interval and timestamp.
func TestTimeOfDayArithmetic(t *testing.T) {
	hour := int64(3600e6)
	for _, c := range []struct {
		t    int64
		iv   types.IntervalValue
		want int64
	}{
		{10 * hour, types.IntervalValue{Micros: 3 * hour, Days: 1}, 13 * hour},
		{23 * hour, types.IntervalValue{Micros: 2 * hour}, 1 * hour},
		{1 * hour, types.IntervalValue{Micros: -2 * hour}, 23 * hour},
		{10 * hour, types.IntervalValue{Micros: 48 * hour}, 10 * hour},
		{24 * hour, types.IntervalValue{}, 0},
		{10 * hour, types.IntervalValue{Months: 1}, 10 * hour},
	} {
		if got := types.TimePlusInterval(c.t, c.iv); got != c.want {
			t.Errorf("%d + %+v = %d, want %d", c.t, c.iv, got, c.want)
		}
	}
	d, err := types.Cast(types.IntervalValue{Micros: -hour}, types.Interval, types.Time, true)
	if err != nil || types.FormatText(d, types.Time) != "23:00:00" {
		t.Errorf("interval '-1 hour'::time = %v, %v; want 23:00:00", d, err)
	}
	d, err = types.Cast(int64(10*hour), types.Time, types.Interval, false)
	if err != nil || types.FormatText(d, types.Interval) != "10:00:00" {
		t.Errorf("time '10:00'::interval = %v, %v", d, err)
	}
}
