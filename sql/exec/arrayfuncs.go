package exec

import (
	"strconv"
	"strings"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Array functions (PostgreSQL documentation 9.19 "Array Functions and
// Operators") and the operators || @> <@ &&.

func init() {
	dimFn := func(f func(a *types.Array, d int) Datum) funcDef {
		return funcDef{minArg: 2, maxArg: 2, strict: true, prep: prepArray(1, types.Int4, func(a *types.Array, args []Datum) (Datum, error) {
			d := int(i64(args[1]))
			if d < 1 || d > len(a.Dims) {
				return nil, nil
			}
			return f(a, d-1), nil
		})}
	}
	funcTable["array_length"] = dimFn(func(a *types.Array, d int) Datum { return int64(a.Dims[d]) })
	funcTable["array_lower"] = dimFn(func(a *types.Array, d int) Datum { return int64(a.Lower[d]) })
	funcTable["array_upper"] = dimFn(func(a *types.Array, d int) Datum { return int64(a.Lower[d] + a.Dims[d] - 1) })
	funcTable["array_ndims"] = funcDef{minArg: 1, maxArg: 1, strict: true, prep: prepArray(0, types.Int4, func(a *types.Array, _ []Datum) (Datum, error) {
		if len(a.Dims) == 0 {
			return nil, nil
		}
		return int64(len(a.Dims)), nil
	})}
	funcTable["array_dims"] = funcDef{minArg: 1, maxArg: 1, strict: true, prep: prepArray(0, types.Text, func(a *types.Array, _ []Datum) (Datum, error) {
		if len(a.Dims) == 0 {
			return nil, nil
		}
		var sb strings.Builder
		for i := range a.Dims {
			sb.WriteString("[" + strconv.Itoa(a.Lower[i]) + ":" + strconv.Itoa(a.Lower[i]+a.Dims[i]-1) + "]")
		}
		return sb.String(), nil
	})}
	funcTable["cardinality"] = funcDef{minArg: 1, maxArg: 1, strict: true, prep: prepArray(0, types.Int4, func(a *types.Array, _ []Datum) (Datum, error) {
		return int64(len(a.Elems)), nil
	})}
	funcTable["array_to_string"] = funcDef{minArg: 2, maxArg: 3, prep: prepArray(-1, types.Text, fnArrayToString)}
	funcTable["array_position"] = funcDef{minArg: 2, maxArg: 3, prep: prepArrayElem(elemPosition, fnArrayPosition)}
	funcTable["array_positions"] = funcDef{minArg: 2, maxArg: 2, prep: prepArrayElem(elemPositions, fnArrayPositions)}
	funcTable["array_remove"] = funcDef{minArg: 2, maxArg: 2, prep: prepArrayElem(elemArray, fnArrayRemove)}
	funcTable["array_replace"] = funcDef{minArg: 3, maxArg: 3, prep: prepArrayElem(elemReplace, fnArrayReplace)}
	funcTable["array_append"] = funcDef{minArg: 2, maxArg: 2, prep: prepArrayElem(elemAppend, fnArrayAppend)}
	funcTable["array_prepend"] = funcDef{minArg: 2, maxArg: 2, prep: prepArrayPrepend}
	funcTable["array_cat"] = funcDef{minArg: 2, maxArg: 2, prep: prepArrayCat}
	funcTable["string_to_array"] = funcDef{result: fixed(types.T{Oid: types.OidTextArray, Mod: -1}), hints: textT, minArg: 2, maxArg: 3, fn: fnStringToArray}
}

// errPolyUnknown is PostgreSQL's error for a polymorphic argument given
// only an untyped literal.
func errPolyUnknown() error {
	return pgerror.New(pgerror.DatatypeMismatch, "could not determine polymorphic type because input has type unknown")
}

// prepArray types a function whose first argument is any array; res is
// its result type (-1 in argTextRes: text). The array argument is never
// NULL when strict; otherwise f sees a nil array.
func prepArray(_ int, res types.T, f func(a *types.Array, args []Datum) (Datum, error)) func([]*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	return func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
		if args[0].unknown {
			return args, types.T{}, nil, errPolyUnknown()
		}
		at := args[0].t
		if _, ok := arrayElem(at); !ok {
			return args, types.T{}, nil, errNoVariant
		}
		for i := 1; i < len(args); i++ {
			if res == types.Text {
				args[i] = coerce(args[i], types.Text)
			} else {
				args[i] = coerce(args[i], types.Int4)
			}
		}
		return args, res, func(_ *env, a []Datum) (Datum, error) {
			if a[0] == nil {
				return nil, nil
			}
			arr, err := toArray(a[0], at)
			if err != nil {
				return nil, err
			}
			return f(arr, a)
		}, nil
	}
}

// resolveArrayElem types (anyarray, anyelement...) arguments: the array
// type and its element type, coercing the element arguments.
func resolveArrayElem(args []*cexpr, arrIdx int) (types.T, types.T, error) {
	a := args[arrIdx]
	var at, et types.T
	switch {
	case !a.unknown:
		var ok bool
		if et, ok = arrayElem(a.t); !ok {
			return at, et, errNoVariant
		}
		at = a.t
	default:
		for i, e := range args {
			if i != arrIdx && !e.unknown {
				et = e.t
				break
			}
		}
		if et.Oid == 0 {
			return at, et, errPolyUnknown()
		}
		var ok bool
		if at, ok = arrayOf(et); !ok {
			return at, et, errNoVariant
		}
	}
	for i, e := range args {
		switch {
		case i == arrIdx:
			args[i] = coerce(e, at)
		case e.unknown || e.t.Oid != et.Oid:
			if !e.unknown {
				if _, ok := types.CommonType(e.t, et); !ok {
					return at, et, errNoVariant
				}
			}
			args[i] = coerce(e, et)
		}
	}
	return at, et, nil
}

// elemKind tells prepArrayElem's variants apart.
type elemKind int

const (
	elemArray     elemKind = iota // result: the array type
	elemPosition                  // int4, an optional int4 start
	elemPositions                 // int4[]
	elemReplace                   // a third argument of the element type
	elemAppend                    // a NULL array is the empty array
)

func prepArrayElem(kind elemKind, f func(a *types.Array, args []Datum) (Datum, error)) func([]*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	return func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
		extra := args[2:]
		args = args[:2]
		at, et, err := resolveArrayElem(args, 0)
		if err != nil {
			return args, types.T{}, nil, err
		}
		for _, e := range extra {
			if kind == elemReplace {
				args = append(args, coerce(e, et))
			} else {
				args = append(args, coerce(e, types.Int4))
			}
		}
		res := at
		switch kind {
		case elemPositions:
			res, _ = types.ArrayOf(types.Int4)
		case elemPosition:
			res = types.Int4
		}
		elemT := et
		return args, res, func(_ *env, a []Datum) (Datum, error) {
			var arr *types.Array
			if a[0] == nil {
				if kind != elemAppend {
					return nil, nil
				}
				arr = &types.Array{Elem: types.T{Oid: elemT.Oid, Mod: -1}}
			} else {
				var err error
				if arr, err = toArray(a[0], at); err != nil {
					return nil, err
				}
			}
			return f(arr, a)
		}, nil
	}
}

