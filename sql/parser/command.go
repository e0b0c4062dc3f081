package parser

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// CommandWord is the command word PostgreSQL uses in "cannot execute %s
// in a read-only transaction".
func CommandWord(st Statement) string {
	switch x := st.Node.GetNode().(type) {
	case *pg_query.Node_InsertStmt:
		return "INSERT"
	case *pg_query.Node_UpdateStmt:
		return "UPDATE"
	case *pg_query.Node_DeleteStmt:
		return "DELETE"
	case *pg_query.Node_MergeStmt:
		return "MERGE"
	case *pg_query.Node_SelectStmt:
		return "SELECT"
	case *pg_query.Node_CreateStmt:
		return "CREATE TABLE"
	case *pg_query.Node_CreateTableAsStmt:
		if x.CreateTableAsStmt.IsSelectInto {
			return "SELECT INTO"
		}
		return "CREATE TABLE AS"
	case *pg_query.Node_IndexStmt:
		return "CREATE INDEX"
	case *pg_query.Node_CreateSeqStmt:
		return "CREATE SEQUENCE"
	case *pg_query.Node_TruncateStmt:
		return "TRUNCATE TABLE"
	case *pg_query.Node_DropStmt:
		return "DROP " + dropObjectName(x.DropStmt.RemoveType)
	case *pg_query.Node_LockStmt:
		return "LOCK TABLE"
	case *pg_query.Node_CreatedbStmt:
		return "CREATE DATABASE"
	case *pg_query.Node_DropdbStmt:
		return "DROP DATABASE"
	case *pg_query.Node_AlterDatabaseStmt:
		return "ALTER DATABASE"
	case *pg_query.Node_ExplainStmt:
		return CommandWord(Statement{Node: x.ExplainStmt.Query, SQL: st.SQL})
	}
	f := strings.Fields(st.SQL)
	if len(f) == 0 {
		return "this statement"
	}
	return strings.ToUpper(f[0])
}

func dropObjectName(t pg_query.ObjectType) string {
	switch t {
	case pg_query.ObjectType_OBJECT_INDEX:
		return "INDEX"
	case pg_query.ObjectType_OBJECT_SEQUENCE:
		return "SEQUENCE"
	case pg_query.ObjectType_OBJECT_VIEW:
		return "VIEW"
	case pg_query.ObjectType_OBJECT_SCHEMA:
		return "SCHEMA"
	}
	return "TABLE"
}
