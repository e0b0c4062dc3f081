package session

import (
	"context"
	"strconv"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// SQL-level cursors: DECLARE, FETCH, MOVE, CLOSE (psycopg2's named
// cursors, psql's FETCH_COUNT). A cursor belongs to the transaction block
// that declared it and is closed when the block ends, unless declared WITH
// HOLD: its remaining rows are then read at commit (as PostgreSQL
// materializes a holdable portal) and it lives until CLOSE or the end of
// the session; a block that rolls back drops the holdable cursors it
// declared. Cursors and protocol-level portals share one namespace.
//
// Positions follow PostgreSQL's portal: 0 is before the first row, k is
// on row k, and count+1 is after the last. A SCROLL cursor, and one
// declared with neither SCROLL nor NO SCROLL (PostgreSQL makes those
// scrollable when the plan can run backward, which ours always can),
// keeps the rows it has read so that it can move backward; a NO SCROLL
// cursor keeps none and refuses to move backward with 55000. A default
// cursor that has read more than defaultScrollRows rows stops keeping
// them (memory stays flat while psycopg2 iterates a large table) and
// becomes NO SCROLL.
//
// A cursor is insensitive, as PostgreSQL's: it shows the rows as of its
// DECLARE, including the transaction's earlier writes, never its later
// ones. The engine reads a transaction's own writes live, so before a
// statement that may write runs in a block with open cursors, their
// remaining rows are read into memory (freezeCursors); an error met on
// the way is kept and given to the FETCH that reaches it.

// Cursor options of DeclareCursorStmt (PostgreSQL's parsenodes.h).
const (
	cursorOptBinary   = 0x0001
	cursorOptScroll   = 0x0002
	cursorOptNoScroll = 0x0004
	cursorOptHold     = 0x0020
)

// defaultScrollRows bounds the rows a cursor declared without SCROLL
// keeps for backward moves.
const defaultScrollRows = 10000

// rowSource yields a query's rows in order; nil at the end.
type rowSource interface {
	Next(ctx context.Context) ([]types.Datum, error)
}

// cursorRows is a cursor's rows and position. rows holds rows
// base+1 .. base+len(rows); rows at or before base are gone.
type cursorRows struct {
	src      rowSource
	rows     [][]types.Datum
	base     int64
	ended    bool  // src is exhausted: the row count is base+len(rows)
	err      error // what src failed with after the last row (freeze)
	scroll   bool  // rows are kept for backward moves
	explicit bool  // SCROLL was declared (no cap on kept rows)
	pos      int64
}

func errNoScroll() error {
	e := pgerror.New(pgerror.ObjectNotInPrereqState, "cursor can only scan forward")
	e.Hint = "Declare it with SCROLL option to enable backward scan."
	return e
}

// get returns row k (1-based), false past the last row.
func (c *cursorRows) get(ctx context.Context, k int64) ([]types.Datum, bool, error) {
	if k <= c.base {
		return nil, false, errNoScroll()
	}
	for c.base+int64(len(c.rows)) < k {
		if c.ended {
			return nil, false, c.err
		}
		row, err := c.src.Next(ctx)
		if err != nil {
			return nil, false, err
		}
		if row == nil {
			c.ended = true
			return nil, false, nil
		}
		c.rows = append(c.rows, append([]types.Datum(nil), row...))
	}
	row := c.rows[k-c.base-1]
	if !c.scroll || (!c.explicit && len(c.rows) > defaultScrollRows) {
		// Keep nothing before k.
		c.scroll = false
		drop := k - c.base
		c.rows = c.rows[drop:]
		c.base = k
	}
	return row, true, nil
}

// count reads to the end and returns the number of rows.
func (c *cursorRows) count(ctx context.Context) (int64, error) {
	for !c.ended {
		if _, _, err := c.get(ctx, c.base+int64(len(c.rows))+1); err != nil {
			return 0, err
		}
	}
	return c.base + int64(len(c.rows)), nil
}

// drain reads every remaining row into memory (WITH HOLD at commit),
// keeping the ones after the current position.
func (c *cursorRows) drain(ctx context.Context) error {
	for !c.ended {
		row, err := c.src.Next(ctx)
		if err != nil {
			return err
		}
		if row == nil {
			c.ended = true
			break
		}
		c.rows = append(c.rows, append([]types.Datum(nil), row...))
	}
	return nil
}

// freeze reads every remaining row into memory now, keeping an error of
// src for the FETCH that gets there; a cancelled ctx is returned instead
// (the statement that asked is cancelled, not the cursor).
func (c *cursorRows) freeze(ctx context.Context) error {
	for !c.ended {
		row, err := c.src.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			c.err, c.ended = err, true
			return nil
		}
		if row == nil {
			c.ended = true
			return nil
		}
		c.rows = append(c.rows, append([]types.Datum(nil), row...))
	}
	return nil
}

