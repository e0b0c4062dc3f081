package classify

import (
	"context"
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/parser"
)

// Kind says where a statement may run.
type Kind uint8

// Kinds, weakest first: combining statements keeps the strongest.
const (
	Any   Kind = iota // wherever the session already is
	Read              // any healthy node
	Write             // the primary
)

func (k Kind) String() string {
	switch k {
	case Read:
		return "read"
	case Write:
		return "write"
	}
	return "any"
}

// Reasons: stable words for logs and metric labels.
const (
	ReasonSelect           = "select"
	ReasonShow             = "show"
	ReasonExplain          = "explain"
	ReasonCopyTo           = "copy-to"
	ReasonCopyFrom         = "copy-from"
	ReasonDML              = "dml"
	ReasonDDL              = "ddl"
	ReasonUtility          = "utility"
	ReasonLocking          = "locking"
	ReasonSelectInto       = "select-into"
	ReasonModifyingCTE     = "data-modifying-cte"
	ReasonVolatileFunction = "volatile-function"
	ReasonBegin            = "begin"
	ReasonBeginReadOnly    = "begin-read-only"
	ReasonTxControl        = "transaction-control"
	ReasonSet              = "set"
	ReasonSetLocal         = "set-local"
	ReasonDiscard          = "discard"
	ReasonDeallocate       = "deallocate"
	ReasonTempObject       = "temp-object"
	ReasonCursor           = "cursor"
	ReasonSQLPrepare       = "sql-prepare"
	ReasonNotify           = "listen-notify"
	ReasonEmpty            = "empty"
	ReasonUnparsed         = "unparsed"
	ReasonBatch            = "batch"
)

// Class is the routing class of a query string.
type Class struct {
	Kind   Kind
	Reason string // why Kind, from the statement that decided it
	// Set lists the session-level SET/RESET statements, in order, to replay
	// on every other backend the session uses once they have succeeded.
	Set []string
	// Temp: the query creates a temporary object; the session must stay
	// on the backend that holds it (the primary).
	Temp bool
	// DiscardAll: DISCARD ALL resets the session (and its prepared
	// statements) on the backend that runs it.
	DiscardAll bool
	// Deallocate lists SQL DEALLOCATE targets; "*" means ALL.
	Deallocate []string
	// literal: the class depends on a literal's value (EXPLAIN (ANALYZE 0)),
	// so it must not be cached by shape.
	literal bool
}

// Modifies reports whether the query changes data or schema (a Write for
// another reason than opening a transaction).
func (c Class) Modifies() bool { return c.Kind == Write && c.Reason != ReasonBegin }

func (c Class) String() string { return fmt.Sprintf("%s(%s)", c.Kind, c.Reason) }

// maxParsedStatements: a query string with more statements is classified
// by classifyBatch, without parsing every statement (pg_query costs tens
// of microseconds per statement, which a script of a million statements
// would spend before the first one reaches a node).
const maxParsedStatements = 256

// Classify classifies sql without a cache.
func Classify(sql string) Class {
	pieces, err := parser.Split(context.Background(), sql)
	if err == nil && len(pieces) > maxParsedStatements {
		return classifyBatch(sql, pieces)
	}
	stmts, err := parser.Parse(sql)
	if err != nil {
		return Class{Kind: Any, Reason: ReasonUnparsed}
	}
	out := Class{Kind: Any, Reason: ReasonEmpty}
	for i, st := range stmts {
		out.add(statement(st), i == 0)
	}
	return out
}

// add merges the class of one more statement into c.
func (c *Class) add(s Class, first bool) {
	if first || s.Kind > c.Kind {
		c.Kind, c.Reason = s.Kind, s.Reason
	}
	c.Set = append(c.Set, s.Set...)
	c.Deallocate = append(c.Deallocate, s.Deallocate...)
	c.Temp = c.Temp || s.Temp
	c.DiscardAll = c.DiscardAll || s.DiscardAll
	c.literal = c.literal || s.literal
}

