package pgcatalog

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Func is a catalog function. Fn is called with NULL arguments only when
// Strict is false.
type Func struct {
	Result  types.T
	Hints   []types.T // argument types for untyped literals (last repeats)
	MinArgs int
	MaxArgs int
	Strict  bool
	// Volatile functions read session or node state and are never folded
	// at plan time.
	Volatile bool
	// ReadsData functions measure what the storage holds (the pg_*_size
	// family): the engine asks its Config.TableReads before each call, as
	// before a statement on a table, so a fenced primary refuses them.
	ReadsData bool
	Fn        func(s *System, env *Env, args []types.Datum) (types.Datum, error)
}

var (
	oidT   = types.Oid4
	textT  = types.Text
	nameT  = types.Name
	boolT  = types.Bool
	int4T  = types.Int4
	int8T  = types.Int8
	regcls = types.Regclass
)

// Function returns the catalog function name (lower case, unqualified).
func (s *System) Function(name string) (*Func, bool) {
	f, ok := functions[name]
	return f, ok
}

func i64(d types.Datum) int64 {
	switch v := d.(type) {
	case int64:
		return v
	case string:
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return n
	}
	return 0
}

func str(d types.Datum) string {
	if v, ok := d.(string); ok {
		return v
	}
	if d == nil {
		return ""
	}
	return fmt.Sprint(d)
}

func constant(v types.Datum) func(*System, *Env, []types.Datum) (types.Datum, error) {
	return func(*System, *Env, []types.Datum) (types.Datum, error) { return v, nil }
}

// privilege functions: every role may do everything (roles carry no
// grants yet).
var privilege = &Func{Result: boolT, Hints: []types.T{textT}, MinArgs: 2, MaxArgs: 4, Strict: true, Fn: constant(true)}

