package session

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// Conflict retries of implicit transactions.
//
// Snapshot isolation with first-committer-wins makes a commit (or a write)
// fail with 40001 when another transaction committed a write to the same
// row after our snapshot. Outside an explicit transaction the client did
// not ask for our snapshot, so the session re-runs the implicit block's
// statements on a fresh snapshot and commits again, up to
// MaxConflictRetries times. That is only sound when the client cannot tell:
//
//   - In a simple query, the results of writing statements (and of every
//     statement after the first writing one) are held back ("pending")
//     until the commit succeeds; a re-run simply produces them anew.
//   - Results already sent (a SELECT before any write, every Execute of
//     the extended protocol) are recorded; the re-run must reproduce them
//     exactly (same rows, same tag), else the client gets the 40001.
//
// Recording stops (and pending results are flushed) when it would cost
// too much (maxLogRows), when a portal is suspended, or when a session
// statement (SET, PREPARE, ...) runs after an engine statement; the block
// is then no longer retried.

// maxLogRows bounds the rows an implicit block records for retries.
const maxLogRows = 10000

// replayLog is the implicit block's record of engine statements.
type replayLog struct {
	recs   []*record
	rows   int
	broken bool
}

func (l *replayLog) hasPending() bool {
	for _, r := range l.recs {
		if r.pending {
			return true
		}
	}
	return false
}

// output is where a statement's results go; setCols is false for the
// extended protocol, where RowDescription belongs to Describe.
type output struct {
	w       result.Writer
	setCols bool
}

// record is one execution of an engine statement.
type record struct {
	st       *statement
	params   []types.Datum
	out      output
	pending  bool // results held back, not yet sent
	keep     bool // rows are recorded (for a re-run or for sending later)
	rows     [][]types.Datum
	sent     int // rows sent to out
	colsSent bool
	tag      string
	done     bool
	last     bool // the last statement of a simple-query string
}

// newRecord starts the record of one execution; hold asks for the results
// to be held back until commit (writing statements in a simple query).
func (s *Session) newRecord(st *statement, params []types.Datum, out output, hold bool) (*record, error) {
	rec := &record{st: st, params: params, out: out, last: s.lastInString}
	if l := s.ilog; l != nil && !l.broken {
		rec.keep = true
		rec.pending = hold || l.hasPending()
		l.recs = append(l.recs, rec)
	}
	return rec, s.startOutput(rec)
}

// untracked is newRecord for an execution that a retry never re-runs.
func (s *Session) untracked(st *statement, params []types.Datum, out output) (*record, error) {
	rec := &record{st: st, params: params, out: out}
	return rec, s.startOutput(rec)
}

func (s *Session) startOutput(rec *record) error {
	if !rec.pending && rec.out.setCols && rec.st.cols != nil {
		rec.colsSent = true
		return rec.out.w.SetColumns(rec.st.cols)
	}
	return nil
}

// pump moves up to maxRows rows (0 = all) from cur into rec. It reports
// whether rows may remain (the portal is suspended).
func (s *Session) pump(ctx context.Context, rec *record, cur exec.Cursor, maxRows int) (bool, error) {
	for n := 0; maxRows <= 0 || n < maxRows; n++ {
		row, err := cur.Next(ctx)
		if err != nil {
			return false, err
		}
		if row == nil {
			rec.tag, rec.done = cur.Tag(), true
			if rec.pending {
				return false, nil
			}
			if rec.last && s.block == blockImplicit && !rec.st.readOnly() {
				s.heldTag = rec // after the commit; see flushFailedCommit
				return false, nil
			}
			return false, rec.out.w.Complete(rec.tag)
		}
		if err := s.emit(rec, row); err != nil {
			return false, err
		}
	}
	return true, nil
}

func (s *Session) emit(rec *record, row []types.Datum) error {
	if !rec.pending {
		if err := rec.out.w.AddRow(row); err != nil {
			return err
		}
		rec.sent++
	}
	if !rec.keep {
		return nil
	}
	rec.rows = append(rec.rows, slices.Clone(row))
	if s.ilog.rows++; s.ilog.rows > maxLogRows {
		return s.breakLog()
	}
	return nil
}

// breakLog stops recording: pending results are sent and the block will
// not be retried.
func (s *Session) breakLog() error {
	l := s.ilog
	if l == nil || l.broken {
		return nil
	}
	err := s.flushPending()
	l.broken = true
	for _, r := range l.recs {
		r.keep, r.rows = false, nil
	}
	l.recs = nil
	return err
}

// breakLogIfUsed is breakLog for a session statement: one that runs
// before any engine statement of the block does not prevent retries.
func (s *Session) breakLogIfUsed() error {
	if s.ilog == nil || len(s.ilog.recs) == 0 {
		return nil
	}
	return s.breakLog()
}

// flushPending sends the held-back results, in order.
func (s *Session) flushPending() error { return s.flushPendingTags(true) }

