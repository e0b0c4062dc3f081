package exec

import (
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// jsonb operators and functions (PostgreSQL documentation 9.16 "JSON
// Functions and Operators"). A jsonb datum is its normalized text; these
// decode it into a tree (types.DecodeJSON) and print results with
// types.JSONText.

func isJSONType(t types.T) bool { return t.Oid == types.OidJSONB || t.Oid == types.OidJSON }

func decodeJSONDatum(d Datum) (any, error) {
	return types.DecodeJSON(str(d))
}

// decodeJSONPair decodes both operands of a jsonb operator.
func decodeJSONPair(a, c Datum) (x, y any, err error) {
	if x, err = decodeJSONDatum(a); err != nil {
		return nil, nil, err
	}
	y, err = decodeJSONDatum(c)
	return x, y, err
}

func jsonPathArg(d Datum) ([]string, error) {
	at, _ := types.ArrayOf(types.Text)
	a, err := toArray(d, at)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(a.Elems))
	for i, e := range a.Elems {
		if e == nil {
			out[i] = "\x00null"
			continue
		}
		out[i] = str(e)
	}
	return out, nil
}

// jsonGet is v -> key (a string) or v -> index.
func jsonGet(v any, key Datum) (any, bool) {
	switch k := key.(type) {
	case int64:
		arr, ok := v.([]any)
		if !ok {
			return nil, false
		}
		i := int(k)
		if i < 0 {
			i += len(arr)
		}
		if i < 0 || i >= len(arr) {
			return nil, false
		}
		return arr[i], true
	case string:
		if o, ok := v.(*types.JSONObject); ok {
			return o.Get(k)
		}
	}
	return nil, false
}

