package parser

import (
	"strings"
	"sync"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
)

// treeVersion is the parser's tree version, which pg_query's deparser
// checks.
var treeVersion = sync.OnceValue(func() int32 {
	r, _ := pg_query.Parse("SELECT 1")
	return r.GetVersion()
})

// Deparse renders a statement node (from Parse, so of bounded depth) as
// SQL text.
func Deparse(n *pg_query.Node) (string, error) {
	sql, err := pg_query.Deparse(&pg_query.ParseResult{Version: treeVersion(), Stmts: []*pg_query.RawStmt{{Stmt: n}}})
	if err != nil {
		return "", pgerror.Wrapf(err, pgerror.InternalError, "deparse")
	}
	return sql, nil
}

// DeparseExpr renders an expression node as SQL text.
func DeparseExpr(n *pg_query.Node) (string, error) {
	sel := &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: &pg_query.SelectStmt{
		TargetList: []*pg_query.Node{{Node: &pg_query.Node_ResTarget{ResTarget: &pg_query.ResTarget{Val: n}}}}}}}
	s, err := Deparse(sel)
	if err != nil {
		return "", err
	}
	return strings.TrimPrefix(s, "SELECT "), nil
}
