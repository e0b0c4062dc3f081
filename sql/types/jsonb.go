package types

import (
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// parseJSON is json_in/jsonb_in. json keeps the input text; jsonb is
// normalized as PostgreSQL prints it: `{"a": 1, "b": [1, 2]}` with keys
// sorted by length then bytes, duplicate keys resolved to the last value,
// and numbers in numeric form (1e2 -> 100, 1.50 stays 1.50).
func parseJSON(t T, s string) (Datum, error) {
	if t.Oid == OidJSON {
		if !json.Valid([]byte(s)) {
			return nil, errSyntax(t, s)
		}
		return s, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errSyntax(t, s)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errSyntax(t, s)
	}
	out, ok := appendJSONB(nil, v)
	if !ok {
		return nil, errSyntax(t, s)
	}
	return string(out), nil
}

func appendJSONB(buf []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), true
	case bool:
		return strconv.AppendBool(buf, x), true
	case string:
		return appendJSONString(buf, x), true
	case json.Number:
		d, err := parseNumeric(Numeric, string(x))
		if err != nil {
			return buf, false
		}
		return appendNumeric(buf, d.(*apd.Decimal)), true
	case []any:
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			var ok bool
			if buf, ok = appendJSONB(buf, e); !ok {
				return buf, false
			}
		}
		return append(buf, ']'), true
	case map[string]any:
		return appendJSONBObject(buf, x)
	}
	return buf, false
}

func appendJSONBObject(buf []byte, m map[string]any) ([]byte, bool) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ", "...)
		}
		buf = appendJSONString(buf, k)
		buf = append(buf, ": "...)
		var ok bool
		if buf, ok = appendJSONB(buf, m[k]); !ok {
			return buf, false
		}
	}
	return append(buf, '}'), true
}

// appendJSONString quotes s as PostgreSQL's escape_json does.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			buf = append(buf, `\"`...)
		case '\\':
			buf = append(buf, `\\`...)
		case '\b':
			buf = append(buf, `\b`...)
		case '\f':
			buf = append(buf, `\f`...)
		case '\n':
			buf = append(buf, `\n`...)
		case '\r':
			buf = append(buf, `\r`...)
		case '\t':
			buf = append(buf, `\t`...)
		default:
			if c < 0x20 {
				buf = append(buf, `\u00`...)
				buf = append(buf, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
				continue
			}
			buf = append(buf, c)
		}
	}
	return append(buf, '"')
}
