// Package peer tells, without reading from it, whether the other end of a
// TCP connection is still there. Servers use it while a statement runs:
// nobody reads the client's socket then, so a client that died would
// otherwise only be noticed when the statement's answer is written, maybe
// minutes later.
//
// Check never consumes bytes: pipelined messages from a live client stay
// in the socket for the protocol reader. ErrGone is the cancellation cause
// (wrapped by the caller's own error) for work whose client went away; code
// far from the socket (write forwarding) tests for it with errors.Is to
// abandon work that nobody can receive any more.
package peer
