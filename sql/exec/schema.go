package exec

import (
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
)

// Schemas: CREATE SCHEMA, DROP SCHEMA and name resolution. A relation of
// a created schema s is stored as "s.rel" (catalog/namespace.go), so
// resolution is a rewrite of the statement's names before it is planned:
// s.rel becomes "s.rel" (aliased rel, so that rel.col still names its
// columns), public.rel becomes rel, an unqualified name is looked up along
// search_path, and the relation a CREATE names goes to search_path's first
// schema. A qualified name in a schema that does not exist stays
// qualified, so that its lookup fails with PostgreSQL's 42P01 "relation
// "s.rel" does not exist" (3F000 for a CREATE). With no created schema the
// statement is left alone.

// SetSearchPath sets the search_path the transaction's statements are
// resolved with (the session's parameter; "" = the default).
func (t *Txn) SetSearchPath(p string) { t.searchPath = p }

// searchPath is the list of existing schemas to look names up in, in
// order ($user expanded, missing schemas left out).
func (b *builder) searchPath() []string {
	var out []string
	for _, s := range b.cat.SearchPath(b.txn.searchPath, b.txn.user) {
		if s != "pg_catalog" && s != "information_schema" {
			out = append(out, s)
		}
	}
	return out
}

// resolveSchemas rewrites the relation names of n (see above).
func (b *builder) resolveSchemas(n *pg_query.Node) error {
	if err := b.prepareTempCreate(n); err != nil {
		return err
	}
	if len(b.cat.Schemas) == 0 {
		return nil
	}
	creates := map[*pg_query.RangeVar]bool{}
	switch v := n.Node.(type) {
	case *pg_query.Node_CreateStmt:
		creates[v.CreateStmt.Relation] = true
	case *pg_query.Node_ViewStmt:
		creates[v.ViewStmt.View] = true
	case *pg_query.Node_CreateSeqStmt:
		creates[v.CreateSeqStmt.Sequence] = true
	case *pg_query.Node_CreateTableAsStmt:
		creates[v.CreateTableAsStmt.GetInto().GetRel()] = true
	case *pg_query.Node_SelectStmt:
		creates[v.SelectStmt.GetIntoClause().GetRel()] = true
	case *pg_query.Node_DropStmt:
		return b.resolveDropNames(v.DropStmt)
	}
	ctes := map[string]bool{}
	parser.Walk(n, func(m proto.Message) bool { // the CTE names first
		if w, ok := m.(*pg_query.WithClause); ok {
			for _, c := range w.Ctes {
				ctes[c.GetCommonTableExpr().GetCtename()] = true
			}
		}
		return true
	})
	var err error
	parser.Contains(n, func(m proto.Message) (bool, bool) {
		rv, ok := m.(*pg_query.RangeVar)
		if !ok {
			return false, true
		}
		if rv.Schemaname == "" && ctes[rv.Relname] {
			return false, false
		}
		err = b.resolveRangeVar(rv, creates[rv])
		return err != nil, false
	})
	return err
}

// resolveName returns the catalog name of schema.rel ("" schema: along
// search_path; create: the relation is being created).
func (b *builder) resolveName(schema, rel string, create bool) (string, error) {
	temp := b.txn.temp.SchemaName()
	switch {
	case schema == "pg_temp" && temp != "":
		return catalog.QualifiedName(temp, rel), nil
	case schema == "" && !create && temp != "" && b.cat.RelationExists(catalog.QualifiedName(temp, rel)):
		return catalog.QualifiedName(temp, rel), nil // pg_temp comes first for relations
	case schema == "public":
		return rel, nil
	case schema == "pg_catalog" || schema == "information_schema":
		return "", nil
	case schema != "":
		if b.cat.Schemas[schema] == nil {
			if create {
				return "", pgerror.Newf(pgerror.InvalidSchemaName, "schema %q does not exist", schema)
			}
			return schema + "." + rel, nil
		}
		return catalog.QualifiedName(schema, rel), nil
	}
	path := b.searchPath()
	if create {
		if len(path) == 0 {
			return "", pgerror.New(pgerror.InvalidSchemaName, "no schema has been selected to create in")
		}
		return catalog.QualifiedName(path[0], rel), nil
	}
	for _, s := range path {
		if q := catalog.QualifiedName(s, rel); b.cat.RelationExists(q) {
			return q, nil
		}
	}
	return rel, nil
}

func (b *builder) resolveRangeVar(rv *pg_query.RangeVar, create bool) error {
	if rv == nil || rv.Catalogname != "" {
		return nil
	}
	if create && rv.Relpersistence == "t" {
		if own := b.txn.temp.SchemaName(); !strings.HasPrefix(rv.Relname, own+".") { // not already resolved (a re-prepare)
			rv.Schemaname, rv.Relname = "", catalog.QualifiedName(own, rv.Relname)
		}
		return nil
	}
	name, err := b.resolveName(rv.Schemaname, rv.Relname, create)
	if err != nil {
		return b.errAt(err.(*pgerror.Error), rv.Location)
	}
	if name == "" || name == rv.Relname && rv.Schemaname == "" {
		return nil
	}
	if rv.Alias == nil && !create && name != rv.Relname {
		rv.Alias = &pg_query.Alias{Aliasname: rv.Relname}
	}
	rv.Schemaname, rv.Relname = "", name
	return nil
}