// jsonPath follows a #> path (array steps are integers).
func jsonPath(v any, path []string) (any, bool) {
	for _, p := range path {
		switch x := v.(type) {
		case *types.JSONObject:
			var ok bool
			if v, ok = x.Get(p); !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				return nil, false
			}
			if i < 0 {
				i += len(x)
			}
			if i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// jsonAsText is ->>'s rendering: strings unquoted, null as SQL NULL.
func jsonAsText(v any) Datum {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return x
	}
	return types.JSONText(v)
}

// jsonBinaryOp compiles the jsonb operators; ok is false when l is not
// json.
func jsonBinaryOp(op string, l, r *cexpr) (*cexpr, bool, error) {
	if !isJSONType(l.t) || l.unknown {
		if isJSONType(r.t) && !r.unknown && (op == "@>" || op == "<@" || op == "||") && l.unknown {
			l = coerce(l, r.t)
		} else {
			return nil, false, nil
		}
	}
	isB := l.t.Oid == types.OidJSONB
	jt := l.t
	out := func(t types.T, f func(a, b Datum) (Datum, error)) (*cexpr, bool, error) {
		e, err := binExpr(t, l.s+" "+op+" "+r.s, l, r, f)
		return e, true, err
	}
	switch op {
	case "->", "->>":
		if r.t.Family() != types.FamInt && r.t.Family() != types.FamString {
			return nil, true, opError(op, l, r)
		}
		if r.t.Family() == types.FamInt {
			r = coerce(r, types.Int8)
		}
		rt := jt
		if op == "->>" {
			rt = types.Text
		}
		return out(rt, func(a, k Datum) (Datum, error) {
			v, err := decodeJSONDatum(a)
			if err != nil {
				return nil, err
			}
			x, ok := jsonGet(v, k)
			if !ok {
				return nil, nil
			}
			if op == "->>" {
				return jsonAsText(x), nil
			}
			return types.JSONText(x), nil
		})
	case "#>", "#>>":
		rt := jt
		if op == "#>>" {
			rt = types.Text
		}
		return out(rt, func(a, p Datum) (Datum, error) {
			v, err := decodeJSONDatum(a)
			if err != nil {
				return nil, err
			}
			path, err := jsonPathArg(p)
			if err != nil {
				return nil, err
			}
			x, ok := jsonPath(v, path)
			if !ok {
				return nil, nil
			}
			if op == "#>>" {
				if len(path) == 0 {
					return types.JSONText(x), nil
				}
				return jsonAsText(x), nil
			}
			return types.JSONText(x), nil
		})
	}
	if !isB {
		return nil, true, opError(op, l, r)
	}
	switch op {
	case "@>", "<@":
		if !isJSONType(r.t) {
			return nil, true, opError(op, l, r)
		}
		r = coerce(r, types.JSONB)
		return out(types.Bool, func(a, c Datum) (Datum, error) {
			x, y, err := decodeJSONPair(a, c)
			if err != nil {
				return nil, err
			}
			if op == "<@" {
				x, y = y, x
			}
			return types.JSONContains(x, y, true), nil
		})
	case "?", "?|", "?&":
		return out(types.Bool, func(a, k Datum) (Datum, error) {
			v, err := decodeJSONDatum(a)
			if err != nil {
				return nil, err
			}
			if op == "?" {
				return jsonHasKey(v, str(k)), nil
			}
			keys, err := jsonPathArg(k)
			if err != nil {
				return nil, err
			}
			any, all := false, true
			for _, key := range keys {
				if key == "\x00null" {
					continue
				}
				if jsonHasKey(v, key) {
					any = true
				} else {
					all = false
				}
			}
			if op == "?|" {
				return any, nil
			}
			return all, nil
		})
	case "||":
		if !isJSONType(r.t) {
			return nil, true, opError(op, l, r)
		}
		r = coerce(r, types.JSONB)
		return out(types.JSONB, func(a, c Datum) (Datum, error) {
			x, y, err := decodeJSONPair(a, c)
			if err != nil {
				return nil, err
			}
			return types.JSONText(jsonConcat(x, y)), nil
		})
	case "-":
		switch {
		case r.t.Family() == types.FamInt:
			r = coerce(r, types.Int8)
		case r.t.IsArray():
		case r.t.Family() == types.FamString:
		default:
			return nil, true, opError(op, l, r)
		}
		return out(types.JSONB, func(a, k Datum) (Datum, error) {
			v, err := decodeJSONDatum(a)
			if err != nil {
				return nil, err
			}
			res, err := jsonDelete(v, k, r.t)
			if err != nil {
				return nil, err
			}
			return types.JSONText(res), nil
		})
	case "#-":
		return out(types.JSONB, func(a, p Datum) (Datum, error) {
			v, err := decodeJSONDatum(a)
			if err != nil {
				return nil, err
			}
			path, err := jsonPathArg(p)
			if err != nil {
				return nil, err
			}
			res, err := jsonDeletePath(v, path)
			if err != nil {
				return nil, err
			}
			return types.JSONText(res), nil
		})
	}
	return nil, false, nil
}

func jsonHasKey(v any, k string) bool {
	switch x := v.(type) {
	case *types.JSONObject:
		_, ok := x.Get(k)
		return ok
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok && s == k {
				return true
			}
		}
	case string:
		return x == k
	}
	return false
}

// jsonConcat is jsonb || jsonb.
func jsonConcat(x, y any) any {
	xo, xok := x.(*types.JSONObject)
	yo, yok := y.(*types.JSONObject)
	if xok && yok {
		out := xo
		for i, k := range yo.Keys {
			out = out.Set(k, yo.Vals[i])
		}
		return out
	}
	xa, ok := x.([]any)
	if !ok {
		xa = []any{x}
	}
	ya, ok := y.([]any)
	if !ok {
		ya = []any{y}
	}
	return append(append([]any{}, xa...), ya...)
}

func errScalarDelete() error {
	return pgerror.New(pgerror.InvalidParameterValue, "cannot delete from scalar")
}

// jsonDelete is jsonb - text, jsonb - text[] and jsonb - integer.
func jsonDelete(v any, k Datum, kt types.T) (any, error) {
	if kt.IsArray() {
		keys, err := jsonPathArg(k)
		if err != nil {
			return nil, err
		}
		for _, key := range keys {
			if v, err = jsonDelete(v, key, types.Text); err != nil {
				return nil, err
			}
		}
		return v, nil
	}
	switch x := v.(type) {
	case *types.JSONObject:
		if _, isInt := k.(int64); isInt {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot delete from object using integer index")
		}
		return x.Delete(str(k)), nil
	case []any:
		if i, isInt := k.(int64); isInt {
			n := int(i)
			if n < 0 {
				n += len(x)
			}
			if n < 0 || n >= len(x) {
				return x, nil
			}
			return append(append([]any{}, x[:n]...), x[n+1:]...), nil
		}
		var out []any
		for _, e := range x {
			if s, ok := e.(string); ok && s == str(k) {
				continue
			}
			out = append(out, e)
		}
		if out == nil {
			out = []any{}
		}
		return out, nil
	}
	return nil, errScalarDelete()
}

