package replication

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/grpc"
	gbackoff "google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"

	"github.com/heliosdb/nano/internal/peer"
	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/proto/replicationpb"
)

// Write forwarding, the standby's side: ForwardClient opens forwarded
// transactions on whatever primary the node follows at that moment.
//
// Failure handling, so that a client never waits without bound and never
// gets a wrong answer about a commit:
//
//   - Reaching the primary (dialling, or a primary that answers "not
//     primary" during a switchover) is retried, re-reading the primary's
//     address each time, for up to Timeout; then the transaction fails
//     with ForwardFailure{Kind: ForwardUnreachable or ForwardNotPrimary}.
//     Only the first request of a transaction is retried, and only when it
//     cannot have committed anything (the primary refused the call, or the
//     request does not commit: the primary rolls back a transaction whose
//     call broke).
//   - A connection lost later fails the transaction (ForwardLost; the
//     primary rolls it back), or, while a commit was in flight,
//     ForwardCommitUnknown: it may or may not have committed.
//   - A dead or partitioned primary is detected by gRPC keepalive (10 s
//     ping, 5 s timeout), so no call waits much longer than 15 s for a
//     primary that vanished.
//   - Cancelling a statement's context breaks the call (the primary rolls
//     the transaction back); a commit is never abandoned this way.

// ForwardFailureKind says how a forwarded transaction failed outside SQL.
type ForwardFailureKind int

const (
	// ForwardUnreachable: no primary could be reached within Timeout.
	ForwardUnreachable ForwardFailureKind = iota + 1
	// ForwardNotPrimary: the node reached kept saying it is not the primary.
	ForwardNotPrimary
	// ForwardLost: the connection broke; the transaction was rolled back.
	ForwardLost
	// ForwardCommitUnknown: the connection broke while a commit was in
	// flight; it may have committed.
	ForwardCommitUnknown
)

// ForwardFailure is a transport failure of a forwarded transaction.
type ForwardFailure struct {
	Kind    ForwardFailureKind
	Primary string // the primary's native address, "" when none is known
	Err     error
}

func (f *ForwardFailure) Error() string {
	what := map[ForwardFailureKind]string{ForwardUnreachable: "cannot reach the primary", ForwardNotPrimary: "no primary found",
		ForwardLost: "lost the connection to the primary", ForwardCommitUnknown: "lost the connection to the primary during commit"}[f.Kind]
	return fmt.Sprintf("write forwarding: %s %s: %v", what, f.Primary, f.Err)
}

func (f *ForwardFailure) Unwrap() error { return f.Err }

// ForwardClientConfig configures a ForwardClient.
type ForwardClientConfig struct {
	Secret string
	NodeID string
	TLS    *TLS // when set, the primary must verify (tls.go)
	// Primary returns the native address ("host:port") of the primary the
	// node follows now, or "" when it follows none. Required.
	Primary func() string
	// Timeout bounds how long a transaction looks for the primary; default 10s.
	Timeout time.Duration
	Logger  *slog.Logger
}

// ForwardClient opens forwarded transactions. Safe for concurrent use;
// transactions share one gRPC connection to the current primary. When the
// node starts following another primary, new transactions go there and
// the old connection is closed once its last transaction has ended (a
// transaction open across the switch then fails with the old primary's
// own error, 25006, rather than a broken connection).
type ForwardClient struct {
	cfg ForwardClientConfig

	mu     sync.Mutex
	cur    *fwdConn // connection to the primary followed now
	closed bool
}

// fwdConn is a connection and the number of transactions using it.
type fwdConn struct {
	addr  string
	conn  *grpc.ClientConn
	users int
}

// NewForwardClient returns a client; nothing is dialled until used.
func NewForwardClient(cfg ForwardClientConfig) *ForwardClient {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &ForwardClient{cfg: cfg}
}

// Close closes the current connection; transactions in progress fail.
func (c *ForwardClient) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.cur != nil {
		c.cur.conn.Close()
		c.cur = nil
	}
}

