package exec

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// The array set-returning functions generate_subscripts(array, dim) and
// unnest(array), in FROM and in a SELECT list (through srf.go's srfPlan and
// srfproject.go's ProjectSet); generate_series is srf.go's.

// srfDef is a set-returning function.
// srfColumn names the result column of set-returning functions whose
// column is not named after the function (an OUT parameter).
var srfColumn = map[string]string{"pg_partition_ancestors": "relid"}

type srfDef struct {
	minArg, maxArg int
	hints          []types.T
	result         func(args []*cexpr) (types.T, error)
	gen            func(args []Datum, argT []types.T) ([]Datum, error)
	// cols and colTypes name the columns of a function returning rows
	// (jsonb_each): gen's values are then []Datum rows.
	cols     []string
	colTypes []types.T
	colName  string // the column's name in FROM when not the function's
}

var srfTable = map[string]srfDef{
	// information_schema._pg_expandarray(array) → (x elem, n int4) rows,
	// pgjdbc's getPrimaryKeys/getIndexInfo: the record is its text form
	// under OidRecord with the element type's OID as Mod, read by
	// compileIndirection's field selection.
	"_pg_expandarray": {minArg: 1, maxArg: 1,
		result: func(a []*cexpr) (types.T, error) {
			et, ok := arrayElem(a[0].t)
			if !ok {
				return types.T{}, pgerror.Newf(pgerror.UndefinedFunction, "function _pg_expandarray(%s) does not exist", a[0].t)
			}
			return types.T{Oid: types.OidRecord, Mod: int32(et.Oid)}, nil
		},
		gen: func(a []Datum, argT []types.T) ([]Datum, error) {
			elems, present := arrayElems(a[0])
			out := make([]Datum, len(elems))
			for i, el := range elems {
				x := ""
				if present[i] {
					x = recordField(el)
				}
				out[i] = "(" + x + "," + strconv.Itoa(i+1) + ")"
			}
			return out, nil
		}},
	// pg_partition_ancestors(rel): psql's \d asks it for the foreign keys
	// of a table; without partitioning a relation is its only ancestor.
	"pg_partition_ancestors": {minArg: 1, maxArg: 1, hints: []types.T{types.Regclass},
		result: func([]*cexpr) (types.T, error) { return types.Regclass, nil },
		gen: func(a []Datum, _ []types.T) ([]Datum, error) {
			if a[0] == nil {
				return nil, nil
			}
			return []Datum{a[0]}, nil
		}},
	"generate_subscripts": {minArg: 2, maxArg: 3, hints: []types.T{types.Unknown, types.Int4},
		result: func([]*cexpr) (types.T, error) { return types.Int4, nil },
		gen: func(a []Datum, argT []types.T) ([]Datum, error) {
			arr, err := toArray(a[0], argT[0])
			if err != nil {
				return nil, err
			}
			d := int(i64(a[1]))
			if d < 1 || d > len(arr.Dims) {
				return nil, nil
			}
			lo, n := int64(arr.Lower[d-1]), arr.Dims[d-1]
			out := make([]Datum, n)
			for i := range out {
				out[i] = lo + int64(i)
				if len(a) > 2 && a[2] == true {
					out[i] = lo + int64(n-1-i)
				}
			}
			return out, nil
		}},
	"unnest": {minArg: 1, maxArg: 1,
		result: func(a []*cexpr) (types.T, error) {
			et, ok := arrayElem(a[0].t)
			if !ok {
				return types.T{}, pgerror.Newf(pgerror.UndefinedFunction, "function unnest(%s) does not exist", a[0].t)
			}
			return et, nil
		},
		gen: func(a []Datum, argT []types.T) ([]Datum, error) {
			arr, err := toArray(a[0], argT[0])
			if err != nil {
				return nil, err
			}
			return append([]Datum(nil), arr.Elems...), nil
		}},
}

// srfCall is one set-returning call: its compiled arguments and result.
type srfCall struct {
	def  srfDef
	args []*cexpr
	t    types.T
}

func (c *srfCall) values(e *env, row []Datum) ([]Datum, error) {
	vals := make([]Datum, len(c.args))
	ts := make([]types.T, len(c.args))
	for i, a := range c.args {
		v, err := a.fn(e, row)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, nil // strict: no rows
		}
		vals[i], ts[i] = v, a.t
	}
	return c.def.gen(vals, ts)
}

func (b *builder) compileSRF(s *scope, name string, def srfDef, fc *pg_query.FuncCall) (*srfCall, error) {
	if len(fc.Args) < def.minArg || len(fc.Args) > def.maxArg {
		return nil, b.undefinedFunc(s, name, fc)
	}
	c := &srfCall{def: def}
	for i, a := range fc.Args {
		h := types.Unknown
		if len(def.hints) > 0 {
			h = def.hints[min(i, len(def.hints)-1)]
		}
		x, err := b.compile(s, a, h)
		if err != nil {
			return nil, err
		}
		if x.unknown && h.Oid != types.OidUnknown {
			x = coerce(x, h)
		}
		c.args = append(c.args, x)
	}
	t, err := def.result(c.args)
	if err != nil {
		return nil, err
	}
	c.t = t
	return c, nil
}

// recordField quotes a field of a record's text form when needed.
func recordField(v string) string {
	if v != "" && !strings.ContainsAny(v, `,()"\ `) {
		return v
	}
	return `"` + strings.NewReplacer(`"`, `""`, `\`, `\\`).Replace(v) + `"`
}

// recordFields splits a record's text form "(a,b)" into its fields; the
// bool of each is false for NULL (an empty unquoted field).
func recordFields(s string) ([]string, []bool) {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "("), ")")
	var out []string
	var present []bool
	var cur strings.Builder
	quoted, any := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '"' && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			quoted, any = !quoted, true
		case quoted && c == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			i++
		case !quoted && c == ',':
			out, present = append(out, cur.String()), append(present, any || cur.Len() > 0)
			cur.Reset()
			any = false
		default:
			cur.WriteByte(c)
		}
	}
	return append(out, cur.String()), append(present, any || cur.Len() > 0)
}
