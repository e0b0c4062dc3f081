package plan

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Function resolution (PostgreSQL's parse_func.c func_get_detail and
// func_select_candidate): among the candidates of a name with as many
// arguments as the call, an exact match of the argument types; else the
// candidates every argument converts to implicitly (an untyped literal or
// parameter converts to anything); among several, those with the most
// exact matches, then those taking the preferred type of each typed
// argument's category where it must be converted; then, for untyped
// arguments, the category the remaining candidates take at that position
// (string when one takes a string, else the only one) and its preferred
// type; last, untyped arguments are taken to be of the known arguments'
// type when they all have one.

// FuncSig is one candidate of a function: its argument types and result.
type FuncSig struct {
	Args   []types.T
	Result types.T
}

// Category is a type category (pg_type.typcategory).
type Category byte

// The categories of PostgreSQL's pg_type.
const (
	CatArray    Category = 'A'
	CatBool     Category = 'B'
	CatDateTime Category = 'D'
	CatNetwork  Category = 'I'
	CatNumeric  Category = 'N'
	CatPseudo   Category = 'P'
	CatString   Category = 'S'
	CatTimespan Category = 'T'
	CatUser     Category = 'U'
	CatBit      Category = 'V'
	CatUnknown  Category = 'X'
)

// TypeCategory is t's category.
func TypeCategory(t types.T) Category {
	if t.IsArray() {
		return CatArray
	}
	switch t.Oid {
	case types.OidBool:
		return CatBool
	case types.OidInt2, types.OidInt4, types.OidInt8, types.OidFloat4, types.OidFloat8, types.OidNumeric, types.OidOid:
		return CatNumeric
	case types.OidText, types.OidVarchar, types.OidBpchar, types.OidName:
		return CatString
	case types.OidDate, types.OidTime, types.OidTimestamp, types.OidTimestamptz:
		return CatDateTime
	case types.OidInterval:
		return CatTimespan
	case types.OidUnknown:
		return CatUnknown
	case types.OidRecord:
		return CatPseudo
	}
	return CatUser
}

// IsPreferred reports whether t is its category's preferred type
// (pg_type.typispreferred): double precision and oid among numbers, text
// among strings, timestamptz among date/time types, interval, boolean.
func IsPreferred(t types.T) bool {
	switch t.Oid {
	case types.OidFloat8, types.OidOid, types.OidText, types.OidTimestamptz, types.OidInterval, types.OidBool:
		return true
	}
	return false
}

// implicitCasts are pg_cast's implicit casts (castcontext 'i') among the
// types of this engine.
var implicitCasts = map[types.Oid][]types.Oid{
	types.OidInt2:      {types.OidInt4, types.OidInt8, types.OidFloat4, types.OidFloat8, types.OidNumeric, types.OidOid},
	types.OidInt4:      {types.OidInt8, types.OidFloat4, types.OidFloat8, types.OidNumeric, types.OidOid},
	types.OidInt8:      {types.OidFloat4, types.OidFloat8, types.OidNumeric, types.OidOid},
	types.OidFloat4:    {types.OidFloat8},
	types.OidNumeric:   {types.OidFloat4, types.OidFloat8},
	types.OidText:      {types.OidBpchar, types.OidVarchar, types.OidName},
	types.OidVarchar:   {types.OidText, types.OidBpchar, types.OidName},
	types.OidBpchar:    {types.OidText, types.OidVarchar, types.OidName},
	types.OidName:      {types.OidText},
	types.OidDate:      {types.OidTimestamp, types.OidTimestamptz},
	types.OidTimestamp: {types.OidTimestamptz},
	types.OidTime:      {types.OidInterval},
}

// CanImplicit reports whether a value of type from converts to type to
// implicitly (PostgreSQL's can_coerce_type with COERCION_IMPLICIT): the
// same type, an untyped value, a cast of pg_cast's implicit context, or
// an array whose elements convert so.
func CanImplicit(from Operand, to types.T) bool {
	if from.Unknown || from.T.Oid == to.Oid {
		return true
	}
	for _, o := range implicitCasts[from.T.Oid] {
		if o == to.Oid {
			return true
		}
	}
	if from.T.IsArray() && to.IsArray() {
		fe, ok1 := types.ElemOf(from.T)
		te, ok2 := types.ElemOf(to)
		return ok1 && ok2 && fe.Oid != from.T.Oid && CanImplicit(Operand{T: fe}, te)
	}
	return false
}

// ResolveFunc chooses among cands, the candidates of function name, the
// one a call with arguments args runs, and returns its index: 42883 when
// none takes them, 42725 when several remain (the errors have no position:
// the caller adds the call's).
func ResolveFunc(name string, cands []FuncSig, args []Operand) (int, error) {
	var live []int
	for i, c := range cands {
		if len(c.Args) == len(args) {
			live = append(live, i)
		}
	}
	// an exact match
	for _, i := range live {
		exact := true
		for k, a := range args {
			if a.Unknown || a.T.Oid != cands[i].Args[k].Oid {
				exact = false
				break
			}
		}
		if exact {
			return i, nil
		}
	}
	// the candidates every argument converts to implicitly
	live = keep(live, func(i int) bool {
		for k, a := range args {
			if !CanImplicit(a, cands[i].Args[k]) {
				return false
			}
		}
		return true
	})
	switch len(live) {
	case 0:
		return -1, funcNotExistOf(name, args)
	case 1:
		return live[0], nil
	}
	if i, ok := selectCandidate(cands, live, args); ok {
		return i, nil
	}
	return -1, pgerror.Newf(pgerror.AmbiguousFunction, "function %s(%s) is not unique", name, argTypes(args)).
		WithHint("Could not choose a best candidate function. You might need to add explicit type casts.")
}

// selectCandidate is func_select_candidate over the candidates live, all
// of which take args.
func selectCandidate(cands []FuncSig, live []int, args []Operand) (int, bool) {
	score := func(match func(k int, p types.T) bool) {
		best, kept := -1, []int(nil)
		for _, i := range live {
			n := 0
			for k, p := range cands[i].Args {
				if !args[k].Unknown && match(k, p) {
					n++
				}
			}
			switch {
			case n > best:
				best, kept = n, []int{i}
			case n == best:
				kept = append(kept, i)
			}
		}
		live = kept
	}
	// the most exact matches
	score(func(k int, p types.T) bool { return p.Oid == args[k].T.Oid })
	if len(live) == 1 {
		return live[0], true
	}
	// exact matches or the preferred type of the argument's category
	score(func(k int, p types.T) bool {
		return p.Oid == args[k].T.Oid || IsPreferred(p) && TypeCategory(p) == TypeCategory(args[k].T)
	})
	if len(live) == 1 {
		return live[0], true
	}
	unknowns := 0
	for _, a := range args {
		if a.Unknown {
			unknowns++
		}
	}
	if unknowns == 0 {
		return -1, false
	}
	// the category of each untyped argument: string if a candidate takes
	// one there, else the one all candidates take
	cat := make([]Category, len(args))
	pref := make([]bool, len(args))
	resolved := true
	for k, a := range args {
		if !a.Unknown {
			continue
		}
		conflict := false
		for n, i := range live {
			p := cands[i].Args[k]
			c, isPref := TypeCategory(p), IsPreferred(p)
			switch {
			case n == 0:
				cat[k], pref[k] = c, isPref
			case c == cat[k]:
				pref[k] = pref[k] || isPref
			case c == CatString:
				cat[k], pref[k] = c, isPref
			case cat[k] != CatString:
				conflict = true
			}
		}
		if conflict && cat[k] != CatString {
			resolved = false
			break
		}
	}
	if resolved {
		live = keep(live, func(i int) bool {
			for k, a := range args {
				if !a.Unknown {
					continue
				}
				p := cands[i].Args[k]
				if TypeCategory(p) != cat[k] || pref[k] && !IsPreferred(p) {
					return false
				}
			}
			return true
		})
		if len(live) == 1 {
			return live[0], true
		}
	}
	// untyped arguments beside typed ones all of one type: that type
	if unknowns < len(args) {
		var known types.T
		same := true
		for _, a := range args {
			switch {
			case a.Unknown:
			case known.Oid == 0:
				known = a.T
			case known.Oid != a.T.Oid:
				same = false
			}
		}
		if same {
			var found []int
			for _, i := range live {
				ok := true
				for k := range args {
					if !CanImplicit(Operand{T: known}, cands[i].Args[k]) {
						ok = false
						break
					}
				}
				if ok {
					found = append(found, i)
				}
			}
			if len(found) == 1 {
				return found[0], true
			}
		}
	}
	return -1, false
}

func keep(live []int, ok func(int) bool) []int {
	var out []int
	for _, i := range live {
		if ok(i) {
			out = append(out, i)
		}
	}
	return out
}

func argTypes(args []Operand) string {
	ts := make([]string, len(args))
	for i, a := range args {
		if a.Unknown {
			ts[i] = "unknown"
		} else {
			ts[i] = a.T.String()
		}
	}
	return strings.Join(ts, ", ")
}

// funcNotExistOf is 42883 for a call of name with arguments args.
func funcNotExistOf(name string, args []Operand) *pgerror.Error {
	return pgerror.Newf(pgerror.UndefinedFunction, "function %s(%s) does not exist", name, argTypes(args)).
		WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
}

// The candidates of the functions this package resolves (PostgreSQL 15's
// pg_proc entries among this engine's types).
var (
	f8, num, i2, i4, i8, f4 = types.Float8, types.Numeric, types.Int2, types.Int4, types.Int8, types.Float4
	floatOrNumeric          = []FuncSig{{Args: []types.T{f8}, Result: f8}, {Args: []types.T{num}, Result: num}}
	floatOnly               = []FuncSig{{Args: []types.T{f8}, Result: f8}}
	roundSigs               = []FuncSig{{Args: []types.T{f8}, Result: f8}, {Args: []types.T{num}, Result: num}, {Args: []types.T{num, i4}, Result: num}}
	powerSigs               = []FuncSig{{Args: []types.T{f8, f8}, Result: f8}, {Args: []types.T{num, num}, Result: num}}
	macaddr, macaddr8       = types.T{Oid: 829, Mod: -1}, types.T{Oid: 774, Mod: -1}
	gcdSigs                 = []FuncSig{{Args: []types.T{i4, i4}, Result: i4}, {Args: []types.T{i8, i8}, Result: i8}, {Args: []types.T{num, num}, Result: num}}
)

var funcSigs = map[string][]FuncSig{
	"sqrt": floatOrNumeric, "exp": floatOrNumeric, "ln": floatOrNumeric, "log10": floatOrNumeric, "sign": floatOrNumeric,
	"ceil": floatOrNumeric, "ceiling": floatOrNumeric, "floor": floatOrNumeric,
	"cbrt": floatOnly, "degrees": floatOnly, "radians": floatOnly, "sin": floatOnly, "cos": floatOnly, "tan": floatOnly,
	"cot": floatOnly, "asin": floatOnly, "acos": floatOnly, "atan": floatOnly,
	"atan2": {{Args: []types.T{f8, f8}, Result: f8}},
	"round": roundSigs,
	// trunc(macaddr) and trunc(macaddr8), types this engine lacks, make
	// trunc('4.7') ambiguous, as in PostgreSQL
	"trunc": append(roundSigs[:len(roundSigs):len(roundSigs)], FuncSig{Args: []types.T{macaddr}, Result: macaddr},
		FuncSig{Args: []types.T{macaddr8}, Result: macaddr8}),
	"power": powerSigs, "pow": powerSigs,
	"log": {{Args: []types.T{f8}, Result: f8}, {Args: []types.T{num}, Result: num}, {Args: []types.T{num, num}, Result: num}},
	"div": {{Args: []types.T{num, num}, Result: num}},
	"gcd": gcdSigs, "lcm": gcdSigs,
	"abs": {{Args: []types.T{i2}, Result: i2}, {Args: []types.T{i4}, Result: i4}, {Args: []types.T{i8}, Result: i8},
		{Args: []types.T{f4}, Result: f4}, {Args: []types.T{f8}, Result: f8}, {Args: []types.T{num}, Result: num}},
	"mod": {{Args: []types.T{i2, i2}, Result: i2}, {Args: []types.T{i4, i4}, Result: i4}, {Args: []types.T{i8, i8}, Result: i8},
		{Args: []types.T{num, num}, Result: num}},
}

// FuncCandidates are the candidates of function name when this package
// resolves its calls.
func FuncCandidates(name string) ([]FuncSig, bool) {
	c, ok := funcSigs[name]
	return c, ok
}

// FuncCall is a bound call of a scalar function.
type FuncCall struct {
	Name string
	// Args are the arguments; when Sig is set, each converted to its
	// argument type (an untyped literal or parameter read as it, a typed
	// value cast implicitly).
	Args []Expr
	// Sig is the candidate the plan chose (FuncCandidates, ResolveFunc),
	// nil for a function that exec's tables still type.
	Sig *FuncSig
	// Location is the call's position in the statement.
	Location int32
}

// Type implements Expr: the chosen candidate's result type, unknown when
// exec types the call.
func (f *FuncCall) Type() types.T {
	if f.Sig != nil {
		return f.Sig.Result
	}
	return types.Unknown
}

// BindFuncArgs binds the arguments of fc, argument i with hint(i) (the
// type exec's function table expects; nil: no hints), without resolving
// the function.
func BindFuncArgs(ob OperandBinder, fc *pg_query.FuncCall, hint func(i int) types.T) (*FuncCall, error) {
	call := &FuncCall{Name: LastName(fc.Funcname), Args: make([]Expr, len(fc.Args)), Location: fc.Location}
	for i, n := range fc.Args {
		h := types.Unknown
		if hint != nil {
			h = hint(i)
		}
		x, err := ob.BindOperand(n, h)
		if err != nil {
			return nil, err
		}
		call.Args[i] = x
	}
	return call, nil
}

// BindFuncCall binds a call of a function: one with candidates here
// (FuncCandidates) has its arguments bound as written, is resolved for
// their types (ResolveFunc; its errors are LocatedErrors at the call) and
// gets the conversions of the chosen candidate — an untyped literal or
// parameter is bound again with its argument type, as PostgreSQL types an
// unknown argument by the function chosen. Any other is BindFuncArgs.
func BindFuncCall(ob OperandBinder, fc *pg_query.FuncCall, hint func(i int) types.T) (*FuncCall, error) {
	cands, ok := FuncCandidates(LastName(fc.Funcname))
	if !ok {
		return BindFuncArgs(ob, fc, hint)
	}
	call, err := BindFuncArgs(ob, fc, nil)
	if err != nil {
		return nil, err
	}
	ops := make([]Operand, len(call.Args))
	for i, a := range call.Args {
		ops[i] = OperandOf(a)
	}
	i, err := ResolveFunc(call.Name, cands, ops)
	if err != nil {
		if pe := pgerror.As(err); pe != nil {
			return nil, located(pe, fc.Location)
		}
		return nil, err
	}
	call.Sig = &cands[i]
	for k, p := range call.Sig.Args {
		x := call.Args[k]
		if ops[k].Unknown && untypedConst(fc.Args[k]) || fc.Args[k].GetParamRef() != nil && ops[k].Unknown {
			if x, err = ob.BindOperand(fc.Args[k], p); err != nil {
				return nil, err
			}
		}
		switch o := OperandOf(x); {
		case o.Unknown:
			x = &Cast{Arg: x, T: p, Read: true}
		case o.T.Oid != p.Oid:
			x = &Cast{Arg: x, T: p}
		}
		call.Args[k] = x
	}
	return call, nil
}
