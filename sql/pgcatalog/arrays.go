package pgcatalog

import (
	"strconv"
	"strings"
	"sync"

	"github.com/heliosdb/nano/sql/types"
)

// Array values are carried as their PostgreSQL text form (package exec's
// arrays.go); these helpers parse and build that form.

var arrayTypes = sync.OnceValue(func() (m struct{ elem, array map[types.Oid]types.Oid }) {
	m.elem, m.array = map[types.Oid]types.Oid{}, map[types.Oid]types.Oid{}
	for _, r := range builtinRows["pg_catalog.pg_type"] {
		oid, _ := strconv.ParseUint(r[0], 10, 32)
		elem, _ := strconv.ParseUint(r[13], 10, 32)
		arr, _ := strconv.ParseUint(r[14], 10, 32)
		if elem != 0 && (r[7] == "A" || oid == 22 || oid == 30) {
			m.elem[types.Oid(oid)] = types.Oid(elem)
		}
		if arr != 0 && r[7] != "A" {
			m.array[types.Oid(oid)] = types.Oid(arr)
		}
	}
	return m
})

// ArrayElem returns the element type of the array type oid.
func ArrayElem(oid types.Oid) (types.Oid, bool) {
	e, ok := arrayTypes().elem[oid]
	return e, ok
}

// ArrayOf returns the array type whose elements are of type oid.
func ArrayOf(oid types.Oid) (types.Oid, bool) {
	a, ok := arrayTypes().array[oid]
	return a, ok
}

// ParseArray splits a one-dimensional array's text form ("{a,"b c",NULL}",
// or "1 2" for int2vector/oidvector) into its elements; present[i] is
// false for a NULL element.
func ParseArray(s string) (elems []string, present []bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") {
		for _, f := range strings.Fields(s) {
			elems, present = append(elems, f), append(present, true)
		}
		return elems, present
	}
	body := strings.TrimSuffix(s[1:], "}")
	if strings.TrimSpace(body) == "" {
		return nil, nil
	}
	var cur strings.Builder
	inQ, quoted := false, false
	flush := func() {
		v := cur.String()
		if !quoted {
			v = strings.TrimSpace(v)
		}
		elems = append(elems, v)
		present = append(present, quoted || !strings.EqualFold(v, "NULL"))
		cur.Reset()
		quoted = false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\' && i+1 < len(body):
			i++
			cur.WriteByte(body[i])
		case c == '"':
			inQ, quoted = !inQ, true
		case c == ',' && !inQ:
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return elems, present
}

// FormatArray renders values of type et as an array's text form.
func FormatArray(vals []types.Datum, et types.T) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		if v == nil {
			b.WriteString("NULL")
			continue
		}
		s := types.FormatText(v, et)
		if s == "" || strings.EqualFold(s, "NULL") || strings.ContainsAny(s, "{},\"\\ \t\n") {
			s = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
		}
		b.WriteString(s)
	}
	b.WriteByte('}')
	return b.String()
}

func arrayDim(fn func(n int) types.Datum) func(*System, *Env, []types.Datum) (types.Datum, error) {
	return func(_ *System, _ *Env, a []types.Datum) (types.Datum, error) {
		if len(a) > 1 && i64(a[1]) != 1 {
			return nil, nil
		}
		elems, _ := ParseArray(str(a[0]))
		if len(elems) == 0 {
			return nil, nil
		}
		return fn(len(elems)), nil
	}
}

func init() {
	anyT := types.Unknown
	functions["array_upper"] = &Func{Result: int4T, Hints: []types.T{anyT, int4T}, MinArgs: 2, MaxArgs: 2, Strict: true,
		Fn: arrayDim(func(n int) types.Datum { return int64(n) })}
	functions["array_lower"] = &Func{Result: int4T, Hints: []types.T{anyT, int4T}, MinArgs: 2, MaxArgs: 2, Strict: true,
		Fn: arrayDim(func(int) types.Datum { return int64(1) })}
	functions["array_length"] = &Func{Result: int4T, Hints: []types.T{anyT, int4T}, MinArgs: 2, MaxArgs: 2, Strict: true,
		Fn: arrayDim(func(n int) types.Datum { return int64(n) })}
	functions["cardinality"] = &Func{Result: int4T, Hints: []types.T{anyT}, MinArgs: 1, MaxArgs: 1, Strict: true,
		Fn: func(_ *System, _ *Env, a []types.Datum) (types.Datum, error) {
			elems, _ := ParseArray(str(a[0]))
			return int64(len(elems)), nil
		}}
}
