package session

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/heliosdb/nano/sql/pgerror"
)

// unit is one suffix of a parameter with units, and its size in the
// parameter's base unit (milliseconds or kilobytes).
type unit struct {
	name string
	size float64
}

var (
	// timeUnits are PostgreSQL's, largest first (base unit: ms).
	timeUnits = []unit{{"d", 86400000}, {"h", 3600000}, {"min", 60000}, {"s", 1000}, {"ms", 1}, {"us", 0.001}}
	// memUnits are PostgreSQL's, largest first (base unit: kB).
	memUnits = []unit{{"TB", 1 << 30}, {"GB", 1 << 20}, {"MB", 1 << 10}, {"kB", 1}, {"B", 1.0 / 1024}}
)

// parseUnits parses "N" (base units) or "N unit" as PostgreSQL's
// parse_int does, rounding to the base unit.
func parseUnits(v string, units []unit) (int64, bool) {
	s := strings.TrimSpace(v)
	i := strings.IndexFunc(s, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.' || r == '-' || r == '+') })
	num, suffix := s, ""
	if i >= 0 {
		num, suffix = s[:i], strings.TrimSpace(s[i:])
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	if suffix != "" {
		found := false
		for _, u := range units {
			if u.name == suffix {
				f *= u.size
				found = true
				break
			}
		}
		if !found {
			return 0, false
		}
	}
	f = math.Round(f)
	if f > math.MaxInt32 || f < math.MinInt32 {
		return 0, false
	}
	return int64(f), true
}

// formatUnits renders n base units with the largest unit that divides it
// exactly, as SHOW does ("1s", "90s", "1min", "4MB").
func formatUnits(n int64, units []unit) string {
	if n == 0 {
		return "0"
	}
	for _, u := range units {
		if u.size < 1 {
			continue
		}
		if sz := int64(u.size); n%sz == 0 {
			return strconv.FormatInt(n/sz, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

func unitsHint(units []unit) string {
	names := make([]string, 0, len(units))
	for i := len(units) - 1; i >= 0; i-- {
		names = append(names, strconv.Quote(units[i].name))
	}
	return "Valid units for this parameter are " + strings.Join(names[:len(names)-1], ", ") + ", and " + names[len(names)-1] + "."
}

func checkUnits(d *gucDef, v string, units []unit, lo int64) (string, error) {
	n, ok := parseUnits(v, units)
	if !ok {
		return "", invalidValue(d, v).WithHint("%s", unitsHint(units))
	}
	if n < lo {
		return "", pgerror.Newf(pgerror.InvalidParameterValue,
			"%d%s is outside the valid range for parameter %q (%d .. %d)", n, units[len(units)-2].name, d.name, lo, math.MaxInt32)
	}
	return formatUnits(n, units), nil
}

func checkDuration(d *gucDef, _, v string) (string, error) { return checkUnits(d, v, timeUnits, 0) }

func checkMemory(d *gucDef, _, v string) (string, error) { return checkUnits(d, v, memUnits, 64) }

// durationOf converts a validated duration setting to a time.Duration.
// durationMemo remembers the last value durationOf parsed for one
// setting: statement_timeout and client_connection_check_interval are
// read on every protocol message and rarely change.
type durationMemo struct {
	v     string
	d     time.Duration
	valid bool
	gen   uint64 // gucs.gen when v was read
}

func (m *durationMemo) of(v string) time.Duration {
	if !m.valid || v != m.v {
		m.v, m.d, m.valid = v, durationOf(v), true
	}
	return m.d
}

// get returns setting name of g, parsed, looking it up only when g
// changed since the last call (a map lookup per protocol message was
// measurable). name must not be one of the values gucs.dynamic answers.
func (m *durationMemo) get(g *gucs, name string) time.Duration {
	if m.valid && m.gen == g.gen {
		return m.d
	}
	v, _ := g.get(name)
	m.gen = g.gen
	return m.of(v)
}

func durationOf(v string) time.Duration {
	n, ok := parseUnits(v, timeUnits)
	if !ok {
		return 0
	}
	return time.Duration(n) * time.Millisecond
}

// checkTimeZone accepts names the Go time zone database knows, matching
// case-insensitively for the common abbreviations (utc, gmt).
func checkTimeZone(d *gucDef, _, v string) (string, error) {
	s := strings.TrimSpace(v)
	if _, err := loadLocation(s); err != nil {
		return "", invalidValue(d, v)
	}
	return s, nil
}

// loadLocation resolves a TimeZone setting.
func loadLocation(s string) (*time.Location, error) {
	switch strings.ToLower(s) {
	case "utc", "gmt", "z", "zulu", "etc/utc", "universal":
		return time.UTC, nil
	case "", "local":
		return nil, pgerror.Newf(pgerror.InvalidParameterValue, "time zone %q not recognized", s)
	}
	return time.LoadLocation(s)
}

// versionNum turns "15.0" into "150000" and "16.2" into "160002".
func versionNum(v string) string {
	major, minor, _ := strings.Cut(v, ".")
	ma, err := strconv.Atoi(major)
	if err != nil {
		return "150000"
	}
	mi, _ := strconv.Atoi(strings.TrimFunc(minor, func(r rune) bool { return r < '0' || r > '9' }))
	return strconv.Itoa(ma*10000 + mi)
}
