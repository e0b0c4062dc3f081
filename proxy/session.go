package proxy

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/pgwire/pgfront"
	"github.com/heliosdb/nano/proxy/backend"
	"github.com/heliosdb/nano/proxy/classify"
	"github.com/heliosdb/nano/proxy/route"
	"github.com/heliosdb/nano/proxy/wire"
	"github.com/heliosdb/nano/sql/pgerror"
)

// flushThreshold: buffered output to the client is written once it is
// this large, and at every ReadyForQuery.
const flushThreshold = 32 << 10

// session is one client connection. Its goroutine (serve) does
// everything for it in line: read a client message, route it, forward it
// and relay the answer. Other goroutines touch only mu-guarded fields
// (CancelRequests: cancel) and fc (Server.Shutdown: the drain).
type session struct {
	srv     *Server
	fc      *pgfront.Conn // startup, cancel key, idle/busy for the drain
	nc      net.Conn      // the TLS connection when negotiated, else the socket
	w       io.Writer     // written to: nc, or raw system calls on the socket (internal/sockio)
	r       *wire.Reader  // reads the client after startup
	out     []byte        // pending output to the client
	flushes int           // writes to the client so far (a retry needs none since the attempt began)
	werr    error         // first write error to the client
	log     *slog.Logger
	pid     uint32
	secret  [4]byte

	user, password, database string
	params                   map[string]string // startup parameters passed to nodes

	backends    map[string]*bconn // open backend connections, by node
	rs          route.Session
	txStatus    byte             // as last reported to the client
	sets        []string         // session-level SET/RESET to replay on new backends
	pendingSets []string         // SETs inside the open transaction
	stmts       map[string]*stmt // the client's prepared statements
	batch       batch            // extended-protocol messages waiting for Sync
	ext         *extState        // an extended batch already started on a backend (Flush)
	skipToSync  bool             // after a proxy error mid-batch: discard until Sync
	txGate      string           // node of the open transaction as counted by the write gate
	// Reused from one exchange to the next (no allocation per statement):
	sendBuf  []byte       // the frames sent to the backend
	shapeBuf []byte       // a simple query's shape (classify.Classifier.ClassifyBytes)
	trk      tracker      // a fresh batch's tracker (s.ext keeps it across a Flush)
	viewBuf  []route.Node // the routing view acquire decides on
	virt     virtual      // a fresh batch's view of the backend's statements
	qc       queryCache   // the statement counter last used (metrics)

	mu         sync.Mutex
	active     *bconn        // backend running a statement, for cancel
	cancelWait chan struct{} // wakes a wait for a primary (cap 1)
	clientGone atomic.Bool   // the client disconnected during a statement (set under mu)
	// The client watch (clientwatch.go): whether a statement runs and since
	// when, and whether watchT (made once, in newSession) is armed.
	watching, watchArmed bool
	watchSince           time.Time
	watchT               *time.Timer
}

// bconn is a backend connection owned by one session.
type bconn struct {
	*backend.Conn
	node     string
	prepared map[string]string // statement name → Parse frame, as this backend has it
	lastUse  time.Time         // when its last statement began (watchClient)
}

// stmt is a prepared statement of the client.
type stmt struct {
	name  string // its name (the key in session.stmts)
	parse string // the client's Parse frame
	class classify.Class
}

func newSession(srv *Server, fc *pgfront.Conn) *session {
	s := &session{srv: srv, fc: fc, nc: fc.NetConn(), txStatus: 'I', pid: fc.PID(), secret: fc.Secret(),
		backends: map[string]*bconn{}, stmts: map[string]*stmt{}, cancelWait: make(chan struct{}, 1)}
	s.log = srv.log.With("conn_id", s.pid, "client", fc.Socket().RemoteAddr().String())
	s.watchT = time.AfterFunc(time.Hour, s.checkClient)
	s.watchT.Stop()
	return s
}

// serve runs the session until the client leaves, a protocol error, or
// shutdown. On the way out it closes every backend connection (which
// rolls back an open transaction there) and the client socket.
func (s *session) serve() {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("proxy: session panic", "panic", p, "stack", string(debug.Stack()))
			s.sendFatal(pgerror.Newf(pgerror.InternalError, "internal error in the proxy: %v", p))
		}
		for name := range s.backends {
			s.dropBackend(name)
		}
		s.srv.gate.setTx(s.txGate, "")
		s.watchT.Stop()
		s.fc.Close()
	}()
	if !s.startup() {
		return
	}
	s.loop()
}

