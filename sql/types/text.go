package types

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
	"github.com/heliosdb/nano/sql/pgerror"
)

// AppendText appends the PostgreSQL text output of d to buf, rendering
// timestamptz in UTC. d must not be nil (NULL has no text form; callers
// check). A Datum whose Go type does not match t's family is formatted by
// its Go type. The returned slice may alias buf.
func AppendText(buf []byte, d Datum, t T) []byte { return AppendTextLoc(buf, d, t, time.UTC) }

// FormatText is AppendText returning a string.
func FormatText(d Datum, t T) string { return string(AppendText(nil, d, t)) }

// AppendTextLoc is AppendText with timestamptz values rendered in the
// session time zone loc (nil = UTC).
func AppendTextLoc(buf []byte, d Datum, t T, loc *time.Location) []byte {
	switch v := d.(type) {
	case RegName:
		return append(buf, v.Name...)
	case bool:
		if v {
			return append(buf, 't')
		}
		return append(buf, 'f')
	case int64:
		if t.Oid == OidPgLSN {
			return fmt.Appendf(buf, "%X/%X", uint64(v)>>32, uint32(v))
		}
		if t.Oid == OidTime {
			return appendTimeOfDay(buf, v)
		}
		return strconv.AppendInt(buf, v, 10)
	case float64:
		if t.Oid == OidFloat4 {
			return appendFloat(buf, v, 32)
		}
		return appendFloat(buf, v, 64)
	case *apd.Decimal:
		return appendNumeric(buf, v)
	case string:
		return append(buf, v...)
	case []byte:
		buf = append(buf, `\x`...)
		return hex.AppendEncode(buf, v)
	case time.Time:
		return appendTimeText(buf, v, t, loc)
	case IntervalValue:
		return appendInterval(buf, v)
	case *Array:
		return appendArrayText(buf, v, loc)
	case *Record:
		return appendRecordText(buf, v, loc)
	case int:
		return strconv.AppendInt(buf, int64(v), 10)
	case int32:
		return strconv.AppendInt(buf, int64(v), 10)
	}
	return fmt.Append(buf, d)
}

func appendTimeText(buf []byte, v time.Time, t T, loc *time.Location) []byte {
	switch t.Oid {
	case OidDate:
		return appendDateDatum(buf, v)
	case OidTimestamptz:
		if InfSign(v) != 0 {
			return appendTimestamp(buf, v, true)
		}
		if loc == nil {
			loc = time.UTC
		}
		return appendTimestamp(buf, v.In(loc), true)
	}
	return appendTimestamp(buf, v, false)
}

// ParseText converts s with t's PostgreSQL input function, enforcing t's
// modifier (varchar(n) length, char(n) padding, numeric(p,s) rounding and
// precision, timestamp(p) rounding). timestamptz literals without a zone
// are taken as UTC. Errors are *pgerror.Error (22P02, 22003, 22001, 22007,
// 22008, or 42846 for types without input support).
func ParseText(t T, s string) (Datum, error) { return ParseTextLoc(t, s, time.UTC) }

// ParseTextAt is ParseTextLoc with now as the transaction start time, which
// the date/time inputs 'now', 'today', 'tomorrow' and 'yesterday' use (as
// PostgreSQL's GetCurrentTransactionStartTimestamp).
func ParseTextAt(t T, s string, now time.Time, loc *time.Location) (Datum, error) {
	if loc == nil {
		loc = time.UTC
	}
	switch t.Oid {
	case OidDate:
		return parseDateAt(s, now, loc)
	case OidTimestamp, OidTimestamptz:
		return parseTimestampAt(t, s, now, loc)
	case OidTime:
		return parseTimeOfDayAt(t, s, now, loc)
	}
	return ParseTextLoc(t, s, loc)
}

