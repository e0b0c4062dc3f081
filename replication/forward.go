package replication

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/proto/replicationpb"
)

// Write forwarding (--write-forwarding), the primary's side.
//
// A standby with write forwarding on runs a transaction's writes on the
// primary: the Forwarding service (proto/replication.proto) carries one
// forwarded transaction per call. The primary runs it in a real SQL
// session, so constraints, conflicts (40001) and every error behave
// exactly as for a client connected to the primary. This package only
// moves the messages: it cannot import the SQL packages, so the node
// supplies the session through ForwardBackend and converts errors and
// values (ForwardError, ForwardValue).
//
// Each call is served by one goroutine that takes a request, runs it and
// writes its replies before taking the next, so the session is used by
// one goroutine at a time; a second goroutine (recvLoop) only receives. When the call ends for any reason (the standby
// closed it, the connection broke, the server shuts down) before a
// successful End, the session is closed and the transaction rolled back.

// ErrForwardNotPrimary is returned by ForwardBackend.OpenForward on a node
// that is not the primary; the standby then looks for the primary again.
var ErrForwardNotPrimary = errors.New("replication: not the primary")

// ForwardValue is one parameter or column value: PostgreSQL's binary
// format, or (Text) its text format for types without a binary one.
type ForwardValue struct {
	Data []byte
	Null bool
	Text bool
}

// ForwardColumn describes a result column, as RowDescription does.
type ForwardColumn struct {
	Name     string
	TypeOID  uint32
	TypeMod  int32
	TableOID uint32
	AttrNum  int16
}

// ForwardOpen starts a forwarded transaction.
type ForwardOpen struct {
	StandbyNodeID  string
	User, Database string
	// Params are session parameters the primary's session takes over
	// (TimeZone, DateStyle, search_path, ...).
	Params map[string]string
	// Begin is the BEGIN statement to run first when the standby's
	// transaction is explicit; "" leaves the primary's session in an
	// implicit block that End commits.
	Begin string
}

// ForwardStatement is one statement to run (or only describe).
type ForwardStatement struct {
	SQL       string
	ParamOIDs []uint32
	Params    []ForwardValue
	// DescribeOnly prepares the statement and answers its description.
	DescribeOnly bool
	// Commit ends the transaction after the statement succeeded; the
	// reply then also carries the commit LSN (autocommit in one round trip).
	Commit bool
}

// ForwardDescription is a prepared statement's parameter types and
// columns (ReturnsRows false: none).
type ForwardDescription struct {
	ParamOIDs   []uint32
	Columns     []ForwardColumn
	ReturnsRows bool
}

// ForwardError is a SQL error or notice crossing the wire. Code is the
// SQLSTATE.
type ForwardError struct {
	Code, Severity, Message, Detail, Hint string
	Position                              int32
	TableName, ColumnName, ConstraintName string
}

func (e *ForwardError) Error() string { return e.Message }

// ForwardWriter receives one statement's results. Values passed to Row
// are valid only during the call.
type ForwardWriter interface {
	Columns(cols []ForwardColumn) error
	Row(values []ForwardValue) error
	Notice(n *ForwardError)
}

// ForwardBackend is the primary's seam: the node opens SQL sessions.
type ForwardBackend interface {
	// OpenForward starts a session for a forwarded transaction, or fails
	// with ErrForwardNotPrimary (wrapped, with the reason) on a node that
	// is not the primary.
	OpenForward(ctx context.Context, open ForwardOpen) (ForwardSession, error)
}

// ForwardSession runs one forwarded transaction. Errors that are
// *ForwardError go to the standby as they are; others become XX000.
type ForwardSession interface {
	Describe(ctx context.Context, st ForwardStatement) (ForwardDescription, error)
	// Exec runs st, streaming its results to w, and returns its command tag.
	Exec(ctx context.Context, st ForwardStatement, w ForwardWriter) (tag string, err error)
	// End commits (commit) or rolls back the transaction and returns the
	// end LSN of the commit record (0 when nothing was written).
	End(ctx context.Context, commit bool) (lsn.LSN, error)
	// Close rolls back what End did not commit.
	Close()
}

