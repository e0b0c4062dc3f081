package exec

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// Views: CREATE [OR REPLACE] VIEW stores the defining SELECT as deparsed
// SQL text with the output columns it had (names and types) and the
// relations it reads. A view named in FROM is expanded while binding: its
// query is parsed and planned as a subquery whose columns take the view's
// names (expandView). DROP TABLE/VIEW of a relation some view reads needs
// CASCADE, which drops those views too (2BP01 otherwise), as PostgreSQL's
// dependency tracking does.

// buildCreateView plans CREATE [OR REPLACE] VIEW name [(cols)] AS query.
func (b *builder) buildCreateView(vs *pg_query.ViewStmt) (runner, error) {
	if vs.WithCheckOption != pg_query.ViewCheckOption_NO_CHECK_OPTION {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "WITH CHECK OPTION is not supported")
	}
	if len(vs.Options) > 0 {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "view options (WITH (...)) are not supported")
	}
	sel := vs.Query.GetSelectStmt()
	if sel == nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "CREATE VIEW of this statement is not supported")
	}
	name := vs.View.Relname
	query, err := parser.Deparse(vs.Query)
	if err != nil {
		return nil, err
	}
	// Plan the query once now: it must bind, and it fixes the columns.
	saved := b.deps
	b.deps = map[string]bool{}
	p, err := b.buildSelect(sel, nil)
	deps := b.deps
	b.deps = saved
	if err != nil {
		return nil, err
	}
	if len(b.params) > 0 {
		return nil, pgerror.New(pgerror.UndefinedParameter, "there is no parameter $1")
	}
	autoTemp := false
	if !isTempName(name) && readsTemp(deps) {
		// PostgreSQL's DefineView: a view of a temporary relation is
		// temporary itself (it could not outlive the session).
		if b.viewSchemaGiven {
			return nil, b.errAt(pgerror.New(pgerror.InvalidTableDefinition, "cannot create temporary relation in non-temporary schema"), vs.View.Location)
		}
		name, autoTemp = catalog.QualifiedName(b.txn.temp.SchemaName(), relBase(name)), true
	}
	view, err := viewColumns(name, p.cols(), vs.Aliases)
	if err != nil {
		return nil, err
	}
	view.Query = query
	for d := range deps {
		view.Deps = append(view.Deps, d)
	}
	replace := vs.Replace
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		if autoTemp {
			notice(e, fmt.Sprintf("view %q will be a temporary view", relBase(name)))
		}
		cat, err := t.catalog()
		if err != nil {
			return nil, err
		}
		nv := *view
		if old := cat.Views[name]; old != nil {
			if !replace {
				return nil, pgerror.Newf(pgerror.DuplicateTable, "relation %q already exists", relBase(name))
			}
			if err := checkViewReplace(old, &nv); err != nil {
				return nil, err
			}
			nv.OID = old.OID
		} else if cat.RelationExists(name) {
			if replace && cat.Tables[name] != nil {
				return nil, pgerror.Newf(pgerror.WrongObjectType, "%q is not a view", relBase(name))
			}
			return nil, pgerror.Newf(pgerror.DuplicateTable, "relation %q already exists", relBase(name))
		}
		for _, d := range nv.Deps {
			if d == name || cat.Tables[d] == nil && cat.Views[d] == nil {
				// Dropped or replaced since planning: plan again.
				return nil, pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", d)
			}
		}
		t.bumpCatalog()
		if nv.OID == 0 {
			nv.OID = t.allocIDFor(name)
		}
		t.ov.Put(catalog.BucketCatalog, catalog.ViewKey(name), catalog.EncodeView(&nv))
		return tagCursor("CREATE VIEW", nil), nil
	}), nil
}

