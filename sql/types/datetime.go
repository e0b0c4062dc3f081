package types

import (
	"strconv"
	"strings"
	"time"
)

const (
	pgEpochUnix   = 946684800 // pgEpoch as Unix seconds
	usecsPerSec   = 1_000_000
	usecsPerDay   = 86_400 * usecsPerSec
	secsPerDay    = 86_400
	daysPerMonth  = 30
	monthsPerYear = 12
)

// dtFields are the parts of a date/time literal.
type dtFields struct {
	year, month, day int
	hour, min, sec   int
	nsec             int
	hasTime, hasZone bool
	zoneOff          int // seconds east of UTC
	zoneLoc          *time.Location
	bc               bool
}

// appendYear writes a PostgreSQL year: 4+ digits, BC years as 1-y.
func appendDate(buf []byte, y int, m time.Month, d int) []byte {
	if y <= 0 {
		y = 1 - y
	}
	buf = appendPadded(buf, y, 4)
	buf = append(buf, '-')
	buf = appendPadded(buf, int(m), 2)
	buf = append(buf, '-')
	return appendPadded(buf, d, 2)
}

func appendPadded(buf []byte, v, width int) []byte {
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		buf = append(buf, '0')
	}
	return append(buf, s...)
}

// appendClock writes HH:MM:SS[.ffffff] with trailing fraction zeros trimmed.
func appendClock(buf []byte, h, m, s, usec int) []byte {
	buf = appendPadded(buf, h, 2)
	buf = append(buf, ':')
	buf = appendPadded(buf, m, 2)
	buf = append(buf, ':')
	buf = appendPadded(buf, s, 2)
	return appendFraction(buf, usec)
}

func appendFraction(buf []byte, usec int) []byte {
	if usec == 0 {
		return buf
	}
	f := []byte(strconv.Itoa(usec + usecsPerSec))[1:]
	for len(f) > 0 && f[len(f)-1] == '0' {
		f = f[:len(f)-1]
	}
	buf = append(buf, '.')
	return append(buf, f...)
}

// appendTimestamp writes t's wall clock in PostgreSQL's ISO style; withZone
// adds the offset ("+00", "+05:30").
func appendTimestamp(buf []byte, t time.Time, withZone bool) []byte {
	if b, ok := appendInfinite(buf, t); ok {
		return b
	}
	y, mo, d := t.Date()
	buf = appendDate(buf, y, mo, d)
	buf = append(buf, ' ')
	buf = appendClock(buf, t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1000)
	if withZone {
		_, off := t.Zone()
		buf = appendOffset(buf, off)
	}
	if y <= 0 {
		buf = append(buf, " BC"...)
	}
	return buf
}

func appendOffset(buf []byte, off int) []byte {
	if off < 0 {
		buf = append(buf, '-')
		off = -off
	} else {
		buf = append(buf, '+')
	}
	buf = appendPadded(buf, off/3600, 2)
	if m := off % 3600 / 60; m != 0 || off%60 != 0 {
		buf = append(buf, ':')
		buf = appendPadded(buf, m, 2)
	}
	if s := off % 60; s != 0 {
		buf = append(buf, ':')
		buf = appendPadded(buf, s, 2)
	}
	return buf
}

// appendDateDatum writes a date datum.
func appendDateDatum(buf []byte, t time.Time) []byte {
	if b, ok := appendInfinite(buf, t); ok {
		return b
	}
	y, m, d := t.Date()
	buf = appendDate(buf, y, m, d)
	if y <= 0 {
		buf = append(buf, " BC"...)
	}
	return buf
}

// dtScanner walks a date/time literal.
type dtScanner struct {
	s string
	i int
}

func (sc *dtScanner) eof() bool { return sc.i >= len(sc.s) }

func (sc *dtScanner) peek() byte {
	if sc.eof() {
		return 0
	}
	return sc.s[sc.i]
}

func (sc *dtScanner) skipSpaces() {
	for !sc.eof() && sc.s[sc.i] == ' ' {
		sc.i++
	}
}

// num reads 1..maxLen digits; ok is false when there are none.
func (sc *dtScanner) num(maxLen int) (v, n int, ok bool) {
	start := sc.i
	for !sc.eof() && isDigit(sc.s[sc.i]) && sc.i-start < maxLen {
		v = v*10 + int(sc.s[sc.i]-'0')
		sc.i++
	}
	return v, sc.i - start, sc.i > start
}

func (sc *dtScanner) expect(c byte) bool {
	if sc.peek() == c {
		sc.i++
		return true
	}
	return false
}

