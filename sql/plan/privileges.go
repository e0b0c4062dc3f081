package plan

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/parser"
)

// PrivOwner is a pseudo privilege: the user must own the relation.
const PrivOwner catalog.Privilege = 1 << 15

// PrivCreateSchema is a pseudo privilege: CREATE on schema public.
const PrivCreateSchema catalog.Privilege = 1 << 14

// PrivNeed is a privilege a statement needs on a relation.
type PrivNeed struct {
	Rel   string // table or index name; "" for PrivCreateSchema
	Index bool   // Rel names an index (PrivOwner)
	Priv  catalog.Privilege
}

// DMLTarget is the table a DML statement changes: its scan is not a read
// that needs SELECT. The zero value is no target.
type DMLTarget struct{ rv *pg_query.RangeVar }

// Is reports whether rv is the target (the same node of the parse tree).
func (d DMLTarget) Is(rv *pg_query.RangeVar) bool { return d.rv != nil && rv == d.rv }

// TargetPrivileges are the privileges a statement needs on its target,
// known before it is planned (the reads are recorded as the planner meets
// them), and for INSERT, UPDATE, DELETE and MERGE the table they change
// (hasTarget).
type TargetPrivileges struct {
	Needs     []PrivNeed
	Target    DMLTarget
	HasTarget bool
}

// TargetPrivilegesOf describes what n needs on its target: INSERT (and
// UPDATE for ON CONFLICT DO UPDATE, SELECT when it reads the row),
// UPDATE, DELETE (SELECT with a WHERE or RETURNING), the MERGE actions,
// TRUNCATE, CREATE on schema public for CREATE TABLE [AS], and ownership
// for DDL on a table or index.
func TargetPrivilegesOf(n *pg_query.Node) TargetPrivileges {
	var tp TargetPrivileges
	need := func(rv *pg_query.RangeVar, p catalog.Privilege) {
		tp.Needs = append(tp.Needs, PrivNeed{Rel: rv.Relname, Priv: p})
	}
	target := func(rv *pg_query.RangeVar) {
		tp.Target, tp.HasTarget = DMLTarget{rv}, true
	}
	switch v := n.Node.(type) {
	case *pg_query.Node_InsertStmt:
		s := v.InsertStmt
		if s.Relation == nil {
			break
		}
		target(s.Relation)
		p := catalog.PrivInsert
		if oc := s.OnConflictClause; oc != nil && oc.Action == pg_query.OnConflictAction_ONCONFLICT_UPDATE {
			p |= catalog.PrivUpdate
			if oc.WhereClause != nil || HasColumnRef(oc) {
				p |= catalog.PrivSelect
			}
		}
		if len(s.ReturningList) > 0 {
			p |= catalog.PrivSelect
		}
		need(s.Relation, p)
	case *pg_query.Node_UpdateStmt:
		s := v.UpdateStmt
		target(s.Relation)
		p := catalog.PrivUpdate
		if s.WhereClause != nil || len(s.ReturningList) > 0 {
			p |= catalog.PrivSelect
		}
		for _, tn := range s.TargetList {
			if rt := tn.GetResTarget(); rt != nil && rt.Val != nil && HasColumnRef(rt.Val) {
				p |= catalog.PrivSelect
			}
		}
		need(s.Relation, p)
	case *pg_query.Node_MergeStmt:
		s := v.MergeStmt
		target(s.Relation)
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
		need(s.Relation, p)
	case *pg_query.Node_DeleteStmt:
		s := v.DeleteStmt
		target(s.Relation)
		p := catalog.PrivDelete
		if s.WhereClause != nil || len(s.ReturningList) > 0 {
			p |= catalog.PrivSelect
		}
		need(s.Relation, p)
	case *pg_query.Node_TruncateStmt:
		for _, r := range v.TruncateStmt.Relations {
			if rv := r.GetRangeVar(); rv != nil {
				need(rv, catalog.PrivTruncate)
			}
		}
	case *pg_query.Node_CreateStmt, *pg_query.Node_CreateTableAsStmt:
		tp.Needs = append(tp.Needs, PrivNeed{Priv: PrivCreateSchema})
	case *pg_query.Node_IndexStmt:
		if rv := v.IndexStmt.Relation; rv != nil {
			need(rv, PrivOwner)
		}
	case *pg_query.Node_RenameStmt:
		if rv := v.RenameStmt.Relation; rv != nil {
			index := v.RenameStmt.RenameType == pg_query.ObjectType_OBJECT_INDEX
			tp.Needs = append(tp.Needs, PrivNeed{Rel: rv.Relname, Index: index, Priv: PrivOwner})
		}
	case *pg_query.Node_AlterObjectSchemaStmt:
		if rv := v.AlterObjectSchemaStmt.Relation; rv != nil {
			need(rv, PrivOwner)
		}
	case *pg_query.Node_AlterTableStmt:
		if rv := v.AlterTableStmt.Relation; rv != nil {
			need(rv, PrivOwner)
		}
	case *pg_query.Node_DropStmt:
		ds := v.DropStmt
		index := ds.RemoveType == pg_query.ObjectType_OBJECT_INDEX
		if !index && ds.RemoveType != pg_query.ObjectType_OBJECT_TABLE {
			break
		}
		for _, o := range ds.Objects {
			if l := o.GetList(); l != nil {
				tp.Needs = append(tp.Needs, PrivNeed{Rel: LastName(l.Items), Index: index, Priv: PrivOwner})
			}
		}
	}
	return tp
}

// HasColumnRef reports whether the parse tree under m references a
// column.
func HasColumnRef(m proto.Message) bool {
	return parser.Contains(m, func(m proto.Message) (bool, bool) {
		_, ok := m.(*pg_query.ColumnRef)
		return ok, true
	})
}
