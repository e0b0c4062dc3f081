package exec

import (
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// json_agg(value) and json_object_agg(key, value) build json text as
// PostgreSQL's json_agg_transfn/json_object_agg_transfn write it: elements
// separated by ", " ("\n " more before an array or row element after the
// first row), pairs written "{ key : value, … }"; NULL values are kept
// (null), a NULL key is 22023; a group without rows is NULL. The jsonb
// forms are jsonfuncs.go's.

// jsonStructured reports whether values of t are written as structured
// JSON (arrays and rows), which json_agg puts on a new line.
func jsonStructured(e *cexpr) bool { return e.t.IsArray() || e.rec != nil }

func finishJSONTextAgg(a *aggSpec, st *aggState) (Datum, error) {
	if len(st.items) == 0 {
		return nil, nil
	}
	sortItems(a, st)
	sortDistinct(a, st)
	var err error
	if a.name == "json_agg" {
		b := []byte{'['}
		for i, it := range st.items {
			if i > 0 {
				b = append(b, ", "...)
				if it.val != nil && jsonStructured(a.arg) {
					b = append(b, "\n "...)
				}
			}
			if b, err = appendJSONValue(b, it.val, a.arg); err != nil {
				return nil, err
			}
		}
		return string(append(b, ']')), nil
	}
	b := []byte("{ ")
	for i, it := range st.items {
		if it.val == nil {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "field name must not be null")
		}
		if i > 0 {
			b = append(b, ", "...)
		}
		ks, err := jsonKey(it.val, a.arg.t)
		if err != nil {
			return nil, err
		}
		b = append(types.AppendJSON(b, ks), " : "...)
		if b, err = appendJSONValue(b, it.sep, a.sep); err != nil {
			return nil, err
		}
	}
	return string(append(b, " }"...)), nil
}