// ForwardServer serves the Forwarding service on the native port.
type ForwardServer struct {
	replicationpb.UnimplementedForwardingServer
	backend ForwardBackend
	log     *slog.Logger

	mu      sync.Mutex
	closed  bool
	cancels map[*context.CancelFunc]struct{}
	calls   sync.WaitGroup
}

// RegisterForwarding registers the Forwarding service on g (the native
// port's server, whose interceptors enforce the replication secret).
func RegisterForwarding(g *grpc.Server, backend ForwardBackend, log *slog.Logger) *ForwardServer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &ForwardServer{backend: backend, log: log, cancels: map[*context.CancelFunc]struct{}{}}
	replicationpb.RegisterForwardingServer(g, f)
	return f
}

// Close ends every forwarded transaction in progress (they roll back) and
// waits until their sessions are closed. Later calls are refused.
func (f *ForwardServer) Close() {
	f.mu.Lock()
	f.closed = true
	for c := range f.cancels {
		(*c)()
	}
	f.mu.Unlock()
	f.calls.Wait()
}

func (f *ForwardServer) enter(cancel *context.CancelFunc) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.calls.Add(1)
	f.cancels[cancel] = struct{}{}
	return true
}

func (f *ForwardServer) leave(cancel *context.CancelFunc) {
	f.mu.Lock()
	delete(f.cancels, cancel)
	f.mu.Unlock()
	f.calls.Done()
}

// Forward implements the Forwarding service: one forwarded transaction.
func (f *ForwardServer) Forward(stream replicationpb.Forwarding_ForwardServer) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	if !f.enter(&cancel) {
		return status.Error(codes.Unavailable, "replication: node is shutting down")
	}
	defer f.leave(&cancel)
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	open := first.GetOpen()
	if open == nil {
		return status.Error(codes.InvalidArgument, "replication: a forwarded transaction starts with Open")
	}
	sess, err := f.backend.OpenForward(ctx, ForwardOpen{StandbyNodeID: open.GetStandbyNodeId(), User: open.GetUser(),
		Database: open.GetDatabase(), Params: open.GetParams(), Begin: open.GetBegin()})
	switch {
	case errors.Is(err, ErrForwardNotPrimary):
		return status.Error(codes.FailedPrecondition, err.Error())
	case err != nil:
		return sendForwardErr(stream, err)
	}
	defer sess.Close()
	reqs := recvLoop(ctx, stream)
	for {
		var r recvd
		select {
		case <-ctx.Done(): // Close, or the call ended
			return status.Error(codes.Unavailable, "replication: forwarded transaction ended by the primary (shutting down)")
		case r = <-reqs:
		}
		if r.err == io.EOF {
			return nil // the standby ended the call: roll back
		}
		if r.err != nil {
			return r.err
		}
		if done, err := f.serve(ctx, stream, sess, r.req); err != nil || done {
			return err
		}
	}
}

type recvd struct {
	req *replicationpb.ForwardRequest
	err error
}

