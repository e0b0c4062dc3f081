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

// watchPeer arms the check of the statement that just began, every iv.
// The connection keeps one timer for all its statements (a timer per
// statement was an allocation and a timer-heap insert on every message),
// and leaves it armed when a statement ends: a check that finds no
// statement running does nothing and disarms it, so a client sending
// statement after statement re-arms it about once per interval instead
// of resetting and stopping it for each (the first check of a statement
// may then come before a whole interval has passed, never later). c.mu
// is held.
func (c *conn) watchPeer(iv time.Duration) {
	if c.peerTimer == nil {
		c.peerIv, c.peerArmed = iv, true
		c.peerTimer = time.AfterFunc(iv, c.checkPeer)
		return
	}
	if c.peerArmed && iv == c.peerIv {
		return
	}
	c.peerIv, c.peerArmed = iv, true
	c.peerTimer.Reset(iv)
}

// unwatchPeer stops the check when checking was turned off. c.mu is held.
func (c *conn) unwatchPeer() {
	if c.peerTimer != nil && c.peerArmed {
		c.peerTimer.Stop()
		c.peerArmed = false
	}
}

// checkPeer runs on the timer: it cancels the running statement when the
// client is gone and re-arms itself while a statement runs and the client
// is there. A check that finds no statement running disarms the timer;
// the next statement arms it again when it begins.
func (c *conn) checkPeer() {
	c.mu.Lock()
	gen, running := c.stmtGen, c.stmtCancel != nil && c.peerArmed
	if !running {
		c.peerArmed = false
	}
	c.mu.Unlock()
	if !running {
		return
	}
	st, _ := peer.Check(c.nc, nil)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stmtCancel == nil || c.ctx.Err() != nil || !c.peerArmed {
		c.peerArmed = false
		return // that statement is over, or the server closed the socket
	}
	if gen != c.stmtGen {
		// A newer statement runs; it found the timer armed (watchPeer).
		c.peerTimer.Reset(c.peerIv)
		return
	}
	switch st {
	case peer.Closed, peer.ClosedAfterData:
		c.clientGone = true
		c.stmtCancel(errClientLost)
		c.srv.metrics.clientLost.Inc()
	case peer.Open:
		c.peerTimer.Reset(c.peerIv)
	default:
		c.peerArmed = false
	}
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