// acquire returns a connection to the current primary, dialling it when
// the node now follows another one. The caller releases it.
func (c *ForwardClient) acquire() (*fwdConn, string, error) {
	addr := c.cfg.Primary()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, addr, errors.New("node is shutting down")
	}
	if addr == "" {
		return nil, "", errors.New("this node follows no primary")
	}
	if c.cur != nil && c.cur.addr == addr {
		c.cur.users++
		return c.cur, addr, nil
	}
	if old := c.cur; old != nil {
		c.cfg.Logger.Info("write forwarding: following a new primary", "primary", addr, "previous", old.addr)
		c.cur = nil
		if old.users == 0 {
			old.conn.Close()
		}
	}
	conn, err := grpc.NewClient(addr,
		DialOption(c.cfg.Secret, c.cfg.NodeID, c.cfg.TLS),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 10 * time.Second, Timeout: 5 * time.Second}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)),
		grpc.WithConnectParams(grpc.ConnectParams{MinConnectTimeout: c.cfg.Timeout, Backoff: gbackoff.Config{
			BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second}}),
	)
	if err != nil {
		return nil, addr, err
	}
	c.cur = &fwdConn{addr: addr, conn: conn, users: 1}
	return c.cur, addr, nil
}

// release ends a transaction's use of fc, closing it when it is no longer
// the current connection and nobody uses it.
func (c *ForwardClient) release(fc *fwdConn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fc.users--
	if fc.users == 0 && fc != c.cur {
		fc.conn.Close()
	}
}

// Begin starts a forwarded transaction. Nothing is sent until its first
// request, which carries open with it.
func (c *ForwardClient) Begin(open ForwardOpen) *ForwardTxn {
	if open.StandbyNodeID == "" {
		open.StandbyNodeID = c.cfg.NodeID
	}
	return &ForwardTxn{c: c, open: open}
}

// ForwardTxn is one forwarded transaction. Not safe for concurrent use.
type ForwardTxn struct {
	c      *ForwardClient
	open   ForwardOpen
	stream replicationpb.Forwarding_ForwardClient
	cancel context.CancelFunc
	conn   *fwdConn // held while stream is open
	addr   string
	opened bool  // Open was sent on the current stream
	used   bool  // a reply arrived: the primary holds transaction state
	broken error // the transaction is over
}

// Primary is the native address of the primary the transaction runs on.
func (t *ForwardTxn) Primary() string { return t.addr }

// Describe prepares st on the primary and returns its description.
func (t *ForwardTxn) Describe(ctx context.Context, st ForwardStatement) (ForwardDescription, error) {
	st.DescribeOnly, st.Commit = true, false
	var d ForwardDescription
	err := t.do(ctx, statementReq(st), false, func(r *replicationpb.ForwardReply) (bool, error) {
		if m := r.GetDescription(); m != nil {
			d = descriptionFromPB(m)
			return true, nil
		}
		return false, nil
	})
	return d, err
}

// Exec runs st on the primary, streaming its results to w, and returns
// the command tag. With st.Commit it also commits and returns the commit
// LSN.
func (t *ForwardTxn) Exec(ctx context.Context, st ForwardStatement, w ForwardWriter) (tag string, commit lsn.LSN, err error) {
	st.DescribeOnly = false
	completed := false
	err = t.do(ctx, statementReq(st), st.Commit, func(r *replicationpb.ForwardReply) (bool, error) {
		switch m := r.GetMsg().(type) {
		case *replicationpb.ForwardReply_Columns:
			return false, w.Columns(columnsFromPB(m.Columns.GetColumns()))
		case *replicationpb.ForwardReply_Rows:
			for _, row := range m.Rows.GetRows() {
				if err := w.Row(valuesFromPB(row.GetValues())); err != nil {
					return true, err
				}
			}
		case *replicationpb.ForwardReply_Notice:
			w.Notice(errorFromPB(m.Notice))
		case *replicationpb.ForwardReply_Complete:
			tag, completed = m.Complete.GetTag(), true
			return !st.Commit, nil
		case *replicationpb.ForwardReply_Ended:
			commit = lsn.LSN(m.Ended.GetCommitLsn())
			return true, nil
		}
		return false, nil
	})
	if err != nil && completed && st.Commit {
		// The statement ran; the commit failed. The tag is still the
		// statement's (the session reports both, as PostgreSQL does).
		return tag, 0, err
	}
	return tag, commit, err
}