// recvLoop reads requests in its own goroutine so that the handler can
// stop waiting when ctx ends (a blocked Recv only returns once the handler
// has returned). It exits after the first error, which ends every call.
func recvLoop(ctx context.Context, stream replicationpb.Forwarding_ForwardServer) <-chan recvd {
	ch := make(chan recvd)
	go func() {
		for {
			req, err := stream.Recv()
			select {
			case ch <- recvd{req, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

// serve runs one request and sends its replies. done reports that the
// transaction ended (committed or rolled back).
func (f *ForwardServer) serve(ctx context.Context, stream replicationpb.Forwarding_ForwardServer, sess ForwardSession, req *replicationpb.ForwardRequest) (done bool, err error) {
	switch m := req.GetMsg().(type) {
	case *replicationpb.ForwardRequest_Statement:
		st := statementFromPB(m.Statement)
		if st.DescribeOnly {
			d, err := sess.Describe(ctx, st)
			if err != nil {
				return false, sendForwardErr(stream, err)
			}
			return false, stream.Send(&replicationpb.ForwardReply{Msg: &replicationpb.ForwardReply_Description{Description: descriptionToPB(d)}})
		}
		w := &replyWriter{stream: stream}
		tag, err := sess.Exec(ctx, st, w)
		if err == nil {
			err = w.flush()
		}
		if err != nil {
			return false, sendForwardErr(stream, err)
		}
		if err := stream.Send(&replicationpb.ForwardReply{Msg: &replicationpb.ForwardReply_Complete{Complete: &replicationpb.ForwardComplete{Tag: tag}}}); err != nil {
			return false, err
		}
		if !st.Commit {
			return false, nil
		}
		return true, f.end(ctx, stream, sess, true)
	case *replicationpb.ForwardRequest_End:
		return true, f.end(ctx, stream, sess, m.End.GetCommit())
	}
	return true, status.Error(codes.InvalidArgument, "replication: unexpected message in a forwarded transaction")
}

func (f *ForwardServer) end(ctx context.Context, stream replicationpb.Forwarding_ForwardServer, sess ForwardSession, commit bool) error {
	at, err := sess.End(ctx, commit)
	if err != nil {
		return sendForwardErr(stream, err)
	}
	return stream.Send(&replicationpb.ForwardReply{Msg: &replicationpb.ForwardReply_Ended{Ended: &replicationpb.ForwardEnded{CommitLsn: uint64(at)}}})
}

func sendForwardErr(stream replicationpb.Forwarding_ForwardServer, err error) error {
	return stream.Send(&replicationpb.ForwardReply{Msg: &replicationpb.ForwardReply_Error{Error: errorToPB(asForwardError(err))}})
}

func asForwardError(err error) *ForwardError {
	var fe *ForwardError
	if errors.As(err, &fe) {
		return fe
	}
	return &ForwardError{Code: "XX000", Message: fmt.Sprintf("write forwarding: %v", err)}
}

// replyWriter batches rows into ForwardRows messages of about 256 KiB.
type replyWriter struct {
	stream replicationpb.Forwarding_ForwardServer
	rows   []*replicationpb.ForwardRow
	size   int
}

const forwardBatchBytes = 256 << 10

func (w *replyWriter) Columns(cols []ForwardColumn) error {
	return w.stream.Send(&replicationpb.ForwardReply{Msg: &replicationpb.ForwardReply_Columns{Columns: &replicationpb.ForwardColumns{Columns: columnsToPB(cols)}}})
}

func (w *replyWriter) Row(values []ForwardValue) error {
	row := &replicationpb.ForwardRow{Values: make([]*replicationpb.ForwardValue, len(values))}
	for i, v := range values {
		row.Values[i] = valueToPB(v, true)
		w.size += len(v.Data) + 4
	}
	w.rows = append(w.rows, row)
	if w.size >= forwardBatchBytes {
		return w.flush()
	}
	return nil
}

func (w *replyWriter) Notice(n *ForwardError) {
	if err := w.flush(); err == nil {
		_ = w.stream.Send(&replicationpb.ForwardReply{Msg: &replicationpb.ForwardReply_Notice{Notice: errorToPB(n)}})
	}
}

func (w *replyWriter) flush() error {
	if len(w.rows) == 0 {
		return nil
	}
	err := w.stream.Send(&replicationpb.ForwardReply{Msg: &replicationpb.ForwardReply_Rows{Rows: &replicationpb.ForwardRows{Rows: w.rows}}})
	w.rows, w.size = nil, 0
	return err
}
