package plan

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/pgerror"
)

// What a statement locks before it is planned, and the description of
// LOCK TABLE: decisions over the statement's parse tree that sql/exec
// carries out against the catalog and the lock manager (tablelock.go,
// catlock.go there).

// TargetLock is a table lock a statement takes on its target before it
// is planned, as PostgreSQL's parser and rewriter lock the relations they
// open: ROW EXCLUSIVE for the target of INSERT, UPDATE, DELETE and MERGE,
// SHARE for CREATE INDEX, ACCESS EXCLUSIVE for TRUNCATE, ALTER TABLE,
// renames and DROP of a table or index.
type TargetLock struct {
	// Name is the table's name, or the index's when Index (the lock is
	// then on the index's table, which the caller looks up; an index it
	// does not know takes no lock).
	Name  string
	Index bool
	Mode  lock.Mode
}

// TargetLocks returns the target locks of statement n, in the order
// they are taken (reads are recorded when the statement is planned).
func TargetLocks(n *pg_query.Node) []TargetLock {
	var out []TargetLock
	rel := func(rv *pg_query.RangeVar, mode lock.Mode) {
		if rv != nil {
			out = append(out, TargetLock{Name: rv.Relname, Mode: mode})
		}
	}
	switch v := n.Node.(type) {
	case *pg_query.Node_InsertStmt:
		rel(v.InsertStmt.Relation, lock.RowExclusive)
	case *pg_query.Node_MergeStmt:
		rel(v.MergeStmt.Relation, lock.RowExclusive)
	case *pg_query.Node_UpdateStmt:
		rel(v.UpdateStmt.Relation, lock.RowExclusive)
	case *pg_query.Node_DeleteStmt:
		rel(v.DeleteStmt.Relation, lock.RowExclusive)
	case *pg_query.Node_TruncateStmt:
		for _, r := range v.TruncateStmt.Relations {
			rel(r.GetRangeVar(), lock.AccessExclusive)
		}
	case *pg_query.Node_IndexStmt:
		rel(v.IndexStmt.Relation, lock.Share)
	case *pg_query.Node_RenameStmt:
		rv := v.RenameStmt.Relation
		if rv == nil {
			break
		}
		out = append(out, TargetLock{Name: rv.Relname, Index: v.RenameStmt.RenameType == pg_query.ObjectType_OBJECT_INDEX, Mode: lock.AccessExclusive})
	case *pg_query.Node_AlterTableStmt:
		rel(v.AlterTableStmt.Relation, lock.AccessExclusive)
	case *pg_query.Node_AlterObjectSchemaStmt:
		rel(v.AlterObjectSchemaStmt.Relation, lock.AccessExclusive)
	case *pg_query.Node_DropStmt:
		ds := v.DropStmt
		for _, o := range ds.Objects {
			l := o.GetList()
			if l == nil {
				continue
			}
			name := LastName(l.Items)
			switch ds.RemoveType {
			case pg_query.ObjectType_OBJECT_TABLE:
				out = append(out, TargetLock{Name: name, Mode: lock.AccessExclusive})
			case pg_query.ObjectType_OBJECT_INDEX:
				out = append(out, TargetLock{Name: name, Index: true, Mode: lock.AccessExclusive})
			}
		}
	}
	return out
}

// IsDML reports whether statement n is INSERT, UPDATE, DELETE, MERGE or
// a SELECT without INTO (which may still write through writable CTEs or
// lock rows).
func IsDML(n *pg_query.Node) bool {
	switch v := n.Node.(type) {
	case *pg_query.Node_SelectStmt:
		return v.SelectStmt.IntoClause == nil
	case *pg_query.Node_InsertStmt, *pg_query.Node_UpdateStmt, *pg_query.Node_DeleteStmt, *pg_query.Node_MergeStmt:
		return true
	}
	return false
}

// MayWriteCatalog reports whether statement n, when it writes, may change
// the catalog: everything but DML (IsDML) and LOCK TABLE.
func MayWriteCatalog(n *pg_query.Node) bool {
	return !IsDML(n) && n.GetLockStmt() == nil
}

// LockTable is LOCK [TABLE] name [, …] [IN mode MODE] [NOWAIT].
type LockTable struct {
	Tables []RelName
	Mode   lock.Mode
	NoWait bool
}

// RelName is a relation named in a statement, with its position for
// errors.
type RelName struct {
	Name     string
	Location int32
}

// LockTableOf describes a LOCK statement.
func LockTableOf(ls *pg_query.LockStmt) (LockTable, *pgerror.Error) {
	mode, ok := lock.TableModeByNumber(int(ls.Mode))
	if !ok {
		return LockTable{}, pgerror.Newf(pgerror.InternalError, "unknown lock mode %d", ls.Mode)
	}
	lt := LockTable{Mode: mode, NoWait: ls.Nowait}
	for _, n := range ls.Relations {
		if rv := n.GetRangeVar(); rv != nil {
			lt.Tables = append(lt.Tables, RelName{Name: rv.Relname, Location: rv.Location})
		}
	}
	return lt, nil
}
