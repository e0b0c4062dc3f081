package exec

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
)

// checkFromNames fails with 42712 when two items of one FROM list (joins
// without an alias included) go by the same name, as PostgreSQL does:
// FROM t, t is an error, FROM t a, t b is not, and (a JOIN b) AS j hides a
// and b. Two unaliased tables of different schemas may share a name.
func checkFromNames(items []*pg_query.Node) error {
	if name, dup := duplicateFromName(items, false); dup {
		return pgerror.Newf(pgerror.DuplicateAlias, "table name %q specified more than once", name)
	}
	return nil
}

// duplicateFromName is the first name two of items go by (checkFromNames).
// byName: two unaliased tables of different schemas clash too (MERGE's
// target and source).
func duplicateFromName(items []*pg_query.Node, byName bool) (name string, dup bool) {
	type ref struct{ schema string } // schema of an unaliased table; "" otherwise
	seen := map[string]ref{}
	var walk func(n *pg_query.Node) error
	errDup := pgerror.New(pgerror.DuplicateAlias, "duplicate")
	add := func(n string, r ref) error {
		if n == "" {
			return nil
		}
		if prev, ok := seen[n]; ok && (byName || prev.schema == "" || r.schema == "" || prev.schema == r.schema) {
			name = n
			return errDup
		}
		seen[n] = r
		return nil
	}
	walk = func(n *pg_query.Node) error {
		switch v := n.Node.(type) {
		case *pg_query.Node_RangeVar:
			rv := v.RangeVar
			// Name resolution (resolveRangeVar) has rewritten a table of
			// another schema to "schema.name" with an implicit alias of
			// its own name: that is still an unaliased table.
			schema, rel := rv.Schemaname, rv.Relname
			if i := strings.LastIndexByte(rel, '.'); i > 0 && schema == "" {
				schema, rel = rel[:i], rel[i+1:]
			}
			if schema == "" {
				schema = "public"
			}
			if a := rv.Alias; a != nil && !(a.Aliasname == rel && rel != rv.Relname) {
				return add(a.Aliasname, ref{})
			}
			return add(rel, ref{schema: schema})
		case *pg_query.Node_RangeSubselect:
			if a := v.RangeSubselect.Alias; a != nil {
				return add(a.Aliasname, ref{})
			}
		case *pg_query.Node_RangeFunction:
			if a := v.RangeFunction.Alias; a != nil {
				return add(a.Aliasname, ref{})
			}
			if len(v.RangeFunction.Functions) == 1 {
				if l := v.RangeFunction.Functions[0].GetList(); l != nil && len(l.Items) > 0 {
					if fc := l.Items[0].GetFuncCall(); fc != nil && len(fc.Funcname) > 0 {
						return add(fc.Funcname[len(fc.Funcname)-1].GetString_().GetSval(), ref{})
					}
				}
			}
		case *pg_query.Node_JoinExpr:
			if a := v.JoinExpr.Alias; a != nil {
				return add(a.Aliasname, ref{})
			}
			if err := walk(v.JoinExpr.Larg); err != nil {
				return err
			}
			return walk(v.JoinExpr.Rarg)
		}
		return nil
	}
	for _, it := range items {
		if walk(it) != nil {
			return name, true
		}
	}
	return "", false
}
