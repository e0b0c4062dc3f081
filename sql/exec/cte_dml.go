package exec

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
)

// Data-modifying statements in WITH (WITH d AS (DELETE … RETURNING …)
// SELECT … FROM d). Each INSERT, UPDATE or DELETE of the top-level WITH
// list runs once, to completion, before the main statement, whether or
// not anything reads it; a reference to it reads its RETURNING rows.
//
// PostgreSQL runs the sub-statements and the main statement on one
// snapshot: none of them sees the others' changes to tables. Running them
// one after the other would let the later ones see the earlier ones'
// changes, so a statement in which the table a data-modifying WITH query
// changes is named anywhere else (another WITH query, the main statement)
// fails with 0A000 rather than answer differently.

// dmlWith is the builder's state for the statement being planned.
type dmlWith struct {
	topWith *pg_query.WithClause // the statement's own WITH: the only one that may modify
	dmlCTEs []*dmlCTE            // in the order they run
}

// dmlCTE is one data-modifying WITH query; as a plan it yields the rows
// its run left in the env's cache.
type dmlCTE struct {
	name    string
	target  string // the table it changes
	r       runner
	columns []colInfo // RETURNING; nil without one
}

func (p *dmlCTE) cols() []colInfo { return append([]colInfo(nil), p.columns...) }
func (p *dmlCTE) explain(x *explainer, depth int) {
	x.add(depth, "CTE Scan on "+p.name)
}
func (p *dmlCTE) start(e *env) (iter, error) {
	rows, ok := e.cache[p].([][]Datum)
	if !ok {
		return nil, pgerror.Newf(pgerror.InternalError, "WITH query %q read before it ran", p.name)
	}
	return sliceIter(rows), nil
}

// buildDMLCTE plans the INSERT, UPDATE or DELETE of c.
func (b *builder) buildDMLCTE(c *pg_query.CommonTableExpr) (*dmlCTE, error) {
	b.readOnly = false
	savedTarget := b.dmlTarget
	defer func() { b.dmlTarget = savedTarget }()
	b.collectPrivileges(planner.TargetPrivilegesOf(c.Ctequery))
	b.collectTableLocks(planner.TargetLocks(c.Ctequery))
	d := &dmlCTE{name: c.Ctename}
	var err error
	var cols []colInfo
	switch v := c.Ctequery.Node.(type) {
	case *pg_query.Node_InsertStmt:
		if v.InsertStmt.WithClause != nil {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "WITH inside a data-modifying WITH query is not supported")
		}
		d.target = v.InsertStmt.Relation.Relname
		if err := b.noViewTarget(v.InsertStmt.Relation); err != nil {
			return nil, err
		}
		d.r, cols, err = b.buildInsert(v.InsertStmt)
	case *pg_query.Node_UpdateStmt:
		if v.UpdateStmt.WithClause != nil {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "WITH inside a data-modifying WITH query is not supported")
		}
		d.target = v.UpdateStmt.Relation.Relname
		if err := b.noViewTarget(v.UpdateStmt.Relation); err != nil {
			return nil, err
		}
		d.r, cols, err = b.buildUpdate(v.UpdateStmt)
	case *pg_query.Node_DeleteStmt:
		if v.DeleteStmt.WithClause != nil {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "WITH inside a data-modifying WITH query is not supported")
		}
		d.target = v.DeleteStmt.Relation.Relname
		if err := b.noViewTarget(v.DeleteStmt.Relation); err != nil {
			return nil, err
		}
		d.r, cols, err = b.buildDelete(v.DeleteStmt)
	default:
		return nil, b.errAt(pgerror.Newf(pgerror.FeatureNotSupported, "%s in WITH is not supported", nodeName(c.Ctequery)), c.Location)
	}
	if err != nil {
		return nil, err
	}
	if len(cols) > 0 {
		d.columns = cols
	}
	b.dmlCTEs = append(b.dmlCTEs, d)
	return d, nil
}

// noViewTarget refuses a view as the target of a data-modifying WITH
// query (its rewrite is not planned there).
func (b *builder) noViewTarget(rv *pg_query.RangeVar) error {
	if b.cat.Views[rv.Relname] != nil {
		return pgerror.Newf(pgerror.FeatureNotSupported, "a data-modifying WITH query on view %q is not supported", rv.Relname)
	}
	return nil
}

// withDMLRunner runs the data-modifying WITH queries, then the statement.
type withDMLRunner struct {
	dmls []*dmlCTE
	main runner
}

func (w *withDMLRunner) run(e *env) (Cursor, error) {
	if e.cache == nil {
		e.cache = map[any]any{}
	}
	for _, d := range w.dmls {
		c, err := d.r.run(e)
		if err != nil {
			return nil, err
		}
		var rows [][]Datum
		for {
			row, err := c.Next(e.ctx)
			if err != nil {
				c.Close()
				return nil, err
			}
			if row == nil {
				break
			}
			rows = append(rows, row)
		}
		c.Close()
		e.cache[d] = rows
	}
	return w.main.run(e)
}

// finishDMLWith checks that no table a data-modifying WITH query of stmt
// changes is named elsewhere in stmt, and wraps r to run those queries
// first. r is returned as it is when there are none.
func (b *builder) finishDMLWith(stmt *pg_query.Node, wc *pg_query.WithClause, r runner) (runner, error) {
	if len(b.dmlCTEs) == 0 {
		return r, nil
	}
	for _, d := range b.dmlCTEs {
		n := 0
		for _, cn := range wc.Ctes {
			if c := cn.GetCommonTableExpr(); c != nil && namesTable(c.Ctequery, d.target) {
				n++
			}
		}
		main := stripWith(stmt)
		if n > 1 || namesTable(main, d.target) {
			return nil, pgerror.Newf(pgerror.FeatureNotSupported,
				"table %q is changed by WITH query %q and named elsewhere in the statement: PostgreSQL runs both on one snapshot, which is not supported", d.target, d.name)
		}
	}
	return &withDMLRunner{dmls: b.dmlCTEs, main: r}, nil
}

// namesTable reports whether a relation called name, in any schema,
// occurs in n.
func namesTable(n proto.Message, name string) bool {
	return parser.Contains(n, func(m proto.Message) (bool, bool) {
		rv, ok := m.(*pg_query.RangeVar)
		return ok && rv.Relname == name, true
	})
}

// stripWith is a copy of stmt without its WITH clause.
func stripWith(stmt *pg_query.Node) *pg_query.Node {
	c := proto.Clone(stmt).(*pg_query.Node)
	switch v := c.Node.(type) {
	case *pg_query.Node_SelectStmt:
		v.SelectStmt.WithClause = nil
	case *pg_query.Node_InsertStmt:
		v.InsertStmt.WithClause = nil
	case *pg_query.Node_UpdateStmt:
		v.UpdateStmt.WithClause = nil
	case *pg_query.Node_DeleteStmt:
		v.DeleteStmt.WithClause = nil
	}
	return c
}
