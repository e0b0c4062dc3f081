package forward

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
	"github.com/heliosdb/nano/proto/forwardpb"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/session"
	"github.com/heliosdb/nano/sql/types"
)

// ServerConfig configures the primary's side.
type ServerConfig struct {
	// Session returns the configuration of the SQL session a forwarded
	// transaction runs in, or an error wrapping ErrNotPrimary when this
	// node does not take writes now (a standby, fenced, its lease lapsed).
	// Called once per transaction. Required. Its Forward is ignored: a
	// forwarded transaction is never forwarded again.
	Session func() (session.Config, error)
	// Logger; nil discards.
	Logger *slog.Logger
}

// Server serves the Forwarding service: each call is one forwarded
// transaction, run in an ordinary session.Session through the extended
// protocol, so it behaves as for a client of this node (locks wait,
// conflicts and constraint violations fail with their SQLSTATE and
// fields, statement_timeout applies).
//
// Concurrency: each call is served by its handler goroutine, which takes
// a request, runs it and writes its replies before taking the next, so
// the session is used by one goroutine at a time; a second goroutine
// (recvLoop) only receives, so that the handler stops waiting when the
// call's context ends. When the call ends for any reason (the standby
// closed it, the connection broke, Close) before a successful End, the
// session is closed and the transaction rolled back.
type Server struct {
	forwardpb.UnimplementedForwardingServer
	cfg ServerConfig
	log *slog.Logger

	mu      sync.Mutex
	closed  bool
	cancels map[*context.CancelFunc]struct{}
	calls   sync.WaitGroup
}

// Register registers the Forwarding service on g — the native port's
// server (replication.Server.GRPCServer), whose transport credentials and
// interceptors admit only connections that completed the cluster-key
// handshake (inside TLS with --native-tls), exactly as for replication.
func Register(g *grpc.Server, cfg ServerConfig) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log, cancels: map[*context.CancelFunc]struct{}{}}
	forwardpb.RegisterForwardingServer(g, s)
	return s
}

// Close ends every forwarded transaction in progress (they roll back) and
// waits until their sessions are closed. Later calls are refused.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for c := range s.cancels {
		(*c)()
	}
	s.mu.Unlock()
	s.calls.Wait()
}

func (s *Server) enter(cancel *context.CancelFunc) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.calls.Add(1)
	s.cancels[cancel] = struct{}{}
	return true
}

func (s *Server) leave(cancel *context.CancelFunc) {
	s.mu.Lock()
	delete(s.cancels, cancel)
	s.mu.Unlock()
	s.calls.Done()
}

// Forward implements the Forwarding service: one forwarded transaction.
func (s *Server) Forward(stream forwardpb.Forwarding_ForwardServer) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	if !s.enter(&cancel) {
		return status.Error(codes.Unavailable, "forward: node is shutting down")
	}
	defer s.leave(&cancel)
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	open := first.GetOpen()
	if open == nil {
		return status.Error(codes.InvalidArgument, "forward: a forwarded transaction starts with Open")
	}
	tx, err := s.open(ctx, open)
	switch {
	case errors.Is(err, ErrNotPrimary):
		return status.Error(codes.FailedPrecondition, err.Error())
	case err != nil:
		return sendError(stream, err)
	}
	defer tx.s.Close()
	reqs := recvLoop(ctx, stream)
	for {
		var r recvd
		select {
		case <-ctx.Done(): // Close, or the call ended
			return status.Error(codes.Unavailable, "forward: forwarded transaction ended by the primary (shutting down)")
		case r = <-reqs:
		}
		if r.err == io.EOF {
			return nil // the standby ended the call: roll back
		}
		if r.err != nil {
			return r.err
		}
		if done, err := tx.serve(ctx, stream, r.req); err != nil || done {
			return err
		}
	}
}

// open starts the session of a forwarded transaction (and its BEGIN).
func (s *Server) open(ctx context.Context, open *forwardpb.Open) (*serverTxn, error) {
	cfg, err := s.cfg.Session()
	if err != nil {
		return nil, err
	}
	cfg.Forward = nil
	sess, err := session.New(cfg, result.StartupInfo{User: open.GetUser(), Database: open.GetDatabase(), Params: open.GetParams(),
		RemoteAddr: "forwarded from " + open.GetStandbyNodeId()})
	if err != nil {
		return nil, err
	}
	if b := open.GetBegin(); b != "" {
		if err := sess.Query(ctx, b, &result.Buffer{}); err != nil {
			sess.Close()
			return nil, err
		}
	}
	return &serverTxn{s: sess}, nil
}

type recvd struct {
	req *forwardpb.Request
	err error
}