// sessionWords are the first words of the statements that can change
// what a Class records about the session (SET texts, temporary objects,
// DISCARD, DEALLOCATE).
var sessionWords = map[string]bool{
	"set": true, "reset": true, "discard": true, "deallocate": true, "create": true,
	"select": true, "with": true, "explain": true,
}

// classifyBatch classifies a long script as a write (it goes to the
// primary, which can run anything) and parses only the statements whose
// first word says they may carry session state; SELECT … INTO TEMP
// counts, so SELECT and WITH are parsed too unless there are too many.
func classifyBatch(sql string, pieces []parser.Piece) Class {
	out := Class{Kind: Write, Reason: ReasonBatch}
	parsed := 0
	for _, p := range pieces {
		text := sql[p.Start:p.End]
		w := strings.ToLower(firstWord(text))
		if !sessionWords[w] || (w == "select" || w == "with" || w == "explain") && parsed >= maxParsedStatements {
			continue
		}
		parsed++
		stmts, err := parser.Parse(text)
		if err != nil {
			continue // the node will answer the error
		}
		for _, st := range stmts {
			c := statement(st)
			c.Kind, c.Reason = Write, ReasonBatch
			out.add(c, false)
		}
	}
	return out
}

func firstWord(s string) string {
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] == '_') {
		i++
	}
	return s[:i]
}

// statement classifies one parsed statement.
func statement(st parser.Statement) Class {
	switch n := st.Node.GetNode().(type) {
	case *pg_query.Node_SelectStmt:
		return inspect(n.SelectStmt, Class{Kind: Read, Reason: ReasonSelect})
	case *pg_query.Node_VariableShowStmt:
		return Class{Kind: Read, Reason: ReasonShow}
	case *pg_query.Node_ExplainStmt:
		return explain(n.ExplainStmt)
	case *pg_query.Node_CopyStmt:
		return copyStmt(n.CopyStmt)
	case *pg_query.Node_TransactionStmt:
		return transaction(n.TransactionStmt)
	case *pg_query.Node_VariableSetStmt:
		return set(n.VariableSetStmt, st.SQL)
	case *pg_query.Node_DiscardStmt:
		return Class{Kind: Any, Reason: ReasonDiscard, DiscardAll: n.DiscardStmt.Target == pg_query.DiscardMode_DISCARD_ALL}
	case *pg_query.Node_DeallocateStmt:
		target := n.DeallocateStmt.Name
		if n.DeallocateStmt.Isall || target == "" {
			target = "*"
		}
		return Class{Kind: Any, Reason: ReasonDeallocate, Deallocate: []string{target}}
	case *pg_query.Node_InsertStmt, *pg_query.Node_UpdateStmt, *pg_query.Node_DeleteStmt, *pg_query.Node_MergeStmt:
		return Class{Kind: Write, Reason: ReasonDML}
	case *pg_query.Node_DeclareCursorStmt, *pg_query.Node_FetchStmt, *pg_query.Node_ClosePortalStmt:
		return Class{Kind: Write, Reason: ReasonCursor}
	case *pg_query.Node_PrepareStmt, *pg_query.Node_ExecuteStmt:
		return Class{Kind: Write, Reason: ReasonSQLPrepare}
	case *pg_query.Node_ListenStmt, *pg_query.Node_UnlistenStmt, *pg_query.Node_NotifyStmt:
		return Class{Kind: Write, Reason: ReasonNotify}
	}
	if temporary(st.Node) {
		return Class{Kind: Write, Reason: ReasonTempObject, Temp: true}
	}
	return Class{Kind: Write, Reason: utilityReason(st.Node)}
}

