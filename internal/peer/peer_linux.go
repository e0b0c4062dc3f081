//go:build linux

package peer

import (
	"golang.org/x/sys/unix"
)

// check uses poll(POLLRDHUP), as PostgreSQL's client_connection_check_interval
// does, which sees the peer's FIN even behind unread bytes; peek then tells
// whether bytes are pending.
func check(fd int, buf []byte) (State, int) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
	for {
		_, err := unix.Poll(fds, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return Unknown, 0
		}
		break
	}
	if fds[0].Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) == 0 {
		return Open, 0
	}
	st, n := peek(fd, buf)
	if st == Open && n > 0 {
		return ClosedAfterData, n
	}
	if st == Open { // RDHUP with nothing pending and no EOF yet: treat as closed
		return Closed, 0
	}
	return st, n
}
