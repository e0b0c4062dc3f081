package pgwire

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/pgwire/pgfront"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
)

// fatalWriteTimeout bounds the last write before a connection is closed.
const fatalWriteTimeout = time.Second

// conn is one client connection. Its fields below mu are touched only by
// the connection's own goroutine, except as noted.
type conn struct {
	srv    *Server
	fc     *pgfront.Conn // startup, cancel key, idle/busy state for the drain
	nc     net.Conn      // the accepted socket; closed by serve (fc.Close) or forceClose
	rw     io.Writer     // nc, the TLS connection over it, or raw system calls on nc (internal/sockio)
	be     *pgproto3.Backend
	log    *slog.Logger
	ctx    context.Context // cancelled by forceClose; parent of statement contexts
	cancel context.CancelFunc

	mu         sync.Mutex              // guards the fields below, up to sess
	stmtCancel context.CancelCauseFunc // set while a statement runs
	stmtGen    uint64                  // counts statements; a peer check of an older one does nothing
	peerTimer  *time.Timer             // checks the client's socket while a statement runs; made once (watch.go)
	peerIv     time.Duration
	peerArmed  bool // peerTimer is set to fire (watch.go)
	clientGone bool // the client disconnected during a statement
	terminated bool // pg_terminate_backend: the connection ends with FATAL 57P01

	sess           Session
	stmtCtx        context.Context // the statement context, kept while not cancelled (beginStatement)
	stmtCtxCancel  context.CancelCauseFunc
	wbuf           []byte // buffered output, flushed by flush
	werr           error  // first write error; the connection ends
	rerr           error  // a read error during COPY; the connection ends
	inBatch        bool   // extended-protocol messages seen since the last ReadyForQuery
	ignoreTillSync bool   // an extended-protocol message failed; discard until Sync
	// execMark is where in wbuf the output of the batch's first Execute
	// begins, -1 when there is none or it was flushed (see sync).
	execMark int
	reported map[string]string
	loc      *time.Location // session TimeZone for timestamptz text output
	w        rowWriter
}

func newConn(s *Server, fc *pgfront.Conn) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	c := &conn{
		srv:      s,
		fc:       fc,
		nc:       fc.Socket(),
		rw:       fc.NetConn(),
		log:      fc.Logger(),
		ctx:      ctx,
		cancel:   cancel,
		wbuf:     make([]byte, 0, 8<<10),
		execMark: -1,
		loc:      time.UTC,
	}
	c.w.c = c
	return c
}

// serve runs the connection to its end; see the package documentation.
func (c *conn) serve() {
	defer c.srv.removeConn(c)
	defer c.fc.Close()
	defer c.cancel()
	defer c.endStatementContext()
	defer c.recoverPanic()
	if !c.startup() {
		return
	}
	defer c.closeSession()
	c.loop()
}

// endStatementContext cancels the kept statement context when the
// connection ends.
func (c *conn) endStatementContext() {
	if c.stmtCtxCancel != nil {
		c.stmtCtxCancel(nil)
	}
}

func (c *conn) closeSession() {
	if err := c.sess.Close(); err != nil {
		c.log.Warn("pgwire: closing session", "err", err)
	}
}

// recoverPanic turns a panic in the session (or here) into a FATAL XX000
// for this connection only.
func (c *conn) recoverPanic() {
	r := recover()
	if r == nil {
		return
	}
	c.log.Error("pgwire: panic serving connection; closing it", "panic", r, "stack", string(debug.Stack()))
	c.wbuf = c.wbuf[:0] // may end in a half-written message
	c.werr = nil
	c.sendFatal(pgerror.Newf(pgerror.InternalError, "internal error: %v", r))
}

// loop reads and handles messages until the connection ends.
func (c *conn) loop() {
	for {
		if !c.inBatch && !c.fc.EnterIdle() {
			c.sendFatal(errTerminated)
			return
		}
		msg, err := c.be.Receive()
		c.fc.EnterBusy()
		if err != nil {
			c.readError(err)
			return
		}
		if !c.handle(msg) || c.werr != nil || c.rerr != nil || c.lostClient() {
			return
		}
	}
}

// handle processes one message; false ends the connection.
func (c *conn) handle(msg pgproto3.FrontendMessage) bool {
	if c.ignoreTillSync {
		switch msg.(type) {
		case *pgproto3.Sync, *pgproto3.Terminate:
		default:
			return true
		}
	}
	switch m := msg.(type) {
	case *pgproto3.Query:
		c.simpleQuery(m.String)
	case *pgproto3.Parse:
		c.parse(m)
	case *pgproto3.Bind:
		c.bind(m)
	case *pgproto3.Describe:
		c.describe(m)
	case *pgproto3.Execute:
		c.execute(m)
	case *pgproto3.Close:
		c.closeMsg(m)
	case *pgproto3.Sync:
		c.sync()
	case *pgproto3.Flush:
		c.flush()
	case *pgproto3.Terminate:
		return false
	case *pgproto3.FunctionCall:
		c.sendError(pgerror.New(pgerror.FeatureNotSupported, "fastpath function calls are not supported"))
		c.readyForQuery()
	case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
		// Ignored outside COPY, as PostgreSQL does.
	default:
		c.sendFatal(pgerror.Newf(pgerror.ProtocolViolation, "unexpected frontend message %T", msg))
		return false
	}
	return true
}

