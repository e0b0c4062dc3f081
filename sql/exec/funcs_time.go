package exec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// Date/time functions (PostgreSQL 15 documentation, "Date/Time Functions
// and Operators"): extract/date_part, date_trunc, age, make_date,
// make_timestamp, to_char/to_date/to_timestamp (the common template
// patterns) and timezone() (AT TIME ZONE). timestamptz fields are taken in
// the session's TimeZone.

func init() {
	for name, d := range map[string]funcDef{
		"extract":        {minArg: 2, maxArg: 2, strict: true, prep: prepExtract(true)},
		"date_part":      {minArg: 2, maxArg: 2, strict: true, prep: prepExtract(false)},
		"date_trunc":     {minArg: 2, maxArg: 2, strict: true, prep: prepDateTrunc},
		"age":            {minArg: 1, maxArg: 2, strict: true, prep: prepAge},
		"make_date":      {result: fixed(types.Date), hints: []types.T{types.Int4}, strict: true, minArg: 3, maxArg: 3, fn: fnMakeDate},
		"make_timestamp": {result: fixed(types.Timestamp), hints: []types.T{types.Int4, types.Int4, types.Int4, types.Int4, types.Int4, types.Float8}, strict: true, minArg: 6, maxArg: 6, fn: fnMakeTimestamp},
		"to_char":        {minArg: 2, maxArg: 2, strict: true, prep: prepToChar},
		"to_date":        {result: fixed(types.Date), hints: textT, strict: true, minArg: 2, maxArg: 2, fn: toDateFn(types.Date)},
		"to_timestamp":   {minArg: 1, maxArg: 2, strict: true, prep: prepToTimestamp},
		"timezone":       {minArg: 2, maxArg: 2, strict: true, prep: prepTimezone},
		"isfinite":       {minArg: 1, maxArg: 1, strict: true, prep: prepIsFinite},
	} {
		funcTable[name] = d
	}
	noFold["age"] = true // age(ts) reads the transaction's start
}

// timeArg types argument i as a date/time value (an untyped literal reads
// as def).
func timeArg(args []*cexpr, i int, def types.T) (*cexpr, error) {
	a := args[i]
	if a.unknown {
		return litAs(a, def)
	}
	if !(planner.IsDateTime(a.t) || a.t.Family() == types.FamInterval) {
		return nil, errNoVariant
	}
	return a, nil
}

// wallClock is a date/time value's fields: timestamptz in loc.
func wallClock(en *env, d Datum, t types.T) time.Time {
	tm := d.(time.Time)
	if t.Oid == types.OidTimestamptz {
		return tm.In(sessionLoc(en))
	}
	return tm
}

func unitErr(unit string, t types.T, recognized bool) error {
	if recognized {
		return pgerror.Newf(pgerror.FeatureNotSupported, "unit %q not supported for type %s", unit, t)
	}
	return pgerror.Newf(pgerror.InvalidParameterValue, "unit %q not recognized for type %s", unit, t)
}

var knownUnits = map[string]string{
	"microsecond": "microseconds", "microseconds": "microseconds", "us": "microseconds", "usec": "microseconds", "usecs": "microseconds",
	"millisecond": "milliseconds", "milliseconds": "milliseconds", "ms": "milliseconds", "msec": "milliseconds", "msecs": "milliseconds",
	"second": "second", "seconds": "second", "sec": "second", "secs": "second", "s": "second",
	"minute": "minute", "minutes": "minute", "min": "minute", "mins": "minute", "m": "minute",
	"hour": "hour", "hours": "hour", "h": "hour", "hr": "hour", "hrs": "hour",
	"day": "day", "days": "day", "d": "day",
	"week": "week", "weeks": "week", "w": "week",
	"month": "month", "months": "month", "mon": "month", "mons": "month",
	"quarter": "quarter", "qtr": "quarter",
	"year": "year", "years": "year", "y": "year", "yr": "year", "yrs": "year",
	"decade": "decade", "decades": "decade", "dec": "decade",
	"century": "century", "centuries": "century", "c": "century", "cent": "century",
	"millennium": "millennium", "millennia": "millennium", "mil": "millennium", "mils": "millennium",
	"dow": "dow", "isodow": "isodow", "doy": "doy", "epoch": "epoch", "isoyear": "isoyear",
	"julian": "julian", "j": "julian", "timezone": "timezone", "timezone_hour": "timezone_hour",
	"timezone_minute": "timezone_minute",
}

func normUnit(s string) (string, bool) {
	u, ok := knownUnits[strings.ToLower(strings.TrimSpace(s))]
	return u, ok
}

// decScaled is v / 10^scale as a numeric of that scale.
func decScaled(v int64, scale int32) *apd.Decimal { return apd.New(v, -scale) }

