package exec

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
)

// Privilege checks. While planning, the builder records what the statement
// needs: SELECT on every table it reads (FROM items, joins, subqueries,
// the WHERE and RETURNING of DML), INSERT/UPDATE/DELETE/TRUNCATE on the
// table it changes, ownership for DDL on a table or index, CREATE on schema
// public for CREATE TABLE. Prepared.Open checks them against the
// transaction's user before running anything, as PostgreSQL's executor
// does (ExecCheckPermissions), so a prepared statement re-checks on every
// execution. Superusers and the engine's internal statements (no user)
// pass. Sequence privileges (nextval of a SERIAL column) are not checked.

// privOwner is a pseudo privilege: the user must own the relation.
const privOwner catalog.Privilege = 1 << 15

// privCreateSchema: CREATE on schema public.
const privCreateSchema catalog.Privilege = 1 << 14

// privState is the builder's privilege bookkeeping.
type privState struct {
	// needs are the privileges the statement needs.
	needs []privNeed
	// dmlTarget is the table a DML statement changes: its scan is not a
	// read needing SELECT.
	dmlTarget *pg_query.RangeVar
}

type privNeed struct {
	rel   string // table or index name; "" for privCreateSchema
	index bool   // rel names an index (privOwner)
	priv  catalog.Privilege
}

// require records that the statement needs priv on relation rel.
func (b *builder) require(rel string, priv catalog.Privilege) {
	for i := range b.needs {
		if b.needs[i].rel == rel && !b.needs[i].index {
			b.needs[i].priv |= priv
			return
		}
	}
	b.needs = append(b.needs, privNeed{rel: rel, priv: priv})
}

// checkTableReads asks Config.TableReads when the statement touches a
// table (needs names one: system views and catalogs are not recorded).
func (e *Engine) checkTableReads(needs []privNeed) error {
	if e.cfg.TableReads == nil {
		return nil
	}
	for _, n := range needs {
		if n.rel != "" && !n.index {
			return e.cfg.TableReads()
		}
	}
	return nil
}

// dataAllowed asks Config.TableReads before a function reads or changes
// stored data (sequences, sizes).
func (e *Engine) dataAllowed() error {
	if e.cfg.TableReads == nil {
		return nil
	}
	return e.cfg.TableReads()
}