var functions = map[string]*Func{
	"format_type": {Result: textT, Hints: []types.T{oidT, int4T}, MinArgs: 2, MaxArgs: 2,
		Fn: func(_ *System, _ *Env, a []types.Datum) (types.Datum, error) {
			if a[0] == nil {
				return nil, nil
			}
			return formatType(i64(a[0]), i64(a[1]), a[1] != nil), nil
		}},
	"pg_get_userbyid": {Result: nameT, Hints: []types.T{oidT}, MinArgs: 1, MaxArgs: 1, Strict: true,
		Fn: func(s *System, env *Env, a []types.Datum) (types.Datum, error) {
			return s.roleName(env, i64(a[0])), nil
		}},
	"pg_table_is_visible": {Result: boolT, Hints: []types.T{oidT}, MinArgs: 1, MaxArgs: 1, Strict: true, Fn: visible},
	"pg_type_is_visible":  {Result: boolT, Hints: []types.T{oidT}, MinArgs: 1, MaxArgs: 1, Strict: true, Fn: constant(true)},
	"pg_get_expr": {Result: textT, Hints: []types.T{textT, oidT, boolT}, MinArgs: 2, MaxArgs: 3, Strict: true,
		Fn: func(_ *System, _ *Env, a []types.Datum) (types.Datum, error) {
			x := str(a[0])
			if len(a) > 2 && a[2] == true {
				// The pretty form drops the parentheses of a cast of a cast.
				if lit, ok := strings.CutPrefix(x, "nextval(("); ok {
					if lit, ok := strings.CutSuffix(lit, ")::regclass)"); ok {
						return "nextval(" + lit + "::regclass)", nil
					}
				}
			}
			return x, nil
		}},
	"pg_get_indexdef": {Result: textT, Hints: []types.T{oidT, int4T, boolT}, MinArgs: 1, MaxArgs: 3, Strict: true,
		Fn: func(s *System, env *Env, a []types.Datum) (types.Datum, error) {
			ix, ok := findIndex(env, i64(a[0]))
			if !ok {
				return nil, nil
			}
			if len(a) > 1 && i64(a[1]) > 0 {
				c := int(i64(a[1])) - 1
				if c >= len(ix.cols) {
					return "", nil
				}
				return parser.QuoteIdent(ix.table.Columns[ix.cols[c]].Name), nil
			}
			return indexDef(env.Cat, ix, len(a) > 2 && a[2] == true), nil
		}},
	"pg_get_constraintdef": {Result: textT, Hints: []types.T{oidT, boolT}, MinArgs: 1, MaxArgs: 2, Strict: true,
		Fn: func(s *System, env *Env, a []types.Datum) (types.Datum, error) {
			if c, ok := findConRow(env.Cat, i64(a[0])); ok {
				return conDef(env.Cat, c, len(a) > 1 && a[1] == true), nil
			}
			ix, ok := findIndex(env, i64(a[0]))
			if !ok || !ix.constraint {
				return nil, nil
			}
			return constraintDef(ix), nil
		}},
	"pg_get_serial_sequence": {Result: textT, Hints: []types.T{textT}, MinArgs: 2, MaxArgs: 2, Strict: true,
		Fn: func(s *System, env *Env, a []types.Datum) (types.Datum, error) {
			var t *catalog.Table
			if oid, ok := s.relOID(env, str(a[0])); ok {
				t = tableByOID(env.Cat, oid)
			}
			if t == nil {
				return nil, pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", str(a[0]))
			}
			i := t.ColumnIndex(str(a[1]))
			if i < 0 || t.Columns[i].Hidden {
				return nil, pgerror.Newf(pgerror.UndefinedColumn, "column %q of relation %q does not exist", str(a[1]), t.Name)
			}
			if name := defaultSequence(env.Cat, &t.Columns[i]); name != "" {
				schema, rel := env.Cat.SplitName(name)
				return parser.QuoteIdent(schema) + "." + parser.QuoteIdent(rel), nil
			}
			return nil, nil
		}},
	"obj_description":   {Result: textT, Hints: []types.T{oidT, nameT}, MinArgs: 1, MaxArgs: 2, Strict: true, Fn: objDescription},
	"col_description":   {Result: textT, Hints: []types.T{oidT, int4T}, MinArgs: 2, MaxArgs: 2, Fn: constant(nil)},
	"shobj_description": {Result: textT, Hints: []types.T{oidT, nameT}, MinArgs: 2, MaxArgs: 2, Fn: constant(nil)},
	"pg_encoding_to_char": {Result: nameT, Hints: []types.T{int4T}, MinArgs: 1, MaxArgs: 1, Strict: true,
		Fn: func(_ *System, _ *Env, a []types.Datum) (types.Datum, error) {
			switch i64(a[0]) {
			case 0:
				return "SQL_ASCII", nil
			case encodingUTF8:
				return "UTF8", nil
			}
			return "", nil
		}},
	"pg_char_to_encoding": {Result: int4T, Hints: []types.T{nameT}, MinArgs: 1, MaxArgs: 1, Strict: true,
		Fn: func(_ *System, _ *Env, a []types.Datum) (types.Datum, error) {
			switch strings.ToUpper(str(a[0])) {
			case "UTF8", "UTF-8", "UNICODE":
				return int64(encodingUTF8), nil
			case "SQL_ASCII":
				return int64(0), nil
			}
			return int64(-1), nil
		}},
	"pg_size_pretty": {Result: textT, Hints: []types.T{int8T}, MinArgs: 1, MaxArgs: 1, Strict: true,
		Fn: func(_ *System, _ *Env, a []types.Datum) (types.Datum, error) { return sizePretty(i64(a[0])), nil }},
	"pg_relation_size":       {Result: int8T, ReadsData: true, Hints: []types.T{regcls, textT}, MinArgs: 1, MaxArgs: 2, Strict: true, Volatile: true, Fn: relSize(true, false)},
	"pg_total_relation_size": {Result: int8T, ReadsData: true, Hints: []types.T{regcls}, MinArgs: 1, MaxArgs: 1, Strict: true, Volatile: true, Fn: relSize(true, true)},
	"pg_table_size":          {Result: int8T, ReadsData: true, Hints: []types.T{regcls}, MinArgs: 1, MaxArgs: 1, Strict: true, Volatile: true, Fn: relSize(true, false)},
	"pg_indexes_size":        {Result: int8T, ReadsData: true, Hints: []types.T{regcls}, MinArgs: 1, MaxArgs: 1, Strict: true, Volatile: true, Fn: relSize(false, true)},
	"pg_database_size":       {Result: int8T, ReadsData: true, Hints: []types.T{nameT}, MinArgs: 1, MaxArgs: 1, Strict: true, Volatile: true, Fn: databaseSize},
	"pg_cancel_backend":      {Result: boolT, Hints: []types.T{int4T}, MinArgs: 1, MaxArgs: 1, Strict: true, Volatile: true, Fn: signal(false)},
	"pg_terminate_backend":   {Result: boolT, Hints: []types.T{int4T, int8T}, MinArgs: 1, MaxArgs: 2, Strict: true, Volatile: true, Fn: signal(true)},
	"quote_ident": {Result: textT, Hints: []types.T{textT}, MinArgs: 1, MaxArgs: 1, Strict: true,
		Fn: func(_ *System, _ *Env, a []types.Datum) (types.Datum, error) {
			return parser.QuoteIdent(str(a[0])), nil
		}},
	"array_to_string": {Result: textT, Hints: []types.T{textT}, MinArgs: 2, MaxArgs: 3,
		Fn: func(_ *System, _ *Env, a []types.Datum) (types.Datum, error) {
			if a[0] == nil || a[1] == nil {
				return nil, nil
			}
			return arrayToString(str(a[0]), str(a[1]), a[2:]), nil
		}},
	"current_schemas": {Result: types.T{Oid: types.OidNameArray, Mod: -1}, Hints: []types.T{boolT}, MinArgs: 1, MaxArgs: 1, Strict: true, Volatile: true, // reads search_path: not folded
		Fn: func(_ *System, env *Env, a []types.Datum) (types.Datum, error) {
			return currentSchemas(env, a[0] == true), nil
		}},
	"has_table_privilege":      privilege,
	"has_column_privilege":     privilege,
	"has_schema_privilege":     privilege,
	"has_database_privilege":   privilege,
	"has_sequence_privilege":   privilege,
	"has_any_column_privilege": privilege,
	"pg_has_role":              privilege,
	"pg_get_viewdef": {Result: textT, Hints: []types.T{oidT, boolT}, MinArgs: 1, MaxArgs: 2, Strict: true,
		Fn: func(s *System, env *Env, a []types.Datum) (types.Datum, error) {
			for _, v := range env.Cat.Views {
				if int64(v.OID) == i64(a[0]) {
					return viewDef(v), nil
				}
			}
			return nil, nil
		}},
	"pg_get_triggerdef":               {Result: textT, Hints: []types.T{oidT, boolT}, MinArgs: 1, MaxArgs: 2, Strict: true, Fn: constant(nil)},
	"pg_get_partkeydef":               {Result: textT, Hints: []types.T{oidT}, MinArgs: 1, MaxArgs: 1, Strict: true, Fn: constant(nil)},
	"pg_get_statisticsobjdef_columns": {Result: textT, Hints: []types.T{oidT}, MinArgs: 1, MaxArgs: 1, Strict: true, Fn: constant(nil)},
	"pg_relation_is_publishable":      {Result: boolT, Hints: []types.T{regcls}, MinArgs: 1, MaxArgs: 1, Strict: true, Fn: constant(true)},
	"pg_is_other_temp_schema": {Result: boolT, Hints: []types.T{oidT}, MinArgs: 1, MaxArgs: 1, Strict: true, Volatile: true,
		Fn: func(s *System, env *Env, a []types.Datum) (types.Datum, error) {
			oid := i64(a[0])
			if oid == myTempSchema(env.Cat) || s.cfg.TempSchema == nil || oid < 0 || oid > math.MaxUint32 {
				return false, nil
			}
			return s.cfg.TempSchema(uint32(oid)), nil
		}},
	"pg_my_temp_schema": {Result: oidT, MinArgs: 0, MaxArgs: 0, Volatile: true, // the session's: not folded
		Fn: func(_ *System, env *Env, _ []types.Datum) (types.Datum, error) { return myTempSchema(env.Cat), nil }},
	"to_regclass": {Result: regcls, Hints: []types.T{textT}, MinArgs: 1, MaxArgs: 1, Strict: true,
		Fn: func(s *System, env *Env, a []types.Datum) (types.Datum, error) {
			if o, ok := s.relOID(env, str(a[0])); ok {
				return int64(o), nil
			}
			return nil, nil
		}},
	"to_regnamespace": {Result: types.T{Oid: types.OidRegnamespace, Mod: -1}, Hints: []types.T{textT}, MinArgs: 1, MaxArgs: 1, Strict: true,
		Fn: func(s *System, env *Env, a []types.Datum) (types.Datum, error) {
			if o, ok := s.namespaceOID(env, identIn(str(a[0]))); ok {
				return o, nil
			}
			return nil, nil
		}},
	"to_regtype": {Result: types.Regtype, Hints: []types.T{textT}, MinArgs: 1, MaxArgs: 1, Strict: true,
		Fn: func(s *System, env *Env, a []types.Datum) (types.Datum, error) {
			if o, err := s.RegtypeIn(str(a[0])); err == nil {
				return s.RegtypeOut(o), nil
			}
			return nil, nil
		}},
	"to_regrole": {Result: types.T{Oid: types.OidRegrole, Mod: -1}, Hints: []types.T{textT}, MinArgs: 1, MaxArgs: 1, Strict: true,
		Fn: func(s *System, env *Env, a []types.Datum) (types.Datum, error) {
			if o, ok := s.roleOID(env, identIn(str(a[0]))); ok {
				return o, nil
			}
			return nil, nil
		}},
}