// prepExtract is extract(field FROM x) (numeric) and date_part(text, x)
// (float8).
func prepExtract(numeric bool) func([]*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	return func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
		if !args[0].unknown && args[0].t.Family() != types.FamString {
			return nil, types.T{}, nil, errNoVariant
		}
		var x *cexpr
		var err error
		if args[1].t.Family() == types.FamTime && !args[1].unknown {
			x = args[1]
		} else if x, err = timeArg(args, 1, types.Timestamptz); err != nil {
			return nil, types.T{}, nil, err
		}
		t := x.t
		if !numeric && t.Family() == types.FamDate {
			x, t = coerce(x, types.Timestamp), types.Timestamp
		}
		args[1] = x
		rt := types.Float8
		if numeric {
			rt = types.Numeric
		}
		f := func(en *env, a []Datum) (Datum, error) {
			if en == nil {
				return nil, errNoFold // reads the session time zone
			}
			raw := str(a[0])
			unit, ok := normUnit(raw)
			if !ok {
				return nil, unitErr(raw, t, false)
			}
			var d *apd.Decimal
			switch t.Family() {
			case types.FamInterval:
				d, err = extractInterval(unit, a[1].(types.IntervalValue))
			case types.FamTime:
				d, err = extractTimeOfDay(unit, a[1].(int64))
			default:
				d, err = extractTime(en, unit, a[1], t)
			}
			if err != nil {
				if pe := pgerror.As(err); pe != nil && pe.Code == pgerror.FeatureNotSupported {
					return nil, unitErr(raw, t, true)
				}
				return nil, err
			}
			if d == nil {
				return nil, nil // a field of an infinite date/timestamp
			}
			if numeric {
				return d, nil
			}
			if d.Form == apd.Infinite && d.Negative {
				return math.Inf(-1), nil
			} else if d.Form == apd.Infinite {
				return math.Inf(1), nil
			}
			f, _ := d.Float64()
			return f, nil
		}
		if c, ok := constStr(args[0]); ok {
			if _, known := normUnit(c); !known {
				return nil, types.T{}, nil, unitErr(c, t, false)
			}
		}
		return args, rt, f, nil
	}
}

// extractTimeOfDay is extract/date_part of a time (time_part_common).
func extractTimeOfDay(unit string, us int64) (*apd.Decimal, error) {
	sec := us % 60_000_000
	switch unit {
	case "microseconds":
		return decScaled(sec, 0), nil
	case "milliseconds":
		return decScaled(sec, 3), nil
	case "second":
		return decScaled(sec, 6), nil
	case "minute":
		return decScaled(us/60_000_000%60, 0), nil
	case "hour":
		return decScaled(us/3_600_000_000, 0), nil
	case "epoch":
		return decScaled(us, 6), nil
	}
	return nil, errUnsupportedUnit
}

var errUnsupportedUnit = pgerror.New(pgerror.FeatureNotSupported, "unit not supported")

