package plan

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
)

// Name resolution of column references, as PostgreSQL's colNameToVar and
// its qualified lookup do: over the columns of the current query's row,
// then those of each enclosing query (a correlated subquery's outer
// references). The result is the bound form of a column reference, a
// Scoped, which the executor compiles into a read of its row.

// ColumnName is a column reference as written: [[schema.]table.]name.
type ColumnName struct {
	Table string // "" when unqualified
	Name  string
}

// ColumnNameOf reads a column reference. ok is false for * and t.*, and
// for names of more than three parts.
func ColumnNameOf(cr *pg_query.ColumnRef) (ref ColumnName, ok bool) {
	f := cr.Fields
	switch len(f) {
	case 1:
		ref.Name = fieldName(f[0])
	case 2:
		ref.Table, ref.Name = fieldName(f[0]), fieldName(f[1])
	case 3:
		ref.Table, ref.Name = fieldName(f[1]), fieldName(f[2])
	}
	return ref, ref.Name != ""
}

func fieldName(n *pg_query.Node) string {
	if s := n.GetString_(); s != nil {
		return s.Sval
	}
	return ""
}

// NamedColumn is what name resolution needs of a column.
type NamedColumn interface {
	// QualName returns the table (or alias) qualifying the column, its
	// name, and whether an unqualified name reaches it (not a side's copy
	// of a JOIN … USING column: the merged column answers to the bare
	// name).
	QualName() (table, name string, bare bool)
}

// Level is the columns of one query level's row.
type Level[C NamedColumn] struct {
	Cols []C
	// Excluded >= 0: Cols from there on are INSERT … ON CONFLICT's
	// EXCLUDED row, reachable only qualified (excluded.c); -1: none.
	Excluded int
}

// Levels returns level d of a scope, 0 being the current query's own row
// and d+1 the query enclosing level d; false past the outermost.
type Levels[C NamedColumn] func(d int) (Level[C], bool)

// Scoped is a resolved column reference: the column at Ordinal in the row
// of the query Depth levels out (0: the current query's own row).
type Scoped struct {
	Depth, Ordinal int
}

// ResolveColumn finds the column ref names, innermost level first: the
// first level with a match decides. Two matches on one level are 42702
// (column reference "a" is ambiguous); none anywhere is 42P01 (missing
// FROM-clause entry for table "t") when no level has table t, else 42703.
// The caller adds the error position.
func ResolveColumn[C NamedColumn](levels Levels[C], ref ColumnName) (Scoped, *pgerror.Error) {
	for d := 0; ; d++ {
		l, ok := levels(d)
		if !ok {
			break
		}
		found := -1
		for i, c := range l.Cols {
			table, name, bare := c.QualName()
			if name != ref.Name || ref.Table != "" && table != ref.Table {
				continue
			}
			if ref.Table == "" && (!bare || l.Excluded >= 0 && i >= l.Excluded) {
				continue
			}
			if found >= 0 {
				return Scoped{}, pgerror.Newf(pgerror.AmbiguousColumn, "column reference %q is ambiguous", ref.Name)
			}
			found = i
		}
		if found >= 0 {
			return Scoped{Depth: d, Ordinal: found}, nil
		}
	}
	switch {
	case ref.Table != "" && !HasTable(levels, ref.Table):
		return Scoped{}, pgerror.Newf(pgerror.UndefinedTable, "missing FROM-clause entry for table %q", ref.Table)
	case ref.Table != "":
		return Scoped{}, pgerror.Newf(pgerror.UndefinedColumn, "column %s.%s does not exist", ref.Table, ref.Name)
	}
	return Scoped{}, pgerror.Newf(pgerror.UndefinedColumn, "column %q does not exist", ref.Name)
}

// HasTable reports whether a column of any level is qualified by table.
func HasTable[C NamedColumn](levels Levels[C], table string) bool {
	for d := 0; ; d++ {
		l, ok := levels(d)
		if !ok {
			return false
		}
		for _, c := range l.Cols {
			if t, _, _ := c.QualName(); t == table {
				return true
			}
		}
	}
}
