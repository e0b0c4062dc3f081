package exec

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// String functions (PostgreSQL 15 documentation, "String Functions and
// Operators", "Binary String Functions", "POSIX Regular Expressions") and
// gen_random_uuid().

var (
	textIntText = []types.T{types.Text, types.Int4, types.Text}
	textTextInt = []types.T{types.Text, types.Text, types.Int4}
)

func init() {
	for name, d := range map[string]funcDef{
		"lpad":           {result: fixed(types.Text), hints: textIntText, strict: true, minArg: 2, maxArg: 3, fn: padFn(true)},
		"rpad":           {result: fixed(types.Text), hints: textIntText, strict: true, minArg: 2, maxArg: 3, fn: padFn(false)},
		"split_part":     {result: fixed(types.Text), hints: textTextInt, strict: true, minArg: 3, maxArg: 3, fn: fnSplitPart},
		"quote_literal":  {result: fixed(types.Text), hints: textT, strict: true, minArg: 1, maxArg: 1, fn: fnQuoteLiteral},
		"quote_nullable": {result: fixed(types.Text), hints: textT, minArg: 1, maxArg: 1, fn: fnQuoteLiteral},
		"reverse": {result: fixed(types.Text), hints: textT, strict: true, minArg: 1, maxArg: 1,
			fn: func(_ *env, a []Datum) (Datum, error) {
				r := []rune(str(a[0]))
				for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
					r[i], r[j] = r[j], r[i]
				}
				return string(r), nil
			}},
		"ascii": {result: fixed(types.Int4), hints: textT, strict: true, minArg: 1, maxArg: 1,
			fn: func(_ *env, a []Datum) (Datum, error) {
				r, n := utf8.DecodeRuneInString(str(a[0]))
				if n == 0 {
					return int64(0), nil
				}
				return int64(r), nil
			}},
		"chr": {result: fixed(types.Text), hints: []types.T{types.Int4}, strict: true, minArg: 1, maxArg: 1,
			fn: func(_ *env, a []Datum) (Datum, error) {
				c := i64(a[0])
				switch {
				case c == 0:
					return nil, pgerror.New(pgerror.ProgramLimitExceeded, "null character not permitted")
				case c < 0:
					return nil, pgerror.New(pgerror.ProgramLimitExceeded, "character number must be positive")
				case c > utf8.MaxRune:
					return nil, pgerror.Newf(pgerror.ProgramLimitExceeded, "requested character too large for encoding: %d", c)
				case c >= 0xD800 && c <= 0xDFFF:
					return nil, pgerror.Newf(pgerror.ProgramLimitExceeded, "requested character not valid for encoding: %d", c)
				}
				return string(rune(c)), nil
			}},
		"to_hex": {minArg: 1, maxArg: 1, strict: true, prep: prepToHex},
		"translate": {result: fixed(types.Text), hints: textT, strict: true, minArg: 3, maxArg: 3,
			fn: fnTranslate},
		"starts_with": {result: fixed(types.Bool), hints: textT, strict: true, minArg: 2, maxArg: 2,
			fn: func(_ *env, a []Datum) (Datum, error) { return strings.HasPrefix(str(a[0]), str(a[1])), nil }},
		"encode": {result: fixed(types.Text), hints: []types.T{types.Bytea, types.Text}, strict: true, minArg: 2, maxArg: 2,
			fn: fnEncode},
		"decode": {result: fixed(types.Bytea), hints: textT, strict: true, minArg: 2, maxArg: 2,
			fn: fnDecode},
		"format": {result: fixed(types.Text), hints: textT, minArg: 1, maxArg: -1, anyArgs: true,
			prep: func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
				if !args[0].unknown && args[0].t.Family() != types.FamString {
					return nil, types.T{}, nil, errNoVariant
				}
				return args, types.Text, formatFn(args), nil
			}},
		"regexp_replace": {result: fixed(types.Text), hints: textT, strict: true, minArg: 3, maxArg: 4,
			prep: prepRegexpReplace},
		"regexp_like": {result: fixed(types.Bool), hints: textT, strict: true, minArg: 2, maxArg: 3,
			prep: prepRegexpLike},
		"regexp_count": {result: fixed(types.Int4), hints: textT, strict: true, minArg: 2, maxArg: 2,
			prep: prepRegexpCount},
		"gen_random_uuid": {result: fixed(types.UUID), minArg: 0, maxArg: 0,
			fn: func(*env, []Datum) (Datum, error) {
				var b [16]byte
				if _, err := rand.Read(b[:]); err != nil {
					return nil, err
				}
				b[6] = b[6]&0x0f | 0x40 // version 4
				b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
				h := hex.EncodeToString(b[:])
				return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], nil
			}},
	} {
		funcTable[name] = d
	}
	noFold["gen_random_uuid"] = true
}

