package types

import (
	"encoding/json"
	"io"
	"slices"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/heliosdb/nano/sql/pgerror"
)

// JSON values as trees, for the jsonb operators and functions. A jsonb
// datum is its normalized text (see parseJSON); DecodeJSON turns it (or any
// json text) into a tree of
//
//	nil (null), bool, *apd.Decimal (number), string, []any (array),
//	*JSONObject (object: keys in jsonb order, unique)
//
// and AppendJSON prints a tree as jsonb output.

// JSONObject is a JSON object with keys in jsonb's order (shorter keys
// first, then bytewise) and no duplicates.
type JSONObject struct {
	Keys []string
	Vals []any
}

// Get returns the value of key k.
func (o *JSONObject) Get(k string) (any, bool) {
	i, ok := slices.BinarySearchFunc(o.Keys, k, jsonKeyCmp)
	if !ok {
		return nil, false
	}
	return o.Vals[i], true
}

// Set returns o with k set to v (a new object; o is not modified).
func (o *JSONObject) Set(k string, v any) *JSONObject {
	i, ok := slices.BinarySearchFunc(o.Keys, k, jsonKeyCmp)
	out := &JSONObject{Keys: slices.Clone(o.Keys), Vals: slices.Clone(o.Vals)}
	if ok {
		out.Vals[i] = v
		return out
	}
	out.Keys = slices.Insert(out.Keys, i, k)
	out.Vals = slices.Insert(out.Vals, i, v)
	return out
}

// Delete returns o without key k.
func (o *JSONObject) Delete(k string) *JSONObject {
	i, ok := slices.BinarySearchFunc(o.Keys, k, jsonKeyCmp)
	if !ok {
		return o
	}
	return &JSONObject{Keys: slices.Delete(slices.Clone(o.Keys), i, i+1), Vals: slices.Delete(slices.Clone(o.Vals), i, i+1)}
}

func jsonKeyCmp(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// NewJSONObject builds an object from pairs; a later duplicate key wins.
func NewJSONObject(keys []string, vals []any) *JSONObject {
	o := &JSONObject{}
	for i, k := range keys {
		o = o.Set(k, vals[i])
	}
	return o
}

// errJSONSyntax is json_in's error: 22P02 "invalid input syntax for type
// json" (for jsonb too) with a detail naming the problem.
func errJSONSyntax(s string, detail string) error {
	e := pgerror.New(pgerror.InvalidTextRepresentation, "invalid input syntax for type json")
	if detail != "" {
		e = e.WithDetail("%s", detail)
	}
	return e.WithWhere("JSON data, line 1: %s", clipJSON(s))
}

func clipJSON(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// DecodeJSON parses JSON text into a tree (see above).
func DecodeJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	v, err := decodeJSONValue(dec)
	if err != nil {
		if strings.TrimSpace(s) == "" {
			return nil, errJSONSyntax(s, "The input string ended unexpectedly.")
		}
		return nil, errJSONSyntax(s, "")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errJSONSyntax(s, "Expected end of input, but found more.")
	}
	return v, nil
}

func decodeJSONValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeJSONValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		case '{':
			var keys []string
			var vals []any
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, io.ErrUnexpectedEOF
				}
				v, err := decodeJSONValue(dec)
				if err != nil {
					return nil, err
				}
				keys, vals = append(keys, k), append(vals, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return NewJSONObject(keys, vals), nil
		}
		return nil, io.ErrUnexpectedEOF
	case json.Number:
		d, err := parseNumeric(Numeric, string(t))
		if err != nil {
			return nil, err
		}
		return d, nil
	case string, bool, nil:
		return t, nil
	}
	return nil, io.ErrUnexpectedEOF
}

// AppendJSON appends v's jsonb output.
func AppendJSON(buf []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...)
	case bool:
		if x {
			return append(buf, "true"...)
		}
		return append(buf, "false"...)
	case string:
		return appendJSONString(buf, x)
	case *apd.Decimal:
		return appendNumeric(buf, x)
	case []any:
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = AppendJSON(buf, e)
		}
		return append(buf, ']')
	case *JSONObject:
		buf = append(buf, '{')
		for i, k := range x.Keys {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = appendJSONString(buf, k)
			buf = append(buf, ": "...)
			buf = AppendJSON(buf, x.Vals[i])
		}
		return append(buf, '}')
	}
	return buf
}