// currentSchemas is current_schemas(implicit): the schemas of search_path
// that exist, in order; with implicit, pg_catalog first unless the path
// names it somewhere itself (PostgreSQL's rule).
func currentSchemas(env *Env, implicit bool) string {
	path := searchPath(env)
	if implicit && !slices.Contains(path, "pg_catalog") {
		path = append([]string{"pg_catalog"}, path...)
	}
	vals := make([]types.Datum, len(path))
	for i, s := range path {
		vals[i] = s
	}
	return FormatArray(vals, nameT)
}

func visible(s *System, env *Env, a []types.Datum) (types.Datum, error) {
	schema, _, ok := s.relName(env.Cat, i64(a[0]))
	return ok && schemaVisible(env, schema), nil
}

// schemaVisible reports whether the relations of schema are found by
// unqualified names: pg_catalog and the session's temporary schema
// always, another schema when it is on search_path.
func schemaVisible(env *Env, schema string) bool {
	if schema == "pg_catalog" || len(env.Cat.Schemas) == 0 && schema == "public" || strings.HasPrefix(schema, TempSchemaPrefix) {
		return true
	}
	return slices.Contains(searchPath(env), schema)
}

// searchPath is the session's search_path: the schemas that exist, in
// order.
func searchPath(env *Env) []string {
	var p, user string
	if env.Vars != nil {
		p, _ = env.Vars.Get("search_path")
		user, _ = env.Vars.Get("session_authorization")
	}
	return env.Cat.SearchPath(p, user)
}