// ParseTextLoc is ParseText with loc as the session time zone.
func ParseTextLoc(t T, s string, loc *time.Location) (Datum, error) {
	if loc == nil {
		loc = time.UTC
	}
	switch t.Oid {
	case OidBool:
		return parseBool(s)
	case OidInt2, OidInt4, OidInt8:
		return parseInt(t, s)
	case OidOid, OidRegclass, OidRegproc, OidRegprocedure, OidRegnamespace, OidRegrole:
		return parseOid(t, s)
	case OidFloat4, OidFloat8:
		return parseFloat(t, s)
	case OidNumeric:
		return parseNumeric(t, s)
	case OidText, OidUnknown, OidName, OidChar, OidVarchar, OidBpchar, OidRegtype:
		return parseString(t, s)
	case OidJSON, OidJSONB:
		return parseJSON(t, s)
	case OidBytea:
		return parseBytea(s)
	case OidDate:
		return parseDate(s)
	case OidTimestamp, OidTimestamptz:
		return parseTimestamp(t, s, loc)
	case OidTime:
		return parseTimeOfDayAt(t, s, NowFunc(), loc)
	case OidInterval:
		return parseInterval(s)
	case OidUUID:
		return parseUUID(s)
	case OidPgLSN:
		return parseLSN(s)
	}
	if et, ok := ElemOf(t); ok {
		return parseArrayLoc(t, et, s, loc)
	}
	return nil, pgerror.Newf(pgerror.FeatureNotSupported, "input of type %s is not supported", t)
}

// parseBool is boolin: unique prefixes of true/false/yes/no, on/off, 1/0.
func parseBool(s string) (Datum, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if v != "" {
		switch {
		case strings.HasPrefix("true", v), strings.HasPrefix("yes", v), v == "1",
			len(v) >= 2 && v == "on":
			return true, nil
		case strings.HasPrefix("false", v), strings.HasPrefix("no", v), v == "0",
			len(v) >= 2 && strings.HasPrefix("off", v):
			return false, nil
		}
	}
	return nil, errSyntax(Bool, s)
}

// intRange returns the bounds of an integer type.
func intRange(t T) (lo, hi int64) {
	switch t.Oid {
	case OidInt2:
		return math.MinInt16, math.MaxInt16
	case OidInt4:
		return math.MinInt32, math.MaxInt32
	case OidOid, OidRegclass, OidRegproc, OidRegprocedure, OidRegnamespace, OidRegrole:
		return 0, math.MaxUint32
	}
	return math.MinInt64, math.MaxInt64
}

// parseInt is int2in/int4in/int8in: optional sign and decimal digits,
// surrounding whitespace allowed.
func parseInt(t T, s string) (Datum, error) {
	if v, ok := parseDigits(s); ok {
		if lo, hi := intRange(t); v >= lo && v <= hi {
			return v, nil
		}
	}
	return parseIntGeneral(t, s)
}

// parseDigits reads the common form of an integer — an optional sign and
// 1 to 18 ASCII digits, nothing else, so that it cannot overflow — in
// one pass (bind parameters and COPY fields arrive as text). Anything
// else, including every input that is an error, is left to
// parseIntGeneral: ok is false.
func parseDigits(s string) (v int64, ok bool) {
	i, neg := 0, false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		i, neg = 1, s[0] == '-'
	}
	if n := len(s) - i; n < 1 || n > 18 {
		return 0, false
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseIntGeneral is int2in/int4in/int8in: surrounding white space, one
// sign, decimal digits, the type's range.
func parseIntGeneral(t T, s string) (Datum, error) {
	str := strings.TrimSpace(s)
	body := strings.TrimLeft(str, "+-")
	if len(str)-len(body) > 1 || body == "" || strings.TrimLeft(body, "0123456789") != "" {
		return nil, errSyntax(t, s)
	}
	v, err := strconv.ParseInt(str, 10, 64)
	lo, hi := intRange(t)
	if err != nil || v < lo || v > hi {
		return nil, pgerror.Newf(pgerror.NumericValueOutOfRange,
			"value \"%s\" is out of range for type %s", s, t)
	}
	return v, nil
}

// parseOid is oidin: 0..4294967295, negative int32 values wrap.
func parseOid(t T, s string) (Datum, error) {
	str := strings.TrimSpace(s)
	v, err := strconv.ParseInt(str, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return nil, pgerror.Newf(pgerror.NumericValueOutOfRange, "value \"%s\" is out of range for type oid", s)
		}
		return nil, errSyntax(Oid4, s)
	}
	if v < math.MinInt32 || v > math.MaxUint32 {
		return nil, pgerror.Newf(pgerror.NumericValueOutOfRange, "value \"%s\" is out of range for type oid", s)
	}
	if v < 0 {
		v = int64(uint32(int32(v)))
	}
	return v, nil
}

