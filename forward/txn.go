package forward

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/heliosdb/nano/internal/peer"
	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/proto/forwardpb"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/session"
	"github.com/heliosdb/nano/sql/types"
)

// Txn is one forwarded transaction: one Forward call on the primary. It
// implements session.ForwardTxn and is used by one goroutine at a time.
//
// Failure handling, so that a client never waits without bound and never
// gets a wrong answer about a commit:
//
//   - Reaching the primary (dialling, or a primary that answers "not
//     primary" during a switchover) is retried, re-reading the primary's
//     address each time, for up to ClientConfig.Timeout; then the
//     transaction fails with 08001 (Unreachable) or 25006 (NotPrimary).
//     Only the first request of a transaction is retried, and only when
//     it cannot have committed anything (the primary refused the call, or
//     the request does not commit: the primary rolls back a transaction
//     whose call broke).
//   - A connection lost later fails the transaction with 08006 (Lost; the
//     primary rolls it back), or, while a commit was in flight, 08007
//     (CommitUnknown): it may or may not have committed.
//   - A dead or partitioned primary is detected by gRPC keepalive (10 s
//     ping, 5 s timeout), so no call waits much longer than 15 s for a
//     primary that vanished.
//   - Cancelling a statement's context breaks the call (the primary rolls
//     the transaction back); a commit is never abandoned this way, unless
//     the client is gone (peer.ErrGone).
type Txn struct {
	c      *Client
	open   *forwardpb.Open
	stream forwardpb.Forwarding_ForwardClient
	cancel context.CancelFunc
	conn   *conn // held while stream is open
	addr   string
	opened bool  // Open was sent on the current stream
	used   bool  // a reply arrived: the primary holds transaction state
	broken error // the transaction is over
}

var _ session.ForwardTxn = (*Txn)(nil)

func openMsg(nodeID, user, database string, params map[string]string, begin string) *forwardpb.Open {
	return &forwardpb.Open{StandbyNodeId: nodeID, User: user, Database: database, Params: params, Begin: begin}
}