// jsonDeletePath is jsonb #- text[].
func jsonDeletePath(v any, path []string) (any, error) {
	if len(path) == 0 {
		return v, nil
	}
	switch x := v.(type) {
	case *types.JSONObject:
		if len(path) == 1 {
			return x.Delete(path[0]), nil
		}
		c, ok := x.Get(path[0])
		if !ok {
			return x, nil
		}
		nc, err := jsonDeletePath(c, path[1:])
		if err != nil {
			return nil, err
		}
		return x.Set(path[0], nc), nil
	case []any:
		i, err := strconv.Atoi(path[0])
		if err != nil {
			return nil, pgerror.Newf(pgerror.InvalidTextRepresentation, "path element at position 1 is not an integer: \"%s\"", path[0])
		}
		if i < 0 {
			i += len(x)
		}
		if i < 0 || i >= len(x) {
			return x, nil
		}
		if len(path) == 1 {
			return append(append([]any{}, x[:i]...), x[i+1:]...), nil
		}
		nc, err := jsonDeletePath(x[i], path[1:])
		if err != nil {
			return nil, err
		}
		out := append([]any{}, x...)
		out[i] = nc
		return out, nil
	}
	return nil, errScalarDelete()
}

// toJSON is to_jsonb's conversion of a SQL value of type t.
func toJSON(d Datum, t types.T) (any, error) {
	if d == nil {
		return nil, nil
	}
	switch v := d.(type) {
	case bool:
		return v, nil
	case int64:
		if t.Family() != types.FamInt {
			return types.FormatText(v, t), nil // time, pg_lsn
		}
		return apd.New(v, 0), nil
	case *apd.Decimal:
		if v.Form != apd.Finite {
			return types.FormatText(v, t), nil
		}
		return v, nil
	case float64:
		s := types.FormatText(v, t)
		n, err := types.ParseText(types.Numeric, s)
		if err != nil || strings.ContainsAny(s, "NI") {
			return s, nil
		}
		return n, nil
	case *types.Array:
		return arrayToJSON(v, 0, new(int))
	case time.Time:
		s := types.FormatText(v, t)
		if t.Oid != types.OidDate {
			s = strings.Replace(s, " ", "T", 1)
			if t.Oid == types.OidTimestamptz && (strings.HasSuffix(s, "+00") || len(s) > 3 && (s[len(s)-3] == '+' || s[len(s)-3] == '-')) {
				s += ":00"
			}
		}
		return s, nil
	case string:
		if isJSONType(t) {
			return types.DecodeJSON(v)
		}
		if t.IsArray() {
			a, err := toArray(v, t)
			if err != nil {
				return nil, err
			}
			return arrayToJSON(a, 0, new(int))
		}
		return v, nil
	}
	return types.FormatText(d, t), nil
}

func arrayToJSON(a *types.Array, dim int, k *int) (any, error) {
	out := []any{}
	if len(a.Dims) == 0 {
		return out, nil
	}
	for i := 0; i < a.Dims[dim]; i++ {
		if dim+1 < len(a.Dims) {
			sub, err := arrayToJSON(a, dim+1, k)
			if err != nil {
				return nil, err
			}
			out = append(out, sub)
			continue
		}
		v, err := toJSON(a.Elems[*k], a.Elem)
		if err != nil {
			return nil, err
		}
		*k++
		out = append(out, v)
	}
	return out, nil
}