// resolveDropNames rewrites DROP's object names (lists of identifiers).
func (b *builder) resolveDropNames(ds *pg_query.DropStmt) error {
	if ds.RemoveType == pg_query.ObjectType_OBJECT_SCHEMA {
		return nil
	}
	for _, o := range ds.Objects {
		l := o.GetList()
		if l == nil || len(l.Items) == 0 || len(l.Items) > 2 {
			continue
		}
		schema := ""
		if len(l.Items) == 2 {
			schema = strVal(l.Items[0])
		}
		rel := strVal(l.Items[len(l.Items)-1])
		var name string
		if ds.RemoveType == pg_query.ObjectType_OBJECT_INDEX {
			name = rel // index names are kept bare (their table's schema)
		} else {
			var err error
			if name, err = b.resolveName(schema, rel, false); err != nil || name == "" {
				continue
			}
		}
		l.Items = []*pg_query.Node{pg_query.MakeStrNode(name)}
	}
	return nil
}

// buildCreateSchema plans CREATE SCHEMA [IF NOT EXISTS] name
// [AUTHORIZATION role].
func (b *builder) buildCreateSchema(cs *pg_query.CreateSchemaStmt) (runner, error) {
	name := cs.Schemaname
	owner := ""
	if cs.Authrole != nil {
		owner = cs.Authrole.Rolename
		if name == "" {
			name = owner
		}
	}
	if len(cs.SchemaElts) > 0 {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "CREATE SCHEMA with schema elements is not supported")
	}
	if strings.HasPrefix(name, "pg_") {
		return nil, pgerror.Newf(pgerror.ReservedName, "unacceptable schema name %q", name).
			WithDetail("The prefix \"pg_\" is reserved for system schemas.")
	}
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		cat, err := t.catalog()
		if err != nil {
			return nil, err
		}
		if cat.Schemas[name] != nil || name == "public" || name == "information_schema" {
			if cs.IfNotExists {
				notice(e, fmt.Sprintf("schema %q already exists, skipping", name))
				return tagCursor("CREATE SCHEMA", nil), nil
			}
			return nil, pgerror.Newf(pgerror.DuplicateSchema, "schema %q already exists", name)
		}
		oid := t.currentRoleOID()
		if owner != "" {
			r := cat.Roles[owner]
			if r == nil {
				return nil, pgerror.Newf(pgerror.UndefinedObject, "role %q does not exist", owner)
			}
			oid = r.OID
		}
		t.bumpCatalog()
		s := &catalog.Schema{OID: t.allocID(), Name: name, Owner: oid}
		t.ov.Put(catalog.BucketCatalog, catalog.SchemaDescKey(name), catalog.EncodeSchema(s))
		return tagCursor("CREATE SCHEMA", nil), nil
	}), nil
}

// buildDropSchema plans DROP SCHEMA [IF EXISTS] names [CASCADE|RESTRICT]:
// CASCADE drops the schema's views, tables and sequences first.
func (b *builder) buildDropSchema(ds *pg_query.DropStmt) (runner, error) {
	var names []string
	for _, o := range ds.Objects {
		names = append(names, strVal(o))
	}
	cascade := ds.Behavior == pg_query.DropBehavior_DROP_CASCADE
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		for _, name := range names {
			cat, err := t.catalog()
			if err != nil {
				return nil, err
			}
			if cat.Schemas[name] == nil {
				if ds.MissingOk {
					notice(e, fmt.Sprintf("schema %q does not exist, skipping", name))
					continue
				}
				return nil, pgerror.Newf(pgerror.InvalidSchemaName, "schema %q does not exist", name)
			}
			deps := schemaObjects(cat, name)
			if slices.Contains(b.searchPath(), name) {
				for i := range deps {
					deps[i].name = relBase(deps[i].name)
					if deps[i].on != "" {
						deps[i].on = "sequence " + relBase(strings.TrimPrefix(deps[i].on, "sequence "))
					}
				}
			}
			if len(deps) > 0 && !cascade {
				lines := make([]string, len(deps))
				for i, d := range deps {
					on := "schema " + name
					if d.on != "" {
						on = d.on
					}
					lines[i] = d.kind + " " + d.name + " depends on " + on
				}
				return nil, pgerror.Newf(pgerror.DependentObjectsExist, "cannot drop schema %s because other objects depend on it", name).
					WithDetail("%s", strings.Join(lines, "\n")).
					WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
			}
			if len(deps) > 0 {
				lines := make([]string, len(deps))
				for i, d := range deps {
					lines[i] = "drop cascades to " + d.kind + " " + d.name
				}
				noticeCascade(e, lines)
				if err := b.dropSchemaObjects(e, cat, name); err != nil {
					return nil, err
				}
			}
			t.bumpCatalog()
			t.ov.Delete(catalog.BucketCatalog, catalog.SchemaDescKey(name))
		}
		return tagCursor("DROP SCHEMA", nil), nil
	}), nil
}

