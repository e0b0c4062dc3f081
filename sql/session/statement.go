package session

import (
	"context"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// stmtKind says who runs a statement: the engine, or the session itself
// (transaction control, parameters, SQL-level prepared statements).
type stmtKind int

const (
	kindEmpty stmtKind = iota
	kindEngine
	kindBegin
	kindCommit
	kindRollback
	kindSet
	kindShow
	kindPrepare
	kindExecute
	kindDeallocate
	kindDiscard
	kindCopy
	kindDeclare
	kindFetch
	kindClose
	kindSavepoint
	kindRelease
	kindRollbackTo
)

// statement is a prepared statement: protocol-level (Parse), SQL-level
// (PREPARE) or the transient one of a simple query.
type statement struct {
	ast    parser.Statement
	kind   stmtKind
	prep   *exec.Prepared // kindEngine
	params []types.T
	cols   []result.Column
	// formats: the all-text [0] and all-binary [1] result formats of
	// cols, shared by portals (resultFormats).
	formats [2][]int16
}

func (st *statement) description() result.StatementDescription {
	d := result.StatementDescription{ParamTypes: make([]types.Oid, len(st.params)), Columns: st.cols}
	for i, t := range st.params {
		d.ParamTypes[i] = t.Oid
	}
	return d
}

// isTxEnd reports whether st may run in a failed transaction block.
func (st *statement) isTxEnd() bool { return runsWhenFailed(st.kind) }

// runsWhenFailed reports whether a statement of kind k may run in a
// failed transaction block: COMMIT, ROLLBACK and ROLLBACK TO SAVEPOINT.
func runsWhenFailed(k stmtKind) bool {
	return k == kindCommit || k == kindRollback || k == kindRollbackTo
}

// readOnly reports whether st never writes (session statements don't).
// A statement described by the primary (no local plan) counts as writing.
func (st *statement) readOnly() bool {
	return st.kind != kindEngine || (st.prep != nil && st.prep.ReadOnly())
}

// classify returns the kind of a parsed statement, or 0A000 for
// transaction features we do not have.
func classify(n *pg_query.Node) (stmtKind, error) {
	switch x := n.GetNode().(type) {
	case nil:
		return kindEmpty, nil
	case *pg_query.Node_TransactionStmt:
		return classifyTx(x.TransactionStmt)
	case *pg_query.Node_VariableSetStmt:
		return kindSet, nil
	case *pg_query.Node_VariableShowStmt:
		return kindShow, nil
	case *pg_query.Node_PrepareStmt:
		return kindPrepare, nil
	case *pg_query.Node_ExecuteStmt:
		return kindExecute, nil
	case *pg_query.Node_DeallocateStmt:
		return kindDeallocate, nil
	case *pg_query.Node_DiscardStmt:
		return kindDiscard, nil
	case *pg_query.Node_CopyStmt:
		return kindCopy, nil
	case *pg_query.Node_DeclareCursorStmt:
		return kindDeclare, nil
	case *pg_query.Node_FetchStmt:
		return kindFetch, nil
	case *pg_query.Node_ClosePortalStmt:
		return kindClose, nil
	}
	return kindEngine, nil
}

func classifyTx(t *pg_query.TransactionStmt) (stmtKind, error) {
	switch t.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START:
		return kindBegin, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:
		if t.Chain {
			return 0, pgerror.New(pgerror.FeatureNotSupported, "COMMIT AND CHAIN is not supported")
		}
		return kindCommit, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		if t.Chain {
			return 0, pgerror.New(pgerror.FeatureNotSupported, "ROLLBACK AND CHAIN is not supported")
		}
		return kindRollback, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
		return kindSavepoint, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_RELEASE:
		return kindRelease, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return kindRollbackTo, nil
	}
	return 0, pgerror.New(pgerror.FeatureNotSupported, "two-phase commit is not supported")
}

// prepareStmt builds a statement from a parsed one. Engine statements are
// planned in the session's transaction when there is one, else in a
// short read-only transaction.
func (s *Session) prepareStmt(ctx context.Context, ast parser.Statement, paramOids []types.Oid) (*statement, error) {
	ast, err := s.rewriteExplainExecute(ast)
	if err != nil {
		return nil, err
	}
	kind, err := classify(ast.Node)
	if err != nil {
		return nil, err
	}
	st := &statement{ast: ast, kind: kind}
	switch kind {
	case kindShow:
		return s.prepareShow(ctx, st, paramOids)
	case kindExecute:
		target, err := s.lookupStmt(ast.Node.GetExecuteStmt().GetName())
		if err != nil {
			return nil, err
		}
		st.cols = target.cols
	case kindFetch:
		st.cols = s.cursorColumns(ast.Node.GetFetchStmt())
	case kindEngine:
		return s.prepareEngine(ctx, st, paramOids)
	}
	return st, nil
}

// prepareShow gives SHOW its one text column named after the parameter;
// SHOW TOPOLOGY is SELECT * FROM helios_topology.
func (s *Session) prepareShow(ctx context.Context, st *statement, paramOids []types.Oid) (*statement, error) {
	name := st.ast.Node.GetVariableShowStmt().GetName()
	switch name {
	case "topology":
		ast, err := parser.ParseOne("SELECT * FROM helios_topology")
		if err != nil {
			return nil, err
		}
		st.ast, st.kind = ast, kindEngine
		return s.prepareEngine(ctx, st, paramOids)
	case "all":
		st.cols = []result.Column{textColumn("name"), textColumn("setting"), textColumn("description")}
		return st, nil
	}
	d, err := s.vars.lookup(name)
	if err != nil {
		return nil, err
	}
	st.cols = []result.Column{textColumn(d.name)}
	return st, nil
}

func textColumn(name string) result.Column { return result.Column{Name: name, Type: types.Text} }

func (s *Session) prepareEngine(ctx context.Context, st *statement, paramOids []types.Oid) (*statement, error) {
	if s.fwd != nil {
		return s.describeRemote(ctx, st, paramOids)
	}
	err := s.withTxn(ctx, func(t *exec.Txn) error {
		sp, _ := s.vars.Get("search_path")
		t.SetSearchPath(sp)
		p, err := s.cfg.Engine.Prepare(ctx, t, st.ast, paramOids)
		if err != nil {
			return err
		}
		st.prep = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	st.params = st.prep.ParamTypes()
	st.cols = st.prep.Columns()
	return st, nil
}

// withTxn runs fn in the session's open transaction, or in a throw-away
// read-only one when there is none.
func (s *Session) withTxn(ctx context.Context, fn func(*exec.Txn) error) error {
	if s.txn != nil {
		return fn(s.txn)
	}
	t, err := s.cfg.Engine.Begin(ctx, true)
	if err != nil {
		return err
	}
	t.SetUser(s.info.User)
	t.SetTempSpace(s.tempSpace())
	defer t.Rollback()
	return fn(t)
}
