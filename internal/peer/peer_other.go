//go:build unix && !linux

package peer

// check peeks: EOF or a reset is seen only when no bytes are pending.
func check(fd int, buf []byte) (State, int) {
	st, _ := peek(fd, buf)
	return st, 0
}