// signal is pg_cancel_backend / pg_terminate_backend: false when no
// backend has pid; PostgreSQL's privilege rule otherwise (a superuser may
// signal any backend, another role only its own role's backends, never a
// superuser's: 42501).
func signal(terminate bool) func(*System, *Env, []types.Datum) (types.Datum, error) {
	return func(s *System, env *Env, a []types.Datum) (types.Datum, error) {
		if s.cfg.Signal == nil || s.cfg.Activity == nil {
			return false, nil
		}
		pid := int(i64(a[0]))
		acts := s.cfg.Activity()
		i := slices.IndexFunc(acts, func(b Backend) bool { return b.PID == pid })
		if i < 0 {
			// PostgreSQL's warning (a loop over pids goes on). Through
			// heliosdb-proxy this is the answer for the pid the client saw
			// in BackendKeyData: the proxy's, not a backend's (as with
			// pgbouncer; docs/proxy.md, "Cancelling").
			if n, ok := env.Vars.(interface{ Notice(*pgerror.Error) }); ok {
				n.Notice(&pgerror.Error{Code: pgerror.Warning, Severity: pgerror.SeverityWarning,
					Message: fmt.Sprintf("PID %d is not a PostgreSQL backend process", pid)})
			}
			return false, nil
		}
		if err := s.maySignal(env, acts[i].User, terminate); err != nil {
			return nil, err
		}
		return s.cfg.Signal(pid, terminate), nil
	}
}

