package exec

import (
	"crypto/md5"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"

	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// scalarFn evaluates a function on non-NULL (strict) or raw arguments.
type scalarFn func(en *env, args []Datum) (Datum, error)

type funcDef struct {
	result func(args []*cexpr) types.T
	hints  []types.T // per-argument hint (repeats the last)
	strict bool      // NULL in -> NULL out
	fn     scalarFn
	minArg int
	maxArg int // -1 = variadic
	// prep, when set, types a call itself (polymorphic functions): it may
	// coerce the arguments and returns the result type and the function.
	prep    func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error)
	anyArgs bool // arguments of any type (concat, format): no type check
}

func fixed(t types.T) func([]*cexpr) types.T { return func([]*cexpr) types.T { return t } }

func argType(i int) func([]*cexpr) types.T {
	return func(a []*cexpr) types.T {
		if a[i].unknown {
			return types.Text
		}
		return a[i].t
	}
}

var ctx1000 = apd.BaseContext.WithPrecision(1000)

func init() { ctx1000.Rounding = apd.RoundHalfUp }

// toFloat and i64 are the numeric conversions of package types, under the
// short names the function table uses.
func toFloat(d Datum) float64 { return types.Float64Of(d) }

func str(d Datum) string { s, _ := d.(string); return s }

func i64(d Datum) int64 { return types.Int64Of(d) }

var textT = []types.T{types.Text}

