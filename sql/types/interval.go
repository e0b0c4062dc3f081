package types

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/heliosdb/nano/sql/pgerror"
)

// IntervalValue is the Datum for interval values (the name Interval is
// taken by the T for the interval type). Months, days and microseconds are
// kept apart because their lengths vary: a month is not always 30 days and
// PostgreSQL keeps '1 mon' distinct from '30 days' in output.
type IntervalValue struct {
	Months int32
	Days   int32
	Micros int64
}

// appendInterval writes iv in PostgreSQL's default "postgres" IntervalStyle:
// "1 year 2 mons 3 days 04:05:06", "-1 days +02:00:00", "00:00:00".
func appendInterval(buf []byte, iv IntervalValue) []byte {
	isZero, isBefore := true, false
	buf = appendIntervalPart(buf, int64(iv.Months/monthsPerYear), "year", &isZero, &isBefore)
	buf = appendIntervalPart(buf, int64(iv.Months%monthsPerYear), "mon", &isZero, &isBefore)
	buf = appendIntervalPart(buf, int64(iv.Days), "day", &isZero, &isBefore)
	if !isZero && iv.Micros == 0 {
		return buf
	}
	us := iv.Micros
	minus := us < 0
	if !isZero {
		buf = append(buf, ' ')
	}
	if minus {
		buf = append(buf, '-')
	} else if isBefore {
		buf = append(buf, '+')
	}
	// Work on the magnitude as uint64 so MinInt64 does not overflow.
	mag := uint64(us)
	if minus {
		mag = -mag
	}
	h := mag / (3600 * usecsPerSec)
	rest := mag % (3600 * usecsPerSec)
	buf = appendPaddedU(buf, h, 2)
	buf = append(buf, ':')
	buf = appendPadded(buf, int(rest/(60*usecsPerSec)), 2)
	buf = append(buf, ':')
	rest %= 60 * usecsPerSec
	buf = appendPadded(buf, int(rest/usecsPerSec), 2)
	return appendFraction(buf, int(rest%usecsPerSec))
}

func appendPaddedU(buf []byte, v uint64, width int) []byte {
	s := strconv.FormatUint(v, 10)
	for i := len(s); i < width; i++ {
		buf = append(buf, '0')
	}
	return append(buf, s...)
}

func appendIntervalPart(buf []byte, v int64, unit string, isZero, isBefore *bool) []byte {
	if v == 0 {
		return buf
	}
	if !*isZero {
		buf = append(buf, ' ')
	}
	if *isBefore && v > 0 {
		buf = append(buf, '+')
	}
	buf = strconv.AppendInt(buf, v, 10)
	buf = append(buf, ' ')
	buf = append(buf, unit...)
	if v != 1 {
		buf = append(buf, 's')
	}
	*isBefore = v < 0
	*isZero = false
	return buf
}

// intervalAcc accumulates interval fields with float spill-down as
// PostgreSQL's DecodeInterval does ("1.5 months" = 1 mon 15 days).
type intervalAcc struct {
	months, days float64
	micros       float64
}

func (a *intervalAcc) add(v float64, unit string) bool {
	switch unit {
	case "microsecond", "microseconds", "us", "usec", "usecs", "useconds":
		a.micros += v
	case "millisecond", "milliseconds", "ms", "msec", "msecs", "mseconds":
		a.micros += v * 1000
	case "second", "seconds", "s", "sec", "secs":
		a.micros += v * usecsPerSec
	case "minute", "minutes", "m", "min", "mins":
		a.micros += v * 60 * usecsPerSec
	case "hour", "hours", "h", "hr", "hrs":
		a.micros += v * 3600 * usecsPerSec
	case "day", "days", "d":
		a.addDays(v)
	case "week", "weeks", "w":
		a.addDays(v * 7)
	case "month", "months", "mon", "mons":
		a.addMonths(v)
	case "year", "years", "y", "yr", "yrs":
		a.addMonths(v * 12)
	case "decade", "decades":
		a.addMonths(v * 120)
	case "century", "centuries":
		a.addMonths(v * 1200)
	case "millennium", "millennia", "millenniums":
		a.addMonths(v * 12000)
	default:
		return false
	}
	return true
}

func (a *intervalAcc) addDays(v float64) {
	whole := math.Trunc(v)
	a.days += whole
	a.micros += (v - whole) * usecsPerDay
}

func (a *intervalAcc) addMonths(v float64) {
	whole := math.Trunc(v)
	a.months += whole
	a.addDays((v - whole) * daysPerMonth)
}

// parseInterval is interval_in for the postgres and ISO-8601 styles.
func parseInterval(s string) (Datum, error) {
	str := strings.ToLower(strings.TrimSpace(s))
	var acc intervalAcc
	var ok bool
	if strings.HasPrefix(str, "p") {
		ok = parseISOInterval(str[1:], &acc)
	} else {
		ok = parsePGInterval(str, &acc)
	}
	if !ok {
		return nil, errDatetimeSyntax(Interval, s)
	}
	return acc.value(s)
}

func (a *intervalAcc) value(s string) (Datum, error) {
	if math.Abs(a.months) > math.MaxInt32 || math.Abs(a.days) > math.MaxInt32 ||
		math.Abs(a.micros) > 9.2e18 {
		return nil, pgerror.Newf(pgerror.DatetimeFieldOverflow, "interval field value out of range: \"%s\"", s)
	}
	return IntervalValue{Months: int32(a.months), Days: int32(a.days), Micros: int64(math.Round(a.micros))}, nil
}

