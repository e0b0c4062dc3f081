package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/proxy/backend"
	"github.com/heliosdb/nano/proxy/causal"
	"github.com/heliosdb/nano/proxy/classify"
	"github.com/heliosdb/nano/proxy/route"
	"github.com/heliosdb/nano/proxy/wire"
	"github.com/heliosdb/nano/sql/pgerror"
)

// maxRetries bounds how often one statement is moved to another node
// after its backend failed before running it.
const maxRetries = 3

// exchange is one unit of work forwarded to one backend: a simple query,
// a function call, or an extended-protocol batch up to Sync (or Flush).
type exchange struct {
	kind   route.Kind
	class  classify.Class
	simple bool // a simple Query (it destroys the unnamed statement)
	flush  bool // ends with Flush: done when every message is answered
	// frame is what a simple query or function call sends; a batch
	// (frame nil) is built for each backend it is tried on (s.frames).
	frame []byte
	ext   *extState // batches: the part a Flush already ran, or nil
	tr    *tracker  // extended batches only
	v     *virtual  // extended batches only: bc's prepared statements as built
	d     route.Decision
	gated string // node whose write gate this attempt entered (see acquire)
}

// outcome is what relaying a backend's answer observed.
type outcome struct {
	status    byte // of the final ReadyForQuery
	hadErr    bool // an ErrorResponse was relayed
	completed bool // a CommandComplete was relayed
	committed bool // the last CommandComplete was COMMIT
	forwarded bool // something reached the client
	seen      bool // the backend answered at all
	notRun    bool // the backend refused before running anything (shutting down)
	// readOnly: the first error was 25006 read_only_sql_transaction and
	// no command had completed before it (see retryReadOnly).
	readOnly bool
}

// backendError is a failure of the backend connection (I/O, protocol, or
// a FATAL from the node): the connection is unusable.
type backendError struct{ err error }

func (e *backendError) Error() string { return e.err.Error() }
func (e *backendError) Unwrap() error { return e.err }

// errClientGone: writing to or reading from the client failed mid-relay.
var errClientGone = errors.New("proxy: client connection lost")

// run routes ex, forwards it and relays the answer, moving it to another
// node when its backend failed before anything could have run, or when
// the node it took for the primary turned out to be read-only.
func (s *session) run(ex *exchange) {
	// On the way out the write gate first learns of a transaction the
	// statement opened, then of the statement's end: in the other order a
	// switchover could see nothing running on the primary in between.
	// (Deferred, so a panic cannot leak a count that would block
	// switchovers.)
	defer s.ungate(ex)
	defer s.syncTx()
	wasIdle := s.txStatus == 'I'
	attached := s.ext != nil // the batch's first part already ran on a backend
	for attempt := 0; ; attempt++ {
		s.watchClient(nil) // a wait for a primary ends if the client goes
		bc, err := s.target(ex)
		s.unwatch()
		if s.lostClient() {
			s.werr = errClientGone
			return
		}
		if err != nil {
			s.fail(ex, err, false)
			return
		}
		var out outcome
		mark, flushes := len(s.out), s.flushes
		err = s.forwardTo(bc, ex, &out)
		if s.lostClient() {
			// Its statement was cancelled and its relay woken (clientwatch.go):
			// not the node's fault, and nobody to retry for.
			s.dropBackend(bc.node)
			s.werr = errClientGone
			return
		}
		switch {
		case err == nil && out.readOnly && attempt < maxRetries && s.flushes == flushes &&
			s.retryReadOnly(bc, ex, out, wasIdle && !attached):
			s.out = s.out[:mark] // nothing of this attempt reached the client
			s.ungate(ex)
			continue
		case err == nil:
			if out.readOnly { // relay kept the answer back for a possible retry
				s.flush()
			}
			s.finish(bc, ex, out, wasIdle)
			return
		case errors.Is(err, errClientGone):
			if s.werr == nil {
				s.werr = err
			}
			return
		}
		s.lost(bc, err)
		if !out.forwarded && ex.d.Reason != route.ReasonTransaction && !attached && attempt < maxRetries &&
			(ex.kind != route.Write || out.notRun) {
			s.log.Info("proxy: backend failed before answering; retrying on another node", "node", bc.node, "err", err)
			s.ungate(ex)
			continue
		}
		s.fail(ex, lostError(bc.node, err, ex.d.Reason == route.ReasonTransaction), true)
		return
	}
}