func oneDim(a *types.Array, what string) error {
	if len(a.Dims) > 1 {
		return pgerror.Newf(pgerror.FeatureNotSupported, "%s multidimensional arrays is not supported", what)
	}
	return nil
}

func notDistinct(x, y Datum) bool {
	if x == nil || y == nil {
		return x == nil && y == nil
	}
	return types.Compare(x, y) == 0
}

func fnArrayPosition(a *types.Array, args []Datum) (Datum, error) {
	if err := oneDim(a, "searching for elements in"); err != nil {
		return nil, err
	}
	start := 0
	if len(args) > 2 {
		if args[2] == nil {
			return nil, pgerror.New(pgerror.NullValueNotAllowed, "initial position must not be null")
		}
		if len(a.Dims) > 0 {
			start = max(int(i64(args[2]))-a.Lower[0], 0)
		}
	}
	for i := start; i < len(a.Elems); i++ {
		if notDistinct(a.Elems[i], args[1]) {
			return int64(i + a.Lower[0]), nil
		}
	}
	return nil, nil
}

func fnArrayPositions(a *types.Array, args []Datum) (Datum, error) {
	if err := oneDim(a, "searching for elements in"); err != nil {
		return nil, err
	}
	var out []Datum
	for i, e := range a.Elems {
		if notDistinct(e, args[1]) {
			out = append(out, int64(i+a.Lower[0]))
		}
	}
	return types.NewArray1(types.Int4, out), nil
}