// viewColumns names the view's columns: the aliases first, then the
// query's own names (PostgreSQL refuses more aliases than columns and two
// columns of one name).
func viewColumns(name string, cols []colInfo, aliases []*pg_query.Node) (*catalog.View, error) {
	var visible []colInfo
	for _, c := range cols {
		if !c.hidden {
			visible = append(visible, c)
		}
	}
	if len(aliases) > len(visible) {
		return nil, pgerror.New(pgerror.SyntaxError, "CREATE VIEW specifies more column names than columns")
	}
	v := &catalog.View{Name: name}
	for i, c := range visible {
		n := c.name
		if i < len(aliases) {
			n = strVal(aliases[i])
		}
		if v.ColumnIndex(n) >= 0 {
			return nil, pgerror.Newf(pgerror.DuplicateColumn, "column %q specified more than once", n)
		}
		if c.typ.Oid == types.OidRecord {
			return nil, pseudoColumnError(n, c.typ)
		}
		v.Columns = append(v.Columns, catalog.Column{Name: n, Type: c.typ})
	}
	return v, nil
}

// checkViewReplace applies PostgreSQL's rule for CREATE OR REPLACE VIEW:
// the new query may add columns at the end, never drop, rename or retype
// one.
func checkViewReplace(old, nv *catalog.View) error {
	if len(nv.Columns) < len(old.Columns) {
		return pgerror.New(pgerror.InvalidTableDefinition, "cannot drop columns from view")
	}
	for i, oc := range old.Columns {
		nc := nv.Columns[i]
		if nc.Name != oc.Name {
			return pgerror.Newf(pgerror.InvalidTableDefinition, "cannot change name of view column %q to %q", oc.Name, nc.Name).
				WithHint("Use ALTER VIEW ... RENAME COLUMN ... to change name of view column instead.")
		}
		if nc.Type != oc.Type {
			return pgerror.Newf(pgerror.InvalidTableDefinition, "cannot change data type of view column %q from %s to %s", oc.Name, oc.Type, nc.Type)
		}
	}
	return nil
}

// expandView plans a view named in FROM as a subquery under alias.
func (b *builder) expandView(v *catalog.View, alias string, a *pg_query.Alias) (plan, error) {
	b.noteDep(v.Name)
	if b.viewDepth > 64 {
		return nil, pgerror.Newf(pgerror.InvalidRecursion, "infinite recursion detected in rules for relation %q", v.Name)
	}
	st, err := parser.ParseOne(v.Query)
	if err != nil {
		return nil, pgerror.Wrapf(err, pgerror.DataCorrupted, "view %q", v.Name)
	}
	sel := st.Node.GetSelectStmt()
	if sel == nil {
		return nil, pgerror.Newf(pgerror.DataCorrupted, "view %q: stored query is not a SELECT", v.Name)
	}
	// Names inside the view resolve in the view's own scope, and errors
	// carry no position: it points into the user's statement.
	saved := b.stmt
	b.stmt = parser.Statement{}
	b.viewDepth++
	p, err := b.buildSelect(sel, nil)
	b.viewDepth--
	b.stmt = saved
	if err != nil {
		return nil, err
	}
	in := p.cols()
	cols := make([]colInfo, 0, len(v.Columns))
	for i, c := range v.Columns {
		if i >= len(in) {
			return nil, pgerror.Newf(pgerror.DataCorrupted, "view %q: its query returns %d columns, the view has %d", v.Name, len(in), len(v.Columns))
		}
		cols = append(cols, colInfo{table: alias, name: c.Name, typ: in[i].typ, tableOID: v.OID, attNum: int16(i + 1)})
		if a != nil && i < len(a.Colnames) {
			cols[i].name = strVal(a.Colnames[i])
		}
	}
	if a != nil && len(a.Colnames) > len(cols) {
		return nil, pgerror.Newf(pgerror.InvalidColumnReference, "table %q has %d columns available but %d columns specified", alias, len(cols), len(a.Colnames))
	}
	if len(in) > len(cols) {
		p = &trimPlan{in: p, n: len(cols)}
	}
	return &aliasPlan{in: p, columns: cols}, nil
}