// flushFailedCommit sends the held-back results after the block's commit
// failed, in PostgreSQL's order: each statement's results go out before
// the commit, except the CommandComplete of a string's last statement,
// which PostgreSQL sends only after the commit succeeded ("to avoid
// confusing clients who will expect either a command-complete message or
// an error, not one and then the other", postgres.c). So the client of a
// failed autocommit INSERT sees the error, never "INSERT 0 1" first.
func (s *Session) flushFailedCommit() error { return s.flushPendingTags(false) }

func (s *Session) flushPendingTags(lastTag bool) error {
	if s.ilog == nil {
		return nil
	}
	var first error
	for _, r := range s.ilog.recs {
		if r.pending {
			if err := flushRecordTag(r, lastTag || !r.last); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

func flushRecord(r *record) error { return flushRecordTag(r, true) }

// flushRecordTag sends a pending record's results, its CommandComplete
// only when tag is set.
func flushRecordTag(r *record, tag bool) error {
	r.pending = false
	if r.out.setCols && r.st.cols != nil && !r.colsSent {
		r.colsSent = true
		if err := r.out.w.SetColumns(r.st.cols); err != nil {
			return err
		}
	}
	for _, row := range r.rows[r.sent:] {
		if err := r.out.w.AddRow(row); err != nil {
			return err
		}
		r.sent++
	}
	if r.done && tag {
		return r.out.w.Complete(r.tag)
	}
	return nil
}

// replayable reports whether the implicit block can be re-run: every
// record either finished or has sent nothing.
func (s *Session) replayable() bool {
	if s.block != blockImplicit || s.ilog == nil || s.ilog.broken {
		return false
	}
	for _, r := range s.ilog.recs {
		if !r.pending && !r.done {
			return false
		}
	}
	return true
}

var errMismatch = errors.New("session: re-run produced different results")

// conflictBackoff waits a random time before retry attempt (1, 2, …),
// growing with the attempt: sessions that keep losing the same row to each
// other (first committer wins) would otherwise re-run in lock step until
// the retries are spent. The first retry is immediate.
func conflictBackoff(ctx context.Context, attempt int) error {
	if attempt <= 1 {
		return nil
	}
	limit := min(100*time.Microsecond<<attempt, 20*time.Millisecond)
	t := time.NewTimer(rand.N(limit))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// rerunAfterConflict re-runs the implicit block on a fresh transaction
// after cause (a 40001). It returns nil with the new transaction open, or
// the error to give the client: cause when retrying is not possible or the
// re-run would contradict results already sent.
func (s *Session) rerunAfterConflict(ctx context.Context, cause error) error {
	for {
		if !s.replayable() || s.retries >= s.cfg.MaxConflictRetries {
			return cause
		}
		s.retries++
		s.log.Debug("retrying implicit transaction after conflict", "attempt", s.retries, "err", cause)
		if err := conflictBackoff(ctx, s.retries); err != nil {
			return cause
		}
		if s.txn != nil {
			s.txn.Rollback()
			s.txn = nil
		}
		if err := s.ensureTxn(ctx); err != nil {
			return err
		}
		err := s.rerun(ctx)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, errMismatch):
			return cause
		case !isConflict(err):
			return err
		}
		cause = err
	}
}

func (s *Session) rerun(ctx context.Context) error {
	for _, r := range s.ilog.recs {
		cur, err := r.st.prep.Open(ctx, s.txn, r.params, s.execVars())
		if err != nil {
			return err
		}
		if r.pending {
			err = refill(ctx, r, cur)
		} else {
			err = compare(ctx, r, cur)
		}
		cur.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// refill re-collects a pending record's results.
func refill(ctx context.Context, r *record, cur exec.Cursor) error {
	r.rows, r.done, r.tag = r.rows[:0], false, ""
	for {
		row, err := cur.Next(ctx)
		if err != nil {
			return err
		}
		if row == nil {
			r.tag, r.done = cur.Tag(), true
			return nil
		}
		r.rows = append(r.rows, slices.Clone(row))
	}
}

// compare checks that a re-run reproduces results already sent.
func compare(ctx context.Context, r *record, cur exec.Cursor) error {
	i := 0
	for {
		row, err := cur.Next(ctx)
		if err != nil {
			return err
		}
		if row == nil {
			break
		}
		if i >= len(r.rows) || !rowEqual(row, r.rows[i]) {
			return errMismatch
		}
		i++
	}
	if i != len(r.rows) || cur.Tag() != r.tag {
		return errMismatch
	}
	return nil
}

func rowEqual(a, b []types.Datum) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !datumEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

// datumEqual reports whether two datums would be sent identically.
func datumEqual(a, b types.Datum) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case *apd.Decimal:
		y, ok := b.(*apd.Decimal)
		return ok && x.String() == y.String()
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || x != x && y != y)
	case bool, int64, string, types.IntervalValue:
		return a == b
	}
	return reflect.DeepEqual(a, b)
}