// extractTime is extract/date_part of a date/time value; a nil result (no
// error) is SQL NULL, PostgreSQL's answer for most fields of infinity.
func extractTime(en *env, unit string, d Datum, t types.T) (*apd.Decimal, error) {
	isDate := t.Family() == types.FamDate
	if sign := types.InfSign(d.(time.Time)); sign != 0 {
		return extractInfinite(unit, sign, isDate, t)
	}
	tm := wallClock(en, d, t)
	year := tm.Year()
	usec := int64(tm.Nanosecond() / 1000)
	switch unit {
	case "microseconds", "milliseconds", "second", "minute", "hour":
		if isDate {
			return nil, errUnsupportedUnit
		}
	case "timezone", "timezone_hour", "timezone_minute":
		if t.Oid != types.OidTimestamptz {
			return nil, errUnsupportedUnit
		}
	}
	switch unit {
	case "microseconds":
		return decScaled(int64(tm.Second())*1e6+usec, 0), nil
	case "milliseconds":
		return decScaled(int64(tm.Second())*1e6+usec, 3), nil
	case "second":
		return decScaled(int64(tm.Second())*1e6+usec, 6), nil
	case "minute":
		return decScaled(int64(tm.Minute()), 0), nil
	case "hour":
		return decScaled(int64(tm.Hour()), 0), nil
	case "day":
		return decScaled(int64(tm.Day()), 0), nil
	case "month":
		return decScaled(int64(tm.Month()), 0), nil
	case "quarter":
		return decScaled(int64((tm.Month()-1)/3+1), 0), nil
	case "year":
		if year <= 0 {
			year-- // there is no year 0: 1 BC is -1
		}
		return decScaled(int64(year), 0), nil
	case "decade":
		if year <= 0 {
			return decScaled(-int64((-year+9)/10), 0), nil
		}
		return decScaled(int64(year/10), 0), nil
	case "century":
		if year <= 0 {
			return decScaled(-int64((99-(year-1))/100), 0), nil
		}
		return decScaled(int64((year+99)/100), 0), nil
	case "millennium":
		if year <= 0 {
			return decScaled(-int64((999-(year-1))/1000), 0), nil
		}
		return decScaled(int64((year+999)/1000), 0), nil
	case "dow":
		return decScaled(int64(tm.Weekday()), 0), nil
	case "isodow":
		wd := int64(tm.Weekday())
		if wd == 0 {
			wd = 7
		}
		return decScaled(wd, 0), nil
	case "doy":
		return decScaled(int64(tm.YearDay()), 0), nil
	case "week":
		_, w := tm.ISOWeek()
		return decScaled(int64(w), 0), nil
	case "isoyear":
		y, _ := tm.ISOWeek()
		return decScaled(int64(y), 0), nil
	case "julian":
		jd := int64(math.Floor(float64(tm.Unix())/86400)) + 2440588
		if isDate {
			return decScaled(jd, 0), nil
		}
		return nil, errUnsupportedUnit
	case "epoch":
		u := d.(time.Time)
		sec := u.Unix()
		if isDate {
			return decScaled(sec, 0), nil
		}
		return decScaled(sec*1e6+int64(u.Nanosecond()/1000), 6), nil
	case "timezone":
		_, off := tm.Zone()
		return decScaled(int64(off), 0), nil
	case "timezone_hour":
		_, off := tm.Zone()
		return decScaled(int64(off/3600), 0), nil
	case "timezone_minute":
		_, off := tm.Zone()
		return decScaled(int64(off/60%60), 0), nil
	}
	return nil, errUnsupportedUnit
}

// extractInfinite is PostgreSQL's NonFiniteTimestampTzPart / the
// non-finite branch of extract_date: the unbounded fields are ±Infinity,
// the others NULL, a field the type lacks an error.
func extractInfinite(unit string, sign int, isDate bool, t types.T) (*apd.Decimal, error) {
	switch unit {
	case "year", "decade", "century", "millennium", "julian", "isoyear", "epoch":
		return &apd.Decimal{Form: apd.Infinite, Negative: sign < 0}, nil
	case "microseconds", "milliseconds", "second", "minute", "hour":
		if isDate {
			return nil, errUnsupportedUnit
		}
	case "timezone", "timezone_hour", "timezone_minute":
		if t.Oid != types.OidTimestamptz {
			return nil, errUnsupportedUnit
		}
	case "day", "month", "quarter", "week", "dow", "isodow", "doy":
	default:
		return nil, errUnsupportedUnit
	}
	return nil, nil
}

func extractInterval(unit string, iv types.IntervalValue) (*apd.Decimal, error) {
	months, days, us := int64(iv.Months), int64(iv.Days), iv.Micros
	year := months / 12
	switch unit {
	case "microseconds":
		return decScaled(us%60_000_000, 0), nil
	case "milliseconds":
		return decScaled(us%60_000_000, 3), nil
	case "second":
		return decScaled(us%60_000_000, 6), nil
	case "minute":
		return decScaled(us/60_000_000%60, 0), nil
	case "hour":
		return decScaled(us/3_600_000_000, 0), nil
	case "day":
		return decScaled(days, 0), nil
	case "month":
		return decScaled(months%12, 0), nil
	case "quarter":
		return decScaled(months%12/3+1, 0), nil
	case "year":
		return decScaled(year, 0), nil
	case "decade":
		return decScaled(year/10, 0), nil
	case "century":
		return decScaled(year/100, 0), nil
	case "millennium":
		return decScaled(year/1000, 0), nil
	case "epoch":
		// 365.25 days a year, 30 days a month
		total := new(apd.Decimal)
		for _, part := range []*apd.Decimal{
			apd.New(year*31557600, 0), apd.New(months%12*30*86400, 0), apd.New(days*86400, 0), apd.New(us, -6),
		} {
			_, _ = ctx1000.Add(total, total, part)
		}
		_, _ = ctx1000.Quantize(total, total, -6)
		return total, nil
	}
	return nil, errUnsupportedUnit
}

