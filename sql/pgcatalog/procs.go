package pgcatalog

import (
	"slices"
	"strconv"
	"strings"

	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

//go:generate sh -c "go run ./genproc -dsn \"$HELIOSDB_PG_DSN\" -out proc_gen.go"

// proc is one built-in function as pg_proc lists it (procRows).
type proc struct {
	oid      int64
	name     string
	argTypes []int64
	row      []string // pg_proc's columns as text
	// What PostgreSQL 15 answers for it: pg_get_function_arguments,
	// pg_get_function_identity_arguments, pg_get_function_result,
	// regprocedure output, obj_description.
	args, identArgs, result, signature, descr string
}

// procColumns is the number of pg_proc's columns at the head of a
// procRows row.
var procColumns = len(relationDefs["pg_catalog.pg_proc"].cols)

// procSet is the pg_proc rows of the functions a System's engine has.
type procSet struct {
	list   []*proc // by OID
	byOID  map[int64]*proc
	byName map[string][]*proc
}

// newProcSet keeps the rows of procRows whose function has (nil = all).
func newProcSet(has func(name string) bool) *procSet {
	ps := &procSet{byOID: map[int64]*proc{}, byName: map[string][]*proc{}}
	for _, r := range procRows {
		name := r[1]
		if has != nil && !has(name) {
			continue
		}
		oid, _ := strconv.ParseInt(r[0], 10, 64)
		p := &proc{oid: oid, name: name, row: r[:procColumns]}
		for _, f := range strings.Fields(r[19]) { // proargtypes
			n, _ := strconv.ParseInt(f, 10, 64)
			p.argTypes = append(p.argTypes, n)
		}
		x := r[procColumns:]
		p.args, p.identArgs, p.result, p.signature = x[0], x[1], x[2], x[3]
		if x[4] != `\N` {
			p.descr = x[4]
		}
		ps.list = append(ps.list, p)
		ps.byOID[oid] = p
		ps.byName[name] = append(ps.byName[name], p)
	}
	return ps
}

// HasFunction reports whether name is a catalog function of this package.
func HasFunction(name string) bool { _, ok := functions[name]; return ok }

// FunctionNames lists the catalog functions of this package.
func FunctionNames() []string {
	out := make([]string, 0, len(functions))
	for n := range functions {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// ProcNames lists the function names pg_proc can hold (procRows) and
// those PostgreSQL 15 has none of (procAbsent), for the test that the
// generated table covers every function of the engine.
func ProcNames() (listed, absent []string) {
	for _, r := range procRows {
		if len(listed) == 0 || listed[len(listed)-1] != r[1] {
			listed = append(listed, r[1])
		}
	}
	return listed, procAbsent
}

func genProc(s *System, env *Env, add func(row) error) error {
	r := s.rels["pg_catalog.pg_proc"]
	for _, p := range s.procs.list {
		if err := add(textRow(r, p.row[:])); err != nil {
			return err
		}
	}
	return nil
}

// genDescription is pg_description: the built-in functions' descriptions
// (objects created here carry no comments).
func genDescription(s *System, env *Env, add func(row) error) error {
	for _, p := range s.procs.list {
		if p.descr == "" {
			continue
		}
		if err := add(row{"objoid": p.oid, "classoid": int64(procRelOID), "objsubid": int64(0), "description": p.descr}); err != nil {
			return err
		}
	}
	return nil
}

const procRelOID = 1255

// objDescription is obj_description(oid [, catalog]): the built-in
// functions' descriptions (pg_description); other objects have none.
func objDescription(s *System, _ *Env, a []types.Datum) (types.Datum, error) {
	if len(a) > 1 {
		if c := str(a[1]); c != "pg_proc" && c != "pg_catalog.pg_proc" {
			return nil, nil
		}
	}
	if p, ok := s.procByOID(i64(a[0])); ok && p.descr != "" {
		return p.descr, nil
	}
	return nil, nil
}

// procByOID is the function with oid, if pg_proc lists it.
func (s *System) procByOID(oid int64) (*proc, bool) {
	p, ok := s.procs.byOID[oid]
	return p, ok
}

// splitProcName splits a possibly schema-qualified function name as the
// reg* input functions read it; ok is false when the schema is not
// pg_catalog (no other schema holds functions).
func (s *System) splitProcName(env *Env, text string) (name string, ok bool, err error) {
	parts := SplitQualified(text) // unquoted parts folded to lower case
	switch len(parts) {
	case 1:
		return parts[0], true, nil
	case 2:
		if _, found := s.namespaceOID(env, parts[0]); !found {
			return "", false, pgerror.Newf(pgerror.InvalidSchemaName, "schema %q does not exist", parts[0])
		}
		return parts[1], parts[0] == "pg_catalog", nil
	}
	return "", false, pgerror.Newf(pgerror.InvalidTextRepresentation, "invalid name syntax")
}

// RegprocIn is regproc input: a number is the OID, a function name must
// name exactly one function (42883 none, 42725 more than one).
func (s *System) RegprocIn(env *Env, text string) (int64, error) {
	if n, err := strconv.ParseUint(strings.TrimSpace(text), 10, 32); err == nil {
		return int64(n), nil
	}
	name, ok, err := s.splitProcName(env, text)
	if err != nil {
		return 0, err
	}
	var found []*proc
	if ok {
		found = s.procs.byName[name]
	}
	switch len(found) {
	case 0:
		return 0, pgerror.Newf(pgerror.UndefinedFunction, "function %q does not exist", strings.TrimSpace(text))
	case 1:
		return found[0].oid, nil
	}
	return 0, pgerror.Newf(pgerror.AmbiguousFunction, "more than one function named %q", strings.TrimSpace(text))
}

// RegprocOut is regproc output: the name, qualified when the name alone
// would not find exactly this function; "-" for 0, the number when there
// is no such function.
func (s *System) RegprocOut(oid int64) string {
	p, ok := s.procByOID(oid)
	switch {
	case oid == 0:
		return "-"
	case !ok:
		return itoa(oid)
	case len(s.procs.byName[p.name]) == 1:
		return parser.QuoteIdent(p.name)
	}
	return "pg_catalog." + parser.QuoteIdent(p.name)
}

// RegprocedureIn is regprocedure input: "name(type, …)" to the function
// with exactly those argument types (42883 when there is none).
func (s *System) RegprocedureIn(env *Env, text string) (int64, error) {
	if n, err := strconv.ParseUint(strings.TrimSpace(text), 10, 32); err == nil {
		return int64(n), nil
	}
	t := strings.TrimSpace(text)
	open := strings.IndexByte(t, '(')
	if open < 0 {
		return 0, pgerror.New(pgerror.InvalidTextRepresentation, "expected a left parenthesis")
	}
	if !strings.HasSuffix(t, ")") {
		return 0, pgerror.New(pgerror.InvalidTextRepresentation, "expected a right parenthesis")
	}
	name, ok, err := s.splitProcName(env, t[:open])
	if err != nil {
		return 0, err
	}
	var argTypes []int64
	if body := strings.TrimSpace(t[open+1 : len(t)-1]); body != "" {
		for _, a := range splitArgs(body) {
			o, err := s.RegtypeIn(unquoteType(a))
			if err != nil {
				return 0, err
			}
			argTypes = append(argTypes, o)
		}
	}
	if ok {
		for _, p := range s.procs.byName[name] {
			if slices.Equal(p.argTypes, argTypes) {
				return p.oid, nil
			}
		}
	}
	return 0, pgerror.Newf(pgerror.UndefinedFunction, "function %q does not exist", t)
}

// RegprocedureOut is regprocedure output: the name and argument types.
func (s *System) RegprocedureOut(oid int64) string {
	if oid == 0 {
		return "-"
	}
	if p, ok := s.procByOID(oid); ok {
		return p.signature
	}
	return itoa(oid)
}

// splitArgs splits a list of type names at the commas outside
// parentheses (numeric(10,2)).
func splitArgs(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// unquoteType removes the double quotes of a quoted type name ("any").
func unquoteType(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return s
}

// procFunctions are the catalog functions over pg_proc.
func procFunctions() map[string]*Func {
	byOID := func(get func(p *proc) string) func(*System, *Env, []types.Datum) (types.Datum, error) {
		return func(s *System, _ *Env, a []types.Datum) (types.Datum, error) {
			if p, ok := s.procByOID(i64(a[0])); ok {
				return get(p), nil
			}
			return nil, nil
		}
	}
	regprocT := types.T{Oid: types.OidRegproc, Mod: -1}
	regprocedureT := types.T{Oid: types.OidRegprocedure, Mod: -1}
	return map[string]*Func{
		"pg_get_function_arguments":          {Result: textT, Hints: []types.T{oidT}, MinArgs: 1, MaxArgs: 1, Strict: true, Fn: byOID(func(p *proc) string { return p.args })},
		"pg_get_function_identity_arguments": {Result: textT, Hints: []types.T{oidT}, MinArgs: 1, MaxArgs: 1, Strict: true, Fn: byOID(func(p *proc) string { return p.identArgs })},
		"pg_get_function_result":             {Result: textT, Hints: []types.T{oidT}, MinArgs: 1, MaxArgs: 1, Strict: true, Fn: byOID(func(p *proc) string { return p.result })},
		// The built-in functions have no SQL-standard body.
		"pg_get_function_sqlbody": {Result: textT, Hints: []types.T{oidT}, MinArgs: 1, MaxArgs: 1, Strict: true, Fn: constant(nil)},
		"pg_function_is_visible": {Result: boolT, Hints: []types.T{oidT}, MinArgs: 1, MaxArgs: 1, Strict: true,
			Fn: func(s *System, _ *Env, a []types.Datum) (types.Datum, error) {
				if _, ok := s.procByOID(i64(a[0])); ok {
					return true, nil
				}
				return nil, nil
			}},
		"to_regproc": {Result: regprocT, Hints: []types.T{textT}, MinArgs: 1, MaxArgs: 1, Strict: true,
			Fn: func(s *System, env *Env, a []types.Datum) (types.Datum, error) {
				if o, err := s.RegprocIn(env, str(a[0])); err == nil {
					return o, nil
				}
				return nil, nil
			}},
		"to_regprocedure": {Result: regprocedureT, Hints: []types.T{textT}, MinArgs: 1, MaxArgs: 1, Strict: true,
			Fn: func(s *System, env *Env, a []types.Datum) (types.Datum, error) {
				o, err := s.RegprocedureIn(env, str(a[0]))
				if e, ok := err.(*pgerror.Error); ok && e.Code == pgerror.InvalidTextRepresentation {
					return nil, err // PostgreSQL 15 raises syntax errors
				}
				if err != nil {
					return nil, nil
				}
				return o, nil
			}},
		// has_function_privilege([role,] function, privilege): a function
		// named by text must exist (42883); by OID, NULL when it does not.
		// Every role may execute every function.
		"has_function_privilege": {Result: boolT, Hints: []types.T{textT}, MinArgs: 2, MaxArgs: 3, Strict: true,
			Fn: func(s *System, env *Env, a []types.Datum) (types.Datum, error) {
				switch f := a[len(a)-2].(type) {
				case string:
					if _, err := s.RegprocedureIn(env, f); err != nil {
						return nil, err
					}
				default:
					if _, ok := s.procByOID(i64(f)); !ok {
						return nil, nil
					}
				}
				return true, nil
			}},
	}
}

func init() {
	for name, f := range procFunctions() {
		functions[name] = f
	}
	generators["pg_catalog.pg_proc"] = genProc
	generators["pg_catalog.pg_description"] = genDescription
}
