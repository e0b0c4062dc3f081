//go:build unix

package peer

import (
	"errors"
	"syscall"
)

// peek looks at pending bytes without consuming them or blocking.
func peek(fd int, buf []byte) (st State, n int) {
	if len(buf) == 0 {
		var one [1]byte
		buf = one[:]
	}
	for {
		n, _, err := syscall.Recvfrom(fd, buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EWOULDBLOCK):
			return Open, 0
		case err != nil: // ECONNRESET, ETIMEDOUT...: pending data was discarded
			return Closed, 0
		case n == 0:
			return Closed, 0
		}
		return Open, n
	}
}