// End commits (commit) or rolls back the transaction on the primary and
// returns the commit record's end LSN (0 when nothing was written). It
// waits for the outcome even when ctx is cancelled: a commit may already
// be durable.
func (t *ForwardTxn) End(ctx context.Context, commit bool) (lsn.LSN, error) {
	if !commit && t.stream == nil {
		return 0, nil
	}
	var at lsn.LSN
	req := &replicationpb.ForwardRequest{Msg: &replicationpb.ForwardRequest_End{End: &replicationpb.ForwardEnd{Commit: commit}}}
	err := t.do(ctx, req, commit, func(r *replicationpb.ForwardReply) (bool, error) {
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

// Close ends the call; a transaction not committed by End rolls back on
// the primary. Idempotent.
func (t *ForwardTxn) Close() {
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

func statementReq(st ForwardStatement) *replicationpb.ForwardRequest {
	return &replicationpb.ForwardRequest{Msg: &replicationpb.ForwardRequest_Statement{Statement: statementToPB(st)}}
}

// do sends req and feeds the replies to handle until it reports done or an
// error reply arrives. commits says whether req may commit (then a broken
// call is ForwardCommitUnknown and is never retried). See the comment at
// the top of the file for the retry rules.
func (t *ForwardTxn) do(ctx context.Context, req *replicationpb.ForwardRequest, commits bool, handle func(*replicationpb.ForwardReply) (bool, error)) error {
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
		var fe *ForwardError
		if err == nil || errors.As(err, &fe) {
			return err
		}
		if ctx.Err() != nil {
			t.fail(err)
			return ctx.Err()
		}
		kind := ForwardLost
		var notSent *notSentError
		sent := !errors.As(err, &notSent)
		switch {
		case commits && sent && (t.used || !refused(err)):
			kind = ForwardCommitUnknown
		case t.used:
		case !time.Now().Before(deadline):
			kind = ForwardUnreachable
			if status.Code(err) == codes.FailedPrecondition {
				kind = ForwardNotPrimary
			}
		default: // nothing ran on the primary yet: look for it again
			t.Close()
			pause := time.NewTimer(min(backoff, time.Until(deadline)))
			select {
			case <-pause.C:
			case <-ctx.Done(): // the statement was cancelled while looking for the primary
				pause.Stop()
				t.fail(err)
				return ctx.Err()
			}
			backoff = min(2*backoff, 500*time.Millisecond)
			continue
		}
		f := &ForwardFailure{Kind: kind, Primary: t.addr, Err: err}
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

func (t *ForwardTxn) fail(err error) {
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
	c := status.Code(err)
	return c == codes.FailedPrecondition
}

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
// It returns a *ForwardError for an error reply, or a transport error.
func (t *ForwardTxn) exchange(ctx context.Context, req *replicationpb.ForwardRequest, handle func(*replicationpb.ForwardReply) (bool, error)) error {
	if t.stream == nil {
		if err := t.connect(); err != nil {
			return &preSendError{err}
		}
	}
	stop := context.AfterFunc(ctx, t.cancel) // a cancelled statement ends the call: the primary rolls back
	defer stop()
	if !t.opened {
		o := t.open
		open := &replicationpb.ForwardOpen{StandbyNodeId: o.StandbyNodeID, User: o.User, Database: o.Database, Params: o.Params, Begin: o.Begin}
		if err := t.stream.Send(&replicationpb.ForwardRequest{Msg: &replicationpb.ForwardRequest_Open{Open: open}}); err != nil {
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
			return errorFromPB(e)
		}
		done, err := handle(r)
		if err != nil || done {
			return err
		}
	}
}

// recvErr returns the real reason of a failed Send: gRPC reports io.EOF
// from Send and the status from Recv.
func (t *ForwardTxn) recvErr(err error) error {
	if _, rerr := t.stream.Recv(); rerr != nil {
		return rerr
	}
	return err
}

// connect opens a call on the current primary, bounded by Timeout.
func (t *ForwardTxn) connect() error {
	fc, addr, err := t.c.acquire()
	t.addr = addr
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	timer := time.AfterFunc(t.c.cfg.Timeout, cancel)
	stream, err := replicationpb.NewForwardingClient(fc.conn).Forward(ctx)
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
