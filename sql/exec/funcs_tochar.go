package exec

import (
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// to_char(number, format) for integers, numeric, real and double
// precision, as PostgreSQL's formatting.c does it in the C locale: digit
// positions 9 (blank when not significant) and 0 (always a digit), the
// decimal point . or D, group separators , or G, the currency symbol L (a
// space in the C locale), the signs S (anchored to the number), MI, PL, SG
// and PR (<negative>), FM (fill mode: no padding, no trailing zeros after
// the point beyond the 0 positions) and EEEE (scientific notation, the
// rest of the format then ignored). A number with more integer digits than
// the format has is written as #'s. Quoted text and other characters are
// copied. RN, TH, V, B, C and SP are refused (0A000) rather than guessed.

type numKey uint8

const (
	numLit numKey = iota
	num9
	num0
	numDec // .
	numD
	numComma
	numG
	numL
	numMI
	numPL
	numSG
	numPR
	numS
	numFM
	numEEEE
)

type numNode struct {
	key numKey
	lit string
}

type signPos uint8

const (
	signNone signPos = iota
	signPre
	signPost
)

// numFmt is a parsed number format (PostgreSQL's NUMDesc).
type numFmt struct {
	nodes              []numNode
	pre, post          int
	zeroStart, zeroEnd int
	zero, decimal      bool
	fill, bracket      bool
	minus, plus        bool
	eeee               bool
	lsign              signPos
	preLsignNum        int
}

var numKeywords = []struct {
	name string
	key  numKey
}{
	{"EEEE", numEEEE}, {"eeee", numEEEE}, {"FM", numFM}, {"fm", numFM}, {"MI", numMI}, {"mi", numMI},
	{"PL", numPL}, {"pl", numPL}, {"PR", numPR}, {"pr", numPR}, {"SG", numSG}, {"sg", numSG},
	{",", numComma}, {".", numDec}, {"0", num0}, {"9", num9}, {"D", numD}, {"d", numD},
	{"G", numG}, {"g", numG}, {"L", numL}, {"l", numL}, {"S", numS}, {"s", numS},
}

// unsupportedNumKeys are PostgreSQL's other number-format keywords.
var unsupportedNumKeys = []string{"RN", "rn", "TH", "th", "SP", "sp", "B", "b", "C", "c", "V", "v"}

func syntaxErr(msg string) error { return pgerror.New(pgerror.SyntaxError, msg) }

// parseNumFormat parses f and checks its keywords' combinations.
func parseNumFormat(f string) (*numFmt, error) {
	n := &numFmt{}
	for i := 0; i < len(f); {
		if f[i] == '"' {
			i++
			var lit strings.Builder
			for i < len(f) && f[i] != '"' {
				if f[i] == '\\' && i+1 < len(f) {
					i++
				}
				lit.WriteByte(f[i])
				i++
			}
			i++ // the closing quote
			n.nodes = append(n.nodes, numNode{lit: lit.String()})
			continue
		}
		key, kl := numLit, 0
		for _, kw := range numKeywords {
			if strings.HasPrefix(f[i:], kw.name) {
				key, kl = kw.key, len(kw.name)
				break
			}
		}
		if key == numLit {
			for _, u := range unsupportedNumKeys {
				if strings.HasPrefix(f[i:], u) {
					return nil, pgerror.Newf(pgerror.FeatureNotSupported, "to_char format pattern %q is not supported", u)
				}
			}
			if f[i] == '\\' && i+1 < len(f) && f[i+1] == '"' {
				i++
			}
			n.nodes = append(n.nodes, numNode{lit: f[i : i+1]})
			i++
			continue
		}
		if err := n.prepare(key); err != nil {
			return nil, err
		}
		n.nodes = append(n.nodes, numNode{key: key})
		i += kl
	}
	return n, nil
}

// prepare is NUMDesc_prepare: one keyword's effect on the counts and
// flags, and the combinations PostgreSQL refuses (42601).
func (n *numFmt) prepare(k numKey) error {
	if n.eeee && k != numEEEE {
		return syntaxErr(`"EEEE" must be the last pattern used`)
	}
	switch k {
	case num9, num0:
		if n.bracket {
			return syntaxErr(`"9" must be ahead of "PR"`)
		}
		if k == num0 && !n.zero && !n.decimal {
			n.zero, n.zeroStart = true, n.pre+1
		}
		if n.decimal {
			n.post++
		} else {
			n.pre++
		}
		if k == num0 {
			n.zeroEnd = n.pre + n.post
		}
	case numD, numDec:
		if n.decimal {
			return syntaxErr("multiple decimal points")
		}
		n.decimal = true
	case numFM:
		n.fill = true
	case numS:
		if n.lsign != signNone {
			return syntaxErr(`cannot use "S" twice`)
		}
		if n.plus || n.minus || n.bracket {
			return syntaxErr(`cannot use "S" and "PL"/"MI"/"SG"/"PR" together`)
		}
		if !n.decimal {
			n.lsign, n.preLsignNum = signPre, n.pre
		} else if n.lsign == signNone {
			n.lsign = signPost
		}
	case numMI, numPL, numSG:
		if n.lsign != signNone {
			return syntaxErr(`cannot use "S" and "MI"/"PL"/"SG" together`)
		}
		n.minus = n.minus || k != numPL
		n.plus = n.plus || k != numMI
	case numPR:
		if n.lsign != signNone || n.plus || n.minus {
			return syntaxErr(`cannot use "PR" and "S"/"PL"/"MI"/"SG" together`)
		}
		n.bracket = true
	case numEEEE:
		if n.eeee {
			return syntaxErr(`cannot use "EEEE" twice`)
		}
		if n.fill || n.lsign != signNone || n.bracket || n.minus || n.plus {
			return syntaxErr(`"EEEE" is incompatible with other formats`)
		}
		n.eeee = true
	}
	return nil
}

// overflowed is the #'s written for a number too wide for the format.
func overflowed(pre, post int) string {
	b := []byte(strings.Repeat("#", pre+post+1))
	b[pre] = '.'
	return string(b)
}

// numberText is the number's digits as the format needs them (no sign),
// its sign and the count of unused integer positions.
func numberText(n *numFmt, d Datum, t types.T) (num string, sign byte, preSpaces int, err error) {
	post := n.post
	if f, ok := d.(float64); ok {
		return floatText(n, f, t.Oid == types.OidFloat4)
	}
	var x *apd.Decimal
	switch v := d.(type) {
	case int64:
		x = apd.New(v, 0)
	case *apd.Decimal:
		x = v
	default:
		return "", 0, 0, pgerror.Newf(pgerror.InternalError, "to_char: unexpected %T", d)
	}
	if n.eeee {
		return numericSci(x, n.pre, post, t.Oid == types.OidInt2 || t.Oid == types.OidInt4), '+', 0, nil
	}
	var s string
	if x.Form != apd.Finite {
		s = types.FormatText(x, types.Numeric)
	} else {
		r := new(apd.Decimal)
		q := ctx1000
		q.Rounding = apd.RoundHalfUp
		if _, err := q.Quantize(r, x, int32(-post)); err != nil {
			return "", 0, 0, pgerror.New(pgerror.NumericValueOutOfRange, "value overflows numeric format")
		}
		if r.IsZero() {
			r.Negative = false
		}
		s = types.FormatText(r, types.Numeric)
	}
	return placeDigits(n, s)
}

// placeDigits splits off the sign and fits the integer digits to the
// format's positions.
func placeDigits(n *numFmt, s string) (string, byte, int, error) {
	sign := byte('+')
	if strings.HasPrefix(s, "-") {
		sign, s = '-', s[1:]
	}
	preLen := len(s)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		preLen = i
	}
	switch {
	case preLen < n.pre:
		return s, sign, n.pre - preLen, nil
	case preLen > n.pre:
		return overflowed(n.pre, n.post), sign, 0, nil
	}
	return s, sign, 0, nil
}