// Describe prepares sql on the primary and returns its description.
func (t *Txn) Describe(ctx context.Context, sql string, paramTypes []types.Oid) (result.StatementDescription, error) {
	req := statementReq(&forwardpb.Statement{Sql: sql, ParamOids: paramTypes, DescribeOnly: true})
	var d result.StatementDescription
	err := t.do(ctx, req, false, func(r *forwardpb.Reply) (bool, error) {
		if m := r.GetDescription(); m != nil {
			d.ParamTypes = m.GetParamOids()
			if m.GetReturnsRows() {
				d.Columns = columnsFromPB(m.GetColumns())
			}
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return result.StatementDescription{}, t.sqlError(err)
	}
	return d, nil
}

// Exec runs st on the primary, its results to w. With st.Commit the
// primary commits too, and Exec returns once this node has applied the
// commit (read-your-writes).
func (t *Txn) Exec(ctx context.Context, st session.ForwardStatement, w result.Writer) error {
	oids, params := paramsToPB(st.ParamTypes, st.Params)
	req := statementReq(&forwardpb.Statement{Sql: st.SQL, ParamOids: oids, Params: params, Commit: st.Commit})
	rd := &rowDecoder{w: w, setCols: st.SetColumns}
	var tag string
	var at lsn.LSN
	err := t.do(ctx, req, st.Commit, func(r *forwardpb.Reply) (bool, error) {
		switch m := r.GetMsg().(type) {
		case *forwardpb.Reply_Columns:
			return false, rd.columns(m.Columns.GetColumns())
		case *forwardpb.Reply_Rows:
			for _, row := range m.Rows.GetRows() {
				if err := rd.row(row.GetValues()); err != nil {
					return true, err
				}
			}
		case *forwardpb.Reply_Notice:
			rd.notice(errorFromPB(m.Notice))
		case *forwardpb.Reply_Complete:
			tag = m.Complete.GetTag()
			return !st.Commit, nil
		case *forwardpb.Reply_Ended:
			at = lsn.LSN(m.Ended.GetCommitLsn())
			return true, nil
		}
		return false, nil
	})
	if err == nil && rd.err != nil {
		err = rd.err
	}
	if err != nil {
		// A statement that ran but whose commit failed (st.Commit) gets the
		// error only: PostgreSQL sends the last statement's CommandComplete
		// after the commit, so a client never sees a tag and then the error.
		return t.sqlError(err)
	}
	if st.Commit {
		t.waitApplied(ctx, at, w)
	}
	return w.Complete(tag)
}

// Commit commits on the primary and returns once this node has applied
// the commit (or warned through w that it has not, after Timeout). It
// waits for the outcome even when ctx is cancelled: a commit may already
// be durable.
func (t *Txn) Commit(ctx context.Context, w result.Writer) error {
	at, err := t.end(ctx, true)
	if err != nil {
		return t.sqlError(err)
	}
	t.waitApplied(ctx, at, w)
	return nil
}

// end commits (commit) or rolls back the transaction on the primary and
// returns the commit record's end LSN (0 when nothing was written).
func (t *Txn) end(ctx context.Context, commit bool) (lsn.LSN, error) {
	if !commit && t.stream == nil {
		return 0, nil
	}
	var at lsn.LSN
	req := &forwardpb.Request{Msg: &forwardpb.Request_End{End: &forwardpb.End{Commit: commit}}}
	err := t.do(ctx, req, commit, func(r *forwardpb.Reply) (bool, error) {
		if m := r.GetEnded(); m != nil {
			at = lsn.LSN(m.GetCommitLsn())
			return true, nil
		}
		return false, nil
	})
	t.Close()
	t.broken = errors.New("write forwarding: transaction already ended")
	return at, err
}

// Close ends the call; a transaction not committed rolls back on the
// primary. Idempotent.
func (t *Txn) Close() {
	if t.cancel != nil {
		t.cancel()
		t.cancel = nil
	}
	if t.conn != nil {
		t.c.release(t.conn)
		t.conn = nil
	}
	t.stream = nil
}

// waitApplied waits until this node has applied at, so that the session's
// next snapshot holds the forwarded commit. Bounded by Timeout: the commit
// is durable on the primary either way, so running out of time is a
// warning, not an error (as PostgreSQL does when a synchronous-replication
// wait is cancelled).
func (t *Txn) waitApplied(ctx context.Context, at lsn.LSN, w result.Writer) {
	db := t.c.cfg.Applied
	if at == 0 || db == nil || db.AppliedLSN() >= at {
		return
	}
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, t.c.cfg.Timeout)
	defer cancel()
	if err := db.WaitApplied(wctx, at); err != nil {
		t.c.cfg.Logger.Warn("write forwarding: a forwarded commit is not applied here yet; answering anyway",
			"lsn", at.String(), "applied_lsn", db.AppliedLSN().String(), "took", time.Since(start).String(), "err", err)
		if nw, ok := w.(result.Noticer); ok {
			nw.Notice(&pgerror.Error{Code: pgerror.Warning, Severity: pgerror.SeverityWarning,
				Message: fmt.Sprintf("the transaction committed on the primary, but this standby has not applied it after %s", time.Since(start).Round(time.Millisecond)),
				Detail:  "Reads on this connection may not see the transaction's writes yet."})
		}
		return
	}
	if o := t.c.cfg.ApplyWait; o != nil {
		o.Observe(time.Since(start).Seconds())
	}
}

// sqlError turns a forwarding error into the SQL error the client gets.
func (t *Txn) sqlError(err error) error {
	var ff *Failure
	if !errors.As(err, &ff) {
		return err // a SQL error, or a cancelled context (the session reports 57014)
	}
	primary := ff.Primary
	if primary == "" {
		primary = "(unknown)"
	}
	hint := fmt.Sprintf("This node (%s) is a standby of %s and forwards writes to it (--write-forwarding).", t.c.cfg.NodeID, primary)
	switch ff.Kind {
	case NotPrimary:
		return pgerror.Newf(pgerror.ReadOnlySQLTransaction, "cannot forward the write: %s is not the primary (%v)", primary, ff.Err).
			WithHint("%s The primary is changing; retry shortly, or send writes through heliosdb-proxy.", hint)
	case Lost:
		return pgerror.Newf(pgerror.ConnectionFailure, "lost the connection to the primary %s while forwarding; the transaction was rolled back: %v", primary, ff.Err).
			WithHint("%s Retry the transaction.", hint)
	case CommitUnknown:
		return pgerror.Newf(pgerror.TransactionResolutionUnknown, "lost the connection to the primary %s during commit: the transaction may or may not have committed: %v", primary, ff.Err).
			WithHint("%s Check whether its writes are there before retrying.", hint)
	}
	return pgerror.Newf(pgerror.SQLClientUnableToConnect, "cannot forward the write to the primary %s: no answer within %s: %v", primary, t.c.cfg.Timeout, ff.Err).
		WithHint("%s Retry when the primary is back, or send writes through heliosdb-proxy.", hint)
}

func statementReq(st *forwardpb.Statement) *forwardpb.Request {
	return &forwardpb.Request{Msg: &forwardpb.Request_Statement{Statement: st}}
}

// do sends req and feeds the replies to handle until it reports done or an
// error reply arrives (returned as *pgerror.Error). commits says whether
// req may commit (then a broken call is CommitUnknown and is never
// retried). See Txn for the retry rules.
func (t *Txn) do(ctx context.Context, req *forwardpb.Request, commits bool, handle func(*forwardpb.Reply) (bool, error)) error {
	if t.broken != nil {
		return t.broken
	}
	if commits {
		// A commit is never abandoned: answering "cancelled" for a commit
		// that happened would be a lie. The primary's session enforces
		// statement_timeout itself (it is forwarded with the parameters).
		// Except when the client is gone (peer.ErrGone): nobody is left to
		// lie to, so the call ends and the primary stops the work (and
		// rolls back what it had not committed yet).
		var stop context.CancelFunc
		ctx, stop = commitContext(ctx)
		defer stop()
	}
	deadline := time.Now().Add(t.c.cfg.Timeout)
	backoff := 20 * time.Millisecond
	for {
		err := t.exchange(ctx, req, handle)
		var sqlErr *replyError
		if errors.As(err, &sqlErr) {
			return sqlErr.err
		}
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			t.fail(err)
			return ctx.Err()
		}
		kind := Lost
		var notSent *notSentError
		sent := !errors.As(err, &notSent)
		switch {
		case commits && sent && (t.used || !refused(err)):
			kind = CommitUnknown
		case t.used:
		case !time.Now().Before(deadline):
			kind = Unreachable
			if status.Code(err) == codes.FailedPrecondition {
				kind = NotPrimary
			}
		default: // nothing ran on the primary yet: look for it again
			t.Close()
			// A deliberate backoff between attempts to reach a primary
			// that is not there (yet): nothing signals its return, and
			// the wait ends early when the statement is cancelled.
			pause := time.NewTimer(min(backoff, time.Until(deadline)))
			select {
			case <-pause.C:
			case <-ctx.Done():
				pause.Stop()
				t.fail(err)
				return ctx.Err()
			}
			backoff = min(2*backoff, 500*time.Millisecond)
			continue
		}
		f := &Failure{Kind: kind, Primary: t.addr, Err: err}
		t.fail(f)
		return f
	}
}