// ungate leaves the write gate entered for this attempt, if any.
func (s *session) ungate(ex *exchange) {
	if ex.gated != "" {
		s.srv.gate.leave(ex.gated)
		ex.gated = ""
	}
}

// retryReadOnly decides what to do when a node the proxy routed a write
// to as the primary answered 25006: it is most likely no longer the
// primary (a switchover or a demotion the health checks have not seen
// yet). The statement is retried, on whatever the view then names as
// primary, when that is safe: it was sent outside any transaction
// (fresh), it completed nothing before the error and left no transaction
// open, and the node, re-probed now, no longer reports itself primary.
// Then the backend connection is closed (what it holds, such as prepared
// statements, is no longer known) and true is returned. Otherwise the
// error is the client's (a real read-only transaction, for example).
func (s *session) retryReadOnly(bc *bconn, ex *exchange, out outcome, fresh bool) bool {
	if !fresh || !gated(ex.d) || ex.flush || out.status != 'I' {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.srv.cfg.ConnectTimeout)
	s.srv.nodes.Refresh(ctx)
	cancel()
	if p, _ := route.CurrentPrimary(s.srv.nodes.View()); p == bc.node {
		// Still the primary: it may have refused because its failover
		// lease had lapsed (it restarted, or the proxy was away). Renew it
		// and retry; otherwise the error is the client's.
		ctx, cancel := context.WithTimeout(context.Background(), s.srv.cfg.ConnectTimeout)
		defer cancel()
		if s.srv.renewLease == nil || !s.srv.renewLease(ctx, bc.node) {
			return false
		}
	}
	s.log.Debug("proxy: the primary refused a write as read-only and no longer reports itself primary; retrying the statement on the new primary",
		"node", bc.node)
	s.srv.metrics.readOnlyRetries.Inc()
	s.dropBackend(bc.node)
	return true
}

// target returns the backend for ex: the one an unfinished batch already
// uses, or a routed one.
func (s *session) target(ex *exchange) (*bconn, error) {
	if s.ext != nil {
		ex.d = s.ext.d
		return s.ext.bc, nil
	}
	bc, d, err := s.acquire(ex)
	ex.d = d
	return bc, err
}

func (s *session) forwardTo(bc *bconn, ex *exchange, out *outcome) error {
	frames := s.frames(bc, ex)
	s.watchClient(bc)
	defer s.unwatch()
	// Written by relay's first read, which then waits for the answer
	// (backend.Conn.Request); a write error is then that read's, a
	// backendError all the same.
	if err := bc.Request(frames); err != nil {
		return &backendError{err}
	}
	return s.relay(bc, ex, out)
}

// frames returns the bytes to send to bc for ex. A batch is built for
// bc (re-preparing what bc lacks) into the session's send buffer, with a
// fresh tracker unless a Flush already started it (also on a retry
// elsewhere: the session's tracker and virtual are reset and reused).
func (s *session) frames(bc *bconn, ex *exchange) []byte {
	if ex.frame != nil {
		return ex.frame
	}
	if ex.ext != nil {
		ex.tr, ex.v = ex.ext.tr, ex.ext.v
	} else {
		s.trk.reset()
		s.virt.reset()
		ex.tr, ex.v = &s.trk, &s.virt
	}
	s.sendBuf = s.build(s.sendBuf[:0], bc, ex.tr, ex.v, ex.flush)
	return s.sendBuf
}

