package session

import (
	"context"
	"strconv"
	"strings"

	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// Results of engine statements go to the client as they are produced:
// a statement that meets a concurrent writer waits for its row lock (READ
// COMMITTED re-checks the newest version), so nothing is ever re-run and
// nothing needs holding back. One exception is PostgreSQL's: the
// CommandComplete of the last statement of a simple query in an implicit
// block is sent only after the commit succeeded ("to avoid confusing
// clients who will expect either a command-complete message or an error,
// not one and then the other", postgres.c), so the client of a failed
// autocommit INSERT sees the error, never "INSERT 0 1" first (heldTag).

// output is where a statement's results go; setCols is false for the
// extended protocol, where RowDescription belongs to Describe.
type output struct {
	w       result.Writer
	setCols bool
}

// record is one execution of an engine statement.
type record struct {
	st     *statement
	params []types.Datum
	out    output
	tag    string
	done   bool
	last   bool // the last statement of a simple-query string
	// resumed: the rows of this Execute continue a suspended portal; a
	// row-returning statement's tag then counts only them, as
	// PostgreSQL's PortalRun does.
	resumed bool
}

// newRecord starts the record of one execution and sends its
// RowDescription when the output wants one.
func (s *Session) newRecord(st *statement, params []types.Datum, out output) (*record, error) {
	rec := &record{}
	return rec, s.initRecord(rec, st, params, out)
}

// initRecord is newRecord into rec.
func (s *Session) initRecord(rec *record, st *statement, params []types.Datum, out output) error {
	*rec = record{st: st, params: params, out: out, last: s.lastInString}
	if out.setCols && st.cols != nil {
		return out.w.SetColumns(st.cols)
	}
	return nil
}

// pump moves up to maxRows rows (0 = all) from cur to rec's output. It
// reports whether rows may remain (the portal is suspended).
func (s *Session) pump(ctx context.Context, rec *record, cur exec.Cursor, maxRows int) (bool, error) {
	for n := 0; maxRows <= 0 || n < maxRows; n++ {
		row, err := cur.Next(ctx)
		if err != nil {
			return false, err
		}
		if row == nil {
			rec.tag, rec.done = cur.Tag(), true
			if rec.resumed && rec.st.cols != nil {
				rec.tag = retag(rec.tag, n)
			}
			if rec.last && s.block == blockImplicit && !rec.st.readOnly() {
				s.heldTag = rec // sent after the commit (commitBlock)
				return false, nil
			}
			return false, rec.out.w.Complete(rec.tag)
		}
		if err := rec.out.w.AddRow(row); err != nil {
			return false, err
		}
	}
	return true, nil
}

// retag replaces the row count at the end of a command tag ("SELECT 4",
// "INSERT 0 4") with n; a tag without one is returned as it is.
func retag(tag string, n int) string {
	i := strings.LastIndexByte(tag, ' ')
	if i < 0 {
		return tag
	}
	if _, err := strconv.Atoi(tag[i+1:]); err != nil {
		return tag
	}
	return tag[:i+1] + strconv.Itoa(n)
}
