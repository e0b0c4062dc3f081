package exec

import (
	"strings"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgerror"
)

// Renaming and moving relations between schemas (ALTER ... RENAME TO and
// ALTER ... SET SCHEMA). A relation's catalog name carries its schema
// (catalog/namespace.go), so both are a change of catalog name: the
// descriptor moves to its new key and the names that refer to it follow
// (owned sequences' OwnedBy, the defaults bound to a sequence, a table's
// list of owned sequences). Storage buckets are named by ID and foreign
// keys and locks refer to tables by OID, so no row moves. Views store
// their query as text naming what they read: a relation a view reads is
// not renamed or moved (0A000), as before.

// siblingName is the catalog name of relation rel in the schema of the
// relation named name: ALTER ... RENAME TO keeps a relation in its schema.
func siblingName(cat *catalog.Catalog, name, rel string) string {
	if isTempName(name) {
		return name[:strings.IndexByte(name, '.')+1] + rel
	}
	schema, _ := cat.SplitName(name)
	return catalog.QualifiedName(schema, rel)
}

// ownName is the name of a relation within its schema.
func ownName(cat *catalog.Catalog, name string) string {
	if isTempName(name) {
		return name[strings.IndexByte(name, '.')+1:]
	}
	_, rel := cat.SplitName(name)
	return rel
}

// movedName is the catalog name relation name takes in schema (ALTER ...
// SET SCHEMA), after PostgreSQL's checks: the schema exists, and neither
// end is a temporary schema.
func movedName(e *env, cat *catalog.Catalog, name, schema string) (string, error) {
	if own := e.txn.temp.SchemaName(); schema == "pg_temp" && own != "" {
		schema = own
	}
	if schema != "public" && cat.Schemas[schema] == nil {
		return "", pgerror.Newf(pgerror.InvalidSchemaName, "schema %q does not exist", schema)
	}
	if isTempName(schema+".") != isTempName(name) {
		return "", pgerror.New(pgerror.FeatureNotSupported, "cannot move objects into or out of temporary schemas")
	}
	return catalog.QualifiedName(schema, ownName(cat, name)), nil
}

// schemaOf is the schema part of a catalog name ("public" for a bare one).
func schemaOf(cat *catalog.Catalog, name string) string {
	if isTempName(name) {
		return name[:strings.IndexByte(name, '.')]
	}
	schema, _ := cat.SplitName(name)
	return schema
}

// clashInSchema is PostgreSQL's 42P07 for a move onto a taken name.
func clashInSchema(cat *catalog.Catalog, to string) error {
	return pgerror.Newf(pgerror.DuplicateTable, "relation %q already exists in schema %q", ownName(cat, to), schemaOf(cat, to))
}

// movedRelation is the relation an ALTER ... RENAME or SET SCHEMA names.
type movedRelation struct {
	table *catalog.Table
	view  *catalog.View
	seq   *catalog.Sequence
}

// lookupMoved finds the relation named name for an ALTER of kind
// ("TABLE", which accepts views and sequences too as PostgreSQL's does,
// "VIEW" or "SEQUENCE"): a zero value and no error after the notice under
// IF EXISTS.
func lookupMoved(e *env, cat *catalog.Catalog, kind, name string, missingOK bool) (movedRelation, error) {
	m := movedRelation{table: cat.Tables[name], view: cat.Views[name], seq: cat.Sequences[name]}
	if m.table == nil && m.view == nil && m.seq == nil {
		if missingOK {
			notice(e, "relation \""+relBase(name)+"\" does not exist, skipping")
			return m, nil
		}
		return m, pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", name)
	}
	switch {
	case kind == "VIEW" && m.view == nil:
		return movedRelation{}, pgerror.Newf(pgerror.WrongObjectType, "%q is not a view", relBase(name))
	case kind == "SEQUENCE" && m.seq == nil:
		return movedRelation{}, pgerror.Newf(pgerror.WrongObjectType, "%q is not a sequence", relBase(name))
	}
	return m, nil
}

// move gives the relation the catalog name to: a rename within its schema,
// or (setSchema) a move to another schema, which takes a table's owned
// sequences along as PostgreSQL does.
func (m movedRelation) move(e *env, cat *catalog.Catalog, to string, setSchema bool) error {
	switch {
	case m.seq != nil:
		return moveSequence(e, cat, m.seq, to, ownName(cat, to))
	case m.view != nil:
		return moveView(e, cat, m.view, to)
	}
	return moveTable(e, cat, m.table, to, setSchema)
}

// moveView renames or moves a view no other view reads.
func moveView(e *env, cat *catalog.Catalog, v *catalog.View, to string) error {
	if deps := viewDependents(cat, v.Name, "view"); len(deps) > 0 {
		return pgerror.Newf(pgerror.FeatureNotSupported, "cannot rename view %q: view %q depends on it", relBase(v.Name), relBase(deps[0].view.Name))
	}
	nv := *v
	nv.Name = to
	e.txn.bumpCatalog()
	e.txn.ov.Delete(catalog.BucketCatalog, catalog.ViewKey(v.Name))
	e.txn.ov.Put(catalog.BucketCatalog, catalog.ViewKey(to), catalog.EncodeView(&nv))
	return nil
}

// moveTable renames or moves a table no view reads. With withSeqs its
// owned sequences move to the same schema first (moveSequence rewrites
// the defaults bound to them); then the table's descriptor moves, and its
// sequences' OwnedBy name it by its new name.
func moveTable(e *env, cat *catalog.Catalog, tbl *catalog.Table, to string, withSeqs bool) error {
	if deps := viewDependents(cat, tbl.Name, "table"); len(deps) > 0 {
		return pgerror.Newf(pgerror.FeatureNotSupported, "cannot rename table %q: view %q depends on it", relBase(tbl.Name), relBase(deps[0].view.Name))
	}
	from := tbl.Name
	if withSeqs {
		schema := schemaOf(cat, to)
		var moves []*catalog.Sequence
		for _, sn := range tbl.Sequences {
			sq := cat.Sequences[sn]
			if sq == nil || schemaOf(cat, sn) == schema {
				continue
			}
			if st := catalog.QualifiedName(schema, ownName(cat, sn)); cat.RelationExists(st) {
				return clashInSchema(cat, st)
			}
			moves = append(moves, sq)
		}
		for _, sq := range moves {
			if err := moveSequence(e, cat, sq, catalog.QualifiedName(schema, ownName(cat, sq.Name)), ownName(cat, sq.Name)); err != nil {
				return err
			}
		}
		var err error
		if cat, err = e.txn.catalog(); err != nil { // the sequences' moves rewrote tbl's descriptor
			return err
		}
		tbl = cat.Tables[from]
	}
	nt := tbl.Clone()
	nt.Name = to
	t := e.txn
	t.bumpCatalog()
	t.ov.Delete(catalog.BucketCatalog, catalog.TableKey(from))
	t.ov.Put(catalog.BucketCatalog, catalog.TableKey(to), catalog.EncodeTable(nt))
	for _, sn := range nt.Sequences {
		sq := cat.Sequences[sn]
		if sq == nil || !strings.HasPrefix(sq.OwnedBy, from+".") {
			continue
		}
		ns := *sq
		ns.OwnedBy = to + strings.TrimPrefix(sq.OwnedBy, from)
		t.ov.Put(catalog.BucketCatalog, catalog.SequenceKey(sn), catalog.EncodeSequence(&ns))
	}
	return nil
}
