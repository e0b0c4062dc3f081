package sockio

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// Conn is the raw-system-call view of a socket. Make it with New.
type Conn struct {
	rc syscall.RawConn

	// The state of the call in progress, read by readFn/writeFn: func
	// values made once, so a call allocates no closure.
	rp, wp          []byte
	rn, wn          int
	rerr, werr      error
	readFn, writeFn func(fd uintptr) bool

	// pre is what WriteBeforeRead left for the next Read to write;
	// wrote tells writeReadFn that it has been written.
	pre         []byte
	wrote       bool
	writeReadFn func(fd uintptr) bool
}

// New returns a Conn over c's socket, or nil when c is not a plain socket
// (a TLS connection, a net.Pipe…).
func New(c net.Conn) *Conn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	switch c.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	s := &Conn{rc: rc}
	s.readFn, s.writeFn, s.writeReadFn = s.read, s.write, s.writeRead
	return s
}

// Read reads what the socket holds, up to len(p) bytes, waiting for at
// least one byte. It returns io.EOF at the end of the stream.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(c.pre) > 0 {
		return c.writeThenRead(p)
	}
	c.rp, c.rn, c.rerr = p, 0, nil
	err := c.rc.Read(c.readFn)
	n, rerr := c.rn, c.rerr
	c.rp = nil
	if err != nil {
		return n, err
	}
	return n, rerr
}

func (c *Conn) read(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&c.rp[0])), uintptr(len(c.rp)))
		switch e {
		case 0:
			c.rn = int(n)
			if n == 0 {
				c.rerr = io.EOF
			}
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false // wait on the poller, then try again
		}
		c.rerr = e
		return true
	}
}

// WriteBeforeRead hands p to the next Read, which writes all of it before
// reading (see the package documentation: a request and the wait for its
// answer). Errors writing p are that Read's. p must stay unchanged until
// then. A Write before that Read writes p first.
func (c *Conn) WriteBeforeRead(p []byte) { c.pre = p }

// writeThenRead is Read with c.pre to write first. It writes c.pre inside
// the read's system-call window (RawConn.Read has already reset the
// socket's read readiness by then), then waits on the poller without
// trying to read: every byte of the answer arrives after the reset, so
// its arrival wakes the wait, and the read that would only find nothing
// yet (EAGAIN, the usual case for a request just sent) is spared. When
// the socket's buffer cannot take all of c.pre at once, the rest is
// written as Write does and the read is an ordinary one.
func (c *Conn) writeThenRead(p []byte) (int, error) {
	c.wp, c.wn, c.werr, c.wrote = c.pre, 0, nil, false
	c.pre = nil
	c.rp, c.rn, c.rerr = p, 0, nil
	err := c.rc.Read(c.writeReadFn)
	n, rerr := c.rn, c.rerr
	rest, werr := c.wp[c.wn:], c.werr
	c.rp, c.wp = nil, nil
	switch {
	case err != nil && !c.wrote:
		return 0, err // closed or timed out before the write: nothing was read
	case werr != nil:
		return 0, werr
	case len(rest) > 0:
		if _, err := c.Write(rest); err != nil {
			return 0, err
		}
		return c.Read(p)
	case err != nil:
		return n, err
	}
	return n, rerr
}

func (c *Conn) writeRead(fd uintptr) bool {
	if c.wrote {
		return c.read(fd)
	}
	c.wrote = true
	if !c.write(fd) || c.werr != nil {
		return true // partly written (no room) or failed: writeThenRead goes on
	}
	return false // written: wait for the answer before reading
}

// Write writes all of p, waiting for room in the socket's buffer as
// needed.
func (c *Conn) Write(p []byte) (int, error) {
	if len(c.pre) > 0 { // a WriteBeforeRead not read after yet: keep the order
		pre := c.pre
		c.pre = nil
		if _, err := c.Write(pre); err != nil {
			return 0, err
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	c.wp, c.wn, c.werr = p, 0, nil
	err := c.rc.Write(c.writeFn)
	n, werr := c.wn, c.werr
	c.wp = nil
	if err == nil {
		err = werr
	}
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return n, err
}

func (c *Conn) write(fd uintptr) bool {
	for c.wn < len(c.wp) {
		rest := c.wp[c.wn:]
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&rest[0])), uintptr(len(rest)))
		switch e {
		case 0:
			c.wn += int(n)
			continue
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false // wait until the socket is writable
		}
		c.werr = e
		return true
	}
	return true
}
