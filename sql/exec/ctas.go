package exec

import (
	"fmt"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// buildCreateTableAs plans CREATE TABLE … AS query and SELECT … INTO: a
// table with the query's column names (or the given ones) and types, then
// the query's rows inserted into it, in the statement's transaction. The
// tag is PostgreSQL's: SELECT n, or CREATE TABLE AS for WITH NO DATA and
// for IF NOT EXISTS on an existing table (with a notice).
func (b *builder) buildCreateTableAs(s *pg_query.CreateTableAsStmt) (runner, error) {
	if s.Objtype != pg_query.ObjectType_OBJECT_TABLE {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "CREATE MATERIALIZED VIEW is not supported")
	}
	sel := s.Query.GetSelectStmt()
	if sel == nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "CREATE TABLE AS of this statement is not supported")
	}
	into := s.Into
	p, err := b.buildSelect(sel, nil)
	if err != nil {
		return nil, err
	}
	var cols []colInfo
	for _, c := range p.cols() {
		if !c.hidden {
			cols = append(cols, c)
		}
	}
	if len(into.ColNames) > len(cols) {
		return nil, pgerror.New(pgerror.SyntaxError, "too many column names were specified")
	}
	defs := make([]string, len(cols))
	seen := map[string]bool{}
	for i, c := range cols {
		name := c.name
		if i < len(into.ColNames) {
			name = into.ColNames[i].GetString_().GetSval()
		}
		if seen[name] {
			return nil, pgerror.Newf(pgerror.DuplicateColumn, "column %q specified more than once", name)
		}
		seen[name] = true
		t := c.typ
		if t.Oid == types.OidRecord {
			return nil, pseudoColumnError(name, t)
		}
		if c.lit || t.Oid == types.OidUnknown {
			t = types.Text // an untyped literal or NULL makes a text column, as in PostgreSQL 15
		}
		defs[i] = parser.QuoteIdent(name) + " " + t.String()
	}
	// The column definitions go through the parser so that CREATE TABLE's
	// own checks (storable types, names) apply unchanged.
	ddl, err := parser.ParseOne("CREATE TABLE t (" + strings.Join(defs, ", ") + ")")
	if err != nil {
		return nil, pgerror.Newf(pgerror.FeatureNotSupported, "CREATE TABLE AS: cannot create a table of these column types: %v", err)
	}
	cs := ddl.Node.GetCreateStmt()
	cs.Relation = into.Rel
	cs.Oncommit = into.OnCommit
	cs.IfNotExists = s.IfNotExists
	create, err := b.buildCreateTable(cs)
	if err != nil {
		return nil, err
	}
	insert := &pg_query.InsertStmt{Relation: into.Rel, SelectStmt: s.Query}
	name := into.Rel.Relname
	noData := into.SkipData
	params := b.params
	return fnRunner(func(e *env) (Cursor, error) {
		cat, err := e.txn.catalog()
		if err != nil {
			return nil, err
		}
		if s.IfNotExists && cat.RelationExists(name) {
			notice(e, "relation \""+relBase(name)+"\" already exists, skipping")
			return tagCursor("CREATE TABLE AS", nil), nil
		}
		c, err := create.run(e)
		if err != nil {
			return nil, err
		}
		c.Close()
		if noData {
			return tagCursor("CREATE TABLE AS", nil), nil
		}
		// The INSERT is planned now that the table exists in this
		// transaction's catalog.
		if cat, err = e.txn.catalog(); err != nil {
			return nil, err
		}
		ib := &builder{eng: b.eng, txn: e.txn, cat: cat, stmt: b.stmt, readOnly: false, params: params}
		r, _, err := ib.buildInsert(insert)
		if err != nil {
			return nil, err
		}
		ic, err := r.run(e)
		if err != nil {
			return nil, err
		}
		defer ic.Close()
		for {
			row, err := ic.Next(e.ctx)
			if err != nil {
				return nil, err
			}
			if row == nil {
				break
			}
		}
		n, err := strconv.Atoi(ic.Tag()[strings.LastIndexByte(ic.Tag(), ' ')+1:])
		if err != nil {
			return nil, fmt.Errorf("CREATE TABLE AS: insert tag %q: %w", ic.Tag(), err)
		}
		return tagCursor("SELECT "+strconv.Itoa(n), nil), nil
	}), nil
}

// pseudoColumnError is PostgreSQL's CheckAttributeType refusal of a column
// of a pseudo-type (a row constructor's record) in a table or view.
func pseudoColumnError(name string, t types.T) error {
	return pgerror.Newf(pgerror.InvalidTableDefinition, "column %q has pseudo-type %s", name, t)
}