// prepDateTrunc is date_trunc(unit, x): timestamp, timestamptz (a date
// argument is a timestamptz, as PostgreSQL resolves it) or interval.
func prepDateTrunc(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	if !args[0].unknown && args[0].t.Family() != types.FamString {
		return nil, types.T{}, nil, errNoVariant
	}
	if args[1].t.Family() == types.FamTime && !args[1].unknown {
		args[1] = coerce(args[1], types.Interval) // time's implicit cast: date_trunc(text, interval)
	}
	x, err := timeArg(args, 1, types.Timestamptz)
	if err != nil {
		return nil, types.T{}, nil, err
	}
	t := x.t
	if t.Family() == types.FamDate {
		x, t = coerce(x, types.Timestamptz), types.Timestamptz
	}
	args[1] = x
	if c, ok := constStr(args[0]); ok {
		if _, known := normUnit(c); !known {
			return nil, types.T{}, nil, unitErr(c, t, false)
		}
	}
	return args, t, func(en *env, a []Datum) (Datum, error) {
		if en == nil {
			return nil, errNoFold // reads the session time zone
		}
		raw := str(a[0])
		unit, ok := normUnit(raw)
		if !ok {
			return nil, unitErr(raw, t, false)
		}
		if t.Family() == types.FamInterval {
			return truncInterval(unit, raw, a[1].(types.IntervalValue))
		}
		loc := time.UTC
		if t.Oid == types.OidTimestamptz {
			loc = sessionLoc(en)
		}
		if !types.IsFiniteTime(a[1].(time.Time)) {
			return a[1], nil // timestamp_trunc: infinity stays infinity
		}
		tm := a[1].(time.Time).In(loc)
		y, mo, d := tm.Date()
		h, mi, s, ns := tm.Hour(), tm.Minute(), tm.Second(), tm.Nanosecond()
		switch unit {
		case "millennium":
			y = (y-1)/1000*1000 + 1
			mo, d, h, mi, s, ns = 1, 1, 0, 0, 0, 0
		case "century":
			y = (y-1)/100*100 + 1
			mo, d, h, mi, s, ns = 1, 1, 0, 0, 0, 0
		case "decade":
			y = y / 10 * 10
			mo, d, h, mi, s, ns = 1, 1, 0, 0, 0, 0
		case "year":
			mo, d, h, mi, s, ns = 1, 1, 0, 0, 0, 0
		case "quarter":
			mo = (mo-1)/3*3 + 1
			d, h, mi, s, ns = 1, 0, 0, 0, 0
		case "month":
			d, h, mi, s, ns = 1, 0, 0, 0, 0
		case "week":
			wd := int(tm.Weekday()+6) % 7 // days since Monday
			d -= wd
			h, mi, s, ns = 0, 0, 0, 0
		case "day":
			h, mi, s, ns = 0, 0, 0, 0
		case "hour":
			mi, s, ns = 0, 0, 0
		case "minute":
			s, ns = 0, 0
		case "second":
			ns = 0
		case "milliseconds":
			ns = ns / 1e6 * 1e6
		case "microseconds":
		default:
			return nil, unitErr(raw, t, true)
		}
		out := time.Date(y, mo, d, h, mi, s, ns, loc)
		if t.Oid == types.OidTimestamptz {
			return out.UTC(), nil
		}
		return out, nil
	}, nil
}

func truncInterval(unit, raw string, iv types.IntervalValue) (Datum, error) {
	m, d, us := iv.Months, iv.Days, iv.Micros
	switch unit {
	case "millennium":
		m, d, us = m/12000*12000, 0, 0
	case "century":
		m, d, us = m/1200*1200, 0, 0
	case "decade":
		m, d, us = m/120*120, 0, 0
	case "year":
		m, d, us = m/12*12, 0, 0
	case "quarter":
		m, d, us = m/3*3, 0, 0
	case "month":
		d, us = 0, 0
	case "day":
		us = 0
	case "hour":
		us = us / 3_600_000_000 * 3_600_000_000
	case "minute":
		us = us / 60_000_000 * 60_000_000
	case "second":
		us = us / 1_000_000 * 1_000_000
	case "milliseconds":
		us = us / 1000 * 1000
	case "microseconds":
	default:
		return nil, unitErr(raw, types.Interval, true)
	}
	return types.IntervalValue{Months: m, Days: d, Micros: us}, nil
}

var dayTab = [2][12]int{
	{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31},
	{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31},
}

func isLeap(y int) int {
	if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		return 1
	}
	return 0
}

