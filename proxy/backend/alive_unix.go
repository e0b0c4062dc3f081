//go:build unix

package backend

import (
	"errors"
	"syscall"
)

// Alive reports, without blocking, whether an idle Conn can be reused: the
// node has not closed it and has sent nothing unsolicited (a node that
// shuts down sends FATAL 57P01 to idle sessions, then closes). A Conn with
// pending bytes is not reused; the caller closes it.
func (c *Conn) Alive() bool {
	if c.r.Buffered() > 0 {
		return false
	}
	// The socket under any TLS: the nodes send no TLS session tickets
	// (tlsfiles.Server, as PostgreSQL), so pending bytes are protocol.
	if c.rc == nil {
		sc, ok := c.raw.(syscall.Conn)
		if !ok {
			return true
		}
		rc, err := sc.SyscallConn()
		if err != nil {
			return false
		}
		c.rc, c.peekFn = rc, c.peek
	}
	c.alive = true
	cerr := c.rc.Read(c.peekFn)
	return c.alive && cerr == nil
}

// peek is Alive's look at the socket (made a func value once per Conn:
// a closure per call would allocate).
func (c *Conn) peek(fd uintptr) bool {
	var buf [1]byte
	n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	switch {
	case n > 0: // unsolicited data: FATAL, notice or notification
		c.alive = false
	case err == nil: // n == 0: orderly shutdown by the node
		c.alive = false
	case errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EINTR):
	default:
		c.alive = false
	}
	return true // never wait for readability
}