// maySignal applies PostgreSQL's rule for signalling a backend of target.
func (s *System) maySignal(env *Env, target string, terminate bool) error {
	var caller, super string
	if env.Vars != nil {
		caller, _ = env.Vars.Get("session_authorization")
		super, _ = env.Vars.Get("is_superuser")
	}
	if super == "on" {
		return nil
	}
	what, whose := "cancel superuser query", "query is being canceled"
	if terminate {
		what, whose = "terminate superuser process", "process is being terminated"
	}
	for _, r := range s.roles(env) {
		if r.Name == target && r.Super {
			return pgerror.New(pgerror.InsufficientPrivilege, "must be a superuser to "+what)
		}
	}
	if caller != target {
		return pgerror.New(pgerror.InsufficientPrivilege, "must be a member of the role whose "+whose+" or member of pg_signal_backend")
	}
	return nil
}

// findIndex finds the index (or primary key) with oid.
func findIndex(env *Env, oid int64) (index, bool) {
	for _, t := range env.Cat.Tables {
		for _, ix := range indexes(t) {
			if int64(ix.oid) == oid {
				return ix, true
			}
		}
	}
	return index{}, false
}

// sizePretty is pg_size_pretty(bigint), PostgreSQL's algorithm: below
// 10 kB in bytes, then each unit while the value stays below 20 × 1024 of
// it, halves rounded away from zero.
func sizePretty(n int64) string {
	const limit, limit2 = 10 * 1024, 20*1024 - 1
	abs := func(v int64) int64 {
		if v < 0 {
			return -v
		}
		return v
	}
	half := func(v int64) int64 {
		if v < 0 {
			return (v - 1) / 2
		}
		return (v + 1) / 2
	}
	if abs(n) < limit {
		return itoa(n) + " bytes"
	}
	v := n >> 9 // one extra bit for rounding
	for _, u := range []string{"kB", "MB", "GB", "TB"} {
		if abs(v) < limit2 {
			return itoa(half(v)) + " " + u
		}
		v >>= 10
	}
	return itoa(half(v)) + " PB"
}