// readError ends the connection after a failed Receive, telling the client
// why when the failure is its message rather than the socket.
func (c *conn) readError(err error) {
	var tooBig *pgproto3.ExceededMaxBodyLenErr
	switch {
	case c.fc.Draining() && errors.Is(err, os.ErrDeadlineExceeded):
		c.sendFatal(errTerminated)
	case errors.As(err, &tooBig):
		c.sendFatal(pgerror.Newf(pgerror.ProgramLimitExceeded,
			"message of %d bytes exceeds the maximum message size of %d bytes", tooBig.ActualBodyLen, tooBig.MaxExpectedBodyLen))
	case isIOError(err):
		c.log.Debug("pgwire: connection read ended", "err", err)
	default:
		c.sendFatal(pgerror.Newf(pgerror.ProtocolViolation, "invalid frontend message: %v", err))
	}
}

// isIOError reports whether err came from the socket rather than from
// decoding a message.
func isIOError(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.As(err, &ne)
}

// forceClose cancels the running statement and closes the socket; the
// connection's goroutine then ends. Safe from any goroutine.
func (c *conn) forceClose() {
	c.cancel()
	c.mu.Lock()
	if c.stmtCancel != nil {
		c.stmtCancel(nil) // statement contexts are not children of c.ctx (beginStatement)
	}
	c.mu.Unlock()
	_ = c.nc.Close()
}

// beginStatement returns the context for one session call; a
// CancelRequest cancels it, and so does the client's disconnect (see
// watch.go).
//
// The context is not derived from c.ctx: a child of a cancellable parent
// is registered in (and removed from) the parent's set of children on
// every statement. forceClose cancels the running statement itself, and a
// statement that begins after it is born cancelled here.
//
// The context is kept for the next statement while nothing cancelled it
// (a context and its cancel function were two allocations per statement):
// nothing that outlives a statement waits for its context to end (the
// session cancels what it derives from it; a suspended portal keeps it
// only for its values), and a cancellation cancels it only while its
// statement runs (stmtCancel), after which a new one is made.
func (c *conn) beginStatement() context.Context {
	if c.stmtCtx == nil || c.stmtCtx.Err() != nil {
		c.stmtCtx, c.stmtCtxCancel = context.WithCancelCause(context.Background())
	}
	ctx, cancel := c.stmtCtx, c.stmtCtxCancel
	iv := c.checkInterval()
	c.mu.Lock()
	c.stmtCancel = cancel
	if c.ctx.Err() != nil {
		cancel(nil)
	}
	c.stmtGen++
	if iv > 0 {
		c.watchPeer(iv)
	} else {
		c.unwatchPeer()
	}
	c.srv.metrics.running.Inc()
	c.mu.Unlock()
	return ctx
}

func (c *conn) endStatement() {
	c.mu.Lock()
	c.stmtCancel = nil // the context is kept (beginStatement), the peer timer stays armed (watchPeer)
	c.srv.metrics.running.Dec()
	c.mu.Unlock()
}

// errTerminated is what a connection ended by pg_terminate_backend sends
// (PostgreSQL's FATAL for SIGTERM), and its running statement's
// cancellation cause.
var errTerminated = pgerror.New(pgerror.AdminShutdown, "terminating connection due to administrator command")

// terminate serves pg_terminate_backend: the running statement is
// cancelled, and the connection ends with FATAL 57P01 instead of its
// statement's result (sendError, readyForQuery); an idle one is woken
// from its read to send it (pgfront.Conn.Terminate). Safe from any
// goroutine.
func (c *conn) terminate() {
	c.mu.Lock()
	c.terminated = true
	if c.stmtCancel != nil {
		c.stmtCancel(errTerminated)
	}
	c.mu.Unlock()
	c.fc.Terminate()
}

func (c *conn) isTerminated() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.terminated
}

// endTerminated sends the FATAL of a terminated connection; later output
// is dropped and the message loop ends (werr is set).
func (c *conn) endTerminated() {
	c.sendFatal(errTerminated)
	if c.werr == nil {
		c.werr = errTerminated
	}
}

// cancelStatement serves a CancelRequest; with no statement running it does
// nothing, as in PostgreSQL.
func (c *conn) cancelStatement() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stmtCancel != nil {
		c.stmtCancel(nil)
	}
}

// simpleQuery runs a Query message.
func (c *conn) simpleQuery(sql string) {
	start := time.Now()
	c.w.reset(false)
	ctx := c.beginStatement()
	err := c.sess.Query(ctx, sql, &c.w)
	c.endStatement()
	switch {
	case err == nil:
	case errors.Is(err, result.ErrEmptyQuery):
		c.appendMsg(&pgproto3.EmptyQueryResponse{})
	default:
		c.sendError(err)
	}
	c.srv.metrics.simpleDur.Observe(time.Since(start).Seconds())
	c.readyForQuery()
}

// readyForQuery reports changed parameters, sends ReadyForQuery and flushes.
func (c *conn) readyForQuery() {
	if c.isTerminated() {
		c.endTerminated()
		return
	}
	c.reportParams()
	c.wbuf = append(c.wbuf, 'Z', 0, 0, 0, 5, byte(c.sess.TxStatus()))
	c.flush()
	c.inBatch = false
}

// reportParams sends ParameterStatus for every parameter whose value
// differs from what the client was last told.
func (c *conn) reportParams() {
	if pc, ok := c.sess.(ParamChangeReporter); ok && !pc.ParametersChanged() {
		return
	}
	for k, v := range c.sess.ParameterStatus() {
		if old, ok := c.reported[k]; ok && old == v {
			continue
		}
		c.reported[k] = v
		c.appendMsg(&pgproto3.ParameterStatus{Name: k, Value: v})
		if k == "TimeZone" {
			c.setTimeZone(v)
		}
	}
}

func (c *conn) setTimeZone(name string) {
	loc, err := time.LoadLocation(name)
	if err != nil {
		c.log.Debug("pgwire: unknown TimeZone; rendering timestamptz in UTC", "tz", name, "err", err)
		loc = time.UTC
	}
	c.loc = loc
}