func fnArrayRemove(a *types.Array, args []Datum) (Datum, error) {
	if err := oneDim(a, "removing elements from"); err != nil {
		return nil, err
	}
	var out []Datum
	for _, e := range a.Elems {
		if !notDistinct(e, args[1]) {
			out = append(out, e)
		}
	}
	if len(out) == len(a.Elems) {
		return a, nil
	}
	r := types.NewArray1(a.Elem, out)
	if len(out) > 0 {
		r.Lower = a.Lower
	}
	return r, nil
}

func fnArrayReplace(a *types.Array, args []Datum) (Datum, error) {
	out := &types.Array{Elem: a.Elem, Dims: a.Dims, Lower: a.Lower, Elems: make([]Datum, len(a.Elems))}
	for i, e := range a.Elems {
		if notDistinct(e, args[1]) {
			e = args[2]
		}
		out.Elems[i] = e
	}
	return out, nil
}

func fnArrayAppend(a *types.Array, args []Datum) (Datum, error) {
	if len(a.Dims) > 1 {
		return nil, pgerror.New(pgerror.DataException, "argument must be empty or one-dimensional array")
	}
	out := types.NewArray1(a.Elem, append(append([]Datum(nil), a.Elems...), args[1]))
	if len(a.Dims) == 1 {
		out.Lower = a.Lower
	}
	return out, nil
}

func prepArrayPrepend(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	at, et, err := resolveArrayElem(args, 1)
	if err != nil {
		return args, types.T{}, nil, err
	}
	return args, at, func(_ *env, a []Datum) (Datum, error) {
		arr := &types.Array{Elem: types.T{Oid: et.Oid, Mod: -1}}
		if a[1] != nil {
			if arr, err = toArray(a[1], at); err != nil {
				return nil, err
			}
		}
		if len(arr.Dims) > 1 {
			return nil, pgerror.New(pgerror.DataException, "argument must be empty or one-dimensional array")
		}
		out := types.NewArray1(arr.Elem, append([]Datum{a[0]}, arr.Elems...))
		if len(arr.Dims) == 1 {
			out.Lower = arr.Lower
		}
		return out, nil
	}, nil
}

func prepArrayCat(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	at, err := arrayPairType(args[0], args[1])
	if err != nil {
		return args, types.T{}, nil, err
	}
	args[0], args[1] = coerce(args[0], at), coerce(args[1], at)
	return args, at, func(_ *env, a []Datum) (Datum, error) { return arrayCat(a[0], a[1], at) }, nil
}

// arrayPairType is the common array type of two array operands (an
// untyped literal takes the other side's type).
func arrayPairType(l, r *cexpr) (types.T, error) {
	switch {
	case l.unknown && r.unknown:
		return types.T{}, errPolyUnknown()
	case l.unknown:
		if !r.t.IsArray() {
			return types.T{}, errNoVariant
		}
		return r.t, nil
	case r.unknown:
		if !l.t.IsArray() {
			return types.T{}, errNoVariant
		}
		return l.t, nil
	}
	if !l.t.IsArray() || !r.t.IsArray() {
		return types.T{}, errNoVariant
	}
	t, ok := types.CommonType(l.t, r.t)
	if !ok {
		return types.T{}, errNoVariant
	}
	return t, nil
}