// lost drops a failed backend; an I/O failure also marks its node.
func (s *session) lost(bc *bconn, err error) {
	s.srv.metrics.backendErrors.WithLabelValues(bc.node, "lost").Inc()
	s.dropBackend(bc.node)
	if nodeFault(err) {
		s.srv.nodes.ReportFailure(bc.node, err)
	}
}

// fail tells the client that ex could not run. lostState: the backend was
// lost, so any open transaction is gone.
func (s *session) fail(ex *exchange, err error, lostState bool) {
	if lostState || ex.d.Reason == route.ReasonTransaction {
		s.rs.TxNode, s.txStatus, s.pendingSets = "", 'I', nil
	}
	s.ext = nil
	s.sendError(err)
	if ex.flush {
		s.skipToSync = true // ReadyForQuery when the client's Sync arrives
		s.flush()
		return
	}
	s.readyForQuery()
}

// lostError is the client's error for a backend lost mid-statement.
func lostError(node string, err error, inTx bool) error {
	e := pgerror.Newf(pgerror.ConnectionFailure, "connection to node %q was lost: %v", node, err)
	if inTx {
		return e.WithHint("The transaction was rolled back. The session is still usable.")
	}
	return e.WithHint("The statement may or may not have run. The session is still usable.")
}

// nodeFault reports whether err means the node is unavailable, rather
// than that it refused this client (bad password, unknown database…).
func nodeFault(err error) bool {
	var se *backend.ServerError
	if !errors.As(err, &se) {
		return true
	}
	switch se.Resp.Code {
	case string(pgerror.AdminShutdown), "57P02", string(pgerror.CannotConnectNow):
		return true
	}
	return false
}

// aliveCheckAfter: a backend connection idle at least this long is
// checked (backend.Conn.Alive, a non-blocking peek: one system call)
// before it is reused. One used more recently is not: a node cannot have
// restarted in between, a node shutting down says FATAL 57P01 before its
// first answer (the statement is then run elsewhere, as when the close
// races with the peek), and statements sent back to back (a pgbench-like
// load) spare a system call each, as pgbouncer's server_check_delay does.
const aliveCheckAfter = 10 * time.Millisecond

// backendFor returns the session's connection to node, opening one (and
// replaying the session's SETs on it) when there is none or the old one
// was closed by the node (checked when it has been idle for
// aliveCheckAfter).
func (s *session) backendFor(node string) (*bconn, error) {
	if bc := s.backends[node]; bc != nil {
		if s.rs.TxNode == node || time.Since(bc.lastUse) < aliveCheckAfter || bc.Alive() {
			return bc, nil
		}
		s.log.Debug("proxy: backend connection closed by the node; reconnecting", "node", node)
		s.dropBackend(node)
	}
	if s.rs.TxNode == node {
		return nil, &backendError{fmt.Errorf("the transaction's connection is gone")}
	}
	addr, ok := s.srv.nodes.Addr(node)
	if !ok {
		return nil, fmt.Errorf("proxy: unknown node %q", node)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.srv.cfg.ConnectTimeout)
	defer cancel()
	c, err := s.srv.dialer.Dial(ctx, backend.Options{Addr: addr, User: s.user, Password: s.password,
		Database: s.database, Params: s.nodeParams(), Timeout: s.srv.cfg.ConnectTimeout})
	if err != nil {
		if nodeFault(err) {
			s.srv.metrics.backendErrors.WithLabelValues(node, "connect").Inc()
			s.srv.nodes.ReportFailure(node, err)
		}
		return nil, fmt.Errorf("connect to node %q: %w", node, err)
	}
	s.srv.metrics.backendConns.WithLabelValues(node).Inc()
	bc := &bconn{Conn: c, node: node, prepared: map[string]string{}}
	for _, q := range s.sets {
		if _, err := c.SimpleQuery(ctx, q); err != nil {
			var se *backend.ServerError
			if !errors.As(err, &se) {
				c.Close()
				s.srv.nodes.ReportFailure(node, err)
				return nil, fmt.Errorf("replay session settings on node %q: %w", node, err)
			}
			s.log.Warn("proxy: replaying a SET on a new backend failed", "node", node, "sql", q, "err", err)
		}
	}
	s.backends[node] = bc
	return bc, nil
}

