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
// nil: while the statement waits for a node). The returned stop must be
// called when the statement is over.
func (s *session) watchClient(bc *bconn) (stop func()) {
	s.mu.Lock()
	s.watchGen++
	gen := s.watchGen
	var t *time.Timer
	t = time.AfterFunc(clientCheckInterval, func() {
		st, _ := peer.Check(s.nc, nil)
		s.mu.Lock()
		defer s.mu.Unlock()
		if gen != s.watchGen {
			return // that statement is over
		}
		switch st {
		case peer.Open:
			t.Reset(clientCheckInterval)
		case peer.Closed, peer.ClosedAfterData:
			s.clientGone = true
			s.srv.metrics.clientLost.Inc()
			select {
			case s.cancelWait <- struct{}{}:
			default:
			}
			if bc != nil {
				go s.abandon(bc)
			}
		}
	})
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.watchGen++
		s.mu.Unlock()
		t.Stop()
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

// lostClient reports whether the client went away during a statement.
func (s *session) lostClient() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clientGone
}