// commitContext is ctx without its cancellation, unless ctx ends because
// its client disconnected (a cause wrapping peer.ErrGone).
func commitContext(ctx context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		if cause := context.Cause(ctx); errors.Is(cause, peer.ErrGone) {
			cancel(cause)
		}
	})
	return c, func() { stop(); cancel(nil) }
}

func (t *Txn) fail(err error) {
	t.Close()
	t.broken = err
}

// refused reports a primary that turned the call down before running
// anything (it is not the primary, or it is shutting down).
func refused(err error) bool {
	var pre *preSendError
	if errors.As(err, &pre) {
		return true
	}
	return status.Code(err) == codes.FailedPrecondition
}

// replyError is an Error reply: the request failed in SQL on the primary.
type replyError struct{ err *pgerror.Error }

func (e *replyError) Error() string { return e.err.Error() }

// notSentError marks a request that never left: the call had already
// ended when it was sent (gRPC's Send fails only then), so it cannot have
// committed anything.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// preSendError marks a failure to open the call: nothing was sent.
type preSendError struct{ err error }

func (e *preSendError) Error() string { return e.err.Error() }
func (e *preSendError) Unwrap() error { return e.err }

// exchange sends req (preceded by Open on a fresh call) and reads replies.
// It returns a *replyError for an error reply, or a transport error.
func (t *Txn) exchange(ctx context.Context, req *forwardpb.Request, handle func(*forwardpb.Reply) (bool, error)) error {
	if t.stream == nil {
		if err := t.connect(); err != nil {
			return &preSendError{err}
		}
	}
	stop := context.AfterFunc(ctx, t.cancel) // a cancelled statement ends the call: the primary rolls back
	defer stop()
	if !t.opened {
		if err := t.stream.Send(&forwardpb.Request{Msg: &forwardpb.Request_Open{Open: t.open}}); err != nil {
			return &notSentError{t.recvErr(err)}
		}
		t.opened = true
	}
	if err := t.stream.Send(req); err != nil {
		return &notSentError{t.recvErr(err)}
	}
	for {
		r, err := t.stream.Recv()
		if err != nil {
			return err
		}
		t.used = true
		if e := r.GetError(); e != nil {
			return &replyError{errorFromPB(e)}
		}
		done, err := handle(r)
		if err != nil || done {
			return err
		}
	}
}

