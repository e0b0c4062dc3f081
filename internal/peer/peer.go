package peer

import (
	"errors"
	"net"
	"syscall"
)

// ErrGone is the cause of a context cancelled because its client
// disconnected.
var ErrGone = errors.New("client connection lost")

// State is what Check saw.
type State int

const (
	// Open: the peer has not closed its side (bytes may be pending).
	Open State = iota
	// Unknown: nc is not a socket this platform can inspect.
	Unknown
	// Closed: the peer closed or reset the connection and nothing is
	// left to read.
	Closed
	// ClosedAfterData: the peer closed its sending side after sending
	// bytes that have not been read yet (Check copies a prefix of them
	// into buf). A client that half-closes and still reads looks the same.
	ClosedAfterData
)

func (s State) String() string {
	switch s {
	case Open:
		return "open"
	case Closed:
		return "closed"
	case ClosedAfterData:
		return "closed after data"
	}
	return "unknown"
}

// Check inspects nc without blocking and without consuming data. When it
// returns ClosedAfterData, buf[:n] holds the first pending bytes (n ==
// len(buf) when there may be more). It is safe to call from another
// goroutine than the one reading nc, as long as nc is not closed
// concurrently (then it returns Closed or Unknown).
func Check(nc net.Conn, buf []byte) (st State, n int) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return Unknown, 0
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return Closed, 0
	}
	st = Unknown
	// Control, not Read: it does not take the read lock, so it never waits
	// behind a reader blocked on the same socket.
	if err := raw.Control(func(fd uintptr) { st, n = check(int(fd), buf) }); err != nil {
		return Closed, 0
	}
	return st, n
}