// noteDep records that the statement being planned reads relation name
// (collected for CREATE VIEW).
func (b *builder) noteDep(name string) {
	if b.deps != nil {
		b.deps[name] = true
	}
}

// buildDropView plans DROP VIEW [IF EXISTS] names [CASCADE].
func (b *builder) buildDropView(ds *pg_query.DropStmt) (runner, error) {
	var names []string
	for _, o := range ds.Objects {
		if l := o.GetList(); l != nil {
			names = append(names, lastName(l.Items))
		}
	}
	missingOK := ds.MissingOk
	cascade := ds.Behavior == pg_query.DropBehavior_DROP_CASCADE
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		for _, n := range names {
			cat, err := t.catalog()
			if err != nil {
				return nil, err
			}
			v := cat.Views[n]
			if v == nil {
				if cat.Tables[n] != nil {
					return nil, pgerror.Newf(pgerror.WrongObjectType, "%q is not a view", n).WithHint("Use DROP TABLE to remove a table.")
				}
				if missingOK {
					notice(e, "view \""+n+"\" does not exist, skipping")
					continue
				}
				return nil, pgerror.Newf(pgerror.UndefinedTable, "view %q does not exist", n)
			}
			if err := dropDependentViews(e, cat, n, "view", cascade); err != nil {
				return nil, err
			}
			t.bumpCatalog()
			t.ov.Delete(catalog.BucketCatalog, catalog.ViewKey(n))
		}
		return tagCursor("DROP VIEW", nil), nil
	}), nil
}

// dropDependentViews handles the views that read relation name (of kind
// "table" or "view") before it is dropped: without cascade their existence
// is 2BP01; with it they are dropped, with PostgreSQL's notice.
func dropDependentViews(e *env, cat *catalog.Catalog, name, kind string, cascade bool) error {
	deps := viewDependents(cat, name, kind)
	if len(deps) == 0 {
		return nil
	}
	if !cascade {
		lines := make([]string, len(deps))
		for i, d := range deps {
			lines[i] = fmt.Sprintf("view %s depends on %s %s", d.view.Name, d.onKind, d.on)
		}
		return pgerror.Newf(pgerror.DependentObjectsExist, "cannot drop %s %s because other objects depend on it", kind, name).
			WithDetail("%s", strings.Join(lines, "\n")).
			WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
	}
	t := e.txn
	t.bumpCatalog()
	lines := make([]string, len(deps))
	for i, d := range deps {
		lines[i] = "drop cascades to view " + d.view.Name
		t.ov.Delete(catalog.BucketCatalog, catalog.ViewKey(d.view.Name))
	}
	if len(deps) == 1 {
		notice(e, lines[0])
	} else if n, ok := e.vars.(result.Noticer); ok {
		n.Notice(&pgerror.Error{Code: pgerror.SuccessfulCompletion, Severity: pgerror.SeverityNotice,
			Message: fmt.Sprintf("drop cascades to %d other objects", len(deps)), Detail: strings.Join(lines, "\n")})
	}
	return nil
}

type viewDep struct {
	view       *catalog.View
	on, onKind string
}

// viewDependents lists the views reading name directly or through other
// views, depth first in creation order (PostgreSQL's report order).
func viewDependents(cat *catalog.Catalog, name, kind string) []viewDep {
	var out []viewDep
	seen := map[string]bool{name: true}
	var visit func(n, k string)
	visit = func(n, k string) {
		for _, v := range cat.Dependents(n) {
			if seen[v.Name] {
				continue
			}
			seen[v.Name] = true
			out = append(out, viewDep{view: v, on: n, onKind: k})
			visit(v.Name, "view")
		}
	}
	visit(name, kind)
	return out
}

// readsTemp reports whether a view's dependencies include a temporary
// relation.
func readsTemp(deps map[string]bool) bool {
	for d := range deps {
		if isTempName(d) {
			return true
		}
	}
	return false
}