// schemaObject is what DROP SCHEMA drops: a relation of the schema
// (on == ""), or the default of a column outside it bound to one of its
// sequences (on: that sequence).
type schemaObject struct{ kind, name, on string }

// schemaObjects lists what depends on schema name, in creation order:
// tables, views and sequences no column owns — each of these followed by
// the defaults of other schemas' columns bound to it.
func schemaObjects(cat *catalog.Catalog, name string) []schemaObject {
	type obj struct {
		oid uint32
		o   schemaObject
	}
	var objs []obj
	tables, views, seqs := cat.SchemaRelations(name)
	for _, n := range tables {
		objs = append(objs, obj{cat.Tables[n].OID, schemaObject{kind: "table", name: n}})
	}
	for _, n := range views {
		objs = append(objs, obj{cat.Views[n].OID, schemaObject{kind: "view", name: n}})
	}
	for _, n := range seqs {
		if sq := cat.Sequences[n]; sq.OwnedBy == "" {
			objs = append(objs, obj{sq.ID, schemaObject{kind: "sequence", name: n}})
		}
	}
	for i := 1; i < len(objs); i++ {
		for j := i; j > 0 && objs[j].oid < objs[j-1].oid; j-- {
			objs[j], objs[j-1] = objs[j-1], objs[j]
		}
	}
	var out []schemaObject
	for _, o := range objs {
		out = append(out, o.o)
		if o.o.kind != "sequence" {
			continue
		}
		sq := cat.Sequences[o.o.name]
		users, cols := sequenceUsers(cat, sq)
		for i, tn := range users {
			if strings.HasPrefix(tn, name+".") {
				continue // dropped with its table
			}
			out = append(out, schemaObject{kind: "default value for column " + cat.Tables[tn].Columns[cols[i]].Name + " of table",
				name: displayRelName(cat, tn), on: "sequence " + o.o.name})
		}
	}
	return out
}

// dropSchemaObjects drops the views, tables and sequences of schema name
// with the DROP statements' own runners.
func (b *builder) dropSchemaObjects(e *env, cat *catalog.Catalog, name string) error {
	tables, views, seqs := cat.SchemaRelations(name)
	quiet := &env{}
	*quiet = *e
	quiet.vars = nil // the cascade was reported once, by DROP SCHEMA
	drop := func(kind pg_query.ObjectType, names []string) error {
		if len(names) == 0 {
			return nil
		}
		ds := &pg_query.DropStmt{RemoveType: kind, MissingOk: true, Behavior: pg_query.DropBehavior_DROP_CASCADE}
		for _, n := range names {
			ds.Objects = append(ds.Objects, pg_query.MakeListNode([]*pg_query.Node{pg_query.MakeStrNode(n)}))
		}
		var r runner
		var err error
		switch kind {
		case pg_query.ObjectType_OBJECT_VIEW:
			r, err = b.buildDropView(ds)
		case pg_query.ObjectType_OBJECT_SEQUENCE:
			r, err = b.buildDropSequence(ds)
		default:
			r, err = b.buildDrop(ds)
		}
		if err != nil {
			return err
		}
		c, err := r.run(quiet)
		if c != nil {
			c.Close()
		}
		return err
	}
	if err := drop(pg_query.ObjectType_OBJECT_VIEW, views); err != nil {
		return err
	}
	if err := drop(pg_query.ObjectType_OBJECT_TABLE, tables); err != nil {
		return err
	}
	var free []string
	after, err := e.txn.catalog()
	if err != nil {
		return err
	}
	for _, n := range seqs {
		if after.Sequences[n] != nil {
			free = append(free, n)
		}
	}
	return drop(pg_query.ObjectType_OBJECT_SEQUENCE, free)
}

// relBase is a catalog relation name without its schema ("s.t" → "t"):
// the stem of the names of its indexes.
func relBase(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// setRelation fills an error's table and schema fields (pgx's TableName
// and SchemaName) from the catalog name of the relation it is about.
func setRelation(pe *pgerror.Error, name string) {
	pe.SchemaName, pe.TableName = "public", name
	if i := strings.IndexByte(name, '.'); i > 0 {
		pe.SchemaName, pe.TableName = name[:i], name[i+1:]
	}
}

// currentSchema is current_schema(): the first schema of search_path that
// exists, NULL when none does.
func currentSchema(en *env) (Datum, error) {
	if en.txn == nil {
		return "public", nil
	}
	cat, err := en.txn.catalog()
	if err != nil {
		return nil, err
	}
	p := ""
	if en.vars != nil {
		p, _ = en.vars.Get("search_path")
	}
	b := &builder{txn: &Txn{searchPath: p, user: en.txn.user}, cat: cat}
	if path := b.searchPath(); len(path) > 0 {
		return path[0], nil
	}
	return nil, nil
}