// padFn is lpad/rpad: the string cut or filled to n characters.
func padFn(left bool) scalarFn {
	return func(en *env, a []Datum) (Datum, error) {
		s, n := str(a[0]), i64(a[1])
		fill := " "
		if len(a) > 2 {
			fill = str(a[2])
		}
		n = max(n, 0)
		l := int64(utf8.RuneCountInString(s))
		if l >= n || fill == "" {
			return s[:runeOffset(s, min(n, l))], nil
		}
		if err := en.allowValue((n - l) * int64(utf8.UTFMax)); err != nil {
			return nil, err
		}
		need := n - l
		var pad strings.Builder
		for need > 0 {
			for _, r := range fill {
				if need == 0 {
					break
				}
				pad.WriteRune(r)
				need--
			}
		}
		if left {
			return pad.String() + s, nil
		}
		return s + pad.String(), nil
	}
}

func fnSplitPart(_ *env, a []Datum) (Datum, error) {
	s, d, n := str(a[0]), str(a[1]), i64(a[2])
	if n == 0 {
		return nil, pgerror.New(pgerror.InvalidParameterValue, "field position must not be zero")
	}
	if s == "" {
		return "", nil
	}
	var parts []string
	if d == "" {
		parts = []string{s}
	} else {
		parts = strings.Split(s, d)
	}
	if n < 0 {
		n = int64(len(parts)) + n + 1
		if n < 1 {
			return "", nil
		}
	}
	if n > int64(len(parts)) {
		return "", nil
	}
	return parts[n-1], nil
}

func prepToHex(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	a, ok, err := numArg(args, 0, types.Int4)
	if err != nil {
		return nil, types.T{}, nil, err
	}
	if !ok || a.t.Family() != types.FamInt {
		return nil, types.T{}, nil, errNoVariant
	}
	wide := a.t.Oid == types.OidInt8
	if !wide {
		a = coerce(a, types.Int4)
	}
	return []*cexpr{a}, types.Text, func(_ *env, v []Datum) (Datum, error) {
		x := v[0].(int64)
		if wide {
			return strconv.FormatUint(uint64(x), 16), nil
		}
		return strconv.FormatUint(uint64(uint32(x)), 16), nil
	}, nil
}

func fnTranslate(_ *env, a []Datum) (Datum, error) {
	s, from, to := str(a[0]), []rune(str(a[1])), []rune(str(a[2]))
	var b strings.Builder
	for _, r := range s {
		idx := -1
		for i, f := range from {
			if f == r {
				idx = i
				break
			}
		}
		switch {
		case idx < 0:
			b.WriteRune(r)
		case idx < len(to):
			b.WriteRune(to[idx])
		}
	}
	return b.String(), nil
}