// parseDT parses "Y-M-D[( |T)H:M[:S[.f]]][ zone][ BC|AD]" or "M/D/Y ..." .
// ok=false means a syntax error.
func parseDT(s string) (f dtFields, ok bool) {
	sc := &dtScanner{s: strings.TrimSpace(s)}
	if !parseDatePart(sc, &f) {
		return f, false
	}
	if c := sc.peek(); c == 'T' || c == 't' {
		sc.i++
	} else {
		sc.skipSpaces()
	}
	if isDigit(sc.peek()) {
		if !parseTimePart(sc, &f) {
			return f, false
		}
	}
	sc.skipSpaces()
	if !sc.eof() && !parseZoneEra(sc, &f) {
		return f, false
	}
	return f, sc.eof()
}

func parseDatePart(sc *dtScanner, f *dtFields) bool {
	a, na, ok := sc.num(9)
	if !ok {
		return false
	}
	switch {
	case sc.expect('-'):
		m, _, ok1 := sc.num(2)
		ok2 := sc.expect('-')
		d, _, ok3 := sc.num(2)
		f.year, f.month, f.day = twoDigitYear(a, na), m, d
		return ok1 && ok2 && ok3
	case sc.expect('/'):
		d, _, ok1 := sc.num(2)
		ok2 := sc.expect('/')
		y, ny, ok3 := sc.num(9)
		f.year, f.month, f.day = twoDigitYear(y, ny), a, d
		return ok1 && ok2 && ok3 && na <= 2
	}
	return false
}

// twoDigitYear maps a year written with at most two digits to 1970..2069,
// as PostgreSQL does.
func twoDigitYear(y, digits int) int {
	switch {
	case digits > 2:
		return y
	case y < 70:
		return y + 2000
	}
	return y + 1900
}

func parseTimePart(sc *dtScanner, f *dtFields) bool {
	h, _, _ := sc.num(2)
	if !sc.expect(':') {
		return false
	}
	m, nm, ok := sc.num(2)
	if !ok || nm != 2 {
		return false
	}
	f.hour, f.min, f.hasTime = h, m, true
	if !sc.expect(':') {
		return true
	}
	sec, ns, ok := sc.num(2)
	if !ok || ns != 2 {
		return false
	}
	f.sec = sec
	if sc.expect('.') {
		start := sc.i
		for !sc.eof() && isDigit(sc.peek()) {
			sc.i++
		}
		f.nsec = fracToNanos(sc.s[start:sc.i])
	}
	return true
}

// fracToNanos converts fraction digits to nanoseconds rounded to the
// microsecond (half away from zero).
func fracToNanos(digits string) int {
	us := 0
	for i := 0; i < 6; i++ {
		us *= 10
		if i < len(digits) {
			us += int(digits[i] - '0')
		}
	}
	if len(digits) > 6 && digits[6] >= '5' {
		us++
	}
	return us * 1000
}

// parseZoneEra reads an optional zone then an optional BC/AD.
func parseZoneEra(sc *dtScanner, f *dtFields) bool {
	switch c := sc.peek(); {
	case c == '+' || c == '-':
		if !parseOffset(sc, f) {
			return false
		}
	case c == 'Z' || c == 'z':
		sc.i++
		f.hasZone = true
	default:
		word := sc.s[sc.i:]
		if j := strings.IndexByte(word, ' '); j >= 0 {
			word = word[:j]
		}
		if !parseZoneWord(word, f) {
			return false
		}
		sc.i += len(word)
	}
	sc.skipSpaces()
	if sc.eof() {
		return true
	}
	rest := strings.ToLower(sc.s[sc.i:])
	if rest == "bc" || rest == "ad" {
		f.bc = rest == "bc"
		sc.i = len(sc.s)
		return true
	}
	return false
}

func parseZoneWord(word string, f *dtFields) bool {
	switch lw := strings.ToLower(word); lw {
	case "bc", "ad":
		f.bc = lw == "bc"
		return true
	case "utc", "gmt", "z", "zulu", "ut":
		f.hasZone = true
		return true
	}
	if !strings.Contains(word, "/") {
		return false
	}
	loc, err := time.LoadLocation(word)
	if err != nil {
		return false
	}
	f.hasZone, f.zoneLoc = true, loc
	return true
}