// numericSci is numeric_out_sci (or, for integers, C's %+.*e of the value
// as a double): one digit before the point, post after, a signed
// two-digit-or-more exponent; a positive number gets a leading space.
func numericSci(x *apd.Decimal, pre, post int, isInt bool) string {
	if x.Form != apd.Finite {
		return sciOverflow(pre, post)
	}
	if isInt {
		f, _ := x.Float64()
		return cSci(f, post)
	}
	exp := int64(0)
	if !x.IsZero() {
		exp = decWeight(x)
	}
	sig := new(apd.Decimal)
	sig.Set(x)
	sig.Exponent -= int32(exp)
	q := ctx1000
	q.Rounding = apd.RoundHalfUp
	_, _ = q.Quantize(sig, sig, int32(-post))
	if sig.IsZero() {
		sig.Negative = false
	}
	s := types.FormatText(sig, types.Numeric) + "e" + expText(exp)
	if !strings.HasPrefix(s, "-") {
		s = " " + s
	}
	return s
}

func expText(e int64) string {
	sign := "+"
	if e < 0 {
		sign, e = "-", -e
	}
	d := strconv.FormatInt(e, 10)
	if len(d) < 2 {
		d = "0" + d
	}
	return sign + d
}

// cSci is C's "%+.*e" with the leading + swapped for a space.
func cSci(f float64, post int) string {
	s := strconv.FormatFloat(f, 'e', post, 64)
	if !strings.HasPrefix(s, "-") {
		s = " " + s
	}
	return s
}