func fnEncode(_ *env, a []Datum) (Datum, error) {
	var b []byte
	switch v := a[0].(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	}
	switch strings.ToLower(str(a[1])) {
	case "hex":
		return hex.EncodeToString(b), nil
	case "base64":
		s := base64.StdEncoding.EncodeToString(b)
		var out strings.Builder
		for len(s) > 76 {
			out.WriteString(s[:76])
			out.WriteByte('\n')
			s = s[76:]
		}
		out.WriteString(s)
		return out.String(), nil
	case "escape":
		var out strings.Builder
		for _, c := range b {
			switch {
			case c == '\\':
				out.WriteString(`\\`)
			case c == 0 || c >= 0x80:
				out.WriteString(`\` + strconv.FormatInt(int64(c)|0o1000, 8)[1:])
			default:
				out.WriteByte(c)
			}
		}
		return out.String(), nil
	}
	return nil, pgerror.Newf(pgerror.InvalidParameterValue, "unrecognized encoding: %q", str(a[1]))
}

func fnDecode(_ *env, a []Datum) (Datum, error) {
	s := str(a[0])
	switch strings.ToLower(str(a[1])) {
	case "hex":
		b, err := hex.DecodeString(s)
		if err != nil {
			if len(s)%2 == 1 {
				return nil, pgerror.New(pgerror.InvalidParameterValue, "invalid hexadecimal data: odd number of digits")
			}
			return nil, pgerror.New(pgerror.InvalidParameterValue, "invalid hexadecimal digit")
		}
		return b, nil
	case "base64":
		clean := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
				return -1
			}
			return r
		}, s)
		b, err := base64.StdEncoding.DecodeString(clean)
		if err != nil {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "invalid base64 end sequence")
		}
		return b, nil
	case "escape":
		return types.ParseText(types.Bytea, s)
	}
	return nil, pgerror.Newf(pgerror.InvalidParameterValue, "unrecognized encoding: %q", str(a[1]))
}

// formatFn is format(formatstr, args...): %s, %I, %L and %% with optional
// n$ positions and a width (- left-aligns).
func formatFn(args []*cexpr) scalarFn {
	return func(_ *env, a []Datum) (Datum, error) {
		if a[0] == nil {
			return nil, nil
		}
		f := str(a[0])
		var b strings.Builder
		next := 1
		for i := 0; i < len(f); i++ {
			c := f[i]
			if c != '%' {
				b.WriteByte(c)
				continue
			}
			i++
			if i >= len(f) {
				return nil, pgerror.New(pgerror.InvalidParameterValue, "unterminated format() type specifier").
					WithHint(`For a single "%%" use "%%%%".`)
			}
			if f[i] == '%' {
				b.WriteByte('%')
				continue
			}
			// [argpos$][flags][width]type
			j := i
			for j < len(f) && f[j] >= '0' && f[j] <= '9' {
				j++
			}
			arg := 0
			if j < len(f) && f[j] == '$' && j > i {
				n, _ := strconv.Atoi(f[i:j])
				if n == 0 {
					return nil, pgerror.New(pgerror.InvalidParameterValue, "format specifies argument 0, but arguments are numbered from 1")
				}
				arg = n
				i = j + 1
			}
			left := false
			for i < len(f) && f[i] == '-' {
				left = true
				i++
			}
			j = i
			for j < len(f) && f[j] >= '0' && f[j] <= '9' {
				j++
			}
			width := 0
			if j > i {
				width, _ = strconv.Atoi(f[i:j])
			}
			i = j
			if i >= len(f) {
				return nil, pgerror.New(pgerror.InvalidParameterValue, "unterminated format() type specifier").
					WithHint(`For a single "%%" use "%%%%".`)
			}
			typ := f[i]
			if typ != 's' && typ != 'I' && typ != 'L' {
				return nil, pgerror.Newf(pgerror.InvalidParameterValue, "unrecognized format() type specifier \"%c\"", typ).
					WithHint(`For a single "%%" use "%%%%".`)
			}
			if arg == 0 {
				arg = next
			}
			next = arg + 1
			if arg >= len(a) {
				return nil, pgerror.New(pgerror.InvalidParameterValue, "too few arguments for format()")
			}
			v := a[arg]
			var out string
			switch typ {
			case 's':
				if v != nil {
					out = textOf(v, args[arg].t)
				}
			case 'I':
				if v == nil {
					return nil, pgerror.New(pgerror.NullValueNotAllowed, "null values cannot be formatted as an SQL identifier")
				}
				out = formatIdent(textOf(v, args[arg].t))
			case 'L':
				if v == nil {
					out = "NULL"
				} else {
					out = quoteLiteral(textOf(v, args[arg].t))
				}
			}
			if n := utf8.RuneCountInString(out); n < width {
				pad := strings.Repeat(" ", width-n)
				if left {
					out += pad
				} else {
					out = pad + out
				}
			}
			b.WriteString(out)
		}
		return b.String(), nil
	}
}

// formatIdent quotes an identifier unless it is a plain lower-case name.
func formatIdent(s string) string {
	plain := s != "" && !reservedWords[s]
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || i > 0 && (r >= '0' && r <= '9' || r == '$')) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// reservedWords are the SQL key words quote_ident quotes (the common ones).
var reservedWords = map[string]bool{
	"all": true, "analyse": true, "analyze": true, "and": true, "any": true, "array": true, "as": true, "asc": true,
	"asymmetric": true, "both": true, "case": true, "cast": true, "check": true, "collate": true, "column": true,
	"constraint": true, "create": true, "current_date": true, "current_role": true, "current_time": true,
	"current_timestamp": true, "current_user": true, "default": true, "deferrable": true, "desc": true,
	"distinct": true, "do": true, "else": true, "end": true, "except": true, "false": true, "fetch": true,
	"for": true, "foreign": true, "from": true, "grant": true, "group": true, "having": true, "in": true,
	"initially": true, "intersect": true, "into": true, "lateral": true, "leading": true, "limit": true,
	"localtime": true, "localtimestamp": true, "not": true, "null": true, "offset": true, "on": true, "only": true,
	"or": true, "order": true, "placing": true, "primary": true, "references": true, "returning": true,
	"select": true, "session_user": true, "some": true, "symmetric": true, "table": true, "then": true, "to": true,
	"trailing": true, "true": true, "union": true, "unique": true, "user": true, "using": true, "variadic": true,
	"when": true, "where": true, "window": true, "with": true,
}

// quoteLiteral is quote_literal: single quotes doubled, and an E” string
// when the value has backslashes.
func quoteLiteral(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		return "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}

// regexFlags reads regexp_* flags: g (all matches, when allowed), i/c
// (case), n/p/w/s (newline modes, the last one wins), t (the default);
// x (expanded syntax) and others are 22023.
func regexFlags(flags string, allowG bool) (global bool, o regexOpts, err error) {
	o = defaultRegexOpts()
	for _, c := range flags {
		switch c {
		case 'g':
			if !allowG {
				return false, o, pgerror.New(pgerror.InvalidParameterValue, "regexp_like() does not support the \"global\" option")
			}
			global = true
		case 'i':
			o.fold = true
		case 'c':
			o.fold = false
		case 'n':
			o.dotNL, o.multiLine = false, true
		case 'p':
			o.dotNL, o.multiLine = false, false
		case 'w':
			o.dotNL, o.multiLine = true, true
		case 's':
			o.dotNL, o.multiLine = true, false
		case 't':
		default:
			return false, o, pgerror.Newf(pgerror.InvalidParameterValue, "invalid regular expression option: \"%c\"", c)
		}
	}
	return global, o, nil
}

// constStr returns a constant text argument's value.
func constStr(e *cexpr) (string, bool) {
	if e.isConst {
		s, ok := e.val.(string)
		return s, ok
	}
	return "", false
}

// regexFor compiles pattern p with flags f, reusing the last compilation.
type regexFor struct {
	p, f string
	re   *regexp.Regexp
	g    bool
}

func (c *regexFor) get(p, f string, allowG bool) (*regexp.Regexp, bool, error) {
	if c.re != nil && c.p == p && c.f == f {
		return c.re, c.g, nil
	}
	g, o, err := regexFlags(f, allowG)
	if err != nil {
		return nil, false, err
	}
	re, err := compileRegexOpts(p, o)
	if err != nil {
		return nil, false, err
	}
	*c = regexFor{p: p, f: f, re: re, g: g}
	return re, g, nil
}

// precompile checks a constant pattern and flags while planning, as
// PostgreSQL's constant folding would.
func precompile(args []*cexpr, pi, fi int, allowG bool) error {
	p, ok := constStr(args[pi])
	if !ok {
		return nil
	}
	f := ""
	if fi < len(args) {
		if f, ok = constStr(args[fi]); !ok {
			return nil
		}
	}
	var c regexFor
	_, _, err := c.get(p, f, allowG)
	return err
}

func prepRegexpReplace(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	if !allText(args) {
		return nil, types.T{}, nil, errNoVariant
	}
	if err := precompile(args, 1, 3, true); err != nil {
		return nil, types.T{}, nil, err
	}
	var c regexFor
	return args, types.Text, func(en *env, a []Datum) (Datum, error) {
		f := ""
		if len(a) > 3 {
			f = str(a[3])
		}
		re, global, err := c.get(str(a[1]), f, true)
		if err != nil {
			return nil, err
		}
		s, rep := str(a[0]), str(a[2])
		n := 1
		if global {
			n = -1
		}
		ms := re.FindAllStringSubmatchIndex(s, n)
		if len(ms) == 0 {
			return s, nil
		}
		if global {
			ms = emptyAfterMatches(re, s, ms)
		}
		var b strings.Builder
		last := 0
		for _, m := range ms {
			b.WriteString(s[last:m[0]])
			expandReplacement(&b, rep, s, m)
			last = m[1]
		}
		b.WriteString(s[last:])
		if err := en.allowValue(int64(b.Len())); err != nil {
			return nil, err
		}
		return b.String(), nil
	}, nil
}

// leftContext caches whether a regex looks at the text before where it is
// tried (^, \A, word boundaries), per compiled regex.
var leftContext sync.Map

func looksLeft(re *regexp.Regexp) bool {
	if v, ok := leftContext.Load(re); ok {
		return v.(bool)
	}
	left := true
	if t, err := syntax.Parse(re.String(), syntax.Perl); err == nil {
		left = false
		var walk func(*syntax.Regexp)
		walk = func(r *syntax.Regexp) {
			switch r.Op {
			case syntax.OpBeginLine, syntax.OpBeginText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
				left = true
			}
			for _, sub := range r.Sub {
				walk(sub)
			}
		}
		walk(t)
	}
	leftContext.Store(re, left)
	return left
}

// emptyAfterMatches adds the empty matches Go's FindAll drops and
// PostgreSQL's regexp_replace keeps: one right where a non-empty match
// ends (regexp_replace('aaa', 'a*', '-', 'g') is "--"). Both then go on
// one character further, so the other matches are the same. Whether the
// regex matches empty there is asked of the rest of s, which is only sound
// for a regex that does not look to its left; such a regex keeps Go's
// matches.
func emptyAfterMatches(re *regexp.Regexp, s string, ms [][]int) [][]int {
	if looksLeft(re) {
		return ms
	}
	var out [][]int
	for i, m := range ms {
		out = append(out, m)
		p := m[1]
		if m[0] == p || i+1 < len(ms) && ms[i+1][0] == p {
			continue
		}
		sub := re.FindStringSubmatchIndex(s[p:])
		if sub == nil || sub[0] != 0 || sub[1] != 0 {
			continue
		}
		for j := range sub {
			if sub[j] >= 0 {
				sub[j] += p
			}
		}
		out = append(out, sub)
	}
	return out
}

// expandReplacement writes rep with \1..\9 (groups) and \& (the match).
func expandReplacement(b *strings.Builder, rep, s string, m []int) {
	for i := 0; i < len(rep); i++ {
		c := rep[i]
		if c != '\\' || i+1 >= len(rep) {
			b.WriteByte(c)
			continue
		}
		n := rep[i+1]
		switch {
		case n >= '1' && n <= '9':
			g := int(n - '0')
			if 2*g+1 < len(m) && m[2*g] >= 0 {
				b.WriteString(s[m[2*g]:m[2*g+1]])
			}
			i++
		case n == '&':
			b.WriteString(s[m[0]:m[1]])
			i++
		case n == '\\':
			b.WriteByte('\\')
			i++
		default:
			b.WriteByte(c)
		}
	}
}

func prepRegexpLike(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	if !allText(args) {
		return nil, types.T{}, nil, errNoVariant
	}
	if err := precompile(args, 1, 2, false); err != nil {
		return nil, types.T{}, nil, err
	}
	var c regexFor
	return args, types.Bool, func(_ *env, a []Datum) (Datum, error) {
		f := ""
		if len(a) > 2 {
			f = str(a[2])
		}
		re, _, err := c.get(str(a[1]), f, false)
		if err != nil {
			return nil, err
		}
		return re.MatchString(str(a[0])), nil
	}, nil
}

func prepRegexpCount(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	if !allText(args) {
		return nil, types.T{}, nil, errNoVariant
	}
	if err := precompile(args, 1, 2, false); err != nil {
		return nil, types.T{}, nil, err
	}
	var c regexFor
	return args, types.Int4, func(_ *env, a []Datum) (Datum, error) {
		re, _, err := c.get(str(a[1]), "", false)
		if err != nil {
			return nil, err
		}
		return int64(len(re.FindAllStringIndex(str(a[0]), -1))), nil
	}, nil
}

// allText reports whether every argument is text (or an untyped literal).
func allText(args []*cexpr) bool {
	for _, a := range args {
		if !a.unknown && a.t.Family() != types.FamString {
			return false
		}
	}
	return true
}

// fnQuoteLiteral is quote_literal (strict) and quote_nullable (NULL gives
// the string NULL): the text in single quotes, quotes doubled, and a value
// holding a backslash doubled and written as an E” string.
func fnQuoteLiteral(_ *env, a []Datum) (Datum, error) {
	if a[0] == nil {
		return "NULL", nil
	}
	v := str(a[0])
	var b strings.Builder
	if strings.ContainsRune(v, '\\') {
		b.WriteByte('E')
	}
	b.WriteByte('\'')
	for _, c := range []byte(v) {
		if c == '\'' || c == '\\' {
			b.WriteByte(c)
		}
		b.WriteByte(c)
	}
	b.WriteByte('\'')
	return b.String(), nil
}
