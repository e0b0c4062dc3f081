package exec

import (
	"slices"
	"strconv"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// CHECK constraints (and the naming shared with FOREIGN KEY, fkey.go).
// A CHECK is stored as its deparsed SQL text with the ordinals of the
// columns it reads; it is compiled once per statement and table
// (compiledChecks) and evaluated by writeRow after the NOT NULL checks,
// in name order, as PostgreSQL does. NULL (unknown) passes.

// exprColumns lists the ordinals of tbl's columns that n names, in order
// of first appearance.
func exprColumns(tbl *catalog.Table, n *pg_query.Node) []int {
	var out []int
	parser.Walk(n, func(m proto.Message) bool {
		if cr, ok := m.(*pg_query.ColumnRef); ok {
			if _, name, ok := colRefName(cr); ok {
				if i := tbl.ColumnIndex(name); i >= 0 && !slices.Contains(out, i) {
					out = append(out, i)
				}
			}
			return false
		}
		return true
	})
	return out
}

// constraintNames answers whether a constraint name is taken in the
// schema (PostgreSQL's ChooseConstraintName looks at every constraint of
// the namespace), counting the names this statement already chose.
type constraintNames struct {
	cat    *catalog.Catalog
	schema string // of the table the constraints are for
	chose  map[string]bool
}

func (cn *constraintNames) taken(name string) bool {
	if cn.chose[name] {
		return true
	}
	for tn, t := range cn.cat.Tables {
		if s, _ := cn.cat.SplitName(tn); s != cn.schema {
			continue
		}
		if t.ConstraintNameTaken(name) {
			return true
		}
	}
	return false
}

// choose picks "<base>_<label>", then with 1, 2, … appended, the first
// that is free, and reserves it.
func (cn *constraintNames) choose(base, label string) string {
	name := base + "_" + label
	for i := 1; cn.taken(name); i++ {
		name = base + "_" + label + strconv.Itoa(i)
	}
	cn.reserve(name)
	return name
}

func (cn *constraintNames) reserve(name string) {
	if cn.chose == nil {
		cn.chose = map[string]bool{}
	}
	cn.chose[name] = true
}

// newConstraintNames chooses names for constraints of table (a catalog
// name: its schema is the namespace looked at).
func newConstraintNames(cat *catalog.Catalog, table string) *constraintNames {
	schema, _ := cat.SplitName(table)
	return &constraintNames{cat: cat, schema: schema, chose: map[string]bool{}}
}

// duplicateConstraint is the 42710 of an explicitly named constraint that
// the table already has.
func duplicateConstraint(name, table string) error {
	return pgerror.Newf(pgerror.DuplicateObject, "constraint %q for relation %q already exists", name, table)
}

// newCheck validates a CHECK constraint's condition against tbl and names
// it when no name is given: table_column_check when it reads one column,
// else table_check.
func (b *builder) newCheck(tbl *catalog.Table, c *pg_query.Constraint, names *constraintNames) (catalog.Check, error) {
	if c.Deferrable || c.Initdeferred {
		return catalog.Check{}, pgerror.New(pgerror.FeatureNotSupported, "misplaced DEFERRABLE clause").WithDetail("CHECK constraints cannot be marked DEFERRABLE.")
	}
	text, err := parser.DeparseExpr(c.RawExpr)
	if err != nil {
		return catalog.Check{}, err
	}
	if _, err := b.compileCheck(tbl, text); err != nil {
		return catalog.Check{}, err
	}
	ck := catalog.Check{Name: c.Conname, Expr: text, Columns: exprColumns(tbl, c.RawExpr), NotValid: c.SkipValidation}
	if ck.Name == "" {
		base := relBase(tbl.Name)
		if len(ck.Columns) == 1 {
			base += "_" + tbl.Columns[ck.Columns[0]].Name
		}
		ck.Name = names.choose(base, "check")
	} else {
		if names.chose[ck.Name] {
			return catalog.Check{}, pgerror.Newf(pgerror.DuplicateObject, "check constraint %q already exists", ck.Name)
		}
		if tbl.ConstraintNameTaken(ck.Name) {
			return catalog.Check{}, duplicateConstraint(ck.Name, tbl.Name)
		}
		names.reserve(ck.Name)
	}
	return ck, nil
}

// compileCheck compiles a CHECK condition over tbl's rows.
func (b *builder) compileCheck(tbl *catalog.Table, text string) (*cexpr, error) {
	st, err := parser.ParseOne("SELECT " + text)
	if err != nil {
		return nil, err
	}
	n := st.Node.GetSelectStmt().TargetList[0].GetResTarget().Val
	sb := &builder{eng: b.eng, txn: b.txn, cat: b.cat, stmt: st, readOnly: true}
	if parser.Contains(n, func(m proto.Message) (bool, bool) {
		_, sub := m.(*pg_query.SubLink)
		return sub, true
	}) {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "cannot use subquery in check constraint")
	}
	x, err := sb.compile(&scope{cols: tableCols(tbl, tbl.Name), excluded: -1}, n, types.Bool)
	if err != nil {
		return nil, err
	}
	if x.t.Oid != types.OidBool && !x.unknown {
		return nil, pgerror.Newf(pgerror.DatatypeMismatch, "argument of CHECK must be type boolean, not type %s", x.t)
	}
	return x, nil
}