// ageOf is timestamp_age: the symbolic difference in years, months, days
// and time, borrowing from the month of the earlier value as PostgreSQL
// does.
func ageOf(t1, t2 time.Time) (Datum, error) {
	neg := t1.Before(t2)
	fsec := int64(t1.Nanosecond()/1000 - t2.Nanosecond()/1000)
	sec := t1.Second() - t2.Second()
	mi := t1.Minute() - t2.Minute()
	h := t1.Hour() - t2.Hour()
	md := t1.Day() - t2.Day()
	mon := int(t1.Month()) - int(t2.Month())
	yr := t1.Year() - t2.Year()
	if neg {
		fsec, sec, mi, h, md, mon, yr = -fsec, -sec, -mi, -h, -md, -mon, -yr
	}
	for fsec < 0 {
		fsec += 1e6
		sec--
	}
	for sec < 0 {
		sec += 60
		mi--
	}
	for mi < 0 {
		mi += 60
		h--
	}
	for h < 0 {
		h += 24
		md--
	}
	for md < 0 {
		if neg {
			md += dayTab[isLeap(t1.Year())][t1.Month()-1]
		} else {
			md += dayTab[isLeap(t2.Year())][t2.Month()-1]
		}
		mon--
	}
	for mon < 0 {
		mon += 12
		yr--
	}
	if neg {
		fsec, sec, mi, h, md, mon, yr = -fsec, -sec, -mi, -h, -md, -mon, -yr
	}
	return types.IntervalValue{
		Months: int32(yr*12 + mon),
		Days:   int32(md),
		Micros: int64(h)*3_600_000_000 + int64(mi)*60_000_000 + int64(sec)*1_000_000 + fsec,
	}, nil
}

func prepAge(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	t := types.Timestamp
	for i := range args {
		if !args[i].unknown && args[i].t.Oid == types.OidTimestamptz {
			t = types.Timestamptz
		}
	}
	for i := range args {
		a, err := timeArg(args, i, t)
		if err != nil {
			return nil, types.T{}, nil, err
		}
		if a.t.Family() == types.FamInterval {
			return nil, types.T{}, nil, errNoVariant
		}
		args[i] = coerce(a, t)
	}
	return args, types.Interval, func(en *env, a []Datum) (Datum, error) {
		if en == nil {
			return nil, errNoFold // reads the session time zone
		}
		loc := time.UTC
		if t.Oid == types.OidTimestamptz {
			loc = sessionLoc(en)
		}
		x := a[0].(time.Time).In(loc)
		var y time.Time
		if len(a) == 2 {
			y = a[1].(time.Time).In(loc)
		} else {
			// age(ts) is age(current_date, ts): midnight of today
			now := en.txn.start.In(sessionLoc(en))
			y, x = x, time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
		}
		if !types.IsFiniteTime(x) || !types.IsFiniteTime(y) {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "age() of infinite timestamps is not supported")
		}
		return ageOf(x, y)
	}, nil
}

func fnMakeDate(_ *env, a []Datum) (Datum, error) {
	y, m, d := i64(a[0]), i64(a[1]), i64(a[2])
	return makeDate(y, m, d)
}

func makeDate(y, m, d int64) (time.Time, error) {
	yy := int(y)
	if y < 0 {
		yy = int(y) + 1 // 1 BC is year 0
	}
	bad := y == 0 || m < 1 || m > 12 || d < 1 || y > 5874897 || y < -4713
	if !bad {
		bad = d > int64(dayTab[isLeap(yy)][m-1])
	}
	if bad {
		return time.Time{}, pgerror.Newf(pgerror.DatetimeFieldOverflow, "date field value out of range: %d-%02d-%02d", y, m, d)
	}
	return time.Date(yy, time.Month(m), int(d), 0, 0, 0, 0, time.UTC), nil
}

func fnMakeTimestamp(_ *env, a []Datum) (Datum, error) {
	dt, err := makeDate(i64(a[0]), i64(a[1]), i64(a[2]))
	if err != nil {
		return nil, err
	}
	h, mi, sec := i64(a[3]), i64(a[4]), toFloat(a[5])
	if h < 0 || h > 24 || mi < 0 || mi > 59 || sec < 0 || sec > 60 || h == 24 && (mi > 0 || sec > 0) {
		return nil, pgerror.Newf(pgerror.DatetimeFieldOverflow, "time field value out of range: %d:%02d:%s", h, mi, strconv.FormatFloat(sec, 'f', -1, 64))
	}
	us := int64(math.Round(sec * 1e6))
	return dt.Add(time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(us)*time.Microsecond), nil
}