// collectPrivileges records the privileges a statement needs on its
// target, before it is planned (the reads are recorded by buildRangeVar).
func (b *builder) collectPrivileges(n *pg_query.Node) {
	switch v := n.Node.(type) {
	case *pg_query.Node_InsertStmt:
		s := v.InsertStmt
		if s.Relation == nil {
			return
		}
		b.dmlTarget = s.Relation
		p := catalog.PrivInsert
		if oc := s.OnConflictClause; oc != nil && oc.Action == pg_query.OnConflictAction_ONCONFLICT_UPDATE {
			p |= catalog.PrivUpdate
			if oc.WhereClause != nil || hasColumnRef(oc) {
				p |= catalog.PrivSelect
			}
		}
		if len(s.ReturningList) > 0 {
			p |= catalog.PrivSelect
		}
		b.require(s.Relation.Relname, p)
	case *pg_query.Node_UpdateStmt:
		s := v.UpdateStmt
		b.dmlTarget = s.Relation
		p := catalog.PrivUpdate
		if s.WhereClause != nil || len(s.ReturningList) > 0 {
			p |= catalog.PrivSelect
		}
		for _, tn := range s.TargetList {
			if rt := tn.GetResTarget(); rt != nil && rt.Val != nil && hasColumnRef(rt.Val) {
				p |= catalog.PrivSelect
			}
		}
		b.require(s.Relation.Relname, p)
	case *pg_query.Node_MergeStmt:
		s := v.MergeStmt
		b.dmlTarget = s.Relation
		p := catalog.PrivSelect // the join condition reads it
		for _, n := range s.MergeWhenClauses {
			switch n.GetMergeWhenClause().GetCommandType() {
			case pg_query.CmdType_CMD_UPDATE:
				p |= catalog.PrivUpdate
			case pg_query.CmdType_CMD_DELETE:
				p |= catalog.PrivDelete
			case pg_query.CmdType_CMD_INSERT:
				p |= catalog.PrivInsert
			}
		}
		b.require(s.Relation.Relname, p)
	case *pg_query.Node_DeleteStmt:
		s := v.DeleteStmt
		b.dmlTarget = s.Relation
		p := catalog.PrivDelete
		if s.WhereClause != nil || len(s.ReturningList) > 0 {
			p |= catalog.PrivSelect
		}
		b.require(s.Relation.Relname, p)
	case *pg_query.Node_TruncateStmt:
		for _, r := range v.TruncateStmt.Relations {
			if rv := r.GetRangeVar(); rv != nil {
				b.require(rv.Relname, catalog.PrivTruncate)
			}
		}
	case *pg_query.Node_CreateStmt, *pg_query.Node_CreateTableAsStmt:
		b.needs = append(b.needs, privNeed{priv: privCreateSchema})
	case *pg_query.Node_IndexStmt:
		if v.IndexStmt.Relation != nil {
			b.require(v.IndexStmt.Relation.Relname, privOwner)
		}
	case *pg_query.Node_RenameStmt:
		if rv := v.RenameStmt.Relation; rv != nil {
			if v.RenameStmt.RenameType == pg_query.ObjectType_OBJECT_INDEX {
				b.needs = append(b.needs, privNeed{rel: rv.Relname, index: true, priv: privOwner})
			} else {
				b.require(rv.Relname, privOwner)
			}
		}
	case *pg_query.Node_AlterObjectSchemaStmt:
		if rv := v.AlterObjectSchemaStmt.Relation; rv != nil {
			b.require(rv.Relname, privOwner)
		}
	case *pg_query.Node_AlterTableStmt:
		if v.AlterTableStmt.Relation != nil {
			b.require(v.AlterTableStmt.Relation.Relname, privOwner)
		}
	case *pg_query.Node_DropStmt:
		ds := v.DropStmt
		index := ds.RemoveType == pg_query.ObjectType_OBJECT_INDEX
		if !index && ds.RemoveType != pg_query.ObjectType_OBJECT_TABLE {
			return
		}
		for _, o := range ds.Objects {
			if l := o.GetList(); l != nil {
				b.needs = append(b.needs, privNeed{rel: lastName(l.Items), index: index, priv: privOwner})
			}
		}
	}
}

// readNeedsSelect reports whether a scan of rv is a read that needs
// SELECT (not the target of the DML being planned).
func (b *builder) readNeedsSelect(rv *pg_query.RangeVar) bool { return rv != b.dmlTarget }

// checkPrivileges fails with 42501 unless t's user holds every privilege
// in needs.
func checkPrivileges(t *Txn, cat *catalog.Catalog, needs []privNeed) error {
	if len(needs) == 0 || t.user == "" {
		return nil
	}
	me, err := t.currentRole(cat)
	if err != nil {
		return err
	}
	if isSuper(me) {
		return nil
	}
	for _, n := range needs {
		if n.priv == privCreateSchema {
			if !cat.CanCreateInPublic(me.OID) {
				return pgerror.New(pgerror.InsufficientPrivilege, "permission denied for schema public")
			}
			continue
		}
		var tbl *catalog.Table
		if n.index {
			tbl, _ = cat.IndexByName(n.rel)
		} else {
			tbl = cat.Tables[n.rel]
		}
		if tbl == nil {
			continue // the statement reports the missing relation itself
		}
		if n.priv&privOwner != 0 {
			if !cat.HasPrivsOf(me.OID, tbl.OwnerOID()) {
				kind := "table"
				if n.index {
					kind = "index"
				}
				return pgerror.Newf(pgerror.InsufficientPrivilege, "must be owner of %s %s", kind, n.rel)
			}
			continue
		}
		if have := cat.TablePrivileges(me.OID, tbl); n.priv&^have != 0 {
			return pgerror.Newf(pgerror.InsufficientPrivilege, "permission denied for table %s", n.rel)
		}
	}
	return nil
}

// hasColumnRef reports whether the parse tree under m references a
// column.
func hasColumnRef(m proto.Message) bool {
	return parser.Contains(m, func(m proto.Message) (bool, bool) {
		_, ok := m.(*pg_query.ColumnRef)
		return ok, true
	})
}