// sciOverflow is what EEEE writes for NaN and infinities.
func sciOverflow(pre, post int) string {
	b := []byte(strings.Repeat("#", pre+post+6))
	b[0] = ' '
	b[pre+1] = '.'
	return string(b)
}

// floatText is float8_to_char/float4_to_char: at most DBL_DIG (FLT_DIG)
// significant digits, as C's printf writes them. It may lower n.post to
// that limit (the processor then works with the lowered count, as
// PostgreSQL's does).
func floatText(n *numFmt, f float64, single bool) (string, byte, int, error) {
	if n.eeee {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return sciOverflow(n.pre, n.post), '+', 0, nil
		}
		return cSci(f, n.post), '+', 0, nil
	}
	digits := 15
	if single {
		digits = 6
	}
	post := n.post
	pre := len(cFixed(math.Abs(f), 0))
	if pre >= digits {
		post = 0
	} else if pre+post > digits {
		post = digits - pre
	}
	n.post = post
	return placeDigits(n, cFixed(f, post))
}

// cFixed is C's "%.*f" (glibc's spelling of NaN and infinities).
func cFixed(f float64, prec int) string {
	switch {
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', prec, 64)
}

// numToChar is NUM_processor writing number (from numberText) under n.
func numToChar(n *numFmt, number string, sign byte, preSpaces int) string {
	if n.eeee {
		return number
	}
	p := &numProc{fmt: *n, number: number, sign: sign, preSpaces: preSpaces, lastRel: -1, cut: -1}
	return p.run()
}

// numProc is one run of the processor over a number.
type numProc struct {
	fmt       numFmt
	number    string
	sign      byte
	preSpaces int
	signWrote bool
	numIn     bool
	numCurr   int
	numCount  int
	pos       int // the next character of number
	lastRel   int // FM with a point: the last digit worth writing; -1 = none
	out       []byte
	cut       int // where C's output would end (a NUL written); -1 = none
}

func (p *numProc) run() string {
	f := &p.fmt
	if f.zeroStart > 0 {
		f.zeroStart--
	}
	if f.plus || f.minus {
		p.signWrote = !(f.plus && !f.minus)
	} else {
		if p.sign != '-' && f.fill {
			f.bracket = false
		}
		p.signWrote = p.sign == '+' && f.fill && f.lsign == signNone
		if f.lsign == signPre && f.pre == f.preLsignNum {
			f.lsign = signPost
		}
	}
	p.numCount = f.post + f.pre - 1
	if f.fill && f.decimal {
		p.lastRel = lastRelevantDigit(p.number)
		if p.lastRel >= 0 && f.zeroEnd > p.preSpaces {
			if lz := min(len(p.number)-1, f.zeroEnd-p.preSpaces); p.lastRel < lz {
				p.lastRel = lz
			}
		}
	}
	if !p.signWrote && p.preSpaces == 0 {
		p.numCount++
	}
	for _, nd := range f.nodes {
		switch nd.key {
		case numLit:
			p.out = append(p.out, nd.lit...)
		case num9, num0, numDec, numD:
			p.digit(nd.key)
		case numComma, numG:
			if p.numIn {
				p.out = append(p.out, ',')
			} else if !f.fill {
				p.out = append(p.out, ' ')
			}
		case numL:
			p.out = append(p.out, ' ') // the C locale's currency symbol
		case numMI, numPL:
			want := byte('-')
			if nd.key == numPL {
				want = '+'
			}
			if p.sign == want {
				p.out = append(p.out, want)
			} else if !f.fill {
				p.out = append(p.out, ' ')
			}
		case numSG:
			p.out = append(p.out, p.sign)
		}
	}
	if p.cut >= 0 {
		return string(p.out[:p.cut])
	}
	return string(p.out)
}

// lastRelevantDigit is the last non-zero digit after the point (the point
// itself when there is none); -1 without a point.
func lastRelevantDigit(s string) int {
	i := strings.IndexByte(s, '.')
	if i < 0 {
		return -1
	}
	r := i
	for j := i + 1; j < len(s); j++ {
		if s[j] != '0' {
			r = j
		}
	}
	return r
}

func (p *numProc) cur() byte {
	if p.pos < len(p.number) {
		return p.number[p.pos]
	}
	return 0
}

func (p *numProc) lastRelIsPoint() bool { return p.lastRel >= 0 && p.number[p.lastRel] == '.' }

// predecSpace: a leading 0 before the point of a format without 0
// positions ("0.1" under 9.9 is " .1").
func (p *numProc) predecSpace() bool {
	return !p.fmt.zero && p.pos == 0 && len(p.number) > 0 && p.number[0] == '0' && p.fmt.post != 0
}

func (p *numProc) signText() string {
	if p.sign == '-' {
		return "-"
	}
	return "+"
}

// digit is NUM_numpart_to_char: the sign when it is due, then a blank, a
// 0, the point or the next digit, then a closing sign after the last
// position.
func (p *numProc) digit(k numKey) {
	f := &p.fmt
	if !p.signWrote && (p.numCurr >= p.preSpaces || f.zero && f.zeroStart == p.numCurr) &&
		(!p.predecSpace() || p.lastRelIsPoint()) {
		switch {
		case f.lsign != signNone:
			if f.lsign == signPre {
				p.out = append(p.out, p.signText()...)
				p.signWrote = true
			}
		case f.bracket:
			if p.sign == '+' {
				p.out = append(p.out, ' ')
			} else {
				p.out = append(p.out, '<')
			}
			p.signWrote = true
		case p.sign == '+':
			if !f.fill {
				p.out = append(p.out, ' ')
			}
			p.signWrote = true
		case p.sign == '-':
			p.out = append(p.out, '-')
			p.signWrote = true
		}
	}
	switch {
	case p.numCurr < p.preSpaces && (f.zeroStart > p.numCurr || !f.zero):
		if !f.fill {
			p.out = append(p.out, ' ')
		}
	case f.zero && p.numCurr < p.preSpaces && f.zeroStart <= p.numCurr:
		p.out = append(p.out, '0')
		p.numIn = true
	default:
		c := p.cur()
		switch {
		case c == '.':
			if !p.lastRelIsPoint() || f.fill {
				p.out = append(p.out, '.')
			}
		case p.lastRel >= 0 && p.pos > p.lastRel && k != num0:
		case p.predecSpace():
			if !f.fill {
				p.out = append(p.out, ' ')
			} else if p.lastRelIsPoint() {
				p.out = append(p.out, '0')
			}
		default:
			if c == 0 && p.cut < 0 {
				p.cut = len(p.out)
			}
			p.out = append(p.out, c)
			p.numIn = true
		}
		if p.pos < len(p.number) {
			p.pos++
		}
	}
	end := p.numCount
	if p.preSpaces > 0 {
		end++
	}
	if f.decimal {
		end++
	}
	if p.lastRel >= 0 && p.lastRel == p.pos {
		end = p.numCurr
	}
	if p.numCurr+1 == end {
		switch {
		case p.signWrote && f.bracket:
			if p.sign == '+' {
				p.out = append(p.out, ' ')
			} else {
				p.out = append(p.out, '>')
			}
		case f.lsign == signPost:
			p.out = append(p.out, p.signText()...)
		}
	}
	p.numCurr++
}

// toCharNumber is to_char over a number of type t.
func toCharNumber(d Datum, t types.T, format string) (Datum, error) {
	n, err := parseNumFormat(format)
	if err != nil {
		return nil, err
	}
	num, sign, sp, err := numberText(n, d, t)
	if err != nil {
		return nil, err
	}
	return numToChar(n, num, sign, sp), nil
}
