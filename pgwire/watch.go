package pgwire

import (
	"time"

	"github.com/heliosdb/nano/internal/peer"
	"github.com/heliosdb/nano/sql/pgerror"
)

// Client disconnect detection. While a statement runs nobody reads the
// client's socket, so a client that died (no Terminate, no CancelRequest)
// would only be noticed when the answer is written. Instead, every check
// interval (client_connection_check_interval, default 250 ms) a timer
// inspects the socket without reading from it (internal/peer: poll for
// POLLRDHUP, then a non-consuming peek). When the client closed or reset
// the connection, the statement's context is cancelled with an 08006
// "connection to client lost" cause wrapping peer.ErrGone, and the
// connection ends once the Session returns, without reading any message
// the client sent before going. Pipelined bytes of a live client are not
// a disconnect and stay unread for the message loop.

// DefaultClientCheckInterval is how often a running statement's client
// socket is checked when the Session does not say otherwise.
const DefaultClientCheckInterval = 250 * time.Millisecond

// ConnectionChecker is implemented by a Session whose check interval is a
// setting (client_connection_check_interval). Zero turns checking off for
// the session's next statements.
type ConnectionChecker interface {
	ClientConnectionCheckInterval() time.Duration
}

// errClientLost is the cancellation cause of a statement whose client
// disconnected.
var errClientLost = pgerror.Wrapf(peer.ErrGone, pgerror.ConnectionFailure, "connection to client lost")

func (c *conn) checkInterval() time.Duration {
	if cc, ok := c.sess.(ConnectionChecker); ok {
		return cc.ClientConnectionCheckInterval()
	}
	return DefaultClientCheckInterval
}

// watchPeer arms the check of statement gen. c.mu is held.
func (c *conn) watchPeer(gen uint64, iv time.Duration) *time.Timer {
	var t *time.Timer
	t = time.AfterFunc(iv, func() {
		st, _ := peer.Check(c.nc, nil)
		c.mu.Lock()
		defer c.mu.Unlock()
		if gen != c.stmtGen || c.stmtCancel == nil || c.ctx.Err() != nil {
			return // that statement is over, or the server closed the socket
		}
		switch st {
		case peer.Closed, peer.ClosedAfterData:
			c.clientGone = true
			c.stmtCancel(errClientLost)
			c.srv.metrics.clientLost.Inc()
		case peer.Open:
			t.Reset(iv)
		}
	})
	return t
}

// lostClient reports whether the client went away during a statement;
// the connection then ends.
func (c *conn) lostClient() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.clientGone {
		c.log.Info("pgwire: client disconnected during a statement; statement cancelled")
	}
	return c.clientGone
}
