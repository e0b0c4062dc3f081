package types

import (
	"strings"
	"time"
)

// Record is the value of a row constructor or a whole-row reference (type
// record, OID 2249): its fields' values and types.
type Record struct {
	Vals []Datum
	Typs []T
}

// appendRecordText is PostgreSQL's record_out: (f1,f2,…), a NULL field
// empty, a field quoted with "…" when it is empty or holds a double quote,
// backslash, parenthesis, comma or white space, doubling " and \ inside.
func appendRecordText(buf []byte, r *Record, loc *time.Location) []byte {
	buf = append(buf, '(')
	for i, v := range r.Vals {
		if i > 0 {
			buf = append(buf, ',')
		}
		if v == nil {
			continue
		}
		s := string(AppendTextLoc(nil, v, r.Typs[i], loc))
		if s != "" && !strings.ContainsAny(s, "\"\\(),") && !strings.ContainsFunc(s, isRecordSpace) {
			buf = append(buf, s...)
			continue
		}
		buf = append(buf, '"')
		for j := 0; j < len(s); j++ {
			if s[j] == '"' || s[j] == '\\' {
				buf = append(buf, s[j])
			}
			buf = append(buf, s[j])
		}
		buf = append(buf, '"')
	}
	return append(buf, ')')
}

// isRecordSpace is C's isspace, which record_out tests.
func isRecordSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}