// parsePGInterval reads "[@] n unit ... [hh:mm[:ss[.f]]] [ago]".
func parsePGInterval(str string, acc *intervalAcc) bool {
	fields := strings.Fields(strings.TrimPrefix(str, "@"))
	if len(fields) == 0 {
		return false
	}
	ago := false
	if fields[len(fields)-1] == "ago" {
		ago, fields = true, fields[:len(fields)-1]
	}
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.Contains(f, ":") {
			if !parseIntervalClock(f, acc) {
				return false
			}
			continue
		}
		num, unit := splitNumUnit(f)
		v, err := strconv.ParseFloat(num, 64)
		if num == "" || err != nil || !validNumericSyntax(num) {
			return false
		}
		if unit == "" && i+1 < len(fields) && !startsNumeric(fields[i+1]) {
			i++
			unit = fields[i]
		}
		if unit == "" {
			unit = "second"
		}
		if !acc.add(v, unit) {
			return false
		}
	}
	if ago {
		acc.months, acc.days, acc.micros = -acc.months, -acc.days, -acc.micros
	}
	return true
}

func startsNumeric(f string) bool {
	return f != "" && (isDigit(f[0]) || f[0] == '-' || f[0] == '+' || f[0] == '.')
}

// splitNumUnit splits "10days" into "10" and "days".
func splitNumUnit(f string) (string, string) {
	i := 0
	for i < len(f) && (isDigit(f[i]) || f[i] == '.' || f[i] == '-' || f[i] == '+' ||
		((f[i] == 'e') && i+1 < len(f) && (isDigit(f[i+1]) || f[i+1] == '-'))) {
		i++
	}
	return f[:i], f[i:]
}

// parseIntervalClock reads [+-]h:mm[:ss[.f]].
func parseIntervalClock(f string, acc *intervalAcc) bool {
	sign := 1.0
	if f[0] == '-' || f[0] == '+' {
		if f[0] == '-' {
			sign = -1
		}
		f = f[1:]
	}
	parts := strings.Split(f, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	h, err1 := strconv.ParseUint(parts[0], 10, 31)
	m, err2 := strconv.ParseUint(parts[1], 10, 8)
	if err1 != nil || err2 != nil || m > 59 {
		return false
	}
	total := float64(h)*3600*usecsPerSec + float64(m)*60*usecsPerSec
	if len(parts) == 3 {
		sec, err := strconv.ParseFloat(parts[2], 64)
		if err != nil || sec < 0 || sec >= 60 || !validNumericSyntax(parts[2]) {
			return false
		}
		total += sec * usecsPerSec
	}
	acc.micros += sign * total
	return true
}

// parseISOInterval reads the part after "P" of P1Y2M3DT4H5M6S.
func parseISOInterval(str string, acc *intervalAcc) bool {
	inTime := false
	for str != "" {
		if str[0] == 't' {
			inTime, str = true, str[1:]
			continue
		}
		num, rest := splitNumUnit(str)
		if num == "" || rest == "" {
			return false
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return false
		}
		unit := map[bool]map[byte]string{
			false: {'y': "year", 'm': "month", 'w': "week", 'd': "day"},
			true:  {'h': "hour", 'm': "minute", 's': "second"},
		}[inTime][rest[0]]
		if unit == "" {
			return false
		}
		acc.add(v, unit)
		str = rest[1:]
	}
	return true
}

// addInterval adds iv to timestamp ts as timestamp_pl_interval does:
// months first (clamping the day to the month's end), then days, then time.
func addInterval(ts time.Time, iv IntervalValue) time.Time {
	if iv.Months != 0 {
		y, m, d := ts.Date()
		total := int(m) - 1 + int(iv.Months)
		y += floorDiv(total, 12)
		nm := mod(total, 12) + 1
		if dm := daysIn(y, nm); d > dm {
			d = dm
		}
		h, mi, s := ts.Clock()
		ts = time.Date(y, time.Month(nm), d, h, mi, s, ts.Nanosecond(), ts.Location())
	}
	if iv.Days != 0 {
		ts = ts.AddDate(0, 0, int(iv.Days))
	}
	// Add microseconds through Unix seconds: time.Duration overflows
	// beyond ±292 years.
	secs := ts.Unix() + iv.Micros/usecsPerSec
	nsec := int64(ts.Nanosecond()) + iv.Micros%usecsPerSec*1000
	return time.Unix(secs, nsec).In(ts.Location())
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// negInterval negates iv, failing on int32/int64 overflow.
func negInterval(iv IntervalValue) (IntervalValue, error) {
	if iv.Months == math.MinInt32 || iv.Days == math.MinInt32 || iv.Micros == math.MinInt64 {
		return IntervalValue{}, errIntervalRange()
	}
	return IntervalValue{-iv.Months, -iv.Days, -iv.Micros}, nil
}

// intervalSpan returns iv as total days (months count 30 days) and the
// microseconds within the day in [0, usecsPerDay), PostgreSQL's
// interval_cmp_value split so it fits in int64s.
func intervalSpan(iv IntervalValue) (days, us int64) {
	days = int64(iv.Months)*daysPerMonth + int64(iv.Days)
	d := iv.Micros / usecsPerDay
	r := iv.Micros % usecsPerDay
	if r < 0 {
		r += usecsPerDay
		d--
	}
	return days + d, r
}