// freezeCursors makes the open cursors of the block insensitive to the
// writes of the statement about to run (see above), and so the portals
// suspended by an Execute row limit: PostgreSQL's portal keeps the
// snapshot it started with, as a DECLAREd cursor does.
func (s *Session) freezeCursors(ctx context.Context) error {
	for _, p := range s.portals {
		if p.cur == nil || p.done {
			continue
		}
		if _, frozen := p.cur.(*frozenRows); frozen {
			continue
		}
		p.ctx.cur = ctx
		f := &frozenRows{}
		if err := f.freeze(ctx, p.cur); err != nil {
			return err
		}
		p.cur.Close()
		p.cur = f
	}
	for _, c := range s.cursors {
		if c.cur == nil || !c.inBlock {
			continue
		}
		c.ctx.cur = ctx
		if err := c.freeze(ctx); err != nil {
			return err
		}
		c.cur.Close()
		c.cur = nil
	}
	return nil
}

// fetch moves the cursor as FETCH/MOVE direction how does, calling emit
// for each row FETCH returns; it returns their number (MOVE's count).
func (c *cursorRows) fetch(ctx context.Context, dir pg_query.FetchDirection, how int64, emit func([]types.Datum) error) (int64, error) {
	var n int64
	out := func(row []types.Datum) error {
		n++
		if emit != nil {
			return emit(row)
		}
		return nil
	}
	if how < 0 && (dir == pg_query.FetchDirection_FETCH_FORWARD || dir == pg_query.FetchDirection_FETCH_BACKWARD) {
		// FETCH -n is FETCH BACKWARD n, BACKWARD -n is FORWARD n.
		how = -how
		if dir == pg_query.FetchDirection_FETCH_FORWARD {
			dir = pg_query.FetchDirection_FETCH_BACKWARD
		} else {
			dir = pg_query.FetchDirection_FETCH_FORWARD
		}
	}
	switch dir {
	case pg_query.FetchDirection_FETCH_ABSOLUTE:
		return c.absolute(ctx, how, out)
	case pg_query.FetchDirection_FETCH_RELATIVE:
		if how > 0 {
			if err := c.forward(ctx, how-1, nil); err != nil {
				return 0, err
			}
			return n, c.forward(ctx, 1, out)
		}
		if how < 0 {
			if err := c.backward(ctx, -how-1, nil); err != nil {
				return 0, err
			}
			return n, c.backward(ctx, 1, out)
		}
		return n, c.current(ctx, out)
	case pg_query.FetchDirection_FETCH_BACKWARD:
		if how == 0 {
			return n, c.current(ctx, out)
		}
		return n, c.backward(ctx, how, out)
	}
	if how == 0 {
		return n, c.current(ctx, out)
	}
	return n, c.forward(ctx, how, out)
}

