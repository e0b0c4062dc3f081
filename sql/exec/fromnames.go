package exec

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
)

// checkFromNames fails with 42712 when two items of one FROM list (joins
// without an alias included) go by the same name, as PostgreSQL does:
// FROM t, t is an error, FROM t a, t b is not, and (a JOIN b) AS j hides a
// and b. Two unaliased tables of different schemas may share a name.
func checkFromNames(items []*pg_query.Node) error {
	type ref struct{ schema string } // schema of an unaliased table; "" otherwise
	seen := map[string]ref{}
	var walk func(n *pg_query.Node) error
	add := func(name string, r ref) error {
		if name == "" {
			return nil
		}
		if prev, ok := seen[name]; ok && (prev.schema == "" || r.schema == "" || prev.schema == r.schema) {
			return pgerror.Newf(pgerror.DuplicateAlias, "table name %q specified more than once", name)
		}
		seen[name] = r
		return nil
	}
	walk = func(n *pg_query.Node) error {
		switch v := n.Node.(type) {
		case *pg_query.Node_RangeVar:
			if a := v.RangeVar.Alias; a != nil {
				return add(a.Aliasname, ref{})
			}
			schema := v.RangeVar.Schemaname
			if schema == "" {
				schema = "public"
			}
			return add(v.RangeVar.Relname, ref{schema: schema})
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
		if err := walk(it); err != nil {
			return err
		}
	}
	return nil
}
