package types

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/heliosdb/nano/sql/pgerror"
)

// VerifyEncoding checks that b is valid UTF-8 without NUL bytes, as
// PostgreSQL's pg_verify_mbstr does for every text that enters the server
// (query strings, text parameters, binary text values). The error is
// 22021 with PostgreSQL's message, naming the offending bytes:
//
//	invalid byte sequence for encoding "UTF8": 0xc3 0x27
func VerifyEncoding[S string | []byte](b S) error {
	for i := 0; i < len(b); {
		c := b[i]
		if c != 0 && c < utf8.RuneSelf {
			i++
			continue
		}
		var size int
		var r rune
		if c == 0 {
			r, size = 0, 0
		} else {
			r, size = utf8.DecodeRuneInString(string(b[i:min(len(b), i+utf8.UTFMax)]))
		}
		if c == 0 || (r == utf8.RuneError && size <= 1) {
			return invalidEncoding(string(b[i:]))
		}
		i += size
	}
	return nil
}

// invalidEncoding reports the bytes of the character that starts rest,
// as many as its first byte announces (PostgreSQL's report_invalid_encoding).
func invalidEncoding(rest string) error {
	n := 1
	switch c := rest[0]; {
	case c&0xe0 == 0xc0:
		n = 2
	case c&0xf0 == 0xe0:
		n = 3
	case c&0xf8 == 0xf0:
		n = 4
	}
	n = min(n, len(rest), 8)
	hex := make([]string, n)
	for j := range n {
		hex[j] = fmt.Sprintf("0x%02x", rest[j])
	}
	return pgerror.Newf(pgerror.CharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": %s", strings.Join(hex, " "))
}

// IsText reports whether values of t are text on the wire in binary format
// too (textrecv and friends verify their encoding).
func (t T) IsText() bool {
	f := t.Family()
	return f == FamString || f == FamUnknown
}
