package session

import (
	"context"

	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// Extended query protocol. As in PostgreSQL, every message after a Sync
// belongs to one implicit transaction that the next Sync commits (or that
// the first error rolls back); BEGIN inside it makes it explicit. Any
// error aborts the transaction block, like any other error.

// portal is a bound statement, possibly part-way through its rows. It
// belongs to the transaction block and is closed when the block ends.
type portal struct {
	st      *statement
	params  []types.Datum
	formats []int16
	cur     exec.Cursor
	ctx     *switchCtx
	rec     *record
	done    bool
	tag     string
	fwd     *fwdRows // results of a portal run on the primary with a row limit
	seq     uint64   // opening order (savepoint.go)
	// recBuf and ctxBuf hold rec and ctx: one allocation per portal
	// instead of three.
	recBuf record
	ctxBuf switchCtx
}

func (p *portal) close() {
	if p.cur != nil {
		p.cur.Close()
		p.cur = nil
	}
}

// failed aborts the block after an error of an extended-protocol message.
func (s *Session) failed(err error) error {
	if err != nil {
		s.abort()
	}
	return err
}

// Prepare parses sql as statement name. The unnamed statement ("") is
// replaced; a named one must be closed first (42P05).
func (s *Session) Prepare(ctx context.Context, name, sql string, paramTypes []types.Oid) (result.StatementDescription, error) {
	if s.closed {
		return result.StatementDescription{}, ErrClosed
	}
	sctx, cancel := s.stmtContext(ctx)
	defer cancel()
	st, err := s.prepareNamed(sctx, name, sql, paramTypes)
	if err = s.failed(mapCancel(ctx, sctx, err)); err != nil {
		return result.StatementDescription{}, err
	}
	return st.description(), nil
}

func (s *Session) prepareNamed(ctx context.Context, name, sql string, paramTypes []types.Oid) (*statement, error) {
	if _, ok := s.stmts[name]; ok && name != "" {
		return nil, pgerror.Newf(pgerror.DuplicatePreparedStmt, "prepared statement %q already exists", name)
	}
	if err := types.VerifyEncoding(sql); err != nil {
		return nil, err
	}
	stmts, err := parser.ParseContext(ctx, sql)
	if err != nil {
		return nil, err
	}
	st := &statement{kind: kindEmpty}
	switch {
	case len(stmts) > 1:
		return nil, pgerror.New(pgerror.SyntaxError, "cannot insert multiple commands into a prepared statement")
	case len(stmts) == 1:
		kind, err := classify(stmts[0].Node)
		if err != nil {
			return nil, err
		}
		if s.block == blockFailed && !runsWhenFailed(kind) {
			return nil, errAborted()
		}
		if st, err = s.prepareStmt(ctx, stmts[0], paramTypes); err != nil {
			return nil, err
		}
	}
	s.stmts[name] = st
	return st, nil
}

// DescribeStatement returns a prepared statement's parameter types and
// result columns; 26000 for an unknown name.
func (s *Session) DescribeStatement(name string) (result.StatementDescription, error) {
	st, err := s.lookupStmt(name)
	if err = s.failed(err); err != nil {
		return result.StatementDescription{}, err
	}
	return st.description(), nil
}

// Bind creates portal from statement stmt, decoding params by the
// statement's parameter types in paramFormats (none = all text, one = for
// all, else one each) and fixing the result formats.
func (s *Session) Bind(ctx context.Context, portalName, stmt string, params [][]byte, paramFormats, resultFormats []int16) error {
	if s.closed {
		return ErrClosed
	}
	return s.failed(s.bind(portalName, stmt, params, paramFormats, resultFormats))
}

func (s *Session) bind(portalName, stmt string, params [][]byte, paramFormats, resultFormats []int16) error {
	st, err := s.lookupStmt(stmt)
	if err != nil {
		return err
	}
	if s.block == blockFailed && !st.isTxEnd() {
		return errAborted()
	}
	if len(params) != len(st.params) {
		return pgerror.Newf(pgerror.ProtocolViolation,
			"bind message supplies %d parameters, but prepared statement %q requires %d", len(params), stmt, len(st.params))
	}
	vals, err := decodeParams(st.params, params, paramFormats)
	if err != nil {
		return err
	}
	formats, err := st.resultFormats(resultFormats)
	if err != nil {
		return err
	}
	if _, ok := s.cursors[portalName]; ok && portalName != "" {
		return pgerror.Newf(pgerror.DuplicateCursor, "cursor %q already exists", portalName)
	}
	if old, ok := s.portals[portalName]; ok {
		if portalName != "" {
			return pgerror.Newf(pgerror.DuplicateCursor, "cursor %q already exists", portalName)
		}
		s.dropPortal(portalName, old)
	}
	s.beginImplicit()
	p := s.sparePortal
	s.sparePortal = nil
	if p == nil {
		p = &portal{}
	}
	*p = portal{st: st, params: vals, formats: formats, seq: s.nextSeq()}
	s.portals[portalName] = p
	return nil
}

// dropPortal closes portal name and forgets it. The unnamed portal's
// memory is kept for the next Bind of it, which overwrites it: a client
// that runs one statement per Bind/Execute/Sync would otherwise allocate
// a portal each time. It is left as it is until then (a COMMIT run by
// the portal drops it while it executes), and nothing else refers to it
// (a record held for a simple query's commit, heldTag, never belongs to
// a portal).
func (s *Session) dropPortal(name string, p *portal) {
	p.close()
	delete(s.portals, name)
	if name == "" {
		s.sparePortal = p
	}
}

func decodeParams(ts []types.T, raw [][]byte, formats []int16) ([]types.Datum, error) {
	if len(formats) > 1 && len(formats) != len(raw) {
		return nil, pgerror.Newf(pgerror.ProtocolViolation,
			"bind message has %d parameter formats but %d parameters", len(formats), len(raw))
	}
	out := make([]types.Datum, len(raw))
	for i, b := range raw {
		if b == nil {
			continue
		}
		var f int16
		switch len(formats) {
		case 0:
		case 1:
			f = formats[0]
		default:
			f = formats[i]
		}
		d, err := decodeParam(ts[i], b, f, i+1)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

func decodeParam(t types.T, b []byte, format int16, n int) (types.Datum, error) {
	// Text-format values are client text whatever their type; binary
	// values of text types are text too (PostgreSQL: pg_verify_mbstr in
	// the client-to-server conversion and in textrecv).
	if format == 0 || (format == 1 && t.IsText()) {
		if err := types.VerifyEncoding(b); err != nil {
			return nil, err
		}
	}
	switch format {
	case 0:
		return types.ParseText(t, string(b))
	case 1:
		d, err := types.DecodeBinary(t, b)
		if err != nil {
			return nil, pgerror.Wrapf(err, pgerror.InvalidBinaryRepresentation, "incorrect binary data format in bind parameter %d", n)
		}
		return d, nil
	}
	return nil, pgerror.Newf(pgerror.ProtocolViolation, "unsupported format code: %d", format)
}

// resultFormats is expandFormats for st's columns. The answers for all
// text and all binary (no format, or one for every column: what clients
// send) are made once per statement and shared by its portals, which
// only read them.
func (st *statement) resultFormats(f []int16) ([]int16, error) {
	n := len(st.cols)
	var code int16
	switch {
	case len(f) == 1 && (f[0] == 0 || f[0] == 1):
		code = f[0]
	case len(f) != 0:
		return expandFormats(f, n)
	}
	c := &st.formats[code]
	if *c == nil || len(*c) != n {
		out, err := expandFormats(f, n)
		if err != nil {
			return nil, err
		}
		*c = out
	}
	return *c, nil
}

// expandFormats turns Bind's result formats into one per column.
func expandFormats(f []int16, n int) ([]int16, error) {
	for _, x := range f {
		if x != 0 && x != 1 {
			return nil, pgerror.Newf(pgerror.ProtocolViolation, "unsupported format code: %d", x)
		}
	}
	out := make([]int16, n)
	switch len(f) {
	case 0:
	case 1:
		for i := range out {
			out[i] = f[0]
		}
	case n:
		copy(out, f)
	default:
		return nil, pgerror.Newf(pgerror.ProtocolViolation,
			"bind message has %d result formats but query has %d columns", len(f), n)
	}
	return out, nil
}

// DescribePortal returns a portal's columns (nil when it returns no rows)
// and their result formats; 34000 for an unknown name.
func (s *Session) DescribePortal(name string) ([]result.Column, []int16, error) {
	p, ok := s.portals[name]
	if !ok {
		return nil, nil, s.failed(errNoPortal(name))
	}
	if p.st.cols == nil {
		return nil, nil, nil
	}
	return p.st.cols, p.formats, nil
}

// Execute runs portal name, sending at most maxRows rows (0 = all). It
// reports suspended=true when the row limit was hit; the portal then
// keeps its place for the next Execute.
func (s *Session) Execute(ctx context.Context, name string, maxRows int, w result.Writer) (bool, error) {
	if s.closed {
		return false, ErrClosed
	}
	p, ok := s.portals[name]
	if !ok {
		return false, s.failed(errNoPortal(name))
	}
	start := s.cfg.Now()
	s.activityStart(p.st.ast.SQL)
	sctx, cancel := s.stmtContext(ctx)
	defer cancel()
	suspended, err := s.executePortal(sctx, p, maxRows, output{w: w})
	err = mapCancel(ctx, sctx, err)
	s.logStatement(p.st.ast.SQL, start, err)
	if err != nil {
		return false, s.failed(err)
	}
	return suspended, nil
}

func (s *Session) executePortal(ctx context.Context, p *portal, maxRows int, out output) (bool, error) {
	if s.block == blockFailed && !p.st.isTxEnd() {
		return false, errAborted()
	}
	s.beginImplicit()
	switch p.st.kind {
	case kindEmpty:
		return false, result.ErrEmptyQuery
	case kindEngine:
		return s.executeEngine(ctx, p, maxRows, out)
	}
	return false, s.execStatement(ctx, p.st, p.params, out)
}

// executeEngine runs an engine portal.
func (s *Session) executeEngine(ctx context.Context, p *portal, maxRows int, out output) (bool, error) {
	if p.done {
		if p.st.cols != nil {
			return false, out.w.Complete(retag(p.tag, 0)) // no rows left, as PostgreSQL counts them
		}
		return false, out.w.Complete(p.tag)
	}
	if p.cur == nil && p.fwd == nil && s.fwd == nil {
		if err := s.planLocally(ctx, p.st); err != nil {
			return false, err
		}
	}
	if p.fwd != nil || (p.cur == nil && s.forwarding(p.st)) {
		return s.executeForwarded(ctx, p, maxRows, out)
	}
	suspended, err := s.runPortal(ctx, p, maxRows, out)
	switch {
	case err != nil:
		return false, err
	case suspended:
		return true, nil
	}
	p.done, p.tag = true, p.rec.tag
	p.close()
	return false, nil
}

func (s *Session) runPortal(ctx context.Context, p *portal, maxRows int, out output) (bool, error) {
	if p.cur != nil {
		p.rec.out = out
		p.rec.resumed = true
		p.ctx.cur = ctx
		return s.pump(ctx, p.rec, p.cur, maxRows)
	}
	if err := s.checkWritable(p.st); err != nil {
		return false, err
	}
	if err := s.ensureTxn(ctx); err != nil {
		return false, err
	}
	if !p.st.readOnly() {
		if err := s.freezeCursors(ctx); err != nil {
			return false, err
		}
	}
	if err := s.initRecord(&p.recBuf, p.st, p.params, out); err != nil {
		return false, err
	}
	rec := &p.recBuf
	p.rec = rec
	p.ctxBuf = switchCtx{Context: ctx, cur: ctx}
	p.ctx = &p.ctxBuf
	cur, err := p.st.prep.Open(p.ctx, s.txn, p.params, s.execVars())
	if err != nil {
		return false, err
	}
	p.cur = cur
	return s.pump(ctx, rec, cur, maxRows)
}

// CloseStatement drops a prepared statement; unknown names are ignored.
func (s *Session) CloseStatement(name string) error {
	delete(s.stmts, name)
	return nil
}

// ClosePortal drops a portal; unknown names are ignored.
func (s *Session) ClosePortal(name string) error {
	if p, ok := s.portals[name]; ok {
		s.dropPortal(name, p)
	}
	return nil
}

// SyncHasWork reports whether Sync would commit an implicit transaction
// (pgwire.SyncWorkReporter): otherwise it needs no cancellable context.
func (s *Session) SyncHasWork() bool { return s.closed || s.block == blockImplicit }

// Sync ends an extended-protocol batch: an implicit transaction is
// committed (retrying a lost conflict when the results sent allow it).
// After an error the block was already rolled back, and an explicit
// transaction stays open.
func (s *Session) Sync(ctx context.Context) error {
	if s.closed {
		return ErrClosed
	}
	defer s.activityIdle()
	if s.block == blockImplicit {
		return s.commitImplicit(ctx, nil)
	}
	return nil
}