var funcTable = map[string]funcDef{
	"lower":            {result: fixed(types.Text), hints: textT, strict: true, minArg: 1, maxArg: 1, fn: caseFn(unicode.ToLower, strings.ToLower)},
	"upper":            {result: fixed(types.Text), hints: textT, strict: true, minArg: 1, maxArg: 1, fn: caseFn(unicode.ToUpper, strings.ToUpper)},
	"initcap":          {result: fixed(types.Text), hints: textT, strict: true, minArg: 1, maxArg: 1, fn: caseFn(unicode.ToTitle, initcap)},
	"length":           {result: fixed(types.Int4), hints: textT, strict: true, minArg: 1, maxArg: 1, fn: fnLength},
	"char_length":      {result: fixed(types.Int4), hints: textT, strict: true, minArg: 1, maxArg: 1, fn: fnLength},
	"character_length": {result: fixed(types.Int4), hints: textT, strict: true, minArg: 1, maxArg: 1, fn: fnLength},
	"octet_length": {result: fixed(types.Int4), hints: textT, strict: true, minArg: 1, maxArg: 1,
		fn: func(_ *env, a []Datum) (Datum, error) { return int64(len(str(a[0]))), nil }},
	"substring": {result: fixed(types.Text), hints: []types.T{types.Text, types.Int4}, strict: true, minArg: 2, maxArg: 3, fn: fnSubstr},
	"substr":    {result: fixed(types.Text), hints: []types.T{types.Text, types.Int4}, strict: true, minArg: 2, maxArg: 3, fn: fnSubstr},
	"btrim":     {result: fixed(types.Text), hints: textT, strict: true, minArg: 1, maxArg: 2, fn: trimFn(true, true)},
	"ltrim":     {result: fixed(types.Text), hints: textT, strict: true, minArg: 1, maxArg: 2, fn: trimFn(true, false)},
	"rtrim":     {result: fixed(types.Text), hints: textT, strict: true, minArg: 1, maxArg: 2, fn: trimFn(false, true)},
	"replace": {result: fixed(types.Text), hints: textT, strict: true, minArg: 3, maxArg: 3,
		fn: fnReplace},
	"position": {result: fixed(types.Int4), hints: textT, strict: true, minArg: 2, maxArg: 2, fn: fnStrpos},
	"strpos":   {result: fixed(types.Int4), hints: textT, strict: true, minArg: 2, maxArg: 2, fn: fnStrpos},
	"left":     {result: fixed(types.Text), hints: []types.T{types.Text, types.Int4}, strict: true, minArg: 2, maxArg: 2, fn: fnLeft},
	"right":    {result: fixed(types.Text), hints: []types.T{types.Text, types.Int4}, strict: true, minArg: 2, maxArg: 2, fn: fnRight},
	"repeat": {result: fixed(types.Text), hints: []types.T{types.Text, types.Int4}, strict: true, minArg: 2, maxArg: 2,
		fn: fnRepeat},
	"md5": {result: fixed(types.Text), hints: textT, strict: true, minArg: 1, maxArg: 1,
		fn: func(_ *env, a []Datum) (Datum, error) {
			b, ok := a[0].([]byte)
			if !ok {
				b = []byte(str(a[0]))
			}
			h := md5.Sum(b)
			return hex.EncodeToString(h[:]), nil
		}},
	"concat":    {result: fixed(types.Text), hints: textT, minArg: 1, maxArg: -1, fn: nil, anyArgs: true},
	"concat_ws": {result: fixed(types.Text), hints: textT, minArg: 2, maxArg: -1, fn: nil, anyArgs: true},
	"abs":       {result: argType(0), strict: true, minArg: 1, maxArg: 1, fn: nil},
	"round":     {result: roundType, hints: []types.T{types.Numeric, types.Int4}, strict: true, minArg: 1, maxArg: 2, fn: nil},
	"trunc":     {result: roundType, hints: []types.T{types.Numeric, types.Int4}, strict: true, minArg: 1, maxArg: 2, fn: nil},
	"ceil":      {result: floorType, strict: true, minArg: 1, maxArg: 1, fn: nil},
	"ceiling":   {result: floorType, strict: true, minArg: 1, maxArg: 1, fn: nil},
	"floor":     {result: floorType, strict: true, minArg: 1, maxArg: 1, fn: nil},
	"mod":       {result: nil, strict: true, minArg: 2, maxArg: 2, fn: nil},
	"power": {result: fixed(types.Float8), hints: []types.T{types.Float8}, strict: true, minArg: 2, maxArg: 2,
		fn: func(_ *env, a []Datum) (Datum, error) {
			x, y := toFloat(a[0]), toFloat(a[1])
			if x == 0 && y < 0 {
				return nil, pgerror.New(pgerror.InvalidArgumentForPower, "zero raised to a negative power is undefined")
			}
			return math.Pow(x, y), nil
		}},
	"sqrt": {result: fixed(types.Float8), hints: []types.T{types.Float8}, strict: true, minArg: 1, maxArg: 1,
		fn: func(_ *env, a []Datum) (Datum, error) {
			x := toFloat(a[0])
			if x < 0 {
				return nil, pgerror.New(pgerror.InvalidArgumentForPower, "cannot take square root of a negative number")
			}
			return math.Sqrt(x), nil
		}},
	"random": {result: fixed(types.Float8), minArg: 0, maxArg: 0,
		fn: func(*env, []Datum) (Datum, error) { return rand.Float64(), nil }},
	"pg_backend_pid": {result: fixed(types.Int4), minArg: 0, maxArg: 0,
		fn: func(en *env, _ []Datum) (Datum, error) {
			if en.vars != nil {
				if v, ok := en.vars.Get("backend_pid"); ok {
					if d, err := types.ParseText(types.Int4, v); err == nil {
						return d, nil
					}
				}
			}
			return int64(os.Getpid()), nil
		}},
	"current_database": {result: fixed(types.Name), minArg: 0, maxArg: 0,
		fn: func(en *env, _ []Datum) (Datum, error) { return varExpr("", "database", "heliosdb").fn(en, nil) }},
	"current_schema": {result: fixed(types.Name), minArg: 0, maxArg: 0,
		fn: func(en *env, _ []Datum) (Datum, error) {
			if en == nil {
				return nil, errNoFold
			}
			return currentSchema(en)
		}},
	"current_user": {result: fixed(types.Name), minArg: 0, maxArg: 0,
		fn: func(en *env, _ []Datum) (Datum, error) {
			return varExpr("", "session_authorization", "helios").fn(en, nil)
		}},
	"current_setting": {result: fixed(types.Text), hints: textT, minArg: 1, maxArg: 2,
		fn: func(en *env, a []Datum) (Datum, error) {
			name := str(a[0])
			if en.vars != nil {
				if v, ok := en.vars.Get(name); ok {
					return v, nil
				}
			}
			if len(a) > 1 && a[1] == true {
				return nil, nil
			}
			return nil, pgerror.Newf(pgerror.UndefinedObject, "unrecognized configuration parameter %q", name)
		}},
	"now":                   {result: fixed(types.Timestamptz), minArg: 0, maxArg: 0, fn: fnNow},
	"transaction_timestamp": {result: fixed(types.Timestamptz), minArg: 0, maxArg: 0, fn: fnNow},
	"statement_timestamp":   {result: fixed(types.Timestamptz), minArg: 0, maxArg: 0, fn: fnNow},
	"clock_timestamp": {result: fixed(types.Timestamptz), minArg: 0, maxArg: 0,
		fn: func(en *env, _ []Datum) (Datum, error) { return en.txn.eng.now().UTC(), nil }},
	"nextval": {result: fixed(types.Int8), hints: textT, strict: true, minArg: 1, maxArg: 1,
		fn: func(en *env, a []Datum) (Datum, error) { return en.txn.nextval(en.ctx, str(a[0])) }},
	"currval": {result: fixed(types.Int8), hints: textT, strict: true, minArg: 1, maxArg: 1,
		fn: func(en *env, a []Datum) (Datum, error) { return en.txn.currval(str(a[0])) }},
	"setval": {result: fixed(types.Int8), hints: []types.T{types.Text, types.Int8, types.Bool}, strict: true, minArg: 2, maxArg: 3,
		fn: func(en *env, a []Datum) (Datum, error) {
			called := len(a) < 3 || a[2] == true
			return en.txn.setval(en.ctx, str(a[0]), i64(a[1]), called)
		}},
	"lastval": {result: fixed(types.Int8), maxArg: 0,
		fn: func(en *env, a []Datum) (Datum, error) { return en.txn.lastval() }},
}