// prepTimezone is timezone(zone, x), i.e. x AT TIME ZONE zone:
// timestamptz → the wall clock there (timestamp); timestamp → the instant
// that wall clock is there (timestamptz).
func prepTimezone(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	if !args[0].unknown && args[0].t.Family() != types.FamString {
		return nil, types.T{}, nil, errNoVariant
	}
	x, err := timeArg(args, 1, types.Timestamptz)
	if err != nil {
		return nil, types.T{}, nil, err
	}
	if x.t.Family() == types.FamDate {
		x = coerce(x, types.Timestamptz)
	}
	if x.t.Family() == types.FamInterval {
		return nil, types.T{}, nil, errNoVariant
	}
	args[1] = x
	toTZ := x.t.Oid == types.OidTimestamp
	rt := types.Timestamp
	if toTZ {
		rt = types.Timestamptz
	}
	return args, rt, func(_ *env, a []Datum) (Datum, error) {
		loc, err := zoneLoc(str(a[0]))
		if err != nil {
			return nil, err
		}
		tm := a[1].(time.Time)
		if !types.IsFiniteTime(tm) {
			return tm, nil // AT TIME ZONE keeps infinity
		}
		if toTZ {
			return time.Date(tm.Year(), tm.Month(), tm.Day(), tm.Hour(), tm.Minute(), tm.Second(), tm.Nanosecond(), loc).UTC(), nil
		}
		w := tm.In(loc)
		return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC), nil
	}, nil
}

func zoneLoc(name string) (*time.Location, error) {
	switch strings.ToLower(name) {
	case "utc", "gmt", "z", "zulu":
		return time.UTC, nil
	}
	if loc, err := time.LoadLocation(name); err == nil {
		return loc, nil
	}
	return nil, pgerror.Newf(pgerror.InvalidParameterValue, "time zone %q not recognized", name)
}

// to_char and friends: the template patterns applications use.

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
var dayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// charPatterns in matching order (longest first).
var charPatterns = []string{
	"HH24", "HH12", "HH", "MI", "SSSS", "SS", "MS", "US", "AM", "PM", "A.M.", "P.M.", "am", "pm",
	"YYYY", "YYY", "YY", "Y", "IYYY", "MONTH", "Month", "month", "MON", "Mon", "mon", "MM",
	"DAY", "Day", "day", "DY", "Dy", "dy", "DDD", "DD", "D", "IW", "WW", "Q", "TZ", "tz", "OF", "J",
	// numeric patterns are case-insensitive
	"hh24", "hh12", "hh", "mi", "ssss", "ss", "ms", "us", "yyyy", "yyy", "yy", "y", "iyyy", "mm",
	"ddd", "dd", "d", "iw", "ww", "q", "j",
}

// patKey is the pattern a match stands for (numeric patterns in upper case).
func patKey(m string) string {
	switch u := strings.ToUpper(m); u {
	case "HH24", "HH12", "HH", "MI", "SSSS", "SS", "MS", "US", "YYYY", "YYY", "YY", "Y", "IYYY", "MM",
		"DDD", "DD", "D", "IW", "WW", "Q", "J":
		return u
	}
	return m
}

func prepToChar(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	x := args[0]
	if !x.unknown && planner.IsNumeric(x.t) && (args[1].unknown || args[1].t.Family() == types.FamString) {
		t := x.t
		if t.Oid == types.OidInt2 {
			args[0], t = coerce(x, types.Int4), types.Int4
		}
		return args, types.Text, func(_ *env, a []Datum) (Datum, error) {
			return toCharNumber(a[0], t, str(a[1]))
		}, nil
	}
	if x.unknown || !planner.IsDateTime(x.t) || !(args[1].unknown || args[1].t.Family() == types.FamString) {
		return nil, types.T{}, nil, errNoVariant
	}
	if x.t.Family() == types.FamDate {
		x = coerce(x, types.Timestamp)
	}
	args[0] = x
	t := x.t
	return args, types.Text, func(en *env, a []Datum) (Datum, error) {
		if en == nil {
			return nil, errNoFold // reads the session time zone
		}
		if !types.IsFiniteTime(a[0].(time.Time)) {
			return nil, nil // timestamp_to_char: NULL for infinity
		}
		return toChar(wallClock(en, a[0], t), str(a[1]), t.Oid == types.OidTimestamptz), nil
	}, nil
}

