package proxy

import (
	"time"

	"github.com/heliosdb/nano/internal/peer"
)

// clientCheckInterval is how often a session's client socket is checked
// (without reading from it) while one of its statements runs on a backend
// or waits for a primary.
const clientCheckInterval = 250 * time.Millisecond

// A client that disconnects while its statement runs (no Terminate, no
// CancelRequest) would otherwise be noticed only when the answer is
// relayed, minutes later for a long join, while the node works for no
// one. The watcher armed by forwardTo checks the client's socket every
// clientCheckInterval (internal/peer: no bytes consumed, so pipelined
// messages of a live client stay for the session's reader); when the
// client is gone it forwards a CancelRequest to the backend running the
// statement, then wakes the relay (a read deadline in the past) so that
// the session drops that backend connection, which the node also notices,
// and ends. The statement is not retried elsewhere and the node is not
// counted as failed.

// watchClient starts checking the client while bc runs a statement (bc
// nil: while the statement waits for a node); bc is also where a
// CancelRequest goes. unwatch ends it when the statement is over.
//
// Statements usually take far less than clientCheckInterval, so neither
// call touches the timer: it is armed only when idle (and then fires at
// most every clientCheckInterval while the session keeps running
// statements), and a firing looks only at a statement that has run for
// clientCheckInterval.
func (s *session) watchClient(bc *bconn) {
	now := time.Now()
	if bc != nil {
		bc.lastUse = now
	}
	s.mu.Lock()
	s.active, s.watching, s.watchSince = bc, true, now
	if !s.watchArmed {
		s.watchArmed = true
		s.watchT.Reset(clientCheckInterval)
	}
	s.mu.Unlock()
}

// unwatch ends what watchClient started.
func (s *session) unwatch() {
	s.mu.Lock()
	s.active, s.watching = nil, false
	s.mu.Unlock()
}

// checkClient is watchT's function.
func (s *session) checkClient() {
	s.mu.Lock()
	if !s.watching {
		s.watchArmed = false
		s.mu.Unlock()
		return
	}
	if wait := clientCheckInterval - time.Since(s.watchSince); wait > 0 {
		s.watchT.Reset(wait) // the statement began after the timer was armed
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	st, _ := peer.Check(s.nc, nil)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.watching { // that statement is over, and no other runs
		s.watchArmed = false
		return
	}
	switch st {
	case peer.Open:
		s.watchT.Reset(clientCheckInterval)
	case peer.Closed, peer.ClosedAfterData:
		s.watchArmed = false
		s.clientGone.Store(true)
		s.srv.metrics.clientLost.Inc()
		select {
		case s.cancelWait <- struct{}{}:
		default:
		}
		if s.active != nil {
			go s.abandon(s.active)
		}
	default:
		s.watchArmed = false
	}
}

// abandon stops what bc runs for a client that is gone: a CancelRequest
// to the node, then the relay is woken with a read deadline in the past.
func (s *session) abandon(bc *bconn) {
	if err := s.srv.cancelOn(bc.Addr, bc.PID, bc.Secret); err != nil {
		s.log.Info("proxy: cancelling the statement of a disconnected client failed", "node", bc.node, "err", err)
	}
	_ = bc.SetDeadline(time.Now())
}

// lostClient reports whether the client went away during a statement
// (an atomic load: run asks twice per statement).
func (s *session) lostClient() bool { return s.clientGone.Load() }