// arrayCat is array_cat / anyarray || anyarray.
func arrayCat(x, y Datum, at types.T) (Datum, error) {
	if x == nil {
		return y, nil
	}
	if y == nil {
		return x, nil
	}
	a, err := toArray(x, at)
	if err != nil {
		return nil, err
	}
	b, err := toArray(y, at)
	if err != nil {
		return nil, err
	}
	switch {
	case len(a.Dims) == 0:
		return b, nil
	case len(b.Dims) == 0:
		return a, nil
	}
	elems := append(append([]Datum(nil), a.Elems...), b.Elems...)
	out := &types.Array{Elem: a.Elem, Elems: elems}
	incompatible := func(detail string) error {
		return pgerror.New(pgerror.ArraySubscriptError, "cannot concatenate incompatible arrays").WithDetail("%s", detail)
	}
	switch {
	case len(a.Dims) == len(b.Dims):
		for i := 1; i < len(a.Dims); i++ {
			if a.Dims[i] != b.Dims[i] || a.Lower[i] != b.Lower[i] {
				return nil, incompatible("Arrays with differing element dimensions are not compatible for concatenation.")
			}
		}
		out.Dims = append([]int{a.Dims[0] + b.Dims[0]}, a.Dims[1:]...)
		out.Lower = append([]int(nil), a.Lower...)
	case len(a.Dims) == len(b.Dims)+1:
		for i := range b.Dims {
			if a.Dims[i+1] != b.Dims[i] {
				return nil, incompatible("Arrays with differing dimensions are not compatible for concatenation.")
			}
		}
		out.Dims = append([]int{a.Dims[0] + 1}, a.Dims[1:]...)
		out.Lower = append([]int(nil), a.Lower...)
	case len(a.Dims)+1 == len(b.Dims):
		for i := range a.Dims {
			if b.Dims[i+1] != a.Dims[i] {
				return nil, incompatible("Arrays with differing dimensions are not compatible for concatenation.")
			}
		}
		out.Dims = append([]int{b.Dims[0] + 1}, b.Dims[1:]...)
		out.Lower = append([]int{b.Lower[0] - 1}, b.Lower[1:]...)
		out.Lower[0] = b.Lower[0]
	default:
		return nil, incompatible("Arrays of " + strconv.Itoa(len(a.Dims)) + " and " + strconv.Itoa(len(b.Dims)) + " dimensions are not compatible for concatenation.")
	}
	return out, nil
}

func fnArrayToString(a *types.Array, args []Datum) (Datum, error) {
	if args[1] == nil {
		return nil, nil
	}
	sep := str(args[1])
	var null Datum
	if len(args) > 2 {
		null = args[2]
	}
	var sb strings.Builder
	first := true
	for _, e := range a.Elems {
		var s string
		if e == nil {
			if null == nil {
				continue
			}
			s = str(null)
		} else {
			s = textOf(e, a.Elem)
			if a.Elem.Oid == types.OidBool {
				s = types.FormatText(e, types.Bool)
			}
		}
		if !first {
			sb.WriteString(sep)
		}
		first = false
		sb.WriteString(s)
	}
	return sb.String(), nil
}

func fnStringToArray(_ *env, a []Datum) (Datum, error) {
	if a[0] == nil {
		return nil, nil
	}
	s := str(a[0])
	var null Datum
	if len(a) > 2 {
		null = a[2]
	}
	var parts []string
	switch {
	case s == "":
		parts = nil
	case a[1] == nil:
		for _, r := range s {
			parts = append(parts, string(r))
		}
	case str(a[1]) == "":
		parts = []string{s}
	default:
		parts = strings.Split(s, str(a[1]))
	}
	out := make([]Datum, len(parts))
	for i, p := range parts {
		if null != nil && p == str(null) {
			continue
		}
		out[i] = p
	}
	return types.NewArray1(types.Text, out), nil
}