// arrayToString is array_to_string over an array's text form.
func arrayToString(arr, sep string, null []types.Datum) string {
	arr = strings.TrimSpace(arr)
	if !strings.HasPrefix(arr, "{") || !strings.HasSuffix(arr, "}") {
		return arr
	}
	body := arr[1 : len(arr)-1]
	if body == "" {
		return ""
	}
	var out []string
	var cur strings.Builder
	inQ, quoted := false, false
	flush := func() {
		v := cur.String()
		cur.Reset()
		if !quoted && strings.EqualFold(v, "NULL") {
			if len(null) > 0 && null[0] != nil {
				out = append(out, str(null[0]))
			}
		} else {
			out = append(out, v)
		}
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
	return strings.Join(out, sep)
}

// DisplayDefault renders a column's DEFAULT (stored as the SQL text of the
// expression) as PostgreSQL's pg_get_expr prints the analysed expression:
// literals carry the cast to the column type (’x’::text, '0'::bigint),
// integer literals of integer columns do not, nextval's argument is a
// regclass, printed as regclass output prints it: bare when the sequence
// is in public or the session's temporary schema (c's), else qualified.
// nextval('s'::text), looked up at each call, prints as PostgreSQL's
// analysed expression does (('s'::text)::regclass; pg_get_expr's pretty
// form drops the inner parentheses).
func DisplayDefault(def string, t types.T, c *catalog.Catalog) string {
	d := strings.TrimSpace(def)
	if seq, ok := strings.CutPrefix(d, "nextval('"); ok {
		if lit, ok := strings.CutSuffix(seq, "')"); ok && !strings.Contains(lit, "'") {
			return "nextval('" + displaySeq(lit, c) + "'::regclass)"
		}
		if lit, ok := strings.CutSuffix(seq, "'::text)"); ok && !strings.Contains(lit, "'") {
			return "nextval(('" + lit + "'::text)::regclass)"
		}
	}
	lit, isString := stringLiteral(d)
	if !isString {
		if isNumber(d) {
			// A numeric literal keeps its own type (integer, bigint or
			// numeric); the implicit cast to the column type is not
			// printed.
			name := "numeric"
			if !strings.Contains(d, ".") {
				if n, err := strconv.ParseInt(d, 10, 64); err == nil {
					name = "bigint"
					if n >= -1<<31 && n < 1<<31 {
						name = "integer"
					}
				}
			}
			if strings.HasPrefix(d, "-") || name == "bigint" {
				return "'" + d + "'::" + name
			}
			return d
		}
		switch strings.ToLower(d) {
		case "true", "false":
			return strings.ToLower(d)
		}
		return d
	}
	switch t.Oid {
	case types.OidBool:
		if v, err := types.ParseText(types.Bool, lit); err == nil {
			if v == true {
				return "true"
			}
			return "false"
		}
	}
	name := castName(t)
	return "'" + strings.ReplaceAll(lit, "'", "''") + "'::" + name
}

// defaultSequence is the catalog name of the sequence of a
// "nextval('s')" default: the one it is bound to (Column.DefaultSeqs), or
// the one it names in a descriptor older than the bindings; "" if none.
func defaultSequence(c *catalog.Catalog, col *catalog.Column) string {
	lit, ok := strings.CutPrefix(col.Default, "nextval('")
	if !ok {
		return ""
	}
	if len(col.DefaultSeqs) > 0 {
		for name, sq := range c.Sequences {
			if sq.ID == col.DefaultSeqs[0] {
				return name
			}
		}
		return ""
	}
	lit = strings.TrimSuffix(lit, "')")
	if parts := SplitQualified(lit); len(parts) == 2 {
		return catalog.QualifiedName(parts[0], parts[1])
	}
	return lit
}

// displaySeq is the regclass output of the sequence a default's literal
// names.
func displaySeq(lit string, c *catalog.Catalog) string {
	parts := SplitQualified(lit)
	if len(parts) == 2 && (parts[0] == "public" || parts[0] == myTempSchemaName(c)) {
		parts = parts[1:]
	}
	for i, p := range parts {
		parts[i] = parser.QuoteIdent(p)
	}
	return strings.Join(parts, ".")
}

// castName is the type name PostgreSQL's deparser puts after :: (no
// length modifier for character types).
func castName(t types.T) string {
	switch t.Oid {
	case types.OidVarchar:
		return "character varying"
	case types.OidBpchar:
		return "bpchar"
	case types.OidNumeric:
		return "numeric"
	}
	return formatType(int64(t.Oid), int64(t.Mod), true)
}

func stringLiteral(s string) (string, bool) {
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return "", false
	}
	body := s[1 : len(s)-1]
	if strings.Contains(strings.ReplaceAll(body, "''", ""), "'") {
		return "", false
	}
	return strings.ReplaceAll(body, "''", "'"), true
}

func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	dot := false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return true
}

// RegclassOut is regclass output: the relation's name (qualified when not
// visible on the search path), or the number when there is none.
func (s *System) RegclassOut(env *Env, oid int64) string {
	schema, name, ok := s.relName(env.Cat, oid)
	if !ok {
		return itoa(oid)
	}
	if !schemaVisible(env, schema) {
		return parser.QuoteIdent(schema) + "." + parser.QuoteIdent(name)
	}
	return parser.QuoteIdent(name)
}

// RegclassIn is regclass input: a relation name (or a number) to its OID;
// 42P01 when there is no such relation.
func (s *System) RegclassIn(env *Env, text string) (int64, error) {
	if n, err := strconv.ParseUint(strings.TrimSpace(text), 10, 32); err == nil {
		return int64(n), nil
	}
	o, ok := s.relOID(env, text)
	if !ok {
		return 0, pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", text)
	}
	return int64(o), nil
}