// parseOffset reads +HH, +HHMM, +HH:MM or +HH:MM:SS.
func parseOffset(sc *dtScanner, f *dtFields) bool {
	sign := 1
	if sc.s[sc.i] == '-' {
		sign = -1
	}
	sc.i++
	h, nh, ok := sc.num(4)
	if !ok {
		return false
	}
	m, sec := 0, 0
	if nh > 2 {
		h, m = h/100, h%100
	} else if sc.expect(':') {
		if m, _, ok = sc.num(2); !ok {
			return false
		}
		if sc.expect(':') {
			if sec, _, ok = sc.num(2); !ok {
				return false
			}
		}
	}
	if h > 15 || m > 59 || sec > 59 {
		return false
	}
	f.hasZone = true
	f.zoneOff = sign * (h*3600 + m*60 + sec)
	return true
}

// validate checks field ranges; ok=false is a 22008 error.
func (f *dtFields) validate() bool {
	if f.year == 0 && !f.bc {
		return false
	}
	if f.bc {
		if f.year == 0 {
			return false
		}
		f.year = 1 - f.year
	}
	if f.month < 1 || f.month > 12 || f.day < 1 || f.day > daysIn(f.year, f.month) {
		return false
	}
	if f.hour == 24 {
		return f.min == 0 && f.sec == 0 && f.nsec == 0
	}
	return f.hour <= 23 && f.min <= 59 && f.sec <= 60
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseDate is date_in.
func parseDate(s string) (Datum, error) { return parseDateAt(s, NowFunc(), time.UTC) }

// parseDateAt is date_in with now as the transaction start and loc as the
// session time zone (for 'today', 'now' and friends).
func parseDateAt(s string, now time.Time, loc *time.Location) (Datum, error) {
	if v, rest, ok := specialDT(s, now, loc); ok {
		if InfSign(v) != 0 {
			return v, nil
		}
		if rest != "" {
			if _, ok := parseTimeOfDay(rest); !ok {
				return nil, errDatetimeSyntax(Date, s)
			}
		}
		y, m, d := v.In(loc).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	}
	f, ok := parseDT(s)
	if !ok {
		return nil, errDatetimeSyntax(Date, s)
	}
	if !f.validate() {
		return nil, errFieldRange(s)
	}
	return time.Date(f.year, time.Month(f.month), f.day, 0, 0, 0, 0, time.UTC), nil
}

// parseTimeOfDay parses "H:M[:S[.f]]" for a day word's time ("tomorrow
// 10:00"), as an offset from midnight.
func parseTimeOfDay(s string) (time.Duration, bool) {
	sc := &dtScanner{s: s}
	var f dtFields
	if !parseTimePart(sc, &f) || !sc.eof() || f.hour > 23 || f.min > 59 || f.sec > 59 {
		return 0, false
	}
	return time.Duration(f.hour)*time.Hour + time.Duration(f.min)*time.Minute +
		time.Duration(f.sec)*time.Second + time.Duration(f.nsec), true
}

// parseTimestamp is timestamp_in/timestamptz_in; loc is the session zone
// used for timestamptz literals without a zone.
func parseTimestamp(t T, s string, loc *time.Location) (Datum, error) {
	return parseTimestampAt(t, s, NowFunc(), loc)
}

// parseTimestampAt is parseTimestamp with now as the transaction start.
func parseTimestampAt(t T, s string, now time.Time, loc *time.Location) (Datum, error) {
	if v, rest, ok := specialDT(s, now, loc); ok {
		if rest != "" {
			tod, ok := parseTimeOfDay(rest)
			if !ok {
				return nil, errDatetimeSyntax(t, s)
			}
			v = v.Add(tod)
		}
		if InfSign(v) == 0 && t.Oid == OidTimestamp {
			// timestamp without time zone: the wall clock in the session zone
			// (midnight for the day words, local wall time for 'now')
			w := v.In(loc)
			if strings.EqualFold(strings.TrimSpace(s), "epoch") {
				w = v
			}
			y, m, d := w.Date()
			v = time.Date(y, m, d, w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
		}
		if InfSign(v) != 0 {
			return v, nil
		}
		return roundTimestamp(v.UTC(), t), nil
	}
	f, ok := parseDT(s)
	if !ok {
		return nil, errDatetimeSyntax(t, s)
	}
	if !f.validate() {
		return nil, errFieldRange(s)
	}
	wall := time.Date(f.year, time.Month(f.month), f.day, f.hour, f.min, f.sec, f.nsec, time.UTC)
	if t.Oid == OidTimestamp {
		return roundTimestamp(wall, t), nil
	}
	var inst time.Time
	switch {
	case f.zoneLoc != nil:
		inst = time.Date(f.year, time.Month(f.month), f.day, f.hour, f.min, f.sec, f.nsec, f.zoneLoc)
	case f.hasZone:
		inst = wall.Add(-time.Duration(f.zoneOff) * time.Second)
	default:
		inst = time.Date(f.year, time.Month(f.month), f.day, f.hour, f.min, f.sec, f.nsec, loc)
	}
	return roundTimestamp(inst.UTC(), t), nil
}

// roundTimestamp applies timestamp(p) precision (half away from zero).
func roundTimestamp(ts time.Time, t T) time.Time {
	if t.Mod < 0 || t.Mod >= 6 {
		return ts
	}
	unit := time.Microsecond
	for i := int32(6); i > t.Mod; i-- {
		unit *= 10
	}
	return ts.Round(unit)
}

// micros returns t as microseconds since 2000-01-01 UTC; ok is false when
// that overflows int64.
func micros(t time.Time) (int64, bool) {
	secs := t.Unix() - pgEpochUnix
	const lim = (1<<63 - 1) / usecsPerSec
	if secs > lim-1 || secs < -lim+1 {
		return 0, false
	}
	return secs*usecsPerSec + int64(t.Nanosecond()/1000), true
}

// fromMicros is the inverse of micros.
func fromMicros(us int64) time.Time {
	secs := us / usecsPerSec
	rem := us % usecsPerSec
	if rem < 0 {
		rem += usecsPerSec
		secs--
	}
	return time.Unix(secs+pgEpochUnix, rem*1000).UTC()
}

// dateDays returns days since 2000-01-01 for a date datum.
func dateDays(t time.Time) int64 {
	y, m, d := t.Date()
	u := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()
	return (u - pgEpochUnix) / secsPerDay
}

// fromDateDays is the inverse of dateDays.
func fromDateDays(days int64) time.Time {
	return time.Unix(pgEpochUnix+days*secsPerDay, 0).UTC()
}

// PostgreSQL's 'infinity' and '-infinity' date/timestamp values are these
// sentinels: whole seconds far outside PostgreSQL's range (and Go's
// formatting range), above / below every finite value, so time comparison,
// ORDER BY and the storage encodings order them as PostgreSQL does.
var (
	InfinityTime    = time.Unix(1<<62, 0).UTC()
	NegInfinityTime = time.Unix(-(1 << 62), 0).UTC()
)

// InfSign is +1 for InfinityTime, -1 for NegInfinityTime, else 0.
func InfSign(t time.Time) int {
	switch {
	case t.Equal(InfinityTime):
		return 1
	case t.Equal(NegInfinityTime):
		return -1
	}
	return 0
}

// IsFiniteTime reports whether t is neither infinity nor -infinity.
func IsFiniteTime(t time.Time) bool { return InfSign(t) == 0 }

// appendInfinite writes "infinity"/"-infinity" for an infinite t.
func appendInfinite(buf []byte, t time.Time) ([]byte, bool) {
	switch InfSign(t) {
	case 1:
		return append(buf, "infinity"...), true
	case -1:
		return append(buf, "-infinity"...), true
	}
	return buf, false
}

// NowFunc gives the current time for the 'now', 'today', 'tomorrow' and
// 'yesterday' inputs when the caller knows no transaction start time
// (ParseTextAt passes one).
var NowFunc = time.Now

// specialDT recognises PostgreSQL's special date/time words ('epoch',
// 'infinity', '-infinity', 'now', 'today', 'tomorrow', 'yesterday'); a
// leading day word may be followed by a time of day ("tomorrow 10:00"),
// handled by the caller through rest. now is the transaction start.
func specialDT(s string, now time.Time, loc *time.Location) (v time.Time, rest string, ok bool) {
	w := strings.TrimSpace(s)
	word, tail := w, ""
	if i := strings.IndexByte(w, ' '); i >= 0 {
		word, tail = w[:i], strings.TrimSpace(w[i+1:])
	}
	lw := strings.ToLower(word)
	switch lw {
	case "epoch", "infinity", "-infinity", "now":
		if tail != "" {
			return v, "", false
		}
		switch lw {
		case "epoch":
			return time.Unix(0, 0).UTC(), "", true
		case "infinity":
			return InfinityTime, "", true
		case "-infinity":
			return NegInfinityTime, "", true
		}
		return now.UTC().Truncate(time.Microsecond), "", true
	case "today", "tomorrow", "yesterday":
		y, m, d := now.In(loc).Date()
		d += map[string]int{"today": 0, "tomorrow": 1, "yesterday": -1}[lw]
		return time.Date(y, m, d, 0, 0, 0, 0, loc), tail, true
	}
	return v, "", false
}
