package plan

import (
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Operators: the binder's second family. Operator resolution is
// PostgreSQL's (parse_oper.c) as this engine's operator tables have it: an
// exact match, else the implicit casts that make a candidate match, an
// untyped literal taking the type the candidate gives it, and the
// preferred type of a category (float8 for numbers, text for strings)
// where several candidates remain. ResolveBinaryOp and ResolvePrefixOp are
// the pure decisions (operand types in, the chosen operator, the casts of
// its inputs and its result type out); BindOperator binds an operator
// expression of the parse tree to an OpExpr. exec compiles an OpExpr: it carries
// out the reads and casts the resolution names and evaluates the chosen
// operator.

// Operand is what operator resolution needs to know of an argument.
type Operand struct {
	T types.T
	// Unknown: an untyped literal or parameter (PostgreSQL's unknown); T
	// is text, or unknown for a NULL.
	Unknown bool
	// Literal: a constant.
	Literal bool
}

// Operander is implemented by a bound expression of another package (exec
// binds the families that have not moved here yet and hands them back
// through OperandBinder).
type Operander interface {
	Operand() Operand
}

// OperandOf is what operator resolution sees of e.
func OperandOf(e Expr) Operand {
	switch v := e.(type) {
	case *Const:
		return Operand{T: v.T, Unknown: v.Unknown, Literal: true}
	case *Param:
		return Operand{T: v.T, Unknown: v.Unknown}
	case Operander:
		return v.Operand()
	}
	return Operand{T: e.Type()}
}

// OpClass is the implementation a resolved operator runs.
type OpClass uint8

const (
	// OpJSON: a json/jsonb operator (-> ->> #> #>> #- ? ?| ?& @> <@ || -
	// with a json left side). Polymorphic: exec's json table resolves it
	// (it moves with the function family); Result is unknown here.
	OpJSON OpClass = iota + 1
	// OpArray: an array operator (|| @> <@ &&). Polymorphic like OpJSON.
	OpArray
	OpCompare    // = <> != < <= > >= in Calc
	OpArith      // + - * / % in Calc
	OpDateTime   // + - * / of date, timestamp[tz] and interval in Calc
	OpTimeOfDay  // time ± interval (Result time), time - time (interval), date + time (timestamp)
	OpPow        // ^ in Calc (numeric or float8)
	OpBit        // & | # << >> on the integer type Calc
	OpRegex      // ~ ~* !~ !~*
	OpStartsWith // ^@
	OpConcat     // || of non-array, non-json values: text
	OpLike       // ~~ !~~ ~~* !~~* (LIKE, ILIKE)
	OpNeg        // prefix -
	OpPlus       // prefix +
	OpBitNot     // prefix ~
	OpSqrt       // prefix |/
	OpAbs        // prefix @
)

var opClassNames = [...]string{OpJSON: "json", OpArray: "array", OpCompare: "compare", OpArith: "arith",
	OpDateTime: "datetime", OpTimeOfDay: "timeofday", OpPow: "pow", OpBit: "bit", OpRegex: "regex",
	OpStartsWith: "startswith", OpConcat: "concat", OpLike: "like", OpNeg: "neg", OpPlus: "plus",
	OpBitNot: "bitnot", OpSqrt: "sqrt", OpAbs: "abs"}

func (c OpClass) String() string {
	if int(c) < len(opClassNames) && opClassNames[c] != "" {
		return opClassNames[c]
	}
	return "unresolved"
}

// Read is the reading of an untyped literal or parameter as T (a quoted
// literal is read by T's input function while the statement is built).
type Read struct {
	From int // the operand: 0 left (or the prefix operator's), 1 right
	T    types.T
}

// Arg is one input of a resolved operator: operand From (after the
// reads) implicitly cast to each of Casts in turn.
type Arg struct {
	From  int
	Casts []types.T
}

// ResolvedOp is an operator chosen for its operands' types.
type ResolvedOp struct {
	Name  string
	Class OpClass
	// Reads are done first, in order, on the operands as written.
	Reads []Read
	// Args are the implementation's inputs in its order (date + integer
	// runs as date + integer for integer + date).
	Args   []Arg
	Calc   types.T // the type the implementation computes in
	Result types.T
}

// Operands are the operator's operands after its reads, as bound trees:
// an untyped operand the resolution types is a Cast (Read) of it.
func (r *ResolvedOp) Operands(operands []Expr) []Expr {
	out := append([]Expr(nil), operands...)
	for _, rd := range r.Reads {
		out[rd.From] = &Cast{Arg: out[rd.From], T: rd.T, Read: true}
	}
	return out
}

// Inputs are the operator's inputs in its order, as bound trees over ops
// (the operands after the reads, see Operands): each with the implicit
// casts the resolution gives it as Cast nodes.
func (r *ResolvedOp) Inputs(ops []Expr) []Expr {
	in := make([]Expr, len(r.Args))
	for i, a := range r.Args {
		x := ops[a.From]
		for _, t := range a.Casts {
			x = &Cast{Arg: x, T: t}
		}
		in[i] = x
	}
	return in
}

// IsNumeric reports whether t is a number (integer, float or numeric).
func IsNumeric(t types.T) bool {
	f := t.Family()
	return f == types.FamInt || f == types.FamFloat || f == types.FamNumeric
}

// IsDateTime reports whether t is date, timestamp or timestamptz.
func IsDateTime(t types.T) bool {
	f := t.Family()
	return f == types.FamDate || f == types.FamTimestamp || f == types.FamTimestamptz
}

func isDTOrInterval(t types.T) bool { return IsDateTime(t) || t.Family() == types.FamInterval }

// OperandType is t as an operator's input type: char(n) and varchar(n)
// lose their length, so that an untyped literal beside a char(3) column is
// bpchar ('abcd' is not too long for it; 'a' is not blank-padded) as in
// PostgreSQL, whose operators take the types without a typmod.
func OperandType(t types.T) types.T {
	if t.Oid == types.OidBpchar || t.Oid == types.OidVarchar {
		return types.T{Oid: t.Oid, Mod: -1}
	}
	return t
}

// StringCommonType is the type two different string types are compared
// in, as PostgreSQL's operator resolution picks it: bpchar when one side
// is char(n) and the other char(m) or varchar (bpchareq: trailing blanks
// do not count), varchar for two varchars, text otherwise (text is the
// preferred type of the category: char = text compares as text).
func StringCommonType(a, b types.T) types.T {
	bpOrVar := func(t types.T) bool { return t.Oid == types.OidBpchar || t.Oid == types.OidVarchar }
	switch {
	case !bpOrVar(a) || !bpOrVar(b):
		return types.Text
	case a.Oid == types.OidBpchar || b.Oid == types.OidBpchar:
		return types.Bpchar
	}
	return types.T{Oid: types.OidVarchar, Mod: -1}
}

// CommonOperandType is the type two operands are compared or combined in:
// an untyped side adopts the other's type (two untyped sides are text),
// integers widen to the wider, numerics and floats to numeric and float8,
// strings as StringCommonType, the rest as types.CommonType.
func CommonOperandType(a, b Operand) (types.T, bool) {
	if a.Unknown && b.Unknown {
		return types.Text, true
	}
	if a.Unknown {
		return b.T, true
	}
	if b.Unknown {
		return a.T, true
	}
	if a.T == b.T {
		return a.T, true
	}
	if a.T.Family() == b.T.Family() {
		switch a.T.Family() {
		case types.FamString:
			return StringCommonType(a.T, b.T), true
		case types.FamInt:
			if a.T.Oid == types.OidInt8 || b.T.Oid == types.OidInt8 {
				return types.Int8, true
			}
			if a.T.Oid == types.OidInt4 || b.T.Oid == types.OidInt4 {
				return types.Int4, true
			}
		case types.FamNumeric:
			return types.Numeric, true
		case types.FamFloat:
			return types.Float8, true
		}
	}
	return types.CommonType(a.T, b.T)
}

// OpNotExist is PostgreSQL's 42883 for a binary operator without a
// candidate for the operand types.
func OpNotExist(op string, l, r types.T) *pgerror.Error {
	return pgerror.Newf(pgerror.UndefinedFunction, "operator does not exist: %s %s %s", l, op, r).
		WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
}

// PrefixOpNotExist is PostgreSQL's 42883 for a prefix operator with no
// candidate for its operand type.
func PrefixOpNotExist(op string, t types.T) *pgerror.Error {
	return pgerror.Newf(pgerror.UndefinedFunction, "operator does not exist: %s %s", op, types.T{Oid: t.Oid, Mod: -1}).
		WithHint("No operator matches the given name and argument type. You might need to add an explicit type cast.")
}

func opNotUnique(format string, args ...any) *pgerror.Error {
	return pgerror.Newf(pgerror.AmbiguousFunction, format, args...).
		WithHint("Could not choose a best candidate operator. You might need to add explicit type casts.")
}

// resolution tracks the operands while an operator is resolved: each
// side's type as the reads and casts so far leave it.
type resolution struct {
	op    ResolvedOp
	sides []*side
}

type side struct {
	from  int
	o     Operand
	casts []types.T
}

func newResolution(op string, ops ...Operand) *resolution {
	r := &resolution{op: ResolvedOp{Name: op}}
	for i, o := range ops {
		r.sides = append(r.sides, &side{from: i, o: o})
	}
	return r
}

// read types an untyped side as t (exec's litAs): a typed side is left.
func (r *resolution) read(s *side, t types.T) {
	if !s.o.Unknown {
		return
	}
	r.op.Reads = append(r.op.Reads, Read{From: s.from, T: t})
	s.o = Operand{T: t, Literal: s.o.Literal}
}

// cast casts a side implicitly to t; casting to its own type (to the same
// OID, but for numeric and string types whose modifier counts) leaves it.
func (s *side) cast(t types.T) {
	if s.o.T == t || s.o.T.Oid == t.Oid && t.Family() != types.FamNumeric && t.Family() != types.FamString {
		s.casts = append(s.casts, t) // a no-op, kept as written
		return
	}
	s.casts = append(s.casts, t)
	s.o = Operand{T: t}
}

// done is the resolved operator with inputs in the order of args and
// the given class, calc and result types.
func (r *resolution) done(class OpClass, calc, result types.T, args ...*side) *ResolvedOp {
	r.op.Class, r.op.Calc, r.op.Result = class, calc, result
	r.op.Args = r.op.Args[:0]
	for _, s := range args {
		r.op.Args = append(r.op.Args, Arg{From: s.from, Casts: s.casts})
	}
	return &r.op
}

// fail is a resolution that fails with err once the reads so far are
// done (a literal that does not read as its type fails first).
func (r *resolution) fail(err *pgerror.Error) (*ResolvedOp, error) {
	return &r.op, err
}

// ResolveBinaryOp resolves op for the operand types l and r. On an
// error the returned ResolvedOp (when not nil) holds the reads that come
// first: exec does them and reports their error in preference.
func ResolveBinaryOp(op string, l, r Operand) (*ResolvedOp, error) {
	if jsonOperands(op, l, r) {
		res := newResolution(op, l, r)
		return res.done(OpJSON, types.Unknown, types.Unknown, res.sides...), nil
	}
	if res, ok, err := resolveArrayOp(op, l, r); ok {
		return res, err
	}
	switch op {
	case "+", "-", "*", "/":
		if res, ok, err := resolveDateTime(op, l, r); ok {
			return res, err
		}
	case "^":
		return resolvePow(l, r)
	case "&", "|", "#", "<<", ">>":
		return resolveBit(op, l, r)
	case "~", "~*", "!~", "!~*", "^@":
		if l.T.Family() != types.FamString && !l.Unknown || r.T.Family() != types.FamString && !r.Unknown {
			return nil, OpNotExist(op, l.T, r.T)
		}
		res := newResolution(op, l, r)
		class := OpRegex
		if op == "^@" {
			class = OpStartsWith
		}
		return res.done(class, types.Text, types.Bool, res.sides...), nil
	}
	switch op {
	case "=", "<>", "!=", "<", "<=", ">", ">=":
		return ResolveCompare(op, l, r)
	case "+", "-", "*", "/", "%":
		return resolveArith(op, l, r)
	case "||":
		res := newResolution(op, l, r)
		return res.done(OpConcat, types.Text, types.Text, res.sides...), nil
	case "~~", "!~~", "~~*", "!~~*":
		return ResolveLike(op, l, r)
	}
	return nil, OpNotExist(op, l.T, r.T)
}

func isJSON(t types.T) bool { return t.Oid == types.OidJSONB || t.Oid == types.OidJSON }

// jsonOperands reports whether exec's json operator table takes l op r:
// a typed json left side (an untyped one beside json for @> <@ ||, where
// it adopts the json type) with -> ->> #> #>>, any operator on json (the
// others are refused there), and @> <@ ? ?| ?& || - #- on jsonb.
func jsonOperands(op string, l, r Operand) bool {
	lt := l.T
	if !isJSON(l.T) || l.Unknown {
		if !(isJSON(r.T) && !r.Unknown && (op == "@>" || op == "<@" || op == "||") && l.Unknown) {
			return false
		}
		lt = r.T
	}
	switch op {
	case "->", "->>", "#>", "#>>":
		return true
	}
	if lt.Oid != types.OidJSONB {
		return true
	}
	switch op {
	case "@>", "<@", "?", "?|", "?&", "||", "-", "#-":
		return true
	}
	return false
}

// resolveArrayOp: ok for || @> <@ && when an operand is a typed array
// (the polymorphic array operators), or for @> <@ && between two untyped
// operands, which is ambiguous.
func resolveArrayOp(op string, l, r Operand) (*ResolvedOp, bool, error) {
	la, ra := !l.Unknown && l.T.IsArray(), !r.Unknown && r.T.IsArray()
	if !la && !ra {
		if (op == "@>" || op == "<@" || op == "&&") && l.Unknown && r.Unknown {
			return nil, true, opNotUnique("operator is not unique: unknown %s unknown", op)
		}
		return nil, false, nil
	}
	switch op {
	case "||", "@>", "<@", "&&":
		res := newResolution(op, l, r)
		return res.done(OpArray, types.Unknown, types.Unknown, res.sides...), true, nil
	}
	return nil, false, nil
}

// ResolveCompare resolves a comparison: both sides in their common type
// (numbers across families, date/timestamp/timestamptz among themselves,
// strings as StringCommonType); a bool only with a bool; arrays of one
// type; json has none.
func ResolveCompare(op string, l, r Operand) (*ResolvedOp, error) {
	t, ok := CommonOperandType(l, r)
	if !ok || l.T.Family() == types.FamBool && r.T.Family() != types.FamBool && !r.Unknown {
		return nil, OpNotExist(op, l.T, r.T)
	}
	if t.Family() != l.T.Family() && !l.Unknown || t.Family() != r.T.Family() && !r.Unknown {
		if !IsNumeric(l.T) || !IsNumeric(r.T) {
			if l.T.Family() != r.T.Family() && !(IsDateTime(l.T) && IsDateTime(r.T)) {
				return nil, OpNotExist(op, l.T, r.T)
			}
		}
	}
	if l.T.IsArray() && r.T.IsArray() && !l.Unknown && !r.Unknown && l.T.Oid != r.T.Oid {
		return nil, OpNotExist(op, l.T, r.T) // anyarray op anyarray: one array type
	}
	if t.Oid == types.OidJSON {
		return nil, OpNotExist(op, l.T, r.T)
	}
	res := newResolution(op, l, r)
	L, R := res.sides[0], res.sides[1]
	if !(l.Unknown && l.Literal) {
		L.cast(t)
	}
	R.cast(t)
	return res.done(OpCompare, t, types.Bool, L, R), nil
}

// resolveArith resolves + - * / % between numbers: the common type, but
// int2 op int2 is int2 and int2 with int4 int4; numeric loses its
// modifier; real with an integer or numeric is float8 (the preferred type).
func resolveArith(op string, l, r Operand) (*ResolvedOp, error) {
	if l.Unknown && r.Unknown {
		// Every numeric type has this operator: nothing picks one.
		return nil, opNotUnique("operator is not unique: unknown %s unknown", op)
	}
	t, ok := CommonOperandType(l, r)
	if !ok || !IsNumeric(t) && t.Family() != types.FamInterval && !IsDateTime(t) {
		return nil, OpNotExist(op, l.T, r.T)
	}
	if t.Oid == types.OidInt2 {
		t = types.Int4
		if l.T.Oid == types.OidInt2 && r.T.Oid == types.OidInt2 {
			t = types.Int2
		}
	}
	if t.Family() == types.FamNumeric {
		t = types.Numeric
	}
	if t.Oid == types.OidFloat4 && (l.T.Oid != types.OidFloat4 && !l.Unknown || r.T.Oid != types.OidFloat4 && !r.Unknown) {
		// real with an integer or numeric operand: PostgreSQL's operator
		// resolution prefers float8 (1 / 3::float4 is double precision)
		t = types.Float8
	}
	res := newResolution(op, l, r)
	for _, s := range res.sides {
		s.cast(t)
	}
	return res.done(OpArith, t, t, res.sides...), nil
}

// resolveDateTime resolves + and - (and * / with an interval) when a side
// is a date, timestamp, time or interval; ok is false when neither is.
func resolveDateTime(op string, lo, ro Operand) (*ResolvedOp, bool, error) {
	dt := func(t types.T) bool { return isDTOrInterval(t) || t.Family() == types.FamTime }
	if !(dt(lo.T) && !lo.Unknown) && !(dt(ro.T) && !ro.Unknown) {
		return nil, false, nil
	}
	res := newResolution(op, lo, ro)
	l, r := res.sides[0], res.sides[1]
	fail := func(err *pgerror.Error) (*ResolvedOp, bool, error) {
		o, e := res.fail(err)
		return o, true, e
	}
	notExist := func() (*ResolvedOp, bool, error) { return fail(OpNotExist(op, l.o.T, r.o.T)) }
	// An untyped literal takes the type PostgreSQL's operator resolution
	// gives it: the other side's type for -, an interval for + with a
	// timestamp, a number for * and /.
	if lo.Unknown || ro.Unknown {
		known, unk := l, r
		if lo.Unknown {
			known, unk = r, l
		}
		var t types.T
		switch {
		case op == "-" && ro.Unknown:
			t = known.o.T
		case op == "+" && known.o.T.Family() == types.FamDate:
			return fail(opNotUnique("operator is not unique: %s %s %s", lo.T, op, ro.T))
		case op == "*" || op == "/":
			t = types.Float8
		default:
			t = types.Interval
		}
		res.read(unk, t)
	}
	if o, ok := resolveTimeOfDay(res, op, l, r); ok {
		return o, true, nil
	}
	if l.o.T.Family() == types.FamTime {
		l.cast(types.Interval) // time's implicit cast to interval
	}
	if r.o.T.Family() == types.FamTime {
		r.cast(types.Interval)
	}
	l, r, result, calc, ok := dateTimeCandidate(op, l, r)
	if !ok {
		return notExist()
	}
	if l.o.T.Family() == types.FamDate && result.Family() != types.FamDate && result.Family() != types.FamInt && calc != types.Interval {
		l.cast(types.Timestamp)
	}
	return res.done(OpDateTime, calc, result, l, r), true, nil
}

// dateTimeCandidate is the operator of date, timestamp[tz] and interval
// arithmetic for typed sides l and r (a time side already cast to
// interval): the inputs in the operator's order, with the casts it
// needs, its result type and the type it computes in; ok is false when
// there is none.
func dateTimeCandidate(op string, l, r *side) (_, _ *side, result, calc types.T, ok bool) {
	lf, rf := l.o.T.Family(), r.o.T.Family()
	switch op {
	case "+", "-":
		switch {
		case lf == types.FamDate && rf == types.FamInt:
			result, calc = types.Date, types.Date
		case op == "+" && lf == types.FamInt && rf == types.FamDate:
			l, r = r, l
			result, calc = types.Date, types.Date
		case lf == types.FamDate && rf == types.FamDate && op == "-":
			result, calc = types.Int4, types.Int4
		case (lf == types.FamDate || lf == types.FamTimestamp) && rf == types.FamInterval:
			result, calc = types.Timestamp, types.Timestamp
		case lf == types.FamTimestamptz && rf == types.FamInterval:
			result, calc = types.Timestamptz, types.Timestamptz
		case op == "+" && lf == types.FamInterval && IsDateTime(r.o.T):
			// interval + date/timestamp[tz] runs as timestamp[tz] +
			// interval: timestamptz for a timestamptz (the swapped
			// left side; the right one, now the interval, was looked at
			// before, typing interval + timestamptz as timestamp)
			l, r = r, l
			result = types.Timestamp
			if l.o.T.Family() == types.FamTimestamptz {
				result = types.Timestamptz
			}
			calc = result
		case lf == types.FamInterval && rf == types.FamInterval:
			result, calc = types.Interval, types.Interval
		case op == "-" && IsDateTime(l.o.T) && IsDateTime(r.o.T) && (lf != types.FamDate || rf != types.FamDate):
			// timestamp - timestamp (a date side widens to timestamp)
			t, _ := types.CommonType(l.o.T, r.o.T)
			l.cast(t)
			r.cast(t)
			result, calc = types.Interval, types.Interval
		default:
			return l, r, result, calc, false
		}
	case "*":
		switch {
		case lf == types.FamInterval && IsNumeric(r.o.T):
			result = types.Interval
		case IsNumeric(l.o.T) && rf == types.FamInterval:
			l, r = r, l
			result = types.Interval
		default:
			return l, r, result, calc, false
		}
		r.cast(types.Float8)
		calc = result
	case "/":
		if lf != types.FamInterval || !IsNumeric(r.o.T) {
			return l, r, result, calc, false
		}
		r.cast(types.Float8)
		result, calc = types.Interval, types.Interval
	default:
		return l, r, result, calc, false
	}
	return l, r, result, calc, true
}

// resolveTimeOfDay resolves the operators of time without time zone:
// time ± interval and interval + time (time, modulo a day), time - time
// (interval), date + time and time + date (timestamp). ok is false for
// the others, which take time's implicit cast to interval.
func resolveTimeOfDay(res *resolution, op string, l, r *side) (*ResolvedOp, bool) {
	lf, rf := l.o.T.Family(), r.o.T.Family()
	if lf != types.FamTime && rf != types.FamTime {
		return nil, false
	}
	switch {
	case lf == types.FamTime && rf == types.FamInterval && (op == "+" || op == "-"),
		op == "+" && lf == types.FamInterval && rf == types.FamTime:
		if lf == types.FamInterval {
			l, r = r, l
		}
		return res.done(OpTimeOfDay, types.Time, types.Time, l, r), true
	case op == "-" && lf == types.FamTime && rf == types.FamTime:
		return res.done(OpTimeOfDay, types.Interval, types.Interval, l, r), true
	case op == "+" && (lf == types.FamDate && rf == types.FamTime || lf == types.FamTime && rf == types.FamDate):
		if lf == types.FamTime {
			l, r = r, l
		}
		return res.done(OpTimeOfDay, types.Timestamp, types.Timestamp, l, r), true
	}
	return nil, false
}

// resolvePow resolves ^: numeric when a side is numeric, else double
// precision (untyped sides read as float8).
func resolvePow(lo, ro Operand) (*ResolvedOp, error) {
	if !(IsNumeric(lo.T) || lo.Unknown) || !(IsNumeric(ro.T) || ro.Unknown) {
		return nil, OpNotExist("^", lo.T, ro.T)
	}
	res := newResolution("^", lo, ro)
	l, r := res.sides[0], res.sides[1]
	if lo.T.Family() == types.FamNumeric && !lo.Unknown || ro.T.Family() == types.FamNumeric && !ro.Unknown {
		l.cast(types.Numeric)
		r.cast(types.Numeric)
		return res.done(OpPow, types.Numeric, types.Numeric, l, r), nil
	}
	res.read(l, types.Float8)
	res.read(r, types.Float8)
	l.cast(types.Float8)
	r.cast(types.Float8)
	return res.done(OpPow, types.Float8, types.Float8, l, r), nil
}

// resolveBit resolves & | # << >> on integers: an untyped side reads as
// the other's type (int4 for a shift count or when both are untyped); &
// | # compute in the common type, a shift in the left side's type with an
// int4 count.
func resolveBit(op string, lo, ro Operand) (*ResolvedOp, error) {
	res := newResolution(op, lo, ro)
	l, r := res.sides[0], res.sides[1]
	if l.o.Unknown && !r.o.Unknown {
		res.read(l, r.o.T)
	}
	if r.o.Unknown {
		t := l.o.T
		if op == "<<" || op == ">>" || l.o.Unknown {
			t = types.Int4
		}
		res.read(r, t)
	}
	if l.o.Unknown {
		res.read(l, types.Int4)
	}
	if l.o.T.Family() != types.FamInt || r.o.T.Family() != types.FamInt || l.o.T.Oid == types.OidOid || r.o.T.Oid == types.OidOid {
		return res.fail(OpNotExist(op, l.o.T, r.o.T))
	}
	t := l.o.T
	if op != "<<" && op != ">>" {
		var ok bool
		if t, ok = CommonOperandType(l.o, r.o); !ok {
			return res.fail(OpNotExist(op, l.o.T, r.o.T))
		}
		l.cast(t)
		r.cast(t)
	} else if r.o.T.Oid == types.OidInt8 {
		return res.fail(OpNotExist(op, l.o.T, r.o.T))
	}
	return res.done(OpBit, t, t, l, r), nil
}

// ResolveLike resolves LIKE and ILIKE (~~ ~~* and their negations) on
// strings; a char(n) pattern is cast to text (its trailing blanks are not
// part of the pattern).
func ResolveLike(op string, lo, ro Operand) (*ResolvedOp, error) {
	if lo.T.Family() != types.FamString && !lo.Unknown || ro.T.Family() != types.FamString && !ro.Unknown {
		return nil, OpNotExist(op, lo.T, ro.T)
	}
	res := newResolution(op, lo, ro)
	if ro.T.Oid == types.OidBpchar {
		res.sides[1].cast(types.Text)
	}
	return res.done(OpLike, types.Text, types.Bool, res.sides...), nil
}

// HasPrefixSign reports whether PostgreSQL has a prefix + (or, with
// minus, a prefix -) for t: the numeric types, and for minus also
// interval. Text, oid, dates and the rest have none (42883, e.g. + text).
func HasPrefixSign(t types.T, minus bool) bool {
	switch t.Oid {
	case types.OidInt2, types.OidInt4, types.OidInt8, types.OidFloat4, types.OidFloat8, types.OidNumeric:
		return true
	case types.OidInterval:
		return minus
	}
	return false
}

// ResolvePrefixOp resolves a prefix operator: - and + on numbers (and -
// on interval; an untyped operand is float8, the preferred numeric type),
// ~ on integers (an untyped operand reads as int4), |/ (square root, in
// float8) and @ (absolute value) on numbers. On an error the returned
// ResolvedOp (when not nil) holds the read that comes first.
func ResolvePrefixOp(op string, xo Operand) (*ResolvedOp, error) {
	res := newResolution(op, xo)
	x := res.sides[0]
	switch op {
	case "-":
		if x.o.Unknown {
			x.cast(types.Float8)
		}
		if !HasPrefixSign(x.o.T, true) {
			return nil, PrefixOpNotExist(op, x.o.T)
		}
		return res.done(OpNeg, x.o.T, x.o.T, x), nil
	case "+":
		res.read(x, types.Float8)
		if !HasPrefixSign(x.o.T, false) {
			return res.fail(PrefixOpNotExist(op, x.o.T))
		}
		return res.done(OpPlus, x.o.T, x.o.T, x), nil
	case "~":
		res.read(x, types.Int4)
		if x.o.T.Family() != types.FamInt || x.o.T.Oid == types.OidOid {
			return res.fail(pgerror.Newf(pgerror.UndefinedFunction, "operator does not exist: ~ %s", x.o.T))
		}
		return res.done(OpBitNot, x.o.T, x.o.T, x), nil
	case "|/":
		res.read(x, types.Float8)
		x.cast(types.Float8)
		return res.done(OpSqrt, types.Float8, types.Float8, x), nil
	case "@":
		res.read(x, types.Float8)
		if !IsNumeric(x.o.T) {
			return res.fail(pgerror.Newf(pgerror.UndefinedFunction, "operator does not exist: @ %s", x.o.T))
		}
		return res.done(OpAbs, x.o.T, x.o.T, x), nil
	}
	return nil, PrefixOpNotExist(op, x.o.T)
}
