package session

import (
	"context"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// SQL-level prepared statements (PREPARE / EXECUTE / DEALLOCATE) share
// the namespace of protocol-level ones, as in PostgreSQL.

func (s *Session) lookupStmt(name string) (*statement, error) {
	st, ok := s.stmts[name]
	if !ok {
		return nil, errNoStatement(name)
	}
	return st, nil
}

// execPrepare runs PREPARE name [(types)] AS statement.
func (s *Session) execPrepare(ctx context.Context, st *statement, out output) error {
	p := st.ast.Node.GetPrepareStmt()
	if _, ok := s.stmts[p.Name]; ok {
		return pgerror.Newf(pgerror.DuplicatePreparedStmt, "prepared statement %q already exists", p.Name)
	}
	oids := make([]types.Oid, len(p.Argtypes))
	for i, a := range p.Argtypes {
		t, err := resolveType(a.GetTypeName())
		if err != nil {
			return err
		}
		oids[i] = t.Oid
	}
	inner := st.ast
	inner.Node = p.Query
	kind, err := classify(inner.Node)
	if err != nil {
		return err
	}
	if kind != kindEngine {
		return pgerror.New(pgerror.SyntaxError, "PREPARE accepts only SELECT, INSERT, UPDATE, DELETE and VALUES")
	}
	if s.cfg.Forward != nil {
		// A forwarded EXECUTE sends the statement's own text, not PREPARE's.
		if inner.SQL, err = deparse(p.Query); err != nil {
			return err
		}
	}
	prep, err := s.prepareStmt(ctx, inner, oids)
	if err != nil {
		return err
	}
	s.stmts[p.Name] = prep
	return out.w.Complete("PREPARE")
}

// resolveType turns a type name of PREPARE's list into a type.
func resolveType(tn *pg_query.TypeName) (types.T, error) {
	if tn == nil || len(tn.Names) == 0 {
		return types.Unknown, pgerror.New(pgerror.SyntaxError, "type name expected")
	}
	if len(tn.ArrayBounds) > 0 {
		name := tn.Names[len(tn.Names)-1].GetString_().GetSval()
		return types.ParseTypeName(name+"[]", nil)
	}
	name := tn.Names[len(tn.Names)-1].GetString_().GetSval()
	var mods []int32
	for _, m := range tn.Typmods {
		if c := m.GetAConst(); c != nil {
			mods = append(mods, c.GetIval().GetIval())
		}
	}
	return types.ParseTypeName(name, mods)
}

// execExecute runs EXECUTE name [(args)]; arguments must be constants.
func (s *Session) execExecute(ctx context.Context, st *statement, out output) error {
	e := st.ast.Node.GetExecuteStmt()
	target, err := s.lookupStmt(e.Name)
	if err != nil {
		return err
	}
	if len(e.Params) != len(target.params) {
		return pgerror.Newf(pgerror.SyntaxError, "wrong number of parameters for prepared statement %q", e.Name).
			WithDetail("Expected %d parameters but got %d.", len(target.params), len(e.Params))
	}
	params := make([]types.Datum, len(e.Params))
	for i, n := range e.Params {
		if params[i], err = constParam(n, target.params[i]); err != nil {
			return err
		}
	}
	if target.kind != kindEngine {
		return s.execStatement(ctx, target, params, out)
	}
	return s.runEngine(ctx, target, params, out)
}

// constParam evaluates a constant EXECUTE argument as type t.
func constParam(n *pg_query.Node, t types.T) (types.Datum, error) {
	if tc := n.GetTypeCast(); tc != nil {
		n = tc.Arg
	}
	c := n.GetAConst()
	if c == nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "EXECUTE parameters must be constants")
	}
	if c.Isnull {
		return nil, nil
	}
	text, err := constText(n)
	if err != nil {
		return nil, err
	}
	return types.ParseText(t, text)
}

// execDeallocate runs DEALLOCATE [PREPARE] name | ALL.
func (s *Session) execDeallocate(st *statement, out output) error {
	d := st.ast.Node.GetDeallocateStmt()
	if d.Isall || d.Name == "" {
		clear(s.stmts)
		return out.w.Complete("DEALLOCATE ALL")
	}
	if _, ok := s.stmts[d.Name]; !ok {
		return errNoStatement(d.Name)
	}
	delete(s.stmts, d.Name)
	return out.w.Complete("DEALLOCATE")
}

// execDiscard runs DISCARD ALL | PLANS | SEQUENCES | TEMP.
func (s *Session) execDiscard(st *statement, out output) error {
	switch st.ast.Node.GetDiscardStmt().Target {
	case pg_query.DiscardMode_DISCARD_ALL:
		if s.block == blockExplicit || s.block == blockFailed {
			return pgerror.New(pgerror.ActiveSQLTransaction, "DISCARD ALL cannot run inside a transaction block")
		}
		s.vars.resetAll(false)
		clear(s.stmts)
		s.closeCursors(func(*sqlCursor) bool { return true })
		for name, p := range s.portals {
			s.dropPortal(name, p)
		}
		return out.w.Complete("DISCARD ALL")
	case pg_query.DiscardMode_DISCARD_PLANS:
		return out.w.Complete("DISCARD PLANS")
	case pg_query.DiscardMode_DISCARD_SEQUENCES:
		return out.w.Complete("DISCARD SEQUENCES")
	}
	return out.w.Complete("DISCARD TEMP")
}