func toChar(tm time.Time, f string, tz bool) string {
	var b strings.Builder
	for i := 0; i < len(f); {
		if f[i] == '"' {
			j := strings.IndexByte(f[i+1:], '"')
			if j < 0 {
				b.WriteString(f[i+1:])
				break
			}
			b.WriteString(f[i+1 : i+1+j])
			i += j + 2
			continue
		}
		if f[i] == '\\' && i+1 < len(f) {
			b.WriteByte(f[i+1])
			i += 2
			continue
		}
		fm := false
		if strings.HasPrefix(f[i:], "FM") || strings.HasPrefix(f[i:], "fm") {
			fm = true
			i += 2
		}
		matched := ""
		for _, p := range charPatterns {
			if strings.HasPrefix(f[i:], p) {
				matched = p
				break
			}
		}
		if matched == "" {
			if fm {
				continue
			}
			b.WriteByte(f[i])
			i++
			continue
		}
		i += len(matched)
		matched = patKey(matched)
		num := func(v, width int) {
			if fm {
				b.WriteString(strconv.Itoa(v))
			} else {
				fmt.Fprintf(&b, "%0*d", width, v)
			}
		}
		word := func(s string, upper, lower bool, width int) {
			switch {
			case upper:
				s = strings.ToUpper(s)
			case lower:
				s = strings.ToLower(s)
			}
			if !fm && len(s) < width {
				s += strings.Repeat(" ", width-len(s))
			}
			b.WriteString(s)
		}
		h := tm.Hour()
		switch matched {
		case "HH24":
			num(h, 2)
		case "HH12", "HH":
			h12 := h % 12
			if h12 == 0 {
				h12 = 12
			}
			num(h12, 2)
		case "MI":
			num(tm.Minute(), 2)
		case "SS":
			num(tm.Second(), 2)
		case "SSSS":
			num(h*3600+tm.Minute()*60+tm.Second(), 0)
		case "MS":
			num(tm.Nanosecond()/1e6, 3)
		case "US":
			num(tm.Nanosecond()/1e3, 6)
		case "AM", "PM":
			word(map[bool]string{true: "PM", false: "AM"}[h >= 12], false, false, 0)
		case "am", "pm":
			word(map[bool]string{true: "pm", false: "am"}[h >= 12], false, false, 0)
		case "A.M.", "P.M.":
			word(map[bool]string{true: "P.M.", false: "A.M."}[h >= 12], false, false, 0)
		case "YYYY":
			num(tm.Year(), 4)
		case "IYYY":
			y, _ := tm.ISOWeek()
			num(y, 4)
		case "YYY":
			num(tm.Year()%1000, 3)
		case "YY":
			num(tm.Year()%100, 2)
		case "Y":
			num(tm.Year()%10, 1)
		case "MONTH", "Month", "month":
			word(monthNames[tm.Month()-1], matched == "MONTH", matched == "month", 9)
		case "MON", "Mon", "mon":
			word(monthNames[tm.Month()-1][:3], matched == "MON", matched == "mon", 0)
		case "MM":
			num(int(tm.Month()), 2)
		case "DAY", "Day", "day":
			word(dayNames[tm.Weekday()], matched == "DAY", matched == "day", 9)
		case "DY", "Dy", "dy":
			word(dayNames[tm.Weekday()][:3], matched == "DY", matched == "dy", 0)
		case "DDD":
			num(tm.YearDay(), 3)
		case "DD":
			num(tm.Day(), 2)
		case "D":
			num(int(tm.Weekday())+1, 1)
		case "IW":
			_, w := tm.ISOWeek()
			num(w, 2)
		case "WW":
			num((tm.YearDay()-1)/7+1, 2)
		case "Q":
			num((int(tm.Month())-1)/3+1, 1)
		case "J":
			num(int(math.Floor(float64(tm.Unix())/86400))+2440588, 0)
		case "TZ", "tz":
			if tz {
				name, _ := tm.Zone()
				if matched == "tz" {
					name = strings.ToLower(name)
				}
				b.WriteString(name)
			}
		case "OF":
			if tz {
				_, off := tm.Zone()
				sign := "+"
				if off < 0 {
					sign, off = "-", -off
				}
				fmt.Fprintf(&b, "%s%02d", sign, off/3600)
				if off%3600 != 0 {
					fmt.Fprintf(&b, ":%02d", off%3600/60)
				}
			}
		}
	}
	return b.String()
}

