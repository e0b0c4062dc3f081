package exec

import (
	"fmt"
	"strconv"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Rows as JSON: row_to_json(record [, pretty]), to_json/to_jsonb(value)
// and json_agg/jsonb_agg(value) accept a whole-row reference (t, t.*) or a
// ROW(…) constructor where PostgreSQL takes a record. There is no record
// type in general: such an argument is bound here, for these functions
// only, as its fields' expressions (recShape names them) whose value is the
// []Datum of the fields. Any other use of a whole-row reference stays an
// error.

// recShape names and types the fields of a record argument.
type recShape struct {
	names []string
	typs  []types.T
}

var recordT = types.T{Oid: types.OidRecord, Mod: -1}

// compileRowValue compiles ROW(…) or (a, b) as a value of type record
// (a *types.Record): its output is PostgreSQL's record_out text.
func (b *builder) compileRowValue(s *scope, re *pg_query.RowExpr) (*cexpr, error) {
	fields := make([]*cexpr, len(re.Args))
	for i, a := range re.Args {
		e, err := b.compile(s, a, types.Unknown)
		if err != nil {
			return nil, err
		}
		if e.unknown {
			e = coerce(e, types.Text)
			e.t, e.unknown = types.Text, false
		}
		fields[i] = e
	}
	return recordValue(fields, "ROW(...)"), nil
}

// recordValue is a record of fields, valued as a *types.Record.
func recordValue(fields []*cexpr, disp string) *cexpr {
	typs := make([]types.T, len(fields))
	names := make([]string, len(fields))
	for i, f := range fields {
		typs[i] = f.t
		names[i] = "f" + strconv.Itoa(i+1)
	}
	e := &cexpr{t: types.RecordType(names, typs), s: disp, colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		out := make([]Datum, len(fields))
		for i, f := range fields {
			v, err := f.fn(en, row)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return &types.Record{Vals: out, Typs: typs}, nil
	}}
	e.foldErr = firstFoldErr(fields)
	return e
}

// asRecordValue turns a record argument (compileWholeRow: a []Datum named
// by rec) into a value of type record.
func asRecordValue(e *cexpr) *cexpr {
	typs := e.rec.typs
	f := e.fn
	return &cexpr{t: types.RecordType(e.rec.names, typs), s: e.s, colIdx: -1, foldErr: e.foldErr, fn: func(en *env, row []Datum) (Datum, error) {
		v, err := f(en, row)
		if err != nil || v == nil {
			return nil, err
		}
		return &types.Record{Vals: v.([]Datum), Typs: typs}, nil
	}}
}

// compileRowArg compiles a function argument that may be a record.
func (b *builder) compileRowArg(s *scope, n *pg_query.Node) (*cexpr, error) {
	e, err := b.compileRowArgOnly(s, n)
	if err != nil || e.rec != nil {
		return e, err
	}
	return shapedRecordArg(e), nil
}

// compileRowArgOnly is compileRowArg but for a record value of known shape.
func (b *builder) compileRowArgOnly(s *scope, n *pg_query.Node) (*cexpr, error) {
	if re := n.GetRowExpr(); re != nil {
		var fields []*cexpr
		var names []string
		for i, a := range re.Args {
			e, err := b.compile(s, a, types.Unknown)
			if err != nil {
				return nil, err
			}
			if e.unknown {
				e = coerce(e, types.Text)
				e.t, e.unknown = types.Text, false
			}
			fields, names = append(fields, e), append(names, "f"+strconv.Itoa(i+1))
		}
		return recordExpr(fields, names, "ROW(...)"), nil
	}
	cr := n.GetColumnRef()
	if cr == nil {
		return b.compile(s, n, types.Unknown)
	}
	var rel string
	switch f := cr.Fields; {
	case len(f) == 1 && f[0].GetString_() != nil:
		e, err := b.compileColumnRefOnly(s, cr)
		if pe := pgerror.As(err); pe == nil || pe.Code != pgerror.UndefinedColumn {
			return e, err
		}
		rel = strVal(f[0])
		if !b.hasRelation(s, rel) {
			return nil, err
		}
	case len(f) == 2 && f[0].GetString_() != nil && f[1].GetAStar() != nil:
		rel = strVal(f[0])
	default:
		return b.compile(s, n, types.Unknown)
	}
	return b.compileWholeRow(s, rel, cr)
}

// compileWholeRow compiles a whole-row reference to the FROM item rel as
// a record argument (fields' values as a []Datum, named by rec).
func (b *builder) compileWholeRow(s *scope, rel string, cr *pg_query.ColumnRef) (*cexpr, error) {
	all, grouped := b.relationCols(s, rel)
	if all == nil {
		return nil, b.errAt(pgerror.Newf(pgerror.UndefinedTable, "missing FROM-clause entry for table %q", rel), cr.Location)
	}
	if grouped {
		// PostgreSQL groups a whole-row reference as one value: it is
		// not in any GROUP BY we accept
		return nil, b.errAt(pgerror.Newf(pgerror.GroupingError, "column %q must appear in the GROUP BY clause or be used in an aggregate function", rel), cr.Location)
	}
	colRef := func(c colInfo) (*cexpr, error) {
		ref := &pg_query.Node{Node: &pg_query.Node_ColumnRef{ColumnRef: &pg_query.ColumnRef{
			Fields: []*pg_query.Node{pg_query.MakeStrNode(rel), pg_query.MakeStrNode(c.name)}, Location: cr.Location}}}
		return b.compile(s, ref, types.Unknown)
	}
	var cols []colInfo
	var nullable bool
	var indicator *colInfo // tells a NULL-extended row from a row of NULLs
	for i, c := range all {
		nullable = nullable || c.nullable
		if c.notNull && indicator == nil {
			indicator = &all[i]
		}
		if !c.hidden {
			cols = append(cols, c)
		}
	}
	if len(cols) == 1 && cols[0].funcScalar {
		return colRef(cols[0]) // a scalar function's row is its value
	}
	var ind *cexpr
	if nullable {
		if indicator == nil {
			return nil, b.errAt(pgerror.Newf(pgerror.FeatureNotSupported, "a whole-row reference to %q, which an outer join may NULL-extend, is not supported", rel), cr.Location)
		}
		var err error
		if ind, err = colRef(*indicator); err != nil {
			return nil, err
		}
	}
	var fields []*cexpr
	var names []string
	for _, c := range cols {
		e, err := colRef(c)
		if err != nil {
			return nil, err
		}
		name := c.name
		if c.origName != "" {
			name = c.origName // a table's row type keeps its column names
		}
		fields, names = append(fields, e), append(names, name)
	}
	r := recordExpr(fields, names, rel)
	if ind != nil {
		inner := r.fn
		r.fn = func(e *env, row []Datum) (Datum, error) {
			v, err := ind.fn(e, row)
			if err != nil || v == nil {
				return nil, err // the row of a NULL-extended relation is NULL
			}
			return inner(e, row)
		}
	}
	return r, nil
}

func recordExpr(fields []*cexpr, names []string, disp string) *cexpr {
	sh := &recShape{names: names}
	for _, f := range fields {
		sh.typs = append(sh.typs, f.t)
	}
	return &cexpr{t: recordT, s: disp, colIdx: -1, rec: sh, fn: func(e *env, row []Datum) (Datum, error) {
		out := make([]Datum, len(fields))
		for i, f := range fields {
			v, err := f.fn(e, row)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}}
}

// relationCols returns the columns of the FROM item named rel in the
// nearest scope that has one (nil when none does), and whether that scope
// is past a GROUP BY or aggregate (the row is then out of reach).
func (b *builder) relationCols(s *scope, rel string) ([]colInfo, bool) {
	for sc := s; sc != nil; sc = sc.parent {
		cols := sc.cols
		if sc.agg != nil {
			cols = sc.agg.in.cols
		}
		var out []colInfo
		merged := map[string]bool{}
		for _, c := range cols {
			if c.table == rel && !c.usingDup {
				merged[c.name] = true
			}
		}
		for _, c := range cols {
			// a USING side's copy is the table's own column, but not a
			// join alias's: that has the merged column instead
			if c.table == rel && !(c.usingDup && merged[c.name]) {
				out = append(out, c)
			}
		}
		found := len(out) > 0
		if found {
			return out, sc.agg != nil
		}
	}
	return nil, false
}

func (b *builder) hasRelation(s *scope, rel string) bool {
	cols, _ := b.relationCols(s, rel)
	return cols != nil
}

// appendJSONValue appends the value of e (d) as to_json writes it.
func appendJSONValue(b []byte, d Datum, e *cexpr) ([]byte, error) {
	if e.rec == nil || d == nil {
		return appendJSONArg(b, d, e.t)
	}
	return appendRowJSON(b, d, e.rec, ",")
}

// appendRowJSON is composite_to_json: {"name":value,…} in field order,
// fields separated by sep ("," or row_to_json's pretty ",\n ").
func appendRowJSON(b []byte, d Datum, sh *recShape, sep string) ([]byte, error) {
	vals, ok := d.([]Datum)
	if !ok || len(vals) != len(sh.names) {
		return nil, pgerror.Newf(pgerror.InternalError, "record value %s does not fit its %d fields", fmt.Sprintf("%T", d), len(sh.names))
	}
	b = append(b, '{')
	for i, v := range vals {
		if i > 0 {
			b = append(b, sep...)
		}
		b = append(types.AppendJSON(b, sh.names[i]), ':')
		var err error
		if b, err = appendJSONArg(b, v, sh.typs[i]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// toJSONValue is toJSON for e's value, a record becoming an object.
func toJSONValue(d Datum, e *cexpr) (any, error) {
	if e.rec == nil || d == nil {
		return toJSON(d, e.t)
	}
	vals := d.([]Datum)
	vs := make([]any, len(vals))
	for i, v := range vals {
		x, err := toJSON(v, e.rec.typs[i])
		if err != nil {
			return nil, err
		}
		vs[i] = x
	}
	return types.NewJSONObject(append([]string(nil), e.rec.names...), vs), nil
}

// compileJSONFunc compiles row_to_json, to_json and to_jsonb, whose first
// argument may be a record.
func (b *builder) compileJSONFunc(s *scope, name string, fc *pg_query.FuncCall) (*cexpr, error) {
	maxArg := 1
	if name == "row_to_json" {
		maxArg = 2
	}
	if len(fc.Args) < 1 || len(fc.Args) > maxArg {
		return nil, b.errAt(pgerror.Newf(pgerror.UndefinedFunction, "function %s with %d arguments does not exist", name, len(fc.Args)), fc.Location)
	}
	arg, err := b.compileRowArg(s, fc.Args[0])
	if err != nil {
		return nil, err
	}
	if arg.unknown {
		return nil, errPolyUnknown()
	}
	var pretty *cexpr
	if len(fc.Args) == 2 {
		if pretty, err = b.compile(s, fc.Args[1], types.Bool); err != nil {
			return nil, err
		}
		if pretty.t.Family() != types.FamBool && !pretty.unknown {
			return nil, b.errAt(pgerror.Newf(pgerror.UndefinedFunction, "function row_to_json(%s, %s) does not exist", arg.t, pretty.t), fc.Location)
		}
		pretty = coerce(pretty, types.Bool)
	}
	if name == "row_to_json" && arg.rec == nil {
		return nil, b.errAt(pgerror.Newf(pgerror.UndefinedFunction, "function row_to_json(%s) does not exist", arg.t).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts."), fc.Location)
	}
	t := types.JSON
	if name == "to_jsonb" {
		t = types.JSONB
	}
	return &cexpr{t: t, s: name + "(" + arg.s + ")", colIdx: -1, fn: func(e *env, row []Datum) (Datum, error) {
		v, err := arg.fn(e, row)
		if err != nil || v == nil {
			return nil, err
		}
		if name == "to_jsonb" {
			x, err := toJSONValue(v, arg)
			if err != nil {
				return nil, err
			}
			return types.JSONText(x), nil
		}
		sep := ","
		if pretty != nil {
			p, err := pretty.fn(e, row)
			if err != nil {
				return nil, err
			}
			if p == nil {
				return nil, nil
			}
			if p == true {
				sep = ",\n "
			}
		}
		if arg.rec != nil {
			out, err := appendRowJSON(nil, v, arg.rec, sep)
			return string(out), err
		}
		out, err := appendJSONArg(nil, v, arg.t)
		return string(out), err
	}}, nil
}