func explain(e *pg_query.ExplainStmt) Class {
	out := Class{Kind: Read, Reason: ReasonExplain}
	for _, o := range e.Options {
		d := o.GetDefElem()
		if d == nil || d.Defname != "analyze" {
			continue
		}
		out.literal = d.Arg != nil // ANALYZE 0, ANALYZE 'off': the value decides
		if defTrue(d) {
			if inner := statement(parser.Statement{Node: e.Query}); inner.Kind == Write {
				inner.literal = out.literal
				return inner
			}
		}
		break
	}
	return out
}

func copyStmt(c *pg_query.CopyStmt) Class {
	if c.IsFrom {
		return Class{Kind: Write, Reason: ReasonCopyFrom}
	}
	if c.Query != nil {
		if inner := statement(parser.Statement{Node: c.Query}); inner.Kind == Write {
			return inner
		}
	}
	return Class{Kind: Read, Reason: ReasonCopyTo}
}

func transaction(t *pg_query.TransactionStmt) Class {
	switch t.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START:
		for _, o := range t.Options {
			if d := o.GetDefElem(); d != nil && d.Defname == "transaction_read_only" && defTrue(d) {
				return Class{Kind: Read, Reason: ReasonBeginReadOnly}
			}
		}
		return Class{Kind: Write, Reason: ReasonBegin}
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED, pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED:
		return Class{Kind: Write, Reason: ReasonUtility}
	}
	return Class{Kind: Any, Reason: ReasonTxControl}
}

func set(s *pg_query.VariableSetStmt, sql string) Class {
	if s.IsLocal || strings.EqualFold(s.Name, "transaction") {
		return Class{Kind: Any, Reason: ReasonSetLocal}
	}
	return Class{Kind: Any, Reason: ReasonSet, Set: []string{sql}}
}

// defTrue reports whether a DefElem option is on: no argument, or a
// true/1/on constant.
func defTrue(d *pg_query.DefElem) bool {
	if d.Arg == nil {
		return true
	}
	if c := d.Arg.GetAConst(); c != nil {
		switch {
		case c.GetIval() != nil:
			return c.GetIval().Ival != 0
		case c.GetBoolval() != nil:
			return c.GetBoolval().Boolval
		case c.GetSval() != nil:
			v := strings.ToLower(c.GetSval().Sval)
			return v == "true" || v == "on" || v == "1"
		}
	}
	if s := d.Arg.GetString_(); s != nil {
		v := strings.ToLower(s.Sval)
		return v == "true" || v == "on" || v == "1"
	}
	if n := d.Arg.GetInteger(); n != nil {
		return n.Ival != 0
	}
	if f := d.Arg.GetFloat(); f != nil {
		return f.Fval != "0" && f.Fval != "0.0"
	}
	return true
}

// temporary reports whether a CREATE statement makes a temporary object.
func temporary(n *pg_query.Node) bool {
	var rv *pg_query.RangeVar
	switch x := n.GetNode().(type) {
	case *pg_query.Node_CreateStmt:
		rv = x.CreateStmt.Relation
	case *pg_query.Node_CreateTableAsStmt:
		if x.CreateTableAsStmt.Into != nil {
			rv = x.CreateTableAsStmt.Into.Rel
		}
	case *pg_query.Node_CreateSeqStmt:
		rv = x.CreateSeqStmt.Sequence
	case *pg_query.Node_ViewStmt:
		rv = x.ViewStmt.View
	}
	// CREATE TABLE pg_temp.t makes a temporary table too.
	return rv != nil && (rv.Relpersistence == "t" || rv.Schemaname == "pg_temp")
}

var ddlPrefixes = []string{"Create", "Alter", "Drop", "Rename", "Grant", "Comment", "Truncate", "Index", "View", "Reindex", "Cluster", "Refresh"}

func utilityReason(n *pg_query.Node) string {
	name := strings.TrimPrefix(fmt.Sprintf("%T", n.GetNode()), "*pg_query.Node_")
	for _, p := range ddlPrefixes {
		if strings.HasPrefix(name, p) {
			return ReasonDDL
		}
	}
	return ReasonUtility
}