func fnNow(en *env, _ []Datum) (Datum, error) { return en.txn.start.UTC(), nil }

func fnRepeat(en *env, a []Datum) (Datum, error) {
	s := str(a[0])
	n, err := repeatLen(int64(len(s)), i64(a[1]))
	if err != nil || n == 0 {
		return "", err
	}
	if err := en.allowValue(n); err != nil {
		return nil, err
	}
	return strings.Repeat(s, int(n)/len(s)), nil
}

// fnReplace is PostgreSQL's replace(): an empty search string changes
// nothing.
func fnReplace(en *env, a []Datum) (Datum, error) {
	s, from, to := str(a[0]), str(a[1]), str(a[2])
	if s == "" || from == "" {
		return s, nil
	}
	n, err := replaceLen(s, from, to)
	if err != nil {
		return nil, err
	}
	if n > int64(len(s)) {
		if err := en.allowValue(n); err != nil {
			return nil, err
		}
	}
	return strings.ReplaceAll(s, from, to), nil
}

// caseFn maps a string's letters, checking the result's size first.
func caseFn(f func(rune) rune, apply func(string) string) scalarFn {
	return func(en *env, a []Datum) (Datum, error) {
		s := str(a[0])
		n := mappedLen(s, f)
		if n+4 > memacct.MaxAllocSize {
			return nil, errAllocRequest(n + 4)
		}
		if err := en.allowValue(n); err != nil {
			return nil, err
		}
		return apply(s), nil
	}
}

func roundType(a []*cexpr) types.T {
	if a[0].t.Family() == types.FamFloat && len(a) == 1 {
		return types.Float8
	}
	if a[0].t.Family() == types.FamInt && len(a) == 1 {
		return types.Float8
	}
	return types.Numeric
}

func floorType(a []*cexpr) types.T {
	if a[0].t.Family() == types.FamNumeric {
		return types.Numeric
	}
	return types.Float8
}

func fnLength(_ *env, a []Datum) (Datum, error) {
	if b, ok := a[0].([]byte); ok {
		return int64(len(b)), nil
	}
	return int64(utf8.RuneCountInString(str(a[0]))), nil
}

// runeOffset returns the byte offset of the n-th rune (0-based) of s,
// len(s) when s has fewer runes. It walks s instead of converting it to
// runes (which would take four times its size).
func runeOffset(s string, n int64) int {
	if n <= 0 {
		return 0
	}
	i := 0
	for i < len(s) && n > 0 {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
		n--
	}
	return i
}

func fnSubstr(_ *env, a []Datum) (Datum, error) {
	s := str(a[0])
	start := i64(a[1])
	if len(a) == 3 {
		n := i64(a[2])
		if n < 0 {
			return nil, pgerror.New(pgerror.SubstringError, "negative substring length not allowed")
		}
		end := start + n
		if start < 1 {
			start = 1
		}
		if end <= start {
			return "", nil
		}
		from := runeOffset(s, start-1)
		return s[from : from+runeOffset(s[from:], end-start)], nil
	}
	if start < 1 {
		start = 1
	}
	return s[runeOffset(s, start-1):], nil
}