// loop reads and handles client messages.
func (s *session) loop() {
	for s.werr == nil {
		if !s.fc.EnterIdle() {
			s.sendFatal(pgerror.New(pgerror.AdminShutdown, "terminating connection due to administrator command"))
			return
		}
		typ, body, err := s.r.Next()
		s.fc.EnterBusy()
		if err != nil {
			s.readError(err)
			return
		}
		if s.skipToSync && typ != 'S' && typ != 'X' {
			continue
		}
		switch typ {
		case 'Q':
			s.simpleQuery(body)
		case 'P', 'B', 'D', 'E', 'C':
			if !s.queue(typ, body) {
				return
			}
		case 'H':
			s.flushBatch()
		case 'S':
			s.syncBatch()
		case 'F':
			s.functionCall(body)
		case 'X':
			return
		case 'd', 'c', 'f':
			// CopyData/CopyDone/CopyFail outside COPY: ignored, as PostgreSQL does.
		default:
			s.sendFatal(pgerror.Newf(pgerror.ProtocolViolation, "invalid frontend message type %d", typ))
			return
		}
	}
}

func (s *session) readError(err error) {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) && s.fc.Draining():
		s.sendFatal(pgerror.New(pgerror.AdminShutdown, "terminating connection due to administrator command"))
	case errors.Is(err, wire.ErrTooLarge):
		s.sendFatal(pgerror.Newf(pgerror.ProgramLimitExceeded, "%v", err))
	case errors.Is(err, wire.ErrBadLength):
		s.sendFatal(pgerror.Newf(pgerror.ProtocolViolation, "%v", err))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		s.log.Debug("proxy: client disconnected")
	default:
		s.log.Debug("proxy: client read failed", "err", err)
	}
}

// cancel is called from another session's goroutine (CancelRequest).
func (s *session) cancel() {
	s.mu.Lock()
	bc := s.active
	s.mu.Unlock()
	select {
	case s.cancelWait <- struct{}{}:
	default:
	}
	if bc == nil {
		return
	}
	if err := s.srv.cancelOn(bc.Addr, bc.PID, bc.Secret); err != nil {
		s.log.Info("proxy: forwarding a cancel request failed", "node", bc.node, "err", err)
	}
}

// clientReader reads what pgfront's reader buffered during the startup
// (a client may pipeline its first query behind the startup), then the
// socket through raw.
type clientReader struct {
	br  *bufio.Reader // nil once drained
	raw io.Reader
}

func (r *clientReader) Read(p []byte) (int, error) {
	if r.br != nil {
		if r.br.Buffered() > 0 {
			return r.br.Read(p)
		}
		r.br = nil
	}
	return r.raw.Read(p)
}

// send appends a message for the client.
func (s *session) send(msg wire.Encoder) {
	var err error
	if s.out, err = wire.AppendMsg(s.out, msg); err != nil {
		s.log.Error("proxy: encode", "err", err)
	}
}

// forward appends a raw frame for the client, flushing when the buffer
// is large.
func (s *session) forward(typ byte, body []byte) {
	s.out = wire.Append(s.out, typ, body)
	if len(s.out) >= flushThreshold {
		s.flush()
	}
}

func (s *session) flush() {
	if len(s.out) == 0 || s.werr != nil {
		s.out = s.out[:0]
		return
	}
	_, s.werr = s.w.Write(s.out)
	s.flushes++
	s.out = s.out[:0]
}

// sendError sends an ERROR (not ending the session).
func (s *session) sendError(err error) { s.send(errorResponse(err, pgerror.SeverityError)) }

// readyForQuery ends a query cycle with the session's transaction status.
func (s *session) readyForQuery() {
	s.send(&pgproto3.ReadyForQuery{TxStatus: s.txStatus})
	s.flush()
}

// sendFatal sends a FATAL error; the caller then ends the session.
func (s *session) sendFatal(err error) {
	s.send(errorResponse(err, pgerror.SeverityFatal))
	s.flush()
}

// syncTx tells the write gate where the session's transaction (or
// unfinished extended batch) is open now.
func (s *session) syncTx() {
	open := s.rs.TxNode
	if open == "" && s.ext != nil {
		open = s.ext.bc.node
	}
	s.srv.gate.setTx(s.txGate, open)
	s.txGate = open
}

// dropBackend closes the session's connection to node.
func (s *session) dropBackend(node string) {
	if bc := s.backends[node]; bc != nil {
		bc.Close()
		delete(s.backends, node)
	}
}
