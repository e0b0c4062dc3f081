package parser

import (
	"strings"
	"sync"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Transaction-control statements are the most frequent statements of all
// (every explicit transaction sends two) and the costliest to parse for
// what they are: a cgo call into pg_query plus a protobuf decode, ~10 µs
// for "BEGIN" (3.4 µs through here, Split included). A statement whose
// whole text is one of txWords (any case, single spaces; Split has
// already trimmed blanks and the semicolon) gets a fresh copy of the tree
// pg_query gave for that text instead (TestTxWordsMatchPgQuery checks
// that they are equal).
var txWords = []string{
	"BEGIN", "BEGIN WORK", "BEGIN TRANSACTION", "START TRANSACTION",
	"COMMIT", "COMMIT WORK", "COMMIT TRANSACTION", "END", "END WORK", "END TRANSACTION",
	"ROLLBACK", "ROLLBACK WORK", "ROLLBACK TRANSACTION", "ABORT", "ABORT WORK", "ABORT TRANSACTION",
}

// txTrees holds pg_query's tree for each of txWords, parsed once on first
// use; nil entries (a parse that failed, which cannot happen) disable the
// shortcut for that word.
var txTrees = sync.OnceValue(func() []*pg_query.Node {
	out := make([]*pg_query.Node, len(txWords))
	for i, w := range txWords {
		res, err := pg_query.Parse(w)
		if err == nil && len(res.Stmts) == 1 && res.Stmts[0].StmtLocation == 0 {
			out[i] = res.Stmts[0].Stmt
		}
	}
	return out
})

// txStatement returns the parse tree of src when src is one of txWords.
func txStatement(src string) (*pg_query.Node, bool) {
	if len(src) < 3 || len(src) > len("ROLLBACK TRANSACTION") {
		return nil, false
	}
	for i, w := range txWords {
		if len(w) == len(src) && strings.EqualFold(w, src) {
			ts := txTrees()[i].GetTransactionStmt()
			if ts == nil || len(ts.Options) > 0 {
				return nil, false
			}
			// A fresh tree (callers may annotate theirs), built field by
			// field: proto.Clone costs more than the rest of the parse.
			return &pg_query.Node{Node: &pg_query.Node_TransactionStmt{TransactionStmt: &pg_query.TransactionStmt{
				Kind: ts.Kind, SavepointName: ts.SavepointName, Gid: ts.Gid, Chain: ts.Chain, Location: ts.Location,
			}}}, true
		}
	}
	return nil, false
}