// toDateFn is to_date/to_timestamp(text, template) for the numeric fields
// (YYYY MM DD HH24 HH12 HH MI SS MS US) and month names.
func toDateFn(t types.T) scalarFn {
	return func(_ *env, a []Datum) (Datum, error) {
		s, f := str(a[0]), str(a[1])
		y, mo, d, h, mi, sec, us := 1, 1, 1, 0, 0, 0, 0
		pm := -1
		si := 0
		skipSpaces := func() {
			for si < len(s) && s[si] == ' ' {
				si++
			}
		}
		readNum := func(maxDigits int) (int, error) {
			skipSpaces()
			j := si
			if j < len(s) && (s[j] == '-' || s[j] == '+') {
				j++
			}
			for j < len(s) && j-si < maxDigits && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			v, err := strconv.Atoi(s[si:j])
			if err != nil {
				return 0, pgerror.Newf(pgerror.InvalidDatetimeFormat, "invalid value %q for template", s[si:])
			}
			si = j
			return v, nil
		}
		var err error
		for fi := 0; fi < len(f); {
			if strings.HasPrefix(f[fi:], "FM") {
				fi += 2
				continue
			}
			matched := ""
			for _, p := range charPatterns {
				if strings.HasPrefix(f[fi:], p) {
					matched = p
					break
				}
			}
			if matched == "" {
				fi++
				if si < len(s) {
					si++
				}
				continue
			}
			fi += len(matched)
			switch patKey(matched) {
			case "YYYY", "IYYY":
				y, err = readNum(4)
			case "YY":
				y, err = readNum(2)
				y += 2000
				if y > 2069 {
					y -= 100
				}
			case "MM":
				mo, err = readNum(2)
			case "DD":
				d, err = readNum(2)
			case "HH24", "HH12", "HH":
				h, err = readNum(2)
			case "MI":
				mi, err = readNum(2)
			case "SS":
				sec, err = readNum(2)
			case "MS":
				var v int
				v, err = readNum(3)
				us = v * 1000
			case "US":
				us, err = readNum(6)
			case "AM", "PM", "am", "pm":
				skipSpaces()
				if si+2 <= len(s) {
					pm = map[bool]int{true: 1, false: 0}[strings.EqualFold(s[si:si+2], "PM")]
					si += 2
				}
			case "MONTH", "Month", "month", "MON", "Mon", "mon":
				skipSpaces()
				found := false
				for i, m := range monthNames {
					n := m
					if len(matched) == 3 {
						n = m[:3]
					}
					if len(s)-si >= len(n) && strings.EqualFold(s[si:si+len(n)], n) {
						mo, si, found = i+1, si+len(n), true
						break
					}
				}
				if !found {
					return nil, pgerror.Newf(pgerror.InvalidDatetimeFormat, "invalid value %q for %q", s[si:], matched)
				}
			default:
				return nil, pgerror.Newf(pgerror.FeatureNotSupported, "template pattern %q is not supported in to_date/to_timestamp", matched)
			}
			if err != nil {
				return nil, err
			}
		}
		if pm == 1 && h < 12 {
			h += 12
		} else if pm == 0 && h == 12 {
			h = 0
		}
		dt, err := makeDate(int64(y), int64(mo), int64(d))
		if err != nil {
			return nil, err
		}
		if t == types.Date {
			return dt, nil
		}
		if h > 24 || mi > 59 || sec > 60 {
			return nil, pgerror.Newf(pgerror.DatetimeFieldOverflow, "date/time field value out of range: %q", s)
		}
		return dt.Add(time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(sec)*time.Second + time.Duration(us)*time.Microsecond), nil
	}
}

// prepToTimestamp is to_timestamp(double precision) (Unix epoch) and
// to_timestamp(text, template); both give timestamptz.
func prepToTimestamp(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	if len(args) == 2 {
		if !allText(args) {
			return nil, types.T{}, nil, errNoVariant
		}
		inner := toDateFn(types.Timestamp)
		return args, types.Timestamptz, func(en *env, a []Datum) (Datum, error) {
			if en == nil {
				return nil, errNoFold // reads the session time zone
			}
			v, err := inner(en, a)
			if err != nil {
				return nil, err
			}
			w := v.(time.Time)
			loc := sessionLoc(en)
			return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc).UTC(), nil
		}, nil
	}
	a, ok, err := numArg(args, 0, types.Float8)
	if err != nil {
		return nil, types.T{}, nil, err
	}
	if !ok {
		return nil, types.T{}, nil, errNoVariant
	}
	return []*cexpr{coerce(a, types.Float8)}, types.Timestamptz, func(_ *env, v []Datum) (Datum, error) {
		f := toFloat(v[0])
		if math.IsNaN(f) {
			return nil, pgerror.New(pgerror.DatetimeFieldOverflow, "timestamp cannot be NaN")
		}
		if math.IsInf(f, 0) || math.Abs(f) > 9.2e12 {
			return nil, pgerror.Newf(pgerror.DatetimeFieldOverflow, "timestamp out of range: \"%s\"", strconv.FormatFloat(f, 'g', -1, 64))
		}
		us := int64(math.Round(f * 1e6))
		return time.Unix(us/1e6, us%1e6*1000).UTC(), nil
	}, nil
}

// prepIsFinite is isfinite(date|timestamp|timestamptz|interval); an
// interval is always finite in PostgreSQL 15.
func prepIsFinite(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	if args[0].unknown {
		return nil, types.T{}, nil, pgerror.New(pgerror.AmbiguousFunction, "function isfinite(unknown) is not unique")
	}
	x, err := timeArg(args, 0, types.Timestamptz)
	if err != nil {
		return nil, types.T{}, nil, err
	}
	args[0] = x
	return args, types.Bool, func(_ *env, a []Datum) (Datum, error) {
		if tm, ok := a[0].(time.Time); ok {
			return types.IsFiniteTime(tm), nil
		}
		return true, nil
	}, nil
}