func jsonArgs1(res types.T, f func(v any, rest []Datum) (Datum, error)) func([]*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	return func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
		if args[0].unknown {
			args[0] = coerce(args[0], types.JSONB)
		} else if !isJSONType(args[0].t) {
			return args, types.T{}, nil, errNoVariant
		}
		return args, res, func(_ *env, a []Datum) (Datum, error) {
			v, err := decodeJSONDatum(a[0])
			if err != nil {
				return nil, err
			}
			return f(v, a[1:])
		}, nil
	}
}

func init() {
	textArr, _ := types.ArrayOf(types.Text)
	funcTable["jsonb_typeof"] = funcDef{minArg: 1, maxArg: 1, strict: true, prep: jsonArgs1(types.Text, func(v any, _ []Datum) (Datum, error) {
		return types.JSONTypeName(v), nil
	})}
	funcTable["json_typeof"] = funcTable["jsonb_typeof"]
	funcTable["jsonb_array_length"] = funcDef{minArg: 1, maxArg: 1, strict: true, prep: jsonArgs1(types.Int4, func(v any, _ []Datum) (Datum, error) {
		arr, ok := v.([]any)
		if !ok {
			if _, obj := v.(*types.JSONObject); obj {
				return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot get array length of a non-array")
			}
			return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot get array length of a scalar")
		}
		return int64(len(arr)), nil
	})}
	funcTable["jsonb_strip_nulls"] = funcDef{minArg: 1, maxArg: 1, strict: true, prep: jsonArgs1(types.JSONB, func(v any, _ []Datum) (Datum, error) {
		return types.JSONText(stripNulls(v)), nil
	})}
	funcTable["jsonb_pretty"] = funcDef{minArg: 1, maxArg: 1, strict: true, prep: jsonArgs1(types.Text, func(v any, _ []Datum) (Datum, error) {
		var sb strings.Builder
		prettyJSON(&sb, v, 0)
		return sb.String(), nil
	})}
	funcTable["jsonb_set"] = funcDef{minArg: 3, maxArg: 4, strict: true, prep: func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
		args[0] = coerce(args[0], types.JSONB)
		args[1] = coerce(args[1], textArr)
		args[2] = coerce(args[2], types.JSONB)
		if len(args) > 3 {
			args[3] = coerce(args[3], types.Bool)
		}
		return args, types.JSONB, func(_ *env, a []Datum) (Datum, error) {
			v, err := decodeJSONDatum(a[0])
			if err != nil {
				return nil, err
			}
			path, err := jsonPathArg(a[1])
			if err != nil {
				return nil, err
			}
			nv, err := decodeJSONDatum(a[2])
			if err != nil {
				return nil, err
			}
			create := len(a) < 4 || a[3] == true
			res, err := jsonSet(v, path, nv, create, 0)
			if err != nil {
				return nil, err
			}
			return types.JSONText(res), nil
		}, nil
	}}
	funcTable["to_jsonb"] = funcDef{minArg: 1, maxArg: 1, strict: true, prep: func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
		if args[0].unknown {
			return args, types.T{}, nil, errPolyUnknown()
		}
		t := args[0].t
		return args, types.JSONB, func(_ *env, a []Datum) (Datum, error) {
			v, err := toJSON(a[0], t)
			if err != nil {
				return nil, err
			}
			return types.JSONText(v), nil
		}, nil
	}}
	funcTable["jsonb_build_array"] = funcDef{minArg: 0, maxArg: -1, prep: func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
		ts := argTypesText(args)
		return args, types.JSONB, func(_ *env, a []Datum) (Datum, error) {
			out := []any{}
			for i, d := range a {
				v, err := toJSON(d, ts[i])
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			return types.JSONText(out), nil
		}, nil
	}}
	funcTable["jsonb_build_object"] = funcDef{minArg: 0, maxArg: -1, prep: func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
		if len(args)%2 != 0 {
			return args, types.T{}, nil, pgerror.New(pgerror.InvalidParameterValue, "argument list must have even number of elements").
				WithHint("The arguments of jsonb_build_object() must consist of alternating keys and values.")
		}
		ts := argTypesText(args)
		return args, types.JSONB, func(_ *env, a []Datum) (Datum, error) {
			var keys []string
			var vals []any
			for i := 0; i < len(a); i += 2 {
				if a[i] == nil {
					return nil, pgerror.Newf(pgerror.InvalidParameterValue, "argument %d: key must not be null", i+1)
				}
				ks, err := jsonKey(a[i], ts[i])
				if err != nil {
					return nil, err
				}
				v, err := toJSON(a[i+1], ts[i+1])
				if err != nil {
					return nil, err
				}
				keys, vals = append(keys, ks), append(vals, v)
			}
			return types.JSONText(types.NewJSONObject(keys, vals)), nil
		}, nil
	}}
	// json_build_array and json_build_object build json text as PostgreSQL
	// writes it: elements and pairs separated by ", ", "key" : value, a
	// json argument embedded as written (a jsonb one as jsonb prints).
	funcTable["json_build_array"] = funcDef{minArg: 0, maxArg: -1, prep: func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
		ts := argTypesText(args)
		return args, types.JSON, func(_ *env, a []Datum) (Datum, error) {
			b := []byte{'['}
			for i, d := range a {
				if i > 0 {
					b = append(b, ", "...)
				}
				var err error
				if b, err = appendJSONArg(b, d, ts[i]); err != nil {
					return nil, err
				}
			}
			return string(append(b, ']')), nil
		}, nil
	}}
	funcTable["json_build_object"] = funcDef{minArg: 0, maxArg: -1, prep: func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
		if len(args)%2 != 0 {
			return args, types.T{}, nil, pgerror.New(pgerror.InvalidParameterValue, "argument list must have even number of elements").
				WithHint("The arguments of json_build_object() must consist of alternating keys and values.")
		}
		ts := argTypesText(args)
		for i := 0; i < len(ts); i += 2 {
			if isJSONType(ts[i]) || ts[i].Family() == types.FamArray {
				return args, types.T{}, nil, pgerror.New(pgerror.InvalidParameterValue, "key value must be scalar, not array, composite, or json")
			}
		}
		return args, types.JSON, func(_ *env, a []Datum) (Datum, error) {
			b := []byte{'{'}
			for i := 0; i < len(a); i += 2 {
				if a[i] == nil {
					return nil, pgerror.Newf(pgerror.InvalidParameterValue, "argument %d cannot be null", i+1).
						WithHint("Object keys should be text.")
				}
				if i > 0 {
					b = append(b, ", "...)
				}
				ks, err := jsonKey(a[i], ts[i])
				if err != nil {
					return nil, err
				}
				b = append(types.AppendJSON(b, ks), " : "...)
				if b, err = appendJSONArg(b, a[i+1], ts[i+1]); err != nil {
					return nil, err
				}
			}
			return string(append(b, '}')), nil
		}, nil
	}}
	funcTable["jsonb_extract_path"] = funcDef{minArg: 2, maxArg: -1, strict: true, prep: extractPath(false)}
	funcTable["jsonb_extract_path_text"] = funcDef{minArg: 2, maxArg: -1, strict: true, prep: extractPath(true)}
	jsonSRFs()
}