func trimFn(left, right bool) scalarFn {
	return func(_ *env, a []Datum) (Datum, error) {
		cut := " "
		if len(a) > 1 {
			cut = str(a[1])
		}
		s := str(a[0])
		if left {
			s = strings.TrimLeft(s, cut)
		}
		if right {
			s = strings.TrimRight(s, cut)
		}
		return s, nil
	}
}

func fnStrpos(_ *env, a []Datum) (Datum, error) {
	s, sub := str(a[0]), str(a[1])
	i := strings.Index(s, sub)
	if i < 0 {
		return int64(0), nil
	}
	return int64(utf8.RuneCountInString(s[:i]) + 1), nil
}

func fnLeft(_ *env, a []Datum) (Datum, error) {
	s := str(a[0])
	n := i64(a[1])
	if n < 0 {
		n = max(int64(utf8.RuneCountInString(s))+n, 0)
	}
	return s[:runeOffset(s, n)], nil
}

func fnRight(_ *env, a []Datum) (Datum, error) {
	s := str(a[0])
	total := int64(utf8.RuneCountInString(s))
	n := i64(a[1])
	if n < 0 {
		n = max(total+n, 0)
	}
	n = min(n, total)
	return s[runeOffset(s, total-n):], nil
}

// compileCall compiles a bound call of a function of funcTable: the
// arguments as the plan converted them (call.Sig set: the candidate
// PostgreSQL's resolution picks), or as bound with the table's hints, a
// char(n) value losing its trailing blanks where text is expected.
func (b *builder) compileCall(call *planner.FuncCall, def funcDef) (*cexpr, error) {
	name := call.Name
	if strings.HasPrefix(name, "nextval") || name == "setval" {
		b.readOnly = false
		if b.seqWrite == "" {
			b.seqWrite = "setval()"
			if name != "setval" {
				b.seqWrite = "nextval()"
			}
		}
	}
	args := make([]*cexpr, len(call.Args))
	for i, a := range call.Args {
		e, err := b.compileBound(a)
		if err != nil {
			return nil, err
		}
		if h := def.hint(i); call.Sig == nil && e.t.Oid == types.OidBpchar && h.Family() == types.FamString && !keepsBlanks(name, i) {
			e = coerce(e, types.Text) // char(n) → text drops trailing blanks
		}
		args[i] = e
	}
	e, err := b.buildCall(name, def, args)
	if err == nil && call.Sig != nil && e.t.Oid != call.Sig.Result.Oid {
		return nil, pgerror.Newf(pgerror.InternalError, "%s: the plan chose a result of type %s, the function computes %s", name, call.Sig.Result, e.t)
	}
	return e, err
}

// hint is the type argument i is bound with (types.Unknown: none).
func (d funcDef) hint(i int) types.T {
	if len(d.hints) == 0 {
		return types.Unknown
	}
	return d.hints[min(i, len(d.hints)-1)]
}

// keepsBlanks reports whether argument i of function name sees a char(n)
// value with its trailing blanks: octet_length has a bpchar variant
// (bpcharoctetlen counts them), and concat, concat_ws and format take
// "any" arguments, which they render with char(n)'s output function.
func keepsBlanks(name string, i int) bool {
	switch name {
	case "octet_length", "concat":
		return true
	case "concat_ws", "format":
		return i > 0
	}
	return false
}