func (c *cursorRows) forward(ctx context.Context, n int64, out func([]types.Datum) error) error {
	for i := int64(0); i < n; i++ {
		row, ok, err := c.get(ctx, c.pos+1)
		if err != nil {
			return err
		}
		if !ok {
			c.pos = c.base + int64(len(c.rows)) + 1
			return nil
		}
		c.pos++
		if out != nil {
			if err := out(row); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *cursorRows) backward(ctx context.Context, n int64, out func([]types.Datum) error) error {
	if !c.scroll {
		return errNoScroll()
	}
	for i := int64(0); i < n; i++ {
		if c.pos <= 1 {
			c.pos = 0
			return nil
		}
		row, ok, err := c.get(ctx, c.pos-1)
		if err != nil {
			return err
		}
		c.pos--
		if ok && out != nil {
			if err := out(row); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *cursorRows) current(ctx context.Context, out func([]types.Datum) error) error {
	if !c.scroll {
		return errNoScroll()
	}
	if c.pos < 1 {
		return nil
	}
	row, ok, err := c.get(ctx, c.pos)
	if err != nil || !ok {
		return err
	}
	return out(row)
}

func (c *cursorRows) absolute(ctx context.Context, k int64, out func([]types.Datum) error) (int64, error) {
	var n int64
	emit := func(row []types.Datum) error { n++; return out(row) }
	if k > 0 {
		if k <= c.pos && !c.scroll {
			return 0, errNoScroll()
		}
		row, ok, err := c.get(ctx, k)
		if err != nil {
			return 0, err
		}
		if !ok {
			c.pos = c.base + int64(len(c.rows)) + 1
			return 0, nil
		}
		c.pos = k
		return n, emit(row)
	}
	if !c.scroll {
		return 0, errNoScroll()
	}
	if k == 0 {
		c.pos = 0
		return 0, nil
	}
	total, err := c.count(ctx)
	if err != nil {
		return 0, err
	}
	idx := total + 1 + k
	if idx < 1 {
		c.pos = 0
		return 0, nil
	}
	row, _, err := c.get(ctx, idx)
	if err != nil {
		return 0, err
	}
	c.pos = idx
	return n, emit(row)
}

// sqlCursor is a cursor declared by DECLARE.
type sqlCursor struct {
	cursorRows
	cols    []result.Column
	cur     exec.Cursor // the engine's; nil once drained
	ctx     *switchCtx
	hold    bool
	inBlock bool   // declared by the open transaction block
	seq     uint64 // opening order (savepoint.go)
}

func (c *sqlCursor) close() {
	if c.cur != nil {
		c.cur.Close()
		c.cur = nil
	}
	c.rows = nil
}

func errNoCursor(name string) *pgerror.Error {
	return pgerror.Newf(pgerror.InvalidCursorName, "cursor %q does not exist", name)
}

// execDeclare runs DECLARE name CURSOR … FOR query.
func (s *Session) execDeclare(ctx context.Context, st *statement, out output) error {
	dc := st.ast.Node.GetDeclareCursorStmt()
	hold := dc.Options&cursorOptHold != 0
	if !hold && s.block != blockExplicit {
		return pgerror.New(pgerror.NoActiveSQLTransaction, "DECLARE CURSOR can only be used in transaction blocks")
	}
	if dc.Options&cursorOptBinary != 0 {
		return pgerror.New(pgerror.FeatureNotSupported, "binary cursors are not supported")
	}
	if _, ok := s.cursors[dc.Portalname]; ok {
		return pgerror.Newf(pgerror.DuplicateCursor, "cursor %q already exists", dc.Portalname)
	}
	if _, ok := s.portals[dc.Portalname]; ok && dc.Portalname != "" {
		return pgerror.Newf(pgerror.DuplicateCursor, "cursor %q already exists", dc.Portalname)
	}
	if s.fwd != nil {
		return pgerror.New(pgerror.FeatureNotSupported, "cursors are not supported in a transaction forwarded to the primary")
	}
	if err := s.ensureTxn(ctx); err != nil {
		return err
	}
	inner := st.ast
	inner.Node = dc.Query
	q, err := s.prepareStmt(ctx, inner, nil)
	if err != nil {
		return err
	}
	if q.kind != kindEngine || q.prep == nil {
		return pgerror.New(pgerror.FeatureNotSupported, "DECLARE CURSOR must be a SELECT")
	}
	if err := s.checkWritable(q); err != nil {
		return err
	}
	sw := &switchCtx{Context: ctx, cur: ctx}
	cur, err := q.prep.Open(sw, s.txn, nil, s.execVars())
	if err != nil {
		return err
	}
	c := &sqlCursor{cols: q.cols, cur: cur, ctx: sw, hold: hold, inBlock: true, seq: s.nextSeq()}
	c.src = cur
	c.explicit = dc.Options&cursorOptScroll != 0
	c.scroll = dc.Options&cursorOptNoScroll == 0
	if s.cursors == nil {
		s.cursors = map[string]*sqlCursor{}
	}
	s.cursors[dc.Portalname] = c
	if s.block == blockImplicit && s.lastInString {
		// The rows are read at the commit, which may fail: as PostgreSQL,
		// the tag follows the commit.
		s.heldTag = &record{out: out, tag: "DECLARE CURSOR"}
		return nil
	}
	return out.w.Complete("DECLARE CURSOR")
}

// cursorColumns is FETCH's row description: the cursor's columns (nil for
// MOVE or an unknown cursor, whose error comes at execution).
func (s *Session) cursorColumns(fs *pg_query.FetchStmt) []result.Column {
	if fs.Ismove {
		return nil
	}
	if c := s.cursors[fs.Portalname]; c != nil {
		return c.cols
	}
	return nil
}

// execFetch runs FETCH and MOVE.
func (s *Session) execFetch(ctx context.Context, st *statement, out output) error {
	fs := st.ast.Node.GetFetchStmt()
	c := s.cursors[fs.Portalname]
	if c == nil {
		return errNoCursor(fs.Portalname)
	}
	how := fs.HowMany
	if c.ctx != nil {
		c.ctx.cur = ctx
	}
	var emit func([]types.Datum) error
	if !fs.Ismove {
		if out.setCols {
			if err := out.w.SetColumns(c.cols); err != nil {
				return err
			}
		}
		emit = out.w.AddRow
	}
	n, err := c.fetch(ctx, fs.Direction, how, emit)
	if err != nil {
		return err
	}
	tag := "FETCH "
	if fs.Ismove {
		tag = "MOVE "
	}
	return out.w.Complete(tag + strconv.FormatInt(n, 10))
}

// execClose runs CLOSE name and CLOSE ALL.
func (s *Session) execClose(st *statement, out output) error {
	name := st.ast.Node.GetClosePortalStmt().GetPortalname()
	if name == "" {
		s.closeCursors(func(*sqlCursor) bool { return true })
		return out.w.Complete("CLOSE CURSOR ALL")
	}
	c := s.cursors[name]
	if c == nil {
		return errNoCursor(name)
	}
	c.close()
	delete(s.cursors, name)
	return out.w.Complete("CLOSE CURSOR")
}

// closeCursors closes the cursors drop selects.
func (s *Session) closeCursors(drop func(*sqlCursor) bool) {
	for name, c := range s.cursors {
		if drop(c) {
			c.close()
			delete(s.cursors, name)
		}
	}
}

// holdCursors reads the remaining rows of the holdable cursors declared
// by the block before it commits: they must outlive its snapshot.
func (s *Session) holdCursors(ctx context.Context) error {
	for _, c := range s.cursors {
		if !c.hold || !c.inBlock || c.cur == nil {
			continue
		}
		c.ctx.cur = ctx
		if err := c.drain(ctx); err != nil {
			return err
		}
		c.cur.Close()
		c.cur = nil
	}
	return nil
}

// endCursors closes the cursors that end with the block: all but the
// holdable ones of committed (or earlier) blocks.
func (s *Session) endCursors(committed bool) {
	s.closeCursors(func(c *sqlCursor) bool { return !c.hold || c.inBlock && !committed })
	for _, c := range s.cursors {
		c.inBlock = false
	}
}

// frozenRows is what remains of a suspended portal's rows, read into
// memory (freezeCursors), as an exec.Cursor: the rows, then the error the
// query met after them (if any), and its command tag.
type frozenRows struct {
	rows [][]types.Datum
	err  error
	tag  string
}

// freeze reads cur's remaining rows. A cancelled ctx is returned (the
// statement that asked is cancelled); another error is kept for the
// Execute that reaches it.
func (f *frozenRows) freeze(ctx context.Context, cur exec.Cursor) error {
	for {
		row, err := cur.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			f.err = err
			return nil
		}
		if row == nil {
			f.tag = cur.Tag()
			return nil
		}
		f.rows = append(f.rows, append([]types.Datum(nil), row...))
	}
}

func (f *frozenRows) Next(context.Context) ([]types.Datum, error) {
	if len(f.rows) == 0 {
		return nil, f.err
	}
	row := f.rows[0]
	f.rows[0] = nil
	f.rows = f.rows[1:]
	return row, nil
}

func (f *frozenRows) Tag() string { return f.tag }

func (f *frozenRows) Close() { f.rows = nil }