// RegtypeOut is regtype output: format_type's name.
func (s *System) RegtypeOut(oid int64) string { return formatType(oid, -1, false) }

// RegtypeIn is regtype input: a type name to its OID; 42704 when unknown.
func (s *System) RegtypeIn(text string) (int64, error) {
	if n, err := strconv.ParseUint(strings.TrimSpace(text), 10, 32); err == nil {
		return int64(n), nil
	}
	name := strings.ToLower(strings.TrimSpace(text))
	name = strings.TrimPrefix(name, "pg_catalog.")
	if t, err := types.ParseTypeName(name, nil); err == nil {
		return int64(t.Oid), nil
	}
	for _, r := range builtinRows["pg_catalog.pg_type"] {
		if r[1] == name {
			n, _ := strconv.ParseInt(r[0], 10, 64)
			return n, nil
		}
	}
	return 0, pgerror.Newf(pgerror.UndefinedObject, "type %q does not exist", text)
}

// RegnamespaceOut is regnamespace output: the schema's name, or the
// number when there is none.
func (s *System) RegnamespaceOut(env *Env, oid int64) string {
	switch oid {
	case NamespacePgCatalog:
		return "pg_catalog"
	case NamespacePublic:
		return "public"
	case NamespaceInfoSchema:
		return "information_schema"
	case NamespaceToast:
		return "pg_toast"
	}
	for _, sc := range env.Cat.Schemas {
		if int64(sc.OID) == oid {
			return parser.QuoteIdent(sc.Name)
		}
	}
	return itoa(oid)
}

// RegnamespaceIn is regnamespace input: a schema name or a number to its OID; 3F000 when there is
// no such schema.
func (s *System) RegnamespaceIn(env *Env, text string) (int64, error) {
	return regIn(text, func(name string) (int64, bool) { return s.namespaceOID(env, name) },
		pgerror.InvalidSchemaName, "schema %q does not exist")
}

// regIn is the input function of an OID alias type whose objects are
// named by one identifier: a number is the OID itself, a name (identIn)
// is looked up, and an unknown one is code with msg.
func regIn(text string, lookup func(name string) (int64, bool), code pgerror.Code, msg string) (int64, error) {
	if n, err := strconv.ParseUint(strings.TrimSpace(text), 10, 32); err == nil {
		return int64(n), nil
	}
	name := identIn(text)
	if o, ok := lookup(name); ok {
		return o, nil
	}
	return 0, pgerror.Newf(code, msg, name)
}

// namespaceOID is the OID of the schema named name.
func (s *System) namespaceOID(env *Env, name string) (int64, bool) {
	for _, o := range []int64{NamespacePgCatalog, NamespacePublic, NamespaceInfoSchema, NamespaceToast} {
		if s.RegnamespaceOut(env, o) == name {
			return o, true
		}
	}
	if sc := env.Cat.Schemas[name]; sc != nil {
		return int64(sc.OID), true
	}
	return 0, false
}

// identIn is an identifier as the reg* types' input reads it: a double-
// quoted one as written (doubled quotes undone), another folded to lower
// case.
func identIn(text string) string {
	t := strings.TrimSpace(text)
	if len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' {
		return strings.ReplaceAll(t[1:len(t)-1], `""`, `"`)
	}
	return strings.ToLower(t)
}

// RegroleOut is regrole output.
func (s *System) RegroleOut(env *Env, oid int64) string { return s.roleName(env, oid) }

// RegroleIn is regrole input.
func (s *System) RegroleIn(env *Env, text string) (int64, error) {
	return regIn(text, func(name string) (int64, bool) { return s.roleOID(env, name) },
		pgerror.UndefinedObject, "role %q does not exist")
}

// roleOID is the OID of the role named name.
func (s *System) roleOID(env *Env, name string) (int64, bool) {
	for _, r := range s.roles(env) {
		if r.Name == name {
			return int64(r.OID), true
		}
	}
	return 0, false
}