func (b *builder) buildCall(name string, def funcDef, args []*cexpr) (*cexpr, error) {
	fn := def.fn
	var t types.T
	switch name {
	case "concat", "concat_ws":
		fn = concatFn(name == "concat_ws", args)
	case "abs":
		af := absFnT(args[0].t)
		fn = func(_ *env, a []Datum) (Datum, error) { return af(a[0]) }
	case "round", "trunc":
		fn = roundFn(name == "trunc", roundType(args))
	case "ceil", "ceiling", "floor":
		fn = floorFn(name != "floor", floorType(args))
	case "mod":
		ct, ok := commonType(args[0], args[1])
		if !ok || !planner.IsNumeric(ct) {
			return nil, pgerror.Newf(pgerror.UndefinedFunction, "function mod(%s, %s) does not exist", args[0].t, args[1].t)
		}
		args[0], args[1] = coerce(args[0], ct), coerce(args[1], ct)
		t = ct
		fn = func(_ *env, a []Datum) (Datum, error) { return types.Mod(a[0], a[1], ct) }
	}
	if err := checkArgTypes(name, def, args); err != nil {
		return nil, err
	}
	if def.result != nil {
		t = def.result(args)
	}
	if def.prep != nil {
		var err error
		if args, t, fn, err = def.prep(args); err != nil {
			if err == errNoVariant {
				return nil, argErr(name, args)
			}
			return nil, err
		}
	}
	if name == "round" || name == "trunc" {
		if t == types.Numeric {
			args[0] = coerce(args[0], types.Numeric)
		}
	}
	if def.prep == nil && (name == "power" || name == "sqrt") || (name == "ceil" || name == "ceiling" || name == "floor") && t == types.Float8 {
		for i := range args {
			args[i] = coerce(args[i], types.Float8)
		}
	}
	strict := def.strict
	e := &cexpr{t: t, s: name + "(...)", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		vals := make([]Datum, len(args))
		for i, a := range args {
			v, err := a.fn(en, row)
			if err != nil {
				return nil, err
			}
			if v == nil && strict {
				return nil, nil
			}
			vals[i] = v
		}
		return fn(en, vals)
	}}
	if noFold[name] || len(args) == 0 {
		e.foldErr = firstFoldErr(args) // its arguments are simplified all the same
		return e, nil
	}
	return foldConst(e, args...)
}

// concatLen is the length of concat/concat_ws's result, checked the way
// PostgreSQL's string buffer checks each append.
func concatLen(ws bool, args []*cexpr, a []Datum) (int64, error) {
	var b strBuf
	start, sep := 0, int64(0)
	if ws {
		start, sep = 1, int64(len(str(a[0])))
	}
	first := true
	for i := start; i < len(a); i++ {
		if a[i] == nil {
			continue
		}
		if !first {
			if err := b.add(sep); err != nil {
				return 0, err
			}
		}
		first = false
		if err := b.add(textLen(a[i], args[i].t)); err != nil {
			return 0, err
		}
	}
	return b.n, b.done()
}

func concatFn(ws bool, args []*cexpr) scalarFn {
	return func(en *env, a []Datum) (Datum, error) {
		if ws && a[0] == nil {
			return nil, nil
		}
		n, err := concatLen(ws, args, a)
		if err != nil {
			return nil, err
		}
		if err := en.allowValue(n); err != nil {
			return nil, err
		}
		var sb strings.Builder
		sb.Grow(int(n))
		start := 0
		sep := ""
		if ws {
			if a[0] == nil {
				return nil, nil
			}
			sep, start = str(a[0]), 1
		}
		first := true
		for i := start; i < len(a); i++ {
			if a[i] == nil {
				continue
			}
			if !first {
				sb.WriteString(sep)
			}
			first = false
			sb.WriteString(textOf(a[i], args[i].t))
		}
		return sb.String(), nil
	}
}

func absFn(_ *env, a []Datum) (Datum, error) {
	switch v := a[0].(type) {
	case int64:
		if v == math.MinInt64 {
			return nil, pgerror.New(pgerror.NumericValueOutOfRange, "bigint out of range")
		}
		if v < 0 {
			return -v, nil
		}
		return v, nil
	case float64:
		return math.Abs(v), nil
	case *apd.Decimal:
		return new(apd.Decimal).Abs(v), nil
	}
	return nil, pgerror.New(pgerror.UndefinedFunction, "function abs does not exist for this type")
}

func roundFn(trunc bool, t types.T) scalarFn {
	return func(_ *env, a []Datum) (Datum, error) {
		if t == types.Float8 {
			f := toFloat(a[0])
			if trunc {
				return math.Trunc(f), nil
			}
			return math.RoundToEven(f), nil
		}
		d, ok := a[0].(*apd.Decimal)
		if !ok {
			return nil, pgerror.New(pgerror.InternalError, "round: not numeric")
		}
		scale := int32(0)
		if len(a) > 1 {
			scale = int32(i64(a[1]))
		}
		c := ctx1000
		if trunc {
			c.Rounding = apd.RoundDown
		}
		out := new(apd.Decimal)
		if _, err := c.Quantize(out, d, -scale); err != nil {
			return nil, pgerror.New(pgerror.NumericValueOutOfRange, "value out of range")
		}
		if scale < 0 {
			_, _ = c.Quantize(out, out, 0)
		}
		return out, nil
	}
}