// arrayBinaryOp is anyarray || anyarray, anyarray || anyelement,
// anyelement || anyarray, @>, <@ and &&; ok is false when neither operand
// is an array.
func arrayBinaryOp(op string, l, r *cexpr) (*cexpr, bool, error) {
	la, ra := !l.unknown && l.t.IsArray(), !r.unknown && r.t.IsArray()
	if !la && !ra {
		if (op == "@>" || op == "<@" || op == "&&") && l.unknown && r.unknown {
			return nil, true, pgerror.Newf(pgerror.AmbiguousFunction, "operator is not unique: unknown %s unknown", op).
				WithHint("Could not choose a best candidate operator. You might need to add explicit type casts.")
		}
		return nil, false, nil
	}
	switch op {
	case "||":
		switch {
		case la && (ra || r.unknown) || ra && l.unknown:
			at, err := arrayPairType(l, r)
			if err != nil {
				return nil, true, opError(op, l, r)
			}
			lc, rc := coerce(l, at), coerce(r, at)
			e := &cexpr{t: at, s: l.s + " || " + r.s, colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
				x, err := lc.fn(en, row)
				if err != nil {
					return nil, err
				}
				y, err := rc.fn(en, row)
				if err != nil {
					return nil, err
				}
				return arrayCat(x, y, at)
			}}
			e, err = foldConst(e, lc, rc)
			return e, true, err
		case la:
			args := []*cexpr{l, r}
			at, _, err := resolveArrayElem(args, 0)
			if err != nil {
				return nil, true, opError(op, l, r)
			}
			e := &cexpr{t: at, s: l.s + " || " + r.s, colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
				x, err := args[0].fn(en, row)
				if err != nil {
					return nil, err
				}
				y, err := args[1].fn(en, row)
				if err != nil {
					return nil, err
				}
				arr := &types.Array{Elem: types.T{Oid: at.Oid, Mod: -1}}
				arr.Elem, _ = arrayElem(at)
				if x != nil {
					if arr, err = toArray(x, at); err != nil {
						return nil, err
					}
				}
				return fnArrayAppend(arr, []Datum{x, y})
			}}
			e, err = foldConst(e, args...)
			return e, true, err
		default:
			args := []*cexpr{l, r}
			pargs, at, fn, err := prepArrayPrepend(args)
			if err != nil {
				return nil, true, opError(op, l, r)
			}
			e := &cexpr{t: at, s: l.s + " || " + r.s, colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
				x, err := pargs[0].fn(en, row)
				if err != nil {
					return nil, err
				}
				y, err := pargs[1].fn(en, row)
				if err != nil {
					return nil, err
				}
				return fn(en, []Datum{x, y})
			}}
			e, err = foldConst(e, pargs...)
			return e, true, err
		}
	case "@>", "<@", "&&":
		at, err := arrayPairType(l, r)
		if err != nil {
			return nil, true, opError(op, l, r)
		}
		lc, rc := coerce(l, at), coerce(r, at)
		e, err := binExpr(types.Bool, l.s+" "+op+" "+r.s, lc, rc, func(x, y Datum) (Datum, error) {
			a, err := toArray(x, at)
			if err != nil {
				return nil, err
			}
			b, err := toArray(y, at)
			if err != nil {
				return nil, err
			}
			switch op {
			case "@>":
				return arrayContains(a, b), nil
			case "<@":
				return arrayContains(b, a), nil
			}
			return arrayOverlaps(a, b), nil
		})
		return e, true, err
	}
	return nil, false, nil
}

// arrayContains is a @> b: every element of b equals some element of a
// (a NULL never matches).
func arrayContains(a, b *types.Array) bool {
	for _, y := range b.Elems {
		if y == nil {
			return false
		}
		found := false
		for _, x := range a.Elems {
			if x != nil && types.Compare(x, y) == 0 {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func arrayOverlaps(a, b *types.Array) bool {
	for _, y := range b.Elems {
		if y == nil {
			continue
		}
		for _, x := range a.Elems {
			if x != nil && types.Compare(x, y) == 0 {
				return true
			}
		}
	}
	return false
}
