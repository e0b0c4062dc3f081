package types

// parseJSON is json_in/jsonb_in. json keeps the input text; jsonb is
// normalized as PostgreSQL prints it: `{"a": 1, "b": [1, 2]}` with keys
// sorted by length then bytes, duplicate keys resolved to the last value,
// and numbers in numeric form (1e2 -> 100, 1.50 stays 1.50).
func parseJSON(t T, s string) (Datum, error) {
	v, err := DecodeJSON(s)
	if err != nil {
		return nil, err
	}
	if t.Oid == OidJSON {
		return s, nil
	}
	return JSONText(v), nil
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
