package session

import (
	"context"
	"log/slog"
	"time"

	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// Query runs a simple-protocol query string. Outside an explicit
// transaction its statements form one implicit transaction, committed at
// the end of the string (or at a COMMIT inside it); BEGIN inside the
// string turns it into an explicit one. It stops at the first error,
// which aborts the transaction block, and returns that error.
func (s *Session) Query(ctx context.Context, sql string, w result.Writer) error {
	if s.closed {
		return ErrClosed
	}
	if err := types.VerifyEncoding(sql); err != nil {
		s.abort()
		return err
	}
	if done, err := s.queryCached(ctx, sql, w); done {
		return err
	}
	stmts, err := s.parseQuery(ctx, sql)
	if err != nil {
		s.abort()
		return err
	}
	if len(stmts) == 0 {
		return result.ErrEmptyQuery
	}
	s.activityStart(sql)
	defer s.activityIdle()
	defer func() { s.lastInString, s.multiString = false, false }()
	s.multiString = len(stmts) > 1
	for i, ast := range stmts {
		if ctx.Err() != nil { // a cancel between two statements of a long string
			s.abort()
			return mapCancel(ctx, ctx, ctx.Err())
		}
		s.beginImplicit()
		s.lastInString = i == len(stmts)-1
		if err := s.runSimple(ctx, ast, w); err != nil {
			s.abort()
			return err
		}
	}
	if s.block == blockImplicit {
		return s.commitImplicit(ctx, w)
	}
	return nil
}

// parseQuery parses a whole query string before any of it runs, as
// PostgreSQL does, under the first statement's statement_timeout; a
// cancel request or the timeout stops it between two statements.
func (s *Session) parseQuery(ctx context.Context, sql string) ([]parser.Statement, error) {
	sctx, cancel := s.stmtContext(ctx)
	defer cancel()
	stmts, err := parser.ParseContext(sctx, sql)
	return stmts, mapCancel(ctx, sctx, err)
}

// runSimple runs one statement of a simple query under statement_timeout.
func (s *Session) runSimple(ctx context.Context, ast parser.Statement, w result.Writer) error {
	start := s.cfg.Now()
	sctx, cancel := s.stmtContext(ctx)
	defer cancel()
	err := s.runParsed(sctx, ast, output{w: w, setCols: true})
	err = mapCancel(ctx, sctx, err)
	s.logStatement(ast.SQL, start, err)
	return err
}

func (s *Session) runParsed(ctx context.Context, ast parser.Statement, out output) error {
	kind, err := classify(ast.Node)
	if err != nil {
		return err
	}
	if s.block == blockFailed && !runsWhenFailed(kind) {
		return errAborted()
	}
	if kind == kindEngine && s.fwd != nil {
		// The block runs on the primary: no local plan needed (EXPLAIN
		// EXECUTE names a statement only this session knows).
		if ast, err = s.rewriteExplainExecute(ast); err != nil {
			return err
		}
		return s.forwardStmt(ctx, &statement{ast: ast, kind: kindEngine}, nil, out)
	}
	if kind == kindEngine {
		if err := s.ensureTxn(ctx); err != nil {
			return err
		}
	}
	st, err := s.prepareStmt(ctx, ast, nil)
	if err != nil {
		return err
	}
	return s.execStatement(ctx, st, nil, out)
}

// execStatement runs a prepared statement to completion.
func (s *Session) execStatement(ctx context.Context, st *statement, params []types.Datum, out output) error {
	switch st.kind {
	case kindEmpty:
		return result.ErrEmptyQuery
	case kindEngine:
		return s.runEngine(ctx, st, params, out)
	}
	return s.execUtility(ctx, st, out)
}

// runEngine runs an engine statement to completion in the block's
// transaction. In a simple query a writing statement's results are held
// back until commit so that a conflict can be retried invisibly.
func (s *Session) runEngine(ctx context.Context, st *statement, params []types.Datum, out output) error {
	if s.fwd == nil {
		// A statement the primary described gets a local plan, which says
		// whether it writes.
		if err := s.planLocally(ctx, st); err != nil {
			return err
		}
	}
	if s.forwarding(st) {
		return s.forwardStmt(ctx, st, params, out)
	}
	if err := s.checkWritable(st); err != nil {
		return err
	}
	if st.ast.Node.GetLockStmt() != nil && !s.inTxBlock() {
		return pgerror.New(pgerror.NoActiveSQLTransaction, "LOCK TABLE can only be used in transaction blocks")
	}
	if st.ast.Node.GetConstraintsSetStmt() != nil && !s.inTxBlock() {
		s.notice(out.w, warnSetConstraints)
	}
	if err := s.ensureTxn(ctx); err != nil {
		return err
	}
	if !st.readOnly() {
		if err := s.freezeCursors(ctx); err != nil {
			return err
		}
	}
	rec, err := s.newRecord(st, params, out)
	if err != nil {
		return err
	}
	return s.openAndPump(ctx, rec)
}

func (s *Session) openAndPump(ctx context.Context, rec *record) error {
	cur, err := rec.st.prep.Open(ctx, s.txn, rec.params, noticeVars{sessionVars{s}, rec.out.w})
	if err != nil {
		return err
	}
	defer cur.Close()
	_, err = s.pump(ctx, rec, cur, 0)
	return err
}

// stmtContext applies statement_timeout to ctx and counts the statement
// in Config.Running until the returned cancel is called. Without a
// timeout the statement runs under ctx itself: the caller's context is
// already the statement's own (pgwire makes one per message and cancels
// it when the call returns), and a child context per statement cost an
// allocation and a registration in the parent's child set.
func (s *Session) stmtContext(ctx context.Context) (context.Context, context.CancelFunc) {
	r := s.cfg.Running
	if d := s.stmtTimeout.get(s.vars, "statement_timeout"); d > 0 {
		sctx, cancel := context.WithTimeoutCause(ctx, d, errStatementTimeout)
		if r == nil {
			return sctx, cancel
		}
		r.Add(1)
		return sctx, func() { cancel(); r.Add(-1) }
	}
	if r == nil {
		return ctx, noCancel
	}
	r.Add(1)
	if s.stmtDone == nil {
		s.stmtDone = func() { r.Add(-1) } // made once: a closure per statement was an allocation
	}
	return ctx, s.stmtDone
}

func noCancel() {}

// mapCancel turns the error of a statement whose context ended into 57014
// (cancel request or statement_timeout), or into the cause the caller
// gave when cancelling (e.g. 57P01 at shutdown).
func mapCancel(parent, sctx context.Context, err error) error {
	if err == nil || sctx.Err() == nil {
		return err
	}
	if parent.Err() != nil {
		if pe := pgerror.As(context.Cause(parent)); pe != nil {
			return pe
		}
		return errUserCancel()
	}
	if pgerror.As(context.Cause(sctx)) == errStatementTimeout {
		return errStatementTimeout
	}
	return err
}

func (s *Session) logStatement(sql string, start time.Time, err error) {
	if !s.log.Enabled(context.Background(), slog.LevelDebug) {
		return // the arguments below would be boxed (allocated) for nothing
	}
	took := s.cfg.Now().Sub(start)
	if err != nil {
		s.log.Debug("statement failed", "sql", sql, "took", took, "code", string(pgerror.CodeOf(err)), "err", err)
		return
	}
	s.log.Debug("statement", "sql", sql, "took", took)
}

// sessionVars is the exec.Vars the engine sees: every parameter by name,
// and Set for set_config().
type sessionVars struct{ s *Session }

func (s *Session) execVars() exec.Vars { return sessionVars{s} }

// noticeVars also forwards the engine's notices ("table does not exist,
// skipping") to the statement's writer. Re-runs after a conflict use plain
// sessionVars so that a notice reaches the client once.
type noticeVars struct {
	sessionVars
	w result.Writer
}

// Notice implements result.Noticer.
func (v noticeVars) Notice(n *pgerror.Error) { v.s.notice(v.w, n) }

// Get returns a parameter's current value.
func (v sessionVars) Get(name string) (string, bool) { return v.s.vars.Get(name) }

// Set implements set_config(name, value, is_local) with SET's rules.
func (v sessionVars) Set(name, value string, local bool) error {
	return v.s.setParam(name, value, local)
}

// switchCtx is the context a suspended portal's cursor was opened with:
// the engine keeps the context given to Open, but each Execute of the
// portal brings its own (cancel request, statement_timeout), so
// cancellation follows whichever Execute is running the portal now.
type switchCtx struct {
	context.Context
	cur context.Context
}

func (c *switchCtx) Done() <-chan struct{}                   { return c.cur.Done() }
func (c *switchCtx) Err() error                              { return c.cur.Err() }
func (c *switchCtx) Deadline() (deadline time.Time, ok bool) { return c.cur.Deadline() }