// argTypesText types untyped literals as text.
func argTypesText(args []*cexpr) []types.T {
	ts := make([]types.T, len(args))
	for i, a := range args {
		if a.unknown {
			args[i] = coerce(a, types.Text)
			ts[i] = types.Text
			continue
		}
		ts[i] = a.t
	}
	return ts
}

func extractPath(text bool) func([]*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	res := types.JSONB
	if text {
		res = types.Text
	}
	return func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
		args[0] = coerce(args[0], types.JSONB)
		for i := 1; i < len(args); i++ {
			args[i] = coerce(args[i], types.Text)
		}
		return args, res, func(_ *env, a []Datum) (Datum, error) {
			v, err := decodeJSONDatum(a[0])
			if err != nil {
				return nil, err
			}
			path := make([]string, len(a)-1)
			for i, p := range a[1:] {
				path[i] = str(p)
			}
			x, ok := jsonPath(v, path)
			if !ok {
				return nil, nil
			}
			if text {
				return jsonAsText(x), nil
			}
			return types.JSONText(x), nil
		}, nil
	}
}

func stripNulls(v any) any {
	switch x := v.(type) {
	case *types.JSONObject:
		out := &types.JSONObject{}
		for i, k := range x.Keys {
			if x.Vals[i] == nil {
				continue
			}
			out.Keys = append(out.Keys, k)
			out.Vals = append(out.Vals, stripNulls(x.Vals[i]))
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stripNulls(e)
		}
		return out
	}
	return v
}

