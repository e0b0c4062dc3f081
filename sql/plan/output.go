package plan

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
)

// The output shape of a SELECT: what each ORDER BY, DISTINCT ON and GROUP
// BY item names, the direction and NULLS order of each sort key, the kind
// of DISTINCT, whether the primary key order of a scan makes a sort
// unnecessary, and the order in which the output operators stack. The exec
// builder compiles the expressions; the decisions are taken here.

// ItemKind is how an ORDER BY, DISTINCT ON or GROUP BY item is written,
// which decides what it refers to (PostgreSQL's findTargetlistEntrySQL92).
type ItemKind uint8

const (
	// ItemExpr is any other expression, evaluated over the input rows.
	ItemExpr ItemKind = iota
	// ItemPosition is an integer constant: a 1-based select-list position.
	ItemPosition
	// ItemName is a bare, unqualified name: an output column name or alias,
	// or (in GROUP BY, first) an input column.
	ItemName
)

// Item is the shape of one ORDER BY, DISTINCT ON or GROUP BY item.
type Item struct {
	Kind     ItemKind
	Position int    // ItemPosition: as written (may be out of range)
	Name     string // ItemName
	Loc      int32  // ItemPosition: parse location of the constant, for errors
}

// ItemOf classifies a sort or grouping expression.
func ItemOf(n *pg_query.Node) Item {
	if c := n.GetAConst(); c != nil {
		if iv, ok := c.Val.(*pg_query.A_Const_Ival); ok {
			return Item{Kind: ItemPosition, Position: int(iv.Ival.Ival), Loc: c.Location}
		}
	}
	if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) == 1 {
		if s := cr.Fields[0].GetString_(); s != nil {
			return Item{Kind: ItemName, Name: s.Sval}
		}
	}
	return Item{Kind: ItemExpr}
}

// ResolveOrderItem decides what an ORDER BY or DISTINCT ON item (clause
// names which, for errors) sorts by, as PostgreSQL's
// findTargetlistEntrySQL92 does: a position among the visible output
// columns (names: their names, * counted as the columns it expands to), a
// bare name of a visible output column, or -1 for an expression the
// caller compiles over the input and appends as a hidden column. A name
// carried by two output columns that are not the same expression (same(i,
// j) answers) is ambiguous (42702); a position outside the select list is
// 42P10. The caller adds the error position (item.Loc).
func ResolveOrderItem(clause string, it Item, names []string, same func(i, j int) bool) (int, *pgerror.Error) {
	switch it.Kind {
	case ItemPosition:
		if it.Position < 1 || it.Position > len(names) {
			return 0, pgerror.Newf(pgerror.InvalidColumnReference, "%s position %d is not in select list", clause, it.Position)
		}
		return it.Position - 1, nil
	case ItemName:
		return findOutputName(clause, it.Name, names, same)
	}
	return -1, nil
}

// findOutputName returns the output column called name (-1: none), or
// 42702 when two different expressions carry it.
func findOutputName(clause, name string, names []string, same func(i, j int) bool) (int, *pgerror.Error) {
	found := -1
	for i, n := range names {
		if n != name {
			continue
		}
		if found >= 0 && !same(found, i) {
			return 0, pgerror.Newf(pgerror.AmbiguousColumn, "%s \"%s\" is ambiguous", clause, name)
		}
		if found < 0 {
			found = i
		}
	}
	return found, nil
}

// ResolveGroupItem decides what a GROUP BY item groups by, as PostgreSQL
// does: a position is an output column (names: the output column names,
// * counted as the columns it expands to); a bare name is an input column
// when there is one (inputHas, asked only for names, answers), otherwise
// the output column of that name (42702 when two that are not the same
// expression carry it); anything else is an expression over the input. It
// returns the output column's index, or -1 for the item itself. A position
// outside the select list is 42P10 (the caller adds item.Loc); inputHas's
// error is returned as it is.
func ResolveGroupItem(it Item, names []string, inputHas func(name string) (bool, error), same func(i, j int) bool) (int, error) {
	switch it.Kind {
	case ItemPosition:
		if it.Position < 1 || it.Position > len(names) {
			return 0, pgerror.Newf(pgerror.InvalidColumnReference, "GROUP BY position %d is not in select list", it.Position)
		}
		return it.Position - 1, nil
	case ItemName:
		ok, err := inputHas(it.Name)
		if err != nil || ok {
			return -1, err
		}
		i, perr := findOutputName("GROUP BY", it.Name, names, same)
		if perr != nil {
			return 0, perr
		}
		return i, nil
	}
	return -1, nil
}

// SortKey is one key of a sort: an output column and its order.
type SortKey struct {
	Col        int
	Desc       bool
	NullsFirst bool
}

// SortOf returns the direction and NULLS order of an ORDER BY item:
// NULLS FIRST by default when descending, as in PostgreSQL (NULL sorts as
// larger than any value). USING is read as ascending.
func SortOf(sb *pg_query.SortBy) (desc, nullsFirst bool) {
	desc = sb.SortbyDir == pg_query.SortByDir_SORTBY_DESC
	switch sb.SortbyNulls {
	case pg_query.SortByNulls_SORTBY_NULLS_FIRST:
		return desc, true
	case pg_query.SortByNulls_SORTBY_NULLS_LAST:
		return desc, false
	}
	return desc, desc
}

// DistinctKind is the DISTINCT clause of a SELECT.
type DistinctKind uint8

const (
	DistinctNone DistinctKind = iota
	DistinctAll               // SELECT DISTINCT: whole output rows
	DistinctOn                // SELECT DISTINCT ON (exprs)
)

