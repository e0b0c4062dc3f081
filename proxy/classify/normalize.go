package classify

// shapeKey returns sql with its literals (quoted strings, dollar-quoted
// strings, numbers) replaced by '?' and its comments dropped: the cache
// key shared by every text of the same shape, so that
// "… WHERE aid = 1" and "… WHERE aid = 2" are parsed once. Identifiers,
// keywords and $n parameters are kept, so the shape decides everything
// classification looks at, except the few literal-valued options (noted in
// Class.literal) and SET texts, which are never cached by shape. ok is
// false when sql does not scan (an unterminated quote or comment).
func shapeKey(sql string) (key string, ok bool) {
	out, ok := appendShape(make([]byte, 0, len(sql)), sql)
	if !ok {
		return "", false
	}
	return string(out), true
}

// appendShape appends shapeKey's key for sql to out; it keeps no
// reference to sql.
func appendShape(out []byte, sql string) ([]byte, bool) {
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '\'':
			end, ok := quoted(sql, i, i > 0 && (sql[i-1] == 'E' || sql[i-1] == 'e') && !identByte(at(sql, i-2)))
			if !ok {
				return out, false
			}
			out, i = append(out, '?'), end
		case c == '"':
			end, ok := quoted(sql, i, false)
			if !ok {
				return out, false
			}
			out, i = append(out, sql[i:end]...), end
		case c == '$' && i+1 < len(sql) && isDigit(sql[i+1]): // $n parameter
			j := i + 1
			for j < len(sql) && isDigit(sql[j]) {
				j++
			}
			out, i = append(out, sql[i:j]...), j
		case c == '$' && (i == 0 || !identByte(sql[i-1])):
			end, ok := dollarQuoted(sql, i)
			if !ok {
				out, i = append(out, c), i+1
				continue
			}
			out, i = append(out, '?'), end
		case c == '-' && at(sql, i+1) == '-':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
			out = append(out, ' ')
		case c == '/' && at(sql, i+1) == '*':
			end, ok := blockComment(sql, i)
			if !ok {
				return out, false
			}
			out, i = append(out, ' '), end
		case isDigit(c) && (i == 0 || !identByte(sql[i-1])),
			c == '.' && isDigit(at(sql, i+1)) && (i == 0 || !identByte(sql[i-1])):
			i = number(sql, i)
			out = append(out, '?')
		default:
			out, i = append(out, c), i+1
		}
	}
	return out, true
}

// quoted returns the index after the quote that closes the one at i
// (doubled quotes escape; backslashes too when backslash is set).
func quoted(s string, i int, backslash bool) (int, bool) {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case backslash && s[j] == '\\':
			j++
		case s[j] == q && at(s, j+1) == q:
			j++
		case s[j] == q:
			return j + 1, true
		}
	}
	return 0, false
}

// dollarQuoted returns the index after a $tag$…$tag$ string starting at i.
func dollarQuoted(s string, i int) (int, bool) {
	j := i + 1
	for j < len(s) && s[j] != '$' {
		if !identByte(s[j]) || isDigit(s[j]) && j == i+1 {
			return 0, false
		}
		j++
	}
	if j >= len(s) {
		return 0, false
	}
	tag := s[i : j+1]
	for k := j + 1; k+len(tag) <= len(s); k++ {
		if s[k:k+len(tag)] == tag {
			return k + len(tag), true
		}
	}
	return 0, false
}

// blockComment returns the index after a (nested) /* */ comment at i.
func blockComment(s string, i int) (int, bool) {
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
				return j + 1, true
			}
		}
	}
	return 0, false
}

// number returns the index after a numeric literal at i: digits with
// '.', '_' and an exponent, or a 0x/0o/0b integer.
func number(s string, i int) int {
	j := i
	if s[j] == '0' {
		switch at(s, j+1) | 0x20 {
		case 'x', 'o', 'b':
			j += 2
			for j < len(s) && (isDigit(s[j]) || s[j] == '_' || (s[j]|0x20 >= 'a' && s[j]|0x20 <= 'f')) {
				j++
			}
			return j
		}
	}
	for j < len(s) && (isDigit(s[j]) || s[j] == '.' || s[j] == '_') {
		j++
	}
	if at(s, j)|0x20 == 'e' {
		k := j + 1
		if c := at(s, k); c == '+' || c == '-' {
			k++
		}
		if isDigit(at(s, k)) {
			for j = k; j < len(s) && isDigit(s[j]); j++ {
			}
		}
	}
	return j
}

func at(s string, i int) byte {
	if i < 0 || i >= len(s) {
		return 0
	}
	return s[i]
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func identByte(c byte) bool {
	return c == '_' || c >= 0x80 || isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z')
}