// recvLoop reads requests in its own goroutine so that the handler can
// stop waiting when ctx ends (a blocked Recv only returns once the handler
// has returned). It exits after the first error, which ends every call.
func recvLoop(ctx context.Context, stream forwardpb.Forwarding_ForwardServer) <-chan recvd {
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

// serverTxn is the session of one forwarded transaction.
type serverTxn struct{ s *session.Session }

// serve runs one request and sends its replies. done reports that the
// transaction ended (committed or rolled back).
func (t *serverTxn) serve(ctx context.Context, stream forwardpb.Forwarding_ForwardServer, req *forwardpb.Request) (done bool, err error) {
	switch m := req.GetMsg().(type) {
	case *forwardpb.Request_Statement:
		st := m.Statement
		if st.GetDescribeOnly() {
			d, err := t.s.Prepare(ctx, "", st.GetSql(), st.GetParamOids())
			if err != nil {
				return false, sendError(stream, err)
			}
			desc := &forwardpb.Description{ParamOids: d.ParamTypes, Columns: columnsToPB(d.Columns), ReturnsRows: d.Columns != nil}
			return false, stream.Send(&forwardpb.Reply{Msg: &forwardpb.Reply_Description{Description: desc}})
		}
		tag, err := t.exec(ctx, stream, st)
		if err != nil {
			return false, sendError(stream, err)
		}
		if err := stream.Send(&forwardpb.Reply{Msg: &forwardpb.Reply_Complete{Complete: &forwardpb.Complete{Tag: tag}}}); err != nil {
			return false, err
		}
		if !st.GetCommit() {
			return false, nil
		}
		return true, t.end(ctx, stream, true)
	case *forwardpb.Request_End:
		return true, t.end(ctx, stream, m.End.GetCommit())
	}
	return true, status.Error(codes.InvalidArgument, "forward: unexpected message in a forwarded transaction")
}

// exec runs one statement through the extended protocol (Parse, Bind,
// Execute), with each parameter in the format the standby sent it, and
// streams its rows.
func (t *serverTxn) exec(ctx context.Context, stream forwardpb.Forwarding_ForwardServer, st *forwardpb.Statement) (string, error) {
	if _, err := t.s.Prepare(ctx, "", st.GetSql(), st.GetParamOids()); err != nil {
		return "", err
	}
	raw, formats := bindArgs(st.GetParams())
	if err := t.s.Bind(ctx, "", "", raw, formats, nil); err != nil {
		return "", err
	}
	cols, _, err := t.s.DescribePortal("")
	if err != nil {
		return "", err
	}
	w := &replyWriter{stream: stream}
	if cols != nil {
		for _, c := range cols {
			w.cols = append(w.cols, c.Type)
		}
		if err := stream.Send(&forwardpb.Reply{Msg: &forwardpb.Reply_Columns{Columns: &forwardpb.Columns{Columns: columnsToPB(cols)}}}); err != nil {
			return "", err
		}
	}
	if _, err := t.s.Execute(ctx, "", 0, w); err != nil {
		return "", err
	}
	return w.tag, w.flush()
}

// end commits or rolls back: an explicit block with COMMIT/ROLLBACK, an
// implicit one with Sync (which retries a lost conflict as for any
// client). Ended carries the end LSN of the commit record (0 when nothing
// was written).
func (t *serverTxn) end(ctx context.Context, stream forwardpb.Forwarding_ForwardServer, commit bool) error {
	var err error
	switch {
	case !commit:
		t.s.Close()
	case t.s.TxStatus() == result.TxFailed:
		err = pgerror.New(pgerror.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	case t.s.TxStatus() == result.TxInTx:
		err = t.s.Query(ctx, "COMMIT", &result.Buffer{})
	default:
		err = t.s.Sync(ctx)
	}
	if err != nil {
		return sendError(stream, err)
	}
	at := lsn.LSN(0)
	if commit {
		at = t.s.LastCommitLSN()
	}
	return stream.Send(&forwardpb.Reply{Msg: &forwardpb.Reply_Ended{Ended: &forwardpb.Ended{CommitLsn: uint64(at)}}})
}

// sendError answers err (a SQL error with its SQLSTATE and fields; any
// other becomes XX000) as the request's reply.
func sendError(stream forwardpb.Forwarding_ForwardServer, err error) error {
	if pgerror.As(err) == nil {
		err = fmt.Errorf("write forwarding: %w", err)
	}
	return stream.Send(&forwardpb.Reply{Msg: &forwardpb.Reply_Error{Error: errorToPB(err)}})
}

// replyWriter is the result.Writer of a forwarded statement: it encodes
// rows into Rows messages of about 256 KiB.
type replyWriter struct {
	stream forwardpb.Forwarding_ForwardServer
	cols   []types.T
	rows   []*forwardpb.Row
	size   int
	tag    string
}

const batchBytes = 256 << 10

func (w *replyWriter) SetColumns([]result.Column) error { return nil }

func (w *replyWriter) AddRow(row []types.Datum) error {
	out := &forwardpb.Row{Values: make([]*forwardpb.Value, len(row))}
	for i, d := range row {
		t := types.Unknown
		if i < len(w.cols) {
			t = w.cols[i]
		}
		out.Values[i] = encodeValue(d, t)
		w.size += len(out.Values[i].Data) + 4
	}
	w.rows = append(w.rows, out)
	if w.size >= batchBytes {
		return w.flush()
	}
	return nil
}

func (w *replyWriter) Complete(tag string) error { w.tag = tag; return nil }

// Notice sends n after the rows before it.
func (w *replyWriter) Notice(n *pgerror.Error) {
	if err := w.flush(); err == nil {
		_ = w.stream.Send(&forwardpb.Reply{Msg: &forwardpb.Reply_Notice{Notice: errorToPB(n)}})
	}
}

func (w *replyWriter) flush() error {
	if len(w.rows) == 0 {
		return nil
	}
	err := w.stream.Send(&forwardpb.Reply{Msg: &forwardpb.Reply_Rows{Rows: &forwardpb.Rows{Rows: w.rows}}})
	w.rows, w.size = nil, 0
	return err
}