// recvErr returns the real reason of a failed Send: gRPC reports io.EOF
// from Send and the status from Recv.
func (t *Txn) recvErr(err error) error {
	if _, rerr := t.stream.Recv(); rerr != nil {
		return rerr
	}
	return err
}

// connect opens a call on the current primary, bounded by Timeout.
func (t *Txn) connect() error {
	fc, addr, err := t.c.acquire()
	t.addr = addr
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	timer := time.AfterFunc(t.c.cfg.Timeout, cancel)
	stream, err := forwardpb.NewForwardingClient(fc.cc).Forward(ctx)
	if !timer.Stop() && err == nil {
		err = context.DeadlineExceeded
	}
	if err != nil {
		cancel()
		t.c.release(fc)
		return err
	}
	t.stream, t.cancel, t.conn, t.opened, t.used = stream, cancel, fc, false, false
	return nil
}

// rowDecoder turns forwarded results back into datums for the session's
// writer.
type rowDecoder struct {
	w       result.Writer
	setCols bool
	cols    []types.T
	buf     []types.Datum
	err     error
}

func (r *rowDecoder) columns(cols []*forwardpb.Column) error {
	rc := columnsFromPB(cols)
	r.cols = make([]types.T, len(rc))
	for i, c := range rc {
		r.cols[i] = c.Type
	}
	if r.setCols {
		return r.w.SetColumns(rc)
	}
	return nil
}

func (r *rowDecoder) row(values []*forwardpb.Value) error {
	if len(values) != len(r.cols) {
		r.err = pgerror.Newf(pgerror.ProtocolViolation, "write forwarding: row of %d values for %d columns", len(values), len(r.cols))
		return r.err
	}
	r.buf = r.buf[:0]
	for i, v := range values {
		d, err := decodeValue(v, r.cols[i])
		if err != nil {
			r.err = err
			return err
		}
		r.buf = append(r.buf, d)
	}
	return r.w.AddRow(r.buf)
}

func (r *rowDecoder) notice(n *pgerror.Error) {
	if nw, ok := r.w.(result.Noticer); ok {
		nw.Notice(n)
	}
}