func prettyJSON(sb *strings.Builder, v any, indent int) {
	pad := func(n int) { sb.WriteString(strings.Repeat("    ", n)) }
	switch x := v.(type) {
	case *types.JSONObject:
		if len(x.Keys) == 0 {
			sb.WriteString("{\n")
			pad(indent)
			sb.WriteString("}")
			return
		}
		sb.WriteString("{\n")
		for i, k := range x.Keys {
			pad(indent + 1)
			sb.WriteString(types.JSONText(k) + ": ")
			prettyJSON(sb, x.Vals[i], indent+1)
			if i < len(x.Keys)-1 {
				sb.WriteString(",")
			}
			sb.WriteString("\n")
		}
		pad(indent)
		sb.WriteString("}")
	case []any:
		if len(x) == 0 {
			sb.WriteString("[\n")
			pad(indent)
			sb.WriteString("]")
			return
		}
		sb.WriteString("[\n")
		for i, e := range x {
			pad(indent + 1)
			prettyJSON(sb, e, indent+1)
			if i < len(x)-1 {
				sb.WriteString(",")
			}
			sb.WriteString("\n")
		}
		pad(indent)
		sb.WriteString("]")
	default:
		sb.WriteString(types.JSONText(v))
	}
}

// jsonSet is jsonb_set: the value at path replaced (or, with create, added
// when only the last step is missing).
func jsonSet(v any, path []string, nv any, create bool, depth int) (any, error) {
	if len(path) == 0 {
		return v, nil
	}
	switch x := v.(type) {
	case *types.JSONObject:
		if path[0] == "\x00null" {
			return nil, pgerror.Newf(pgerror.NullValueNotAllowed, "path element at position %d is null", depth+1)
		}
		c, ok := x.Get(path[0])
		if len(path) == 1 {
			if ok || create {
				return x.Set(path[0], nv), nil
			}
			return x, nil
		}
		if !ok {
			return x, nil
		}
		nc, err := jsonSet(c, path[1:], nv, create, depth+1)
		if err != nil {
			return nil, err
		}
		return x.Set(path[0], nc), nil
	case []any:
		i, err := strconv.Atoi(path[0])
		if err != nil {
			return nil, pgerror.Newf(pgerror.InvalidTextRepresentation, "path element at position %d is not an integer: \"%s\"", depth+1, path[0])
		}
		n := len(x)
		if i < 0 {
			i += n
		}
		if len(path) == 1 {
			switch {
			case i >= 0 && i < n:
				out := append([]any{}, x...)
				out[i] = nv
				return out, nil
			case !create:
				return x, nil
			case i < 0:
				return append([]any{nv}, x...), nil
			}
			return append(append([]any{}, x...), nv), nil
		}
		if i < 0 || i >= n {
			return x, nil
		}
		nc, err := jsonSet(x[i], path[1:], nv, create, depth+1)
		if err != nil {
			return nil, err
		}
		out := append([]any{}, x...)
		out[i] = nc
		return out, nil
	}
	return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot set path in scalar")
}

