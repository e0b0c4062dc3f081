package types_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// TestInfinityInputOutput: 'infinity'/'-infinity' for date, timestamp and
// timestamptz as PostgreSQL 15 reads and prints them ('+infinity' is
// PostgreSQL 16 input, an error in 15).
func TestInfinityInputOutput(t *testing.T) {
	for _, typ := range []types.T{types.Date, types.Timestamp, types.Timestamptz} {
		for in, want := range map[string]string{"infinity": "infinity", " INFINITY ": "infinity", "-Infinity": "-infinity"} {
			d := mustParse(t, typ, in)
			if got := types.FormatText(d, typ); got != want {
				t.Errorf("%s %q: text %q, want %q", typ, in, got, want)
			}
			if got := string(types.AppendTextLoc(nil, d, typ, time.FixedZone("x", 5*3600))); got != want {
				t.Errorf("%s %q in +05: text %q, want %q", typ, in, got, want)
			}
		}
		_, err := types.ParseText(typ, "+infinity")
		wantCode(t, err, pgerror.InvalidDatetimeFormat)
		_, err = types.ParseText(typ, "infinity 10:00")
		wantCode(t, err, pgerror.InvalidDatetimeFormat)
	}
}

// TestInfinityOrderAndBinary: infinity sorts above and -infinity below every
// value in range, and the binary format is PostgreSQL's (int32 / int64
// max and min).
func TestInfinityOrderAndBinary(t *testing.T) {
	inf, ninf := types.InfinityTime, types.NegInfinityTime
	hi := mustParse(t, types.Timestamp, "294276-12-31 23:59:59.999999")
	lo := mustParse(t, types.Timestamp, "4713-11-24 00:00:00 BC")
	if types.Compare(inf, hi) <= 0 || types.Compare(ninf, lo) >= 0 || types.Compare(inf, inf) != 0 {
		t.Fatal("infinity does not order outside the finite range")
	}
	cases := []struct {
		typ  types.T
		d    time.Time
		wire []byte
	}{
		{types.Date, inf, []byte{0x7f, 0xff, 0xff, 0xff}},
		{types.Date, ninf, []byte{0x80, 0, 0, 0}},
		{types.Timestamp, inf, []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{types.Timestamptz, ninf, []byte{0x80, 0, 0, 0, 0, 0, 0, 0}},
	}
	for _, c := range cases {
		b, err := types.AppendBinary(nil, c.d, c.typ)
		if err != nil || !bytes.Equal(b, c.wire) {
			t.Errorf("%s send %v: %x %v, want %x", c.typ, c.d, b, err, c.wire)
		}
		back, err := types.DecodeBinary(c.typ, c.wire)
		if err != nil || types.Compare(back, c.d) != 0 {
			t.Errorf("%s recv %x: %v %v", c.typ, c.wire, back, err)
		}
	}
}

// TestInfinityArithAndCast: ± days or an interval keeps infinity;
// subtracting an infinite value is 22008 as in PostgreSQL; casts keep it.
func TestInfinityArithAndCast(t *testing.T) {
	inf := types.InfinityTime
	for _, b := range []types.Datum{int64(3), types.IntervalValue{Months: 1, Days: 2, Micros: 3}} {
		for _, f := range []func(a, b types.Datum, t types.T) (types.Datum, error){types.Add, types.Sub} {
			r, err := f(inf, b, types.Timestamp)
			if err != nil || types.Compare(r, inf) != 0 {
				t.Errorf("infinity op %v = %v, %v", b, r, err)
			}
		}
	}
	_, err := types.Sub(inf, mustParse(t, types.Date, "2020-01-01"), types.Int4)
	wantCode(t, err, pgerror.DatetimeFieldOverflow)
	_, err = types.Sub(types.NegInfinityTime, inf, types.Interval)
	wantCode(t, err, pgerror.DatetimeFieldOverflow)
	for _, pair := range [][2]types.T{{types.Timestamptz, types.Date}, {types.Date, types.Timestamp}, {types.Timestamp, types.Timestamptz}} {
		r, err := types.Cast(types.NegInfinityTime, pair[0], pair[1], true)
		if err != nil || types.InfSign(r.(time.Time)) != -1 {
			t.Errorf("cast -infinity %s -> %s: %v %v", pair[0], pair[1], r, err)
		}
	}
}

// TestSpecialDayWords: 'today', 'tomorrow', 'yesterday' and 'now' read the
// transaction start in the session zone.
func TestSpecialDayWords(t *testing.T) {
	loc := time.FixedZone("m10", -10*3600)
	now := time.Date(2024, 3, 15, 3, 4, 5, 123456789, time.UTC) // 2024-03-14 17:04 in loc
	for _, c := range []struct {
		typ     types.T
		in, out string
	}{
		{types.Date, "today", "2024-03-14"},
		{types.Date, "Tomorrow", "2024-03-15"},
		{types.Date, " yesterday ", "2024-03-13"},
		{types.Date, "now", "2024-03-14"},
		{types.Timestamp, "tomorrow", "2024-03-15 00:00:00"},
		{types.Timestamp, "today 10:30", "2024-03-14 10:30:00"},
		{types.Timestamp, "now", "2024-03-14 17:04:05.123456"},
		{types.Timestamptz, "today", "2024-03-14 10:00:00+00"},
		{types.Timestamptz, "now", "2024-03-15 03:04:05.123456+00"},
		{types.Timestamp, "epoch", "1970-01-01 00:00:00"},
	} {
		d, err := types.ParseTextAt(c.typ, c.in, now, loc)
		if err != nil {
			t.Errorf("%s %q: %v", c.typ, c.in, err)
			continue
		}
		if got := types.FormatText(d, c.typ); got != c.out {
			t.Errorf("%s %q: %q, want %q", c.typ, c.in, got, c.out)
		}
	}
	_, err := types.ParseTextAt(types.Date, "now 10:00", now, loc)
	wantCode(t, err, pgerror.InvalidDatetimeFormat)
}