// DistinctOf returns the DISTINCT clause's kind. Plain DISTINCT parses as
// a list holding one empty node, DISTINCT ON (…) as the list of its
// expressions.
func DistinctOf(sel *pg_query.SelectStmt) DistinctKind {
	switch d := sel.DistinctClause; {
	case len(d) == 0:
		return DistinctNone
	case len(d) == 1 && d[0].GetNode() == nil:
		return DistinctAll
	}
	return DistinctOn
}

// KeyOrdered reports whether reading a table in primary key order (pk:
// its key columns' input ordinals) yields the rows in the order of keys,
// whose Col is here the input column each key sorts by (-1 for anything
// but a plain column), and whether the scan must run backward. Every key
// must follow the key columns in order with one direction, and NULLS at
// that direction's default (a key column holds no NULL, but the order
// asked for must still be the key's own).
func KeyOrdered(keys []SortKey, pk []int) (ok, backward bool) {
	if len(keys) == 0 || len(keys) > len(pk) {
		return false, false
	}
	for i, k := range keys {
		if k.Col != pk[i] || k.Desc != keys[0].Desc || k.NullsFirst != k.Desc {
			return false, false
		}
	}
	return true, keys[0].Desc
}

// DistinctOnKeys checks the ORDER BY keys of a SELECT DISTINCT ON against
// its expressions (on: the output columns they resolved to, in order,
// possibly repeated) and returns the distinct DISTINCT ON columns and the
// sort keys to use: the ORDER BY keys followed by the DISTINCT ON columns
// they leave out, ascending. The leading ORDER BY keys must be DISTINCT ON
// expressions until each has appeared (42P10 otherwise); same(i, j)
// reports whether output columns i and j are the same expression written
// twice (a hidden ORDER BY copy of a DISTINCT ON expression).
func DistinctOnKeys(on []int, keys []SortKey, same func(i, j int) bool) ([]int, []SortKey, error) {
	var cols []int
	inOn := map[int]bool{}
	for _, c := range on {
		if !inOn[c] {
			inOn[c] = true
			cols = append(cols, c)
		}
	}
	covered := map[int]bool{}
	for _, k := range keys {
		if len(covered) == len(cols) {
			break
		}
		if !inOn[k.Col] && !sameAsAny(cols, k.Col, same) {
			return nil, nil, pgerror.New(pgerror.InvalidColumnReference, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
		}
		covered[k.Col] = true
	}
	out := append([]SortKey(nil), keys...)
	for _, c := range cols {
		if !covered[c] {
			out = append(out, SortKey{Col: c})
		}
	}
	return cols, out, nil
}

func sameAsAny(cols []int, j int, same func(i, j int) bool) bool {
	for _, i := range cols {
		if same(i, j) {
			return true
		}
	}
	return false
}

// DistinctSortKeys points each ORDER BY key of a SELECT DISTINCT at the
// visible output column it repeats (same(j, hidden): column j is written
// like the hidden sort column): DISTINCT leaves no single value for an
// expression outside the select list, so PostgreSQL refuses it (42P10).
func DistinctSortKeys(keys []SortKey, visible int, same func(j, hidden int) bool) ([]SortKey, error) {
	out := append([]SortKey(nil), keys...)
	for i, k := range out {
		if k.Col < visible {
			continue
		}
		j := 0
		for ; j < visible && !same(j, k.Col); j++ {
		}
		if j == visible {
			return nil, pgerror.New(pgerror.InvalidColumnReference, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
		}
		out[i].Col = j
	}
	return out, nil
}

// OutputShape is what a SELECT's output needs above its FROM, WHERE,
// grouping and window functions.
type OutputShape struct {
	Distinct DistinctKind
	Sort     bool // sort keys remain after KeyOrdered (or DISTINCT ON adds some)
	LockRows bool // FOR UPDATE/SHARE
	Limit    bool // LIMIT or OFFSET
	Hidden   bool // columns after the select list (sort keys, locked rows) to trim
}

// OutputStep is one output operator of a SELECT.
type OutputStep uint8

const (
	StepProject  OutputStep = iota // compute the select list and hidden columns
	StepDistinct                   // SELECT DISTINCT over the visible columns
	StepSort                       // ORDER BY (and DISTINCT ON's keys)
	StepUnique                     // DISTINCT ON: first row of each run
	StepLockRows                   // lock each row (above ORDER BY, below LIMIT)
	StepLimit                      // LIMIT/OFFSET
	StepTrim                       // drop the hidden columns
)

var stepNames = [...]string{"Project", "Distinct", "Sort", "Unique", "LockRows", "Limit", "Trim"}

func (s OutputStep) String() string { return stepNames[s] }

// OutputSteps returns the output operators of a SELECT, innermost first.
// DISTINCT runs before the sort (its sort keys are select-list columns);
// DISTINCT ON after it (it keeps the first row of each sorted run); rows
// are locked after sorting and before LIMIT, as PostgreSQL's LockRows is,
// so SKIP LOCKED … LIMIT n returns n unlocked rows; hidden columns go last.
func OutputSteps(s OutputShape) []OutputStep {
	steps := []OutputStep{StepProject}
	if s.Distinct == DistinctAll {
		steps = append(steps, StepDistinct)
	}
	if s.Sort {
		steps = append(steps, StepSort)
	}
	if s.Distinct == DistinctOn {
		steps = append(steps, StepUnique)
	}
	if s.LockRows {
		steps = append(steps, StepLockRows)
	}
	if s.Limit {
		steps = append(steps, StepLimit)
	}
	if s.Hidden {
		steps = append(steps, StepTrim)
	}
	return steps
}