type checksKey struct{ tbl *catalog.Table }

// compiledChecks returns tbl's CHECK conditions compiled, in name order,
// once per statement.
func (e *env) compiledChecks(tbl *catalog.Table) ([]*cexpr, []*catalog.Check, error) {
	type compiled struct {
		x  []*cexpr
		ck []*catalog.Check
	}
	if c, ok := e.cache[checksKey{tbl}].(*compiled); ok {
		return c.x, c.ck, nil
	}
	cat, err := e.txn.catalog()
	if err != nil {
		return nil, nil, err
	}
	b := &builder{eng: e.txn.eng, txn: e.txn, cat: cat, readOnly: true}
	c := &compiled{}
	for i := range tbl.Checks {
		c.ck = append(c.ck, &tbl.Checks[i])
	}
	slices.SortFunc(c.ck, func(a, b *catalog.Check) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	for _, ck := range c.ck {
		x, err := b.compileCheck(tbl, ck.Expr)
		if err != nil {
			return nil, nil, err
		}
		c.x = append(c.x, x)
	}
	if e.cache == nil {
		e.cache = map[any]any{}
	}
	e.cache[checksKey{tbl}] = c
	return c.x, c.ck, nil
}

// checkRow evaluates tbl's CHECK constraints on row.
func checkRow(e *env, tbl *catalog.Table, row []Datum) error {
	if len(tbl.Checks) == 0 {
		return nil
	}
	xs, cks, err := e.compiledChecks(tbl)
	if err != nil {
		return err
	}
	for i, x := range xs {
		v, err := x.fn(e, row)
		if err != nil {
			return err
		}
		if v == false {
			return checkViolation(tbl, cks[i].Name, row)
		}
	}
	return nil
}

func checkViolation(tbl *catalog.Table, name string, row []Datum) error {
	pe := pgerror.Newf(pgerror.CheckViolation, "new row for relation %q violates check constraint %q", relBase(tbl.Name), name).
		WithDetail("Failing row contains %s.", failingRow(tbl, row))
	pe.ConstraintName = name
	setRelation(pe, tbl.Name)
	return pe
}

// notNullViolation is the 23502 of a NULL in NOT NULL column i.
func notNullViolation(tbl *catalog.Table, i int, row []Datum) error {
	c := tbl.Columns[i]
	e := pgerror.Newf(pgerror.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", c.Name, relBase(tbl.Name)).
		WithDetail("Failing row contains %s.", failingRow(tbl, row))
	e.ColumnName = c.Name
	setRelation(e, tbl.Name)
	return e
}

// checkRowConstraints runs the NOT NULL and CHECK constraints of a row
// to be written.
func checkRowConstraints(e *env, tbl *catalog.Table, row []Datum) error {
	for i, c := range tbl.Columns {
		if c.NotNull && row[i] == nil {
			return notNullViolation(tbl, i, row)
		}
	}
	return checkRow(e, tbl, row)
}