// relay copies the backend's answer to the client up to ReadyForQuery
// (or, for a Flush, until every message is answered).
func (s *session) relay(bc *bconn, ex *exchange, out *outcome) error {
	for {
		if ex.flush && ex.tr.answered() {
			s.flush()
			return s.clientErr()
		}
		typ, body, err := bc.Next()
		if err != nil {
			return &backendError{err}
		}
		first := !out.seen
		out.seen = true
		forward := true
		if ex.tr != nil {
			if forward, err = ex.tr.response(typ); err != nil {
				return &backendError{err}
			}
		}
		switch typ {
		case 'E':
			var resp pgproto3.ErrorResponse
			if err := resp.Decode(body); err != nil {
				return &backendError{fmt.Errorf("bad ErrorResponse: %w", err)}
			}
			if resp.Severity == pgerror.SeverityFatal || resp.Severity == "PANIC" {
				out.notRun = first && nodeFault(&backend.ServerError{Resp: resp})
				return &backendError{&backend.ServerError{Resp: resp}}
			}
			if !out.hadErr && !out.completed && resp.Code == string(pgerror.ReadOnlySQLTransaction) {
				out.readOnly = true
			}
			out.hadErr = true
		case 'C':
			tag, _, _ := bytes.Cut(body, []byte{0})
			out.completed, out.committed = true, string(tag) == "COMMIT"
		case 'S':
			switch name, rest, _ := wire.CString(body); name {
			case "in_hot_standby":
				forward = false // the proxy is a read-write endpoint
			case causal.CommitParam: // before the ReadyForQuery that acknowledges the commit
				forward = false
				if s.srv.causal != nil {
					value, _, _ := wire.CString(rest)
					s.srv.causal.observe(value)
				}
			}
		case 'Z':
			if len(body) != 1 {
				return &backendError{fmt.Errorf("bad ReadyForQuery")}
			}
			out.status = body[0]
			if forward {
				s.out = wire.Append(s.out, typ, body)
			}
			if !out.readOnly { // else run flushes, unless it retries
				s.flush()
			}
			return s.clientErr()
		case 'G':
			s.forward(typ, body)
			s.flush()
			out.forwarded = true
			if err := s.copyIn(bc); err != nil {
				return err
			}
			continue
		case 'W':
			return &backendError{fmt.Errorf("COPY BOTH (replication) is not supported through the proxy")}
		}
		if forward {
			s.forward(typ, body)
			out.forwarded = true
		}
		if s.werr != nil {
			return errClientGone
		}
	}
}

func (s *session) clientErr() error {
	if s.werr != nil {
		return errClientGone
	}
	return nil
}

// copyIn relays the client's COPY data to the backend until CopyDone or
// CopyFail.
func (s *session) copyIn(bc *bconn) error {
	var buf []byte
	for {
		typ, body, err := s.r.Next()
		if err != nil {
			return fmt.Errorf("%w: %v", errClientGone, err)
		}
		switch typ {
		case 'd', 'c', 'f', 'H', 'S':
			buf = wire.Append(buf, typ, body)
		default:
			buf = wire.Append(buf, 'f', []byte(fmt.Sprintf("unexpected message type %d during COPY\x00", typ)))
			typ = 'f'
		}
		if typ == 'd' && len(buf) < flushThreshold*2 {
			continue
		}
		if err := bc.Send(buf); err != nil {
			return &backendError{err}
		}
		buf = buf[:0]
		if typ == 'c' || typ == 'f' {
			return nil
		}
	}
}
