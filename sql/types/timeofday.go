package types

import (
	"strings"
	"time"

	"github.com/heliosdb/nano/sql/pgerror"
)

// A time (time without time zone) datum is an int64: microseconds since
// midnight, 0 through 24:00:00 (usecsPerDay) inclusive, as PostgreSQL's
// TimeADT. Its key encoding and comparison are the integer's.

// timeOfDay is the time datum of a clock reading.
func timeOfDay(h, m, s, usec int) int64 {
	return int64(((h*60+m)*60+s)*usecsPerSec + usec)
}

// appendTimeOfDay is time_out: HH:MM:SS with the fraction's significant
// digits.
func appendTimeOfDay(buf []byte, us int64) []byte {
	sec := us / usecsPerSec
	return appendClock(buf, int(sec/3600), int(sec/60%60), int(sec%60), int(us%usecsPerSec))
}

// parseTimeOfDayAt is time_in: "[date ]H:M[:S[.f]][ am|pm][ zone]" (the
// date and the zone are read and ignored, as PostgreSQL's DecodeTimeOnly),
// "HHMM[SS]", 'allballs' and 'now' (the time of day of now in loc). The
// value is rounded to t's precision.
func parseTimeOfDayAt(t T, s string, now time.Time, loc *time.Location) (Datum, error) {
	w := strings.TrimSpace(s)
	switch strings.ToLower(w) {
	case "allballs":
		return int64(0), nil
	case "now":
		n := now.In(loc)
		return roundTimeOfDay(timeOfDay(n.Hour(), n.Minute(), n.Second(), n.Nanosecond()/1000), t), nil
	}
	sc := &dtScanner{s: w}
	var f dtFields
	if c := sc.peek(); c == 'T' || c == 't' {
		sc.i++
	}
	start := sc.i
	// a leading date: digits followed by - or /
	if _, _, ok := sc.num(9); ok && (sc.peek() == '-' || sc.peek() == '/') {
		sc.i = start
		if !parseDatePart(sc, &f) {
			return nil, errDatetimeSyntax(t, s)
		}
		if c := sc.peek(); c == 'T' || c == 't' {
			sc.i++
		} else {
			sc.skipSpaces()
		}
	} else {
		sc.i = start
	}
	start = sc.i
	if v, n, ok := sc.num(6); ok && sc.peek() != ':' && (n == 4 || n == 6) {
		// HHMM or HHMMSS
		f.hasTime = true
		if n == 4 {
			v *= 100
		}
		f.hour, f.min, f.sec = v/10000, v/100%100, v%100
		if sc.expect('.') {
			fs := sc.i
			for !sc.eof() && isDigit(sc.peek()) {
				sc.i++
			}
			f.nsec = fracToNanos(sc.s[fs:sc.i])
		}
	} else {
		sc.i = start
		if !parseClock(sc, &f) {
			return nil, errDatetimeSyntax(t, s)
		}
	}
	sc.skipSpaces()
	if rest := strings.ToLower(sc.s[sc.i:]); strings.HasPrefix(rest, "am") || strings.HasPrefix(rest, "pm") {
		if f.hour > 12 {
			return nil, errFieldRange(s)
		}
		switch {
		case rest[0] == 'a' && f.hour == 12:
			f.hour = 0
		case rest[0] == 'p' && f.hour != 12:
			f.hour += 12
		}
		sc.i += 2
		sc.skipSpaces()
	}
	if !sc.eof() {
		switch c := sc.peek(); {
		case c == '+' || c == '-':
			if !parseOffset(sc, &f) {
				return nil, errDatetimeSyntax(t, s)
			}
		case c == 'z' || c == 'Z':
			sc.i++
		default:
			word := strings.ToLower(sc.s[sc.i:])
			if word != "utc" && word != "gmt" && word != "z" && word != "zulu" && word != "ut" {
				return nil, errDatetimeSyntax(t, s)
			}
			sc.i = len(sc.s)
		}
		sc.skipSpaces()
		if !sc.eof() {
			return nil, errDatetimeSyntax(t, s)
		}
	}
	if f.hour > 24 || f.min > 59 || f.sec > 60 {
		return nil, errFieldRange(s)
	}
	us := timeOfDay(f.hour, f.min, f.sec, f.nsec/1000)
	if us > usecsPerDay {
		return nil, errFieldRange(s)
	}
	return roundTimeOfDay(us, t), nil
}

// parseClock reads H:M[:S[.f]] with one- or two-digit fields.
func parseClock(sc *dtScanner, f *dtFields) bool {
	h, _, ok := sc.num(2)
	if !ok || !sc.expect(':') {
		return false
	}
	m, _, ok := sc.num(2)
	if !ok {
		return false
	}
	f.hour, f.min, f.hasTime = h, m, true
	if !sc.expect(':') {
		return true
	}
	if f.sec, _, ok = sc.num(2); !ok {
		return false
	}
	if sc.expect('.') {
		start := sc.i
		for !sc.eof() && isDigit(sc.peek()) {
			sc.i++
		}
		f.nsec = fracToNanos(sc.s[start:sc.i])
	}
	return true
}

// roundTimeOfDay applies time(p) precision (half away from zero); a value
// rounded up past midnight is 24:00:00, as PostgreSQL's AdjustTimeForTypmod.
func roundTimeOfDay(us int64, t T) int64 {
	if t.Mod < 0 || t.Mod >= 6 {
		return us
	}
	unit := int64(1)
	for i := int32(6); i > t.Mod; i-- {
		unit *= 10
	}
	return (us + unit/2) / unit * unit
}

// castToTimeOfDay converts time (to another precision), timestamp,
// timestamptz (its UTC wall clock; exec converts in the session zone
// first) and interval (its time part modulo a day) to time.
func castToTimeOfDay(d Datum, from, to T) (Datum, error) {
	switch v := d.(type) {
	case int64:
		if from.Oid == OidTime {
			return roundTimeOfDay(v, to), nil
		}
	case time.Time:
		if from.Oid == OidTimestamp || from.Oid == OidTimestamptz {
			if InfSign(v) != 0 {
				return nil, pgerror.New(pgerror.DatetimeFieldOverflow, "timestamp out of range")
			}
			u := v.UTC()
			return roundTimeOfDay(timeOfDay(u.Hour(), u.Minute(), u.Second(), u.Nanosecond()/1000), to), nil
		}
	case IntervalValue:
		us := v.Micros % usecsPerDay
		if us < 0 {
			us += usecsPerDay
		}
		return roundTimeOfDay(us, to), nil
	}
	return nil, errCannotCast(from, to)
}

// TimePlusInterval is time + interval: the interval's time part added
// modulo a day (its days and months are ignored), as time_pl_interval.
func TimePlusInterval(t int64, iv IntervalValue) int64 {
	us := (t + iv.Micros%usecsPerDay) % usecsPerDay
	if us < 0 {
		us += usecsPerDay
	}
	return us
}

// TimeOfDayPlusDate is date + time: the timestamp at that time of day.
func TimeOfDayPlusDate(d time.Time, t int64) time.Time {
	if InfSign(d) != 0 {
		return d
	}
	return d.Add(time.Duration(t) * time.Microsecond)
}