// parseString applies string typmods; name is truncated to 63 bytes.
func parseString(t T, s string) (Datum, error) {
	switch t.Oid {
	case OidName:
		return truncateUTF8(s, 63), nil
	case OidChar:
		if s == "" {
			return "", nil
		}
		return s[:1], nil
	}
	return applyLength(s, t, false)
}

// applyLength enforces varchar(n)/char(n): longer values fail with 22001
// unless the excess is spaces (or explicit is set, which truncates);
// char(n) values are blank-padded to n characters.
func applyLength(s string, t T, explicit bool) (string, error) {
	n := t.Length()
	if n < 0 {
		return s, nil
	}
	if l := utf8.RuneCountInString(s); l > n {
		cut := runePrefix(s, n)
		if !explicit && strings.TrimRight(s[len(cut):], " ") != "" {
			return "", pgerror.Newf(pgerror.StringDataRightTruncation,
				"value too long for type %s", t)
		}
		s = cut
	} else if t.Oid == OidBpchar && l < n {
		s += strings.Repeat(" ", n-l)
	}
	return s, nil
}

// runePrefix returns the first n characters of s.
func runePrefix(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

func truncateUTF8(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}

// parseBytea is byteain: "\x" hex (whitespace between digit pairs allowed)
// or the escape format (\\ and \ooo octal).
func parseBytea(s string) (Datum, error) {
	if strings.HasPrefix(s, `\x`) {
		return parseHexBytea(s[2:])
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(s) && isOctal(s[i+1], '3') && isOctal(s[i+2], '7') && isOctal(s[i+3], '7'):
			out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 3
		default:
			return nil, pgerror.New(pgerror.InvalidTextRepresentation, "invalid input syntax for type bytea")
		}
	}
	return out, nil
}

func isOctal(c, max byte) bool { return c >= '0' && c <= max }

func parseHexBytea(s string) (Datum, error) {
	out := make([]byte, 0, len(s)/2)
	for i := 0; i < len(s); {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		hi, ok := unhex(c)
		if !ok {
			return nil, pgerror.Newf(pgerror.InvalidTextRepresentation, "invalid hexadecimal digit: \"%c\"", rune(c))
		}
		if i+1 >= len(s) {
			return nil, pgerror.New(pgerror.InvalidTextRepresentation, "invalid hexadecimal data: odd number of digits")
		}
		lo, ok := unhex(s[i+1])
		if !ok {
			return nil, pgerror.Newf(pgerror.InvalidTextRepresentation, "invalid hexadecimal digit: \"%c\"", rune(s[i+1]))
		}
		out = append(out, hi<<4|lo)
		i += 2
	}
	return out, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseUUID is uuid_in: 32 hex digits, optional hyphens after any group of
// four, optional braces. The datum is the canonical lower-case string.
func parseUUID(s string) (Datum, error) {
	str := strings.TrimSpace(s)
	if strings.HasPrefix(str, "{") && strings.HasSuffix(str, "}") {
		str = str[1 : len(str)-1]
	}
	var raw [16]byte
	n := 0
	for i := 0; i < len(str); {
		if str[i] == '-' && n > 0 && n%2 == 0 && i+1 < len(str) && str[i+1] != '-' {
			i++
			continue
		}
		if n == 16 || i+1 >= len(str) {
			return nil, errSyntax(T{OidUUID, -1}, s)
		}
		hi, ok1 := unhex(str[i])
		lo, ok2 := unhex(str[i+1])
		if !ok1 || !ok2 {
			return nil, errSyntax(T{OidUUID, -1}, s)
		}
		raw[n] = hi<<4 | lo
		n++
		i += 2
	}
	if n != 16 {
		return nil, errSyntax(T{OidUUID, -1}, s)
	}
	return formatUUID(raw[:]), nil
}

func formatUUID(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// parseLSN is pg_lsn_in: "X/Y" in hex.
func parseLSN(s string) (Datum, error) {
	hi, lo, ok := strings.Cut(strings.TrimSpace(s), "/")
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if !ok || err1 != nil || err2 != nil {
		return nil, errSyntax(PgLSN, s)
	}
	return int64(h<<32 | l), nil
}
