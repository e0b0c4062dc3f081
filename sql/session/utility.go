package session

import (
	"context"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// execUtility runs a statement the session handles itself.
func (s *Session) execUtility(ctx context.Context, st *statement, out output) error {
	switch st.kind {
	case kindBegin, kindCommit, kindRollback:
		return s.execTx(ctx, st, out)
	case kindSavepoint, kindRelease, kindRollbackTo:
		return s.execSavepoint(ctx, st, out)
	case kindExecute:
		return s.execExecute(ctx, st, out)
	case kindCopy:
		return s.execCopy(ctx, st, out)
	}
	switch st.kind {
	case kindSet:
		if err := s.forwardUtility(ctx, st); err != nil {
			return err
		}
		return s.execSet(st, out)
	case kindShow:
		return s.execShow(st, out)
	case kindPrepare:
		return s.execPrepare(ctx, st, out)
	case kindDeallocate:
		return s.execDeallocate(st, out)
	case kindDiscard:
		return s.execDiscard(st, out)
	case kindDeclare:
		return s.execDeclare(ctx, st, out)
	case kindFetch:
		return s.execFetch(ctx, st, out)
	case kindClose:
		return s.execClose(st, out)
	}
	return pgerror.Newf(pgerror.InternalError, "session: unexpected statement kind %d", st.kind)
}

// notice sends a notice if the writer can and client_min_messages allows.
func (s *Session) notice(w result.Writer, n *pgerror.Error) {
	nw, ok := w.(result.Noticer)
	if !ok || n == nil {
		return
	}
	lvl, _ := s.vars.Get("client_min_messages")
	if lvl == "error" || lvl == "warning" && n.Severity != pgerror.SeverityWarning {
		return
	}
	nw.Notice(n)
}

// execTx runs BEGIN / COMMIT / ROLLBACK.
func (s *Session) execTx(ctx context.Context, st *statement, out output) error {
	ts := st.ast.Node.GetTransactionStmt()
	var o txOutcome
	switch st.kind {
	case kindBegin:
		tag := "BEGIN"
		if ts.Kind == pg_query.TransactionStmtKind_TRANS_STMT_START {
			tag = "START TRANSACTION"
		}
		var err error
		if o, err = onBegin(s.block, tag); err != nil {
			return err
		}
		if o.warning == nil {
			if err := s.startExplicit(ts.Options); err != nil {
				return err
			}
		}
	case kindCommit:
		o = onCommit(s.block)
	default:
		o = onRollback(s.block)
	}
	if st.kind == kindBegin && o.warning == nil {
		// Forwarded statements before BEGIN join the explicit block there too.
		if err := s.forwardUtility(ctx, st); err != nil {
			return err
		}
	}
	if err := s.finishTx(ctx, o.action, out.w); err != nil {
		return err
	}
	s.notice(out.w, o.warning)
	return out.w.Complete(o.tag)
}

// startExplicit turns the current (implicit or no) block into an explicit
// one with BEGIN's options.
func (s *Session) startExplicit(opts []*pg_query.Node) error {
	s.block = blockExplicit
	return s.applyTxOptions(opts)
}

func (s *Session) finishTx(ctx context.Context, a txAction, w result.Writer) error {
	switch a {
	case actCommit:
		return s.commitBlock(ctx, w)
	case actRollback:
		s.endBlock(false)
	}
	return nil
}

// applyTxOptions applies ISOLATION LEVEL / READ ONLY / READ WRITE /
// [NOT] DEFERRABLE of BEGIN or SET TRANSACTION.
func (s *Session) applyTxOptions(opts []*pg_query.Node) error {
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		v, err := constText(d.Arg)
		if err != nil {
			return err
		}
		switch d.Defname {
		case "transaction_isolation", "transaction_read_only", "transaction_deferrable":
			if err := s.setTxParam(d.Defname, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// setTxParam sets transaction_isolation or transaction_read_only for the
// current block.
func (s *Session) setTxParam(name, v string) error {
	_, canon, err := s.vars.validate(name, v)
	if err != nil {
		return err
	}
	if name == "transaction_isolation" {
		if s.txQueried && canon != s.dynVar(name) {
			return pgerror.New(pgerror.ActiveSQLTransaction, "SET TRANSACTION ISOLATION LEVEL must be called before any query")
		}
		if len(s.savepoints) > 0 && canon != s.dynVar(name) {
			return pgerror.New(pgerror.ActiveSQLTransaction, "SET TRANSACTION ISOLATION LEVEL must not be called in a subtransaction")
		}
		if ro, _ := s.cfg.ReadOnly(); ro && canon == "serializable" {
			return pgerror.New(pgerror.FeatureNotSupported, "cannot use serializable mode in a hot standby").
				WithHint("You can use REPEATABLE READ instead.")
		}
		s.txIso = canon
		return nil
	}
	if name == "transaction_deferrable" {
		if len(s.savepoints) > 0 {
			return pgerror.New(pgerror.ActiveSQLTransaction, "SET TRANSACTION [NOT] DEFERRABLE cannot be called within a subtransaction")
		}
		if s.txQueried && canon != s.dynVar(name) {
			return pgerror.New(pgerror.ActiveSQLTransaction, "SET TRANSACTION [NOT] DEFERRABLE must be called before any query")
		}
		d := canon == "on"
		s.txDefer = &d
		return nil
	}
	ro := canon == "on"
	if !ro {
		if len(s.savepoints) > 0 && s.readOnlyTx() {
			return pgerror.New(pgerror.ActiveSQLTransaction, "cannot set transaction read-write mode inside a read-only transaction")
		}
		if nodeRO, _ := s.cfg.ReadOnly(); nodeRO {
			return pgerror.New(pgerror.FeatureNotSupported, "cannot set transaction read-write mode during recovery")
		}
		if s.txQueried && s.readOnlyTx() {
			return pgerror.New(pgerror.ActiveSQLTransaction, "transaction read-write mode must be set before any query")
		}
	}
	s.txReadOnly = &ro
	return nil
}

func (s *Session) dynVar(name string) string { v, _ := s.dynamicVar(name); return v }

// setParam is SET name = value (and set_config). The transaction
// parameters outside a transaction block only warn, as in PostgreSQL.
func (s *Session) setParam(name, value string, local bool) error {
	switch strings.ToLower(name) {
	case "transaction_isolation", "transaction_read_only", "transaction_deferrable":
		if s.block != blockExplicit {
			return nil
		}
		return s.setTxParam(strings.ToLower(name), value)
	case "session_authorization":
		if value != s.info.User {
			return pgerror.Newf(pgerror.InsufficientPrivilege, "permission denied to set session authorization %q", value)
		}
	}
	return s.vars.set(name, value, s.block != blockNone, local)
}

var warnSetLocal = &pgerror.Error{Code: pgerror.NoActiveSQLTransaction, Severity: pgerror.SeverityWarning,
	Message: "SET LOCAL can only be used in transaction blocks"}

var warnSetConstraints = &pgerror.Error{Code: pgerror.NoActiveSQLTransaction, Severity: pgerror.SeverityWarning,
	Message: "SET CONSTRAINTS can only be used in transaction blocks"}

var warnSetTx = &pgerror.Error{Code: pgerror.NoActiveSQLTransaction, Severity: pgerror.SeverityWarning,
	Message: "SET TRANSACTION can only be used in transaction blocks"}

// execSet runs SET, SET LOCAL, SET ... TO DEFAULT, RESET and RESET ALL.
func (s *Session) execSet(st *statement, out output) error {
	v := st.ast.Node.GetVariableSetStmt()
	inBlock := s.block != blockNone
	tag := "SET"
	var err error
	switch v.Kind {
	case pg_query.VariableSetKind_VAR_SET_VALUE:
		err = s.execSetValue(v, out)
	case pg_query.VariableSetKind_VAR_SET_DEFAULT, pg_query.VariableSetKind_VAR_RESET:
		if v.Kind == pg_query.VariableSetKind_VAR_RESET {
			tag = "RESET"
		}
		err = s.resetParam(v.Name, v.IsLocal, inBlock)
	case pg_query.VariableSetKind_VAR_RESET_ALL:
		tag = "RESET"
		s.vars.resetAll(inBlock)
	case pg_query.VariableSetKind_VAR_SET_MULTI:
		err = s.execSetMulti(v, out)
	default:
		err = pgerror.New(pgerror.FeatureNotSupported, "SET ... FROM CURRENT is not supported")
	}
	if err != nil {
		return err
	}
	return out.w.Complete(tag)
}

func (s *Session) execSetValue(v *pg_query.VariableSetStmt, out output) error {
	d, err := s.vars.lookup(v.Name)
	if err != nil {
		return err
	}
	val, err := setArgs(d, v.Args)
	if err != nil {
		return err
	}
	lname := strings.ToLower(d.name)
	if (lname == "transaction_isolation" || lname == "transaction_read_only" || lname == "transaction_deferrable") && s.block != blockExplicit {
		if _, _, err := s.vars.validate(d.name, val); err != nil {
			return err
		}
		s.notice(out.w, warnSetTx)
		return nil
	}
	if v.IsLocal && s.block != blockExplicit {
		s.notice(out.w, warnSetLocal)
	}
	return s.setParam(d.name, val, v.IsLocal)
}

func (s *Session) resetParam(name string, local, inBlock bool) error {
	d, err := s.vars.lookup(name)
	if err != nil {
		return err
	}
	switch strings.ToLower(d.name) {
	case "transaction_isolation", "transaction_read_only":
		return nil
	}
	if local {
		return s.vars.set(d.name, s.vars.reset[strings.ToLower(d.name)], inBlock, true)
	}
	return s.vars.resetOne(d.name, inBlock)
}

// execSetMulti is SET TRANSACTION ... and SET SESSION CHARACTERISTICS AS
// TRANSACTION ....
func (s *Session) execSetMulti(v *pg_query.VariableSetStmt, out output) error {
	if v.Name == "TRANSACTION" {
		if s.block != blockExplicit {
			s.notice(out.w, warnSetTx)
			return nil
		}
		return s.applyTxOptions(v.Args)
	}
	for _, a := range v.Args {
		d := a.GetDefElem()
		if d == nil {
			continue
		}
		val, err := constText(d.Arg)
		if err != nil {
			return err
		}
		switch d.Defname {
		case "transaction_isolation", "transaction_read_only", "transaction_deferrable":
			if err := s.vars.set("default_"+d.Defname, val, s.block != blockNone, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// setArgs renders SET's arguments as the parameter's text value.
func setArgs(d *gucDef, args []*pg_query.Node) (string, error) {
	if len(args) > 1 && !d.list {
		return "", pgerror.Newf(pgerror.InvalidParameterValue, "SET %s takes only one argument", d.name)
	}
	parts := make([]string, len(args))
	for i, a := range args {
		v, err := constText(a)
		if err != nil {
			return "", err
		}
		if d.quote && a.GetAConst().GetSval() != nil {
			v = parser.QuoteIdent(v)
		}
		parts[i] = v
	}
	return strings.Join(parts, ", "), nil
}

// constText returns the text of a constant (A_Const) argument.
func constText(n *pg_query.Node) (string, error) {
	c := n.GetAConst()
	if c == nil {
		if n.GetTypeCast() != nil {
			return "", pgerror.New(pgerror.FeatureNotSupported, "typed values are not supported here")
		}
		return "", pgerror.New(pgerror.SyntaxError, "a constant value is required")
	}
	switch v := c.Val.(type) {
	case *pg_query.A_Const_Sval:
		return v.Sval.Sval, nil
	case *pg_query.A_Const_Ival:
		return strconv.FormatInt(int64(v.Ival.Ival), 10), nil
	case *pg_query.A_Const_Fval:
		return v.Fval.Fval, nil
	case *pg_query.A_Const_Boolval:
		return boolText(v.Boolval.Boolval), nil
	case *pg_query.A_Const_Bsval:
		return v.Bsval.Bsval, nil
	}
	return "", pgerror.New(pgerror.SyntaxError, "NULL is not allowed here")
}

// execShow runs SHOW name and SHOW ALL.
func (s *Session) execShow(st *statement, out output) error {
	if out.setCols {
		if err := out.w.SetColumns(st.cols); err != nil {
			return err
		}
	}
	name := st.ast.Node.GetVariableShowStmt().GetName()
	if name == "all" {
		for _, n := range s.vars.names() {
			v, _ := s.vars.Get(n)
			if err := out.w.AddRow([]types.Datum{n, v, s.vars.defs[strings.ToLower(n)].desc}); err != nil {
				return err
			}
		}
	} else {
		v, _ := s.vars.Get(name)
		if err := out.w.AddRow([]types.Datum{v}); err != nil {
			return err
		}
	}
	return out.w.Complete("SHOW")
}
