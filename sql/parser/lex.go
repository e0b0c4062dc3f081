package parser

// A small lexer for PostgreSQL's token classes, enough to find statement
// boundaries and estimate nesting before handing text to pg_query (see
// scan.go). It follows src/backend/parser/scan.l: comments (-- and nested
// /* */), quoted strings (E'', U&'', B'', X'', N''), quoted identifiers,
// dollar quotes, $n parameters, numbers, operators (with scan.l's rule
// that trims a trailing + or -) and single-character punctuation. It never
// fails: an unterminated string or comment runs to the end of the input,
// where pg_query reports the error.

type tokKind uint8

const (
	tokEOF   tokKind = iota
	tokWord          // identifier or keyword
	tokLeaf          // string, quoted identifier, number, parameter
	tokOp            // operator (+, ||, <=, ::, …)
	tokPunct         // one of ( ) [ ] , ; .
)

type lexer struct {
	s string
	i int
	// signsEnd: the + and - signs before it, stripped from the end of an
	// operator (see operator), are one-character operators each; lexing
	// them without scanning the run again keeps a long run of signs
	// linear ("0" followed by a million "+" took minutes).
	signsEnd int
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentByte(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isOpChar(c byte) bool {
	switch c {
	case '~', '!', '@', '#', '^', '&', '|', '`', '?', '+', '-', '*', '/', '%', '<', '>', '=':
		return true
	}
	return false
}

func (l *lexer) at(i int) byte {
	if i < len(l.s) {
		return l.s[i]
	}
	return 0
}

// next returns the next token's kind and its text's bounds.
func (l *lexer) next() (tokKind, int, int) {
	l.skipSpace()
	start := l.i
	if start >= len(l.s) {
		return tokEOF, start, start
	}
	c := l.s[start]
	switch {
	case isIdentStart(c):
		return l.word(start)
	case c == '\'':
		l.i = quoted(l.s, start, '\'', false)
		return tokLeaf, start, l.i
	case c == '"':
		l.i = quoted(l.s, start, '"', false)
		return tokLeaf, start, l.i
	case c == '$':
		return l.dollar(start)
	case isDigit(c) || c == '.' && isDigit(l.at(start+1)):
		l.i = number(l.s, start)
		return tokLeaf, start, l.i
	case c == ':':
		l.i++
		if l.at(l.i) == ':' || l.at(l.i) == '=' {
			l.i++
		}
		return tokOp, start, l.i
	case c == '(' || c == ')' || c == '[' || c == ']' || c == ',' || c == ';' || c == '.':
		l.i++
		return tokPunct, start, l.i
	case isOpChar(c):
		if start < l.signsEnd {
			l.i = start + 1
			return tokOp, start, l.i
		}
		var run int
		l.i, run = operator(l.s, start)
		if run > l.i {
			l.signsEnd = run
		}
		return tokOp, start, l.i
	}
	l.i++ // a stray byte (\, {, …): the grammar rejects it
	return tokOp, start, l.i
}

func (l *lexer) skipSpace() {
	for l.i < len(l.s) {
		c := l.s[l.i]
		switch {
		case isSpace(c):
			l.i++
		case c == '-' && l.at(l.i+1) == '-':
			for l.i < len(l.s) && l.s[l.i] != '\n' && l.s[l.i] != '\r' {
				l.i++
			}
		case c == '/' && l.at(l.i+1) == '*':
			l.i = blockComment(l.s, l.i)
		default:
			return
		}
	}
}

// word lexes an identifier or keyword, or a string or quoted identifier
// with a one-letter prefix (E'…', B'…', X'…', N'…', U&'…', U&"…").
func (l *lexer) word(start int) (tokKind, int, int) {
	j := start + 1
	for j < len(l.s) && isIdentByte(l.s[j]) {
		j++
	}
	if j == start+1 {
		switch c := l.s[start] | 0x20; {
		case l.at(j) == '\'' && (c == 'e'):
			l.i = quoted(l.s, j, '\'', true)
			return tokLeaf, start, l.i
		case l.at(j) == '\'' && (c == 'b' || c == 'x' || c == 'n'):
			l.i = quoted(l.s, j, '\'', false)
			return tokLeaf, start, l.i
		case c == 'u' && l.at(j) == '&' && (l.at(j+1) == '\'' || l.at(j+1) == '"'):
			l.i = quoted(l.s, j+1, l.s[j+1], false)
			return tokLeaf, start, l.i
		}
	}
	l.i = j
	return tokWord, start, j
}

// dollar lexes a $n parameter or a $tag$…$tag$ string.
func (l *lexer) dollar(start int) (tokKind, int, int) {
	j := start + 1
	if isDigit(l.at(j)) {
		for j < len(l.s) && isDigit(l.s[j]) {
			j++
		}
		l.i = j
		return tokLeaf, start, j
	}
	for j < len(l.s) && l.s[j] != '$' && isIdentByte(l.s[j]) {
		j++
	}
	if l.at(j) != '$' || j > start+1 && isDigit(l.s[start+1]) {
		l.i = start + 1
		return tokOp, start, l.i
	}
	tag := l.s[start : j+1]
	end := indexFrom(l.s, tag, j+1)
	if end < 0 {
		l.i = len(l.s)
	} else {
		l.i = end + len(tag)
	}
	return tokLeaf, start, l.i
}

func indexFrom(s, sub string, from int) int {
	for k := from; k+len(sub) <= len(s); k++ {
		if s[k] == sub[0] && s[k:k+len(sub)] == sub {
			return k
		}
	}
	return -1
}

// quoted returns the index after the quote q closing the one at i (a
// doubled quote escapes it; so does a backslash when backslash is set),
// or len(s) when it is not closed.
func quoted(s string, i int, q byte, backslash bool) int {
	for j := i + 1; j < len(s); j++ {
		switch {
		case backslash && s[j] == '\\':
			j++
		case s[j] == q && j+1 < len(s) && s[j+1] == q:
			j++
		case s[j] == q:
			return j + 1
		}
	}
	return len(s)
}

// blockComment returns the index after the (nested) comment at i, or
// len(s).
func blockComment(s string, i int) int {
	depth := 0
	for j := i; j+1 < len(s); j++ {
		switch {
		case s[j] == '/' && s[j+1] == '*':
			depth++
			j++
		case s[j] == '*' && s[j+1] == '/':
			depth--
			j++
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(s)
}

// number returns the index after the numeric literal at i (with any
// trailing junk, which the grammar rejects).
func number(s string, i int) int {
	j := i
	for j < len(s) {
		c := s[j]
		switch {
		case isDigit(c) || isIdentStart(c):
			if (c == 'e' || c == 'E') && j+1 < len(s) && (s[j+1] == '+' || s[j+1] == '-') {
				j++
			}
			j++
		case c == '.' && (j+1 >= len(s) || s[j+1] != '.'):
			j++
		default:
			return j
		}
	}
	return j
}

// operator returns the end of the operator starting at i, as scan.l
// splits it: it stops before a comment start, and a multi-character
// operator ending in + or - loses its trailing + and - characters unless
// it contains one of ~ ! @ # ^ & | ` ? %.
//
// When trailing signs were stripped it also returns the end of the whole
// run (else the operator's end): each sign between the two ends is then
// an operator of one character, as lexing from it would find — the run
// holds no "--" or "/*" and no character that keeps trailing signs.
func operator(s string, i int) (end, run int) {
	j := i
	for j < len(s) && isOpChar(s[j]) {
		if j > i && (s[j] == '-' && s[j-1] == '-' || s[j] == '*' && s[j-1] == '/') {
			j--
			break
		}
		j++
	}
	if j == i {
		j = i + 1 // "/*" or "--" cannot start here; skipSpace ran
	}
	run = j
	if j-i > 1 && (s[j-1] == '+' || s[j-1] == '-') {
		for k := i; k < j-1; k++ {
			switch s[k] {
			case '~', '!', '@', '#', '^', '&', '|', '`', '?', '%':
				return j, run
			}
		}
		for j-i > 1 && (s[j-1] == '+' || s[j-1] == '-') {
			j--
		}
	}
	return j, run
}
