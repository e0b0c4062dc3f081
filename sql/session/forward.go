package session

import (
	"context"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// Write forwarding. On a standby with Config.Forward set, a writing
// statement does not fail with 25006: from it to the end of the
// transaction block every engine statement (reads too) runs on the
// primary, in a session there (ForwardTxn), and the block's commit
// returns only once this node can read what it committed. Reads before
// the first write ran on this node's snapshot; the forwarded part reads
// the primary's latest state (a fresh snapshot at the first write), so a
// transaction is consistent from its first write on, as with Aurora's
// write forwarding. Transactions the client declared READ ONLY (or
// default_transaction_read_only) still get 25006.
//
// What runs where while a block is forwarded:
//   - engine statements (SELECT, DML, DDL, EXECUTE of a prepared one):
//     the primary; extended-protocol Parse is described by the primary too
//     (the table may exist only in the forwarded transaction);
//   - SET/RESET: here and on the primary; SHOW and other session
//     statements: here;
//   - BEGIN after forwarded statements of an implicit block: both;
//     COMMIT/ROLLBACK end the forwarded transaction.

// Forwarder starts transactions on the primary for a standby's sessions.
// It must be safe for concurrent use.
type Forwarder interface {
	// Begin starts a forwarded transaction for a session that logged in
	// with info. params are session parameters the primary's session
	// takes over; begin is the BEGIN statement to run there first ("" for
	// an implicit block). Begin connects lazily: errors surface at the
	// first Exec.
	Begin(ctx context.Context, info result.StartupInfo, params map[string]string, begin string) ForwardTxn
}

// ForwardTxn is one transaction running on the primary. It is used by one
// goroutine at a time.
type ForwardTxn interface {
	// Describe prepares sql on the primary and returns its description.
	Describe(ctx context.Context, sql string, paramTypes []types.Oid) (result.StatementDescription, error)
	// Exec runs st on the primary; its results go to w. With st.Commit the
	// transaction is committed too and Exec returns once this node can
	// read the commit.
	Exec(ctx context.Context, st ForwardStatement, w result.Writer) error
	// Commit commits and returns once this node can read the commit; a
	// warning about that wait goes to w when w is a result.Noticer (w may
	// be nil).
	Commit(ctx context.Context, w result.Writer) error
	// Close ends the transaction; one not committed rolls back.
	// Idempotent.
	Close()
}

// ForwardStatement is one statement to run on the primary.
type ForwardStatement struct {
	SQL        string
	ParamTypes []types.T
	Params     []types.Datum
	// SetColumns: call w.SetColumns (simple protocol); the extended
	// protocol's RowDescription came from Describe.
	SetColumns bool
	// Commit the transaction after the statement (autocommit in one
	// round trip).
	Commit bool
}

// forwardedParams are the session parameters a forwarded transaction
// takes over: those that change how the primary reads literals, resolves
// names, times statements or reports notices. Output formatting happens
// here, where the rows are encoded for the client.
var forwardedParams = []string{"TimeZone", "DateStyle", "IntervalStyle", "search_path", "statement_timeout",
	"client_min_messages", "application_name", "default_transaction_isolation", "extra_float_digits",
	"lock_timeout", "deadlock_timeout"}

// forwarding reports whether st runs on the primary: the block already
// forwards, or st writes on a standby with forwarding on outside a
// transaction the client made read-only.
func (s *Session) forwarding(st *statement) bool {
	if s.fwd != nil {
		return true
	}
	if s.cfg.Forward == nil || st.readOnly() || s.userReadOnly() {
		return false
	}
	ro, _ := s.cfg.ReadOnly()
	return ro
}

// ensureForward starts the block's forwarded transaction.
func (s *Session) ensureForward(ctx context.Context) {
	if s.fwd != nil {
		return
	}
	begin := ""
	if s.block == blockExplicit {
		begin = "BEGIN"
		if s.txIso != "" {
			begin += " ISOLATION LEVEL " + strings.ToUpper(s.txIso)
		}
	}
	params := map[string]string{}
	for _, name := range forwardedParams {
		d := s.vars.defs[strings.ToLower(name)]
		if v, ok := s.vars.Get(name); ok && d != nil && v != d.def {
			params[d.name] = v
		}
	}
	s.fwd = s.cfg.Forward.Begin(ctx, s.info, params, begin)
}

// endForward closes the forwarded transaction, if any (rolling back what
// was not committed).
func (s *Session) endForward() {
	if s.fwd != nil {
		s.fwd.Close()
		s.fwd = nil
	}
}

// forwardStmt runs an engine statement on the primary. A lone statement
// of an implicit block that is the last of its query string commits in
// the same round trip.
func (s *Session) forwardStmt(ctx context.Context, st *statement, params []types.Datum, out output) error {
	commit := s.fwd == nil && s.block == blockImplicit && s.lastInString
	if s.fwd == nil {
		s.ensureForward(ctx)
		if err := s.forwardSavepoints(ctx); err != nil {
			return err
		}
	}
	err := s.fwd.Exec(ctx, ForwardStatement{SQL: st.ast.SQL, ParamTypes: st.params, Params: params,
		SetColumns: out.setCols, Commit: commit}, out.w)
	if commit && err == nil {
		s.endForward() // committed and applied here; the block's local part commits at the end of the string
	}
	return err
}

// forwardUtility mirrors a session statement (SET, BEGIN) on the primary
// while the block forwards.
func (s *Session) forwardUtility(ctx context.Context, st *statement) error {
	if s.fwd == nil {
		return nil
	}
	return s.fwd.Exec(ctx, ForwardStatement{SQL: st.ast.SQL}, discard{})
}

// commitForwarded ends a forwarded block: the primary commits, this node
// waits until it can read the commit.
func (s *Session) commitForwarded(ctx context.Context, w result.Writer) error {
	err := s.fwd.Commit(ctx, w)
	s.endForward()
	s.endBlock(err == nil)
	return err
}

// describeRemote prepares an engine statement on the primary (Parse while
// a block forwards). The statement gets no local plan: one is made if it
// is executed here later (planLocally).
func (s *Session) describeRemote(ctx context.Context, st *statement, paramOids []types.Oid) (*statement, error) {
	d, err := s.fwd.Describe(ctx, st.ast.SQL, paramOids)
	if err != nil {
		return nil, err
	}
	st.params = make([]types.T, len(d.ParamTypes))
	for i, oid := range d.ParamTypes {
		st.params[i] = types.T{Oid: oid, Mod: -1}
	}
	st.cols = d.Columns
	return st, nil
}

// planLocally plans a statement that was described by the primary, for
// running it here.
func (s *Session) planLocally(ctx context.Context, st *statement) error {
	if st.kind != kindEngine || st.prep != nil {
		return nil
	}
	oids := make([]types.Oid, len(st.params))
	for i, t := range st.params {
		oids[i] = t.Oid
	}
	_, err := s.prepareEngine(ctx, st, oids)
	return err
}

// deparse renders a statement node as SQL text.
func deparse(n *pg_query.Node) (string, error) { return parser.Deparse(n) }

// executeForwarded runs an extended-protocol portal on the primary. With
// a row limit the rows are fetched at once and handed out maxRows at a
// time, so the portal can be suspended like a local one.
func (s *Session) executeForwarded(ctx context.Context, p *portal, maxRows int, out output) (bool, error) {
	if p.fwd == nil {
		if maxRows <= 0 {
			tw := &tagWriter{Writer: out.w}
			if err := s.forwardStmt(ctx, p.st, p.params, output{w: tw}); err != nil {
				return false, err
			}
			p.done, p.tag = true, tw.tag
			return false, nil
		}
		p.fwd = &fwdRows{}
		if err := s.forwardStmt(ctx, p.st, p.params, output{w: p.fwd}); err != nil {
			p.fwd = nil
			return false, err
		}
	}
	for _, n := range p.fwd.notices {
		s.notice(out.w, n)
	}
	p.fwd.notices = nil
	for n := 0; len(p.fwd.rows) > 0; n++ {
		if n == maxRows {
			return true, nil
		}
		if err := out.w.AddRow(p.fwd.rows[0]); err != nil {
			return false, err
		}
		p.fwd.rows = p.fwd.rows[1:]
	}
	p.done, p.tag = true, p.fwd.tag
	return false, out.w.Complete(p.fwd.tag)
}

// fwdRows holds a forwarded portal's results.
type fwdRows struct {
	rows    [][]types.Datum
	tag     string
	notices []*pgerror.Error
}

func (f *fwdRows) AddRow(row []types.Datum) error {
	f.rows = append(f.rows, append([]types.Datum(nil), row...))
	return nil
}
func (f *fwdRows) Complete(tag string) error        { f.tag = tag; return nil }
func (f *fwdRows) Notice(n *pgerror.Error)          { f.notices = append(f.notices, n) }
func (f *fwdRows) SetColumns([]result.Column) error { return nil }

// tagWriter remembers the command tag written through it.
type tagWriter struct {
	result.Writer
	tag string
}

func (w *tagWriter) Complete(tag string) error { w.tag = tag; return w.Writer.Complete(tag) }

// Notice passes notices on when the writer takes them.
func (w *tagWriter) Notice(n *pgerror.Error) {
	if nw, ok := w.Writer.(result.Noticer); ok {
		nw.Notice(n)
	}
}

// discard drops results (SET mirrored on the primary).
type discard struct{}

func (discard) SetColumns([]result.Column) error { return nil }
func (discard) AddRow([]types.Datum) error       { return nil }
func (discard) Complete(string) error            { return nil }