func floorFn(ceil bool, t types.T) scalarFn {
	return func(_ *env, a []Datum) (Datum, error) {
		if t == types.Float8 {
			if ceil {
				return math.Ceil(toFloat(a[0])), nil
			}
			return math.Floor(toFloat(a[0])), nil
		}
		d := a[0].(*apd.Decimal)
		out := new(apd.Decimal)
		var err error
		if ceil {
			_, err = ctx1000.Ceil(out, d)
		} else {
			_, err = ctx1000.Floor(out, d)
		}
		return out, err
	}
}

// compileVariadic compiles a bound COALESCE, GREATEST or LEAST.
func compileVariadic(v *planner.Variadic) (*cexpr, error) {
	name := v.Name
	args := make([]*cexpr, len(v.Args))
	for i, a := range v.Args {
		args[i] = a.(*cexpr)
	}
	if name == "coalesce" {
		if err := coalesceFoldErr(args); err != nil {
			return nil, err
		}
	}
	if err := v.Resolve(); err != nil {
		return nil, err
	}
	t := v.T
	for i, a := range v.Args {
		var err error
		if args[i], err = compileImplicit(a); err != nil {
			return nil, err
		}
	}
	if name == "coalesce" {
		if r := coalesceConstResult(args); r != nil {
			return r, nil
		}
		return &cexpr{t: t, s: "COALESCE(...)", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
			for _, a := range args {
				v, err := a.fn(en, row)
				if err != nil || v != nil {
					return v, err
				}
			}
			return nil, nil
		}}, nil
	}
	want := 1
	if name == "least" {
		want = -1
	}
	return &cexpr{t: t, s: strings.ToUpper(name) + "(...)", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		var best Datum
		for _, a := range args {
			v, err := a.fn(en, row)
			if err != nil {
				return nil, err
			}
			if v != nil && (best == nil || compareAs(t, v, best)*want > 0) {
				best = v
			}
		}
		return best, nil
	}}, nil
}

// compileExternal compiles a call of a function of the engine's
// configuration (Config.Functions), its arguments bound without hints.
func (b *builder) compileExternal(call *planner.FuncCall, f Function) (*cexpr, error) {
	name := call.Name
	args := make([]*cexpr, len(call.Args))
	for i, a := range call.Args {
		e, err := b.compileBound(a)
		if err != nil {
			return nil, err
		}
		args[i] = e
	}
	return &cexpr{t: f.Result, s: name + "()", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		vals := make([]Datum, len(args))
		for i, a := range args {
			v, err := a.fn(en, row)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
		return f.Fn(en.ctx, vals)
	}}, nil
}

// noFold lists functions that must run at execution time: volatile ones and
// those that read session state (constant folding has no session).
var noFold = map[string]bool{
	"nextval": true, "setval": true, "currval": true, "lastval": true, "random": true, "now": true,
	"current_setting": true, "set_config": true, "pg_backend_pid": true,
	"current_database": true, "current_user": true, "session_user": true,
}

// checkArgTypes rejects an argument whose type the function has no
// variant for (42883, as PostgreSQL's function resolution): a number or
// date where text is expected, text where a number is. Functions typing
// their arguments themselves (prep) or taking any type are skipped.
func checkArgTypes(name string, def funcDef, args []*cexpr) error {
	if def.prep != nil || def.anyArgs || len(def.hints) == 0 || noFold[name] {
		return nil
	}
	for i, a := range args {
		if a.unknown {
			continue
		}
		h := def.hints[min(i, len(def.hints)-1)]
		switch h.Family() {
		case types.FamString:
			if a.t.Family() != types.FamString && !(a.t.Family() == types.FamBytes && bytesOK[name]) {
				return argErr(name, args)
			}
		case types.FamInt, types.FamFloat, types.FamNumeric:
			if !planner.IsNumeric(a.t) {
				return argErr(name, args)
			}
		}
	}
	return nil
}

// bytesOK: text-hinted functions that also take bytea.
var bytesOK = map[string]bool{"length": true, "octet_length": true, "md5": true}