// jsonSRFs registers jsonb_array_elements[_text] and jsonb_object_keys.
func jsonSRFs() {
	one := func(res types.T, gen func(v any) ([]Datum, error)) srfDef {
		return srfDef{minArg: 1, maxArg: 1, hints: []types.T{types.JSONB},
			result: func(a []*cexpr) (types.T, error) {
				if !isJSONType(a[0].t) && !a[0].unknown {
					return types.T{}, pgerror.Newf(pgerror.UndefinedFunction, "function does not exist: argument of type %s", a[0].t)
				}
				return res, nil
			},
			gen: func(a []Datum, _ []types.T) ([]Datum, error) {
				v, err := decodeJSONDatum(a[0])
				if err != nil {
					return nil, err
				}
				return gen(v)
			}}
	}
	elems := func(text bool) func(v any) ([]Datum, error) {
		return func(v any) ([]Datum, error) {
			arr, ok := v.([]any)
			if !ok {
				if _, obj := v.(*types.JSONObject); obj {
					return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot extract elements from an object")
				}
				return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot extract elements from a scalar")
			}
			out := make([]Datum, len(arr))
			for i, e := range arr {
				if text {
					out[i] = jsonAsText(e)
				} else {
					out[i] = types.JSONText(e)
				}
			}
			return out, nil
		}
	}
	ae, aet := one(types.JSONB, elems(false)), one(types.Text, elems(true))
	ae.colName, aet.colName = "value", "value"
	srfTable["jsonb_array_elements"] = ae
	srfTable["jsonb_array_elements_text"] = aet
	each := func(text bool) srfDef {
		vt := types.JSONB
		if text {
			vt = types.Text
		}
		d := one(types.Text, func(v any) ([]Datum, error) {
			o, ok := v.(*types.JSONObject)
			if !ok {
				return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot call jsonb_each on a non-object")
			}
			out := make([]Datum, len(o.Keys))
			for i, k := range o.Keys {
				var val Datum = types.JSONText(o.Vals[i])
				if text {
					val = jsonAsText(o.Vals[i])
				}
				out[i] = []Datum{k, val}
			}
			return out, nil
		})
		d.cols, d.colTypes = []string{"key", "value"}, []types.T{types.Text, vt}
		return d
	}
	srfTable["jsonb_each"] = each(false)
	srfTable["jsonb_each_text"] = each(true)
	srfTable["jsonb_object_keys"] = one(types.Text, func(v any) ([]Datum, error) {
		o, ok := v.(*types.JSONObject)
		if !ok {
			if _, arr := v.([]any); arr {
				return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot call jsonb_object_keys on an array")
			}
			return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot call jsonb_object_keys on a scalar")
		}
		out := make([]Datum, len(o.Keys))
		for i, k := range o.Keys {
			out[i] = k
		}
		return out, nil
	})
}

func finishJSONAgg(a *aggSpec, st *aggState) (Datum, error) {
	if len(st.items) == 0 {
		return nil, nil
	}
	sortItems(a, st)
	sortDistinct(a, st)
	if a.name == "jsonb_agg" {
		out := make([]any, len(st.items))
		for i, it := range st.items {
			v, err := toJSONValue(it.val, a.arg)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return types.JSONText(out), nil
	}
	var keys []string
	var vals []any
	for _, it := range st.items {
		if it.val == nil {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "field name must not be null")
		}
		ks, err := jsonKey(it.val, a.arg.t)
		if err != nil {
			return nil, err
		}
		v, err := toJSONValue(it.sep, a.sep)
		if err != nil {
			return nil, err
		}
		keys, vals = append(keys, ks), append(vals, v)
	}
	return types.JSONText(types.NewJSONObject(keys, vals)), nil
}

// appendJSONArg appends d, of type t, as a value of json_build_*: null, a
// json argument's own text, or to_json's conversion.
func appendJSONArg(b []byte, d Datum, t types.T) ([]byte, error) {
	if d == nil {
		return append(b, "null"...), nil
	}
	if t.Oid == types.OidJSON {
		return append(b, str(d)...), nil
	}
	v, err := toJSON(d, t)
	if err != nil {
		return nil, err
	}
	if t.Family() == types.FamArray {
		return appendCompactArray(b, v), nil
	}
	return types.AppendJSON(b, v), nil
}

// appendCompactArray writes an SQL array as array_to_json does: no space
// after the commas ([1,2], [[1,2],[3,4]]).
func appendCompactArray(b []byte, v any) []byte {
	xs, ok := v.([]any)
	if !ok {
		return types.AppendJSON(b, v)
	}
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCompactArray(b, x)
	}
	return append(b, ']')
}

// jsonKey is an object key made from a SQL value of type t: its to_json
// string, or the JSON text of a non-string value.
func jsonKey(d Datum, t types.T) (string, error) {
	k, err := toJSON(d, t)
	if err != nil {
		return "", err
	}
	if ks, ok := k.(string); ok {
		return ks, nil
	}
	return types.JSONText(k), nil
}