// JSONText is AppendJSON as a string.
func JSONText(v any) string { return string(AppendJSON(nil, v)) }

// JSONTypeName is jsonb_typeof's answer for v.
func JSONTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case *apd.Decimal:
		return "number"
	case []any:
		return "array"
	}
	return "object"
}

// jsonRank orders the kinds as jsonb's btree: null < string < number <
// boolean < array < object.
func jsonRank(v any) int {
	switch v.(type) {
	case nil:
		return 0
	case string:
		return 1
	case *apd.Decimal:
		return 2
	case bool:
		return 3
	case []any:
		return 4
	}
	return 5
}

// CompareJSON is jsonb's ordering: by kind, arrays by length then
// elements, objects by number of pairs then keys and values in key order.
// (An empty top-level array sorts before null in PostgreSQL; not here.)
func CompareJSON(a, b any) int {
	ra, rb := jsonRank(a), jsonRank(b)
	if ra != rb {
		return ra - rb
	}
	switch x := a.(type) {
	case string:
		return strings.Compare(x, b.(string))
	case *apd.Decimal:
		return compareDecimal(x, b.(*apd.Decimal))
	case bool:
		return compareBool(x, b.(bool))
	case []any:
		y := b.([]any)
		if len(x) != len(y) {
			return len(x) - len(y)
		}
		for i := range x {
			if c := CompareJSON(x[i], y[i]); c != 0 {
				return c
			}
		}
	case *JSONObject:
		y := b.(*JSONObject)
		if len(x.Keys) != len(y.Keys) {
			return len(x.Keys) - len(y.Keys)
		}
		for i := range x.Keys {
			if c := jsonKeyCmp(x.Keys[i], y.Keys[i]); c != 0 {
				return c
			}
			if c := CompareJSON(x.Vals[i], y.Vals[i]); c != 0 {
				return c
			}
		}
	}
	return 0
}

// JSONContains is a @> b (jsonb containment).
func JSONContains(a, b any, top bool) bool {
	switch x := a.(type) {
	case *JSONObject:
		y, ok := b.(*JSONObject)
		if !ok {
			return false
		}
		for i, k := range y.Keys {
			v, ok := x.Get(k)
			if !ok || !JSONContains(v, y.Vals[i], false) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok {
			// a top-level array contains a scalar it holds
			if top && jsonRank(b) < 4 {
				for _, e := range x {
					if jsonRank(e) < 4 && CompareJSON(e, b) == 0 {
						return true
					}
				}
			}
			return false
		}
		for _, e := range y {
			found := false
			for _, f := range x {
				if jsonRank(e) < 4 {
					if jsonRank(f) == jsonRank(e) && CompareJSON(f, e) == 0 {
						found = true
					}
				} else if JSONContains(f, e, false) {
					found = true
				}
				if found {
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	return jsonRank(a) == jsonRank(b) && CompareJSON(a, b) == 0
}

// castJSONB is jsonb -> numeric/int/float/bool (PostgreSQL 11+): the value
// must be a number (a boolean for bool).
func castJSONB(d Datum, to T) (Datum, error) {
	s, _ := d.(string)
	v, err := DecodeJSON(s)
	if err != nil {
		return nil, err
	}
	bad := func() error {
		return pgerror.Newf(pgerror.InvalidParameterValue, "cannot cast jsonb %s to type %s", jsonKindWord(v), to)
	}
	switch to.Family() {
	case FamBool:
		b, ok := v.(bool)
		if !ok {
			return nil, bad()
		}
		return b, nil
	case FamInt, FamFloat, FamNumeric:
		n, ok := v.(*apd.Decimal)
		if !ok {
			return nil, bad()
		}
		return Cast(n, Numeric, to, true)
	}
	return nil, errCannotCast(JSONB, to)
}

func jsonKindWord(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case *apd.Decimal:
		return "numeric"
	case []any:
		return "array"
	}
	return "object"
}
