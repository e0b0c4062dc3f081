package parser

import (
	"strconv"
	"strings"
)

// LitKind is the type PostgreSQL gives a numeric literal by its spelling
// alone (scan.l and make_const): an integer that fits int4 is int4, one
// that fits int8 is int8, any other number (a bigger integer, a decimal
// point or an exponent) is numeric.
type LitKind uint8

// The kinds of numeric literal.
const (
	LitInt4 LitKind = iota + 1
	LitInt8
	LitNumeric
)

// Literal is one numeric literal Normalize took out of a query string:
// its bytes in the original string and its kind. Its text is unsigned: a
// minus sign before it stays in the normalised text.
type Literal struct {
	Start, End int
	Kind       LitKind
	// NormStart is the byte offset of its "$n" in the normalised text.
	NormStart int
}

// Normalized is a one-statement query string with its numeric literals
// replaced by $1, $2, … in order.
type Normalized struct {
	// Text is the query string with each literal replaced by its $n,
	// everything else byte for byte as given.
	Text string
	// Key is Text followed by a NUL and one byte per literal naming its
	// kind: two strings with the same Key differ only in the values of
	// literals of the same types.
	Key  string
	Lits []Literal
}

// Normalize replaces the numeric literals of a query string holding one
// statement by parameters $1, $2, … and reports the literals' kinds. It
// refuses (ok false) a string that holds more than one statement, any
// string literal (its type and value are resolved from context, sometimes
// from session settings or the transaction's start time), a parameter
// ($n), or a number spelled in a way PostgreSQL 15 does not read as a
// plain decimal (0x1F, 1_000, trailing letters). lits is reused for the
// result. It only lexes; whether each $n stands where a parameter means
// exactly what the literal meant is for the caller to check on the parsed
// tree of Text.
func Normalize(sql string, lits []Literal) (n Normalized, ok bool) {
	lx := lexer{s: sql}
	lits = lits[:0]
	ended := false // a ';' was seen: only blanks and comments may follow
	for {
		kind, b, e := lx.next()
		if kind == tokEOF {
			break
		}
		if ended {
			if kind == tokPunct && sql[b] == ';' {
				continue
			}
			return Normalized{}, false
		}
		switch kind {
		case tokPunct:
			if sql[b] == ';' {
				ended = true
			}
		case tokLeaf:
			switch c := sql[b]; {
			case c == '"' || isQuotedIdent(sql[b:e]):
			case isDigit(c) || c == '.':
				k, ok := literalKind(sql[b:e])
				if !ok {
					return Normalized{}, false
				}
				lits = append(lits, Literal{Start: b, End: e, Kind: k})
			default: // a string ('…', E'…', B'…', X'…', N'…', U&'…', $$…$$) or a $n
				return Normalized{}, false
			}
		}
	}
	var sb strings.Builder
	sb.Grow(len(sql) + 4*len(lits) + 1)
	at := 0
	for i := range lits {
		sb.WriteString(sql[at:lits[i].Start])
		lits[i].NormStart = sb.Len()
		sb.WriteByte('$')
		sb.WriteString(strconv.Itoa(i + 1))
		at = lits[i].End
	}
	sb.WriteString(sql[at:])
	textLen := sb.Len()
	sb.WriteByte(0)
	for _, l := range lits {
		sb.WriteByte(byte('0' + l.Kind))
	}
	key := sb.String()
	return Normalized{Text: key[:textLen], Key: key, Lits: lits}, true
}

// isQuotedIdent reports whether a leaf that starts with a letter is
// U&"…" (a quoted identifier, not a string).
func isQuotedIdent(s string) bool {
	return len(s) > 2 && (s[0]|0x20) == 'u' && s[1] == '&' && s[2] == '"'
}

// literalKind classifies a numeric literal as PostgreSQL 15 reads it, or
// reports false for a spelling it reads otherwise or not at all.
func literalKind(s string) (LitKind, bool) {
	i, digits := 0, 0
	for i < len(s) && isDigit(s[i]) {
		i, digits = i+1, digits+1
	}
	if i == len(s) {
		v, err := strconv.ParseInt(s, 10, 64)
		switch {
		case err != nil:
			return LitNumeric, true
		case v == int64(int32(v)):
			return LitInt4, true
		}
		return LitInt8, true
	}
	if s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && isDigit(s[i]) {
			i, exp = i+1, exp+1
		}
		if exp == 0 {
			return 0, false
		}
	}
	return LitNumeric, i == len(s)
}

// Text returns the literal's text in the original string.
func (l Literal) Text(sql string) string { return sql[l.Start:l.End] }
